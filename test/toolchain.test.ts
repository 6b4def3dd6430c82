import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { applyToolsEnv, INSTALL_HINT, REPO_ROOT } from '../scripts/tools-env';
import { Tofu } from '../scripts/tofu';

function pins(): Record<string, string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'tool-versions.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 300_000 });
}

describe('toolchain', () => {
  it('runs the pinned OpenTofu', () => {
    const tofu = new Tofu(REPO_ROOT);
    const version = JSON.parse(tofu.run(['version', '-json'])).terraform_version;
    expect(version).toBe(pins().OPENTOFU_VERSION);
  });

  it('pins one OpenStack provider version in cdktf.json, tool-versions.env and the schema', () => {
    const cdktf = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdktf.json'), 'utf8'));
    const version = pins().OPENSTACK_PROVIDER_VERSION;
    expect(cdktf.terraformProviders).toEqual([`terraform-provider-openstack/openstack@${version}`]);
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'provider-schema', 'openstack.json'), 'utf8'));
    expect(Object.values(schema.provider_versions)).toEqual([version]);
  });

  it('install-tools.sh is idempotent: a second run builds nothing', () => {
    const result = run('bash', ['scripts/install-tools.sh']);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/OpenTofu \S+ already built|using OpenTofu .* already on PATH/);
    expect(result.stderr).toMatch(/OpenStack provider v\S+ already built/);
    expect(result.stderr).not.toMatch(/building/);
  });

  it('install-tools.sh stops with a clear message when Go is missing', () => {
    const toolsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tools-'));
    try {
      const result = run('bash', ['scripts/install-tools.sh'], {
        PATH: '/usr/bin:/bin',
        HOME: os.tmpdir(),
        TOOLS_DIR: toolsDir,
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/Go is not on PATH\. Install Go/);
    } finally {
      fs.rmSync(toolsDir, { recursive: true, force: true });
    }
  });

  it('a missing toolchain is an error that names the install script', () => {
    const missing = path.join(os.tmpdir(), 'no-such-tools-dir');
    expect(() => applyToolsEnv({}, missing)).toThrow(INSTALL_HINT);
    expect(INSTALL_HINT).toMatch(/scripts\/install-tools\.sh/);
  });

  it('every shell script passes shellcheck', () => {
    const scripts = [
      ...fs
        .readdirSync(path.join(REPO_ROOT, 'scripts'))
        .filter((f) => f.endsWith('.sh'))
        .map((f) => path.join('scripts', f)),
      '.ci/run',
    ];
    const result = run('shellcheck', ['--external-sources', ...scripts]);
    if (result.error) {
      throw new Error(`shellcheck is not installed: run scripts/install-system-packages.sh (${result.error.message})`);
    }
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
