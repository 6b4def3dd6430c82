import { Testing } from 'cdktf';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Peer } from '../lib';
import { ExampleStack } from '../stacks/example';
import { ExistingNetworkStack } from '../stacks/existing-network';
import { MultiPoolStack } from '../stacks/multi-pool';
import { exampleSettings } from '../stacks/settings';
import { REPO_ROOT } from '../scripts/tools-env';
import { clusterWithWorkers } from './support/fixtures';
import { synthStackDir } from './support/harness';

const CHECKOV = path.join(REPO_ROOT, '.tools', 'venv', 'bin', 'checkov');

interface CheckResult {
  check_id: string;
  resource: string;
}

/** checkov on one synthesized stack (offline: --skip-download). */
function checkov(dir: string): { passed: CheckResult[]; failed: CheckResult[] } {
  if (!fs.existsSync(CHECKOV)) throw new Error('checkov is not installed: run scripts/install-scanners.sh');
  const result = spawnSync(CHECKOV, ['-d', dir, '--framework', 'terraform_json', '--skip-download', '-o', 'json'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`checkov failed (${result.status}):\n${result.stderr}`);
  const report = JSON.parse(result.stdout);
  expect(report.summary.parsing_errors).toBe(0);
  return { passed: report.results.passed_checks ?? [], failed: report.results.failed_checks ?? [] };
}

const settings = exampleSettings({});
const stacks = {
  example: () => new ExampleStack(Testing.app(), 'example', settings),
  'existing-network': () => new ExistingNetworkStack(Testing.app(), 'existing-network', settings),
  'multi-pool': () => new MultiPoolStack(Testing.app(), 'multi-pool', settings),
};

describe('security scan (checkov, OpenStack checks CKV_OPENSTACK_*)', () => {
  it.each(Object.keys(stacks))('%s has no failed check', (name) => {
    const { passed, failed } = checkov(synthStackDir(stacks[name as keyof typeof stacks]()));
    expect(failed.map((f) => `${f.check_id} ${f.resource}`)).toEqual([]);
    // The OpenStack checks did run: provider secrets, SSH/RDP from anywhere, open rules, admin_pass.
    expect(new Set(passed.map((p) => p.check_id))).toEqual(
      new Set(['CKV_OPENSTACK_1', 'CKV_OPENSTACK_2', 'CKV_OPENSTACK_3', 'CKV_OPENSTACK_4']),
    );
  });

  it('catches a cluster that opens SSH to the whole internet (the scan is not vacuous)', () => {
    const { stack, cluster } = clusterWithWorkers(1);
    cluster.allowSshFrom(Peer.anyIpv4());
    const { failed } = checkov(synthStackDir(stack));
    expect(failed.map((f) => f.check_id)).toEqual(expect.arrayContaining(['CKV_OPENSTACK_2']));
    expect(failed.every((f) => f.resource.includes('0_0_0_0_0-tcp-22'))).toBe(true);
  });
});
