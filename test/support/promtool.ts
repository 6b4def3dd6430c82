/**
 * The real promtool (Debian package `prometheus`, installed by scripts/install-system-packages.sh)
 * on rendered Prometheus files: config and rule checks, and rule unit tests.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const INSTALL =
  'run scripts/install-system-packages.sh (it installs the Debian package prometheus, which has promtool)';

/** Runs promtool; throws when it is not installed. */
export function promtool(args: string[], cwd?: string): { ok: boolean; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8', cwd, timeout: 120_000 });
  if (result.error) throw new Error(`promtool is not installed (${result.error.message}): ${INSTALL}`);
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** Writes `files` (name -> text) into a fresh directory and returns it. */
export function scratchDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
