/**
 * Runs the project's OpenTofu on a synthesized stack directory: init, validate, plan and
 * show, with failures that say which command failed and what it printed.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { applyToolsEnv, ToolsEnv } from './tools-env';

/**
 * OpenStack credentials that let the provider configure without a cloud. The provider
 * authenticates lazily (delayed_auth), so planning new resources with no data sources makes
 * no API call; should anything try, it meets a closed port on loopback, never the network.
 */
export const OFFLINE_OPENSTACK_ENV: Readonly<Record<string, string>> = {
  OS_AUTH_URL: 'http://127.0.0.1:9/v3',
  OS_USERNAME: 'offline-plan',
  OS_PASSWORD: 'offline-plan',
  OS_PROJECT_NAME: 'offline-plan',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
  OS_REGION_NAME: 'RegionOne',
};

/** One entry of `tofu validate -json`'s diagnostics. */
export interface TofuDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
}

/** The parts of `tofu show -json <plan>` the project reads. */
export interface PlanJson {
  readonly format_version: string;
  readonly resource_changes?: ResourceChange[];
  readonly planned_values?: { root_module: unknown };
  readonly configuration?: unknown;
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly provider_name?: string;
  readonly change: {
    readonly actions: string[];
    readonly before: Record<string, unknown> | null;
    readonly after: Record<string, unknown> | null;
    readonly after_unknown?: Record<string, unknown>;
    readonly before_sensitive?: unknown;
    readonly after_sensitive?: unknown;
    readonly replace_paths?: unknown[];
  };
}

/** A tofu command that exited non-zero, with everything it printed. */
export class TofuError extends Error {
  constructor(
    readonly args: string[],
    readonly dir: string,
    readonly status: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`\`tofu ${args.join(' ')}\` in ${dir} exited ${status ?? 'on a signal'}:\n${stderr || stdout}`);
    this.name = 'TofuError';
  }
}

export interface TofuOptions {
  /**
   * `offline` replaces every OS_* variable with OFFLINE_OPENSTACK_ENV; `inherit` keeps the
   * caller's (a real cloud's) credentials.
   * @default 'offline'
   */
  readonly credentials?: 'offline' | 'inherit';
  /** Per-command time limit. @default 300000 (5 minutes) */
  readonly timeoutMs?: number;
}

/** OpenTofu bound to one working directory (a synthesized stack). */
export class Tofu {
  readonly tools: ToolsEnv;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private initialized = false;

  constructor(
    readonly dir: string,
    options: TofuOptions = {},
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
    this.tools = applyToolsEnv(env);
    if ((options.credentials ?? 'offline') === 'offline') {
      for (const key of Object.keys(env).filter((k) => k.startsWith('OS_'))) {
        delete env[key];
      }
      Object.assign(env, OFFLINE_OPENSTACK_ENV);
    }
    this.env = env;
    this.timeoutMs = options.timeoutMs ?? 300_000;
  }

  /** Runs `tofu <args>` (with `input` on stdin) and returns its stdout; throws TofuError on a non-zero exit. */
  run(args: string[], input?: string): string {
    const result = spawnSync(this.tools.terraformPath, args, {
      cwd: this.dir,
      input,
      env: this.env,
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
      timeout: this.timeoutMs,
    });
    if (result.error) {
      throw result.error;
    }
    if (result.status !== 0) {
      throw new TofuError(args, this.dir, result.status, result.stdout, result.stderr);
    }
    return result.stdout;
  }

  init(): void {
    if (!this.initialized) {
      // -reconfigure: the synthesized backend is the truth. A cdktf.out reused with other
      // settings (an offline plan, then the local cloud's SPARK_STATE_DIR) must not offer to
      // migrate one state into the other; tofu would stop with "Backend configuration changed".
      this.run(['init', '-input=false', '-no-color', '-reconfigure']);
      this.initialized = true;
    }
  }

  /** `tofu validate -json`: returns warnings, throws when the configuration is invalid. */
  validate(): TofuDiagnostic[] {
    this.init();
    let stdout: string;
    try {
      stdout = this.run(['validate', '-json', '-no-color']);
    } catch (err) {
      if (!(err instanceof TofuError) || !err.stdout) {
        throw err;
      }
      stdout = err.stdout;
    }
    const result = JSON.parse(stdout) as { valid: boolean; diagnostics: TofuDiagnostic[] };
    if (!result.valid) {
      const messages = result.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `- ${d.summary}${d.address ? ` (${d.address})` : ''}${d.detail ? `: ${d.detail}` : ''}`);
      throw new Error(`tofu validate rejected ${this.dir}:\n${messages.join('\n')}`);
    }
    return result.diagnostics;
  }

  /** `tofu plan -out` then `tofu show -json`: the machine-readable plan. */
  plan(extraArgs: string[] = []): PlanJson {
    this.init();
    const planFile = path.join(this.dir, 'plan.out');
    this.run(['plan', '-input=false', '-no-color', '-lock=false', `-out=${planFile}`, ...extraArgs]);
    return JSON.parse(this.run(['show', '-json', planFile])) as PlanJson;
  }
}
