/**
 * `npm run bench:cloud`: the local cloud (scripts/cloud/cloud.sh) measured: time to bring it
 * up warm (and cold with BENCH_CLOUD_COLD=1, which deletes the cached layers first), its
 * memory while idle, and real apply and destroy times of the example stack with 3, 20 and 100
 * workers (BENCH_CLOUD_WORKERS) at tofu's default parallelism and at 30. Rewrites the
 * "The local cloud" section of BENCHMARKS.md. Not part of the test suite; needs root.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { applyToolsEnv, REPO_ROOT } from '../scripts/tools-env';
import * as os from 'os';
import { cloudEnv, inventory } from '../test/cloud/support';

const CLOUD = path.join(REPO_ROOT, 'scripts', 'cloud', 'cloud.sh');
const WORKERS = (process.env.BENCH_CLOUD_WORKERS ?? '3,20,100').split(',').map(Number);
const PARALLELISM = [10, 30];
export const START = '<!-- local-cloud:start -->';
export const END = '<!-- local-cloud:end -->';

function sh(args: string[]): number {
  const started = Date.now();
  const r = spawnSync('bash', [CLOUD, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`cloud.sh ${args.join(' ')} exited ${r.status}`);
  return (Date.now() - started) / 1000;
}

/** Proportional set size of every process in the cloud's network namespace, in GiB. */
function cloudMemoryGiB(): number {
  const pids = (spawnSync('ip', ['netns', 'pids', 'spcloud'], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .filter(Boolean);
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch {
      // the process ended while we read
    }
  }
  return kib / 1024 / 1024;
}

/** One real `cdktf deploy|destroy example` with tofu's -parallelism; returns seconds. */
function timed(
  dir: string,
  verb: 'deploy' | 'destroy',
  workers: number,
  parallelism: number,
  env: Record<string, string>,
): number {
  const args = [
    verb,
    'example',
    '--auto-approve',
    '--skip-provider-lock',
    '--no-color',
    '--output',
    path.join(dir, 'out'),
  ];
  args.push('--terraform-parallelism', String(parallelism));
  const started = Date.now();
  const r = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, SPARK_WORKERS: String(workers), SPARK_FORCE_DESTROY: '1', SPARK_STATE_DIR: dir },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 1_800_000,
  });
  if (r.status !== 0)
    throw new Error(`cdktf ${verb} (${workers} workers) exited ${r.status}:\n${(r.stdout + r.stderr).slice(-4000)}`);
  return (Date.now() - started) / 1000;
}

function main(): void {
  applyToolsEnv(); // the project's tofu and provider mirror for cdktf
  const rows: string[] = [];
  let cold: number | undefined;
  if (process.env.BENCH_CLOUD_COLD === '1') {
    sh(['down']);
    fs.rmSync(process.env.SPARK_CLOUD_CACHE ?? '/var/cache/cdktf-spark-openstack/cloud', {
      recursive: true,
      force: true,
    });
    cold = sh(['up']);
  }
  sh(['down']);
  const warm = sh(['up']);
  const idle = cloudMemoryGiB();
  const env = cloudEnv();
  Object.assign(process.env, env);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cloud-'));
  let peak = idle;
  for (const workers of WORKERS) {
    for (const parallelism of PARALLELISM) {
      const apply = timed(dir, 'deploy', workers, parallelism, env);
      const servers = inventory().servers.length;
      if (servers !== workers + 1) throw new Error(`expected ${workers + 1} servers, the cloud holds ${servers}`);
      peak = Math.max(peak, cloudMemoryGiB());
      const destroy = timed(dir, 'destroy', workers, parallelism, env);
      rows.push(
        `| ${workers} | ${parallelism} | ${apply.toFixed(0)} s | ${destroy.toFixed(0)} s | ${(apply / (workers + 1)).toFixed(1)} s |`,
      );
      console.log(rows[rows.length - 1]);
    }
  }
  sh(['down']);

  const date = new Date().toISOString().slice(0, 10);
  const section = [
    START,
    '## The local cloud',
    '',
    `Measured ${date} with \`npm run bench:cloud\` on this 2-core machine (\`scripts/cloud/cloud.sh\`, Nova's fake driver).`,
    '',
    '| What | Time or size |',
    '| --- | --- |',
    ...(cold !== undefined
      ? [`| \`cloud up\`, cold (no cached layers; Debian packages downloaded) | ${cold.toFixed(0)} s |`]
      : []),
    `| \`cloud up\`, warm (cached layers; a fresh run layer) | ${warm.toFixed(0)} s |`,
    `| memory of the cloud, idle (PSS of its processes) | ${idle.toFixed(1)} GiB |`,
    `| memory of the cloud, peak while holding the largest deploy | ${peak.toFixed(1)} GiB |`,
    '',
    'Real `cdktf deploy` and `cdktf destroy` of the example (master + N workers, 2 containers, EC2',
    'credential, 3 security groups), each including cdktf synth and `tofu init` (~10 s):',
    '',
    '| Workers | tofu -parallelism | Apply | Destroy | Apply per server |',
    '| ------: | ----------------: | ----: | ------: | ---------------: |',
    ...rows,
    END,
  ];
  const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
  const text = fs.readFileSync(file, 'utf8');
  const at = text.indexOf(START);
  const end = text.indexOf(END);
  const rest = at >= 0 && end > at ? text.slice(0, at) + text.slice(end + END.length + 1) : text;
  fs.writeFileSync(file, `${rest.trimEnd()}\n\n${section.join('\n')}\n`);
  console.log('wrote the local-cloud section of BENCHMARKS.md');
}

if (require.main === module) main();
