/**
 * Standby masters for real, on loopback: a ZooKeeper ensemble of three servers started as the
 * library's unit starts them (the ZooKeeper in the Spark distribution's jars) with the rendered
 * zoo.cfg, and Spark 3.5.7 masters, a worker and applications with the
 * rendered recovery settings in spark-defaults.conf and spark.authenticate on, as the cluster
 * sets it. Each node has its own 127.0.0.x address, so the real ports are used. The timings are
 * printed; the assertions bound them loosely.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { SparkVersion } from '../../lib';
import {
  ZOOKEEPER_PATHS,
  ZOOKEEPER_PORTS,
  sparkMasterUrl,
  sparkRecoverySettings,
  zookeeperDir,
  zookeeperNode,
} from '../../lib/private/zookeeper';
import { getJson, sparkDistribution, waitFor } from './support';

const MASTER_PORT = 7077;
const MASTER_UI_PORT = 8080;
const WORKER_UI_PORT = 8081;

interface MasterJson {
  status: string;
  aliveworkers: number;
  workers: { id: string; state: string }[];
  activeapps: { id: string; name: string; state: string }[];
  completedapps: { id: string; name: string; state: string }[];
}

let work = '';
const children = new Set<ChildProcess>();
const timings: Record<string, number> = {};

/** Ends a process group started here (a Spark daemon and the executors it forked). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function killAll() {
  for (const child of children) killGroup(child);
}

const onSigint = () => {
  killAll();
  process.exit(130);
};

/** Starts a process in its own group, logging to `log`, remembered for afterAll. */
function start(command: string, args: string[], log: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const out = fs.openSync(path.join(work, log), 'a');
  const child = spawn(command, args, {
    cwd: work,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  fs.closeSync(out);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
}

/** Whether `host:port` can be listened on (nothing else holds it, nor the wildcard address). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Sends a four-letter command to a ZooKeeper server; its answer, within 3 s. */
function fourLetters(host: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(ZOOKEEPER_PORTS.client, host);
    let answer = '';
    socket.setTimeout(3000, () => socket.destroy(new Error(`${command} to ${host}: no answer in 3 s`)));
    socket.on('connect', () => socket.write(command));
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

const masterJson = (ip: string) => getJson<MasterJson>(`http://${ip}:${MASTER_UI_PORT}/json/`);

/** The status (ALIVE, STANDBY, RECOVERING...) of each master that answers. */
async function statuses(ips: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ip of ips)
    out[ip] = await masterJson(ip).then(
      (j) => j.status,
      () => 'DOWN',
    );
  return out;
}

const JOB = `
import sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName(sys.argv[1]).getOrCreate()
sc = spark.sparkContext
seconds = float(sys.argv[2])
total = 0
for round in range(int(sys.argv[3])):
    total += sc.parallelize(range(10), 2).map(lambda x: (time.sleep(seconds / 5), x)[1]).sum()
    print("ROUND", round, "done", flush=True)
print("JOB_RESULT", total, flush=True)
spark.stop()
`;

describe('standby masters with the real ZooKeeper and Spark 3.5.7 on loopback', () => {
  let spark = '';
  let base = '';
  const ip = (n: number) => `${base}.${n}`;
  const zk = () => [ip(11), ip(12), ip(13)];
  const workerIp = () => ip(21);
  const secret = 'zookeeper-e2e-secret';

  beforeAll(async () => {
    process.on('SIGINT', onSigint);
    const { tarball } = sparkDistribution(SparkVersion.V3_5_7);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'zookeeper-e2e-'));
    spark = path.join(work, 'spark');
    fs.mkdirSync(spark);
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', spark, '--strip-components=1']);
    if (untar.status !== 0) throw new Error(`tar -xzf ${tarball} failed: ${untar.stderr}`);
    fs.writeFileSync(path.join(work, 'job.py'), JOB);
    // Addresses whose real ports are all free (another test or service may hold some).
    const ports = [ZOOKEEPER_PORTS.client, ZOOKEEPER_PORTS.peer, ZOOKEEPER_PORTS.election, MASTER_PORT, MASTER_UI_PORT];
    for (const second of [77, 78, 79, 80, 81]) {
      const candidate = `127.${second}.0`;
      const checks = await Promise.all(
        [11, 12, 13, 21].flatMap((n) => ports.concat(WORKER_UI_PORT).map((p) => bindable(`${candidate}.${n}`, p))),
      );
      if (checks.every(Boolean)) {
        base = candidate;
        break;
      }
    }
    if (!base) throw new Error('no 127.x.0.0/24 with ports 2181, 2888, 3888, 7077, 8080 and 8081 free');
  }, 1_800_000);

  afterAll(async () => {
    killAll();
    process.off('SIGINT', onSigint);
    console.log(`zookeeper.e2e timings (s): ${JSON.stringify(timings)}`);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** Writes a node's conf dir: the cluster's auth settings plus `extra`. */
  function confDir(name: string, extra: Record<string, string>): string {
    const dir = path.join(work, `conf-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    const conf = {
      'spark.authenticate': 'true',
      'spark.authenticate.secret': secret,
      'spark.master.rest.enabled': 'false',
      ...extra,
    };
    fs.writeFileSync(
      path.join(dir, 'spark-defaults.conf'),
      Object.entries(conf)
        .map(([k, v]) => `${k} ${v}\n`)
        .join(''),
    );
    return dir;
  }

  const sparkEnv = (conf: string, localIp: string) => ({
    SPARK_HOME: spark,
    SPARK_CONF_DIR: conf,
    SPARK_LOCAL_IP: localIp,
    SPARK_LOG_DIR: path.join(work, 'logs'),
    SPARK_DAEMON_MEMORY: '512m',
    PYSPARK_PYTHON: 'python3',
  });

  function startMaster(at: string, conf: string): ChildProcess {
    const args = [
      'org.apache.spark.deploy.master.Master',
      '--host',
      at,
      '--port',
      String(MASTER_PORT),
      '--webui-port',
      String(MASTER_UI_PORT),
    ];
    return start(path.join(spark, 'bin/spark-class'), args, `master-${at}.log`, sparkEnv(conf, at));
  }

  function startWorker(url: string, conf: string): ChildProcess {
    const args = [
      'org.apache.spark.deploy.worker.Worker',
      '--host',
      workerIp(),
      '--webui-port',
      String(WORKER_UI_PORT),
      '--cores',
      '2',
      '--memory',
      '1g',
      '--work-dir',
      path.join(work, 'worker'),
      url,
    ];
    return start(path.join(spark, 'bin/spark-class'), args, 'worker.log', sparkEnv(conf, workerIp()));
  }

  /** A client-mode application whose driver runs on the worker's address. */
  function submit(url: string, conf: string, name: string, seconds: number, rounds: number): ChildProcess {
    const args = [
      '--master',
      url,
      '--conf',
      `spark.driver.host=${workerIp()}`,
      '--conf',
      'spark.cores.max=1',
      '--conf',
      'spark.executor.memory=512m',
      '--conf',
      'spark.ui.enabled=false',
      'job.py',
      name,
      String(seconds),
      String(rounds),
    ];
    return start(path.join(spark, 'bin/spark-submit'), args, `${name}.log`, sparkEnv(conf, workerIp()));
  }

  const log = (name: string) => fs.readFileSync(path.join(work, name), 'utf8');

  test('three ZooKeeper servers from the rendered zoo.cfg form a quorum', async () => {
    const ensemble = zk();
    for (let i = 0; i < ensemble.length; i++) {
      const dir = path.join(work, `zk${i + 1}`);
      const data = path.join(dir, 'data');
      fs.mkdirSync(data, { recursive: true });
      const node = zookeeperNode({ servers: ensemble, myIndex: i });
      const files = Object.fromEntries(node.files!.map((f) => [f.path, f.content]));
      // The files where the unit reads them, moved under this server's scratch directory, and
      // the Spark distribution (whose jars hold the server) where this test unpacked it.
      const local = (p: string) =>
        p
          .replace(ZOOKEEPER_PATHS.configDir, dir)
          .replace(ZOOKEEPER_PATHS.dataDir, data)
          .replace('/opt/spark/', `${spark}/`);
      for (const [p, content] of Object.entries(files)) {
        fs.writeFileSync(local(p), content.split(`dataDir=${ZOOKEEPER_PATHS.dataDir}`).join(`dataDir=${data}`));
      }
      // What the unit's ExecStartPre does: the id into the data directory.
      fs.copyFileSync(local(ZOOKEEPER_PATHS.myid), path.join(data, 'myid'));
      // The unit's own command line, with the scratch paths.
      const execStart = /^ExecStart=(.*)$/m.exec(node.services![0].content)![1].split(' ');
      const [java, ...args] = execStart.map(local);
      start(java, args, `zk${i + 1}.log`);
    }
    const started = Date.now();
    const modes = await waitFor('a leader and two followers', 60_000, async () => {
      const answers = await Promise.all(ensemble.map((h) => fourLetters(h, 'srvr')));
      const found = answers.map((a) => /^Mode: (\w+)$/m.exec(a)?.[1]);
      return found.every((m) => m === 'leader' || m === 'follower') ? found.sort() : undefined;
    });
    timings.zookeeperQuorum = (Date.now() - started) / 1000;
    expect(modes).toEqual(['follower', 'follower', 'leader']);
    expect(await fourLetters(ensemble[0], 'ruok')).toBe('imok');
    // Only the whitelisted commands answer.
    expect(await fourLetters(ensemble[0], 'conf')).toMatch(/not in the whitelist/);
    // The unit's logging reaches stdout (the journal), through log4j.
    expect(log('zk1.log')).toMatch(/QuorumPeerConfig: Reading configuration from/);
    const rss = ensemble.map(() => 0);
    for (const child of children) {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      rss[rss.findIndex((r) => r === 0)] = Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]) / 1024;
    }
    timings.zookeeperRssMiB = Math.round(Math.max(...rss));
  });

  const masters = () => zk();
  let haConf = '';
  let worker: ChildProcess;
  let alive = '';

  test('with ZOOKEEPER recovery from spark-defaults.conf one master is ALIVE, the others STANDBY', async () => {
    const settings = sparkRecoverySettings('e2e', { mode: 'ZOOKEEPER', servers: zk(), dir: zookeeperDir('e2e') });
    haConf = confDir('ha', settings);
    // Settings only in spark-defaults.conf, no SPARK_DAEMON_JAVA_OPTS: the master reads them.
    for (const m of masters()) startMaster(m, haConf);
    const started = Date.now();
    // Every master starts in STANDBY; one turns ALIVE once ZooKeeper elects it.
    const found = await waitFor('one master ALIVE, the others STANDBY', 120_000, async () => {
      const s = await statuses(masters());
      const values = Object.values(s);
      const settled = values.every((v) => v === 'ALIVE' || v === 'STANDBY') && values.includes('ALIVE');
      return settled ? s : undefined;
    });
    timings.mastersUp = (Date.now() - started) / 1000;
    const aliveOnes = Object.keys(found).filter((m) => found[m] === 'ALIVE');
    expect(aliveOnes).toHaveLength(1);
    alive = aliveOnes[0];
    expect(Object.values(found).filter((v) => v === 'STANDBY')).toHaveLength(masters().length - 1);
    expect(log(`master-${alive}.log`)).toContain('Persisting recovery state to ZooKeeper');
    expect(log(`master-${alive}.log`)).toContain('I have been elected leader!');

    worker = startWorker(sparkMasterUrl(masters(), MASTER_PORT), haConf);
    await waitFor('the worker registered with the ALIVE master', 90_000, async () => {
      const j = await masterJson(alive);
      return j.aliveworkers === 1 ? true : undefined;
    });
  });

  test('killing the ALIVE master: a standby takes over, the worker and a running application follow it', async () => {
    const url = sparkMasterUrl(masters(), MASTER_PORT);
    // Four rounds of about 20 s (one core, two partitions of 10 s): it runs through the failover.
    const running = submit(url, haConf, 'during-failover', 10, 4);
    await waitFor('the application running with an executor', 120_000, async () => {
      const j = await masterJson(alive);
      return j.activeapps.some((a) => a.name === 'during-failover' && a.state === 'RUNNING') &&
        /ROUND 0 done/.test(log('during-failover.log'))
        ? true
        : undefined;
    });
    const aliveChild = [...children].find((c) => c.spawnargs.includes(alive) && c.spawnargs.includes('--port'))!;
    const killedAt = Date.now();
    killGroup(aliveChild, 'SIGKILL');
    const standbys = masters().filter((m) => m !== alive);
    const next = await waitFor('a standby ALIVE', 180_000, async () => {
      const s = await statuses(standbys);
      return standbys.find((m) => s[m] === 'ALIVE');
    });
    timings.failoverToAlive = (Date.now() - killedAt) / 1000;
    await waitFor('the worker and the application re-registered with the new master', 120_000, async () => {
      const j = await masterJson(next);
      const workerBack = j.workers.some((w) => w.state === 'ALIVE');
      const appBack =
        j.activeapps.some((a) => a.name === 'during-failover') ||
        j.completedapps.some((a) => a.name === 'during-failover');
      return workerBack && appBack ? true : undefined;
    });
    timings.failoverWorkerAndApp = (Date.now() - killedAt) / 1000;
    let timer: NodeJS.Timeout | undefined;
    const status = await Promise.race([
      exited(running),
      new Promise((r) => (timer = setTimeout(() => r('still running after 300 s'), 300_000))),
    ]).finally(() => clearTimeout(timer));
    // The session timeout the servers granted the masters bounds how long a dead leader holds on.
    const negotiated = masters().flatMap((m) => log(`master-${m}.log`).match(/negotiated timeout = \d+/g) ?? []);
    console.log(`ZooKeeper sessions: ${[...new Set(negotiated)].join(', ')}`);
    const out = log('during-failover.log');
    timings.runningAppSeconds = (Date.now() - killedAt) / 1000;
    // Written down in the report: the running application's fate across the failover.
    console.log(
      `during-failover exit ${String(status)}; ` +
        out
          .split('\n')
          .filter((l) => /JOB_RESULT|ROUND|Master has changed|Disconnected|reconnect|ERROR/.test(l))
          .join(' | ')
          .slice(0, 3000),
    );
    expect(status).toBe(0);
    expect(out).toMatch(/^JOB_RESULT 180$/m);

    const after = submit(url, haConf, 'after-failover', 2, 1);
    expect(await exited(after)).toBe(0);
    expect(log('after-failover.log')).toMatch(/^JOB_RESULT 45$/m);
    killGroup(worker);
  });

  test('FILESYSTEM recovery: a restarted master finds its worker and running application again', async () => {
    for (const child of [...children]) if (child.spawnargs.some((a) => a.endsWith('.Master'))) killGroup(child);
    const recovery = path.join(work, 'recovery');
    fs.mkdirSync(recovery);
    const settings = sparkRecoverySettings('e2e', { mode: 'FILESYSTEM', directory: '/var/lib/spark/local/recovery' });
    const fsConf = confDir('fs', { ...settings, 'spark.deploy.recoveryDirectory': recovery });
    const single = masters()[0];
    await waitFor(`port ${MASTER_PORT} on ${single} free again`, 30_000, async () =>
      (await bindable(single, MASTER_PORT)) && (await bindable(single, MASTER_UI_PORT)) ? true : undefined,
    );
    let master = startMaster(single, fsConf);
    const url = sparkMasterUrl([single], MASTER_PORT);
    worker = startWorker(url, fsConf);
    await waitFor('the worker registered', 120_000, async () =>
      (await masterJson(single)).aliveworkers === 1 ? true : undefined,
    );
    const running = submit(url, fsConf, 'during-restart', 5, 3);
    await waitFor('the application running', 120_000, async () =>
      /ROUND 0 done/.test(log('during-restart.log')) ? true : undefined,
    );
    expect(fs.readdirSync(recovery).some((f) => f.startsWith('worker_'))).toBe(true);
    expect(fs.readdirSync(recovery).some((f) => f.startsWith('app_'))).toBe(true);
    // As systemctl restart does: SIGTERM, wait for the exit, start again.
    const stoppedAt = Date.now();
    killGroup(master, 'SIGTERM');
    await exited(master);
    master = startMaster(single, fsConf);
    await waitFor('the restarted master ALIVE with its worker and the application', 180_000, async () => {
      const j = await masterJson(single);
      const back =
        j.status === 'ALIVE' &&
        j.workers.some((w) => w.state === 'ALIVE') &&
        j.activeapps.some((a) => a.name === 'during-restart' && a.state === 'RUNNING');
      return back ? true : undefined;
    });
    timings.filesystemRecovery = (Date.now() - stoppedAt) / 1000;
    expect(await exited(running)).toBe(0);
    expect(log('during-restart.log')).toMatch(/^JOB_RESULT 135$/m);
  });
});
