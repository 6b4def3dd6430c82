import { Flavor, Placement, SparkCluster } from '../lib';
import { renderNeeds, stackNeeds } from '../scripts/stack-needs';
import { clusterProps, newStack, XLARGE } from './support/fixtures';
import { tofuFor } from './support/harness';

describe('what a stack needs from the cloud', () => {
  it('counts servers by flavor, volumes, floating IPs, groups with their rules, and server groups from a real plan', () => {
    const stack = newStack();
    const cluster = new SparkCluster(stack, 'analytics', clusterProps({ access: { webUiFrom: ['203.0.113.0/24'] } }));
    cluster.addWorkerPool('general', { count: 12, flavor: XLARGE, localVolumeGiB: 100 });
    cluster.addWorkerPool('highmem', {
      count: 2,
      flavor: Flavor.of({ name: 'r1.2xlarge', vcpus: 8, ramMiB: 65536 }),
      placement: Placement.ANTI_AFFINITY,
    });
    const needs = stackNeeds(tofuFor(stack).plan());
    expect(needs).toMatchObject({
      serversByFlavor: { 'm1.large': 1, 'm1.xlarge': 12, 'r1.2xlarge': 2 },
      volumes: 12,
      volumeGiB: 1200,
      securityGroups: 3,
      // 12 workers: two groups of at most Nova's default 10 members, and one for highmem.
      serverGroupsByPolicy: { 'soft-anti-affinity': 2, 'anti-affinity': 1 },
    });
    expect(needs.securityGroupRules).toBeGreaterThan(6);
    expect(renderNeeds(needs)).toMatch(
      /^Needs from the cloud once applied: 15 server\(s\) \(1 × m1\.large, 12 × m1\.xlarge, 2 × r1\.2xlarge\), 12 volume\(s\) of 1200 GiB in all, .*anti-affinity policy needs a compute host for each of its servers\.$/,
    );
  });
});
