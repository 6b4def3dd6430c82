import { Peer, SparkCluster, UserDataChangePolicy } from '../lib';
import { renderMarkdown, renderText } from '../scripts/plan-review';
import { planChange } from './support/change';
import { clusterProps, LARGE, newStack, XLARGE } from './support/fixtures';

// Each test plans with the real tofu and provider against "a state made without a cloud":
// the state the previous configuration would have left (scripts/offline-state.ts).

type Options = {
  count?: number;
  props?: Parameters<typeof clusterProps>[0];
  extraPool?: boolean;
  protectVolumes?: boolean;
};

function cluster({ count = 3, props = {}, extraPool = false, protectVolumes = false }: Options = {}) {
  const stack = newStack();
  const c = new SparkCluster(stack, 'analytics', clusterProps({ access: { webUiFrom: ['203.0.113.0/24'] }, ...props }));
  c.addWorkerPool('general', { count, flavor: XLARGE, localVolumeGiB: 100, protectVolumes });
  if (extraPool) c.addWorkerPool('highmem', { count: 2, flavor: LARGE });
  return { stack, cluster: c };
}

const worker = (type: string, what: string, key: string) => `${type}.analytics_Workers_general_${what}["${key}"]`;

/** Everything one worker of the pool consists of (server, port, volume, attachment), sorted by address. */
const workerResources = (...keys: string[]) =>
  [
    ['openstack_blockstorage_volume_v3', 'Volumes'],
    ['openstack_compute_instance_v2', 'Servers'],
    ['openstack_compute_volume_attach_v2', 'VolumeAttachments'],
    ['openstack_networking_port_v2', 'Ports'],
  ].flatMap(([type, what]) => keys.map((key) => worker(type, what, key)));

describe('change safety (real plans against a state made without a cloud)', () => {
  it('scaling a pool 3 -> 5 creates two workers with their ports and volumes, and touches nothing else', () => {
    const { byAction, review } = planChange(cluster({ count: 3 }).stack, cluster({ count: 5 }).stack);
    expect(byAction).toEqual({
      create: workerResources('general-4', 'general-5'),
    });
    expect(review.findings).toEqual([]);
    const markdown = renderMarkdown(review);
    expect(markdown).toContain('**8 to add, 0 to change, 0 to replace, 0 to destroy**');
    expect(markdown).toMatch(/\| analytics \/ pool general \| servers +\| +2 \|/);
    expect(markdown).toMatch(/\| analytics \/ pool general \| volumes +\| +4 \|/);
    expect(markdown).toContain('No data loss, no widened access, no secret changes.');
    // The review as a person sees it, kept in the test log (and quoted in the docs).
    console.log(`${renderText(review)}\n\n${markdown}`);
  });

  it('scaling 5 -> 3 destroys only the last two workers, their ports and their scratch volumes, and says so', () => {
    const { byAction, review } = planChange(cluster({ count: 5 }).stack, cluster({ count: 3 }).stack);
    expect(byAction).toEqual({
      delete: workerResources('general-4', 'general-5'),
    });
    expect(review.findings.map((f) => f.category)).toEqual(['destroy', 'destroy', 'destroy', 'destroy']);
  });

  it('scaling down a pool whose volumes are protected fails the plan instead of destroying them', () => {
    expect(() =>
      planChange(cluster({ count: 5, protectVolumes: true }).stack, cluster({ count: 3, protectVolumes: true }).stack),
    ).toThrow(/Resource instance cannot be destroyed[\s\S]*Volumes/);
  });

  it('adding a second pool only creates resources', () => {
    const { byAction, review } = planChange(cluster().stack, cluster({ extraPool: true }).stack);
    expect(Object.keys(byAction)).toEqual(['create']);
    expect(byAction.create.every((a) => a.includes('Workers_highmem'))).toBe(true);
    expect(byAction.create).toHaveLength(5); // the server group, two ports, two servers
    expect(review.findings).toEqual([]);
  });

  it('changing a Spark setting changes nothing on existing servers under the default policy', () => {
    const { byAction } = planChange(
      cluster().stack,
      cluster({ props: { sparkConf: { 'spark.sql.shuffle.partitions': '800' } } }).stack,
    );
    expect(byAction).toEqual({});
  });

  it('changing a Spark setting replaces every server (and re-attaches its volume) under REPLACE, and flags it', () => {
    const replace = { userDataPolicy: UserDataChangePolicy.REPLACE };
    const { byAction, review } = planChange(
      cluster({ props: replace }).stack,
      cluster({ props: { ...replace, sparkConf: { 'spark.sql.shuffle.partitions': '800' } } }).stack,
    );
    expect(byAction).toEqual({
      replace: [
        'openstack_compute_instance_v2.analytics_Master_Server',
        worker('openstack_compute_instance_v2', 'Servers', 'general-1'),
        worker('openstack_compute_instance_v2', 'Servers', 'general-2'),
        worker('openstack_compute_instance_v2', 'Servers', 'general-3'),
        // The volumes stay; their attachments follow the new servers.
        worker('openstack_compute_volume_attach_v2', 'VolumeAttachments', 'general-1'),
        worker('openstack_compute_volume_attach_v2', 'VolumeAttachments', 'general-2'),
        worker('openstack_compute_volume_attach_v2', 'VolumeAttachments', 'general-3'),
      ],
    });
    expect(review.findings.filter((f) => f.category === 'replace')).toHaveLength(4);
    expect(review.findings.filter((f) => f.category === 'secret').map((f) => f.message)).toEqual(
      Array(4).fill('secret-bearing user_data changes (value not shown)'),
    );
  });

  it('opening the UI to a new CIDR only adds rules, each flagged as widening access', () => {
    const before = cluster();
    const after = cluster();
    after.cluster.allowWebUiFrom(Peer.ipv4('198.51.100.0/24'));
    const { byAction, review } = planChange(before.stack, after.stack);
    expect(Object.keys(byAction)).toEqual(['create']);
    expect(
      byAction.create.every(
        (a) => a.startsWith('openstack_networking_secgroup_rule_v2.') && a.includes('198_51_100_0_24'),
      ),
    ).toBe(true);
    // No object storage in this cluster, so no history-server rule.
    expect(review.findings.map((f) => [f.category, f.message]).sort()).toEqual([
      ['widen', 'allows tcp 4040-4049 from 198.51.100.0/24'],
      ['widen', 'allows tcp 8080-8080 from 198.51.100.0/24'],
      ['widen', 'allows tcp 8081-8081 from 198.51.100.0/24'],
    ]);
    expect(byAction.create).toHaveLength(3);
  });
});
