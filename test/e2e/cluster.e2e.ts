/**
 * End to end: the example stack's rendered user data boots a Spark cluster for real.
 *
 * - Hosts: a master and three workers, each a network namespace on a private bridge booted by
 *   systemd-nspawn as a systemd machine with its own writable root (scripts/e2e/hosts.sh).
 * - User data: synthesized from stacks/example.ts, with Terraform's interpolations filled
 *   with values this test chooses, handed to cloud-init itself through a NoCloud seed.
 * - Spark: 3.5.7 assembled from PyPI's pyspark and Maven Central's S3A jars
 *   (scripts/e2e/spark-dist.sh), served by an HTTP mirror in its own host on the subnet, checked
 *   by the bootstrap against the SHA-512 the stack was synthesized with.
 * - Object storage: Debian's OpenStack Swift with s3api in its own host
 *   (scripts/e2e/swift.sh), with the containers the stack declares.
 * - TLS: one private CA (scripts/e2e/test-ca.sh) signs the object endpoint's certificate
 *   and the web UIs' certificate; the cluster trusts it through trustedCaCertificates.
 *
 * Writes the time-to-ready breakdown to .cache/e2e/time-to-ready.json.
 */
import { Testing } from 'cdktf';
import { execFileSync } from 'child_process';
import { randomBytes, randomUUID, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SparkVersion } from '../../lib';
import { ExampleStack } from '../../stacks/example';
import { exampleSettings } from '../../stacks/settings';
import { filesOf, fillTemplate, userDataOf } from '../support/user-data';
import {
  E2E_CACHE,
  e2eScript,
  getJson,
  hostRoot,
  httpGet,
  inHost,
  inHostOk,
  MIRROR_DIR,
  sparkDistribution,
  startMirror,
  waitFor,
} from './support';

/** This run's seeds, keys and Swift data: in hosts.sh's state tmpfs, gone after `down`. */
const WORK_DIR = path.join(process.env.E2E_STATE_DIR ?? '/run/spark-e2e', 'test');
const SWIFT_DIR = path.join(WORK_DIR, 'swift');
const GATEWAY = '10.42.0.1';
const MIRROR_IP = '10.42.0.2';
const PREFIX = 24;
const SWIFT_IP = '10.42.0.200';
const MIRROR_PORT = 8000;
const S3 = { account: 'spark', user: 'e2e', key: randomBytes(18).toString('hex') };
const AUTH_SECRET = randomBytes(32).toString('hex');
const VERSION = SparkVersion.V3_5_7;
/** A private CA, the object endpoint's certificate and the web UIs', as a cloud with an internal CA has. */
const TLS_DIR = path.join(WORK_DIR, 'tls');
const tlsFile = (name: string) => fs.readFileSync(path.join(TLS_DIR, name), 'utf8');

interface MasterStatus {
  aliveworkers: number;
  workers: { id: string; host: string; cores: number; memory: number; state: string }[];
  completedapps: { id: string; name: string; state: string }[];
}

interface Host {
  /** Name in scripts/e2e/hosts.sh (and the network namespace spe2e-<name>). */
  readonly name: string;
  /** The server's name in the stack, which Nova makes its hostname. */
  readonly serverName: string;
  readonly ip: string;
  readonly role: 'master' | 'worker';
}

const stack = new ExampleStack(Testing.app(), 'example', exampleSettings(e2eEnv('0'.repeat(128))));
const pool = stack.cluster.workerPools[0];
const masterIp = stack.cluster.network.masterIp;
const masterUrl = `spark://${masterIp}:7077`;
const hosts: Host[] = [
  { name: 'master', serverName: 'analytics-master', ip: masterIp, role: 'master' },
  ...Array.from({ length: pool.count }, (_, i) => ({
    name: `worker${i}`,
    serverName: `analytics-general-${i}`,
    ip: `10.42.0.${21 + i}`,
    role: 'worker' as const,
  })),
];
const workers = hosts.filter((h) => h.role === 'worker');

/** The example's settings pointed at this test's mirror, object store and certificates. */
function e2eEnv(sha512: string, tlsDir?: string): NodeJS.ProcessEnv {
  return {
    SPARK_S3_ENDPOINT: `https://${SWIFT_IP}:8080`,
    SPARK_CA_CERT_FILE: tlsDir && path.join(tlsDir, 'ca.pem'),
    SPARK_UI_TLS_CERT_FILE: tlsDir && path.join(tlsDir, 'ui-chain.pem'),
    SPARK_MIRROR_URL: `http://${MIRROR_IP}:${MIRROR_PORT}`,
    SPARK_MAVEN_REPOSITORY_URL: `http://${MIRROR_IP}:${MIRROR_PORT}/maven`,
    SPARK_TARBALL_SHA512: sha512,
  };
}

/** Swift's own client (tempauth), for what Terraform's container resources would do. */
function swiftCli(...args: string[]): string {
  const auth = ['--os-cacert', path.join(TLS_DIR, 'ca.pem'), '-A', `https://${SWIFT_IP}:8080/auth/v1.0`];
  auth.push('-U', `${S3.account}:${S3.user}`, '-K', S3.key);
  return execFileSync('swift', [...auth, ...args], { encoding: 'utf8', timeout: 60_000 });
}

/** Runs a PySpark job from test/e2e/jobs on the master, as an operator would. */
function submit(job: string, args: string[], conf: Record<string, string> = {}, timeoutMs = 420_000) {
  const root = hostRoot('master');
  fs.mkdirSync(path.join(root, 'root', 'jobs'), { recursive: true });
  fs.copyFileSync(path.join(__dirname, 'jobs', job), path.join(root, 'root', 'jobs', job));
  const confArgs = Object.entries({
    // Two executors are plenty for the test's data on a 2-core machine.
    'spark.cores.max': String(2 * pool.sizing.executorCores),
    ...conf,
  }).flatMap(([k, v]) => ['--conf', `${k}=${v}`]);
  return inHost(
    'master',
    [
      'env',
      'PYSPARK_PYTHON=python3',
      '/opt/spark/bin/spark-submit',
      '--master',
      masterUrl,
      ...confArgs,
      `/root/jobs/${job}`,
      ...args,
    ],
    timeoutMs,
  );
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

/** The web UIs serve HTTPS on their HTTP port + 400, with the certificate test-ca.sh made. */
const MASTER_UI = `https://${masterIp}:8480`;
const HISTORY_UI = `https://${masterIp}:18480`;

function masterStatus(): Promise<MasterStatus> {
  return getJson<MasterStatus>(`${MASTER_UI}/json/`, tlsFile('ca.pem'));
}

/** Bootstrap and Spark logs of every host, for failure messages. */
function diagnostics(): string {
  return hosts
    .map((h) => {
      const journal = inHost(
        h.name,
        ['journalctl', '--no-pager', '-n', '40', '-u', 'spark-*', '-u', 'cloud-final'],
        30_000,
      );
      const log = path.join(hostRoot(h.name), 'var/log/cloud-init-output.log');
      const output = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-3000) : '(no cloud-init output)';
      return `--- ${h.name}\n${output}\n${journal.stdout}`;
    })
    .join('\n');
}

let sha512 = '';
let userData: { master: string; worker: string };
let readyAt = 0;
/** The Swift containers' names, as Terraform would have created them. */
const containerNames = { data: '', events: '' };
/** Each host's instance-id, as Nova's metadata would give it. */
const instanceIds = new Map<string, string>();

type SynthesizedConfig = {
  resource: {
    openstack_objectstorage_container_v1: Record<string, { name: string }>;
    openstack_objectstorage_object_v1: Record<string, { container_name: string; name: string; content: string }>;
  };
};

/** Synthesizes the example against this test's services; returns its config and a resolver. */
function synthesizeExample(): { config: SynthesizedConfig; resolve: (expression: string) => string } {
  const uiNames = hosts.map((h) => `IP:${h.ip}`).join(',');
  e2eScript('test-ca.sh', [TLS_DIR, `server=IP:${SWIFT_IP}`, `ui=${uiNames}`]);
  const settings = exampleSettings(e2eEnv(sha512, TLS_DIR));
  const synthesized = Testing.synth(new ExampleStack(Testing.app(), 'example', settings));
  const config = JSON.parse(synthesized) as SynthesizedConfig;
  const containers = config.resource.openstack_objectstorage_container_v1;
  // Values Terraform would fill in, chosen by this test.
  const resolve = (expression: string): string => {
    if (expression.includes('terraform_data') && expression.includes('secret')) return AUTH_SECRET;
    if (expression.includes('ec2_credential') && expression.endsWith('.access')) return `${S3.account}:${S3.user}`;
    if (expression.includes('ec2_credential') && expression.includes('.secret')) return S3.key;
    // What `TF_VAR_ui_tls_private_key` would hold, encoded as the template asks.
    if (expression === 'base64encode(var.ui_tls_private_key)') return Buffer.from(tlsFile('ui.key')).toString('base64');
    const container = /^openstack_objectstorage_container_v1\.([A-Za-z0-9_]+)\.name$/.exec(expression);
    if (container && containers[container[1]]) return containers[container[1]].name;
    throw new Error(`no e2e value for \${${expression}}`);
  };
  const nameOf = (part: string) => Object.entries(containers).find(([key]) => key.includes(part))![1].name;
  containerNames.data = nameOf('Storage_Data_');
  containerNames.events = nameOf('Storage_EventLogs_');
  const byName = userDataOf(synthesized);
  const masterKey = Object.keys(byName).find((k) => k.includes('Master'))!;
  const workerKey = Object.keys(byName).find((k) => k.includes('Workers_general'))!;
  userData = { master: fillTemplate(byName[masterKey], resolve), worker: fillTemplate(byName[workerKey], resolve) };
  const env = filesOf(userData.worker)['/etc/spark-bootstrap/bootstrap.env'].content;
  expect(env).toContain(`SPARK_MASTER_HOST=${masterIp}\n`);
  expect(env).toContain(`SPARK_SHA512=${sha512}\n`);
  return { config, resolve };
}

/** Swift in its own host, with what the stack's container and object resources create. */
function startSwift(config: SynthesizedConfig, resolve: (expression: string) => string): void {
  e2eScript('hosts.sh', ['add', 'swift', `${SWIFT_IP}/${PREFIX}`]);
  const tls = [path.join(TLS_DIR, 'server.pem'), path.join(TLS_DIR, 'server.key')];
  e2eScript('swift.sh', ['start', 'spe2e-swift', SWIFT_IP, SWIFT_DIR, S3.account, S3.user, S3.key, ...tls]);
  for (const c of Object.values(config.resource.openstack_objectstorage_container_v1)) swiftCli('post', c.name);
  for (const o of Object.values(config.resource.openstack_objectstorage_object_v1)) {
    const file = path.join(SWIFT_DIR, 'object-content');
    fs.writeFileSync(file, o.content);
    swiftCli('upload', fillTemplate(o.container_name, resolve), file, '--object-name', o.name);
  }
}

/** Boots every cluster host from its seed; cloud-init takes it from there. */
function bootCluster(): void {
  const seedDir = path.join(WORK_DIR, 'seed');
  fs.mkdirSync(seedDir, { recursive: true });
  for (const h of hosts) {
    e2eScript('hosts.sh', ['add', h.name, `${h.ip}/${PREFIX}`]);
    instanceIds.set(h.name, randomUUID());
    fs.writeFileSync(
      path.join(seedDir, `${h.name}.user-data`),
      h.role === 'master' ? userData.master : userData.worker,
    );
    fs.writeFileSync(
      path.join(seedDir, `${h.name}.meta-data`),
      `instance-id: ${instanceIds.get(h.name)}\nlocal-hostname: ${h.serverName}\n`,
    );
  }
  // Workers stand for the pool's flavor: they size themselves from it, not from this machine.
  fs.writeFileSync(
    path.join(seedDir, 'worker.hardware'),
    `NODE_VCPUS=${pool.flavor.vcpus}\nNODE_RAM_MIB=${pool.flavor.ramMiB}\n`,
  );
  for (const h of hosts) {
    const seed = (kind: string) => path.join(seedDir, `${h.name}.${kind}`);
    const hardware = h.role === 'master' ? [] : [path.join(seedDir, 'worker.hardware')];
    e2eScript('hosts.sh', ['boot', h.name, seed('user-data'), seed('meta-data'), ...hardware]);
  }
}

beforeAll(async () => {
  // The distribution and the S3A jars, on a mirror laid out like the Apache archive.
  sha512 = sparkDistribution(VERSION).sha512;

  // The subnet, and the state directory (a tmpfs that hosts.sh down removes, secrets and all).
  e2eScript('hosts.sh', ['down']);
  e2eScript('hosts.sh', ['net-up', `${GATEWAY}/${PREFIX}`]);
  const { config, resolve } = synthesizeExample();
  startSwift(config, resolve);
  e2eScript('hosts.sh', ['add', 'mirror', `${MIRROR_IP}/${PREFIX}`]);
  await startMirror('spe2e-mirror', MIRROR_DIR, MIRROR_IP, MIRROR_PORT, `${VERSION.mirrorPath}.sha512`);
  bootCluster();

  try {
    await waitFor('every worker to register with the master', 600_000, async () => {
      const status = await masterStatus();
      return status.aliveworkers === workers.length ? status : undefined;
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${diagnostics()}`);
  }
  readyAt = Date.now() / 1000;
  fs.writeFileSync(path.join(E2E_CACHE, 'time-to-ready.json'), JSON.stringify(timeToReady(), null, 2) + '\n');
}, 3_600_000);

afterAll(() => {
  // E2E_KEEP_HOSTS=1 leaves everything running to look into (hosts.sh down ends it all).
  if (process.env.E2E_KEEP_HOSTS === '1') return;
  // Ending the hosts' namespaces ends Swift and the mirror with them.
  e2eScript('hosts.sh', ['down']);
}, 300_000);

/** Seconds from the first host starting to run its user data to every worker registered. */
function timeToReady() {
  const perHost = hosts.map((h) => {
    const root = hostRoot(h.name);
    const bootedAt = Number(fs.readFileSync(path.join(path.dirname(root), 'booted-at'), 'utf8'));
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
    return {
      host: h.name,
      bootedAt,
      userDataStartedAt: status.init.start as number,
      bootstrapFinishedAt: fs.statSync(timingsFile).mtimeMs / 1000,
      phases,
    };
  });
  const start = Math.min(...perHost.map((h) => h.userDataStartedAt));
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    cores: os.cpus().length,
    totalSeconds: round(readyAt - start),
    bootToUserDataSeconds: round(start - Math.min(...perHost.map((h) => h.bootedAt))),
    hosts: perHost.map((h) => ({
      host: h.host,
      userDataStartedAfter: round(h.userDataStartedAt - start),
      bootstrapPhases: h.phases,
      bootstrapFinishedAfter: round(h.bootstrapFinishedAt - start),
    })),
    allRegisteredAfter: round(readyAt - start),
  };
}

describe('a cluster booted from the example stack user data', () => {
  test('cloud-init ran the user data without errors on every host', () => {
    for (const h of hosts) {
      // Waits for the final stage; exits non-zero when cloud-init reports an error.
      const status = inHost(h.name, ['cloud-init', 'status', '--wait', '--long'], 120_000);
      expect({ host: h.name, status: status.status, out: status.stdout }).toMatchObject({ host: h.name, status: 0 });
      const root = hostRoot(h.name);
      expect(fs.readFileSync(path.join(root, 'var/lib/cloud/data/instance-id'), 'utf8').trim()).toBe(
        instanceIds.get(h.name),
      );
      const result = JSON.parse(fs.readFileSync(path.join(root, 'var/lib/cloud/data/result.json'), 'utf8'));
      expect({ host: h.name, errors: result.v1.errors }).toEqual({ host: h.name, errors: [] });
      expect(inHostOk(h.name, ['hostname']).trim()).toBe(h.serverName);
    }
  });

  test('every worker registered with the cores and memory the sizing model computed', async () => {
    const status = await masterStatus();
    const alive = status.workers.filter((w) => w.state === 'ALIVE');
    expect(alive.map((w) => w.host).sort()).toEqual(workers.map((w) => w.ip).sort());
    for (const w of alive) {
      expect({ host: w.host, cores: w.cores, memory: w.memory }).toEqual({
        host: w.host,
        cores: pool.sizing.workerCores,
        memory: pool.sizing.workerMemoryMiB,
      });
    }
  });

  test('daemons run as the spark user under the sandboxing of their units', () => {
    for (const h of hosts) {
      const services = h.role === 'master' ? ['spark-master', 'spark-history'] : ['spark-worker'];
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

  test('the seed use case: Parquet from s3a://, a computed column, Parquet back to Swift', () => {
    const data = containerNames.data;
    const input = `s3a://${data}/e2e/input`;
    const output = `s3a://${data}/e2e/output`;
    const seeded = resultOf(submit('seed_input.py', [input, String(ROWS)]));
    seedApp = seeded.app as string;
    expect(seeded.rows).toBe(ROWS);

    const result = resultOf(submit('revenue.py', [input, output]));
    useCaseApp = result.app as string;
    // revenue = price * quantity, with price = id % 97 and quantity = id % 89.
    let expected = 0;
    for (let id = 0; id < ROWS; id++) expected += (id % 97) * (id % 89);
    expect(result).toMatchObject({ rowsRead: ROWS, rowsWrittenAndReadBack: ROWS, totalRevenue: expected });
    expect(result.executorHosts as string[]).not.toHaveLength(0);
    for (const host of result.executorHosts as string[]) expect(workers.map((w) => w.ip)).toContain(host);
    // The driver served its UI over HTTPS on 4040 + 400, and a client trusting the CA read it.
    expect(result).toMatchObject({ uiWebUrl: `https://${masterIp}:4440`, uiListsApp: true });

    // The objects are in Swift, seen through Swift's own API rather than S3A's.
    const listing = swiftCli('list', data, '--prefix', 'e2e/');
    expect(listing).toMatch(/^e2e\/input\/part-.*\.parquet$/m);
    expect(listing).toMatch(/^e2e\/output\/part-.*\.parquet$/m);
    expect(listing).toMatch(/^e2e\/output\/_SUCCESS$/m);
  });

  test('event logs land in Swift and the history server lists the applications', async () => {
    expect(useCaseApp).not.toBe('');
    const events = containerNames.events;
    const listing = swiftCli('list', events, '--prefix', 'spark-events/');
    expect(listing).toContain(`spark-events/${seedApp}`);
    expect(listing).toContain(`spark-events/${useCaseApp}`);
    // Completed: an application listed from its in-progress log can vanish for a moment when
    // the log is renamed on completion (the environment query then answered 404 once).
    const apps = await waitFor('the history server to list both applications', 120_000, async () => {
      const list = await getJson<{ id: string }[]>(
        `${HISTORY_UI}/api/v1/applications?status=completed`,
        tlsFile('ca.pem'),
      );
      const ids = list.map((a) => a.id);
      return ids.includes(seedApp) && ids.includes(useCaseApp) ? ids : undefined;
    });
    expect(apps).toEqual(expect.arrayContaining([seedApp, useCaseApp]));
    // The application ran with authenticated, encrypted RPC.
    const env = await waitFor('the history server to load the application', 60_000, () =>
      getJson<{ sparkProperties: [string, string][] }>(
        `${HISTORY_UI}/api/v1/applications/${useCaseApp}/environment`,
        tlsFile('ca.pem'),
      ),
    );
    const props = Object.fromEntries(env.sparkProperties);
    expect(props).toMatchObject({
      'spark.authenticate': 'true',
      'spark.network.crypto.enabled': 'true',
      'spark.network.crypto.authEngineVersion': '2',
      'spark.ssl.ui.enabled': 'true',
    });
    // Spark redacts what it knows to be secret before the UI shows it.
    expect(props['spark.ssl.ui.keyStorePassword']).toBe('*********(redacted)');
  });

  test('the web UIs answer HTTPS with the given certificate, and their HTTP ports only redirect', async () => {
    const ca = tlsFile('ca.pem');
    const fingerprint = new X509Certificate(tlsFile('ui.pem')).fingerprint256;
    const uis = [
      { ip: masterIp, http: 8080, path: '/json/' },
      { ip: masterIp, http: 18080, path: '/api/v1/applications' },
      ...workers.map((w) => ({ ip: w.ip, http: 8081, path: '/json/' })),
    ];
    for (const ui of uis) {
      const secure = `https://${ui.ip}:${ui.http + 400}${ui.path}`;
      const answer = await httpGet(secure, ca);
      expect({ url: secure, status: answer.status, certificate: answer.certificateSha256 }).toEqual({
        url: secure,
        status: 200,
        certificate: fingerprint,
      });
      JSON.parse(answer.body);
      const plain = await httpGet(`http://${ui.ip}:${ui.http}${ui.path}`);
      expect({ ui: ui.http, status: plain.status, location: plain.location, body: plain.body }).toEqual({
        ui: ui.http,
        status: 302,
        location: secure,
        body: '',
      });
    }
    // A client that does not trust the CA is turned away by the TLS handshake.
    await expect(httpGet(`${MASTER_UI}/json/`)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    // The keystore each node made: the daemons' user reads it, nobody else.
    for (const h of hosts) {
      expect(inHostOk(h.name, ['stat', '-c', '%a %U:%G', '/etc/spark/tls/ui.p12']).trim()).toBe('600 spark:spark');
      expect(inHostOk(h.name, ['stat', '-c', '%a %U:%G', '/etc/spark/tls/ui.key']).trim()).toBe('600 root:root');
    }
  });

  test('a driver without the cluster secret is refused', () => {
    const run = submit(
      'seed_input.py',
      ['s3a://nowhere/never', '10'],
      { 'spark.authenticate.secret': 'not-the-secret' },
      300_000,
    );
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toContain('E2E_RESULT');
    // Refused in the authentication handshake, not for any other reason.
    expect(run.stderr).toContain('at org.apache.spark.network.crypto.AuthClientBootstrap.doBootstrap');
    expect(run.stderr).toContain('All masters are unresponsive! Giving up.');
  });

  test('a worker killed mid-way is restarted by systemd and registers again', async () => {
    const victim = workers[0];
    const before = await waitFor('the master to list the victim', 60_000, async () =>
      (await masterStatus()).workers.find((w) => w.host === victim.ip && w.state === 'ALIVE'),
    );
    const show = (prop: string) =>
      inHostOk(victim.name, ['systemctl', 'show', 'spark-worker', '-p', prop, '--value']).trim();
    const pid = show('MainPID');
    const restarts = Number(show('NRestarts'));
    inHostOk(victim.name, ['kill', '-KILL', pid]);
    const after = await waitFor('the killed worker to register again', 240_000, async () => {
      const status = await masterStatus();
      const back = status.workers.find((w) => w.host === victim.ip && w.state === 'ALIVE' && w.id !== before.id);
      return back && status.aliveworkers === workers.length ? back : undefined;
    });
    expect(after.cores).toBe(pool.sizing.workerCores);
    expect(show('MainPID')).not.toBe(pid);
    expect(Number(show('NRestarts'))).toBe(restarts + 1);
  });

  test('no secret appears in a log on any host', () => {
    // A line of the UI key's base64 body: present wherever the key leaked.
    const uiKeyLine = tlsFile('ui.key').split('\n')[2];
    const secrets = [AUTH_SECRET, S3.key, uiKeyLine];
    for (const h of hosts) {
      // grep exits 1 when it finds nothing, 0 when it finds something, 2 on an error. The
      // workers' work dirs hold each executor's output and launch command.
      const files = inHost(h.name, [
        'grep',
        '-rlF',
        ...secrets.flatMap((secret) => ['-e', secret]),
        '/var/log',
        '/var/lib/spark-bootstrap',
        '/var/lib/spark/work',
      ]);
      expect({ host: h.name, status: files.status, found: files.stdout.trim() }).toEqual({
        host: h.name,
        status: 1,
        found: '',
      });
      // The journal (daemons' and bootstrap's output) lives in /run/log/journal here.
      const journal = inHost(h.name, [
        'sh',
        '-c',
        'journalctl -o cat --no-pager | grep -cF "$@"',
        'sh',
        ...secrets.flatMap((secret) => ['-e', secret]),
      ]);
      expect({ host: h.name, status: journal.status, count: journal.stdout.trim() }).toEqual({
        host: h.name,
        status: 1,
        count: '0',
      });
      const mode = inHostOk(h.name, ['stat', '-c', '%a %U:%G', '/etc/spark/conf/spark-defaults.conf']).trim();
      expect(mode).toBe('600 spark:spark');
    }
  });

  test('the bootstrap refuses a tarball whose SHA-512 does not match', () => {
    // A second bootstrap run in a scratch root of the master, whose cache already holds the
    // real tarball with one byte changed: the checksum is all that stands between it and /opt.
    const scratch = path.join(hostRoot('master'), 'root/corrupt');
    const cache = path.join(scratch, 'var/cache/spark-bootstrap');
    fs.mkdirSync(cache, { recursive: true });
    const bytes = fs.readFileSync(path.join(MIRROR_DIR, VERSION.mirrorPath));
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(path.join(cache, VERSION.tarballName), bytes);
    const run = inHost('master', ['env', 'SPARK_BOOTSTRAP_ROOT=/root/corrupt', '/usr/local/sbin/spark-bootstrap']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('does not match the pinned checksum; refusing to install it');
    expect(fs.existsSync(path.join(scratch, 'opt', VERSION.distributionName))).toBe(false);
    expect(fs.existsSync(path.join(cache, VERSION.tarballName))).toBe(false);
  });
});
