/**
 * The monitoring's rendered files run by the real Prometheus and node exporter (Debian's
 * packages, installed by scripts/install-system-packages.sh), on loopback, against a test
 * double of a Spark master that serves what Spark's PrometheusServlet serves. Real Spark is
 * the end-to-end test's job.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { alertRules, prometheusConfig, prometheusSettings, MONITORING_PATHS } from '../lib/private/monitoring';
import { clusterStatus } from '../scripts/status';
import * as http from 'http';
import { FakeSparkMaster } from './support/status-doubles';

const ASSETS = path.join(__dirname, '..', 'lib', 'assets');
const INSTALL = 'run scripts/install-system-packages.sh';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

function start(binary: string, args: string[]): ChildProcess {
  if (spawnSync(binary, ['--version']).error) throw new Error(`${binary} is not installed: ${INSTALL}`);
  return spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A test double of Spark's PrometheusServlet text, as a master or a worker serves it. */
function servletServer(paths: Record<string, string>): http.Server {
  return http.createServer((req, res) => {
    const text = paths[req.url ?? ''];
    if (text === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
  });
}

const gauge = (name: string, value: number) =>
  `${name}_Number{type="gauges"} ${value}\n${name}_Value{type="gauges"} ${value}\n`;

describe('monitoring with the real tools', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitoring-real-'));
  const children: ChildProcess[] = [];
  const servers: http.Server[] = [];
  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    for (const server of servers) server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the node exporter, started as the library's unit starts it, serves the bootstrap metric", async () => {
    const textfiles = path.join(dir, 'textfile');
    const state = path.join(dir, 'state');
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(state, 'timings'), 'download 3\ntotal 20\n');
    const env = path.join(dir, 'bootstrap.env');
    fs.writeFileSync(env, 'SPARK_ROLE=master\n');
    const hook = spawnSync('bash', [path.join(ASSETS, 'bootstrap-metrics.sh'), '0', state], {
      env: { ...process.env, NODE_EXPORTER_TEXTFILE_DIR: textfiles, SPARK_BOOTSTRAP_ENV: env },
    });
    expect(hook.status).toBe(0);
    const unit = fs.readFileSync(path.join(ASSETS, 'prometheus-node-exporter.service'), 'utf8');
    const execStart = /^ExecStart=(\S+) (.*)$/m.exec(unit)!;
    const port = await freePort();
    const args = execStart[2]
      .split(' ')
      .map((a) =>
        a.startsWith('--web.listen-address=')
          ? `--web.listen-address=127.0.0.1:${port}`
          : a.replace(MONITORING_PATHS.textfileDir, textfiles),
      );
    expect(args).toContain(`--collector.textfile.directory=${textfiles}`);
    children.push(start(execStart[1], args));
    const text = await until('the node exporter', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      return r.ok ? r.text() : undefined;
    });
    expect(text).toContain('spark_bootstrap_success{role="master"} 1');
    expect(text).toContain('spark_bootstrap_phase_seconds{phase="total",role="master"} 20');
    expect(text).toMatch(/node_filesystem_avail_bytes\{/);
  });

  it('Prometheus loads the rendered config and rules, discovers workers from file_sd, and evaluates the alerts', async () => {
    // A master whose count says one of its two workers is lost, and one worker that answers.
    const masterPort = await freePort();
    const workerPort = await freePort();
    const promPort = await freePort();
    servers.push(
      servletServer({
        '/metrics/master/prometheus/': [
          gauge('metrics_master_workers', 2),
          gauge('metrics_master_aliveWorkers', 1),
          gauge('metrics_master_waitingApps', 0),
        ].join(''),
        '/metrics/applications/prometheus/': '',
      }),
    );
    servers.push(servletServer({ '/metrics/prometheus/': gauge('metrics_worker_coresFree', 8) }));
    await new Promise<void>((r) => servers[0].listen(masterPort, '127.0.0.1', r));
    await new Promise<void>((r) => servers[1].listen(workerPort, '127.0.0.1', r));

    const settings = prometheusSettings('test', { prometheus: { scrapeIntervalSeconds: 5 } })!;
    const fileSd = path.join(dir, 'file_sd');
    fs.mkdirSync(fileSd);
    fs.writeFileSync(
      path.join(fileSd, 'spark-workers.json'),
      JSON.stringify([{ targets: [`127.0.0.1:${workerPort}`], labels: { role: 'worker' } }]),
    );
    const config = prometheusConfig({ clusterName: 'analytics', masterIps: ['127.0.0.1'], webUiTls: false, settings })
      .split('127.0.0.1:8080')
      .join(`127.0.0.1:${masterPort}`)
      .split(MONITORING_PATHS.fileSdDir)
      .join(fileSd)
      .split(MONITORING_PATHS.rules)
      .join(path.join(dir, 'rules.yml'));
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
    fs.writeFileSync(path.join(dir, 'rules.yml'), alertRules(settings));
    children.push(
      start('prometheus', [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ]),
    );
    const api = async (query: string) => {
      const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/${query}`);
      return r.ok ? ((await r.json()) as { data: unknown }).data : undefined;
    };
    const targets = await until('the master, its applications and the discovered worker scraped', async () => {
      const data = (await api('targets')) as { activeTargets: { labels: { job: string }; health: string }[] };
      const up = data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.job);
      // Each target is first scraped at its own offset within the interval: wait for all three.
      const wanted = ['spark-applications', 'spark-master', 'spark-worker'];
      return wanted.every((job) => up.includes(job)) ? up.sort() : undefined;
    });
    expect(targets).toEqual(expect.arrayContaining(['spark-applications', 'spark-master', 'spark-worker']));
    const rules = (await api('rules')) as { groups: { rules: { name: string; health: string }[] }[] };
    expect(rules.groups[0].rules.map((r) => [r.name, r.health === 'err' ? 'err' : 'ok'])).toEqual(
      parse(alertRules(settings)).groups[0].rules.map((r: { alert: string }) => [r.alert, 'ok']),
    );
    // SparkWorkerLost goes pending at the first evaluation that sees the master's counts, and
    // the status command reads it from the real Prometheus.
    const json = new FakeSparkMaster({ workers: [{ host: '127.0.0.1' }] });
    const masterUrl = await json.start();
    try {
      const status = await until('SparkWorkerLost pending', async () => {
        const s = await clusterStatus({ masterUrl, prometheusUrl: `http://127.0.0.1:${promPort}`, pools: {} });
        const alerts = s.alerts && 'pending' in s.alerts ? [...s.alerts.pending, ...s.alerts.firing] : [];
        return alerts.some((a) => a.startsWith('SparkWorkerLost')) ? s : undefined;
      });
      expect(status.alerts).toEqual({ pending: [`SparkWorkerLost (127.0.0.1:${masterPort})`], firing: [] });
    } finally {
      await json.stop();
    }
  });
});
