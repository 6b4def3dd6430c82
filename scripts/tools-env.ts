/**
 * Finds the tools that scripts/install-tools.sh built and puts them on this process's
 * environment, so cdktf and the test harness run the project's pinned OpenTofu and
 * provider. cdktf reads TERRAFORM_BINARY_NAME once when it loads: apply this first.
 */
import * as fs from 'fs';
import * as path from 'path';

/** What scripts/install-tools.sh records in .tools/env.json. */
export interface ToolsEnv {
  readonly binDir: string;
  readonly TERRAFORM_BINARY_NAME: string;
  readonly TF_CLI_CONFIG_FILE: string;
  readonly terraformPath: string;
  readonly openTofuVersion: string;
  readonly openstackProviderVersion: string;
}

/** The repository root: the nearest folder above this file holding cdktf.json. */
export const REPO_ROOT = findUp(__dirname, 'cdktf.json');

/** How to fix a missing toolchain; part of every error about one. */
export const INSTALL_HINT =
  'Run `npm run tools` (scripts/install-tools.sh) to build OpenTofu and the OpenStack provider into .tools/.';

function findUp(start: string, marker: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, marker))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`no ${marker} found above ${start}`);
    }
    dir = parent;
  }
  return dir;
}

/** Reads .tools/env.json, or returns undefined when the tools were never installed. */
export function readToolsEnv(toolsDir = path.join(REPO_ROOT, '.tools')): ToolsEnv | undefined {
  const file = path.join(toolsDir, 'env.json');
  if (!fs.existsSync(file)) {
    return undefined;
  }
  const env = JSON.parse(fs.readFileSync(file, 'utf8')) as ToolsEnv;
  if (!fs.existsSync(env.terraformPath) || !fs.existsSync(env.TF_CLI_CONFIG_FILE)) {
    return undefined;
  }
  return env;
}

/**
 * Puts the project's tools on `target` (PATH, TERRAFORM_BINARY_NAME, TF_CLI_CONFIG_FILE).
 * Throws with the install hint when they are missing.
 */
export function applyToolsEnv(target: NodeJS.ProcessEnv = process.env, toolsDir?: string): ToolsEnv {
  const env = readToolsEnv(toolsDir);
  if (!env) {
    throw new Error(`The project's OpenTofu toolchain is not installed. ${INSTALL_HINT}`);
  }
  const pathEntries = (target.PATH ?? '').split(path.delimiter).filter((p) => p !== env.binDir);
  target.PATH = [env.binDir, ...pathEntries].join(path.delimiter);
  target.TERRAFORM_BINARY_NAME = env.TERRAFORM_BINARY_NAME;
  target.TF_CLI_CONFIG_FILE = env.TF_CLI_CONFIG_FILE;
  target.CHECKPOINT_DISABLE = '1';
  return env;
}
