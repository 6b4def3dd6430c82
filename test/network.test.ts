import { Testing } from 'cdktf';
import { NetworkingSubnetV2 } from '../.gen/providers/openstack/networking-subnet-v2';
import { SparkNetwork } from '../lib';
import { EXTERNAL, newStack, resourcesOf } from './support/fixtures';

describe('SparkNetwork', () => {
  it('creates a network, a subnet whose DHCP pool leaves the master address out, and a router', () => {
    const stack = newStack();
    const network = new SparkNetwork(stack, 'Net', {
      name: 'analytics',
      externalNetwork: EXTERNAL,
      dnsNameservers: ['9.9.9.9'],
    });
    expect(network.masterIp).toBe('10.42.0.10');
    const synthesized = Testing.synth(stack);
    expect(synthesized).toHaveResourceWithProperties(NetworkingSubnetV2, {
      cidr: '10.42.0.0/24',
      allocation_pool: [{ start: '10.42.0.20', end: '10.42.0.254' }],
      dns_nameservers: ['9.9.9.9'],
    });
    expect(Object.values(resourcesOf(synthesized, 'openstack_networking_router_v2'))[0]).toMatchObject({
      external_network_id: '00000000-0000-4000-8000-000000000000',
    });
    expect(Object.keys(resourcesOf(synthesized, 'openstack_networking_router_interface_v2'))).toHaveLength(1);
  });

  it('creates no router without an external network', () => {
    const stack = newStack();
    new SparkNetwork(stack, 'Net', { name: 'isolated', cidr: '10.9.0.0/16' });
    expect(resourcesOf(Testing.synth(stack), 'openstack_networking_router_v2')).toEqual({});
  });

  it('adopts an existing network without creating anything', () => {
    const stack = newStack();
    const network = SparkNetwork.fromAttributes(stack, 'Shared', {
      networkId: 'n-1',
      subnetId: 's-1',
      cidr: '192.168.50.0/24',
      masterIp: '192.168.50.5',
    });
    expect(network.masterIp).toBe('192.168.50.5');
    expect(JSON.parse(Testing.synth(stack)).resource).toBeUndefined();
  });

  it.each([
    [
      { cidr: '10.42.0.1/24' },
      /cidr must be a canonical IPv4 block from \/16 to \/28 with the host bits zero, got "10\.42\.0\.1\/24"\. Write it as 10\.42\.0\.0\/24\./,
    ],
    [{ cidr: '10.0.0.0/8' }, /from \/16 to \/28/],
    [{ cidr: '10.0.0.0/29' }, /from \/16 to \/28/],
    [{ masterHostNumber: 1 }, /masterHostNumber must be a host of 10\.42\.0\.0\/24 other than the gateway/],
    [
      { allocationPool: { start: '10.42.0.2', end: '10.42.0.100' } },
      /allocationPool contains the master's fixed address 10\.42\.0\.10/,
    ],
    [
      { allocationPool: { start: '10.43.0.20', end: '10.43.0.100' } },
      /allocationPool must be a range inside 10\.42\.0\.0\/24/,
    ],
    [{ dnsNameservers: ['dns.example.com'] }, /dnsNameservers must be IPv4 addresses/],
    [{ name: 'Analytics_1' }, /name must be 1-40 lower-case letters/],
  ])('throws on %j', (props, message) => {
    expect(() => new SparkNetwork(newStack(), 'Net', { name: 'analytics', ...props })).toThrow(message);
  });

  it('throws when two cluster networks in one stack overlap', () => {
    const stack = newStack();
    new SparkNetwork(stack, 'A', { name: 'a', cidr: '10.42.0.0/16' });
    expect(() => new SparkNetwork(stack, 'B', { name: 'b', cidr: '10.42.8.0/24' })).toThrow(
      'test/B: cidr overlaps 10.42.0.0/16 of test/A, got "10.42.8.0/24". Give each cluster network its own block, e.g. 10.42.0.0/24 and 10.43.0.0/24.',
    );
  });

  it('throws when an adopted subnet does not contain the master address', () => {
    expect(() =>
      SparkNetwork.fromAttributes(newStack(), 'Shared', {
        networkId: 'n',
        subnetId: 's',
        cidr: '192.168.50.0/24',
        masterIp: '192.168.51.5',
      }),
    ).toThrow(/masterIp must be an address inside 192\.168\.50\.0\/24, got "192\.168\.51\.5"/);
  });
});
