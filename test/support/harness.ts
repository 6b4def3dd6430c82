/**
 * Synthesizes stacks into temporary directories and runs the real OpenTofu on them.
 * Every helper here fails (never skips) when the toolchain is missing, naming the script.
 */
import { TerraformStack, Testing } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { Tofu } from '../../scripts/tofu';

/** Runs a full `app.synth()` for the stack's app into a fresh temp dir; returns the stack's dir. */
export function synthStackDir(stack: TerraformStack): string {
  const outdir = Testing.fullSynth(stack);
  const dir = path.join(outdir, 'stacks', stack.node.id);
  if (!fs.existsSync(path.join(dir, 'cdk.tf.json'))) {
    throw new Error(`synth wrote no ${dir}/cdk.tf.json`);
  }
  return dir;
}

/** The project's OpenTofu on a freshly synthesized copy of `stack`. */
export function tofuFor(stack: TerraformStack): Tofu {
  return new Tofu(synthStackDir(stack));
}
