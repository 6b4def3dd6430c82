/**
 * What a planned stack needs from the cloud once applied: servers by flavor, volumes,
 * floating IPs, security groups and rules (with the egress rules Neutron adds), and server
 * groups by policy. `npm run plan` prints it under the review, so the quotas and flavors a
 * deploy needs are known before the first apply meets them.
 */
import { PlanJson } from './tofu';

interface PlannedResource {
  readonly type: string;
  readonly values: Record<string, unknown>;
}

export interface StackNeeds {
  readonly serversByFlavor: Record<string, number>;
  readonly volumes: number;
  readonly volumeGiB: number;
  readonly floatingIps: number;
  readonly securityGroups: number;
  /** Ingress rules the stack declares plus the two egress rules Neutron adds to each group. */
  readonly securityGroupRules: number;
  readonly serverGroupsByPolicy: Record<string, number>;
}

function plannedResources(plan: PlanJson): PlannedResource[] {
  const out: PlannedResource[] = [];
  const walk = (module: unknown) => {
    const m = module as { resources?: PlannedResource[]; child_modules?: unknown[] } | undefined;
    out.push(...(m?.resources ?? []));
    for (const child of m?.child_modules ?? []) walk(child);
  };
  walk(plan.planned_values?.root_module);
  return out;
}

export function stackNeeds(plan: PlanJson): StackNeeds {
  const resources = plannedResources(plan);
  const of = (type: string) => resources.filter((r) => r.type === type);
  const count = (values: string[]) =>
    values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
  const volumes = of('openstack_blockstorage_volume_v3');
  const groups = of('openstack_networking_secgroup_v2').length;
  return {
    serversByFlavor: count(of('openstack_compute_instance_v2').map((r) => String(r.values.flavor_name ?? '?'))),
    volumes: volumes.length,
    volumeGiB: volumes.reduce((sum, v) => sum + Number(v.values.size ?? 0), 0),
    floatingIps: of('openstack_networking_floatingip_v2').length,
    securityGroups: groups,
    securityGroupRules: of('openstack_networking_secgroup_rule_v2').length + 2 * groups,
    serverGroupsByPolicy: count(
      of('openstack_compute_servergroup_v2').map((r) =>
        String((r.values.policies as string[] | undefined)?.[0] ?? '?'),
      ),
    ),
  };
}

/** One paragraph: `Needs from the cloud: 4 servers (1 × m1.large, 3 × m1.xlarge), ...`. */
export function renderNeeds(needs: StackNeeds): string {
  const list = (byName: Record<string, number>) =>
    Object.entries(byName)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, n]) => `${n} × ${name}`)
      .join(', ');
  const servers = Object.values(needs.serversByFlavor).reduce((a, b) => a + b, 0);
  const serverGroups = Object.values(needs.serverGroupsByPolicy).reduce((a, b) => a + b, 0);
  const parts = [
    `${servers} server(s)${servers ? ` (${list(needs.serversByFlavor)})` : ''}`,
    `${needs.volumes} volume(s) of ${needs.volumeGiB} GiB in all`,
    `${needs.floatingIps} floating IP(s)`,
    `${needs.securityGroups} security group(s) with ${needs.securityGroupRules} rules (Neutron's egress rules included)`,
    `${serverGroups} server group(s)${serverGroups ? ` (${list(needs.serverGroupsByPolicy)})` : ''}`,
  ];
  const hard = needs.serverGroupsByPolicy['anti-affinity']
    ? ' A server group with the anti-affinity policy needs a compute host for each of its servers.'
    : '';
  return `Needs from the cloud once applied: ${parts.join(', ')}. Check the flavors exist and the project's quotas (cores and RAM of those flavors, instances, volumes and gigabytes, server_groups and server_group_members: Nova's defaults are 10 of each) allow it.${hard}`;
}
