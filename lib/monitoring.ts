/** Port of the Prometheus node exporter on every node. */
export const NODE_EXPORTER_PORT = 9100;
/** Port of the Prometheus server on the master (HTTPS with `webUiTls`). */
export const PROMETHEUS_PORT = 9090;

/**
 * Where Spark's daemons serve their metrics in Prometheus' text format (PrometheusServlet),
 * on their web UI ports (HTTPS ports with `webUiTls`).
 */
export const SPARK_METRICS_PATHS = {
  /** The master's own metrics (workers, aliveWorkers, apps, waitingApps, JVM), on 8080. */
  master: '/metrics/master/prometheus/',
  /** Per-application metrics the master keeps (status, cores, runtime), on 8080. */
  applications: '/metrics/applications/prometheus/',
  /** A worker's metrics (executors, cores and memory used and free, JVM), on 8081. */
  worker: '/metrics/prometheus/',
  /** A driver's metrics, on its application UI (4040 and up). */
  driver: '/metrics/prometheus/',
  /** The executors of a driver (`spark.ui.prometheus.enabled`), on its application UI. */
  executors: '/metrics/executors/prometheus/',
} as const;

/** The alerts the cluster's Prometheus ships with. */
export const SPARK_ALERTS = [
  'SparkMasterDown',
  'SparkWorkerLost',
  'SparkWorkerDown',
  'SparkApplicationWaiting',
  'NodeDiskAlmostFull',
  'SparkBootstrapFailed',
  'SparkBootstrapNotReported',
] as const;

/** A Prometheus server on the master that scrapes the whole cluster and evaluates its alerts. */
export interface SparkPrometheusOptions {
  /**
   * How long Prometheus keeps samples. On the master's volume when it has one
   * (`master.volumeGiB`), else on its root disk.
   * @default 15
   */
  readonly retentionDays?: number;
  /** @default 15 */
  readonly scrapeIntervalSeconds?: number;
  /**
   * How long an application may wait for resources before SparkApplicationWaiting fires.
   * @default 10
   */
  readonly applicationWaitingMinutes?: number;
  /**
   * Used share of a node's filesystem (percent) above which NodeDiskAlmostFull fires.
   * @default 90
   */
  readonly diskUsedPercent?: number;
}

/**
 * Monitoring of a cluster. Metrics are on by default: Spark's Prometheus endpoints on every
 * daemon and driver, and the node exporter (with the bootstrap's result and timings) on
 * every node, all reachable only inside the cluster unless an access list opens them.
 *
 * @example
 * new SparkCluster(stack, 'analytics', {
 *   // ...
 *   monitoring: { prometheus: { retentionDays: 30 } },
 *   access: { metricsFrom: ['203.0.113.0/24'] },
 * });
 */
export interface SparkMonitoringOptions {
  /**
   * Spark's PrometheusServlet on every daemon and driver, executor metrics on drivers, and
   * the node exporter (port 9100) on every node.
   * @default true
   */
  readonly metrics?: boolean;
  /**
   * A Prometheus server on the master (port 9090), with the library's alert rules. `true`
   * takes the defaults.
   * @default - no Prometheus server: plug the exporters into your own
   */
  readonly prometheus?: boolean | SparkPrometheusOptions;
}
