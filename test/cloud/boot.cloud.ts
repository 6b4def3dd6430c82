/**
 * End to end on the local cloud: `cdktf deploy` → OpenStack's APIs → Nova's metadata service →
 * cloud-init's OpenStack datasource → Spark → S3A → Swift, with nothing filled in by hand.
 *
 * - The example stack is deployed as the cloud's non-admin user, with a 10 GiB local volume
 *   per worker and HTTPS web UIs.
 * - Each ACTIVE server is realized as a host (scripts/cloud/realize.ts): its port's MAC and
 *   fixed IP, its flavor's size, a loop device for its volume. cloud-init finds OpenStack and
 *   reads the user data, the key pair and the hostname from nova-api-metadata.
 * - Spark 3.5.7 (assembled by scripts/e2e/spark-dist.sh from PyPI and Maven Central) comes from
 *   the operator's public-read Swift container through `sparkMirrorUrl`; the bootstrap checks
 *   it against the SHA-512 the stack was synthesized with.
 * - S3A reaches Swift's s3api over TLS with the EC2 credential Terraform created, which each
 *   node reads from its own user data; Keystone checks it through s3token.
 *
 * - Power through Nova as a hypervisor does it: a worker and the master rebooted, a worker
 *   stopped and started (and one rebooted from inside) come back on the same disk and volume,
 *   with Spark running and nothing downloaded again.
 *
 * Writes the deploy-to-ready breakdown to .cache/e2e/deploy-to-ready.json, and how long each
 * power operation took until Spark was back to .cache/e2e/reboot.json.
 */
import { spawnSync } from 'child_process';
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdktf';
import { realize, RealizeResult } from '../../scripts/cloud/realize';
import { SparkVersion } from '../../lib';
import { ExampleStack } from '../../stacks/example';
import { exampleSettings } from '../../stacks/settings';
import { E2E_CACHE, e2eScript, getJson, httpGet, MIRROR_DIR, sparkDistribution, waitFor } from '../e2e/support';
import {
  hostBoot,
  hostLoops,
  hostRoot,
  hostSpecs,
  hostState,
  inHost,
  inHostOk,
  submitInBackground,
  userDataText,
} from './hosts';
import { asDeployingUser, cloud, cloudEnv, Deployment, ec2Credential, inventory, leftovers } from './support';

const VERSION = SparkVersion.V3_5_7;
const VOLUME_GIB = 10;
const STACK = 'example';
const tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-boot-tls-'));
const tlsFile = (name: string) => fs.readFileSync(path.join(tlsDir, name), 'utf8');

interface MasterStatus {
  aliveworkers: number;
  workers: { id: string; host: string; cores: number; memory: number; state: string }[];
}

// The example as this test deploys it, for the numbers the library computed.
const reference = new ExampleStack(Testing.app(), STACK, exampleSettings({}));
const pool = reference.cluster.workerPools[0];
const masterIp = reference.cluster.network.masterIp;
const masterUrl = `spark://${masterIp}:7077`;
const MASTER_UI = `https://${masterIp}:8480`;
const HISTORY_UI = `https://${masterIp}:18480`;
/** Prometheus on the master serves HTTPS with the web UIs' certificate. */
const PROMETHEUS = `https://${masterIp}:9090`;

let env: Record<string, string> = {};
let deployment: Deployment;
let settings: Record<string, string> = {};
/** hosts.sh name of the master's host, and of each worker's by server name. */
let masterHost = '';
let workerHosts = new Map<string, string>();
let authSecret = '';
let s3Secret = '';
let dataContainer = '';
let eventsContainer = '';
const timings: Record<string, number> = {};

function masterStatus(): Promise<MasterStatus> {
  return getJson<MasterStatus>(`${MASTER_UI}/json/`, tlsFile('ca.pem'));
}

async function allRegistered(count: number): Promise<MasterStatus> {
  try {
    return await waitFor(`${count} workers registered with the master`, 900_000, async () => {
      const status = await masterStatus();
      return status.aliveworkers === count ? status : undefined;
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${diagnostics()}`);
  }
}

/** cloud-init's output and the Spark units' journal of every host, for failure messages. */
function diagnostics(): string {
  return hostSpecs()
    .map((h) => {
      const log = path.join(hostRoot(h.name), 'var/log/cloud-init-output.log');
      const output = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-3000) : '(no cloud-init output)';
      const journal = inHost(h.name, ['journalctl', '--no-pager', '-n', '30', '-u', 'spark-*'], 30_000);
      return `--- ${h.serverName} (${h.name})\n${output}\n${journal.stdout}`;
    })
    .join('\n');
}

function realizeHosts(): RealizeResult {
  const result = realize();
  expect(result.skipped).toEqual([]);
  masterHost = result.hosts.find((h) => h.serverName === 'analytics-master')!.name;
  workerHosts = new Map(
    result.hosts.filter((h) => h.serverName !== 'analytics-master').map((h) => [h.serverName, h.name]),
  );
  return result;
}

/** Runs a PySpark job from test/cloud/jobs on the master, as an operator would. */
function submit(job: string, args: string[], conf: Record<string, string> = {}, timeoutMs = 420_000) {
  const root = hostRoot(masterHost);
  fs.mkdirSync(path.join(root, 'root', 'jobs'), { recursive: true });
  fs.copyFileSync(path.join(__dirname, 'jobs', job), path.join(root, 'root', 'jobs', job));
  const confArgs = Object.entries({ 'spark.cores.max': String(2 * pool.sizing.executorCores), ...conf }).flatMap(
    ([k, v]) => ['--conf', `${k}=${v}`],
  );
  const command = ['env', 'PYSPARK_PYTHON=python3', '/opt/spark/bin/spark-submit', '--master', masterUrl];
  return inHost(masterHost, [...command, ...confArgs, `/root/jobs/${job}`, ...args], timeoutMs);
}

function resultOf(run: { status: number | null; stdout: string; stderr: string }): Record<string, unknown> {
  const line = run.stdout.split('\n').find((l) => l.startsWith('E2E_RESULT '));
  if (run.status !== 0 || !line) {
    // Spark's own log lines start with a date; what is left is Python's and the JVM's errors.
    const errors = run.stderr.split('\n').filter((l) => !/^\d\d\/\d\d\/\d\d /.test(l));
    throw new Error(`job failed (exit ${run.status}):\n${run.stdout}\n${errors.join('\n')}`.slice(-8000));
  }
  return JSON.parse(line.slice('E2E_RESULT '.length));
}

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query of the cluster's Prometheus. */
async function promQuery(query: string): Promise<PromSample[]> {
  const answer = await getJson<{ status: string; data: { result: PromSample[] } }>(
    `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(query)}`,
    tlsFile('ca.pem'),
  );
  return answer.data.result;
}

/** Alerts Prometheus holds, by name: pending or firing. */
async function promAlerts(): Promise<Record<string, string>> {
  const answer = await getJson<{ data: { alerts: { labels: { alertname: string }; state: string }[] } }>(
    `${PROMETHEUS}/api/v1/alerts`,
    tlsFile('ca.pem'),
  );
  return Object.fromEntries(answer.data.alerts.map((a) => [a.labels.alertname, a.state]));
}

/** Object names in a container, through Swift's own API as the deploying user. */
function swiftList(container: string, prefix: string): string[] {
  return asDeployingUser(['openstack', 'object', 'list', container, '--prefix', prefix, '-f', 'value', '-c', 'Name'])
    .split('\n')
    .filter(Boolean);
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** Seconds from each power operation to Spark back, for .cache/e2e/reboot.json. */
const powerTimings: Record<string, number> = {};

function writePowerTimings(): void {
  fs.mkdirSync(E2E_CACHE, { recursive: true });
  fs.writeFileSync(
    path.join(E2E_CACHE, 'reboot.json'),
    JSON.stringify({ cores: os.cpus().length, ...powerTimings }, null, 2) + '\n',
  );
}

/** What a host holds that no boot after its first may change, and marks on its disks. */
interface NodeState {
  readonly root: string;
  readonly instanceId: string;
  /** The bootstrap's record of its one run: timings, bootstrap.log, result. */
  readonly bootstrap: Record<string, string>;
  /** Lines the bootstrap printed into cloud-init's output (a second run would add some). */
  readonly bootstrapOutputLines: number;
  /** SOURCE FSTYPE UUID of the volume at /var/lib/spark/local, when the host has one. */
  readonly volume?: string;
  readonly marker: string;
}

function bootstrapOutputLines(root: string): number {
  const log = fs.readFileSync(path.join(root, 'var/log/cloud-init-output.log'), 'utf8');
  return log.split('\n').filter((l) => l.includes(' spark-bootstrap: ')).length;
}

/** Records what `assertSameNode` checks, and writes a mark on the root disk and the volume. */
function markNode(host: string): NodeState {
  const root = hostRoot(host);
  const spec = hostSpecs().find((h) => h.name === host)!;
  const marker = `written before the power cycle ${Date.now()}`;
  fs.writeFileSync(path.join(root, 'root/power-marker'), marker);
  let volume: string | undefined;
  if (spec.volumes.length > 0) {
    volume = inHostOk(host, ['findmnt', '-n', '-o', 'SOURCE,FSTYPE,UUID', '/var/lib/spark/local']).trim();
    inHostOk(host, ['sh', '-c', 'printf "%s" "$1" >/var/lib/spark/local/power-marker', 'sh', marker]);
  }
  const state = path.join(root, 'var/lib/spark-bootstrap');
  return {
    root,
    instanceId: fs.readFileSync(path.join(root, 'var/lib/cloud/data/instance-id'), 'utf8'),
    bootstrap: Object.fromEntries(
      ['timings', 'bootstrap.log', 'result'].map((f) => [f, fs.readFileSync(path.join(state, f), 'utf8')]),
    ),
    bootstrapOutputLines: bootstrapOutputLines(root),
    volume,
    marker,
  };
}

/**
 * The host booted again on the same disk and volume as the same instance, its Spark units came
 * up by themselves, and its bootstrap did not run again (so nothing was downloaded again).
 */
function assertSameNode(host: string, before: NodeState, services: string[]): void {
  const root = hostRoot(host);
  expect(root).toBe(before.root);
  expect(fs.readFileSync(path.join(root, 'root/power-marker'), 'utf8')).toBe(before.marker);
  // cloud-init saw the same instance: per-instance modules (runcmd, the bootstrap) did not run.
  expect(fs.readFileSync(path.join(root, 'var/lib/cloud/data/instance-id'), 'utf8')).toBe(before.instanceId);
  const state = path.join(root, 'var/lib/spark-bootstrap');
  expect(
    Object.fromEntries(Object.keys(before.bootstrap).map((f) => [f, fs.readFileSync(path.join(state, f), 'utf8')])),
  ).toEqual(before.bootstrap);
  expect(bootstrapOutputLines(root)).toBe(before.bootstrapOutputLines);
  const journal = inHostOk(host, ['journalctl', '-b', '-o', 'cat', '--no-pager']);
  expect(journal.split('\n').filter((l) => /spark-bootstrap:|apt-get|Downloading|curl/.test(l))).toEqual([]);
  if (before.volume) {
    // Mounted by the bootstrap's mount unit, before the worker started.
    expect(inHostOk(host, ['systemctl', 'is-active', 'var-lib-spark-local.mount']).trim()).toBe('active');
    const mount = inHostOk(host, ['findmnt', '-n', '-o', 'SOURCE,FSTYPE,UUID', '/var/lib/spark/local']).trim();
    expect(mount).toBe(before.volume);
    // Inside the host: the volume is mounted in its mount namespace, not over its root seen from here.
    expect(inHostOk(host, ['cat', '/var/lib/spark/local/power-marker'])).toBe(before.marker);
  }
  for (const service of services) {
    expect({ service, enabled: inHost(host, ['systemctl', 'is-enabled', service]).stdout.trim() }).toEqual({
      service,
      enabled: 'enabled',
    });
    expect({ service, active: inHost(host, ['systemctl', 'is-active', service]).stdout.trim() }).toEqual({
      service,
      active: 'active',
    });
  }
  // The node's own name still resolves without DNS (the bootstrap's /etc/hosts line).
  expect(inHostOk(host, ['getent', 'hosts', inHostOk(host, ['hostname']).trim()])).toContain(
    hostSpecs().find((h) => h.name === host)!.ip,
  );
}

/** Nova's status of a server, as the deploying user sees it, once it is `status`. */
async function serverStatus(serverId: string, status: string): Promise<void> {
  await waitFor(`server ${serverId} ${status}`, 120_000, async () =>
    asDeployingUser(['openstack', 'server', 'show', serverId, '-f', 'value', '-c', 'status']).trim() === status
      ? true
      : undefined,
  );
}

/** Realize, checking that it did `action` to `host` and left every other host running as it was. */
function realizeExpecting(host: string, action: string): void {
  const result = realizeHosts();
  expect(result.removed).toEqual([]);
  expect(Object.fromEntries(result.hosts.map((h) => [h.name, h.action]))).toEqual(
    Object.fromEntries(result.hosts.map((h) => [h.name, h.name === host ? action : 'kept'])),
  );
}

/** Waits until the worker at `ip` registered again (a new worker ID) and `count` are alive. */
async function reregistered(ip: string, oldId: string, count: number) {
  return waitFor(`the worker at ${ip} to register again`, 300_000, async () => {
    const status = await masterStatus();
    const back = status.workers.find((w) => w.host === ip && w.state === 'ALIVE' && w.id !== oldId);
    return back && status.aliveworkers === count ? back : undefined;
  });
}

async function aliveWorker(ip: string) {
  return waitFor(`the master to list the worker at ${ip}`, 60_000, async () =>
    (await masterStatus()).workers.find((w) => w.host === ip && w.state === 'ALIVE'),
  );
}

/**
 * After a power test, whatever it left half done: every server ACTIVE again and every host
 * running as Nova says, so that the tests after it find the cluster whole.
 */
async function settlePower(serverId: string): Promise<void> {
  if (asDeployingUser(['openstack', 'server', 'show', serverId, '-f', 'value', '-c', 'status']).trim() === 'SHUTOFF') {
    asDeployingUser(['openstack', 'server', 'start', serverId]);
    await serverStatus(serverId, 'ACTIVE');
  }
  realizeHosts();
}

beforeAll(async () => {
  // Spark and the S3A jars, in the operator's public container laid out like the Apache archive.
  const distributionStarted = Date.now();
  sparkDistribution(VERSION);
  cloud(['mirror', MIRROR_DIR]);
  timings.mirrorSeconds = seconds(Date.now() - distributionStarted);
  env = cloudEnv();
  expect(env.SPARK_TARBALL_SHA512).toMatch(/^[0-9a-f]{128}$/);
  expect(env.SPARK_S3_ENDPOINT).toMatch(/^https:/);

  // HTTPS web UIs: a certificate naming the master's fixed address. Neutron picks the
  // workers' addresses, and a certificate naming the whole subnet would not fit the master's
  // user data next to Prometheus; workers are checked by the certificate they present.
  e2eScript('test-ca.sh', [tlsDir, `ui=IP:${masterIp}`]);
  settings = {
    SPARK_WORKERS: '3',
    SPARK_LOCAL_VOLUME_GIB: String(VOLUME_GIB),
    // The master's volume: its FILESYSTEM recovery state (and Prometheus' data) live there.
    SPARK_MASTER_VOLUME_GIB: String(VOLUME_GIB),
    SPARK_FORCE_DESTROY: '1',
    SPARK_ADMIN_CIDR: '10.254.0.1/32',
    SPARK_UI_TLS_CERT_FILE: path.join(tlsDir, 'ui-chain.pem'),
    // Trust both the cloud's CA (Swift) and the UIs' CA.
    SPARK_CA_CERT_FILE: path.join(tlsDir, 'cas.pem'),
    TF_VAR_ui_tls_private_key: tlsFile('ui.key'),
  };
  fs.writeFileSync(path.join(tlsDir, 'cas.pem'), fs.readFileSync(env.SPARK_CA_CERT_FILE, 'utf8') + tlsFile('ca.pem'));
  deployment = new Deployment(env);

  const deployStarted = Date.now();
  deployment.ok('deploy', STACK, settings);
  timings.deploySeconds = seconds(Date.now() - deployStarted);
  const realizeStarted = Date.now();
  const realized = realizeHosts();
  timings.realizeSeconds = seconds(Date.now() - realizeStarted);
  expect(realized.hosts.map((h) => h.action)).toEqual(['started', 'started', 'started', 'started']);
  await allRegistered(3);
  timings.bootToRegisteredSeconds = seconds(Date.now() - realizeStarted - timings.realizeSeconds * 1000);
  timings.deployToReadySeconds = seconds(Date.now() - deployStarted);

  const state = deployment.stateResources(STACK);
  s3Secret = ec2Credential(state).secret;
  authSecret = deployment.tofu(STACK).run(['output', '-raw', 'spark_auth_secret']).trim();
  const containers = state.filter((r) => r.type === 'openstack_objectstorage_container_v1');
  dataContainer = String(containers.find((c) => c.name.includes('Data'))!.values.name);
  eventsContainer = String(containers.find((c) => c.name.includes('EventLogs'))!.values.name);
  fs.mkdirSync(E2E_CACHE, { recursive: true });
  fs.writeFileSync(path.join(E2E_CACHE, 'deploy-to-ready.json'), JSON.stringify(readyReport(), null, 2) + '\n');
}, 3_600_000);

afterAll(() => {
  fs.rmSync(tlsDir, { recursive: true, force: true });
});

/** Per phase: deploy, realize, and per host the boot, cloud-init and bootstrap phases. */
function readyReport() {
  const perHost = hostSpecs().map((h) => {
    const root = hostRoot(h.name);
    const status = JSON.parse(fs.readFileSync(path.join(root, 'var/lib/cloud/data/status.json'), 'utf8')).v1;
    const timingsFile = path.join(root, 'var/lib/spark-bootstrap/timings');
    const phases = Object.fromEntries(
      fs
        .readFileSync(timingsFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k, Number(v)]),
    );
    const booted = hostBoot(h.name).bootedAt;
    return {
      server: h.serverName,
      bootToUserDataSeconds: seconds((status.init.start - booted) * 1000),
      bootstrapPhases: phases,
      bootstrapFinishedAfterBootSeconds: seconds((fs.statSync(timingsFile).mtimeMs / 1000 - booted) * 1000),
    };
  });
  return { cores: os.cpus().length, ...timings, hosts: perHost };
}

describe('a cluster deployed on the local cloud boots through its metadata service', () => {
  test("cloud-init read the server's own metadata from Nova and ran its user data without errors", () => {
    const servers = inventory().servers;
    const key = asDeployingUser(['openstack', 'keypair', 'show', 'analytics', '--public-key']).trim();
    for (const h of hostSpecs()) {
      const server = servers.find((s) => s.id === h.serverId)!;
      expect(server.status).toBe('ACTIVE');
      const status = inHost(h.name, ['cloud-init', 'status', '--wait', '--long'], 120_000);
      expect({ server: h.serverName, status: status.status, out: status.stdout }).toMatchObject({
        server: h.serverName,
        status: 0,
      });
      expect(inHostOk(h.name, ['cloud-id']).trim()).toBe('openstack');
      const root = hostRoot(h.name);
      expect(fs.readFileSync(path.join(root, 'var/lib/cloud/data/instance-id'), 'utf8').trim()).toBe(server.id);
      const result = JSON.parse(fs.readFileSync(path.join(root, 'var/lib/cloud/data/result.json'), 'utf8'));
      expect({ server: h.serverName, errors: result.v1.errors, ds: result.v1.datasource }).toEqual({
        server: h.serverName,
        errors: [],
        ds: expect.stringContaining('DataSourceOpenStack'),
      });
      expect(inHostOk(h.name, ['hostname']).trim()).toBe(h.serverName);
      // The key pair reached the image's default user.
      expect(fs.readFileSync(path.join(root, 'home/debian/.ssh/authorized_keys'), 'utf8')).toContain(key);
      // What cloud-init ran is what Nova holds for the server.
      expect(userDataText(path.join(root, 'var/lib/cloud/instances', server.id, 'user-data.txt'))).toBe(
        server.user_data,
      );
    }
  });

  test('every worker registered with the cores and memory the sizing model computed', async () => {
    const status = await masterStatus();
    const alive = status.workers.filter((w) => w.state === 'ALIVE');
    const workerIps = hostSpecs()
      .filter((h) => h.name !== masterHost)
      .map((h) => h.ip);
    expect(alive.map((w) => w.host).sort()).toEqual(workerIps.sort());
    for (const w of alive) {
      expect({ host: w.host, cores: w.cores, memory: w.memory }).toEqual({
        host: w.host,
        cores: pool.sizing.workerCores,
        memory: pool.sizing.workerMemoryMiB,
      });
    }
  });

  test("each worker's Cinder volume is formatted and mounted as Spark's local directory", () => {
    const inv = inventory();
    for (const [serverName, host] of workerHosts) {
      const server = inv.servers.find((s) => s.name === serverName)!;
      expect(server.volumes).toHaveLength(1);
      const volume = inv.volumes.find((v) => v.id === server.volumes[0])!;
      expect(volume).toMatchObject({ size: VOLUME_GIB, status: 'in-use', attached_to: [server.id] });
      const mount = inHostOk(host, ['findmnt', '-n', '-o', 'SOURCE,FSTYPE,LABEL', '/var/lib/spark/local']).trim();
      expect(mount.split(/\s+/)).toEqual(['/dev/vdb', 'ext4', 'spark-local']);
      const bytes = Number(inHostOk(host, ['blockdev', '--getsize64', '/dev/vdb']).trim());
      expect(bytes).toBe(VOLUME_GIB * 1024 ** 3);
      expect(inHostOk(host, ['readlink', '-f', `/dev/disk/by-id/virtio-${volume.id.slice(0, 20)}`]).trim()).toBe(
        '/dev/vdb',
      );
      expect(inHostOk(host, ['stat', '-c', '%U', '/var/lib/spark/local']).trim()).toBe('spark');
    }
  });

  test('daemons run as the spark user under the sandboxing of their units', () => {
    for (const h of hostSpecs()) {
      const services = h.name === masterHost ? ['spark-master', 'spark-history'] : ['spark-worker'];
      for (const service of services) {
        const props = inHostOk(h.name, [
          'systemctl',
          'show',
          service,
          '-p',
          'MainPID,ActiveState,ProtectSystem,NoNewPrivileges',
        ]);
        expect(props).toContain('ActiveState=active');
        expect(props).toContain('ProtectSystem=strict');
        expect(props).toContain('NoNewPrivileges=yes');
        const pid = /MainPID=(\d+)/.exec(props)![1];
        expect(inHostOk(h.name, ['ps', '-o', 'user=', '-p', pid]).trim()).toBe('spark');
        // In the daemon's view of the file system even root writes only to its ReadWritePaths.
        const inDaemonView = (file: string) => inHost(h.name, ['nsenter', '--target', pid, '--mount', 'touch', file]);
        expect(inDaemonView('/usr/local/sandbox-probe').stderr).toContain('Read-only file system');
        expect(inDaemonView('/etc/spark/conf/sandbox-probe').stderr).toContain('Read-only file system');
        expect(inDaemonView('/var/lib/spark/sandbox-probe').status).toBe(0);
      }
    }
  });

  let seedApp = '';
  let useCaseApp = '';
  const ROWS = 200_000;

  test("the seed use case: Parquet on the cloud's Swift through S3A with the provider-made EC2 credential", () => {
    const input = `s3a://${dataContainer}/e2e/input`;
    const output = `s3a://${dataContainer}/e2e/output`;
    const seeded = resultOf(submit('seed_input.py', [input, String(ROWS)]));
    seedApp = seeded.app as string;
    expect(seeded.rows).toBe(ROWS);

    const result = resultOf(submit('revenue.py', [input, output]));
    useCaseApp = result.app as string;
    // revenue = price * quantity, with price = id % 97 and quantity = id % 89.
    let expected = 0;
    for (let id = 0; id < ROWS; id++) expected += (id % 97) * (id % 89);
    expect(result).toMatchObject({ rowsRead: ROWS, rowsWrittenAndReadBack: ROWS, totalRevenue: expected });
    const workerIps = hostSpecs()
      .filter((h) => h.name !== masterHost)
      .map((h) => h.ip);
    expect(result.executorHosts as string[]).not.toHaveLength(0);
    for (const host of result.executorHosts as string[]) expect(workerIps).toContain(host);
    expect(result).toMatchObject({ uiWebUrl: `https://${masterIp}:4440`, uiListsApp: true });

    // The objects are in Swift, seen through Swift's own API as the deploying user.
    const listing = swiftList(dataContainer, 'e2e/');
    expect(listing.some((n) => /^e2e\/input\/part-.*\.parquet$/.test(n))).toBe(true);
    expect(listing.some((n) => /^e2e\/output\/part-.*\.parquet$/.test(n))).toBe(true);
    expect(listing).toContain('e2e/output/_SUCCESS');
    // The nodes used the EC2 credential Terraform created: it is in their user data.
    const bootstrapEnv = fs.readFileSync(path.join(hostRoot(masterHost), 'etc/spark/conf/spark-defaults.conf'), 'utf8');
    expect(bootstrapEnv).toContain(s3Secret);
  });

  test('event logs land in Swift and the history server lists the applications', async () => {
    expect(useCaseApp).not.toBe('');
    const listing = swiftList(eventsContainer, 'spark-events/');
    expect(listing).toContain(`spark-events/${seedApp}`);
    expect(listing).toContain(`spark-events/${useCaseApp}`);
    const apps = await waitFor('the history server to list both applications', 120_000, async () => {
      const list = await getJson<{ id: string }[]>(
        `${HISTORY_UI}/api/v1/applications?status=completed`,
        tlsFile('ca.pem'),
      );
      const ids = list.map((a) => a.id);
      return ids.includes(seedApp) && ids.includes(useCaseApp) ? ids : undefined;
    });
    expect(apps).toEqual(expect.arrayContaining([seedApp, useCaseApp]));
    const environment = await waitFor('the history server to load the application', 60_000, () =>
      getJson<{ sparkProperties: [string, string][] }>(
        `${HISTORY_UI}/api/v1/applications/${useCaseApp}/environment`,
        tlsFile('ca.pem'),
      ),
    );
    const props = Object.fromEntries(environment.sparkProperties);
    expect(props).toMatchObject({
      'spark.authenticate': 'true',
      'spark.network.crypto.enabled': 'true',
      'spark.network.crypto.authEngineVersion': '2',
      'spark.ssl.ui.enabled': 'true',
    });
    expect(props['spark.ssl.ui.keyStorePassword']).toBe('*********(redacted)');
  });

  test('the web UIs answer HTTPS with the given certificate, and their HTTP ports only redirect', async () => {
    const ca = tlsFile('ca.pem');
    const fingerprint = new X509Certificate(tlsFile('ui.pem')).fingerprint256;
    const workerIps = hostSpecs()
      .filter((h) => h.name !== masterHost)
      .map((h) => h.ip);
    const uis = [
      { ip: masterIp, http: 8080, path: '/json/' },
      { ip: masterIp, http: 18080, path: '/api/v1/applications' },
      ...workerIps.map((ip) => ({ ip, http: 8081, path: '/json/' })),
    ];
    for (const ui of uis) {
      const secure = `https://${ui.ip}:${ui.http + 400}${ui.path}`;
      // The chain is verified against the CA, the name only where the certificate has it.
      const answer = await httpGet(secure, ca, { anyName: ui.ip !== masterIp });
      expect({ url: secure, status: answer.status, certificate: answer.certificateSha256 }).toEqual({
        url: secure,
        status: 200,
        certificate: fingerprint,
      });
      const plain = await httpGet(`http://${ui.ip}:${ui.http}${ui.path}`);
      expect({ ui: ui.http, status: plain.status, location: plain.location }).toEqual({
        ui: ui.http,
        status: 302,
        location: secure,
      });
    }
    await expect(httpGet(`${MASTER_UI}/json/`)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  test("the master's floating IP reaches its web UI from this machine", async () => {
    const fip = inventory().floating_ips.find((f) => f.fixed_ip === masterIp)!;
    expect(fip).toBeDefined();
    // The certificate names the fixed addresses only: this checks the route, not the name.
    const answer = await httpGet(`http://${fip.address}:8080/json/`);
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(`https://${fip.address}:8480/json/`);
  });

  test('a driver without the cluster secret is refused', () => {
    const run = submit('seed_input.py', ['s3a://nowhere/never', '10'], { 'spark.authenticate.secret': 'not-it' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toContain('E2E_RESULT');
    expect(run.stderr).toContain('at org.apache.spark.network.crypto.AuthClientBootstrap.doBootstrap');
  });

  test('a worker killed mid-way is restarted by systemd and registers again', async () => {
    const [, victim] = [...workerHosts.entries()][0];
    const victimIp = hostSpecs().find((h) => h.name === victim)!.ip;
    const before = await waitFor('the master to list the victim', 60_000, async () =>
      (await masterStatus()).workers.find((w) => w.host === victimIp && w.state === 'ALIVE'),
    );
    const show = (prop: string) =>
      inHostOk(victim, ['systemctl', 'show', 'spark-worker', '-p', prop, '--value']).trim();
    const pid = show('MainPID');
    const restarts = Number(show('NRestarts'));
    inHostOk(victim, ['kill', '-KILL', pid]);
    const after = await waitFor('the killed worker to register again', 240_000, async () => {
      const status = await masterStatus();
      const back = status.workers.find((w) => w.host === victimIp && w.state === 'ALIVE' && w.id !== before.id);
      return back && status.aliveworkers === workerHosts.size ? back : undefined;
    });
    expect(after.cores).toBe(pool.sizing.workerCores);
    expect(Number(show('NRestarts'))).toBe(restarts + 1);
  });

  test('no secret appears in a log on any host', () => {
    const uiKeyLine = tlsFile('ui.key').split('\n')[2];
    const secrets = [authSecret, s3Secret, uiKeyLine];
    for (const secret of secrets) expect(secret.length).toBeGreaterThan(20);
    for (const h of hostSpecs()) {
      const files = inHost(h.name, [
        'grep',
        '-rlF',
        ...secrets.flatMap((secret) => ['-e', secret]),
        '/var/log',
        '/var/lib/spark-bootstrap',
        '/var/lib/spark/work',
      ]);
      expect({ host: h.serverName, status: files.status, found: files.stdout.trim() }).toEqual({
        host: h.serverName,
        status: 1,
        found: '',
      });
      const journal = inHost(h.name, [
        'sh',
        '-c',
        'journalctl -o cat --no-pager | grep -cF "$@"',
        'sh',
        ...secrets.flatMap((secret) => ['-e', secret]),
      ]);
      expect({ host: h.serverName, status: journal.status, count: journal.stdout.trim() }).toEqual({
        host: h.serverName,
        status: 1,
        count: '0',
      });
    }
  });

  test('the bootstrap refuses a tarball whose SHA-512 does not match', () => {
    const scratch = path.join(hostRoot(masterHost), 'root/corrupt');
    const cache = path.join(scratch, 'var/cache/spark-bootstrap');
    fs.mkdirSync(cache, { recursive: true });
    const bytes = fs.readFileSync(path.join(MIRROR_DIR, VERSION.mirrorPath));
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(path.join(cache, VERSION.tarballName), bytes);
    const run = inHost(masterHost, ['env', 'SPARK_BOOTSTRAP_ROOT=/root/corrupt', '/usr/local/sbin/spark-bootstrap']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('does not match the pinned checksum; refusing to install it');
    expect(fs.existsSync(path.join(scratch, 'opt', VERSION.distributionName))).toBe(false);
  });

  test('Prometheus scrapes the master, every worker and every node exporter', async () => {
    const workerIps = hostSpecs()
      .filter((h) => h.name !== masterHost)
      .map((h) => h.ip);
    type Target = { labels: { job: string; instance: string }; health: string; lastError: string };
    const targets = await waitFor('every target scraped and up', 180_000, async () => {
      const answer = await getJson<{ data: { activeTargets: Target[] } }>(
        `${PROMETHEUS}/api/v1/targets`,
        tlsFile('ca.pem'),
      );
      const active = answer.data.activeTargets;
      const up = (job: string) => active.filter((t) => t.labels.job === job && t.health === 'up');
      return up('spark-master').length === 1 && up('spark-worker').length === 3 && up('node').length === 4
        ? active
        : undefined;
    });
    const hostOf = (t: Target) => t.labels.instance.replace(/:\d+$/, '');
    const byJob = (job: string) =>
      targets
        .filter((t) => t.labels.job === job)
        .map(hostOf)
        .sort();
    expect(byJob('spark-master')).toEqual([masterIp]);
    expect(byJob('spark-worker')).toEqual([...workerIps].sort());
    expect(byJob('node')).toEqual([masterIp, ...workerIps].sort());
    for (const t of targets.filter((t) => ['spark-master', 'spark-worker', 'node'].includes(t.labels.job))) {
      expect({ target: t.labels.instance, job: t.labels.job, health: t.health, error: t.lastError }).toEqual({
        target: t.labels.instance,
        job: t.labels.job,
        health: 'up',
        error: '',
      });
    }
    // The latest sample may be up to a scrape interval (15 s) old: the test before this one
    // killed a worker, which the master counted as lost until it registered again.
    const alive = await waitFor("the master's aliveWorkers metric at 3", 60_000, async () => {
      const r = await promQuery('metrics_master_aliveWorkers_Value');
      return r.length === 1 && r[0].value[1] === '3' ? r : undefined;
    });
    expect(alive.map((s) => Number(s.value[1]))).toEqual([3]);
  });

  test("every node reports its bootstrap's result and phases through the node exporter", async () => {
    const results = await waitFor('spark_bootstrap_success from 4 nodes', 120_000, async () => {
      const r = await promQuery('spark_bootstrap_success');
      return r.length === 4 ? r : undefined;
    });
    expect(results.map((r) => r.value[1])).toEqual(['1', '1', '1', '1']);
    const phases = await promQuery('spark_bootstrap_phase_seconds{phase="total"}');
    expect(phases).toHaveLength(4);
  });

  test('executor metrics are scraped while a job runs', async () => {
    // The job runs on the master's host in the background while the test polls Prometheus.
    const job = submitInBackground(
      masterHost,
      'slow_job.py',
      ['120'],
      ['--master', masterUrl, '--conf', `spark.cores.max=${2 * pool.sizing.executorCores}`],
      300,
    );
    try {
      const series = await waitFor('executor series in Prometheus', 150_000, async () => {
        const r = await promQuery('count by (job) ({__name__=~"metrics_executor_.+"})');
        return r.length > 0 ? r : undefined;
      });
      expect(series.map((s) => s.metric.job)).toContain('spark-executors');
    } finally {
      const { code, output } = await job.done;
      expect({ code, result: output.includes('E2E_RESULT') }).toEqual({ code: 0, result: true });
    }
  });

  test('a stopped worker fires SparkWorkerLost within its window, and it clears once the worker is back', async () => {
    const [, victim] = [...workerHosts.entries()][1];
    inHostOk(victim, ['systemctl', 'stop', 'spark-worker']);
    const stopped = Date.now();
    try {
      // for: 1m, plus a scrape and an evaluation interval.
      await waitFor('SparkWorkerLost to fire', 180_000, async () =>
        (await promAlerts()).SparkWorkerLost === 'firing' ? true : undefined,
      );
      timings.workerLostAlertSeconds = seconds(Date.now() - stopped);
    } finally {
      inHostOk(victim, ['systemctl', 'start', 'spark-worker']);
    }
    await allRegistered(3);
    await waitFor('SparkWorkerLost to clear', 180_000, async () =>
      (await promAlerts()).SparkWorkerLost === undefined ? true : undefined,
    );
  });

  test('npm run status prints the live cluster: master, workers per pool, applications, alerts', () => {
    const run = spawnSync(
      'node',
      [
        '-r',
        'ts-node/register/transpile-only',
        'scripts/status.ts',
        STACK,
        '--dir',
        deployment.stackDir(STACK),
        // The outputs name the floating IP, which the test's certificate does not.
        '--master-url',
        MASTER_UI,
        '--prometheus-url',
        PROMETHEUS,
      ],
      {
        cwd: path.join(__dirname, '..', '..'),
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ...env, NODE_EXTRA_CA_CERTS: path.join(tlsDir, 'ca.pem') },
      },
    );
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain(`master ${MASTER_UI} is ALIVE`);
    expect(run.stdout).toContain('workers: 3 alive of 3 expected');
    expect(run.stdout).toContain('pool general: 3 of 3 registered');
    expect(run.stdout).toContain('applications: 0 running, 0 waiting');
    expect(run.stdout).toContain('alerts: none firing');
  });

  test('a worker rebooted through Nova boots the same disk and volume, registers again and downloads nothing', async () => {
    const [, victim] = [...workerHosts.entries()][2];
    const spec = hostSpecs().find((h) => h.name === victim)!;
    const old = await aliveWorker(spec.ip);
    const before = markNode(victim);
    const boot = hostBoot(victim);
    const requested = Date.now();
    try {
      asDeployingUser(['openstack', 'server', 'reboot', spec.serverId]);
      // The fake driver finishes a reboot at once: the server is ACTIVE, its action says it.
      realizeExpecting(victim, 'rebooted');
      const back = await reregistered(spec.ip, old.id, 3);
      powerTimings.novaRebootWorkerToRegisteredSeconds = seconds(Date.now() - requested);
      writePowerTimings();
      expect(back.cores).toBe(pool.sizing.workerCores);
      const after = hostBoot(victim);
      expect(after.pid).not.toBe(boot.pid);
      expect(after.bootedAt).toBeGreaterThan(boot.bootedAt);
      assertSameNode(victim, before, ['spark-worker']);
      // A second realize has nothing left to do.
      realizeExpecting(victim, 'kept');
    } finally {
      await settlePower(spec.serverId);
    }
  });

  test('a worker rebooted from inside (systemctl reboot) comes back by itself, and realize leaves it be', async () => {
    const [, victim] = [...workerHosts.entries()][1];
    const spec = hostSpecs().find((h) => h.name === victim)!;
    const old = await aliveWorker(spec.ip);
    const before = markNode(victim);
    const boot = hostBoot(victim);
    const requested = Date.now();
    // The command's own session ends with the guest; only its effect counts.
    inHost(victim, ['systemctl', 'reboot'], 30_000);
    await waitFor('the host to boot again', 120_000, async () => {
      try {
        return hostBoot(victim).pid !== boot.pid ? true : undefined;
      } catch {
        return undefined;
      }
    });
    await reregistered(spec.ip, old.id, 3);
    powerTimings.guestRebootWorkerToRegisteredSeconds = seconds(Date.now() - requested);
    writePowerTimings();
    assertSameNode(victim, before, ['spark-worker']);
    // systemd-nspawn said 133 (a reboot), and the supervisor booted the same root again.
    const boots = fs
      .readFileSync(path.join(path.dirname(before.root), 'boots'), 'utf8')
      .trim()
      .split('\n');
    expect(boots[boots.length - 1].split(' ')[2]).toBe('133');
    realizeExpecting(victim, 'kept');
  });

  test('a worker stopped through Nova is powered off keeping its disk, and started again it registers', async () => {
    const [, victim] = [...workerHosts.entries()][0];
    const spec = hostSpecs().find((h) => h.name === victim)!;
    const old = await aliveWorker(spec.ip);
    const before = markNode(victim);
    const loops = hostLoops(victim);
    expect(Object.values(loops).every((file) => file.endsWith('.img'))).toBe(true);
    try {
      const requested = Date.now();
      asDeployingUser(['openstack', 'server', 'stop', spec.serverId]);
      await serverStatus(spec.serverId, 'SHUTOFF');
      realizeExpecting(victim, 'stopped');
      powerTimings.novaStopWorkerSeconds = seconds(Date.now() - requested);
      expect(hostState(victim)).toBe('off');
      // The master lost it; the host's disk, its volume's loop device and its address are kept.
      expect(hostLoops(victim)).toEqual(loops);
      expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).toContain(`spch-${victim}`);
      await waitFor('the master to count 2 alive workers', 120_000, async () =>
        (await masterStatus()).aliveworkers === 2 ? true : undefined,
      );
      expect(hostSpecs().map((h) => h.name)).toContain(victim);
      realizeExpecting(victim, 'off');

      const started = Date.now();
      asDeployingUser(['openstack', 'server', 'start', spec.serverId]);
      await serverStatus(spec.serverId, 'ACTIVE');
      realizeExpecting(victim, 'restarted');
      await reregistered(spec.ip, old.id, 3);
      powerTimings.novaStartWorkerToRegisteredSeconds = seconds(Date.now() - started);
      writePowerTimings();
      assertSameNode(victim, before, ['spark-worker']);
    } finally {
      await settlePower(spec.serverId);
    }
  });

  test("the master's host rebooted through Nova: the master, its workers and the history server come back", async () => {
    const spec = hostSpecs().find((h) => h.name === masterHost)!;
    const before = markNode(masterHost);
    const boot = hostBoot(masterHost);
    const requested = Date.now();
    try {
      asDeployingUser(['openstack', 'server', 'reboot', spec.serverId]);
      realizeExpecting(masterHost, 'rebooted');
      expect(hostBoot(masterHost).pid).not.toBe(boot.pid);
      // The master reads its workers back from the recovery directory on its volume.
      const status = await allRegistered(3);
      powerTimings.novaRebootMasterToWorkersRegisteredSeconds = seconds(Date.now() - requested);
      writePowerTimings();
      expect(status.workers.filter((w) => w.state === 'ALIVE')).toHaveLength(3);
      const apps = await waitFor('the history server to list the applications again', 180_000, async () => {
        const list = await getJson<{ id: string }[]>(`${HISTORY_UI}/api/v1/applications`, tlsFile('ca.pem'));
        return list.some((a) => a.id === useCaseApp) ? list : undefined;
      });
      expect(apps.map((a) => a.id)).toEqual(expect.arrayContaining([seedApp, useCaseApp]));
      powerTimings.novaRebootMasterToHistorySeconds = seconds(Date.now() - requested);
      writePowerTimings();
      assertSameNode(masterHost, before, ['spark-master', 'spark-history']);
    } finally {
      await settlePower(spec.serverId);
    }
  });

  test('a restarted master recovers its workers and the running application from its volume (FILESYSTEM)', async () => {
    expect(
      inHostOk(masterHost, ['findmnt', '-n', '-o', 'FSTYPE,LABEL', '/var/lib/spark/local']).trim().split(/\s+/),
    ).toEqual(['ext4', 'spark-local']);
    // The driver on a worker, so that the master's restart is all the application sees
    // (spark.master from the worker's spark-defaults.conf).
    const [, driverHost] = [...workerHosts.entries()][0];
    const job = submitInBackground(
      driverHost,
      'slow_job.py',
      ['90'],
      ['--conf', `spark.cores.max=${2 * pool.sizing.executorCores}`],
    );
    const running = await waitFor('the application to run', 180_000, async () => {
      const status = await getJson<MasterStatus & { activeapps: { id: string; state: string }[] }>(
        `${MASTER_UI}/json/`,
        tlsFile('ca.pem'),
      );
      return status.activeapps.find((a) => a.state === 'RUNNING');
    });
    expect(inHostOk(masterHost, ['ls', '/var/lib/spark/local/recovery'])).toMatch(/app_/);
    const restarted = Date.now();
    inHostOk(masterHost, ['systemctl', 'restart', 'spark-master']);
    const recovered = await waitFor('the master to recover its workers and the application', 300_000, async () => {
      const status = await getJson<MasterStatus & { status: string; activeapps: { id: string; state: string }[] }>(
        `${MASTER_UI}/json/`,
        tlsFile('ca.pem'),
      );
      return status.status === 'ALIVE' &&
        status.aliveworkers === 3 &&
        status.activeapps.some((a) => a.id === running.id && a.state === 'RUNNING')
        ? status
        : undefined;
    });
    powerTimings.filesystemRecoverySeconds = seconds(Date.now() - restarted);
    writePowerTimings();
    expect(recovered.workers.filter((w) => w.state === 'ALIVE')).toHaveLength(3);
    const { code, output } = await job.done;
    expect({ code, result: output.includes('E2E_RESULT') }).toEqual({ code: 0, result: true });
  });

  test('scaling the pool 3 → 4 with a real apply boots and registers the new worker, touching no other host', async () => {
    const before = new Map(hostSpecs().map((h) => [h.name, hostBoot(h.name)]));
    const started = Date.now();
    const output = deployment.ok('deploy', STACK, { ...settings, SPARK_WORKERS: '4' });
    // The worker's port, server, volume and attachment.
    expect(output).toMatch(/Apply complete! Resources: 4 added, 0 changed, 0 destroyed/);
    const result = realizeHosts();
    const added = result.hosts.filter((h) => h.action === 'started');
    expect(added.map((h) => h.serverName)).toEqual(['analytics-general-4']);
    expect(result.removed).toEqual([]);
    expect(
      result.hosts
        .filter((h) => h.action === 'kept')
        .map((h) => h.name)
        .sort(),
    ).toEqual([...before.keys()].sort());
    const status = await allRegistered(4);
    timings.scaleUpSeconds = seconds(Date.now() - started);
    expect(status.workers.filter((w) => w.state === 'ALIVE').map((w) => w.host)).toContain(added[0].ip);
    // Prometheus finds the new worker from the master's own list: the master was not touched.
    await waitFor('Prometheus to scrape 4 workers', 180_000, async () => {
      const r = await promQuery('count(up{job="spark-worker"} == 1)');
      return r.length === 1 && r[0].value[1] === '4' ? true : undefined;
    });
    // The hosts that were there run the same systemd-nspawn since their first boot.
    for (const [name, boot] of before) expect(hostBoot(name)).toEqual(boot);
    fs.writeFileSync(path.join(E2E_CACHE, 'deploy-to-ready.json'), JSON.stringify(readyReport(), null, 2) + '\n');
  });

  test('destroy: every host stops and the project holds nothing', () => {
    deployment.ok('destroy', STACK, { ...settings, SPARK_WORKERS: '4' });
    const result = realize();
    expect(result.hosts).toEqual([]);
    expect(result.removed).toHaveLength(5);
    expect(hostSpecs()).toEqual([]);
    expect(leftovers(inventory())).toEqual({});
  });
});
