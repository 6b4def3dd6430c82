import { stringify } from 'yaml';
import { APP_UI_PORTS, MASTER_UI_PORT, WORKER_UI_PORT } from '../bootstrap';
import {
  ISparkCapability,
  SparkIngressContribution,
  SparkMasterNode,
  SparkNodeContribution,
  SparkNodeRole,
} from '../capability';
import { CloudConfigFile } from '../cloud-config';
import {
  NODE_EXPORTER_PORT,
  PROMETHEUS_PORT,
  SPARK_METRICS_PATHS,
  SparkMonitoringOptions,
  SparkPrometheusOptions,
} from '../monitoring';
import { Port } from '../security';
import { WEB_UI_TLS_PATHS, webUiTlsPort } from '../web-ui-tls';
import { readAsset, readScript } from './assets';
import { invalid } from './errors';

/** Where monitoring keeps its files on the nodes. */
export const MONITORING_PATHS = {
  configDir: '/etc/spark-monitoring',
  prometheusConfig: '/etc/spark-monitoring/prometheus.yml',
  rules: '/etc/spark-monitoring/rules.yml',
  webConfig: '/etc/spark-monitoring/web.yml',
  prometheusEnv: '/etc/spark-monitoring/prometheus.env',
  discoveryEnv: '/etc/spark-monitoring/discovery.env',
  fileSdDir: '/var/lib/prometheus/file_sd',
  prepareScript: '/usr/local/lib/spark-monitoring/prepare-prometheus',
  discoveryScript: '/usr/local/lib/spark-monitoring/discover-workers',
  exitHook: '/usr/local/lib/spark-bootstrap/exit.d/50-bootstrap-metrics',
  textfileDir: '/var/lib/prometheus/node-exporter',
  prometheusKey: '/var/lib/prometheus/tls/ui.key',
} as const;

/** Spark settings of the PrometheusServlet sink and the JVM source (Spark 3.5 and 4.0 alike). */
export const SPARK_METRICS_CONF: Readonly<Record<string, string>> = {
  // 3.5's built-in metrics defaults name only the JSON servlet: the Prometheus sink is set here.
  'spark.metrics.conf.*.sink.prometheusServlet.class': 'org.apache.spark.metrics.sink.PrometheusServlet',
  'spark.metrics.conf.*.sink.prometheusServlet.path': SPARK_METRICS_PATHS.worker.replace(/\/$/, ''),
  'spark.metrics.conf.master.sink.prometheusServlet.path': SPARK_METRICS_PATHS.master.replace(/\/$/, ''),
  'spark.metrics.conf.applications.sink.prometheusServlet.path': SPARK_METRICS_PATHS.applications.replace(/\/$/, ''),
  'spark.metrics.conf.master.source.jvm.class': 'org.apache.spark.metrics.source.JvmSource',
  'spark.metrics.conf.worker.source.jvm.class': 'org.apache.spark.metrics.source.JvmSource',
  'spark.metrics.conf.driver.source.jvm.class': 'org.apache.spark.metrics.source.JvmSource',
  'spark.metrics.conf.executor.source.jvm.class': 'org.apache.spark.metrics.source.JvmSource',
  // Executor metrics on the driver's UI: off by default in 3.5, on in 4.0.
  'spark.ui.prometheus.enabled': 'true',
};

/** A Prometheus server's settings with every default filled in. */
export type PrometheusSettings = Required<SparkPrometheusOptions>;

/** What the Prometheus config and rules depend on. */
export interface PrometheusRenderProps {
  readonly clusterName: string;
  /** Every master's address; Prometheus runs on the first. */
  readonly masterIps: readonly string[];
  readonly webUiTls: boolean;
  readonly settings: PrometheusSettings;
}

/** What the monitoring capability needs from its cluster. */
export interface MonitoringCapabilityProps {
  /** Construct path for errors. */
  readonly where: string;
  readonly clusterName: string;
  /** Every master's address, the first master's (where Prometheus runs) first. */
  readonly masterIps: readonly string[];
  readonly options?: SparkMonitoringOptions;
  readonly webUiTls: boolean;
  /** Whether the master has a volume (Prometheus keeps its data there). */
  readonly masterVolume: boolean;
}

const PROMETHEUS_DEFAULTS: PrometheusSettings = {
  retentionDays: 15,
  scrapeIntervalSeconds: 15,
  applicationWaitingMinutes: 10,
  diskUsedPercent: 90,
};

const LIMITS: Record<keyof SparkPrometheusOptions, [number, number, string]> = {
  retentionDays: [1, 3650, 'days'],
  scrapeIntervalSeconds: [5, 300, 'seconds'],
  applicationWaitingMinutes: [1, 1440, 'minutes'],
  diskUsedPercent: [50, 99, 'percent'],
};

/** A UI port as the cluster's own members reach it: the HTTPS port with webUiTls. */
function uiPort(httpPort: number, tls: boolean): number {
  return tls ? webUiTlsPort(httpPort) : httpPort;
}

/** Checks the options and fills in the defaults. */
export function prometheusSettings(where: string, options: SparkMonitoringOptions | undefined) {
  const prometheus = options?.prometheus;
  if (prometheus === undefined || prometheus === false) return undefined;
  if (prometheus !== true && (typeof prometheus !== 'object' || prometheus === null)) {
    throw invalid(
      `${where}: monitoring.prometheus`,
      'must be true, false or an object of Prometheus options',
      prometheus,
      'Use prometheus: true, or prometheus: { retentionDays: 30 }.',
    );
  }
  const given = prometheus === true ? {} : prometheus;
  const settings = { ...PROMETHEUS_DEFAULTS };
  for (const key of Object.keys(LIMITS) as (keyof SparkPrometheusOptions)[]) {
    const value = given[key];
    if (value === undefined) continue;
    const [min, max, unit] = LIMITS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw invalid(
        `${where}: monitoring.prometheus.${key}`,
        `must be a whole number of ${unit} from ${min} to ${max}`,
        value,
        `Use e.g. ${key}: ${PROMETHEUS_DEFAULTS[key]}, or leave it unset.`,
      );
    }
    settings[key] = value;
  }
  return settings;
}

/** The Prometheus configuration: the master, the discovered workers, drivers and node exporters. */
export function prometheusConfig(props: PrometheusRenderProps): string {
  const { masterIps, webUiTls: tls, settings } = props;
  const sd = (file: string) => [{ files: [`${MONITORING_PATHS.fileSdDir}/${file}`], refresh_interval: '30s' }];
  // The UIs' certificate names their public address, not the private one scraped here, and
  // the scrape never leaves the cluster's network: verify nothing, send nothing secret.
  const spark = tls ? { scheme: 'https', tls_config: { insecure_skip_verify: true } } : { scheme: 'http' };
  // Every master: a standby serves its metrics too (0 workers, 0 applications).
  const masters = masterIps.map((ip) => `${ip}:${uiPort(MASTER_UI_PORT, tls)}`);
  const config = {
    global: {
      scrape_interval: `${settings.scrapeIntervalSeconds}s`,
      evaluation_interval: `${settings.scrapeIntervalSeconds}s`,
      external_labels: { spark_cluster: props.clusterName },
    },
    rule_files: [MONITORING_PATHS.rules],
    scrape_configs: [
      {
        job_name: 'spark-master',
        metrics_path: SPARK_METRICS_PATHS.master,
        ...spark,
        static_configs: [{ targets: masters, labels: { role: 'master' } }],
      },
      {
        job_name: 'spark-applications',
        metrics_path: SPARK_METRICS_PATHS.applications,
        ...spark,
        static_configs: [{ targets: masters, labels: { role: 'master' } }],
      },
      {
        job_name: 'spark-worker',
        metrics_path: SPARK_METRICS_PATHS.worker,
        ...spark,
        file_sd_configs: sd('spark-workers.json'),
      },
      {
        job_name: 'spark-driver',
        metrics_path: SPARK_METRICS_PATHS.driver,
        ...spark,
        file_sd_configs: sd('spark-drivers.json'),
      },
      {
        job_name: 'spark-executors',
        metrics_path: SPARK_METRICS_PATHS.executors,
        ...spark,
        file_sd_configs: sd('spark-drivers.json'),
      },
      {
        job_name: 'node',
        static_configs: [{ targets: masterIps.map((ip) => `${ip}:${NODE_EXPORTER_PORT}`), labels: { role: 'master' } }],
        file_sd_configs: sd('node-workers.json'),
      },
    ],
  };
  return stringify(config, { lineWidth: 0 });
}

/** The alert rules. Each is unit-tested with `promtool test rules` (test/monitoring.test.ts). */
export function alertRules(settings: PrometheusSettings): string {
  const fs = 'fstype!~"tmpfs|ramfs|devtmpfs|squashfs|overlay|nsfs|fuse.*"';
  const rules = [
    {
      alert: 'SparkMasterDown',
      expr: 'up{job="spark-master"} == 0',
      for: '1m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Spark master {{ $labels.instance }} does not answer',
        description:
          'Prometheus has not scraped this master for a minute: its service or its web UI is down. With standby masters, another one takes over; the cluster has one fewer to lose.',
      },
    },
    {
      alert: 'SparkWorkerLost',
      expr: 'metrics_master_workers_Value{job="spark-master"} - metrics_master_aliveWorkers_Value{job="spark-master"} > 0',
      for: '1m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'The master has lost {{ $value }} worker(s)',
        description:
          'Workers registered with the master are no longer alive. After a pool scales down this fires until the master forgets the removed workers (15 worker timeouts, about 16 minutes).',
      },
    },
    {
      alert: 'SparkWorkerDown',
      expr: 'up{job="spark-worker"} == 0',
      for: '2m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Worker {{ $labels.instance }} does not answer',
        description: 'The master lists this worker, but its web UI has not answered for two minutes.',
      },
    },
    {
      alert: 'SparkApplicationWaiting',
      expr: 'metrics_master_waitingApps_Value{job="spark-master"} > 0',
      for: `${settings.applicationWaitingMinutes}m`,
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $value }} application(s) waiting for resources',
        description: `Applications have waited for executors for ${settings.applicationWaitingMinutes} minutes: the cluster lacks the cores or memory they ask for.`,
      },
    },
    {
      alert: 'NodeDiskAlmostFull',
      expr: `100 * (1 - node_filesystem_avail_bytes{job="node",${fs}} / node_filesystem_size_bytes{job="node",${fs}}) > ${settings.diskUsedPercent}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.mountpoint }} on {{ $labels.instance }} is over ' + settings.diskUsedPercent + ' % full',
        description: 'Shuffle and spill files or logs are filling the disk; jobs fail when it is full.',
      },
    },
    {
      alert: 'SparkBootstrapFailed',
      expr: 'spark_bootstrap_success == 0',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'spark-bootstrap failed on {{ $labels.instance }}',
        description: 'Its last run failed; see /var/lib/spark-bootstrap/bootstrap.log on the node.',
      },
    },
    {
      alert: 'SparkBootstrapNotReported',
      expr: 'up{job="node"} == 1 unless on(instance) spark_bootstrap_success',
      for: '30m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'spark-bootstrap has not reported on {{ $labels.instance }}',
        description: 'The node exporter answers but the bootstrap has written no result for 30 minutes.',
      },
    },
  ];
  return stringify({ groups: [{ name: 'spark', rules }] }, { lineWidth: 0 });
}

function envFile(vars: Record<string, string | number>): string {
  return (
    Object.entries(vars)
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n') + '\n'
  );
}

/**
 * Monitoring: Spark's Prometheus endpoints and the node exporter on every node; optionally
 * a Prometheus server on the master with the library's alert rules.
 */
export class MonitoringCapability implements ISparkCapability {
  readonly metrics: boolean;
  readonly prometheus?: PrometheusSettings;

  constructor(private readonly props: MonitoringCapabilityProps) {
    const { where, options } = props;
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw invalid(where, 'monitoring must be an object', options, 'Use monitoring: { prometheus: true }.');
    }
    const metrics = options?.metrics ?? true;
    if (typeof metrics !== 'boolean') {
      throw invalid(
        `${where}: monitoring.metrics`,
        'must be true or false',
        metrics,
        'Use metrics: false, or leave it unset.',
      );
    }
    this.metrics = metrics;
    this.prometheus = prometheusSettings(where, options);
    if (this.prometheus && !metrics) {
      throw invalid(
        `${where}: monitoring`,
        'prometheus scrapes the metrics that metrics: false turns off',
        'metrics: false',
        'Drop metrics: false, or drop prometheus.',
      );
    }
  }

  sparkDefaults(): Record<string, string> {
    return this.metrics ? { ...SPARK_METRICS_CONF } : {};
  }

  ingress(): SparkIngressContribution[] {
    const rules: SparkIngressContribution[] = [];
    const https = this.props.webUiTls ? ' (HTTPS)' : '';
    if (this.prometheus) {
      rules.push({
        access: 'metricsFrom',
        role: 'master',
        port: Port.tcp(PROMETHEUS_PORT),
        description: `Prometheus${https}`,
      });
    }
    if (this.metrics) {
      for (const role of ['master', 'worker'] as const) {
        rules.push({
          access: 'exportersFrom',
          role,
          port: Port.tcp(NODE_EXPORTER_PORT),
          description: `Prometheus node exporter on the Spark ${role === 'master' ? 'master' : 'workers'}`,
        });
      }
    }
    return rules;
  }

  /** Prometheus runs on the first master; every node gets the node exporter. */
  node(role: SparkNodeRole, master?: SparkMasterNode): SparkNodeContribution {
    if (!this.metrics) return {};
    const files: CloudConfigFile[] = [
      { path: MONITORING_PATHS.exitHook, permissions: '0755', content: readScript('bootstrap-metrics.sh') },
    ];
    const exporter = { name: 'prometheus-node-exporter', content: readAsset('prometheus-node-exporter.service') };
    if (role === 'worker' || !this.prometheus || (master?.index ?? 0) !== 0) {
      return { packages: ['prometheus-node-exporter'], files, services: [exporter] };
    }
    const tls = this.props.webUiTls;
    const render: PrometheusRenderProps = {
      clusterName: this.props.clusterName,
      masterIps: this.props.masterIps,
      webUiTls: tls,
      settings: this.prometheus,
    };
    const storage = this.props.masterVolume ? '/var/lib/spark/local/prometheus' : '/var/lib/prometheus/metrics2';
    const args = [
      `--config.file=${MONITORING_PATHS.prometheusConfig}`,
      `--storage.tsdb.path=${storage}`,
      `--storage.tsdb.retention.time=${this.prometheus.retentionDays}d`,
      `--web.listen-address=:${PROMETHEUS_PORT}`,
      ...(tls ? [`--web.config.file=${MONITORING_PATHS.webConfig}`] : []),
    ];
    files.push(
      { path: MONITORING_PATHS.prometheusConfig, content: prometheusConfig(render) },
      { path: MONITORING_PATHS.rules, content: alertRules(this.prometheus) },
      {
        path: MONITORING_PATHS.prometheusEnv,
        content: envFile({ PROMETHEUS_ARGS: args.join(' '), PROMETHEUS_STORAGE: storage }),
      },
      {
        path: MONITORING_PATHS.discoveryEnv,
        content: envFile({
          MASTER_JSON_URLS: this.props.masterIps
            .map((ip) => `${tls ? 'https' : 'http'}://${ip}:${uiPort(MASTER_UI_PORT, tls)}/json/`)
            .join(' '),
          WORKER_UI_PORT: uiPort(WORKER_UI_PORT, tls),
          NODE_EXPORTER_PORT,
          DRIVER_HOST: this.props.masterIps[0],
          DRIVER_UI_PORTS: `${uiPort(APP_UI_PORTS.from, tls)}-${uiPort(APP_UI_PORTS.to, tls)}`,
          OUT_DIR: MONITORING_PATHS.fileSdDir,
          INTERVAL: 30,
        }),
      },
      { path: MONITORING_PATHS.prepareScript, permissions: '0755', content: readScript('prepare-prometheus.sh') },
      { path: MONITORING_PATHS.discoveryScript, content: readAsset('discover-workers.py') },
    );
    if (tls) {
      files.push({
        path: MONITORING_PATHS.webConfig,
        content: stringify({
          tls_server_config: { cert_file: WEB_UI_TLS_PATHS.certificate, key_file: MONITORING_PATHS.prometheusKey },
        }),
      });
    }
    return {
      packages: ['prometheus-node-exporter', 'prometheus'],
      files,
      services: [
        exporter,
        { name: 'prometheus', content: readAsset('prometheus.service') },
        { name: 'spark-worker-discovery', content: readAsset('spark-worker-discovery.service') },
      ],
    };
  }
}
