/**
 * `npm run rollout -- <stack> [options]`: replaces servers that miss their configuration
 * (drift under UserDataChangePolicy.IGNORE, a pending rebuild or resize) or that you name, a
 * batch at a time, like an auto-scaling group's instance refresh. Each batch is one
 * `tofu apply -replace=<server> -target=<server> -target=<its volume attachment>` on the
 * synthesized stack; then the rollout waits until Nova reports every new server ACTIVE and,
 * where the masters' web UIs answer, until each new worker has registered with the ALIVE master.
 * It stops at the first failure and leaves every later server untouched. Workers go first,
 * pool by pool; the master goes last, alone, and only with --include-master. With standby
 * masters each master is a batch of its own, after every worker: any that is not STANDBY
 * first, then the standbys, the ALIVE one last (so the cluster fails over once). A master
 * batch starts only while one master is ALIVE and enough others answer to keep a majority;
 * it ends when the new server's master answers STANDBY (or ALIVE) and, after the ALIVE one,
 * when another master is ALIVE with every worker that was ALIVE before.
 *
 *   --batch N            servers per batch (default 1)
 *   --include-master     replace the master too, after every worker
 *   --only LIST          only these servers (comma-separated: worker keys such as general-3,
 *                        `master`, `master-2`, server names or resource addresses), drifted
 *                        or not
 *   --master-url URL[,URL...]
 *                        the master's web UI as reachable from here, one per master in order
 *                        (default: from state, each master's floating IP or else its private
 *                        address)
 *   --timeout SECONDS    per batch, for ACTIVE and for registration (default 900)
 *   --dry-run            print the batches and change nothing
 *   --no-synth           use what is already in cdktf.out
 *   --dir DIR            the synthesized stack directory to roll out (default
 *                        cdktf.out/stacks/<stack>); nothing is synthesized, as with --no-synth
 *
 * It reads the cloud with the deploying user's credentials (OS_CLOUD and clouds.yaml, or
 * OS_AUTH_URL and friends), as tofu does.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseSettingsRecord, SETTINGS_METADATA_KEY } from '../lib/private/settings-record';
import { NovaClient } from './openstack-api';
import { CdktfConfig, reviewPlan } from './plan-review';
import { PlanJson, ResourceChange, Tofu } from './tofu';
import { applyToolsEnv, REPO_ROOT } from './tools-env';

export interface RolloutOptions {
  readonly stack: string;
  readonly batch: number;
  readonly includeMaster: boolean;
  readonly only: string[];
  readonly masterUrl?: string;
  readonly timeoutSeconds: number;
  readonly dryRun: boolean;
  readonly synth: boolean;
  /** The synthesized stack directory, when not cdktf.out/stacks/<stack> (then nothing is synthesized). */
  readonly dir?: string;
}

export function parseRolloutArgs(argv: string[]): RolloutOptions {
  const options = {
    stack: '',
    batch: 1,
    includeMaster: false,
    only: [] as string[],
    masterUrl: undefined as string | undefined,
    timeoutSeconds: 900,
    dryRun: false,
    synth: true,
    dir: undefined as string | undefined,
  };
  const positive = (flag: string, text: string | undefined) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a whole number >= 1, got ${text ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--batch') options.batch = positive('--batch', argv[++i]);
    else if (arg === '--include-master') options.includeMaster = true;
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--master-url') options.masterUrl = argv[++i];
    else if (arg === '--timeout') options.timeoutSeconds = positive('--timeout', argv[++i]);
    else if (arg === '--dry-run') options.dryRun = true;
    else if (arg === '--no-synth') options.synth = false;
    else if (arg === '--dir') {
      options.dir = argv[++i];
      if (!options.dir || options.dir.startsWith('--')) throw new Error('--dir takes a directory');
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else if (options.stack) throw new Error(`one stack at a time: got ${options.stack} and ${arg}`);
    else options.stack = arg;
  }
  if (!options.stack) throw new Error('usage: npm run rollout -- <stack> [--batch N] [--include-master] [--only LIST]');
  if (options.only.length > 0 && options.only.some((o) => o.trim() === '')) throw new Error('--only: empty name');
  return options;
}

/** One server the rollout replaces. */
export interface RolloutTarget {
  /** The server's resource address, e.g. `openstack_compute_instance_v2.x["general-3"]`. */
  readonly address: string;
  /** `general-3`, or `master` (`master-2`, `master-3`, ... for standby masters). */
  readonly label: string;
  readonly role: 'master' | 'worker';
  /** The cluster (top-level construct) it belongs to. */
  readonly cluster: string;
  /** Why it is replaced. */
  readonly reason: string;
  /** Its volume attachments, replaced with it (they name the old server). */
  readonly attachments: string[];
}

export interface RolloutSelection {
  readonly batches: RolloutTarget[][];
  /** Things the operator should know (a drifted master left out, nothing to do). */
  readonly notes: string[];
}

const SERVER = 'openstack_compute_instance_v2';
const REASONS: Record<string, string> = {
  drift: 'misses a configuration change',
  rebuild: 'has an image change pending',
  resize: 'has a flavor change pending',
  replace: 'is to be replaced',
};

/**
 * A master's label: `master` for construct id `Master`, `master-2` for `Master2`, ...; from the
 * server name (`<cluster>-master-2`) when the configuration names no construct.
 */
export function masterLabel(configPath: string, serverName: string): string {
  const id = /^Master(\d*)$/.exec(configPath.split('/')[2] ?? '');
  if (id) return id[1] ? `master-${id[1]}` : 'master';
  const named = /-master(-\d+)?$/.exec(serverName);
  return named?.[1] ? `master${named[1]}` : 'master';
}

/** Orders worker keys as people count: general-2 before general-10. */
function byKey(a: RolloutTarget, b: RolloutTarget): number {
  return a.label.localeCompare(b.label, 'en', { numeric: true });
}

/**
 * What replacing standby masters does, as far as this rollout checks it and Spark's ZooKeeper
 * recovery goes: the new ALIVE master asks every worker and driver it recovers to re-register
 * (executors talk to their driver, not the master, and keep running), and ends the
 * applications whose driver does not answer. A master that loses its ZooKeeper session gives
 * up leadership (and exits), so replacing a standby, which takes a ZooKeeper server away, can
 * cause a failover too.
 */
const STANDBY_MASTERS_ROLLOUT =
  'one at a time after every worker, the standbys first and the ALIVE one last: with standby masters only ' +
  'that last one is meant to cause a failover (another can, when the ALIVE master loses its ZooKeeper ' +
  'session; the rollout then follows it too). Workers and the drivers of running applications re-register ' +
  'with the new ALIVE master and executors keep running; the rollout waits for every worker that was ALIVE ' +
  "and names any running application the new master no longer lists (a driver on a replaced master's own " +
  'server ends with it)';

/** `master-2`, or `masters master, master-2, master-3`. */
function whichMasters(masters: RolloutTarget[]): string {
  return masters.length === 1 ? masters[0].label : `masters ${masters.map((m) => m.label).join(', ')}`;
}

/** ` misses a configuration change`, `: each misses ...`, or each master's own reason. */
function whyMasters(masters: RolloutTarget[]): string {
  const reasons = new Set(masters.map((m) => m.reason));
  if (masters.length === 1) return ` ${masters[0].reason}`;
  if (reasons.size === 1) return `: each ${masters[0].reason}`;
  return `: ${masters.map((m) => `${m.label} ${m.reason}`).join(', ')}`;
}

/** Chooses and orders the servers to replace, from a plan of the stack as it is configured. */
export function selectTargets(plan: PlanJson, config: CdktfConfig, options: RolloutOptions): RolloutSelection {
  const servers = (plan.resource_changes ?? []).filter((rc) => rc.type === SERVER && rc.change.before);
  const review = reviewPlan(options.stack, plan, config);
  const reasons = new Map<string, string>();
  for (const f of review.findings) {
    if (!REASONS[f.category]) continue;
    for (const address of f.resources ?? [f.address]) {
      if (!reasons.has(address)) reasons.set(address, REASONS[f.category]);
    }
  }
  const targetOf = (rc: ResourceChange): RolloutTarget => {
    const metadata = (rc.change.before?.metadata ?? {}) as Record<string, unknown>;
    const role = metadata['spark:role'] === 'master' ? 'master' : 'worker';
    const configPath = config.resource?.[rc.type]?.[rc.name]?.['//']?.metadata?.path ?? '';
    const id = rc.change.before?.id;
    return {
      address: rc.address,
      label:
        role === 'master'
          ? masterLabel(configPath, String(rc.change.before?.name ?? ''))
          : String(rc.index ?? rc.address),
      role,
      cluster: configPath.split('/')[1] ?? String(metadata['spark:cluster'] ?? ''),
      reason: reasons.get(rc.address) ?? 'was chosen',
      attachments: (plan.resource_changes ?? [])
        .filter((a) => a.type === 'openstack_compute_volume_attach_v2' && id && a.change.before?.instance_id === id)
        .map((a) => a.address),
    };
  };
  const all = servers.map(targetOf);
  const notes: string[] = [];
  let chosen: RolloutTarget[];
  if (options.only.length > 0) {
    const names = (t: RolloutTarget) => {
      const rc = servers.find((s) => s.address === t.address)!;
      return [t.address, t.label, String(rc.change.before?.name ?? '')];
    };
    const unknown = options.only.filter((o) => !all.some((t) => names(t).includes(o)));
    const known = [
      ...all.filter((t) => t.role === 'master').sort(byKey),
      ...all.filter((t) => t.role === 'worker'),
    ].map((t) => t.label);
    if (unknown.length > 0) {
      throw new Error(
        `--only: no server ${unknown.join(', ')} in stack ${options.stack}; servers: ${known.join(', ')}`,
      );
    }
    chosen = all.filter((t) => options.only.some((o) => names(t).includes(o)));
  } else {
    chosen = all.filter((t) => reasons.has(t.address));
  }
  const masters = chosen.filter((t) => t.role === 'master');
  const workers = chosen.filter((t) => t.role === 'worker');
  const masterCount = (cluster: string) => all.filter((t) => t.role === 'master' && t.cluster === cluster).length;
  const lone = masters.filter((m) => masterCount(m.cluster) === 1);
  if (lone.length > 0 && !options.includeMaster) {
    notes.push(
      `the master ${lone.map((m) => `(${m.cluster}) ${m.reason}`).join(', ')}: not replaced without ` +
        '--include-master (it goes last, alone; every running application fails when it does)',
    );
  }
  masters.sort((a, b) => a.cluster.localeCompare(b.cluster) || byKey(a, b));
  for (const cluster of new Set(masters.filter((m) => masterCount(m.cluster) > 1).map((m) => m.cluster))) {
    const mine = masters.filter((m) => m.cluster === cluster);
    notes.push(
      options.includeMaster
        ? `${whichMasters(mine)} of ${cluster}: one at a time after every worker, in the order their web UIs ` +
            'give when the rollout gets to them: any that is not STANDBY first, the standbys, the ALIVE one last'
        : `${whichMasters(mine)} of ${cluster}${whyMasters(mine)}: not replaced without --include-master ` +
            `(${STANDBY_MASTERS_ROLLOUT})`,
    );
  }
  workers.sort((a, b) => a.cluster.localeCompare(b.cluster) || byKey(a, b));
  const batches: RolloutTarget[][] = [];
  for (let i = 0; i < workers.length; i += options.batch) batches.push(workers.slice(i, i + options.batch));
  if (options.includeMaster) for (const m of masters) batches.push([m]);
  if (batches.length === 0 && notes.length === 0) notes.push('nothing to roll out: every server has its configuration');
  return { batches, notes };
}

/** A worker as a master's `/json` lists it. */
export interface MasterWorker {
  readonly id: string;
  readonly host: string;
  readonly state: string;
}

/** An application as a master's `/json` lists it among its active ones. */
export interface MasterApp {
  readonly id: string;
  readonly name: string;
  readonly state: string;
}

/** One master's web UI as the rollout read it. */
export interface MasterReading {
  /** `master`, `master-2`, ..., as in the targets' labels. */
  readonly label: string;
  /** The `status` its `/json` names (ALIVE, STANDBY, RECOVERING, COMPLETING_RECOVERY), or `unreachable`. */
  readonly status: string;
  /** Why it gave no usable answer, when unreachable. */
  readonly why?: string;
  /** The workers it lists (a standby lists none). */
  readonly workers: readonly MasterWorker[];
  /** The applications it lists as active. */
  readonly apps: readonly MasterApp[];
}

/** What the rollout needs from tofu, the cloud and the masters: real ones in `main`, doubles in tests. */
export interface RolloutDeps {
  /** `tofu apply` replacing `servers` (and re-creating `attachments`), nothing else. */
  replace(servers: string[], attachments: string[]): void;
  /** Every server in state after an apply: its Nova id and private address. */
  servers(): Map<string, { id: string; ip: string }>;
  /** Nova's status of a server. */
  serverStatus(id: string): Promise<string>;
  /** Every master of a cluster as its web UI answers now, the first master first. */
  masters(cluster: string): Promise<MasterReading[]>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface RolloutResult {
  readonly replaced: string[];
  readonly failed?: { readonly batch: string[]; readonly reason: string };
  /** Servers the rollout did not get to: left as they were. */
  readonly untouched: string[];
}

const POLL_MS = 5000;
const UNREACHABLE = 'unreachable';

async function waitFor<T>(
  deps: RolloutDeps,
  deadline: number,
  what: string | (() => string),
  check: () => Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (deps.now() >= deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await deps.sleep(POLL_MS);
  }
}

/** `master-2 STANDBY`, `master-3 unreachable (ECONNREFUSED)`. */
function described(reading: MasterReading): string {
  if (reading.status !== UNREACHABLE) return `${reading.label} ${reading.status}`;
  return `${reading.label} unreachable${reading.why ? ` (${reading.why})` : ''}`;
}

const aliveHosts = (reading: MasterReading) =>
  new Set(reading.workers.filter((w) => w.state === 'ALIVE').map((w) => w.host));

/**
 * The master workers register with: the one ALIVE master, or a lone master whatever it
 * answers (as before standby masters). None when no master or two of them are ALIVE.
 */
function leaderOf(readings: readonly MasterReading[]): MasterReading | undefined {
  if (readings.length === 1) return readings[0].status === UNREACHABLE ? undefined : readings[0];
  const alive = readings.filter((r) => r.status === 'ALIVE');
  return alive.length === 1 ? alive[0] : undefined;
}

/** Why the masters of a cluster give no master to check registrations with. */
function noLeader(cluster: string, readings: readonly MasterReading[]): string {
  if (readings.length <= 1) return `the master's web UI (${cluster}) gives no worker list from here`;
  const alive = readings.filter((r) => r.status === 'ALIVE').length;
  const which = alive === 0 ? 'no master of' : `${alive} masters of`;
  return `${which} ${cluster} ${alive === 0 ? 'answers' : 'answer'} ALIVE (${readings.map(described).join(', ')})`;
}

/** The order to replace a cluster's masters in: one neither STANDBY nor ALIVE (a repair), the standbys, the ALIVE one. */
function masterRank(status: string | undefined): number {
  return status === 'ALIVE' ? 2 : status === 'STANDBY' ? 1 : 0;
}

/**
 * Why replacing `target`, one of several masters, must not start now: no master is ALIVE, two
 * are, or without it fewer than a majority of the masters would answer. Undefined when it may.
 */
export function masterRefusal(target: RolloutTarget, readings: readonly MasterReading[]): string | undefined {
  const all = readings.map(described).join(', ');
  const alive = readings.filter((r) => r.status === 'ALIVE');
  if (alive.length === 0) {
    return `no master of ${target.cluster} is ALIVE (${all}); ${target.label} is not replaced while none is`;
  }
  if (alive.length > 1) {
    return (
      `${alive.length} masters of ${target.cluster} are ALIVE (${all}); ${target.label} is not replaced ` +
      'until one is (npm run status says more)'
    );
  }
  const others = readings.filter((r) => r.label !== target.label);
  const answering = others.filter((r) => r.status !== UNREACHABLE).length;
  const majority = Math.floor(readings.length / 2) + 1;
  if (answering < majority) {
    const down = others.filter((r) => r.status === UNREACHABLE);
    return (
      `replacing ${target.label} would leave ${answering} of the ${readings.length} masters of ${target.cluster} ` +
      `answering, fewer than a majority (${majority}): ${down.map(described).join(', ')}. ` +
      `Bring ${down.map((r) => r.label).join(', ')} back first, or replace ${down.length === 1 ? 'it' : 'them'} ` +
      `first (--only ${down.map((r) => r.label).join(',')} --include-master)`
    );
  }
  return undefined;
}

/**
 * After one of several masters is replaced: its new server's master STANDBY (or ALIVE) with a
 * master ALIVE, and after a failover (the replaced master was ALIVE, or the ALIVE one gave up
 * leadership meanwhile), every worker that was ALIVE before ALIVE again with the new one.
 */
async function settleMaster(
  target: RolloutTarget,
  before: readonly MasterReading[],
  deps: RolloutDeps,
  deadline: number,
  log: (line: string) => void,
): Promise<void> {
  let last = before;
  const read = async () => (last = await deps.masters(target.cluster));
  const lastRead = () => `last read: ${last.map(described).join(', ')}`;
  const former = leaderOf(before)!;
  const hosts = [...aliveHosts(former)];
  const failover = async (leaderNow: () => MasterReading | undefined, why: string) => {
    const leader = await waitFor(
      deps,
      deadline,
      () =>
        `another master of ${target.cluster} to be ALIVE with the ${hosts.length} workers that were ALIVE ` +
        `with ${former.label} (${lastRead()})`,
      async () => {
        await read();
        const now = leaderNow();
        if (!now || now.label === former.label) return undefined;
        const alive = aliveHosts(now);
        return hosts.every((h) => alive.has(h)) ? now : undefined;
      },
    );
    log(
      `[rollout] ${leader.label} is ALIVE after the failover from ${former.label}${why}, with the ` +
        `${hosts.length} workers that were ALIVE before`,
    );
    const listed = new Set(leader.apps.map((a) => a.id));
    const named = (apps: readonly MasterApp[]) => apps.map((a) => `${a.id} (${a.name})`).join(', ');
    const gone = former.apps.filter((a) => !listed.has(a.id));
    if (gone.length > 0) {
      log(
        `[rollout] ${leader.label} no longer lists ${gone.length} of the ${former.apps.length} applications ` +
          `${former.label} listed as active: ${named(gone)}: finished meanwhile, or ended by the failover (a ` +
          `driver on a replaced master's old server, or one that did not re-register); its driver's log says which`,
      );
    } else if (former.apps.length > 0) {
      log(`[rollout] ${leader.label} lists every application ${former.label} listed as active: ${named(former.apps)}`);
    }
  };
  if (former.label === target.label) await failover(() => leaderOf(last), '');
  const mine = await waitFor(
    deps,
    deadline,
    () => `${target.label} to answer STANDBY or ALIVE on its /json, with a master ALIVE (${lastRead()})`,
    async () => {
      const now = await read();
      const reading = now.find((r) => r.label === target.label);
      const ok = reading && (reading.status === 'STANDBY' || reading.status === 'ALIVE') && leaderOf(now);
      return ok ? reading : undefined;
    },
  );
  const leader = leaderOf(last)!;
  if (former.label !== target.label && leader.label !== former.label) {
    // A Spark master gives up leadership when its ZooKeeper session is interrupted, which the
    // loss of a ZooKeeper server (one runs on every master) can cause.
    await failover(() => leaderOf(last), ` while ${target.label} was replaced`);
  }
  log(`[rollout] ${target.label} answers ${mine.status}; ${leaderOf(last)!.label} is ALIVE`);
}

/**
 * Replaces the batches in order; stops at the first failure, and before a master batch that
 * could cost a cluster with standby masters its majority. Such a cluster's masters are
 * replaced in the order their states give when the rollout gets to them.
 */
export async function executeRollout(
  batches: RolloutTarget[][],
  deps: RolloutDeps,
  options: { timeoutSeconds: number },
  log: (line: string) => void,
): Promise<RolloutResult> {
  const order = [...batches];
  const replaced: string[] = [];
  const addresses = (from: number, to = order.length) => order.slice(from, to).flatMap((x) => x.map((t) => t.address));
  for (let b = 0; b < order.length; b++) {
    let batch = order[b];
    try {
      // Who was registered before, with which master: a new worker must show up under an id not seen before.
      const before = new Map<string, MasterReading[]>();
      for (const cluster of new Set(batch.map((t) => t.cluster))) before.set(cluster, await deps.masters(cluster));
      const first = batch[0];
      const readings = before.get(first.cluster)!;
      const standbyMasters = first.role === 'master' && readings.length > 1;
      if (standbyMasters) {
        // This cluster's masters still to go, in the order their states give now (the ALIVE one last).
        const rank = (t: RolloutTarget) => masterRank(readings.find((r) => r.label === t.label)?.status);
        const slots = [...order.keys()].filter(
          (j) => j >= b && order[j][0].role === 'master' && order[j][0].cluster === first.cluster,
        );
        const ranked = slots.map((j) => order[j]).sort((x, y) => rank(x[0]) - rank(y[0]));
        slots.forEach((j, k) => (order[j] = ranked[k]));
        batch = order[b];
      }
      log(`[rollout] batch ${b + 1}/${order.length}: ${batch.map((t) => t.label).join(', ')}`);
      if (standbyMasters) {
        const refusal = masterRefusal(batch[0], readings);
        if (refusal) {
          log(`[rollout] REFUSED batch ${b + 1} (${batch[0].label}): ${refusal}`);
          return { replaced, failed: { batch: addresses(b, b + 1), reason: refusal }, untouched: addresses(b) };
        }
      }
      deps.replace(
        batch.map((t) => t.address),
        batch.flatMap((t) => t.attachments),
      );
      const inState = deps.servers();
      const deadline = deps.now() + options.timeoutSeconds * 1000;
      for (const target of batch) {
        const server = inState.get(target.address);
        if (!server) throw new Error(`${target.label} is not in state after the apply`);
        await waitFor(deps, deadline, `${target.label} to be ACTIVE`, async () => {
          const status = await deps.serverStatus(server.id);
          if (status === 'ERROR' || status === 'DELETED') throw new Error(`${target.label} is ${status} in Nova`);
          return status === 'ACTIVE' ? status : undefined;
        });
        log(`[rollout] ${target.label} (${server.id}) is ACTIVE`);
      }
      for (const target of batch) {
        const masters = before.get(target.cluster)!;
        if (target.role === 'master' && masters.length > 1) {
          await settleMaster(target, masters, deps, deadline, log);
          continue;
        }
        const leader = leaderOf(masters);
        if (!leader) {
          log(
            `[rollout] ${target.label}: registration not checked: ${noLeader(target.cluster, masters)}, ` +
              'so only ACTIVE in Nova was waited for',
          );
          continue;
        }
        const known = new Set(leader.workers.map((w) => w.id));
        const lone = masters.length === 1;
        if (target.role === 'worker') {
          const ip = inState.get(target.address)!.ip;
          const withWhom = lone ? 'the master' : 'the ALIVE master';
          const now = await waitFor(
            deps,
            deadline,
            `${target.label} (${ip}) to register with ${withWhom}`,
            async () => {
              const current = leaderOf(await deps.masters(target.cluster));
              const joined = current?.workers.some((w) => w.host === ip && w.state === 'ALIVE' && !known.has(w.id));
              return joined ? current : undefined;
            },
          );
          log(`[rollout] ${target.label} registered with ${lone ? 'the master' : `${now.label} (ALIVE)`}`);
        } else {
          const alive = leader.workers.filter((w) => w.state === 'ALIVE').length;
          await waitFor(deps, deadline, `the new master to see ${alive} workers ALIVE`, async () => {
            const current = leaderOf(await deps.masters(target.cluster));
            return current && current.workers.filter((w) => w.state === 'ALIVE').length >= alive ? current : undefined;
          });
          log(`[rollout] the new master answers with ${alive} workers ALIVE`);
        }
      }
      replaced.push(...batch.map((t) => t.address));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log(`[rollout] FAILED in batch ${b + 1} (${batch.map((t) => t.label).join(', ')}): ${reason}`);
      return { replaced, failed: { batch: batch.map((t) => t.address), reason }, untouched: addresses(b + 1) };
    }
  }
  return { replaced, untouched: [] };
}

/** The `tofu apply` arguments that replace these servers and re-create their attachments, and nothing else. */
export function rolloutApplyArgs(servers: string[], attachments: string[]): string[] {
  return [...servers.map((s) => `-replace=${s}`), ...[...servers, ...attachments].map((a) => `-target=${a}`)];
}

/** `tofu show -json` of a state: the parts the rollout reads. */
export interface StateJson {
  values?: { root_module?: { resources?: { address: string; type: string; values: Record<string, unknown> }[] } };
}

/** Every server in a state, by address: its Nova id and its private address. */
export function serversInState(state: StateJson): Map<string, { id: string; ip: string }> {
  return new Map(
    (state.values?.root_module?.resources ?? [])
      .filter((r) => r.type === SERVER)
      .map((r) => {
        const network = (r.values.network as { fixed_ip_v4?: string }[] | undefined)?.[0];
        return [r.address, { id: String(r.values.id), ip: String(network?.fixed_ip_v4 || r.values.access_ip_v4) }];
      }),
  );
}

/**
 * Every master's web UI of a cluster as reachable from outside, by label, the first master
 * first: its floating IP, else its private address, on the HTTPS port when its settings
 * record says web UI TLS is on; no URL for a master the state holds no address of.
 */
export function masterUrlsInState(
  state: StateJson,
  config: CdktfConfig,
  cluster: string,
): { label: string; url?: string }[] {
  const byMaster = new Map<string, { type: string; values: Record<string, unknown> }[]>();
  for (const r of state.values?.root_module?.resources ?? []) {
    const [type, rest] = r.address.split('.');
    const configPath = config.resource?.[type]?.[rest.replace(/\[.*$/, '')]?.['//']?.metadata?.path ?? '';
    const [, owner, id] = configPath.split('/');
    if (owner !== cluster || !/^Master\d*$/.test(id ?? '')) continue;
    const label = masterLabel(configPath, '');
    byMaster.set(label, [...(byMaster.get(label) ?? []), r]);
  }
  return [...byMaster.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([label, resources]) => {
      const of = (type: string) => resources.find((r) => r.type === type)?.values;
      const fip = of('openstack_networking_floatingip_v2')?.address as string | undefined;
      // The master's port holds its fixed address (the network's masterIp, or a standby address).
      const fixed = (of('openstack_networking_port_v2')?.fixed_ip as { ip_address?: string }[] | undefined)?.[0]
        ?.ip_address;
      const ip = fip || fixed;
      if (!ip) return { label };
      const metadata = of(SERVER)?.metadata as Record<string, unknown> | undefined;
      const record = parseSettingsRecord(metadata?.[SETTINGS_METADATA_KEY]);
      return { label, url: record && record.webUiTls !== 'off' ? `https://${ip}:8480` : `http://${ip}:8080` };
    });
}

/** The first master's web UI (see masterUrlsInState). */
export function masterUrlInState(state: StateJson, config: CdktfConfig, cluster: string): string | undefined {
  return masterUrlsInState(state, config, cluster).find((m) => m.label === 'master')?.url;
}

/** Why a master's web UI gave no answer: a timeout, a refused connection, an HTTP status. */
function unreachable(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer within 5 s';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** The parts of a master's `/json` the rollout reads. */
interface MasterJson {
  readonly status?: unknown;
  readonly workers?: MasterWorker[];
  readonly activeapps?: MasterApp[];
}

/** The real thing: tofu on the synthesized stack, Nova, and each master's /json. */
function realDeps(tofu: Tofu, config: CdktfConfig, options: RolloutOptions, log: (line: string) => void): RolloutDeps {
  const nova = new NovaClient();
  const state = () => JSON.parse(tofu.run(['show', '-json'])) as StateJson;
  const urls = new Map<string, { label: string; url?: string }[]>();
  // Each reason once: the registration wait polls the same URL every few seconds.
  const said = new Set<string>();
  const say = (line: string) => {
    if (!said.has(line)) log(line);
    said.add(line);
  };
  const mastersOf = (cluster: string) => {
    const inState = masterUrlsInState(state(), config, cluster);
    const known = inState.length > 0 ? inState : [{ label: 'master' }];
    if (!options.masterUrl) return known;
    const given = options.masterUrl.split(',').map((u) => u.trim().replace(/\/+$/, ''));
    if (given.length !== known.length || given.some((u) => u === '')) {
      throw new Error(
        `--master-url names ${given.length} URL(s) and ${cluster} has ${known.length} master(s) ` +
          `(${known.map((m) => m.label).join(', ')}): give one URL per master, in that order`,
      );
    }
    return known.map((m, i) => ({ label: m.label, url: given[i] }));
  };
  const read = async (where: string, label: string, url?: string): Promise<MasterReading> => {
    const none = (why: string, line: string): MasterReading => {
      say(`[rollout] ${where}: ${line}`);
      return { label, status: UNREACHABLE, why, workers: [], apps: [] };
    };
    if (!url) return none('no address in state', 'the state holds no address of the master (floating IP or port)');
    try {
      const response = await fetch(`${url}/json`, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) return none(`HTTP ${response.status}`, `${url}/json answered HTTP ${response.status}`);
      const page = (await response.json()) as MasterJson;
      if (typeof page?.status !== 'string') {
        return none('no status', `${url}/json names no status (not a Spark master?)`);
      }
      return { label, status: page.status, workers: page.workers ?? [], apps: page.activeapps ?? [] };
    } catch (err) {
      return none(unreachable(err), `${url}/json: ${unreachable(err)}`);
    }
  };
  return {
    replace: (servers, attachments) =>
      tofu.run(['apply', '-input=false', '-auto-approve', '-no-color', ...rolloutApplyArgs(servers, attachments)]),
    servers: () => serversInState(state()),
    serverStatus: (id) => nova.serverStatus(id),
    masters: async (cluster) => {
      if (!urls.has(cluster)) urls.set(cluster, mastersOf(cluster));
      const masters = urls.get(cluster)!;
      return Promise.all(
        masters.map((m) => read(masters.length > 1 ? `${cluster} ${m.label}` : cluster, m.label, m.url)),
      );
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  };
}

/** Runs the rollout; returns the exit code (0 done, 1 failed or refused). */
export async function runRollout(options: RolloutOptions, log: (line: string) => void = console.log): Promise<number> {
  applyToolsEnv();
  const outdir = path.join(REPO_ROOT, 'cdktf.out');
  if (options.synth && !options.dir) {
    log('[rollout] cdktf synth');
    const synth = spawnSync('npx', ['cdktf', 'synth', '--output', outdir], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    if (synth.status !== 0) throw new Error(`cdktf synth failed:\n${synth.stdout}${synth.stderr}`);
  }
  const dir = options.dir ? path.resolve(options.dir) : path.join(outdir, 'stacks', options.stack);
  if (!fs.existsSync(path.join(dir, 'cdk.tf.json'))) {
    throw new Error(options.dir ? `no cdk.tf.json in ${dir}` : `no stack '${options.stack}' in ${outdir}/stacks`);
  }
  if (!process.env.OS_CLOUD && !process.env.OS_AUTH_URL) {
    throw new Error('a rollout changes a real cloud: set OS_CLOUD (clouds.yaml) or OS_AUTH_URL and friends');
  }
  const tofu = new Tofu(dir, { credentials: 'inherit', timeoutMs: 3_600_000 });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as CdktfConfig;
  const shownDir = dir.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, dir) : dir;
  log(`[rollout] tofu plan (${shownDir}): which servers miss their configuration`);
  const { batches, notes } = selectTargets(tofu.plan(), config, options);
  for (const note of notes) log(`[rollout] ${note}`);
  batches.forEach((batch, i) =>
    log(`[rollout] batch ${i + 1}: ${batch.map((t) => `${t.label} (${t.reason})`).join(', ')}`),
  );
  if (options.dryRun || batches.length === 0) return 0;
  const result = await executeRollout(batches, realDeps(tofu, config, options, log), options, log);
  log(`[rollout] replaced ${result.replaced.length} server(s)`);
  if (result.failed) {
    log(`[rollout] stopped; untouched: ${result.untouched.join(', ') || 'none'}`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runRollout(parseRolloutArgs(process.argv.slice(2))))
    .then((code) => (process.exitCode = code))
    .catch((err) => {
      console.error(`rollout: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    });
}
