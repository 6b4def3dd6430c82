import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readToolsEnv, INSTALL_HINT, REPO_ROOT } from '../scripts/tools-env';

function actionlint(file: string) {
  const tools = readToolsEnv();
  const binary = tools && path.join(tools.binDir, 'actionlint');
  if (!binary || !fs.existsSync(binary)) throw new Error(`actionlint is not installed. ${INSTALL_HINT}`);
  return spawnSync(binary, ['-no-color', '-oneline', file], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('the GitHub Actions example', () => {
  it('passes actionlint (which also shellchecks its run: steps)', () => {
    const result = actionlint('examples/github-actions/plan-review.yml');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('actionlint does catch a bad workflow (the check is not vacuous)', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-')), 'bad.yml');
    fs.writeFileSync(
      file,
      'on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n',
    );
    const result = actionlint(file);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/potentially untrusted/);
  });
});
