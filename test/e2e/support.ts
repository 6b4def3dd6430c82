/**
 * Helpers of the end-to-end tests (test/e2e, and the boot test on the local cloud): the scripts
 * under scripts/e2e (the Spark distribution, a private CA), and small waits and HTTP reads
 * bounded in time.
 */
import { spawnSync } from 'child_process';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { REPO_ROOT } from '../../scripts/tools-env';

const E2E_SCRIPTS = path.join(REPO_ROOT, 'scripts', 'e2e');

export { E2E_CACHE, MIRROR_DIR, sparkDistribution } from '../../scripts/cloud/spark-mirror';

/** Output and exit status of a script. */
interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error;
}

/** Runs one of the scripts/e2e scripts, killed after `timeoutMs`. */
function runScript(script: string, args: string[], timeoutMs: number): ScriptRun {
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

/** What a GET answered: status, headers, body, and over HTTPS the server's certificate. */
export interface HttpAnswer {
  readonly status: number;
  readonly location?: string;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented (HTTPS only). */
  readonly certificateSha256?: string;
}

/**
 * GET a URL within 5 s, following no redirect. HTTPS verifies the server's
 * certificate (names included) against `ca`, a PEM CA, and nothing else.
 */
export function httpGet(url: string, ca?: string, options: { anyName?: boolean } = {}): Promise<HttpAnswer> {
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
      ? https.get(
          url,
          {
            timeout: 5000,
            ca: ca ?? [],
            agent: false,
            // The chain is still verified against `ca`; only the name is not (see the caller).
            ...(options.anyName ? { checkServerIdentity: () => undefined } : {}),
          },
          onResponse,
        )
      : http.get(url, { timeout: 5000 }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 5 s`)));
    req.on('error', reject);
  });
}

/** GET a URL and parse JSON; rejects on anything but 200 within 5 s. */
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
