/**
 * `npm run status -- <stack> [options]`: what a deployed cluster is doing now, as an operator
 * asks after `cdktf deploy`: is a master alive (and, with several masters, is each other one a
 * standby), has every pool's worker registered, how many cores and how much memory are in use,
 * which applications run or wait, which alerts fire.
 *
 * It reads the stack's outputs and servers from its state (`tofu show -json` in the
 * synthesized stack, so SPARK_STATE_DIR's state when the stack was synthesized with it), then
 * every master's `/json/` at once and, when the cluster runs Prometheus, its `/api/v1/alerts`.
 * The web UI must be reachable from here (`access.webUiFrom`), Prometheus too
 * (`access.metricsFrom`). A private CA's certificate: NODE_EXTRA_CA_CERTS=ca.pem.
 *
 *   --master-url URL[,URL]  the masters' web UIs; repeat it or list them (default: the stack's
 *                           master_web_ui_urls output, else its master_web_ui_url)
 *   --prometheus-url URL    the cluster's Prometheus (default: its prometheus_url output)
 *   --dir DIR               the synthesized stack (default cdktf.out/stacks/<stack>)
 *
 * Exit status: 0 all well, 1 a pool misses workers, a worker is not alive, an application
 * waits, an alert fires, a standby master is down or not STANDBY, two masters are ALIVE, or
 * the stack's master outputs are malformed, 2 no master is ALIVE (or the stack cannot be read).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Tofu } from './tofu';
import { applyToolsEnv, REPO_ROOT } from './tools-env';

export interface StatusOptions {
  readonly stack: string;
  /** Every master's web UI, overriding the stack's outputs. */
  readonly masterUrls?: readonly string[];
  readonly prometheusUrl?: string;
  readonly dir?: string;
}

export function parseStatusArgs(argv: string[]): StatusOptions {
  const options: { stack: string; masterUrls?: string[]; prometheusUrl?: string; dir?: string } = { stack: '' };
  const value = (flag: string, text: string | undefined) => {
    if (!text || text.startsWith('--')) throw new Error(`${flag} takes a value`);
    return text;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--master-url') {
      const urls = value(arg, argv[++i]).split(',');
      if (urls.some((u) => u.trim() === '')) throw new Error(`--master-url ${argv[i]}: an empty URL in the list`);
      options.masterUrls = [...(options.masterUrls ?? []), ...urls.map((u) => u.trim())];
    } else if (arg === '--prometheus-url') options.prometheusUrl = value(arg, argv[++i]);
    else if (arg === '--dir') options.dir = value(arg, argv[++i]);
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else if (options.stack) throw new Error(`one stack at a time: got ${options.stack} and ${arg}`);
    else options.stack = arg;
  }
  if (!options.stack) {
    throw new Error('usage: npm run status -- <stack> [--master-url URL[,URL...]] [--prometheus-url URL]');
  }
  return options;
}

/** What the status reads from the stack: where to look, and what each pool should have. */
export interface StatusTarget {
  /** The first master's web UI: all a single-master target needs. */
  readonly masterUrl?: string;
  /** Every master's web UI, first master first; when it lists any, `masterUrl` is not read. */
  readonly masterUrls?: readonly string[];
  /** What is wrong with the stack's master outputs (each needs a look). */
  readonly outputProblems?: readonly string[];
  readonly prometheusUrl?: string;
  /** Pool id -> the workers it should have, and their private addresses in the state. */
  readonly pools: Record<string, { readonly expected: number; readonly addresses: readonly string[] }>;
}

/** `tofu show -json`: the parts the status reads. */
export interface ShownState {
  values?: {
    outputs?: Record<string, { value: unknown; sensitive?: boolean }>;
    root_module?: { resources?: { type: string; values: Record<string, unknown> }[] };
  };
}

/**
 * The masters' URLs from the outputs: master_web_ui_urls, else (old single-master stacks, or a
 * list with no URL in it) master_web_ui_url; and what is wrong with the list.
 */
function masterUrlsFromOutputs(outputs: Record<string, { value: unknown }>): { urls: string[]; problems: string[] } {
  const first = outputs.master_web_ui_url?.value;
  const fallback = typeof first === 'string' && first !== '' ? [first] : [];
  if (!('master_web_ui_urls' in outputs)) return { urls: fallback, problems: [] };
  const listed = outputs.master_web_ui_urls.value;
  const problems: string[] = [];
  const urls: string[] = [];
  if (!Array.isArray(listed)) {
    problems.push(`master_web_ui_urls is ${JSON.stringify(listed)}, not a list of URLs`);
  } else if (listed.length === 0) {
    problems.push('master_web_ui_urls is an empty list');
  } else {
    listed.forEach((url, i) => {
      if (typeof url === 'string' && url !== '') urls.push(url);
      else problems.push(`master_web_ui_urls[${i}] is ${JSON.stringify(url) ?? String(url)}, not a URL`);
    });
  }
  if (urls.length > 0) return { urls, problems };
  if (fallback.length > 0) problems.push('read master_web_ui_url alone');
  return { urls: fallback, problems };
}

/**
 * The target from a state: URLs from the outputs (master_web_ui_urls or master_web_ui_url,
 * prometheus_url), pools from the worker_pools output (pool -> count) or else from the servers
 * the state holds.
 */
export function targetFromState(state: ShownState): StatusTarget {
  const outputs = state.values?.outputs ?? {};
  const text = (name: string) =>
    typeof outputs[name]?.value === 'string' ? (outputs[name].value as string) : undefined;
  const masters = masterUrlsFromOutputs(outputs);
  const pools: Record<string, { expected: number; addresses: string[] }> = {};
  const declared = outputs.worker_pools?.value;
  if (declared && typeof declared === 'object') {
    for (const [pool, count] of Object.entries(declared as Record<string, unknown>)) {
      pools[pool] = { expected: Number(count), addresses: [] };
    }
  }
  const servers = (state.values?.root_module?.resources ?? []).filter(
    (r) => r.type === 'openstack_compute_instance_v2',
  );
  for (const server of servers) {
    const metadata = (server.values.metadata ?? {}) as Record<string, string>;
    if (metadata['spark:role'] !== 'worker') continue;
    const pool = metadata['spark:pool'] ?? '?';
    const network = (server.values.network as { fixed_ip_v4?: string }[] | undefined)?.[0];
    const ip = network?.fixed_ip_v4 || String(server.values.access_ip_v4 ?? '');
    pools[pool] ??= { expected: 0, addresses: [] };
    if (!declared) pools[pool].expected += 1;
    if (ip) pools[pool].addresses.push(ip);
  }
  for (const pool of Object.values(pools)) pool.addresses.sort();
  return {
    masterUrl: text('master_web_ui_url'),
    masterUrls: masters.urls,
    outputProblems: masters.problems,
    prometheusUrl: text('prometheus_url'),
    pools,
  };
}

/** The parts of the master's /json/ the status reads. */
interface MasterJson {
  readonly status?: string;
  readonly cores?: number;
  readonly coresused?: number;
  readonly memory?: number;
  readonly memoryused?: number;
  readonly workers?: { host: string; state: string; cores: number; memory: number }[];
  readonly activeapps?: { name: string; state: string; cores: number }[];
}

/** One master as the status found it. */
export interface MasterReport {
  readonly url: string;
  /** The `status` its `/json/` reports (ALIVE, STANDBY, RECOVERING, COMPLETING_RECOVERY), or unreachable. */
  readonly status: 'unreachable' | string;
  /** Why it gave no usable answer, when unreachable. */
  readonly why?: string;
}

/** What the status found. */
export interface ClusterStatus {
  /** The master the rest is about: the ALIVE one (the first listed, if several are), else the first. */
  readonly masterUrl: string;
  readonly master: 'unreachable' | string;
  readonly why?: string;
  /** Every master read, in the order the outputs (or --master-url) list them. */
  readonly masters: readonly MasterReport[];
  /** What is wrong with the stack's master outputs. */
  readonly outputProblems: readonly string[];
  readonly pools: { pool: string; expected: number; alive: number; missing: string[] }[];
  /** Alive workers the state puts in no pool (another cluster's, or a server Terraform lost). */
  readonly unknownWorkers: string[];
  readonly aliveWorkers: number;
  readonly deadWorkers: number;
  readonly cores: { used: number; total: number };
  readonly memoryMiB: { used: number; total: number };
  readonly running: string[];
  readonly waiting: string[];
  readonly alerts?: { firing: string[]; pending: string[] } | { error: string };
  readonly prometheusUrl?: string;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = await response.text();
  try {
    return JSON.parse(body);
  } catch {
    // A proxy's login page or a misrouted port answers 200 too: show what came back.
    const start = body.replace(/\s+/g, ' ').trim().slice(0, 40);
    throw new Error(
      `not JSON (${response.headers.get('content-type') ?? 'no content-type'}): ${JSON.stringify(start)}`,
    );
  }
}

/** Why a URL gave no answer, in a few words. */
function unreachable(err: unknown): string {
  // Duck-typed: fetch's errors come from Node's own realm, where `instanceof Error` can fail.
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: string;
    message?: string;
    cause?: unknown;
  };
  if (e.name === 'TimeoutError') return 'no answer within 10 s';
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as { code?: string; message?: string };
  return cause.code ?? cause.message ?? e.message ?? String(err);
}

/** One master's `/json/`, or why it has none. */
async function readMaster(url: string): Promise<{ report: MasterReport; page?: MasterJson }> {
  let page: unknown;
  try {
    page = await getJson(`${url}/json/`);
  } catch (err) {
    return { report: { url, status: 'unreachable', why: unreachable(err) } };
  }
  const status = typeof page === 'object' && page !== null ? (page as MasterJson).status : undefined;
  if (typeof status !== 'string') {
    return { report: { url, status: 'unreachable', why: 'its /json/ names no status (not a Spark master?)' } };
  }
  return { report: { url, status }, page: page as MasterJson };
}

async function readAlerts(prometheusUrl: string): Promise<NonNullable<ClusterStatus['alerts']>> {
  try {
    const body = (await getJson(`${prometheusUrl}/api/v1/alerts`)) as {
      data?: { alerts?: { labels: Record<string, string>; state: string }[] };
    };
    const named = (state: string) =>
      (body.data?.alerts ?? [])
        .filter((a) => a.state === state)
        .map((a) => `${a.labels.alertname}${a.labels.instance ? ` (${a.labels.instance})` : ''}`)
        .sort();
    return { firing: named('firing'), pending: named('pending') };
  } catch (err) {
    return { error: unreachable(err) };
  }
}

/** Reads every master (and Prometheus) of `target` at once. */
export async function clusterStatus(target: StatusTarget): Promise<ClusterStatus> {
  const listed = target.masterUrls?.length ? target.masterUrls : target.masterUrl ? [target.masterUrl] : [];
  // The same master twice would read as two ALIVE masters.
  const urls = [...new Set(listed.map((u) => u.replace(/\/+$/, '')).filter((u) => u !== ''))];
  const empty = {
    masters: [],
    outputProblems: target.outputProblems ?? [],
    pools: [],
    unknownWorkers: [],
    aliveWorkers: 0,
    deadWorkers: 0,
    cores: { used: 0, total: 0 },
    memoryMiB: { used: 0, total: 0 },
    running: [],
    waiting: [],
  };
  if (urls.length === 0) {
    return { ...empty, masterUrl: '', master: 'unreachable', why: 'the stack has no master_web_ui_url output' };
  }
  const prometheusUrl = target.prometheusUrl?.replace(/\/+$/, '');
  const [read, alerts] = await Promise.all([
    Promise.all(urls.map(readMaster)),
    prometheusUrl ? readAlerts(prometheusUrl) : undefined,
  ]);
  const masters = read.map((r) => r.report);
  const leader = read.find((r) => r.report.status === 'ALIVE');
  if (!leader?.page) {
    const [first] = masters;
    return { ...empty, masters, masterUrl: first.url, master: first.status, why: first.why };
  }
  const page = leader.page;
  const workers = Array.isArray(page.workers) ? page.workers : [];
  const alive = new Set(workers.filter((w) => w.state === 'ALIVE').map((w) => w.host));
  const known = new Set<string>();
  const pools = Object.entries(target.pools)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([pool, { expected, addresses }]) => {
      addresses.forEach((a) => known.add(a));
      return {
        pool,
        expected,
        alive: addresses.filter((a) => alive.has(a)).length,
        missing: addresses.filter((a) => !alive.has(a)),
      };
    });
  const apps = Array.isArray(page.activeapps) ? page.activeapps : [];
  return {
    ...empty,
    masterUrl: leader.report.url,
    master: 'ALIVE',
    masters,
    pools,
    unknownWorkers: [...alive].filter((h) => !known.has(h)).sort(),
    aliveWorkers: alive.size,
    deadWorkers: workers.filter((w) => w.state !== 'ALIVE').length,
    cores: { used: page.coresused ?? 0, total: page.cores ?? 0 },
    memoryMiB: { used: page.memoryused ?? 0, total: page.memory ?? 0 },
    running: apps.filter((a) => a.state === 'RUNNING').map((a) => a.name),
    waiting: apps.filter((a) => a.state === 'WAITING').map((a) => a.name),
    alerts,
    prometheusUrl,
  };
}

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

const isRecovering = (m: MasterReport) => m.status === 'RECOVERING' || m.status === 'COMPLETING_RECOVERY';

/** `http://b:8080 STANDBY`, `http://c:8080 unreachable: ECONNREFUSED`. */
const described = (m: MasterReport) => `${m.url} ${m.status === 'unreachable' ? `unreachable: ${m.why}` : m.status}`;

/** The lines when no master is ALIVE: which masters said what, and where to look. */
function noLeader(stack: string, status: ClusterStatus): string[] {
  const { masters } = status;
  const lines: string[] = [];
  const answered = masters.filter((m) => m.status !== 'unreachable');
  if (answered.length === 0) {
    const all = masters.map(described).join(', ');
    lines.push(
      masters.length > 1
        ? `[status] ${stack}: none of the ${masters.length} Spark masters can be reached: ${all}.`
        : `[status] ${stack}: the Spark master cannot be reached at ${status.masterUrl || '(no URL)'}: ${status.why}.`,
      '[status] Is the stack deployed, and is the web UI open to this machine (access.webUiFrom)? ' +
        `--master-url overrides the ${masters.length > 1 ? 'addresses' : 'address'}.`,
    );
  } else {
    lines.push(
      masters.length > 1
        ? `[status] ${stack}: no Spark master is ALIVE: ${masters.map(described).join(', ')}.`
        : `[status] ${stack}: master ${status.masterUrl} is ${status.master}, not ALIVE: nothing schedules applications.`,
    );
    if (answered.some(isRecovering)) {
      lines.push(
        '[status] A master is recovering the cluster from ZooKeeper (a failover): run this again in a minute.',
      );
    } else if (answered.every((m) => m.status === 'STANDBY')) {
      lines.push(
        '[status] Every master that answers is STANDBY: none has won the election. ' +
          'Is ZooKeeper up and reachable from the masters (spark.deploy.zookeeper.url)?',
      );
    }
  }
  if (status.outputProblems.length > 0) {
    lines.push(`[status] The stack's master outputs: ${status.outputProblems.join('; ')}.`);
  }
  return lines;
}

/** The status as lines for a terminal, and its exit code. */
export function formatStatus(stack: string, status: ClusterStatus): { lines: string[]; code: number } {
  if (status.master !== 'ALIVE') return { lines: noLeader(stack, status), code: 2 };
  const lines = [`[status] ${stack}: master ${status.masterUrl} is ALIVE`];
  let degraded = false;
  const { masters } = status;
  if (masters.length > 1) {
    const alive = masters.filter((m) => m.status === 'ALIVE');
    lines.push(`  masters: ${alive.length} ALIVE of ${masters.length} (${masters.map(described).join(', ')})`);
    if (alive.length > 1) {
      lines.push(
        `  SPLIT BRAIN: ${alive.length} masters are ALIVE (${alive.map((m) => m.url).join(', ')}) and each may ` +
          'schedule applications on its own workers. Stop all but one, and check that every master uses the same ' +
          `ZooKeeper (spark.deploy.zookeeper.url). Workers below as ${status.masterUrl} sees them.`,
      );
    }
    const down = masters.filter((m) => m.status !== 'ALIVE' && m.status !== 'STANDBY');
    if (down.length > 0) {
      const why = down
        .map((m) =>
          m.status === 'unreachable' ? `${m.url} unreachable: ${m.why}` : `${m.url} is ${m.status}, not STANDBY`,
        )
        .join('; ');
      // ZooKeeper, one server per master, needs a majority: that bounds the losses, not Spark.
      const majority = Math.floor(masters.length / 2) + 1;
      const answering = masters.length - down.length;
      const left = Math.max(0, answering - majority);
      lines.push(
        `  HA DEGRADED: ${why}` +
          (alive.length === 1
            ? `; the cluster now survives ${left === 0 ? 'no further master loss' : `${left} more, not ${Math.floor((masters.length - 1) / 2)}`} ` +
              `(ZooKeeper needs ${majority} of the ${masters.length} masters)`
            : ''),
      );
    }
    degraded = alive.length > 1 || down.length > 0;
  }
  if (status.outputProblems.length > 0) {
    lines.push(`  stack outputs: ${status.outputProblems.join('; ')}`);
    degraded = true;
  }
  const expected = status.pools.reduce((n, p) => n + p.expected, 0);
  lines.push(
    `  workers: ${status.aliveWorkers} alive of ${expected} expected` +
      (status.deadWorkers > 0 ? `, ${status.deadWorkers} the master lists as not alive` : ''),
  );
  for (const pool of status.pools) {
    const ok = pool.alive === pool.expected;
    degraded ||= !ok;
    const missing = pool.missing.length > 0 ? `; not registered: ${pool.missing.join(', ')}` : '';
    lines.push(
      `    pool ${pool.pool}: ${pool.alive} of ${pool.expected} registered${ok ? '' : ' (MISSING)'}${missing}`,
    );
  }
  if (status.unknownWorkers.length > 0) lines.push(`    not in this stack: ${status.unknownWorkers.join(', ')}`);
  degraded ||= status.deadWorkers > 0;
  lines.push(
    `  cores: ${status.cores.used} used of ${status.cores.total}; memory: ${gib(status.memoryMiB.used)} used of ${gib(status.memoryMiB.total)}`,
  );
  const names = (list: string[]) => (list.length > 0 ? ` (${list.join(', ')})` : '');
  lines.push(
    `  applications: ${status.running.length} running${names(status.running)}, ${status.waiting.length} waiting${names(status.waiting)}`,
  );
  degraded ||= status.waiting.length > 0;
  const alerts = status.alerts;
  if (!alerts) lines.push('  alerts: no Prometheus in this cluster (monitoring.prometheus)');
  else if ('error' in alerts) {
    lines.push(`  alerts: Prometheus at ${status.prometheusUrl} cannot be read: ${alerts.error} (access.metricsFrom?)`);
    degraded = true;
  } else {
    lines.push(
      `  alerts: ${alerts.firing.length === 0 ? 'none firing' : `FIRING ${alerts.firing.join(', ')}`}` +
        (alerts.pending.length > 0 ? `; pending ${alerts.pending.join(', ')}` : ''),
    );
    degraded ||= alerts.firing.length > 0;
  }
  return { lines, code: degraded ? 1 : 0 };
}

/** Reads the stack's state through the project's tofu. */
export function readStackState(options: StatusOptions): ShownState {
  const dir = options.dir ? path.resolve(options.dir) : path.join(REPO_ROOT, 'cdktf.out', 'stacks', options.stack);
  if (!fs.existsSync(path.join(dir, 'cdk.tf.json'))) {
    throw new Error(`no synthesized stack in ${dir}: deploy it first (cdktf deploy ${options.stack}), or pass --dir`);
  }
  applyToolsEnv();
  const tofu = new Tofu(dir);
  tofu.init();
  return JSON.parse(tofu.run(['show', '-json'])) as ShownState;
}

/** The command: returns its exit code. */
export async function runStatus(
  options: StatusOptions,
  log: (line: string) => void = console.log,
  readState: (options: StatusOptions) => ShownState = readStackState,
): Promise<number> {
  let target: StatusTarget;
  try {
    target = targetFromState(readState(options));
  } catch (err) {
    log(`[status] ${options.stack}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const status = await clusterStatus({
    ...target,
    // --master-url stands for the outputs, so what is wrong with them no longer matters.
    ...(options.masterUrls ? { masterUrl: undefined, masterUrls: options.masterUrls, outputProblems: [] } : {}),
    prometheusUrl: options.prometheusUrl ?? target.prometheusUrl,
  });
  const { lines, code } = formatStatus(options.stack, status);
  for (const line of lines) log(line);
  return code;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runStatus(parseStatusArgs(process.argv.slice(2))))
    .then((code) => (process.exitCode = code))
    .catch((err) => {
      console.error(`status: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 2;
    });
}
