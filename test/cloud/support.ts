/**
 * The deploy tests' view of the local cloud (scripts/cloud/cloud.sh): real `cdktf deploy` and
 * `cdktf destroy` runs as the cloud's non-admin user, and the cloud's own account of what it
 * holds (scripts/cloud/inventory.py through the OpenStack APIs), never Terraform's.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tofu } from '../../scripts/tofu';
import { REPO_ROOT } from '../../scripts/tools-env';

const CLOUD = path.join(REPO_ROOT, 'scripts', 'cloud', 'cloud.sh');
const ENV_FILE = '/run/spcloud/env';
/** What `cloud.sh mirror` recorded: the SHA-512 of the Spark tarball in the operator's mirror. */
const MIRROR_ENV_FILE = '/run/spcloud/mirror.env';
const APP = 'node -r ts-node/register/transpile-only test/cloud/app.ts';

/** The OS_* and SPARK_* variables `cloud.sh up` wrote for the deploying user. */
export function cloudEnv(): Record<string, string> {
  if (!fs.existsSync(ENV_FILE)) {
    throw new Error(
      `no ${ENV_FILE}: the local cloud is not up. Run \`npm run cloud -- up\` (scripts/cloud/cloud.sh) first.`,
    );
  }
  const env: Record<string, string> = {};
  for (const file of [ENV_FILE, MIRROR_ENV_FILE]) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) env[m[1]] = m[2];
    }
  }
  return env;
}

export interface RunResult {
  readonly status: number | null;
  readonly output: string;
}

/** Runs `cloud.sh <args>`; returns stdout, throws with everything printed on failure. */
export function cloud(args: string[], input?: string): string {
  const r = spawnSync('bash', [CLOUD, ...args], { encoding: 'utf8', input, timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`cloud.sh ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs Python inside the cloud as its operator (`admin`: an openstacksdk connection). */
export function asOperator(code: string): string {
  const prelude = [
    'import openstack, json',
    'admin = openstack.connect(auth_url="http://127.0.0.1:5000/v3", project_name="admin", username="admin",',
    '    password="spcloud-local", user_domain_name="Default", project_domain_name="Default", region_name="RegionOne")',
  ].join('\n');
  return cloud(['exec', 'python3', '-'], `${prelude}\n${code}\n`);
}

/** Runs an `openstack` CLI command inside the cloud as the deploying user (cloud `spark`). */
export function asDeployingUser(command: string[]): string {
  return cloud(['exec', 'env', 'OS_CLOUD=spark', ...command]);
}

export interface Server {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly host: string;
  readonly flavor: string;
  /** The image's Glance id. */
  readonly image: string;
  readonly key_name: string;
  readonly config_drive: string;
  readonly metadata: Record<string, string>;
  readonly volumes: string[];
  /** The user data as text (decompressed when Nova holds it gzip-compressed). */
  readonly user_data: string | null;
  readonly user_data_gzip: boolean;
}

/** What the cloud reports for the deploying project (see scripts/cloud/inventory.py). */
export interface Inventory {
  readonly servers: Server[];
  readonly server_groups: { id: string; name: string; policy: string; members: string[] }[];
  readonly keypairs: string[];
  readonly ports: {
    id: string;
    name: string;
    fixed_ips: string[];
    security_groups: string[];
    device_owner: string;
    device_id: string;
  }[];
  readonly security_groups: string[];
  readonly rules: {
    group: string;
    direction: string;
    ethertype: string;
    protocol: string | null;
    port_range_min: number | null;
    port_range_max: number | null;
    remote_ip_prefix: string | null;
    remote_group: string | null;
  }[];
  readonly floating_ips: { address: string; port_id: string | null; fixed_ip: string | null }[];
  readonly networks: { id: string; name: string }[];
  readonly subnets: { id: string; name: string; cidr: string }[];
  readonly routers: { id: string; name: string; external_gateway: boolean }[];
  readonly volumes: { id: string; name: string; size: number; status: string; attached_to: string[] }[];
  readonly ec2_credentials: { access: string; user_id: string }[];
  readonly containers: { name: string; objects: string[] }[];
}

export function inventory(): Inventory {
  return JSON.parse(cloud(['inventory', 'spark'])) as Inventory;
}

/** What a project still holds besides Neutron's own default group: empty after a destroy. */
export function leftovers(inv: Inventory): Record<string, unknown[]> {
  const held: Record<string, unknown[]> = {
    servers: inv.servers,
    server_groups: inv.server_groups,
    keypairs: inv.keypairs,
    ports: inv.ports,
    security_groups: inv.security_groups.filter((g) => g !== 'default'),
    floating_ips: inv.floating_ips,
    networks: inv.networks,
    subnets: inv.subnets,
    routers: inv.routers,
    volumes: inv.volumes,
    ec2_credentials: inv.ec2_credentials,
    containers: inv.containers,
  };
  return Object.fromEntries(Object.entries(held).filter(([, items]) => items.length > 0));
}

/** One instance action as Nova records it (`openstack server event show`), with its events. */
export interface InstanceAction {
  /** `create`, `rebuild`, `resize`, `confirmResize`, `delete`, ... */
  readonly action: string;
  readonly request_id: string;
  readonly start_time: string;
  readonly message: string | null;
  readonly events: {
    readonly event: string;
    readonly result: string | null;
    readonly start_time: string;
    readonly finish_time: string | null;
    readonly host: string | null;
  }[];
}

/**
 * Nova's instance actions of these servers, oldest first, read as the operator (deleted
 * servers' too: Nova keeps their actions), by server ID.
 */
export function instanceActions(serverIds: string[]): Record<string, InstanceAction[]> {
  const code = [
    `ids = json.loads(${JSON.stringify(JSON.stringify(serverIds))})`,
    'out = {}',
    'for sid in ids:',
    '    path = f"/servers/{sid}/os-instance-actions"',
    '    acts = admin.compute.get(path, microversion="2.84").json()["instanceActions"]',
    '    full = []',
    '    for a in acts:',
    '        one = admin.compute.get(f"{path}/{a[\'request_id\']}", microversion="2.84").json()["instanceAction"]',
    '        full.append({k: one.get(k) for k in ("action", "request_id", "start_time", "message")} | {"events": [',
    '            {k: e.get(k) for k in ("event", "result", "start_time", "finish_time", "host")} for e in one.get("events", [])]})',
    '    out[sid] = sorted(full, key=lambda a: a["start_time"])',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(asOperator(code)) as Record<string, InstanceAction[]>;
}

/** Glance's public images, id by name. */
export function imageIds(): Record<string, string> {
  return JSON.parse(asOperator('print(json.dumps({i.name: i.id for i in admin.image.images()}))')) as Record<
    string,
    string
  >;
}

/** Server IDs by name. */
export function serverIds(inv: Inventory): Record<string, string> {
  return Object.fromEntries(inv.servers.map((s) => [s.name, s.id]).sort());
}

/**
 * One working directory for a test file: cdktf.out, state files and outputs live here, so a
 * test run never touches a user's own `terraform.<stack>.tfstate`.
 */
export class Deployment {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-cloud-'));
  private readonly out = path.join(this.dir, 'cdktf.out');
  private readonly state = path.join(this.dir, 'state');

  constructor(private readonly cloudVars: Record<string, string>) {
    fs.mkdirSync(this.state);
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...this.cloudVars,
      SPARK_STATE_DIR: this.state,
      CHECKPOINT_DISABLE: '1',
      CI: '1',
      ...extra,
    };
  }

  /**
   * `cdktf synth` of the app into this deployment's cdktf.out, as `deploy` would with these
   * settings, to plan or roll out a change without applying it; throws unless it succeeded.
   */
  synth(extra: Record<string, string> = {}): void {
    const r = spawnSync(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'),
      ['synth', '--output', this.out, '--app', APP],
      { cwd: REPO_ROOT, env: this.env(extra), encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`cdktf synth exited ${r.status}:\n${`${r.stdout}${r.stderr}`.slice(-6000)}`);
  }

  private args(verb: 'deploy' | 'destroy', stack: string): string[] {
    return [verb, stack, '--auto-approve', '--skip-provider-lock', '--no-color', '--output', this.out, '--app', APP];
  }

  /** `cdktf deploy|destroy <stack>`; never throws: the caller asserts on status and output. */
  run(verb: 'deploy' | 'destroy', stack: string, extra: Record<string, string> = {}): RunResult {
    // --skip-provider-lock: cdktf would ask the registry for every platform's checksums;
    // the provider comes from the project's local mirror (scripts/install-tools.sh).
    const r = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), this.args(verb, stack), {
      cwd: REPO_ROOT,
      env: this.env(extra),
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 256 << 20,
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  /** Like run, and throws (with what cdktf printed) unless it succeeded. */
  ok(verb: 'deploy' | 'destroy', stack: string, extra: Record<string, string> = {}): string {
    const r = this.run(verb, stack, extra);
    if (r.status !== 0) throw new Error(`cdktf ${verb} ${stack} exited ${r.status}:\n${r.output.slice(-6000)}`);
    return r.output;
  }

  /** Starts `cdktf deploy` in its own process group (so a signal reaches tofu as Ctrl-C would). */
  start(stack: string, extra: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), this.args('deploy', stack), {
      cwd: REPO_ROOT,
      env: this.env(extra),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout?.on('data', (d) => (text += d));
    child.stderr?.on('data', (d) => (text += d));
    return { child, output: () => text };
  }

  /** The stack's synthesized directory (cdktf.out/stacks/<stack>). */
  stackDir(stack: string): string {
    return path.join(this.out, 'stacks', stack);
  }

  /** The synthesized configuration of the last deploy of `stack`. */
  config(stack: string): SynthesizedConfig {
    return JSON.parse(fs.readFileSync(path.join(this.out, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
  }

  /** tofu on the stack's synthesized directory, with the deploying user's credentials. */
  tofu(stack: string): Tofu {
    Object.assign(process.env, this.cloudVars);
    return new Tofu(path.join(this.out, 'stacks', stack), { credentials: 'inherit' });
  }

  /** `tofu plan -detailed-exitcode` against the cloud (refreshing): 0 = no changes, 2 = changes. */
  planExitCode(stack: string): { code: number | null; output: string } {
    const tofu = this.tofu(stack);
    const r = spawnSync(
      tofu.tools.terraformPath,
      ['plan', '-detailed-exitcode', '-input=false', '-no-color', '-lock=false'],
      {
        cwd: tofu.dir,
        env: { ...process.env, ...this.cloudVars, TF_IN_AUTOMATION: '1' },
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    return { code: r.status, output: `${r.stdout}${r.stderr}` };
  }

  /** Resources in the stack's state, as `tofu show -json` reports them. */
  stateResources(stack: string): StateResource[] {
    const shown = JSON.parse(this.tofu(stack).run(['show', '-json'])) as {
      values?: { root_module?: { resources?: StateResource[] } };
    };
    return shown.values?.root_module?.resources ?? [];
  }
}

export interface StateResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index?: string;
  readonly values: Record<string, unknown>;
}

export interface SynthesizedConfig {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
}

/** The EC2 credential the provider created, from the state (its secret is only there). */
export function ec2Credential(resources: StateResource[]): { access: string; secret: string } {
  const cred = resources.find((r) => r.type === 'openstack_identity_ec2_credential_v3');
  if (!cred) throw new Error('no EC2 credential in the state');
  return { access: String(cred.values.access), secret: String(cred.values.secret) };
}

/**
 * One S3 request to the cloud's s3api, SigV4-signed by curl with the given credential.
 * Returns the HTTP status and body.
 */
export function s3(
  endpoint: string,
  credential: { access: string; secret: string },
  method: 'GET' | 'PUT' | 'DELETE',
  key: string,
  body?: string,
): { status: number; body: string } {
  const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '--max-time', '30', '-X', method];
  // The cloud's s3api listens over TLS with a certificate of the cloud's own CA.
  if (endpoint.startsWith('https:') && process.env.SPARK_CA_CERT_FILE)
    args.push('--cacert', process.env.SPARK_CA_CERT_FILE);
  args.push('--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${credential.access}:${credential.secret}`);
  // Swift's s3api requires the payload hash header, which curl does not add by itself.
  args.push(
    '-H',
    `x-amz-content-sha256: ${createHash('sha256')
      .update(body ?? '')
      .digest('hex')}`,
  );
  if (body !== undefined) args.push('--data-binary', '@-', '-H', 'Content-Type: application/octet-stream');
  const r = spawnSync('curl', [...args, `${endpoint}/${key}`], { encoding: 'utf8', input: body ?? '' });
  const text = r.stdout ?? '';
  const cut = text.lastIndexOf('\n');
  return { status: Number(text.slice(cut + 1)), body: text.slice(0, cut) };
}

/**
 * A matcher for what Terraform sends for a synthesized template: the literal parts in order
 * (`$${` unescaped to `${`), anything in place of each `${...}` interpolation.
 */
export function templateMatcher(template: string): RegExp {
  const literals: string[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('$${', i)) {
      literal += '${';
      i += 3;
    } else if (template.startsWith('${', i)) {
      literals.push(literal);
      literal = '';
      let depth = 0;
      let quoted = false;
      for (i += 2; i < template.length; i++) {
        const c = template[i];
        if (quoted) {
          if (c === '\\') i++;
          else if (c === '"') quoted = false;
        } else if (c === '"') quoted = true;
        else if (c === '{') depth++;
        else if (c === '}') {
          if (depth === 0) break;
          depth--;
        }
      }
      i++;
    } else {
      literal += template[i++];
    }
  }
  literals.push(literal);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${literals.map(escape).join('[\\s\\S]*?')}$`);
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Sets a quota of the deploying project as the operator would (`openstack quota set`). */
export function setComputeQuota(projectId: string, quota: Record<string, number>): void {
  asOperator(
    `admin.set_compute_quotas(${JSON.stringify(projectId)}, **json.loads(${JSON.stringify(JSON.stringify(quota))}))`,
  );
}

/** Polls `check` every second until it returns true, for at most `seconds`. */
export async function waitFor(what: string, seconds: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
