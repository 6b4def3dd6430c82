/**
 * Helpers of the end-to-end test: the scripts under scripts/e2e that make hosts, the
 * object store and the Spark distribution, and small waits and HTTP reads bounded in time.
 */
import { spawn, spawnSync } from 'child_process';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { SparkVersion } from '../../lib';
import { REPO_ROOT } from '../../scripts/tools-env';

const E2E_SCRIPTS = path.join(REPO_ROOT, 'scripts', 'e2e');

/** Downloads, the mirror and the time-to-ready report; kept between runs. */
export const E2E_CACHE = process.env.E2E_CACHE ?? path.join(REPO_ROOT, '.cache', 'e2e');
/** The mirror the test's hosts download from, laid out like the Apache archive. */
export const MIRROR_DIR = path.join(E2E_CACHE, 'mirror');

/** Output and exit status of a command run inside a test host. */
export interface HostRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error;
}

/** Runs one of the scripts/e2e scripts, killed after `timeoutMs`. */
function runScript(script: string, args: string[], timeoutMs: number): HostRun {
  const result = spawnSync('bash', [path.join(E2E_SCRIPTS, script), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, error: result.error };
}

/** Runs one of the scripts/e2e scripts; throws with its output when it fails. */
export function e2eScript(script: string, args: string[], timeoutMs = 600_000): string {
  const result = runScript(script, args, timeoutMs);
  if (result.status !== 0) {
    throw new Error(
      `scripts/e2e/${script} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n` +
        `${result.stdout}\n${result.stderr}`.slice(-6000),
    );
  }
  return result.stdout;
}

/**
 * Spark `version` assembled by spark-dist.sh from PyPI and Maven Central into MIRROR_DIR
 * (cached there), with its S3A jars; returns the tarball and its SHA-512.
 */
export function sparkDistribution(version: SparkVersion): { tarball: string; sha512: string } {
  const jarArgs = version.s3aJars.map((j) => `${j.path}=${j.sha256}`);
  const sha512 = e2eScript('spark-dist.sh', [version.version, MIRROR_DIR, ...jarArgs], 1_800_000)
    .trim()
    .split('\n')
    .pop()!;
  if (!/^[0-9a-f]{128}$/.test(sha512)) throw new Error(`spark-dist.sh printed no SHA-512 but ${sha512}`);
  return { tarball: path.join(MIRROR_DIR, version.mirrorPath), sha512 };
}

/**
 * Runs a command inside a booted test host (see scripts/e2e/hosts.sh exec), under `timeout`
 * in the host, so that a command running too long is ended there and not only its nsenter.
 */
export function inHost(host: string, command: string[], timeoutMs = 300_000): HostRun {
  const bounded = ['timeout', '--kill-after=10', String(Math.ceil(timeoutMs / 1000)), ...command];
  return runScript('hosts.sh', ['exec', host, ...bounded], timeoutMs + 20_000);
}

/** Like `inHost`, but throws (with the output) unless the command succeeds. */
export function inHostOk(host: string, command: string[], timeoutMs = 300_000): string {
  const run = inHost(host, command, timeoutMs);
  if (run.status !== 0) {
    throw new Error(`${host}: ${command.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`.slice(-8000));
  }
  return run.stdout;
}

/** The directory holding the root of a test host, as seen from this machine. */
export function hostRoot(host: string): string {
  return e2eScript('hosts.sh', ['root', host], 30_000).trim();
}

/** What a GET answered: status, headers, body, and over HTTPS the server's certificate. */
export interface HttpAnswer {
  readonly status: number;
  readonly location?: string;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented (HTTPS only). */
  readonly certificateSha256?: string;
}

/**
 * GET a URL on a test host within 5 s, following no redirect. HTTPS verifies the server's
 * certificate (names included) against `ca`, a PEM CA, and nothing else.
 */
export function httpGet(url: string, ca?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      // Read now: once the body has been read the socket may be detached from the response.
      const socket = res.socket as import('tls').TLSSocket | null;
      const certificateSha256 = socket?.getPeerCertificate?.().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, body, certificateSha256 }),
      );
    };
    const req = url.startsWith('https:')
      ? https.get(url, { timeout: 5000, ca: ca ?? [], agent: false }, onResponse)
      : http.get(url, { timeout: 5000 }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 5 s`)));
    req.on('error', reject);
  });
}

/** GET a URL on a test host and parse JSON; rejects on anything but 200 within 5 s. */
export async function getJson<T>(url: string, ca?: string): Promise<T> {
  const answer = await httpGet(url, ca);
  if (answer.status !== 200) throw new Error(`GET ${url}: HTTP ${answer.status}`);
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    throw new Error(`GET ${url}: not JSON: ${answer.body.slice(0, 200)}`);
  }
}

/**
 * Polls `probe` every second until it returns a value other than undefined; fails after
 * `timeoutMs` with the last error or value seen.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${String(last)}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * A static HTTP server for the mirror directory in the test host `netns`, which hosts.sh down
 * ends with the namespace. Resolves once `probe` (a path under the mirror) answers 200.
 */
export async function startMirror(netns: string, dir: string, address: string, port: number, probe: string) {
  const args = ['netns', 'exec', netns, 'python3', '-m', 'http.server', '--bind', address, '--directory', dir];
  const server = spawn('ip', [...args, String(port)], { stdio: 'ignore', detached: true });
  let exited: string | undefined;
  server.on('exit', (code) => (exited = `the mirror exited with ${code}`));
  server.unref();
  await waitFor(`the mirror at ${address}:${port}`, 30_000, async () => {
    if (exited) throw new Error(exited);
    return (await httpGet(`http://${address}:${port}/${probe}`)).status === 200 ? true : undefined;
  });
}
