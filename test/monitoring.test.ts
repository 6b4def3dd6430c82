import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdktf';
import { parse, stringify } from 'yaml';
import { estimateUserDataBytes, NOVA_USER_DATA_LIMIT, SPARK_ALERTS } from '../lib';
import { ExampleStack } from '../stacks/example';
import { exampleSettings } from '../stacks/settings';
import { alertRules, MONITORING_PATHS, prometheusConfig, prometheusSettings } from '../lib/private/monitoring';
import { clusterProps, clusterWithWorkers, newStack, resourcesOf, XLARGE } from './support/fixtures';
import { promtool, scratchDir } from './support/promtool';
import { makeTestCertificate } from './support/tls';
import { filesOf, fillTemplate, userDataOf } from './support/user-data';
import { SparkCluster, SparkClusterProps } from '../lib';

const ASSETS = path.join(__dirname, '..', 'lib', 'assets');
const SETTINGS = prometheusSettings('test', { prometheus: true })!;

/** Every server's cloud-config, filled as Terraform would, by role. */
function nodes(overrides: Partial<SparkClusterProps> = {}, count = 2) {
  const stack = newStack();
  const cluster = new SparkCluster(stack, 'analytics', clusterProps(overrides));
  cluster.addWorkerPool('general', { count, flavor: XLARGE });
  const synthesized = Testing.synth(stack);
  const userData = userDataOf(synthesized);
  const of = (part: string) => {
    const [, text] = Object.entries(userData).find(([name]) => name.includes(part))!;
    return fillTemplate(text, () => 'x'.repeat(64));
  };
  return { master: of('Master'), worker: of('Workers'), synthesized, cluster };
}

const envOf = (cloudConfig: string) => filesOf(cloudConfig)['/etc/spark-bootstrap/bootstrap.env'].content;
const defaultsOf = (cloudConfig: string) => filesOf(cloudConfig)['/etc/spark/conf/spark-defaults.conf'].content;
const ingress = (synthesized: string) =>
  Object.values(resourcesOf(synthesized, 'openstack_networking_secgroup_rule_v2')) as {
    port_range_min?: number;
    remote_ip_prefix?: string;
    security_group_id: string;
    description: string;
  }[];

describe('monitoring', () => {
  describe('metrics, on by default', () => {
    const { master, worker, synthesized } = nodes();

    it("turns on Spark's PrometheusServlet, the JVM source and executor metrics on every node", () => {
      for (const node of [master, worker]) {
        const conf = defaultsOf(node);
        expect(conf).toContain(
          'spark.metrics.conf.*.sink.prometheusServlet.class org.apache.spark.metrics.sink.PrometheusServlet\n',
        );
        expect(conf).toContain('spark.metrics.conf.*.sink.prometheusServlet.path /metrics/prometheus\n');
        expect(conf).toContain('spark.metrics.conf.master.sink.prometheusServlet.path /metrics/master/prometheus\n');
        expect(conf).toContain(
          'spark.metrics.conf.applications.sink.prometheusServlet.path /metrics/applications/prometheus\n',
        );
        for (const instance of ['master', 'worker', 'driver', 'executor']) {
          expect(conf).toContain(
            `spark.metrics.conf.${instance}.source.jvm.class org.apache.spark.metrics.source.JvmSource\n`,
          );
        }
        expect(conf).toContain('spark.ui.prometheus.enabled true\n');
      }
    });

    it('installs and starts the node exporter with its textfile collector on every node', () => {
      for (const node of [master, worker]) {
        const env = envOf(node);
        expect(env).toMatch(/^PACKAGES=prometheus-node-exporter$/m);
        expect(env).toMatch(/^SERVICES='spark-(master|worker)( spark-history)? prometheus-node-exporter'$/m);
        const unit = filesOf(node)['/etc/systemd/system/prometheus-node-exporter.service'].content;
        expect(unit).toContain(
          '--web.listen-address=:9100 --collector.textfile.directory=/var/lib/prometheus/node-exporter',
        );
        expect(filesOf(node)[MONITORING_PATHS.exitHook].permissions).toBe('0755');
      }
    });

    it('runs no Prometheus server and opens nothing from outside', () => {
      expect(filesOf(master)[MONITORING_PATHS.prometheusConfig]).toBeUndefined();
      expect(ingress(synthesized).map((r) => r.port_range_min)).not.toEqual(expect.arrayContaining([9090]));
      expect(ingress(synthesized).map((r) => r.port_range_min)).not.toEqual(expect.arrayContaining([9100]));
    });

    it('leaves metrics out with metrics: false', () => {
      const off = nodes({ monitoring: { metrics: false } });
      expect(defaultsOf(off.worker)).not.toContain('prometheus');
      expect(envOf(off.worker)).not.toContain('PACKAGES');
      expect(filesOf(off.worker)[MONITORING_PATHS.exitHook]).toBeUndefined();
    });
  });

  describe('the bootstrap metric', () => {
    const run = (status: number, timings: string) => {
      const state = fs.mkdtempSync(path.join(os.tmpdir(), 'bootstrap-state-'));
      const out = path.join(state, 'textfile');
      const env = path.join(state, 'bootstrap.env');
      fs.writeFileSync(env, 'SPARK_ROLE=worker\n');
      fs.writeFileSync(path.join(state, 'timings'), timings);
      const result = spawnSync('bash', [path.join(ASSETS, 'bootstrap-metrics.sh'), String(status), state], {
        encoding: 'utf8',
        env: { ...process.env, NODE_EXPORTER_TEXTFILE_DIR: out, SPARK_BOOTSTRAP_ENV: env },
      });
      expect(result.stderr).toBe('');
      return fs.readFileSync(path.join(out, 'spark_bootstrap.prom'), 'utf8');
    };

    it('reports success and the last timing of each phase, in a format promtool accepts', () => {
      const text = run(0, 'download 30\njava 12\ndownload 7\ntotal 40\n');
      expect(text).toContain('spark_bootstrap_success{role="worker"} 1\n');
      expect(text).toContain('spark_bootstrap_phase_seconds{role="worker",phase="download"} 7\n');
      expect(text).toContain('spark_bootstrap_phase_seconds{role="worker",phase="total"} 40\n');
      const dir = scratchDir({ 'm.prom': text });
      const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', cwd: dir });
      if (result.error) throw new Error(`promtool missing: run scripts/install-system-packages.sh`);
      expect({ status: result.status, out: result.stdout + result.stderr }).toEqual({ status: 0, out: '' });
    });

    it('spark-bootstrap records its outcome and runs its exit hooks when it fails', () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bootstrap-root-'));
      const cache = path.join(root, 'var/cache/spark-bootstrap');
      const hooks = path.join(root, 'usr/local/lib/spark-bootstrap/exit.d');
      fs.mkdirSync(cache, { recursive: true });
      fs.mkdirSync(hooks, { recursive: true });
      // A cached tarball whose checksum does not match: the bootstrap fails at once, offline.
      fs.writeFileSync(path.join(cache, 'spark-x.tgz'), 'not spark');
      fs.writeFileSync(path.join(hooks, '50-record'), `#!/bin/sh\necho "$@" > ${root}/hook-args\n`, { mode: 0o755 });
      const env = path.join(root, 'bootstrap.env');
      fs.writeFileSync(
        env,
        [
          'SPARK_ROLE=worker',
          'SPARK_VERSION=x',
          'SPARK_DIST=spark-x',
          'SPARK_TARBALL_URL=http://127.0.0.1:1/spark-x.tgz',
          `SPARK_SHA512=${'0'.repeat(128)}`,
          'SPARK_MASTER_HOST=127.0.0.1',
          'JAVA_PACKAGE=openjdk-17-jre-headless',
          'MAVEN_REPOSITORY=http://127.0.0.1:1',
          '',
        ].join('\n'),
      );
      const result = spawnSync('bash', [path.join(ASSETS, 'spark-bootstrap.sh')], {
        encoding: 'utf8',
        env: { ...process.env, SPARK_BOOTSTRAP_ENV: env, SPARK_BOOTSTRAP_ROOT: root },
        timeout: 60_000,
      });
      expect(result.stderr).toMatch(/FAILED: SHA-512/);
      expect(result.status).toBe(1);
      const state = path.join(root, 'var/lib/spark-bootstrap');
      expect(fs.readFileSync(path.join(state, 'result'), 'utf8')).toMatch(/^1 \d+\n$/);
      expect(fs.readFileSync(path.join(root, 'hook-args'), 'utf8')).toBe(`1 ${state}\n`);
    });

    it('reports a failure with its exit status', () => {
      const text = run(1, 'download 30\n');
      expect(text).toContain('spark_bootstrap_success{role="worker"} 0\n');
      expect(text).toContain('spark_bootstrap_exit_code{role="worker"} 1\n');
    });
  });

  describe('Prometheus on the master', () => {
    const props = { monitoring: { prometheus: true }, objectStorage: { s3Endpoint: 'https://object.example.com' } };
    const { master, worker } = nodes(props);

    it('installs Prometheus and its worker discovery on the master only, after the node exporter', () => {
      expect(envOf(master)).toMatch(/^PACKAGES='prometheus-node-exporter prometheus'$/m);
      expect(envOf(master)).toMatch(
        /^SERVICES='spark-master spark-history prometheus-node-exporter prometheus spark-worker-discovery'$/m,
      );
      expect(envOf(worker)).toMatch(/^PACKAGES=prometheus-node-exporter$/m);
      expect(filesOf(worker)[MONITORING_PATHS.prometheusConfig]).toBeUndefined();
    });

    it("keeps the master's user data when a pool scales (workers come from the master's own list)", () => {
      expect(nodes(props, 5).master).toBe(master);
    });

    it("keeps the workers' user data whether Prometheus runs or not", () => {
      expect(nodes({ objectStorage: props.objectStorage }).worker).toBe(worker);
    });

    it('keeps its data on the root disk, or on the master volume when there is one', () => {
      expect(filesOf(master)[MONITORING_PATHS.prometheusEnv].content).toContain(
        '--storage.tsdb.path=/var/lib/prometheus/metrics2 --storage.tsdb.retention.time=15d',
      );
      const withVolume = nodes({ ...props, master: { flavor: XLARGE, volumeGiB: 100 } }).master;
      expect(filesOf(withVolume)[MONITORING_PATHS.prometheusEnv].content).toContain(
        'PROMETHEUS_STORAGE="/var/lib/spark/local/prometheus"',
      );
    });

    it('passes `promtool check config` and `promtool check rules`', () => {
      const files = filesOf(master);
      const dir = scratchDir({});
      const local = (text: string) => text.split(`${MONITORING_PATHS.configDir}/`).join(`${dir}/`);
      fs.writeFileSync(path.join(dir, 'prometheus.yml'), local(files[MONITORING_PATHS.prometheusConfig].content));
      fs.writeFileSync(path.join(dir, 'rules.yml'), files[MONITORING_PATHS.rules].content);
      const config = promtool(['check', 'config', 'prometheus.yml'], dir);
      expect(config.output).toMatch(/SUCCESS/);
      expect(config.ok).toBe(true);
      const rules = promtool(['check', 'rules', 'rules.yml'], dir);
      expect(rules.output).toMatch(new RegExp(`SUCCESS: ${SPARK_ALERTS.length} rules found`));
      expect(rules.ok).toBe(true);
    });

    it('serves HTTPS with the web UI certificate, and scrapes the UIs over HTTPS, with webUiTls', () => {
      const cert = makeTestCertificate('IP:10.42.0.10');
      const tls = nodes({ ...props, webUiTls: { certificateChainPem: cert.chainPem, privateKeyPem: cert.keyPem } });
      const files = filesOf(tls.master);
      expect(files[MONITORING_PATHS.prometheusEnv].content).toContain(
        `--web.config.file=${MONITORING_PATHS.webConfig}`,
      );
      const web = parse(files[MONITORING_PATHS.webConfig].content);
      expect(web).toEqual({
        tls_server_config: { cert_file: '/etc/spark/tls/ui.crt', key_file: MONITORING_PATHS.prometheusKey },
      });
      const dir = scratchDir({
        'web.yml': stringify({
          tls_server_config: { cert_file: `${cert.dir}/ui-chain.pem`, key_file: `${cert.dir}/ui.key` },
        }),
      });
      const checked = promtool(['check', 'web-config', 'web.yml'], dir);
      expect(checked.output).toMatch(/SUCCESS/);
      const config = parse(files[MONITORING_PATHS.prometheusConfig].content);
      const master = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'spark-master');
      expect(master).toMatchObject({ scheme: 'https', static_configs: [{ targets: ['10.42.0.10:8480'] }] });
      expect(files[MONITORING_PATHS.discoveryEnv].content).toContain(
        'MASTER_JSON_URLS="https://10.42.0.10:8480/json/"',
      );
      expect(files[MONITORING_PATHS.discoveryEnv].content).toContain('DRIVER_UI_PORTS="4440-4449"');
    });

    it('takes retention and alert thresholds from its options, and refuses bad ones', () => {
      const custom = prometheusSettings('C', { prometheus: { retentionDays: 30, diskUsedPercent: 80 } })!;
      expect(custom).toEqual({ ...SETTINGS, retentionDays: 30, diskUsedPercent: 80 });
      expect(alertRules(custom)).toContain('> 80');
      expect(() => prometheusSettings('C', { prometheus: { retentionDays: 0 } })).toThrow(
        /C: monitoring.prometheus.retentionDays: must be a whole number of days from 1 to 3650, got 0/,
      );
      expect(() => nodes({ monitoring: { metrics: false, prometheus: true } })).toThrow(
        /prometheus scrapes the metrics that metrics: false turns off/,
      );
    });
  });

  describe('alert rules (promtool test rules)', () => {
    const rulesDir = scratchDir({ 'rules.yml': alertRules(SETTINGS) });
    const master = { job: 'spark-master', instance: '10.42.0.10:8080', role: 'master' };
    const labels = (l: Record<string, string>) =>
      `{${Object.entries(l)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',')}}`;

    const descriptions = Object.fromEntries(
      parse(alertRules(SETTINGS)).groups[0].rules.map((r: { alert: string; annotations: { description: string } }) => [
        r.alert,
        r.annotations.description,
      ]),
    );

    /**
     * One promtool rule test: input series, then the alerts expected at `at` for `alert`, each
     * with its labels and rendered summary (descriptions have no template).
     */
    function ruleTest(
      alert: string,
      series: Record<string, string>,
      cases: { at: string; alerts: Record<string, string>[]; summary?: string }[],
    ) {
      const test = {
        rule_files: ['rules.yml'],
        evaluation_interval: '15s',
        tests: [
          {
            interval: '15s',
            input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })),
            alert_rule_test: cases.map((c) => ({
              eval_time: c.at,
              alertname: alert,
              exp_alerts: c.alerts.map((l) => ({
                exp_labels: l,
                exp_annotations: { summary: c.summary, description: descriptions[alert] },
              })),
            })),
          },
        ],
      };
      fs.writeFileSync(path.join(rulesDir, `${alert}.test.yml`), stringify(test));
      const result = promtool(['test', 'rules', `${alert}.test.yml`], rulesDir);
      expect(result.output).toMatch(/SUCCESS/);
      expect(result.ok).toBe(true);
    }

    it('SparkMasterDown fires after a minute without the master, and clears when it answers', () => {
      ruleTest('SparkMasterDown', { [`up${labels(master)}`]: '1 1 0x8 1x4' }, [
        { at: '1m', alerts: [] },
        {
          at: '2m',
          alerts: [{ ...master, severity: 'critical' }],
          summary: 'Spark master 10.42.0.10:8080 does not answer',
        },
        { at: '3m15s', alerts: [] },
      ]);
    });

    it('SparkWorkerLost fires when the master counts a worker that is not alive, and clears when it returns', () => {
      const gauge = { ...master, type: 'gauges' };
      ruleTest(
        'SparkWorkerLost',
        {
          [`metrics_master_workers_Value${labels(gauge)}`]: '3x20',
          [`metrics_master_aliveWorkers_Value${labels(gauge)}`]: '3 3 2x10 3x6',
        },
        [
          { at: '45s', alerts: [] },
          { at: '2m', alerts: [{ ...gauge, severity: 'warning' }], summary: 'The master has lost 1 worker(s)' },
          { at: '3m30s', alerts: [] },
        ],
      );
    });

    it('SparkWorkerDown fires for a listed worker that stops answering', () => {
      const w = { job: 'spark-worker', instance: '10.42.0.21:8081', role: 'worker' };
      ruleTest('SparkWorkerDown', { [`up${labels(w)}`]: '1 0x12' }, [
        { at: '1m', alerts: [] },
        { at: '2m30s', alerts: [{ ...w, severity: 'warning' }], summary: 'Worker 10.42.0.21:8081 does not answer' },
      ]);
    });

    it('SparkApplicationWaiting fires after ten minutes of waiting', () => {
      const gauge = { ...master, type: 'gauges' };
      ruleTest('SparkApplicationWaiting', { [`metrics_master_waitingApps_Value${labels(gauge)}`]: '1x50' }, [
        { at: '9m', alerts: [] },
        {
          at: '10m30s',
          alerts: [{ ...gauge, severity: 'warning' }],
          summary: '1 application(s) waiting for resources',
        },
      ]);
    });

    it('NodeDiskAlmostFull fires above 90 % used, not for tmpfs', () => {
      const disk = {
        job: 'node',
        instance: '10.42.0.21:9100',
        role: 'worker',
        mountpoint: '/var/lib/spark/local',
        device: '/dev/vdb',
        fstype: 'ext4',
      };
      const tmp = { ...disk, mountpoint: '/run', device: 'tmpfs', fstype: 'tmpfs' };
      ruleTest(
        'NodeDiskAlmostFull',
        {
          [`node_filesystem_size_bytes${labels(disk)}`]: '100x40',
          [`node_filesystem_avail_bytes${labels(disk)}`]: '50 5x39',
          [`node_filesystem_size_bytes${labels(tmp)}`]: '100x40',
          [`node_filesystem_avail_bytes${labels(tmp)}`]: '1x40',
        },
        [
          { at: '4m', alerts: [] },
          {
            at: '6m',
            alerts: [{ ...disk, severity: 'warning' }],
            summary: '/var/lib/spark/local on 10.42.0.21:9100 is over 90 % full',
          },
        ],
      );
    });

    it('SparkBootstrapFailed fires at once for a node whose bootstrap failed', () => {
      const node = { job: 'node', instance: '10.42.0.22:9100', role: 'worker' };
      ruleTest('SparkBootstrapFailed', { [`spark_bootstrap_success${labels(node)}`]: '0x4' }, [
        {
          at: '15s',
          alerts: [{ ...node, severity: 'critical' }],
          summary: 'spark-bootstrap failed on 10.42.0.22:9100',
        },
      ]);
    });

    it('SparkBootstrapNotReported fires for a node exporter without a bootstrap result for 30 minutes', () => {
      const silent = { job: 'node', instance: '10.42.0.23:9100', role: 'worker' };
      const fine = { job: 'node', instance: '10.42.0.24:9100', role: 'worker' };
      ruleTest(
        'SparkBootstrapNotReported',
        {
          [`up${labels(silent)}`]: '1x200',
          [`up${labels(fine)}`]: '1x200',
          [`spark_bootstrap_success${labels(fine)}`]: '1x200',
        },
        [
          { at: '29m', alerts: [] },
          {
            at: '31m',
            alerts: [{ ...silent, severity: 'warning' }],
            summary: 'spark-bootstrap has not reported on 10.42.0.23:9100',
          },
        ],
      );
    });

    it('tests every alert the rules define', () => {
      const defined = parse(alertRules(SETTINGS)).groups[0].rules.map((r: { alert: string }) => r.alert);
      expect(defined).toEqual([...SPARK_ALERTS]);
      const tested = fs.readdirSync(rulesDir).filter((f) => f.endsWith('.test.yml'));
      expect(tested.map((f) => f.replace('.test.yml', '')).sort()).toEqual([...SPARK_ALERTS].sort());
    });
  });

  describe('worker discovery', () => {
    it("lists every worker the masters' /json/ pages name, skips a master that is away, and keeps the lists when all are", async () => {
      let answer: 'workers' | 'down' = 'workers';
      // Named test doubles of the active master and a standby (real HTTP on loopback).
      const fakeMaster = http.createServer((req, res) => {
        if (answer === 'down' || req.url !== '/json/') {
          res.writeHead(503).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'ALIVE',
            workers: [
              { id: 'worker-1', host: '10.42.0.21', port: 7078, state: 'ALIVE' },
              { id: 'worker-2', host: '10.42.0.22', port: 7078, state: 'DEAD' },
            ],
          }),
        );
      });
      const fakeStandby = http.createServer((_req, res) => {
        if (answer === 'down') res.writeHead(503).end();
        else res.writeHead(200).end(JSON.stringify({ status: 'STANDBY', workers: [] }));
      });
      for (const server of [fakeMaster, fakeStandby]) {
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      }
      const driverUi = http.createServer((_req, res) => res.end());
      await new Promise<void>((r) => driverUi.listen(0, '127.0.0.1', r));
      const portOf = (server: http.Server) => (server.address() as { port: number }).port;
      const driverPort = portOf(driverUi);
      // A master whose host is down: nothing listens on the port.
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const closedPort = portOf(closed);
      await new Promise<void>((r) => closed.close(() => r()));
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'file-sd-'));
      const discover = () =>
        new Promise<string>((resolve) => {
          const child = spawn('python3', [path.join(ASSETS, 'discover-workers.py')], {
            env: {
              ...process.env,
              ONCE: '1',
              MASTER_JSON_URLS: [fakeStandby, fakeMaster]
                .map((m) => `http://127.0.0.1:${portOf(m)}/json/`)
                .concat(`http://127.0.0.1:${closedPort}/json/`)
                .join(' '),
              WORKER_UI_PORT: '8081',
              NODE_EXPORTER_PORT: '9100',
              DRIVER_HOST: '127.0.0.1',
              DRIVER_UI_PORTS: `${driverPort}-${driverPort + 1}`,
              OUT_DIR: out,
            },
          });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('close', () => resolve(stderr));
        });
      const read = (name: string) => JSON.parse(fs.readFileSync(path.join(out, name), 'utf8'));
      try {
        expect(await discover()).toBe('');
        expect(read('spark-workers.json')).toEqual([
          { targets: ['10.42.0.21:8081', '10.42.0.22:8081'], labels: { role: 'worker' } },
        ]);
        expect(read('node-workers.json')).toEqual([
          { targets: ['10.42.0.21:9100', '10.42.0.22:9100'], labels: { role: 'worker' } },
        ]);
        expect(read('spark-drivers.json')).toEqual([
          { targets: [`127.0.0.1:${driverPort}`], labels: { role: 'driver' } },
        ]);
        answer = 'down';
        expect(await discover()).toMatch(/no master readable .*keeping the last lists/);
        expect(read('spark-workers.json')[0].targets).toHaveLength(2);
      } finally {
        fakeMaster.close();
        fakeStandby.close();
        driverUi.close();
      }
    });
  });

  describe('access', () => {
    it('opens Prometheus on the master to metricsFrom, and the exporters on every node to exportersFrom', () => {
      const { synthesized } = nodes({
        monitoring: { prometheus: true },
        access: { metricsFrom: ['198.51.100.0/24'], exportersFrom: ['192.0.2.0/24'] },
      });
      const rules = ingress(synthesized);
      const open = (port: number) =>
        rules
          .filter((r) => r.port_range_min === port)
          .map((r) => [r.remote_ip_prefix, r.security_group_id.includes('Master') ? 'master' : 'workers'])
          .sort();
      expect(open(9090)).toEqual([['198.51.100.0/24', 'master']]);
      expect(open(9100)).toEqual([
        ['192.0.2.0/24', 'master'],
        ['192.0.2.0/24', 'workers'],
      ]);
    });

    it('refuses metricsFrom without a Prometheus, and a block that covers the internet', () => {
      expect(() => nodes({ access: { metricsFrom: ['198.51.100.0/24'] } })).toThrow(
        /access.metricsFrom: opens Prometheus, which this cluster does not run.*Set monitoring: \{ prometheus: true \}/,
      );
      expect(() => nodes({ monitoring: { prometheus: true }, access: { metricsFrom: ['0.0.0.0/0'] } })).toThrow(
        /access.metricsFrom/,
      );
    });

    it('names the Prometheus URL users reach', () => {
      const { cluster } = clusterWithWorkers(1, { monitoring: { prometheus: true } });
      expect(cluster.prometheusUrl).toBe('http://10.42.0.10:9090');
      expect(clusterWithWorkers(1).cluster.prometheusUrl).toBeUndefined();
    });
  });

  it("keeps the example stack under Nova's limit with every option on (TLS key from a variable, a private CA, Prometheus)", () => {
    const cert = makeTestCertificate('IP:10.42.0.10');
    const settings = exampleSettings({
      SPARK_UI_TLS_CERT_FILE: path.join(cert.dir, 'ui-chain.pem'),
      SPARK_CA_CERT_FILE: path.join(cert.dir, 'ca.pem'),
    });
    // Synth runs the cluster's own check, which counts 4600 bytes for the key from the variable.
    const synthesized = Testing.synth(new ExampleStack(Testing.app(), 'example', settings));
    const sizes = Object.fromEntries(
      Object.entries(userDataOf(synthesized)).map(([name, ud]) => [
        name.split('_')[1],
        estimateUserDataBytes(fillTemplate(ud, (e) => 'x'.repeat(e.includes('base64encode') ? 4600 : 64))).base64Bytes,
      ]),
    );
    for (const size of Object.values(sizes)) expect(size).toBeLessThan(NOVA_USER_DATA_LIMIT);
    console.log(`example stack, every option on: user data ${JSON.stringify(sizes)} bytes in base64 (limit 65535)`);
  });

  it('renders a config whose scrape jobs name every endpoint', () => {
    const config = parse(
      prometheusConfig({ clusterName: 'a', masterIps: ['10.0.0.10'], webUiTls: false, settings: SETTINGS }),
    );
    expect(
      config.scrape_configs.map((j: { job_name: string; metrics_path?: string }) => [j.job_name, j.metrics_path]),
    ).toEqual([
      ['spark-master', '/metrics/master/prometheus/'],
      ['spark-applications', '/metrics/applications/prometheus/'],
      ['spark-worker', '/metrics/prometheus/'],
      ['spark-driver', '/metrics/prometheus/'],
      ['spark-executors', '/metrics/executors/prometheus/'],
      ['node', undefined],
    ]);
  });
});
