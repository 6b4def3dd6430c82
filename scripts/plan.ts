/**
 * `npm run plan -- [stack] [options]`: synthesizes the app, plans one stack with the real
 * tofu and provider, and prints a review (also written as Markdown for a pull request).
 *
 *   --fail-on LIST   exit 2 when the review has findings of these kinds (comma-separated:
 *                    replace, destroy, rebuild, resize, address, keypair, rename, widen,
 *                    secret, drift); default: never
 *   --markdown FILE  where to write the Markdown review; default cdktf.out/plan-review-<stack>.md
 *   --show           also print tofu's own rendering of the plan
 *   --no-synth       plan what is already in cdktf.out
 *
 * With OS_CLOUD or OS_AUTH_URL set it plans against that cloud (refreshing existing state);
 * without, it plans offline with placeholder credentials that reach nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CATEGORIES, Category, failing, renderMarkdown, renderText, reviewPlan } from './plan-review';
import { renderNeeds, stackNeeds } from './stack-needs';
import { Tofu } from './tofu';
import { applyToolsEnv, REPO_ROOT } from './tools-env';

export interface PlanOptions {
  readonly stack: string;
  readonly failOn: Category[];
  readonly markdown?: string;
  readonly show: boolean;
  readonly synth: boolean;
}

export function parseArgs(argv: string[]): PlanOptions {
  const options: { stack: string; failOn: Category[]; markdown?: string; show: boolean; synth: boolean } = {
    stack: 'example',
    failOn: [],
    show: false,
    synth: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--fail-on') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const c of list) {
        if (!(CATEGORIES as readonly string[]).includes(c)) {
          throw new Error(`--fail-on: unknown kind '${c}'; use any of ${CATEGORIES.join(', ')}`);
        }
      }
      options.failOn = list as Category[];
    } else if (arg === '--markdown') {
      options.markdown = argv[++i];
    } else if (arg === '--show') {
      options.show = true;
    } else if (arg === '--no-synth') {
      options.synth = false;
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}`);
    } else {
      options.stack = arg;
    }
  }
  return options;
}

/** Runs the review; returns the process exit code (0, or 2 when --fail-on matched). */
export function runPlan(options: PlanOptions, log: (line: string) => void = console.log): number {
  applyToolsEnv();
  const outdir = path.join(REPO_ROOT, 'cdktf.out');
  if (options.synth) {
    log('[plan] cdktf synth');
    const synth = spawnSync('npx', ['cdktf', 'synth', '--output', outdir], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    if (synth.status !== 0) {
      throw new Error(`cdktf synth failed:\n${synth.stdout}${synth.stderr}`);
    }
  }
  const dir = path.join(outdir, 'stacks', options.stack);
  if (!fs.existsSync(path.join(dir, 'cdk.tf.json'))) {
    throw new Error(`no stack '${options.stack}' in ${outdir}/stacks`);
  }
  const online = Boolean(process.env.OS_CLOUD || process.env.OS_AUTH_URL);
  if (!online) log('[plan] no OS_CLOUD or OS_AUTH_URL: planning offline with placeholder credentials');
  const tofu = new Tofu(dir, { credentials: online ? 'inherit' : 'offline' });
  log(`[plan] tofu plan (${path.relative(REPO_ROOT, dir)})`);
  const plan = tofu.plan();
  if (options.show) log(tofu.run(['show', '-no-color', path.join(dir, 'plan.out')]));

  const config = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
  const review = reviewPlan(options.stack, plan, config);
  log(renderText(review));
  const needs = renderNeeds(stackNeeds(plan));
  log(needs);
  const markdown = options.markdown ?? path.join(outdir, `plan-review-${options.stack}.md`);
  fs.writeFileSync(markdown, `${renderMarkdown(review)}\n${needs}\n`);
  log(`[plan] Markdown review: ${path.relative(process.cwd(), markdown)}`);

  const failures = failing(review, options.failOn);
  if (failures.length > 0) {
    log(`[plan] failing: ${failures.length} finding(s) of kinds ${options.failOn.join(', ')}`);
    return 2;
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = runPlan(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`plan: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
