/**
 * `npm run rollout -- <stack> [options]`: replaces servers that miss their configuration
 * (drift under UserDataChangePolicy.IGNORE, a pending rebuild or resize) or that you name, a
 * batch at a time, like an auto-scaling group's instance refresh. Each batch is one
 * `tofu apply -replace=<server> -target=<server> -target=<its volume attachment>` on the
 * synthesized stack; then the rollout waits until Nova reports every new server ACTIVE and,
 * where the master's web UI answers, until each new worker has registered with the master.
 * It stops at the first failure and leaves every later server untouched. Workers go first,
 * pool by pool; the master goes last, alone, and only with --include-master.
 *
 *   --batch N            servers per batch (default 1)
 *   --include-master     replace the master too, after every worker
 *   --only LIST          only these servers (comma-separated: worker keys such as general-3,
 *                        `master`, server names or resource addresses), drifted or not
 *   --master-url URL     the master's web UI as reachable from here (default: from state,
 *                        its floating IP or else its private address)
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
  /** `general-3`, or `master`. */
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

/** Orders worker keys as people count: general-2 before general-10. */
function byKey(a: RolloutTarget, b: RolloutTarget): number {
  return a.label.localeCompare(b.label, 'en', { numeric: true });
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
      label: role === 'master' ? 'master' : String(rc.index ?? rc.address),
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
    if (unknown.length > 0) {
      throw new Error(
        `--only: no server ${unknown.join(', ')} in stack ${options.stack}; servers: ${all.map((t) => t.label).join(', ')}`,
      );
    }
    chosen = all.filter((t) => options.only.some((o) => names(t).includes(o)));
  } else {
    chosen = all.filter((t) => reasons.has(t.address));
  }
  const masters = chosen.filter((t) => t.role === 'master');
  const workers = chosen.filter((t) => t.role === 'worker');
  if (masters.length > 0 && !options.includeMaster) {
    notes.push(
      `the master ${masters.map((m) => `(${m.cluster}) ${m.reason}`).join(', ')}: not replaced without ` +
        '--include-master (it goes last, alone; every running application fails when it does)',
    );
  }
  workers.sort((a, b) => a.cluster.localeCompare(b.cluster) || byKey(a, b));
  const batches: RolloutTarget[][] = [];
  for (let i = 0; i < workers.length; i += options.batch) batches.push(workers.slice(i, i + options.batch));
  if (options.includeMaster) for (const m of masters) batches.push([m]);
  if (batches.length === 0 && notes.length === 0) notes.push('nothing to roll out: every server has its configuration');
  return { batches, notes };
}

/** What the master's `/json` says about its workers. */
export interface MasterWorker {
  readonly id: string;
  readonly host: string;
  readonly state: string;
}

/** What the rollout needs from tofu, the cloud and the masters: real ones in `main`, doubles in tests. */
export interface RolloutDeps {
  /** `tofu apply` replacing `servers` (and re-creating `attachments`), nothing else. */
  replace(servers: string[], attachments: string[]): void;
  /** Every server in state after an apply: its Nova id and private address. */
  servers(): Map<string, { id: string; ip: string }>;
  /** Nova's status of a server. */
  serverStatus(id: string): Promise<string>;
  /** A cluster master's registered workers, or undefined when its web UI does not answer. */
  masterWorkers(cluster: string): Promise<MasterWorker[] | undefined>;
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

async function waitFor<T>(
  deps: RolloutDeps,
  deadline: number,
  what: string,
  check: () => Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (deps.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await deps.sleep(POLL_MS);
  }
}

/** Replaces the batches in order; stops at the first failure. */
export async function executeRollout(
  batches: RolloutTarget[][],
  deps: RolloutDeps,
  options: { timeoutSeconds: number },
  log: (line: string) => void,
): Promise<RolloutResult> {
  const replaced: string[] = [];
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b];
    const labels = batch.map((t) => t.label).join(', ');
    const untouched = () => batches.slice(b + 1).flatMap((x) => x.map((t) => t.address));
    log(`[rollout] batch ${b + 1}/${batches.length}: ${labels}`);
    try {
      // Who was registered before: a new worker must show up under an id not seen before.
      const before = new Map<string, MasterWorker[] | undefined>();
      for (const cluster of new Set(batch.map((t) => t.cluster)))
        before.set(cluster, await deps.masterWorkers(cluster));
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
        const registered = before.get(target.cluster);
        if (!registered) {
          log(
            `[rollout] ${target.label}: registration not checked: the master's web UI (${target.cluster}) ` +
              'gives no worker list from here, so only ACTIVE in Nova was waited for',
          );
          continue;
        }
        const known = new Set(registered.map((w) => w.id));
        if (target.role === 'worker') {
          const ip = inState.get(target.address)!.ip;
          await waitFor(deps, deadline, `${target.label} (${ip}) to register with the master`, async () => {
            const workers = await deps.masterWorkers(target.cluster);
            return workers?.find((w) => w.host === ip && w.state === 'ALIVE' && !known.has(w.id));
          });
          log(`[rollout] ${target.label} registered with the master`);
        } else {
          const alive = registered.filter((w) => w.state === 'ALIVE').length;
          await waitFor(deps, deadline, `the new master to see ${alive} workers ALIVE`, async () => {
            const workers = await deps.masterWorkers(target.cluster);
            return workers && workers.filter((w) => w.state === 'ALIVE').length >= alive ? workers : undefined;
          });
          log(`[rollout] the new master answers with ${alive} workers ALIVE`);
        }
      }
      replaced.push(...batch.map((t) => t.address));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log(`[rollout] FAILED in batch ${b + 1} (${labels}): ${reason}`);
      return { replaced, failed: { batch: batch.map((t) => t.address), reason }, untouched: untouched() };
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
 * A cluster master's web UI as reachable from outside: its floating IP, else its private
 * address, on the HTTPS port when its settings record says web UI TLS is on.
 */
export function masterUrlInState(state: StateJson, config: CdktfConfig, cluster: string): string | undefined {
  const all = state.values?.root_module?.resources ?? [];
  const inMaster = (address: string) => {
    const [type, rest] = address.split('.');
    const configPath = config.resource?.[type]?.[rest.replace(/\[.*$/, '')]?.['//']?.metadata?.path ?? '';
    return configPath.split('/').slice(1, 3).join('/') === `${cluster}/Master`;
  };
  const fip = all.find((r) => r.type === 'openstack_networking_floatingip_v2' && inMaster(r.address))?.values.address;
  const server = all.find((r) => r.type === SERVER && inMaster(r.address));
  // The master's port holds its fixed address (the network's masterIp).
  const port = all.find((r) => r.type === 'openstack_networking_port_v2' && inMaster(r.address));
  const fixed = (port?.values.fixed_ip as { ip_address?: string }[] | undefined)?.[0]?.ip_address;
  const ip = (fip as string | undefined) || fixed;
  if (!ip) return undefined;
  const record = parseSettingsRecord((server?.values.metadata as Record<string, unknown>)?.[SETTINGS_METADATA_KEY]);
  return record && record.webUiTls !== 'off' ? `https://${ip}:8480` : `http://${ip}:8080`;
}

/** Why a master's web UI gave no answer: a timeout, a refused connection, an HTTP status. */
function unreachable(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer within 5 s';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** The real thing: tofu on the synthesized stack, Nova, and each master's /json. */
function realDeps(tofu: Tofu, config: CdktfConfig, options: RolloutOptions, log: (line: string) => void): RolloutDeps {
  const nova = new NovaClient();
  const state = () => JSON.parse(tofu.run(['show', '-json'])) as StateJson;
  const urls = new Map<string, string | undefined>();
  // Each reason once: the registration wait polls the same URL every few seconds.
  const said = new Set<string>();
  const why = (line: string) => {
    if (!said.has(line)) log(line);
    said.add(line);
    return undefined;
  };
  return {
    replace: (servers, attachments) =>
      tofu.run(['apply', '-input=false', '-auto-approve', '-no-color', ...rolloutApplyArgs(servers, attachments)]),
    servers: () => serversInState(state()),
    serverStatus: (id) => nova.serverStatus(id),
    masterWorkers: async (cluster) => {
      if (!urls.has(cluster)) {
        urls.set(cluster, options.masterUrl?.replace(/\/+$/, '') ?? masterUrlInState(state(), config, cluster));
      }
      const url = urls.get(cluster);
      if (!url) return why(`[rollout] ${cluster}: the state holds no address of the master (floating IP or port)`);
      try {
        const response = await fetch(`${url}/json`, { signal: AbortSignal.timeout(5000) });
        if (!response.ok) return why(`[rollout] ${cluster}: ${url}/json answered HTTP ${response.status}`);
        return ((await response.json()) as { workers?: MasterWorker[] }).workers ?? [];
      } catch (err) {
        return why(`[rollout] ${cluster}: ${url}/json: ${unreachable(err)}`);
      }
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
