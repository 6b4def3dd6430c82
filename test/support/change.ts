/**
 * Plans a changed configuration against the state its previous version would have left:
 * "a state made without a cloud" (scripts/offline-state.ts), then the real `tofu plan
 * -refresh=false` of the new configuration against it.
 */
import { LocalBackend, TerraformStack } from 'cdktf';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { buildOfflineState, localStatePath } from '../../scripts/offline-state';
import { CdktfConfig, reviewPlan, Review } from '../../scripts/plan-review';
import { PlanJson, Tofu } from '../../scripts/tofu';
import { synthStackDir } from './harness';

function synthWithLocalState(stack: TerraformStack): string {
  // State next to the stack's own files, so concurrent tests never share one.
  new LocalBackend(stack, { path: 'terraform.tfstate' });
  return synthStackDir(stack);
}

export interface PlannedChange {
  readonly plan: PlanJson;
  /** The changed stack's synthesized cdk.tf.json. */
  readonly config: CdktfConfig;
  readonly review: Review;
  /** The changed stack's directory, with the offline state of the previous one. */
  readonly dir: string;
  /** Addresses by action: create, update, replace, delete. */
  readonly byAction: Record<string, string[]>;
}

// Offline states already built in this test file, by the synthesized configuration they
// belong to: several tests start from the same "before", and building one takes seconds.
const statesByConfig = new Map<string, string>();

function offlineStateFile(before: TerraformStack): string {
  const dir = synthWithLocalState(before);
  const key = createHash('sha256')
    .update(fs.readFileSync(path.join(dir, 'cdk.tf.json')))
    .digest('hex');
  if (!statesByConfig.has(key)) {
    buildOfflineState(new Tofu(dir));
    statesByConfig.set(key, localStatePath(dir));
  }
  return statesByConfig.get(key)!;
}

/** A plan's addresses (without cdktf's hash suffix) by action: create, update, replace, delete. */
export function actionsOf(plan: PlanJson): Record<string, string[]> {
  const byAction: Record<string, string[]> = {};
  for (const rc of plan.resource_changes ?? []) {
    const a = rc.change.actions;
    const action = a.includes('delete') && a.includes('create') ? 'replace' : a.length === 1 ? a[0] : a.join(',');
    if (action === 'no-op' || action === 'read') continue;
    (byAction[action] ??= []).push(rc.address.replace(/_[0-9A-F]{8}(?=[.[]|$)/, ''));
  }
  for (const list of Object.values(byAction)) list.sort();
  return byAction;
}

export function planChange(before: TerraformStack, after: TerraformStack): PlannedChange {
  const state = offlineStateFile(before);
  const afterDir = synthWithLocalState(after);
  fs.copyFileSync(state, localStatePath(afterDir));
  const plan = new Tofu(afterDir).plan(['-refresh=false']);
  const config = JSON.parse(fs.readFileSync(path.join(afterDir, 'cdk.tf.json'), 'utf8'));
  const byAction = actionsOf(plan);
  return { plan, config, dir: afterDir, review: reviewPlan(after.node.id, plan, config), byAction };
}
