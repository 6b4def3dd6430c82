import { Testing } from 'cdktf';
import { NetworkingSecgroupRuleV2 } from '../.gen/providers/openstack/networking-secgroup-rule-v2';
import { Peer, Port, SparkSecurityGroup } from '../lib';
import { newStack, resourcesOf } from './support/fixtures';

describe('security groups', () => {
  it('adds one ingress rule per peer and port, keyed by both', () => {
    const stack = newStack();
    const group = new SparkSecurityGroup(stack, 'Admin', { name: 'admin', description: 'admins' });
    group.connections.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcp(22), 'SSH');
    group.connections.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcp(22), 'SSH again');
    group.connections.allowFrom(Peer.ipv6('2001:db8::/48'), Port.tcpRange(4040, 4049), 'UIs');
    const synthesized = Testing.synth(stack);
    expect(Object.keys(resourcesOf(synthesized, 'openstack_networking_secgroup_rule_v2')).sort()).toEqual([
      expect.stringMatching(/^Admin_Ingress-2001_db8_48-tcp-4040-4049_/),
      expect.stringMatching(/^Admin_Ingress-203_0_113_0_24-tcp-22_/),
    ]);
    expect(synthesized).toHaveResourceWithProperties(NetworkingSecgroupRuleV2, {
      direction: 'ingress',
      ethertype: 'IPv6',
      protocol: 'tcp',
      port_range_min: 4040,
      port_range_max: 4049,
      remote_ip_prefix: '2001:db8::/48',
    });
    expect(group.connections.ingressRules).toHaveLength(2);
  });

  it('allows internal traffic by the group itself, not by an address range', () => {
    const stack = newStack();
    const group = new SparkSecurityGroup(stack, 'Internal', { name: 'internal', description: 'members' });
    group.connections.allowInternally(Port.allTcp(), 'all TCP between members');
    const [rule] = Object.values(resourcesOf(Testing.synth(stack), 'openstack_networking_secgroup_rule_v2'));
    expect(rule).toMatchObject({
      protocol: 'tcp',
      remote_group_id: expect.stringMatching(/Internal_Group.*\.id/),
    });
    expect(rule.remote_ip_prefix).toBeUndefined();
  });

  it('writes every TCP port as no range, as Neutron stores it, so plans after apply stay empty', () => {
    const stack = newStack();
    const group = new SparkSecurityGroup(stack, 'Internal', { name: 'internal', description: 'members' });
    group.connections.allowInternally(Port.allTcp(), 'all TCP between members');
    group.connections.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcpRange(1, 65535), 'all TCP, spelled out');
    group.connections.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcpRange(1, 1024), 'low ports');
    const rules = Object.values(resourcesOf(Testing.synth(stack), 'openstack_networking_secgroup_rule_v2'));
    const ranges = rules.map((r) => [r.description, r.port_range_min, r.port_range_max]);
    expect(ranges.sort()).toEqual([
      ['all TCP between members', undefined, undefined],
      ['all TCP, spelled out', undefined, undefined],
      ['low ports', 1, 1024],
    ]);
  });

  it('refuses the whole internet unless it is asked for by name', () => {
    expect(() => Peer.ipv4('0.0.0.0/0')).toThrow(/opens the port to the whole internet.*Peer\.anyIpv4\(\)/);
    expect(() => Peer.ipv6('::/0')).toThrow(/Peer\.anyIpv6\(\)/);
    expect(Peer.anyIpv4().cidrBlock).toBe('0.0.0.0/0');
  });

  it('refuses malformed CIDRs and ports', () => {
    expect(() => Peer.ipv4('10.0.0.1/24')).toThrow(
      'Peer.ipv4: the address has bits set past the prefix, got "10.0.0.1/24". Write it as 10.0.0.0/24, or 10.0.0.1/32 for that one address.',
    );
    expect(() => Peer.ipv4('300.1.1.0/24')).toThrow(/not an IPv4 CIDR/);
    expect(() => Peer.ipv6('2001:db8::/129')).toThrow(/not an IPv6 CIDR/);
    expect(() => Port.tcp(0)).toThrow(/from 1 to 65535, got 0/);
    expect(() => Port.tcpRange(9000, 8000)).toThrow(/must not end before it starts/);
  });
});
