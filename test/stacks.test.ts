import { Testing } from 'cdktf';
import { ExampleStack } from '../stacks/example';
import { ExistingNetworkStack } from '../stacks/existing-network';
import { HighAvailabilityStack } from '../stacks/high-availability';
import { MultiPoolStack } from '../stacks/multi-pool';
import { exampleSettings } from '../stacks/settings';
import { tofuFor } from './support/harness';

// Settings from the defaults, whatever the environment says: the stacks must plan offline.
const settings = exampleSettings({});
const stacks = {
  example: () => new ExampleStack(Testing.app(), 'example', settings),
  'existing-network': () => new ExistingNetworkStack(Testing.app(), 'existing-network', settings),
  'multi-pool': () => new MultiPoolStack(Testing.app(), 'multi-pool', settings),
  'high-availability': () => new HighAvailabilityStack(Testing.app(), 'high-availability', settings),
};

/** Planned creations, counted by resource type ("type[key]" instances count one each). */
function createsByType(plan: ReturnType<ReturnType<typeof tofuFor>['plan']>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const rc of plan.resource_changes ?? []) {
    expect({ address: rc.address, actions: rc.change.actions }).toEqual({ address: rc.address, actions: ['create'] });
    counts[rc.type] = (counts[rc.type] ?? 0) + 1;
  }
  return counts;
}

describe('example stacks with the real tofu and OpenStack provider', () => {
  it.each(Object.keys(stacks))('%s passes tofu validate', (name) => {
    expect(tofuFor(stacks[name as keyof typeof stacks]()).validate()).toEqual([]);
  });

  it('example plans a 3-worker cluster with network, router, floating IP and containers', () => {
    expect(createsByType(tofuFor(stacks.example()).plan())).toEqual({
      openstack_compute_instance_v2: 4,
      openstack_compute_keypair_v2: 1,
      openstack_compute_servergroup_v2: 1,
      openstack_identity_ec2_credential_v3: 1,
      openstack_networking_floatingip_associate_v2: 1,
      openstack_networking_floatingip_v2: 1,
      openstack_networking_network_v2: 1,
      openstack_networking_port_v2: 4,
      openstack_networking_router_interface_v2: 1,
      openstack_networking_router_v2: 1,
      openstack_networking_secgroup_rule_v2: 9,
      openstack_networking_secgroup_v2: 3,
      openstack_networking_subnet_v2: 1,
      openstack_objectstorage_container_v1: 2,
      openstack_objectstorage_object_v1: 1,
      terraform_data: 1,
    });
  });

  it('existing-network plans no network, subnet, router or data container', () => {
    const counts = createsByType(tofuFor(stacks['existing-network']()).plan());
    for (const type of [
      'openstack_networking_network_v2',
      'openstack_networking_subnet_v2',
      'openstack_networking_router_v2',
      'openstack_networking_floatingip_v2',
    ]) {
      expect(counts[type]).toBeUndefined();
    }
    expect(counts.openstack_objectstorage_container_v1).toBe(1); // event logs only
    expect(counts.openstack_compute_instance_v2).toBe(5);
  });

  it('multi-pool plans both pools, a volume per general worker, and keeps server names stable', () => {
    const plan = tofuFor(stacks['multi-pool']()).plan();
    const counts = createsByType(plan);
    expect(counts).toMatchObject({
      openstack_compute_instance_v2: 11,
      openstack_blockstorage_volume_v3: 9,
      openstack_compute_volume_attach_v2: 9,
      openstack_compute_servergroup_v2: 2,
    });
    const names = (plan.resource_changes ?? [])
      .filter((rc) => rc.type === 'openstack_compute_instance_v2')
      .map((rc) => rc.change.after?.name)
      .sort();
    expect(names).toEqual([
      'batch-general-1',
      'batch-general-2',
      'batch-general-3',
      'batch-general-4',
      'batch-general-5',
      'batch-general-6',
      'batch-general-7',
      'batch-general-8',
      'batch-highmem-1',
      'batch-highmem-2',
      'batch-master',
    ]);
  });

  it('high-availability plans three masters, each with its port, fixed address and floating IP, in one hard group', () => {
    const plan = tofuFor(stacks['high-availability']()).plan();
    expect(createsByType(plan)).toMatchObject({
      openstack_compute_instance_v2: 6,
      openstack_networking_port_v2: 6,
      openstack_networking_floatingip_v2: 3,
      openstack_networking_floatingip_associate_v2: 3,
      openstack_compute_servergroup_v2: 2,
    });
    const after = (type: string) =>
      (plan.resource_changes ?? []).filter((rc) => rc.type === type).map((rc) => rc.change.after ?? {});
    const masters = after('openstack_compute_instance_v2').filter((s) => String(s.name).includes('master'));
    expect(masters.map((m) => m.name).sort()).toEqual(['resilient-master', 'resilient-master-2', 'resilient-master-3']);
    const ports = after('openstack_networking_port_v2').filter((p) => String(p.name).includes('master'));
    expect(ports.map((p) => (p.fixed_ip as { ip_address: string }[])[0].ip_address).sort()).toEqual([
      '10.44.0.10',
      '10.44.0.11',
      '10.44.0.12',
    ]);
    expect(after('openstack_compute_servergroup_v2').map((g) => [g.name, g.policies])).toContainEqual([
      'resilient-masters',
      ['anti-affinity'],
    ]);
  });

  it('keeps every resource address stable (an id change would replace real servers)', () => {
    const addresses = Object.fromEntries(
      Object.entries(stacks).map(([name, build]) => {
        const resources = JSON.parse(Testing.synth(build())).resource as Record<string, Record<string, unknown>>;
        return [
          name,
          Object.entries(resources)
            .flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`))
            .sort(),
        ];
      }),
    );
    expect(addresses).toMatchSnapshot();
  });

  it("SPARK_WORKER_FLAVOR looks the example pool's flavor up by name and changes no other server", () => {
    const byName = (stack: ExampleStack) =>
      JSON.parse(Testing.synth(stack)) as {
        data?: Record<string, Record<string, { name?: string }>>;
        resource: Record<string, Record<string, { name?: string; flavor_name?: string }>>;
      };
    const flavors = (synth: ReturnType<typeof byName>) =>
      Object.fromEntries(
        Object.values(synth.resource.openstack_compute_instance_v2).map((s) => [s.name, s.flavor_name]),
      );
    const plain = byName(stacks.example());
    const looked = byName(
      new ExampleStack(Testing.app(), 'example', exampleSettings({ SPARK_WORKER_FLAVOR: 'm1.large' })),
    );
    expect(plain.data?.openstack_compute_flavor_v2).toBeUndefined();
    expect(Object.values(looked.data?.openstack_compute_flavor_v2 ?? {}).map((d) => d.name)).toEqual(['m1.large']);
    expect(flavors(plain)).toEqual({ 'analytics-${each.key}': 'm1.xlarge', 'analytics-master': 'm1.large' });
    expect(flavors(looked)).toEqual({ 'analytics-${each.key}': 'm1.large', 'analytics-master': 'm1.large' });
  });

  it('marks the auth secret output sensitive and emits no other secret', () => {
    const outputs = JSON.parse(Testing.synth(stacks.example())).output as Record<
      string,
      { value: string; sensitive?: boolean }
    >;
    expect(outputs.spark_auth_secret.sensitive).toBe(true);
    for (const [name, output] of Object.entries(outputs)) {
      if (name !== 'spark_auth_secret')
        expect({ name, value: output.value }).toEqual({
          name,
          value: expect.not.stringMatching(/secret|terraform_data/),
        });
    }
  });
});
