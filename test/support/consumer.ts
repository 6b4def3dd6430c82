/**
 * Helpers for the tests that use the library as a consumer would: from a clean clone of
 * this repository's HEAD, `npm pack`, then install the tarball into a scratch project.
 * npm runs with --prefer-offline: from the npm cache when it holds the packages, from the
 * registry the first time only.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../../scripts/tools-env';

/** Runs a command; throws with its output when it fails or takes longer than `timeoutMs`. */
export function run(cmd: string, args: string[], cwd: string, options: SpawnSyncOptions = {}): string {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000, ...options });
  if (result.error) throw new Error(`${cmd} ${args.join(' ')} in ${cwd}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} in ${cwd} exited ${result.status}:\n${result.stderr}\n${result.stdout}`);
  }
  return String(result.stdout);
}

/**
 * Clones HEAD into `dir/src` (what CI or a publish would see: no dist/, nothing untracked),
 * lends it this checkout's node_modules for the build, packs it, and returns the tarball.
 */
export function packCleanClone(dir: string): string {
  const src = path.join(dir, 'src');
  run('git', ['clone', '--quiet', '--no-local', '--no-hardlinks', REPO_ROOT, src], dir);
  if (fs.existsSync(path.join(src, 'dist'))) throw new Error('a clean clone has no dist/');
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(src, 'node_modules'), 'dir');
  const out = run('npm', ['pack', '--json', '--pack-destination', dir], src);
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return path.join(dir, filename);
}

/** Lists the files in a tarball made by `npm pack`. */
export function tarballFiles(tarball: string): string[] {
  return run('tar', ['-tzf', tarball], path.dirname(tarball))
    .split('\n')
    .filter((f) => f !== '');
}

/** Writes a scratch project with `packageJson` and `files`, and runs npm install in it. */
export function consumerProject(
  dir: string,
  packageJson: Record<string, unknown>,
  files: Record<string, string>,
): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(packageJson, null, 2));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], dir);
  return dir;
}

/** The Node 22 LTS binary, from the npm registry's `node` package (cached by npx after the first run). */
export function node22(): string {
  const execPath = run('npx', ['--yes', 'node@22', '-p', 'process.execPath'], REPO_ROOT).trim();
  const version = run(execPath, ['--version'], REPO_ROOT).trim();
  if (!/^v22\./.test(version)) throw new Error(`npx node@22 gave ${execPath}, which is ${version}`);
  return execPath;
}
