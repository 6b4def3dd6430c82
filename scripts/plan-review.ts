/**
 * Turns a `tofu show -json` plan into a review a person reads in seconds: per cluster and
 * per worker pool, what is added, changed, replaced and destroyed, and loud findings for
 * what the changes do on OpenStack: data loss, servers rebuilt or resized in place, public
 * addresses lost, key pairs replaced, containers Swift cannot rename, widened network
 * access, changed secrets (never their values), and running servers that will not get a
 * change of their configuration (drift). Each finding says what happens and what to do.
 */
import Table from 'cli-table3';
import markdownTable from 'markdown-table';
import { parseSettingsRecord, SettingsRecord, SETTINGS_METADATA_KEY } from '../lib/private/settings-record';
import { coversInternet, IpBlock, parseCidr } from '../lib/private/cidr';
import { AddressBlock, covers, formatBlock, parseBlock } from './review-cidr';
import { PlanJson, ResourceChange } from './tofu';

/** Kinds of finding; `--fail-on` takes a list of them. */
export const CATEGORIES = [
  'replace',
  'destroy',
  'rebuild',
  'resize',
  'address',
  'keypair',
  'rename',
  'widen',
  'secret',
  'drift',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Finding {
  readonly category: Category;
  readonly address: string;
  /** What the change does. */
  readonly message: string;
  /** What to do instead, when there is a better way. */
  readonly advice?: string;
  /** Every resource instance the finding is about, when it names several in `address`. */
  readonly resources?: string[];
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

const SERVER = 'openstack_compute_instance_v2';
const RULE = 'openstack_networking_secgroup_rule_v2';
/** Types whose replacement or destruction loses data. */
const DATA_TYPES = new Set([SERVER, 'openstack_blockstorage_volume_v3', 'openstack_objectstorage_container_v1']);
/** Types that are secrets themselves: replacing them rotates a secret. */
const SECRET_TYPES = new Set(['terraform_data', 'openstack_identity_ec2_credential_v3']);
const ROLLOUT = 'npm run rollout -- <stack>';

export function actionOf(rc: ResourceChange): Action | undefined {
  const a = rc.change.actions;
  if (a.includes('delete') && a.includes('create')) return 'replace';
  if (a.includes('create')) return 'add';
  if (a.includes('update')) return 'change';
  if (a.includes('delete')) return 'destroy';
  return undefined;
}

interface CdktfResource {
  '//'?: { metadata?: { path?: string } };
  metadata?: Record<string, unknown>;
}

/** The parts of a synthesized cdk.tf.json the review reads. */
export interface CdktfConfig {
  resource?: Record<string, Record<string, CdktfResource>>;
}

/** The construct path cdktf recorded for a resource (`stack/cluster/Workers/pool/...`). */
function constructPath(config: CdktfConfig, rc: ResourceChange): string | undefined {
  return config.resource?.[rc.type]?.[rc.name]?.['//']?.metadata?.path;
}

function groupOf(path: string | undefined): string {
  if (!path) return '(outside any construct)';
  const [, top, child, pool] = path.split('/');
  return child === 'Workers' && pool ? `${top} / pool ${pool}` : (top ?? path);
}

/** The cluster (top construct) a resource belongs to. */
function clusterOf(path: string | undefined): string | undefined {
  return path?.split('/')[1];
}

function emptyCounts(): Record<Kind, Record<Action, number>> {
  return Object.fromEntries(KINDS.map((k) => [k, Object.fromEntries(ACTIONS.map((a) => [a, 0]))])) as Record<
    Kind,
    Record<Action, number>
  >;
}

const before = (rc: ResourceChange): Record<string, unknown> => rc.change.before ?? {};
const after = (rc: ResourceChange): Record<string, unknown> => rc.change.after ?? {};
const unknownAfter = (rc: ResourceChange, name: string) => (rc.change.after_unknown ?? {})[name] === true;

/** Whether an attribute's value changes: known and different, or known before and unknown after. */
function changes(rc: ResourceChange, name: string): boolean {
  const b = before(rc)[name];
  if (unknownAfter(rc, name)) return b !== undefined && b !== null && b !== '';
  const a = after(rc)[name];
  return JSON.stringify(b ?? null) !== JSON.stringify(a ?? null);
}

/** `"x"` or `(known after apply)`. */
function shown(rc: ResourceChange, name: string): string {
  if (unknownAfter(rc, name)) return '(known after apply)';
  const a = after(rc)[name];
  return a === undefined || a === null || a === '' ? '(none)' : String(a);
}

/** Top-level attributes marked sensitive before or after whose value may change. */
function changedSecrets(rc: ResourceChange): string[] {
  const marks = (m: unknown) => (m && typeof m === 'object' ? (m as Record<string, unknown>) : {});
  const unknown = rc.change.after_unknown ?? {};
  const names = new Set([
    ...Object.keys(marks(rc.change.before_sensitive)),
    ...Object.keys(marks(rc.change.after_sensitive)),
  ]);
  return [...names].filter((name) => {
    const sensitive =
      marks(rc.change.before_sensitive)[name] === true || marks(rc.change.after_sensitive)[name] === true;
    return (
      sensitive && (unknown[name] === true || JSON.stringify(before(rc)[name]) !== JSON.stringify(after(rc)[name]))
    );
  });
}

// ---------------------------------------------------------------------------------------
// Security-group rules: compared as sets, by what they let in.

interface RuleCover {
  readonly group: unknown;
  readonly ethertype: string;
  readonly protocol: string | undefined;
  readonly from: number;
  readonly to: number;
  /** The address block, or undefined for a remote-group rule. */
  readonly block?: AddressBlock;
  readonly remoteGroup?: unknown;
}

function ruleCover(values: Record<string, unknown>, unknown: Record<string, unknown> = {}): RuleCover | undefined {
  if (values.direction !== 'ingress') return undefined;
  const ethertype = (values.ethertype as string | undefined) ?? 'IPv4';
  const min = Number(values.port_range_min ?? 0);
  const max = Number(values.port_range_max ?? 0);
  const prefix = values.remote_ip_prefix as string | null | undefined;
  const remoteGroup = unknown.remote_group_id === true ? undefined : values.remote_group_id;
  const hasGroup = unknown.remote_group_id === true || (remoteGroup !== undefined && remoteGroup !== null);
  // Neutron: a rule with neither prefix nor group admits every address of its ethertype.
  const block = prefix
    ? parseBlock(prefix)
    : hasGroup
      ? undefined
      : parseBlock(ethertype === 'IPv6' ? '::/0' : '0.0.0.0/0');
  return {
    group: unknown.security_group_id === true ? undefined : values.security_group_id,
    ethertype,
    protocol: (values.protocol as string | null | undefined) || undefined,
    from: min || 1,
    to: max || 65535,
    block,
    remoteGroup: hasGroup ? (remoteGroup ?? Symbol('unknown group')) : undefined,
  };
}

/** Whether `outer` (a rule that existed before) already let in everything `inner` does. */
function ruleCovers(outer: RuleCover, inner: RuleCover): boolean {
  if (outer.group === undefined || outer.group !== inner.group || outer.ethertype !== inner.ethertype) return false;
  if (outer.protocol !== undefined && outer.protocol !== inner.protocol) return false;
  if (outer.from > inner.from || outer.to < inner.to) return false;
  if (inner.block) return outer.block !== undefined && covers(outer.block, inner.block);
  return outer.remoteGroup !== undefined && outer.remoteGroup === inner.remoteGroup;
}

function portsOf(values: Record<string, unknown>): string {
  return values.port_range_min
    ? `${values.protocol} ${values.port_range_min}-${values.port_range_max}`
    : `${values.protocol ?? 'any protocol'}`;
}

function ruleFindings(rc: ResourceChange, action: Action, existing: RuleCover[]): Finding[] {
  if (rc.type !== RULE || (action !== 'add' && action !== 'replace' && action !== 'change')) return [];
  const values = after(rc);
  const cover = ruleCover(values, rc.change.after_unknown ?? {});
  if (!cover) return [];
  if (existing.some((old) => ruleCovers(old, cover))) return []; // narrower than, or equal to, what was open
  const ports = portsOf(values);
  const prefix = values.remote_ip_prefix as string | null | undefined;
  if (!cover.block) return []; // a remote-group rule: members of a group, not an address block
  const block = blockOf(prefix);
  const everyPublic = block !== undefined && block.prefix !== 0 && coversInternet([block], block.version);
  if (cover.block.prefix === 0 || everyPublic) {
    if (!prefix) {
      return [
        {
          category: 'widen',
          address: rc.address,
          message: `opens ${ports} to anyone: the rule has neither a CIDR nor a group`,
          advice: 'give the rule a remote_ip_prefix or a remote group',
        },
      ];
    }
    return [
      {
        category: 'widen',
        address: rc.address,
        message: `opens ${ports} to the whole internet (${prefix}${
          everyPublic
            ? ', every public address'
            : block && block.canonical !== prefix
              ? `, which reads as ${block.canonical}`
              : ''
        })`,
        advice: 'name only the networks that need access (access.sshFrom, webUiFrom, submitFrom)',
      },
    ];
  }
  const canonical = formatBlock(cover.block);
  const wider = existing.find(
    (old) =>
      old.group === cover.group &&
      old.ethertype === cover.ethertype &&
      old.block !== undefined &&
      covers(cover.block!, old.block) &&
      old.from <= cover.from &&
      old.to >= cover.to,
  );
  return [
    {
      category: 'widen',
      address: rc.address,
      message: wider
        ? `widens ${ports} from ${formatBlock(wider.block!)} to ${canonical}`
        : `allows ${ports} from ${canonical}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------
// Servers: what an in-place update does on Nova, and what running servers miss.

interface ServerNote {
  readonly category: Category;
  readonly rc: ResourceChange;
  readonly message: (count: number) => string;
  readonly advice?: string;
}

const roleOf = (rc: ResourceChange) =>
  ((before(rc).metadata ?? after(rc).metadata) as Record<string, unknown> | undefined)?.['spark:role'];

function these(count: number, what = 'server'): string {
  return count === 1 ? `this ${what}` : `these ${count} ${what}s at once, in the same apply`;
}

function inPlaceNotes(rc: ResourceChange): ServerNote[] {
  const notes: ServerNote[] = [];
  const master = roleOf(rc) === 'master';
  // Workers with a settings record came with the boot-time sizing (both arrived together).
  const sizesItself =
    (before(rc).metadata as Record<string, unknown> | undefined)?.[SETTINGS_METADATA_KEY] !== undefined;
  if (changes(rc, 'image_name') || (changes(rc, 'image_id') && !unknownAfter(rc, 'image_id'))) {
    const from = before(rc).image_name || before(rc).image_id;
    const to = changes(rc, 'image_name') ? shown(rc, 'image_name') : shown(rc, 'image_id');
    notes.push({
      category: 'rebuild',
      rc,
      message: (n) =>
        master
          ? `image ${from} -> ${to}: Nova REBUILDS the master in place: its root disk is wiped and re-imaged ` +
            '(Spark, logs, anything written to it is lost), it reboots and bootstraps again from the user data ' +
            'it was created with; every running application loses its master and fails'
          : `image ${from} -> ${to}: Nova REBUILDS in place ${these(n)}: ${n === 1 ? 'its' : 'each'} root disk is wiped and ` +
            `re-imaged (Spark, logs and local dirs on the root disk are lost), ${n === 1 ? 'it' : 'each'} reboots and bootstraps ` +
            'again from the user data it was created with; running applications lose their executors on them',
      advice:
        `roll the new image out a batch at a time (${ROLLOUT} replaces servers on it, workers first, ` +
        'the master last with --include-master), or give a new pool the image and scale the old one down',
    });
  }
  if (changes(rc, 'flavor_name') || (changes(rc, 'flavor_id') && !unknownAfter(rc, 'flavor_id'))) {
    const from = before(rc).flavor_name || before(rc).flavor_id;
    const to = changes(rc, 'flavor_name') ? shown(rc, 'flavor_name') : shown(rc, 'flavor_id');
    notes.push({
      category: 'resize',
      rc,
      message: (n) =>
        master
          ? `flavor ${from} -> ${to}: Nova RESIZES the master in place: it stops, may move to another ` +
            'hypervisor, and reboots; every running application loses its master and fails, and the ' +
            'workers re-register when it is back'
          : `flavor ${from} -> ${to}: Nova RESIZES in place ${these(n)}: ${n === 1 ? 'it' : 'each'} stops, may move to another ` +
            'hypervisor, and reboots; applications lose the executors (and shuffle files) on them. ' +
            (sizesItself
              ? 'On reboot each worker sizes itself from its new vCPUs and RAM'
              : 'They were created before workers sized themselves at boot: they keep advertising the ' +
                "old flavor's cores and memory"),
      advice: master
        ? 'resize the master when no application runs, or replace it with the new flavor: ' +
          `${ROLLOUT} --include-master --only master`
        : `resize a batch at a time instead (${ROLLOUT} replaces a batch on the new flavor), or add a pool ` +
          'with the new flavor and scale the old one down',
    });
  }
  return notes;
}

/** The executor heap of a record's `cores/heap/overhead`, in MiB (NaN for a digest). */
const heapOf = (executor: string) => parseInt(executor.split('/')[1] ?? '', 10);

const PART_WORDS: Record<keyof SettingsRecord, (from: string, to: string, role: unknown) => string> = {
  master: (a, b, role) =>
    !a.includes(',') && !b.includes(',')
      ? `the master's address ${a} -> ${b}: they keep looking for the master at the old address`
      : role === 'master'
        ? `the masters ${a} -> ${b}: they keep their old ZooKeeper ensemble and master list, and an ensemble ` +
          'whose members disagree on who belongs to it can lose its quorum or elect two leaders'
        : `the masters ${a} -> ${b}: they keep registering with and submitting to ${a} only, and a worker ` +
          'whose masters are all standbys never registers',
  executor: (a, b) =>
    `executor defaults (cores/heap/overhead) ${a} -> ${b}: applications submitted from them ask for ` +
    'the old size' +
    (heapOf(a) > heapOf(b) ? ', which the smaller workers cannot hold' : ''),
  objectStorage: (a, b) =>
    a === 'off'
      ? 'object storage is turned on: they get no S3A settings or credentials, no event logs, no history server'
      : b === 'off'
        ? 'object storage is turned off: they keep its settings and credentials'
        : 'object storage (S3A endpoint, region or containers) changes: they keep the old settings',
  webUiTls: (a, b) =>
    a === 'off'
      ? 'web UI TLS is turned on: they keep serving plain HTTP, on ports the new rules no longer open'
      : b === 'off'
        ? 'web UI TLS is turned off: they keep serving HTTPS, on ports the new rules no longer open'
        : 'the web UI certificate changes: they keep serving the old one',
  sparkVersion: (a, b) => `Spark ${a} -> ${b}: they keep running Spark ${a}`,
  sparkConf: () => 'sparkConf changes (values not shown): they keep the old settings',
  userData: () => '',
};

/** What a running server misses: its settings record in state against the configuration's. */
function driftParts(recorded: SettingsRecord | undefined, wanted: SettingsRecord, role: unknown): string[] {
  if (!recorded) return ['they carry no settings record (created before records existed): what they run is unknown'];
  const parts = (Object.keys(PART_WORDS) as (keyof SettingsRecord)[])
    .filter((k) => k !== 'userData' && recorded[k] !== wanted[k])
    .map((k) => PART_WORDS[k](recorded[k], wanted[k], role));
  if (parts.length === 0 && recorded.userData !== wanted.userData) {
    parts.push(
      'their rendered configuration changes (mirror, Java package, trusted CAs, Spark options or the ' +
        'bootstrap itself): they keep the old one',
    );
  }
  return parts;
}

function driftNote(rc: ResourceChange, config: CdktfConfig, rotated: string[]): ServerNote | undefined {
  const configured = config.resource?.[rc.type]?.[rc.name]?.metadata?.[SETTINGS_METADATA_KEY];
  const wanted = parseSettingsRecord(configured);
  if (!wanted) return undefined;
  const recordedText = (before(rc).metadata as Record<string, unknown> | undefined)?.[SETTINGS_METADATA_KEY];
  const parts = [...driftParts(parseSettingsRecord(recordedText), wanted, roleOf(rc)), ...rotated];
  if (parts.length === 0) return undefined;
  return {
    category: 'drift',
    rc,
    message: (n) =>
      `${n === 1 ? 'this running server keeps the user data it' : `these ${n} running servers keep the user data they`} ` +
      `booted with (UserDataChangePolicy.IGNORE) and will NOT get this change: ${parts.join('; ')}`,
    advice: `replace them a batch at a time with ${ROLLOUT} (workers first; the master with --include-master)`,
  };
}

function portAddressNote(rc: ResourceChange): ServerNote {
  return {
    category: 'address',
    rc,
    message: (n) =>
      `the private address of ${these(n, 'port')} changes in place (fixed_ip): a running server learns its new ` +
      'address only when its DHCP lease renews or it reboots, and Spark keeps advertising the old one. ' +
      'Neutron also refuses to delete a subnet while ports hold addresses in it (SubnetInUse)',
    advice:
      "a cluster's network cannot move under running servers: deploy a new cluster (another id and name) on " +
      'the new range, move the work over, then destroy the old one',
  };
}

/** Notes on the same resource and message become one finding naming every instance key. */
function aggregate(notes: ServerNote[]): Finding[] {
  const byKey = new Map<string, ServerNote[]>();
  for (const note of notes) {
    const base = note.rc.address.replace(/\[[^\]]*\]$/, '');
    const key = `${note.category}\n${base}\n${note.message(2)}`;
    byKey.set(key, [...(byKey.get(key) ?? []), note]);
  }
  return [...byKey.values()].map((list) => {
    const first = list[0];
    const base = first.rc.address.replace(/\[[^\]]*\]$/, '');
    const keys = list.map((n) => n.rc.index).filter((k) => k !== undefined);
    return {
      category: first.category,
      address: keys.length > 0 ? `${base}[${keys.join(', ')}]` : first.rc.address,
      message: first.message(list.length),
      ...(first.advice ? { advice: first.advice } : {}),
      resources: list.map((n) => n.rc.address),
    };
  });
}

// ---------------------------------------------------------------------------------------
// Floating IPs, key pairs, containers.

function addressFindings(rc: ResourceChange, action: Action, plan: PlanJson): Finding[] {
  const advice =
    "keep the master's floatingIp; if the address must change, move DNS records and clients first. " +
    'A released floating IP cannot be claimed back';
  if (rc.type === 'openstack_networking_floatingip_v2') {
    const address = before(rc).address ?? '(unknown)';
    if (action === 'destroy') {
      return [
        {
          category: 'address',
          address: rc.address,
          message:
            `the public address ${address} is released: whatever uses it (DNS records, bookmarks, clients, ` +
            'firewalls elsewhere) loses the master, and the cloud may give the address to another project',
          advice,
        },
      ];
    }
    if (action === 'replace') {
      return [
        {
          category: 'address',
          address: rc.address,
          message: `the public address ${address} is released and a new one allocated: the master's public address changes`,
          advice,
        },
      ];
    }
  }
  if (rc.type === 'openstack_networking_floatingip_associate_v2' && action !== 'add') {
    const ipGone = (plan.resource_changes ?? []).some(
      (other) =>
        other.type === 'openstack_networking_floatingip_v2' &&
        before(other).address === before(rc).floating_ip &&
        ['destroy', 'replace'].includes(actionOf(other) ?? ''),
    );
    if (ipGone) return []; // said on the floating IP itself
    const ip = before(rc).floating_ip ?? '(unknown)';
    return [
      {
        category: 'address',
        address: rc.address,
        message:
          action === 'destroy'
            ? `the floating IP ${ip} is detached from the master: the public address stops reaching it`
            : `the floating IP ${ip} is detached and attached again (${changes(rc, 'floating_ip') ? 'to another address' : 'to another port'}): the master is unreachable on its public address meanwhile`,
        advice,
      },
    ];
  }
  return [];
}

function keyPairFindings(rc: ResourceChange, action: Action, plan: PlanJson): Finding[] {
  if (rc.type !== 'openstack_compute_keypair_v2' || (action !== 'replace' && action !== 'destroy')) return [];
  const name = before(rc).name;
  const kept = (plan.resource_changes ?? []).filter(
    (s) => s.type === SERVER && before(s).key_pair === name && ['change', undefined].includes(actionOf(s)),
  ).length;
  const what =
    action === 'replace' ? `key pair ${name} is replaced with a new public key` : `key pair ${name} is deleted`;
  return [
    {
      category: 'keypair',
      address: rc.address,
      message:
        `${what}. Nova puts a key on a server only when it creates (or rebuilds) it: ` +
        (kept > 0
          ? `${kept} running server(s) keep accepting only the old key, new servers get ${action === 'replace' ? 'the new one' : 'the key pair the configuration names'}`
          : 'every server using it is replaced in this plan'),
      advice:
        'before you retire the old private key, add the new public key to ~/.ssh/authorized_keys on the ' +
        `running servers, or replace them a batch at a time with ${ROLLOUT}`,
    },
  ];
}

function renameFindings(rc: ResourceChange, action: Action): Finding[] {
  if (rc.type !== 'openstack_objectstorage_container_v1' || action !== 'change' || !changes(rc, 'name')) return [];
  const from = before(rc).name;
  const to = shown(rc, 'name');
  return [
    {
      category: 'rename',
      address: rc.address,
      message:
        `container ${from} -> ${to}: Swift cannot rename a container, and this in-place update does not ` +
        `either: the provider updates ${from} under its old name (the next plan shows this change again), ` +
        `no object moves, and whatever uses the new name (the event-log marker, s3a://${to} on new ` +
        'servers) points at a container that does not exist',
      advice:
        `keep the name (adopt the container with SparkContainer.fromName('${from}')), or create the new ` +
        'container next to it, copy the objects (e.g. rclone copy), switch over and then delete the old one: ' +
        'its destroy fails while it holds objects unless forceDestroy',
    },
  ];
}

/**
 * A rule's remote prefix as Neutron reads it (`0.0.0.0/00`, `::0/0` and `1.2.3.4/0` are all
 * "everyone"); undefined for no prefix or text that is no CIDR.
 */
function blockOf(prefix: unknown): IpBlock | undefined {
  return typeof prefix === 'string' ? parseCidr(prefix) : undefined;
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
/**
 * A cluster whose number of masters changes: turning standby masters on or off, or changing
 * how many. What Nova and ZooKeeper do then is not visible resource by resource.
 */
function masterCountFindings(plan: PlanJson): Finding[] {
  const counts = new Map<string, { before: number; after: number; addresses: string[] }>();
  for (const rc of plan.resource_changes ?? []) {
    if (rc.type !== SERVER) continue;
    const was = (rc.change.before?.metadata ?? {}) as Record<string, unknown>;
    const will = (rc.change.after?.metadata ?? {}) as Record<string, unknown>;
    const cluster = String(will['spark:cluster'] ?? was['spark:cluster'] ?? '');
    const entry = counts.get(cluster) ?? { before: 0, after: 0, addresses: [] };
    counts.set(cluster, entry);
    const deleted = rc.change.actions.length === 1 && rc.change.actions[0] === 'delete';
    if (rc.change.before && was['spark:role'] === 'master') entry.before += 1;
    if (rc.change.after && !deleted && will['spark:role'] === 'master') entry.after += 1;
    if (was['spark:role'] === 'master' || will['spark:role'] === 'master') entry.addresses.push(rc.address);
  }
  const findings: Finding[] = [];
  for (const [cluster, { before: from, after: to, addresses }] of counts) {
    if (from === 0 || to === 0 || from === to) continue;
    const address = `cluster ${cluster}: ${from} -> ${to} masters`;
    if (from === 1) {
      findings.push({
        category: 'replace',
        address,
        message:
          "standby masters are added: the master is replaced to join the masters' anti-affinity group (Nova " +
          'puts a server in a group only when it creates it), so running applications fail; and the running ' +
          'workers know only the first master: while another master is ALIVE they do not register',
        advice: `right after the apply, replace the workers with ${ROLLOUT} so that they know every master (README: High availability)`,
        resources: addresses,
      });
    } else if (to === 1) {
      findings.push({
        category: 'replace',
        address,
        message:
          'standby masters are removed: they and their ZooKeeper servers are destroyed and the first master is ' +
          'replaced (it leaves the group), so running applications fail; workers register with it again',
        resources: addresses,
      });
    } else {
      findings.push({
        category: 'drift',
        address,
        message:
          "each master's ZooKeeper ensemble comes from its user data: the running masters keep the old one, and " +
          'masters replaced one at a time pass through views of the ensemble that disagree, in which two leaders ' +
          'can be elected',
        advice:
          'keep the count, or replace every master in one batch while no application runs (ZooKeeper starts ' +
          'empty and workers register again)',
        resources: addresses,
      });
    }
  }
  return findings;
}

export function reviewPlan(stack: string, plan: PlanJson, config: CdktfConfig): Review {
  const groups = new Map<string, GroupSummary>();
  const findings: Finding[] = [];
  const totals = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;
  const resourceChanges = plan.resource_changes ?? [];
  const serverNotes: ServerNote[] = [];

  // What the security groups let in before the change: every rule the state holds.
  const existingRules = resourceChanges
    .filter((rc) => rc.type === RULE && rc.change.before)
    .map((rc) => ruleCover(before(rc)))
    .filter((c): c is RuleCover => c !== undefined);

  // Secrets regenerated per cluster: running servers keep the old ones in their user data.
  const rotated = new Map<string, string[]>();
  for (const rc of resourceChanges) {
    if (SECRET_TYPES.has(rc.type) && actionOf(rc) === 'replace') {
      const cluster = clusterOf(constructPath(config, rc)) ?? '';
      const what = rc.type === 'terraform_data' ? 'the Spark authentication secret' : 'the S3A (EC2) credential';
      rotated.set(cluster, [...(rotated.get(cluster) ?? []), `${what} is regenerated: they keep the old one`]);
    }
  }

  for (const rc of resourceChanges) {
    const action = actionOf(rc);
    const path = constructPath(config, rc);
    if (rc.type === SERVER && (action === 'change' || action === undefined) && rc.change.before) {
      const drift = driftNote(rc, config, rotated.get(clusterOf(path) ?? '') ?? []);
      if (drift) serverNotes.push(drift);
    }
    if (!action) continue;
    totals[action] += 1;
    const group = groupOf(path);
    const summary = groups.get(group) ?? { group, counts: emptyCounts() };
    groups.set(group, summary);
    summary.counts[KIND_OF[rc.type] ?? 'other'][action] += 1;

    if ((action === 'replace' || action === 'destroy') && DATA_TYPES.has(rc.type)) {
      const what = rc.type === SERVER ? 'server' : rc.type.includes('volume') ? 'volume' : 'container';
      const verb = action === 'replace' ? 'replaced' : 'destroyed';
      const forcedBy = (rc.change.replace_paths ?? [])
        .map((p) => (Array.isArray(p) ? String(p[0]) : ''))
        .filter(Boolean);
      const because =
        action === 'replace' && forcedBy.length > 0 ? ` (${[...new Set(forcedBy)].join(', ')} changes)` : '';
      findings.push({
        category: action,
        address: rc.address,
        message: `${what} will be ${verb}${because}: its data is lost`,
        ...(rc.type === SERVER && action === 'replace'
          ? { advice: `replace servers a batch at a time with ${ROLLOUT} to keep the cluster running` }
          : {}),
      });
    }
    if (rc.type === SERVER && action === 'change') serverNotes.push(...inPlaceNotes(rc));
    if (rc.type === 'openstack_networking_port_v2' && action === 'change' && changes(rc, 'fixed_ip')) {
      serverNotes.push(portAddressNote(rc));
    }
    findings.push(...ruleFindings(rc, action, existingRules));
    findings.push(...addressFindings(rc, action, plan));
    findings.push(...keyPairFindings(rc, action, plan));
    findings.push(...renameFindings(rc, action));
    if (action === 'add' && rc.type === 'openstack_networking_floatingip_v2') {
      findings.push({ category: 'widen', address: rc.address, message: 'adds a public (floating) IP address' });
    }
    if (action === 'change' || action === 'replace') {
      // An imported key pair has no private key: its unknown private_key after a change is no secret.
      const imported = rc.type === 'openstack_compute_keypair_v2' && Boolean(after(rc).public_key);
      for (const name of changedSecrets(rc).filter((n) => !(imported && n === 'private_key'))) {
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
          advice: `replace the nodes that keep the old one (see DRIFT) with ${ROLLOUT}, master included`,
        });
      }
    }
  }
  findings.push(...coverageFindings(plan, config));
  findings.push(...masterCountFindings(plan));
  findings.push(...aggregate(serverNotes));
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
  rebuild: 'REBUILD (root disk wiped)',
  resize: 'RESIZE (reboot)',
  address: 'PUBLIC ADDRESS',
  keypair: 'KEY PAIR',
  rename: 'CANNOT RENAME',
  widen: 'WIDENS ACCESS',
  secret: 'SECRET',
  drift: 'DRIFT (not applied to running servers)',
};

/** Said when a plan changes something and nothing needs attention. */
export const ALL_CLEAR =
  'No data loss, no rebuilds or reboots, no lost addresses, no widened access, no secret changes, no drift.';

function sentence(f: Finding): string {
  return f.advice ? `${f.message}. Instead: ${f.advice}.` : f.message;
}

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
  for (const f of review.findings) lines.push(`!! ${LABEL[f.category]}: ${f.address}: ${sentence(f)}`);
  if (review.findings.length === 0 && table.length > 0) lines.push(ALL_CLEAR);
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
    for (const f of review.findings) lines.push(`- **${LABEL[f.category]}** \`${f.address}\`: ${sentence(f)}`);
  } else if (table.length > 0) {
    lines.push(ALL_CLEAR);
  }
  return lines.join('\n') + '\n';
}
