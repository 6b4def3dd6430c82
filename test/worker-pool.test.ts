import { Testing } from 'cdktf';
import { Flavor, Placement, SparkCluster } from '../lib';
import { clusterProps, clusterWithWorkers, LARGE, newStack, resourcesOf, XLARGE } from './support/fixtures';
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
    expect(looked.user_data).toMatch(/SPARK_WORKER_CORES=\$\{local\.analytics_Workers_looked_WorkerCores_\w+\}\n/);
    expect(looked.user_data).toMatch(
      /spark\.executor\.memory \$\{min\(6237, local\.analytics_Workers_looked_ExecutorMemory_\w+\)\}m/,
    );
    expect(tofuFor(stack).validate()).toEqual([]);
  });
});
