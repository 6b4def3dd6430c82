import { Testing } from 'cdktf';
import { Flavor, Placement, SparkCluster } from '../lib';
import { clusterProps, clusterWithWorkers, LARGE, newStack, resourcesOf, XLARGE } from './support/fixtures';
import { planChange } from './support/change';
import { tofuFor } from './support/harness';

const poolResources = (synthesized: string) => {
  const all = JSON.parse(synthesized).resource as Record<string, Record<string, unknown>>;
  return Object.fromEntries(
    Object.entries(all).flatMap(([type, byName]) =>
      Object.entries(byName)
        .filter(([name]) => name.includes('Workers_general'))
        .map(([name, body]) => [`${type}.${name}`, body]),
    ),
  );
};

describe('SparkWorkerPool', () => {
  it('keys ports and servers by stable worker names with for_each', () => {
    const { stack } = clusterWithWorkers(3);
    const synthesized = Testing.synth(stack);
    const [ports] = Object.values(resourcesOf(synthesized, 'openstack_networking_port_v2')).filter((p) => p.for_each);
    expect(ports.for_each).toBe('${toset(["general-1", "general-2", "general-3"])}');
    const [servers] = Object.values(resourcesOf(synthesized, 'openstack_compute_instance_v2')).filter(
      (s) => s.for_each,
    );
    expect(servers).toMatchObject({
      name: 'analytics-${each.key}',
      flavor_name: 'm1.xlarge',
      image_name: 'ubuntu-24.04',
      network: [{ port: '${each.value.id}' }],
      metadata: { 'spark:cluster': 'analytics', 'spark:pool': 'general', 'spark:role': 'worker' },
      scheduler_hints: [{ group: expect.stringMatching(/Workers_general_ServerGroup_\w+\.id/) }],
    });
    expect(servers.for_each).toMatch(/^\$\{openstack_networking_port_v2\.analytics_Workers_general_Ports_\w+\}$/);
  });

  it('scaling 5 -> 8 -> 5 changes nothing in the pool but the list of worker names', () => {
    const at = (count: number) => poolResources(Testing.synth(clusterWithWorkers(count).stack));
    const five = at(5);
    const eight = at(8);
    expect(Object.keys(eight)).toEqual(Object.keys(five));
    for (const address of Object.keys(five)) {
      const { for_each: forEach5, ...rest5 } = five[address] as Record<string, unknown>;
      const { for_each: forEach8, ...rest8 } = eight[address] as Record<string, unknown>;
      expect({ address, config: rest8 }).toEqual({ address, config: rest5 });
      if (typeof forEach5 === 'string' && forEach5.startsWith('${toset')) {
        expect(forEach8).toBe(
          '${toset(["general-1", "general-2", "general-3", "general-4", "general-5", "general-6", "general-7", "general-8"])}',
        );
      }
    }
  });

  it('adding a pool of the same flavor leaves the existing pool untouched', () => {
    const before = poolResources(Testing.synth(clusterWithWorkers(3).stack));
    const { stack, cluster } = clusterWithWorkers(3);
    cluster.addWorkerPool('extra', { count: 2, flavor: XLARGE });
    expect(poolResources(Testing.synth(stack))).toEqual(before);
  });

  it('gives each worker a volume for Spark local dirs and attaches it by the same key', () => {
    const stack = newStack();
    const cluster = new SparkCluster(stack, 'analytics', clusterProps());
    cluster.addWorkerPool('general', { count: 2, flavor: XLARGE, localVolumeGiB: 200, volumeType: 'ssd' });
    const synthesized = Testing.synth(stack);
    expect(Object.values(resourcesOf(synthesized, 'openstack_blockstorage_volume_v3'))).toEqual([
      expect.objectContaining({
        for_each: '${toset(["general-1", "general-2"])}',
        name: 'analytics-${each.key}-local',
        size: 200,
        volume_type: 'ssd',
      }),
    ]);
    expect(Object.values(resourcesOf(synthesized, 'openstack_compute_volume_attach_v2'))).toEqual([
      expect.objectContaining({
        instance_id: '${each.value.id}',
        volume_id: expect.stringMatching(
          /^\$\{openstack_blockstorage_volume_v3\.analytics_Workers_general_Volumes_\w+\[each\.key\]\.id\}$/,
        ),
      }),
    ]);
    expect(synthesized).toContain('LOCAL_VOLUME_GIB=200');
  });

  it("tells each worker its own volume's ID in metadata, and keeps one user data for the pool", () => {
    const stack = newStack();
    const cluster = new SparkCluster(stack, 'analytics', clusterProps());
    cluster.addWorkerPool('general', { count: 3, flavor: XLARGE, localVolumeGiB: 200 });
    cluster.addWorkerPool('plain', { count: 2, flavor: XLARGE });
    const servers = resourcesOf(Testing.synth(stack), 'openstack_compute_instance_v2');
    const pool = (id: string) => Object.entries(servers).find(([name]) => name.includes(`Workers_${id}_`))![1];
    const general = pool('general');
    // The volume with the server's own key: the bootstrap finds the disk by its serial.
    expect((general.metadata as Record<string, string>)['spark:local-volume']).toMatch(
      /^\$\{openstack_blockstorage_volume_v3\.analytics_Workers_general_Volumes_\w+\[each\.key\]\.id\}$/,
    );
    expect(general.for_each).toMatch(/^\$\{openstack_networking_port_v2\.analytics_Workers_general_Ports_\w+\}$/);
    expect(general.user_data).not.toMatch(/blockstorage_volume|each\.key/);
    expect(Object.keys(pool('plain').metadata as object)).not.toContain('spark:local-volume');
    const master = Object.entries(servers).find(([name]) => name.includes('Master'))![1];
    expect(Object.keys(master.metadata as object)).not.toContain('spark:local-volume');
  });

  it('uses soft anti-affinity by default, and no server group when asked', () => {
    const stack = newStack();
    const cluster = new SparkCluster(stack, 'analytics', clusterProps());
    cluster.addWorkerPool('general', { count: 2, flavor: XLARGE });
    cluster.addWorkerPool('loose', { count: 2, flavor: XLARGE, placement: Placement.NONE });
    cluster.addWorkerPool('strict', { count: 2, flavor: XLARGE, placement: Placement.ANTI_AFFINITY });
    const groups = Object.values(resourcesOf(Testing.synth(stack), 'openstack_compute_servergroup_v2'));
    expect(groups.map((g) => [g.name, g.policies]).sort()).toEqual([
      ['analytics-general', ['soft-anti-affinity']],
      ['analytics-strict', ['anti-affinity']],
    ]);
  });

  it('splits a pool over server groups of at most serverGroupMaxMembers, in order of the workers', () => {
    const hintsOf = (count: number, serverGroupMaxMembers?: number) => {
      const stack = newStack();
      const cluster = new SparkCluster(stack, 'analytics', clusterProps());
      cluster.addWorkerPool('general', { count, flavor: XLARGE, serverGroupMaxMembers });
      const synthesized = Testing.synth(stack);
      const groups = Object.values(resourcesOf(synthesized, 'openstack_compute_servergroup_v2'));
      const [servers] = Object.values(resourcesOf(synthesized, 'openstack_compute_instance_v2')).filter(
        (s) => s.for_each,
      );
      return { groups, hint: (servers.scheduler_hints as { group: string }[])[0].group };
    };
    // Up to Nova's default quota of 10 members: one group, referenced directly.
    const ten = hintsOf(10);
    expect(ten.groups).toEqual([{ name: 'analytics-general', policies: ['soft-anti-affinity'] }]);
    expect(ten.hint).toMatch(/^\$\{openstack_compute_servergroup_v2\.analytics_Workers_general_ServerGroup_\w+\.id\}$/);
    // 25 workers: the first group keeps its address; two more groups hold 11-20 and 21-25.
    const many = hintsOf(25);
    expect(many.groups).toEqual([
      expect.objectContaining({ for_each: '${toset(["2", "3"])}', name: 'analytics-general-${each.value}' }),
      { name: 'analytics-general', policies: ['soft-anti-affinity'] },
    ]);
    const groupOf = (key: string) =>
      new RegExp(`"${key}" = openstack_compute_servergroup_v2\\.([^,}]+)`).exec(many.hint)?.[1];
    expect(groupOf('general-1')).toMatch(/^analytics_Workers_general_ServerGroup_\w+\.id$/);
    expect(groupOf('general-10')).toMatch(/^analytics_Workers_general_ServerGroup_\w+\.id$/);
    expect(groupOf('general-11')).toMatch(/MoreServerGroups_\w+\["2"\]\.id$/);
    expect(groupOf('general-20')).toMatch(/MoreServerGroups_\w+\["2"\]\.id$/);
    expect(groupOf('general-21')).toMatch(/MoreServerGroups_\w+\["3"\]\.id$/);
    expect(many.hint).toMatch(/\[each\.key\]\}$/);
    // A cloud with a larger quota can say so.
    expect(hintsOf(25, 25).groups).toHaveLength(1);
    expect(() => hintsOf(3, 0)).toThrow(/serverGroupMaxMembers must be a whole number >= 1, got 0/);
  });

  it('growing a pool past one server group adds a group and the new worker, and moves no existing worker', () => {
    // A real plan against the state the 10-worker pool would have left.
    const at = (count: number) => {
      const stack = newStack();
      new SparkCluster(stack, 'analytics', clusterProps()).addWorkerPool('general', { count, flavor: XLARGE });
      return stack;
    };
    const { byAction } = planChange(at(10), at(11));
    expect(byAction).toEqual({
      create: [
        'openstack_compute_instance_v2.analytics_Workers_general_Servers["general-11"]',
        'openstack_compute_servergroup_v2.analytics_Workers_general_MoreServerGroups["2"]',
        'openstack_networking_port_v2.analytics_Workers_general_Ports["general-11"]',
      ],
    });
  });

  it.each([
    [
      { count: 0 },
      'analytics/Workers/general: count must be a whole number from 1 to 1000, got 0. Remove the pool or set count: 1.',
    ],
    [
      { count: 1001 },
      'analytics/Workers/general: count must be a whole number from 1 to 1000, got 1001. Split the workers over several pools.',
    ],
    [{ count: 2.5 }, /count must be a whole number from 1 to 1000, got 2\.5/],
    [{ localVolumeGiB: 0 }, /localVolumeGiB must be a whole number of GiB from 1 to 1048576, got 0/],
    [{ localVolumeGiB: -5 }, /localVolumeGiB must be a whole number of GiB from 1 to 1048576, got -5/],
    [{ volumeType: 'ssd' }, /volumeType is set but there is no volume/],
    [{ metadata: { 'bad key!': 'x' } }, /metadata keys must be 1-255 letters/],
    [
      { flavor: Flavor.of({ name: 'm1.tiny', vcpus: 1, ramMiB: 512 }) },
      /analytics\/Workers\/general: flavor m1\.tiny \(1 vCPU, 512 MiB\) is too small for a Spark worker/,
    ],
  ])('throws on %j', (options, message) => {
    const cluster = new SparkCluster(newStack(), 'analytics', clusterProps());
    expect(() => cluster.addWorkerPool('general', { count: 2, flavor: LARGE, ...options })).toThrow(message);
  });

  it('throws on a pool id that cannot be part of a server name', () => {
    const cluster = new SparkCluster(newStack(), 'analytics', clusterProps());
    expect(() => cluster.addWorkerPool('GPU Pool', { count: 1, flavor: LARGE })).toThrow(
      /analytics\/Workers\/GPU Pool: pool id must be 1-40 lower-case letters/,
    );
  });
});

describe('SparkWorkerPool with a looked-up flavor', () => {
  it('sizes workers with Terraform expressions that tofu validates', () => {
    const stack = newStack();
    const cluster = new SparkCluster(stack, 'analytics', clusterProps());
    cluster.addWorkerPool('general', { count: 2, flavor: XLARGE });
    cluster.addWorkerPool('looked', {
      count: 2,
      flavor: Flavor.fromLookup(stack, 'BigFlavor', { name: 'r1.4xlarge' }),
    });
    const synthesized = Testing.synth(stack);
    const servers = resourcesOf(synthesized, 'openstack_compute_instance_v2');
    const looked = Object.entries(servers).find(([name]) => name.includes('Workers_looked'))![1];
    expect(looked.flavor_name).toBe('r1.4xlarge');
    // The node sizes itself at boot from the looked-up flavor's numbers (worker-sizing.sh).
    expect(looked.user_data).toMatch(/SPARK_FLAVOR_VCPUS=\$\{data\.openstack_compute_flavor_v2\.\w+\.vcpus\}\n/);
    expect(looked.user_data).toMatch(/SPARK_FLAVOR_RAM_MIB=\$\{data\.openstack_compute_flavor_v2\.\w+\.ram\}\n/);
    expect(looked.user_data).toMatch(
      /spark\.executor\.memory \$\{min\(6237, local\.analytics_Workers_looked_ExecutorMemory_\w+\)\}m/,
    );
    expect(tofuFor(stack).validate()).toEqual([]);
  });
});
