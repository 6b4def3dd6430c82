/**
 * `npm run bench`: synth time and memory, `cdktf synth` as a user runs it, tofu validate and
 * plan times, the deploy critical path and user-data sizes, each next to a plain baseline
 * where one exists. Prints a table and writes BENCHMARKS.md. Not part of the test suite.
 *
 * BENCH_RUNS (default 3) sets the runs per synth measurement; BENCH_QUICK=1 skips the
 * 500-worker plan.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PlanJson, Tofu } from '../scripts/tofu';
import { applyToolsEnv, REPO_ROOT } from '../scripts/tools-env';
import { END as LOCAL_CLOUD_END, START as LOCAL_CLOUD_START } from './cloud';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CHILD = path.join(REPO_ROOT, 'dist', 'bench', 'synth-child.js');

interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

function fmt(s: Stats, unit: string, digits = 2): string {
  const f = (v: number) => v.toFixed(digits);
  return s.min === s.max ? `${f(s.median)} ${unit}` : `${f(s.median)} ${unit} (${f(s.min)}–${f(s.max)})`;
}

function tmpdir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bench-${prefix}-`));
}

function timed<T>(fn: () => T): { seconds: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** One synth in a child process: wall time of the whole process and its peak RSS. */
function synthOnce(kind: 'cluster' | 'baseline', pools: number, perPool: number, outdir: string) {
  const { seconds, value } = timed(() =>
    spawnSync(process.execPath, [CHILD, kind, String(pools), String(perPool), outdir], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    }),
  );
  if (value.status !== 0) throw new Error(`synth ${kind} ${pools}x${perPool} failed:\n${value.stderr}`);
  const { maxRssKiB } = JSON.parse(value.stdout.trim().split('\n').pop() ?? '{}');
  return { seconds, rssMiB: maxRssKiB / 1024 };
}

function synthBench(kind: 'cluster' | 'baseline', pools: number, perPool: number) {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = tmpdir('synth');
    const r = synthOnce(kind, pools, perPool, dir);
    fs.rmSync(dir, { recursive: true, force: true });
    times.push(r.seconds);
    rss.push(r.rssMiB);
  }
  return { time: stats(times), rss: stats(rss) };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const { seconds, value } = timed(() => spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', env }));
  if (value.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${value.stdout}${value.stderr}`);
  return seconds;
}

/** References of a resource's configuration to other resources (type.name). */
function referencesOf(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => referencesOf(n, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'references' && Array.isArray(value)) {
        for (const ref of value as string[]) {
          const m = /^((?:openstack_[a-z0-9_]+|terraform_data))\.([A-Za-z0-9_-]+)/.exec(ref);
          if (m) out.add(`${m[1]}.${m[2]}`);
        }
      } else referencesOf(value, out);
    }
  }
  return out;
}

interface Resource {
  address: string;
  expressions?: unknown;
  for_each_expression?: unknown;
  depends_on?: string[];
}

/** The longest dependency chain ending at each worker server, and whether any reaches the master. */
function criticalPath(plan: PlanJson) {
  const resources = (
    (plan.configuration as { root_module: { resources: Resource[] } }).root_module.resources ?? []
  ).filter((r) => !r.address.startsWith('data.'));
  const deps = new Map(
    resources.map((r) => [
      r.address,
      [...referencesOf([r.expressions, r.for_each_expression]), ...(r.depends_on ?? [])].filter((d) => d !== r.address),
    ]),
  );
  const memo = new Map<string, string[]>();
  const chain = (address: string): string[] => {
    if (memo.has(address)) return memo.get(address)!;
    const longest = (deps.get(address) ?? []).map(chain).reduce<string[]>((a, b) => (b.length > a.length ? b : a), []);
    const result = [...longest, address];
    memo.set(address, result);
    return result;
  };
  const workers = resources.filter(
    (r) => r.address.startsWith('openstack_compute_instance_v2.') && r.address.includes('Workers'),
  );
  const longest = workers.map((w) => chain(w.address)).reduce<string[]>((a, b) => (b.length > a.length ? b : a), []);
  const reachesMaster = (address: string, seen = new Set<string>()): boolean =>
    (deps.get(address) ?? []).some(
      (d) => d.includes('_Master_Server') || (!seen.has(d) && (seen.add(d), reachesMaster(d, seen))),
    );
  return { longest, workerWaitsOnMaster: workers.some((w) => reachesMaster(w.address)) };
}

function userDataSizes(dir: string): { master: number; worker: number } {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
  const servers = Object.entries(config.resource.openstack_compute_instance_v2) as [string, { user_data: string }][];
  const size = (match: string) => Buffer.byteLength(servers.find(([n]) => n.includes(match))![1].user_data);
  return { master: size('Master'), worker: size('Workers') };
}

function planBench(kind: 'cluster' | 'baseline', workers: number) {
  const outdir = tmpdir('plan');
  try {
    synthOnce(kind, 1, workers, outdir);
    const dir = path.join(outdir, 'stacks', 'bench');
    const tofu = new Tofu(dir);
    const init = timed(() => tofu.init()).seconds;
    const validate = timed(() => tofu.validate()).seconds;
    const plan = timed(() => tofu.plan());
    const sizes = kind === 'cluster' ? userDataSizes(dir) : undefined;
    const configBytes = fs.statSync(path.join(dir, 'cdk.tf.json')).size;
    return {
      init,
      validate,
      plan: plan.seconds,
      resources: plan.value.resource_changes?.length ?? 0,
      planJson: plan.value,
      sizes,
      configBytes,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function main(): void {
  const tools = applyToolsEnv();
  if (!fs.existsSync(CHILD)) throw new Error('dist/bench is missing: run `npm run build` first (npm run bench does)');
  const lines: string[] = [];
  const log = (line = '') => {
    console.log(line);
    lines.push(line);
  };

  log('# Benchmarks');
  log();
  log(
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` (BENCH_RUNS=${RUNS}) on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, OpenTofu ${tools.openTofuVersion}, provider ${tools.openstackProviderVersion}. ` +
      'Times are wall-clock medians with the range of the runs in brackets.',
  );
  log();

  log('## Synth (compiled code, whole process: node start, load, construct, synth, write)');
  log();
  log('| Cluster | Time | Peak RSS | Target |');
  log('| --- | --- | --- | --- |');
  const synth: Record<string, ReturnType<typeof synthBench>> = {};
  for (const [pools, perPool] of [
    [1, 1],
    [1, 10],
    [1, 100],
    [1, 500],
    [1, 1000],
    [10, 100],
  ] as const) {
    const key = `${pools}x${perPool}`;
    synth[key] = synthBench('cluster', pools, perPool);
    const label = pools === 1 ? `${perPool} worker${perPool > 1 ? 's' : ''}` : `${pools} pools × ${perPool}`;
    const target = key === '1x1000' || key === '10x100' ? '< 5 s, < 1 GiB' : '';
    log(`| ${label} | ${fmt(synth[key].time, 's')} | ${fmt(synth[key].rss, 'MiB', 0)} | ${target} |`);
  }
  const base1000 = synthBench('baseline', 1, 1000);
  log(
    `| baseline: 1000 workers written with the bindings | ${fmt(base1000.time, 's')} | ${fmt(base1000.rss, 'MiB', 0)} | |`,
  );
  const ratio = synth['1x1000'].time.median / synth['1x100'].time.median;
  log();
  log(
    `Growth t(1000)/t(100) = ${ratio.toFixed(2)} (target ≤ 12). Workers are one \`for_each\` resource per pool, so synth ` +
      'work grows with the number of pools, not of workers; the time is mostly Node, cdktf and the bindings loading.',
  );
  log();

  log('## `cdktf synth` as a user runs it (cold: ts-node compiles the app and the library)');
  log();
  const outdir = tmpdir('cli');
  const env = { ...process.env, CHECKPOINT_DISABLE: '1' };
  const cli = stats(Array.from({ length: RUNS }, () => run('npx', ['cdktf', 'synth', '--output', outdir], env)));
  const app = stats(
    Array.from({ length: RUNS }, () =>
      run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'stacks/app.ts'], {
        ...env,
        CDKTF_OUTDIR: outdir,
      }),
    ),
  );
  const load = stats(Array.from({ length: RUNS }, () => run(process.execPath, ['-e', "require('cdktf')"])));
  fs.rmSync(outdir, { recursive: true, force: true });
  log('| Step | Time | Target |');
  log('| --- | --- | --- |');
  log(`| \`npx cdktf synth\` (all three example stacks) | ${fmt(cli, 's')} | < 10 s |`);
  log(`| of which the app itself (\`node -r ts-node/register/transpile-only stacks/app.ts\`) | ${fmt(app, 's')} | |`);
  log(`| of which loading cdktf alone | ${fmt(load, 's')} | |`);
  log();
  log(
    'The app runs through ts-node in transpile-only mode (cdktf.json), so no type-checking of the ' +
      'generated bindings happens at synth; `npm run build` type-checks once. The rest is the cdktf CLI starting.',
  );
  log();

  log('## tofu validate and plan (real provider, no cloud)');
  log();
  log(
    '| Workers | Resources planned | Config size | init | validate | plan | Baseline plan (same servers, written plainly) |',
  );
  log('| ---: | ---: | ---: | --- | --- | --- | --- |');
  const sizes: string[] = [];
  let graph: ReturnType<typeof criticalPath> | undefined;
  const planRows: { workers: number; ratio: number }[] = [];
  for (const workers of process.env.BENCH_QUICK ? [10, 100] : [10, 100, 500]) {
    const ours = planBench('cluster', workers);
    const base = planBench('baseline', workers);
    graph ??= criticalPath(ours.planJson);
    sizes.push(`| ${workers} | ${ours.sizes!.master} | ${ours.sizes!.worker} |`);
    const perResource = (seconds: number, count: number) => `${((seconds * 1000) / count).toFixed(0)} ms/resource`;
    planRows.push({ workers, ratio: ours.plan / ours.resources / (base.plan / base.resources) });
    log(
      `| ${workers} | ${ours.resources} | ${(ours.configBytes / 1024).toFixed(0)} KiB | ${ours.init.toFixed(2)} s | ` +
        `${ours.validate.toFixed(2)} s | ${ours.plan.toFixed(2)} s (${perResource(ours.plan, ours.resources)}) | ` +
        `${base.plan.toFixed(2)} s for ${base.resources} resources (${perResource(base.plan, base.resources)}) |`,
    );
  }
  log();
  const [first, last] = [planRows[0], planRows[planRows.length - 1]];
  log(
    `A worker is four resources here (server, port, volume, attachment) against two in the baseline, which accounts ` +
      `for half of the gap. Per resource, the cluster costs ${first.ratio.toFixed(1)}× the baseline at ${first.workers} ` +
      `workers and ${last.ratio.toFixed(1)}× at ${last.workers}, and both grow faster than linearly with the count, which ` +
      "is tofu's own scaling (the baseline shows it too). Not measured yet, so only a lead: each worker's user data " +
      'is one string per pool in the JSON (the configuration stays ~50 KiB), but tofu evaluates that template, with its ' +
      'references to the secret and the containers, once per instance. In a one-off run (2026-11-24, 300 workers), ' +
      'removing the volumes halved both the resources and the plan time (31 s vs 62 s): nothing about them in ' +
      'particular is slow.',
  );
  log();

  log('## Deploy critical path');
  log();
  log(
    `Longest chain of resources to a worker server: ${graph!.longest.map((a) => '`' + a.split('.')[0] + '`').join(' → ')} (${graph!.longest.length} resources).`,
  );
  log();
  log(`Does any worker wait for the master server? **${graph!.workerWaitsOnMaster ? 'yes' : 'no'}** (target: no).`);
  log();

  log('## User data size per node (bytes as synthesized; Nova allows 65,535 after base64)');
  log();
  log('| Workers | Master | Worker |');
  log('| ---: | ---: | ---: |');
  sizes.forEach((row) => log(row));
  log();
  log('## Deploy to ready');
  log();
  timeToReadyReport().forEach((line) => log(line));

  // The local cloud's section comes from `npm run bench:cloud` (bench/cloud.ts): keep it.
  const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const [from, to] = [previous.indexOf(LOCAL_CLOUD_START), previous.indexOf(LOCAL_CLOUD_END)];
  if (from >= 0 && to > from) {
    log();
    log(previous.slice(from, to + LOCAL_CLOUD_END.length));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  console.log('\nwrote BENCHMARKS.md');
}

/** A minimal view of what test/cloud/boot.cloud.ts writes to .cache/e2e/deploy-to-ready.json. */
interface DeployToReady {
  cores?: number;
  deploySeconds: number;
  realizeSeconds: number;
  bootToRegisteredSeconds: number;
  deployToReadySeconds: number;
  scaleUpSeconds?: number;
  hosts: {
    server: string;
    bootToUserDataSeconds: number;
    bootstrapPhases: Record<string, number>;
    bootstrapFinishedAfterBootSeconds: number;
  }[];
}

/** The last boot test's deploy-to-ready, as Markdown (the test measures it; this reports it). */
export function timeToReadyReport(file = path.join(REPO_ROOT, '.cache', 'e2e', 'deploy-to-ready.json')): string[] {
  if (!fs.existsSync(file)) {
    return [
      'No measurement: run `npm run test:cloud` (or `npm test`) first; it writes `.cache/e2e/deploy-to-ready.json`.',
    ];
  }
  const t = JSON.parse(fs.readFileSync(file, 'utf8')) as DeployToReady;
  const phases = ['download', 'unpack', 'jars', 'java', 'volume', 'start', 'total'];
  const initial = t.hosts.filter((h) => !/-4$/.test(h.server));
  return [
    `From \`cdktf deploy\` starting to every worker registered, on the local cloud (test/cloud/boot.cloud.ts: ` +
      `the example with a master (Prometheus on it) and 3 workers, each with a 10 GiB volume, HTTPS UIs, ` +
      `${t.cores ?? "this machine's"} cores): **${t.deployToReadySeconds} s**.`,
    '',
    '| Phase | Seconds |',
    '| --- | ---: |',
    `| \`cdktf deploy\` (synth, \`tofu init\`, apply through the OpenStack APIs) | ${t.deploySeconds} |`,
    `| realize (hosts made and started: the hypervisor's part) | ${t.realizeSeconds} |`,
    `| boot, cloud-init from Nova's metadata, bootstrap, Spark up, workers registered | ${t.bootToRegisteredSeconds} |`,
    ...(t.scaleUpSeconds
      ? [`| scale-up 3 → 4: apply, realize, the new worker registered | ${t.scaleUpSeconds} |`]
      : []),
    '',
    `| Server | boot → user data (s) | ${phases.join(' (s) | ')} (s) | bootstrap done after boot (s) |`,
    `| --- | ---: | ${phases.map(() => '---:').join(' | ')} | ---: |`,
    ...[...initial, ...t.hosts.filter((h) => !initial.includes(h))].map(
      (h) =>
        `| ${h.server} | ${h.bootToUserDataSeconds} | ${phases.map((p) => h.bootstrapPhases[p] ?? '').join(' | ')} | ${h.bootstrapFinishedAfterBootSeconds} |`,
    ),
    '',
    'Bootstrap phases overlap: the S3A jars (jars) and Java (java) run alongside download and',
    "unpack (Spark comes from the cloud's Swift mirror); a worker's start waits for the master's",
    'port. What remains after "bootstrap done" is the JVMs starting and the workers registering.',
    '',
    "For scale, Flintrock's published figure is a 100-node cluster launched in about three minutes",
    "on EC2. These figures are not that: Nova's fake driver creates a server in about a second and",
    'boots nothing, the hosts are containers sharing this machine (no kernel or firmware boot, and',
    'four JVM sets on two cores), and the mirror is on the same machine. What they do measure is',
    "the library's own share: the apply's critical path (network → subnet → port → server) and",
    'the bootstrap; a real server adds its firmware and kernel boot, not measured here. The 100-worker apply alone',
    'takes about two minutes on this cloud (below); 100 realized hosts do not fit on two cores.',
  ];
}

if (require.main === module) main();
