/**
 * End to end: the example stack's rendered user data boots a Spark cluster for real.
 *
 * - Hosts: a master and three workers, each a network namespace on a private bridge booted by
 *   systemd-nspawn as a systemd machine with its own writable root (scripts/e2e/hosts.sh).
 * - User data: synthesized from stacks/example.ts, with Terraform's interpolations filled
 *   with values this test chooses, handed to cloud-init itself through a NoCloud seed.
 * - Spark: 3.5.7 assembled from PyPI's pyspark and Maven Central's S3A jars
 *   (scripts/e2e/spark-dist.sh), served by an HTTP mirror on the subnet's gateway, checked
 *   by the bootstrap against the SHA-512 the stack was synthesized with.
 * - Object storage: Debian's OpenStack Swift with s3api in its own host
 *   (scripts/e2e/swift.sh), with the containers the stack declares.
 *
 * Writes the time-to-ready breakdown to .cache/e2e/time-to-ready.json.
 */
import { Testing } from 'cdktf';
import { execFileSync } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SparkVersion } from '../../lib';
import { REPO_ROOT } from '../../scripts/tools-env';
import { ExampleStack } from '../../stacks/example';
import { exampleSettings } from '../../stacks/settings';
import { filesOf, fillTemplate, userDataOf } from '../support/user-data';
import { e2eScript, getJson, hostRoot, inHost, inHostOk, startMirror, waitFor } from './support';

const CACHE = process.env.E2E_CACHE ?? path.join(REPO_ROOT, '.cache', 'e2e');
const GATEWAY = '10.42.0.1';
const PREFIX = 24;
const SWIFT_IP = '10.42.0.200';
const MIRROR_PORT = 8000;
const S3 = { account: 'spark', user: 'e2e', key: randomBytes(18).toString('hex') };
const AUTH_SECRET = randomBytes(32).toString('hex');
const VERSION = SparkVersion.V3_5_7;
/** A private CA and the object endpoint's certificate, as a cloud with an internal CA has. */
const TLS_DIR = path.join(CACHE, 'tls');

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

/** The example's settings pointed at this test's mirror and object store. */
function e2eEnv(sha512: string, caCertFile?: string): NodeJS.ProcessEnv {
  return {
    SPARK_S3_ENDPOINT: `https://${SWIFT_IP}:8080`,
    SPARK_CA_CERT_FILE: caCertFile,
    SPARK_MIRROR_URL: `http://${GATEWAY}:${MIRROR_PORT}`,
    SPARK_MAVEN_REPOSITORY_URL: `http://${GATEWAY}:${MIRROR_PORT}/maven`,
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

function masterStatus(): Promise<MasterStatus> {
  return getJson<MasterStatus>(`http://${masterIp}:8080/json/`);
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

let stopMirror = () => {};
let sha512 = '';
let userData: { master: string; worker: string };
let readyAt = 0;
/** The Swift containers' names, as Terraform would have created them. */
const containerNames = { data: '', events: '' };

beforeAll(async () => {
  // The distribution and the S3A jars, on a mirror laid out like the Apache archive.
  const mirrorDir = path.join(CACHE, 'mirror');
  const jarArgs = VERSION.s3aJars.map((j) => `${j.path}=${j.sha256}`);
  sha512 = e2eScript('spark-dist.sh', [VERSION.version, mirrorDir, ...jarArgs], 1_800_000)
    .trim()
    .split('\n')
    .pop()!;
  expect(sha512).toMatch(/^[0-9a-f]{128}$/);

  // The same example stack, synthesized with the tarball's real checksum and trusting the CA.
  fs.rmSync(TLS_DIR, { recursive: true, force: true });
  e2eScript('test-ca.sh', [TLS_DIR, SWIFT_IP]);
  const settings = exampleSettings(e2eEnv(sha512, path.join(TLS_DIR, 'ca.pem')));
  const synthesized = Testing.synth(new ExampleStack(Testing.app(), 'example', settings));
  const config = JSON.parse(synthesized);
  const containers = config.resource.openstack_objectstorage_container_v1 as Record<string, { name: string }>;
  const resolve = (expression: string): string => {
    if (expression.includes('terraform_data') && expression.includes('secret')) return AUTH_SECRET;
    if (expression.includes('ec2_credential') && expression.endsWith('.access')) return `${S3.account}:${S3.user}`;
    if (expression.includes('ec2_credential') && expression.includes('.secret')) return S3.key;
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

  // The subnet: the gateway (mirror), the object store, the cluster's servers.
  e2eScript('hosts.sh', ['down']);
  e2eScript('hosts.sh', ['net-up', `${GATEWAY}/${PREFIX}`]);
  e2eScript('hosts.sh', ['add', 'swift', `${SWIFT_IP}/${PREFIX}`]);
  const swiftDir = path.join(CACHE, 'swift-state');
  fs.rmSync(swiftDir, { recursive: true, force: true });
  const tls = [path.join(TLS_DIR, 'server.pem'), path.join(TLS_DIR, 'server.key')];
  e2eScript('swift.sh', ['start', 'spe2e-swift', SWIFT_IP, swiftDir, S3.account, S3.user, S3.key, ...tls]);
  // What the stack's container and object resources create.
  for (const c of Object.values(containers)) swiftCli('post', c.name);
  for (const o of Object.values(
    config.resource.openstack_objectstorage_object_v1 as Record<
      string,
      { container_name: string; name: string; content: string }
    >,
  )) {
    const file = path.join(swiftDir, 'object-content');
    fs.writeFileSync(file, o.content);
    swiftCli('upload', fillTemplate(o.container_name, resolve), file, '--object-name', o.name);
  }
  stopMirror = startMirror(mirrorDir, GATEWAY, MIRROR_PORT);

  const seedDir = path.join(CACHE, 'seed');
  fs.mkdirSync(seedDir, { recursive: true });
  for (const h of hosts) {
    e2eScript('hosts.sh', ['add', h.name, `${h.ip}/${PREFIX}`]);
    fs.writeFileSync(
      path.join(seedDir, `${h.name}.user-data`),
      h.role === 'master' ? userData.master : userData.worker,
    );
    fs.writeFileSync(
      path.join(seedDir, `${h.name}.meta-data`),
      `instance-id: ${randomUUID()}\nlocal-hostname: ${h.serverName}\n`,
    );
  }
  for (const h of hosts) {
    e2eScript('hosts.sh', [
      'boot',
      h.name,
      path.join(seedDir, `${h.name}.user-data`),
      path.join(seedDir, `${h.name}.meta-data`),
    ]);
  }

  try {
    await waitFor('every worker to register with the master', 600_000, async () => {
      const status = await masterStatus();
      return status.aliveworkers === workers.length ? status : undefined;
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${diagnostics()}`);
  }
  readyAt = Date.now() / 1000;
  fs.writeFileSync(path.join(CACHE, 'time-to-ready.json'), JSON.stringify(timeToReady(), null, 2) + '\n');
}, 3_600_000);

afterAll(() => {
  stopMirror();
  // E2E_KEEP_HOSTS=1 leaves the hosts running to look into a failure (hosts.sh down ends them).
  if (process.env.E2E_KEEP_HOSTS === '1') return;
  try {
    e2eScript('swift.sh', ['stop', path.join(CACHE, 'swift-state')]);
  } finally {
    e2eScript('hosts.sh', ['down']);
  }
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
      const result = JSON.parse(fs.readFileSync(path.join(hostRoot(h.name), 'var/lib/cloud/data/result.json'), 'utf8'));
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
    const apps = await waitFor('the history server to list both applications', 120_000, async () => {
      const list = await getJson<{ id: string }[]>(`http://${masterIp}:18080/api/v1/applications`);
      const ids = list.map((a) => a.id);
      return ids.includes(seedApp) && ids.includes(useCaseApp) ? ids : undefined;
    });
    expect(apps).toEqual(expect.arrayContaining([seedApp, useCaseApp]));
    // The application ran with authenticated, encrypted RPC.
    const env = await getJson<{ sparkProperties: [string, string][] }>(
      `http://${masterIp}:18080/api/v1/applications/${useCaseApp}/environment`,
    );
    const props = Object.fromEntries(env.sparkProperties);
    expect(props).toMatchObject({
      'spark.authenticate': 'true',
      'spark.network.crypto.enabled': 'true',
      'spark.network.crypto.authEngineVersion': '2',
    });
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
    const pid = inHostOk(victim.name, ['systemctl', 'show', 'spark-worker', '-p', 'MainPID', '--value']).trim();
    inHostOk(victim.name, ['kill', '-KILL', pid]);
    const after = await waitFor('the killed worker to register again', 240_000, async () => {
      const status = await masterStatus();
      const back = status.workers.find((w) => w.host === victim.ip && w.state === 'ALIVE' && w.id !== before.id);
      return back && status.aliveworkers === workers.length ? back : undefined;
    });
    expect(after.cores).toBe(pool.sizing.workerCores);
    const newPid = inHostOk(victim.name, ['systemctl', 'show', 'spark-worker', '-p', 'MainPID', '--value']).trim();
    expect(newPid).not.toBe(pid);
    expect(inHostOk(victim.name, ['systemctl', 'show', 'spark-worker', '-p', 'NRestarts', '--value']).trim()).toBe('1');
  });

  test('no secret appears in a log on any host', () => {
    for (const h of hosts) {
      const found = inHost(h.name, [
        'grep',
        '-rlF',
        '-e',
        AUTH_SECRET,
        '-e',
        S3.key,
        '/var/log',
        '/var/lib/spark-bootstrap',
      ]);
      expect({ host: h.name, files: found.stdout.trim() }).toEqual({ host: h.name, files: '' });
      const mode = inHostOk(h.name, ['stat', '-c', '%a %U:%G', '/etc/spark/conf/spark-defaults.conf']).trim();
      expect(mode).toBe('640 root:spark');
    }
  });

  test('the bootstrap refuses a tarball whose SHA-512 does not match', () => {
    const root = hostRoot('master');
    // A copy of the real tarball with one byte changed, on the same mirror.
    const good = path.join(CACHE, 'mirror', VERSION.mirrorPath);
    const badDir = path.join(CACHE, 'mirror', 'corrupt', `spark-${VERSION.version}`);
    fs.mkdirSync(badDir, { recursive: true });
    const bytes = fs.readFileSync(good);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(path.join(badDir, VERSION.tarballName), bytes);
    const env = fs
      .readFileSync(path.join(root, 'etc/spark-bootstrap/bootstrap.env'), 'utf8')
      .replace(
        /^SPARK_TARBALL_URL=.*$/m,
        `SPARK_TARBALL_URL='http://${GATEWAY}:${MIRROR_PORT}/corrupt/${VERSION.mirrorPath}'`,
      );
    fs.mkdirSync(path.join(root, 'root/corrupt'), { recursive: true });
    fs.writeFileSync(path.join(root, 'root/corrupt/bootstrap.env'), env);
    const run = inHost('master', [
      'env',
      'SPARK_BOOTSTRAP_ENV=/root/corrupt/bootstrap.env',
      'SPARK_BOOTSTRAP_ROOT=/root/corrupt',
      '/usr/local/sbin/spark-bootstrap',
    ]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('does not match the pinned checksum; refusing to install it');
    expect(fs.existsSync(path.join(root, 'root/corrupt/opt', VERSION.distributionName))).toBe(false);
    // The refused tarball is deleted; only the (verified) S3A jars fetched alongside stay cached.
    const cached = fs.readdirSync(path.join(root, 'root/corrupt/var/cache/spark-bootstrap'));
    expect(cached.filter((f) => !f.endsWith('.jar'))).toEqual([]);
  });
});
