/**
 * Turns a `tofu show -json` plan into a review a person reads in seconds: per cluster and
 * per worker pool, what is added, changed, replaced and destroyed, and loud findings for
 * data loss, widened network access and changed secrets (never their values).
 */
import Table from 'cli-table3';
import markdownTable from 'markdown-table';
import { coversInternet, IpBlock, parseCidr } from '../lib/private/cidr';
import { PlanJson, ResourceChange } from './tofu';

/** Kinds of finding; `--fail-on` takes a list of them. */
export const CATEGORIES = ['replace', 'destroy', 'widen', 'secret'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Finding {
  readonly category: Category;
  readonly address: string;
  readonly message: string;
}

const ACTIONS = ['add', 'change', 'replace', 'destroy'] as const;
type Action = (typeof ACTIONS)[number];

const KINDS = ['servers', 'volumes', 'ports', 'rules', 'containers', 'network', 'other'] as const;
type Kind = (typeof KINDS)[number];

export interface GroupSummary {
  /** `analytics`, `analytics / pool general`, ... */
  readonly group: string;
  readonly counts: Record<Kind, Record<Action, number>>;
}

export interface Review {
  readonly stack: string;
  readonly groups: GroupSummary[];
  readonly findings: Finding[];
  readonly totals: Record<Action, number>;
}

const KIND_OF: Record<string, Kind> = {
  openstack_compute_instance_v2: 'servers',
  openstack_blockstorage_volume_v3: 'volumes',
  openstack_compute_volume_attach_v2: 'volumes',
  openstack_networking_port_v2: 'ports',
  openstack_networking_secgroup_rule_v2: 'rules',
  openstack_networking_secgroup_v2: 'rules',
  openstack_objectstorage_container_v1: 'containers',
  openstack_objectstorage_object_v1: 'containers',
  openstack_networking_network_v2: 'network',
  openstack_networking_subnet_v2: 'network',
  openstack_networking_router_v2: 'network',
  openstack_networking_router_interface_v2: 'network',
  openstack_networking_floatingip_v2: 'network',
  openstack_networking_floatingip_associate_v2: 'network',
};

/** Types whose replacement or destruction loses data. */
const DATA_TYPES = new Set([
  'openstack_compute_instance_v2',
  'openstack_blockstorage_volume_v3',
  'openstack_objectstorage_container_v1',
]);
/** Types that are secrets themselves: replacing them rotates a secret. */
const SECRET_TYPES = new Set(['terraform_data', 'openstack_identity_ec2_credential_v3']);

/**
 * A rule's remote prefix as Neutron reads it (`0.0.0.0/00`, `::0/0` and `1.2.3.4/0` are all
 * "everyone"); undefined for no prefix or text that is no CIDR.
 */
function blockOf(prefix: unknown): IpBlock | undefined {
  return typeof prefix === 'string' ? parseCidr(prefix) : undefined;
}

export function actionOf(rc: ResourceChange): Action | undefined {
  const a = rc.change.actions;
  if (a.includes('delete') && a.includes('create')) return 'replace';
  if (a.includes('create')) return 'add';
  if (a.includes('update')) return 'change';
  if (a.includes('delete')) return 'destroy';
  return undefined;
}

/** The construct path cdktf recorded for a resource (`stack/cluster/Workers/pool/...`). */
function constructPath(config: CdktfConfig, rc: ResourceChange): string | undefined {
  return config.resource?.[rc.type]?.[rc.name]?.['//']?.metadata?.path;
}

interface CdktfConfig {
  resource?: Record<string, Record<string, { '//'?: { metadata?: { path?: string } } }>>;
}

function groupOf(path: string | undefined): string {
  if (!path) return '(outside any construct)';
  const [, top, child, pool] = path.split('/');
  return child === 'Workers' && pool ? `${top} / pool ${pool}` : (top ?? path);
}

function emptyCounts(): Record<Kind, Record<Action, number>> {
  return Object.fromEntries(KINDS.map((k) => [k, Object.fromEntries(ACTIONS.map((a) => [a, 0]))])) as Record<
    Kind,
    Record<Action, number>
  >;
}

/** Top-level attributes marked sensitive before or after whose value may change. */
function changedSecrets(rc: ResourceChange): string[] {
  const marks = (m: unknown) => (m && typeof m === 'object' ? (m as Record<string, unknown>) : {});
  const before = rc.change.before ?? {};
  const after = rc.change.after ?? {};
  const unknown = rc.change.after_unknown ?? {};
  const names = new Set([
    ...Object.keys(marks(rc.change.before_sensitive)),
    ...Object.keys(marks(rc.change.after_sensitive)),
  ]);
  return [...names].filter((name) => {
    const sensitive =
      marks(rc.change.before_sensitive)[name] === true || marks(rc.change.after_sensitive)[name] === true;
    return sensitive && (unknown[name] === true || JSON.stringify(before[name]) !== JSON.stringify(after[name]));
  });
}

function ruleFindings(rc: ResourceChange, action: Action): Finding[] {
  if (
    rc.type !== 'openstack_networking_secgroup_rule_v2' ||
    (action !== 'add' && action !== 'replace' && action !== 'change')
  )
    return [];
  const after = rc.change.after ?? {};
  if (after.direction !== 'ingress') return [];
  const prefix = after.remote_ip_prefix as string | null | undefined;
  const ports = after.port_range_min
    ? `${after.protocol} ${after.port_range_min}-${after.port_range_max}`
    : `${after.protocol ?? 'any protocol'}`;
  const groupKnown = after.remote_group_id !== undefined && after.remote_group_id !== null;
  const groupUnknown = (rc.change.after_unknown ?? {}).remote_group_id === true;
  const block = blockOf(prefix);
  if (prefix && block && (block.prefix === 0 || coversInternet([block], block.version))) {
    const reads =
      block.prefix !== 0
        ? ', every public address'
        : block.canonical === prefix
          ? ''
          : `, which reads as ${block.canonical}`;
    return [
      { category: 'widen', address: rc.address, message: `opens ${ports} to the whole internet (${prefix}${reads})` },
    ];
  }
  if (!prefix && !groupKnown && !groupUnknown) {
    return [
      {
        category: 'widen',
        address: rc.address,
        message: `opens ${ports} to anyone: the rule has neither a CIDR nor a group`,
      },
    ];
  }
  const before = blockOf((rc.change.before ?? {}).remote_ip_prefix);
  if (prefix && (block === undefined || block.canonical !== before?.canonical)) {
    return [{ category: 'widen', address: rc.address, message: `allows ${ports} from ${prefix}` }];
  }
  return [];
}

const ANY_PROTOCOL = 'any-protocol';

interface PlannedRule {
  readonly rc: ResourceChange;
  readonly changed: boolean;
  readonly block: IpBlock;
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Rules that only together open a port to every address (`0.0.0.0/1` + `128.0.0.0/1`):
 * per security group, address family and protocol, the ingress rules the plan leaves in
 * place, judged on every port where a range starts. Reported when one of them changes.
 */
function coverageFindings(plan: PlanJson, config: CdktfConfig): Finding[] {
  const groups = new Map<string, PlannedRule[]>();
  for (const rc of plan.resource_changes ?? []) {
    const after = rc.change.after;
    const action = actionOf(rc);
    if (rc.type !== 'openstack_networking_secgroup_rule_v2' || !after || after.direction !== 'ingress') continue;
    const block = blockOf(after.remote_ip_prefix);
    if (!block || block.prefix === 0 || coversInternet([block], block.version)) continue; // reported rule by rule
    const path = constructPath(config, rc);
    const group =
      typeof after.security_group_id === 'string'
        ? after.security_group_id
        : path
          ? path.split('/').slice(0, -1).join('/')
          : '(unknown group)';
    const protocol = typeof after.protocol === 'string' && after.protocol !== '' ? after.protocol : ANY_PROTOCOL;
    const from = typeof after.port_range_min === 'number' && after.port_range_min > 0 ? after.port_range_min : 1;
    const to = typeof after.port_range_max === 'number' && after.port_range_max > 0 ? after.port_range_max : 65535;
    const key = `${group} IPv${block.version} ${protocol}`;
    const rule = { rc, changed: action !== undefined && action !== 'destroy', block, protocol, from, to };
    groups.set(key, [...(groups.get(key) ?? []), rule]);
  }
  // A rule without a protocol admits every protocol: it counts with the tcp, udp... rules too.
  for (const [key, rules] of groups) {
    if (key.endsWith(` ${ANY_PROTOCOL}`)) continue;
    const any = groups.get(key.replace(/ [^ ]+$/, ` ${ANY_PROTOCOL}`)) ?? [];
    groups.set(key, [...rules, ...any]);
  }
  const findings: Finding[] = [];
  for (const rules of groups.values()) {
    for (const at of new Set(rules.map((r) => r.from))) {
      const applying = rules.filter((r) => r.from <= at && at <= r.to);
      const { version } = applying[0].block;
      const changed = applying.filter((r) => r.changed);
      if (
        changed.length === 0 ||
        !coversInternet(
          applying.map((r) => r.block),
          version,
        )
      )
        continue;
      const blocks = applying.map((r) => r.block.canonical).join(' + ');
      findings.push({
        category: 'widen',
        address: changed[changed.length - 1].rc.address,
        message: `with ${applying.length - 1} other rule(s), opens ${applying[0].protocol === ANY_PROTOCOL ? 'every protocol' : `${applying[0].protocol} ${at}`} to every public IPv${version} address (${blocks})`,
      });
      break;
    }
  }
  return findings;
}

/** Reviews one stack's plan; `config` is the stack's synthesized cdk.tf.json. */
export function reviewPlan(stack: string, plan: PlanJson, config: CdktfConfig): Review {
  const groups = new Map<string, GroupSummary>();
  const findings: Finding[] = [];
  const totals = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;

  for (const rc of plan.resource_changes ?? []) {
    const action = actionOf(rc);
    if (!action) continue;
    totals[action] += 1;
    const group = groupOf(constructPath(config, rc));
    const summary = groups.get(group) ?? { group, counts: emptyCounts() };
    groups.set(group, summary);
    summary.counts[KIND_OF[rc.type] ?? 'other'][action] += 1;

    if ((action === 'replace' || action === 'destroy') && DATA_TYPES.has(rc.type)) {
      const what =
        rc.type === 'openstack_compute_instance_v2' ? 'server' : rc.type.includes('volume') ? 'volume' : 'container';
      const verb = action === 'replace' ? 'replaced' : 'destroyed';
      findings.push({ category: action, address: rc.address, message: `${what} will be ${verb}: its data is lost` });
    }
    findings.push(...ruleFindings(rc, action));
    if (action === 'add' && rc.type === 'openstack_networking_floatingip_v2') {
      findings.push({ category: 'widen', address: rc.address, message: 'adds a public (floating) IP address' });
    }
    if (action === 'change' || action === 'replace') {
      for (const name of changedSecrets(rc)) {
        findings.push({
          category: 'secret',
          address: rc.address,
          message: `secret-bearing ${name} changes (value not shown)`,
        });
      }
      if (action === 'replace' && SECRET_TYPES.has(rc.type)) {
        findings.push({
          category: 'secret',
          address: rc.address,
          message: 'a secret is regenerated: every node using it needs the new one',
        });
      }
    }
  }
  findings.push(...coverageFindings(plan, config));
  return { stack, groups: [...groups.values()].sort((a, b) => a.group.localeCompare(b.group)), findings, totals };
}

/** The findings in the given categories: what makes `--fail-on` exit non-zero. */
export function failing(review: Review, failOn: readonly Category[]): Finding[] {
  return review.findings.filter((f) => failOn.includes(f.category));
}

function rows(review: Review): string[][] {
  const out: string[][] = [];
  for (const g of review.groups) {
    for (const kind of KINDS) {
      const c = g.counts[kind];
      if (ACTIONS.some((a) => c[a] > 0)) {
        out.push([g.group, kind, ...ACTIONS.map((a) => (c[a] ? String(c[a]) : ''))]);
      }
    }
  }
  return out;
}

const HEADER = ['Cluster / pool', 'Kind', 'Add', 'Change', 'Replace', 'Destroy'];
const LABEL: Record<Category, string> = {
  replace: 'REPLACE',
  destroy: 'DESTROY',
  widen: 'WIDENS ACCESS',
  secret: 'SECRET',
};

function summaryLine(review: Review): string {
  const t = review.totals;
  return `${t.add} to add, ${t.change} to change, ${t.replace} to replace, ${t.destroy} to destroy`;
}

/** The review for a terminal. */
export function renderText(review: Review): string {
  const lines = [`Plan review for stack ${review.stack}: ${summaryLine(review)}`];
  const table = rows(review);
  if (table.length > 0) {
    const t = new Table({ head: HEADER, style: { head: [], border: [], compact: true } });
    t.push(...table);
    lines.push(t.toString());
  } else {
    lines.push('No changes.');
  }
  for (const f of review.findings) lines.push(`!! ${LABEL[f.category]}: ${f.address}: ${f.message}`);
  if (review.findings.length === 0 && table.length > 0)
    lines.push('No data loss, no widened access, no secret changes.');
  return lines.join('\n');
}

/** The review as Markdown, for a pull-request comment. */
export function renderMarkdown(review: Review): string {
  const lines = [`### Plan review: \`${review.stack}\``, '', `**${summaryLine(review)}**`, ''];
  const table = rows(review);
  lines.push(
    table.length > 0 ? markdownTable([HEADER, ...table], { align: ['l', 'l', 'r', 'r', 'r', 'r'] }) : 'No changes.',
    '',
  );
  if (review.findings.length > 0) {
    lines.push('#### :warning: Needs attention', '');
    for (const f of review.findings) lines.push(`- **${LABEL[f.category]}** \`${f.address}\`: ${f.message}`);
  } else if (table.length > 0) {
    lines.push('No data loss, no widened access, no secret changes.');
  }
  return lines.join('\n') + '\n';
}
