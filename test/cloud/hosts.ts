/**
 * The realized servers of the local cloud (scripts/cloud/realize.ts, hosts.sh): commands run
 * inside a server's host, its root seen from here, and what realize recorded about it.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { HostSpec, readSpec } from '../../scripts/cloud/realize';
import { REPO_ROOT } from '../../scripts/tools-env';

const HOSTS_SH = path.join(REPO_ROOT, 'scripts', 'cloud', 'hosts.sh');

/** Output and exit status of a command run inside a host. */
export interface HostRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function hostsSh(args: string[], timeoutMs: number): HostRun {
  const r = spawnSync('bash', [HOSTS_SH, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * Runs a command inside a host under `timeout` there, so that a command running too long is
 * ended in the host and not only its nsenter.
 */
export function inHost(host: string, command: string[], timeoutMs = 300_000): HostRun {
  const bounded = ['timeout', '--kill-after=10', String(Math.ceil(timeoutMs / 1000)), ...command];
  return hostsSh(['exec', host, ...bounded], timeoutMs + 20_000);
}

/** Like `inHost`, but throws (with the output) unless the command succeeds. */
export function inHostOk(host: string, command: string[], timeoutMs = 300_000): string {
  const run = inHost(host, command, timeoutMs);
  if (run.status !== 0) {
    throw new Error(`${host}: ${command.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`.slice(-8000));
  }
  return run.stdout;
}

/** The host's root directory, as seen from this machine. */
export function hostRoot(host: string): string {
  const r = hostsSh(['root', host], 30_000);
  if (r.status !== 0) throw new Error(`hosts.sh root ${host}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The hosts that exist, with what realize made each of. */
export function hostSpecs(): HostSpec[] {
  const r = hostsSh(['list'], 30_000);
  if (r.status !== 0) throw new Error(`hosts.sh list: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((name) => {
      const spec = readSpec(name);
      if (!spec) throw new Error(`host ${name} has no record of what realize made it of`);
      return spec;
    });
}

/** When the host's systemd-nspawn was started (seconds since the epoch), and its pid. */
export function hostBoot(host: string): { bootedAt: number; pid: number } {
  const dir = path.dirname(hostRoot(host));
  return {
    bootedAt: Number(fs.readFileSync(path.join(dir, 'booted-at'), 'utf8')),
    pid: Number(fs.readFileSync(path.join(dir, 'nspawn.pid'), 'utf8')),
  };
}

/** Whether the host's systemd-nspawn runs (`running`) or the host is powered off (`off`). */
export function hostState(host: string): 'running' | 'off' {
  const r = hostsSh(['state', host], 30_000);
  if (r.status !== 0) throw new Error(`hosts.sh state ${host}: ${r.stderr}`);
  return r.stdout.trim() as 'running' | 'off';
}

/** The loop devices of the host's volumes, each with the file it is bound to (empty: unbound). */
export function hostLoops(host: string): Record<string, string> {
  const file = path.join(path.dirname(hostRoot(host)), 'loops');
  const loops = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return Object.fromEntries(
    loops.map((loop) => {
      const r = spawnSync('losetup', ['--noheadings', '--output', 'BACK-FILE', loop], { encoding: 'utf8' });
      return [loop, r.status === 0 ? r.stdout.trim() : ''];
    }),
  );
}

/** The user data cloud-init saved (`user-data.txt`) as text: decompressed when it came gzip-compressed. */
export function userDataText(file: string): string {
  const raw = fs.readFileSync(file);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
}

/** A job running in a host: its exit status and everything it printed, once it ends. */
export interface BackgroundJob {
  readonly done: Promise<{ readonly code: number | null; readonly output: string }>;
}

/**
 * Starts a PySpark job from test/cloud/jobs with `spark-submit` on a host (its driver there, in
 * client mode), in the background, bounded by `timeoutS` inside the host. Without `--master`
 * in `submitArgs`, spark-defaults.conf names the master (every master, with standbys).
 */
export function submitInBackground(
  host: string,
  job: string,
  jobArgs: string[],
  submitArgs: string[] = [],
  timeoutS = 400,
): BackgroundJob {
  const root = hostRoot(host);
  fs.mkdirSync(path.join(root, 'root', 'jobs'), { recursive: true });
  fs.copyFileSync(path.join(__dirname, 'jobs', job), path.join(root, 'root', 'jobs', job));
  const command = ['timeout', String(timeoutS), 'env', 'PYSPARK_PYTHON=python3', '/opt/spark/bin/spark-submit'];
  const child = spawn('bash', [HOSTS_SH, 'exec', host, ...command, ...submitArgs, `/root/jobs/${job}`, ...jobArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return { done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, output }))) };
}
