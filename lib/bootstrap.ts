import { createHash } from 'crypto';
import { gzipSync } from 'zlib';
import { mergeContributions, SparkNodeContribution } from './capability';
import { checkCaCertificate, CloudConfig } from './cloud-config';
import { WorkerSizing } from './executor-sizing';
import { readScript, renderUnit } from './private/assets';
import { invalid } from './private/errors';
import { sparkMasterUrl } from './private/names';
import { shellQuote } from './private/shell';
import { checkWebUiTls, KEYSTORE_PASSWORD, MAKE_KEYSTORE_SCRIPT, pemAsBase64 } from './private/web-ui-tls';
import { SparkVersion } from './spark-version';
import { SparkWebUiTlsOptions, WEB_UI_TLS_PATHS } from './web-ui-tls';

/** The Spark master's RPC port. */
export const MASTER_PORT = 7077;
/** The master's REST submission port (off unless enabled). */
export const MASTER_REST_PORT = 6066;
/** The master's web UI. */
export const MASTER_UI_PORT = 8080;
/** Each worker's RPC port (pinned so rules and logs are predictable). */
export const WORKER_PORT = 7078;
/** Each worker's web UI. */
export const WORKER_UI_PORT = 8081;
/** The history server's web UI. */
export const HISTORY_UI_PORT = 18080;
/** Application (driver) web UIs: 4040, then the next ports for concurrent applications. */
export const APP_UI_PORTS = { from: 4040, to: 4049 } as const;

/** Nova's limit on user data, counted after base64 encoding. */
export const NOVA_USER_DATA_LIMIT = 65535;

/**
 * Size of rendered user data as Nova will see it. References that Terraform fills in later
 * (secrets, container names) are counted as 64 characters each, longer than any of them;
 * `extraBytes` adds room for references known to be longer (a PEM key from a variable).
 */
export function estimateUserDataBytes(rendered: string, extraBytes = 0): { rawBytes: number; base64Bytes: number } {
  const filled = rendered.replace(/\$\{TfToken\[[^\]]*\]\}/g, 'x'.repeat(64));
  const rawBytes = Buffer.byteLength(filled, 'utf8') + extraBytes;
  return { rawBytes, base64Bytes: 4 * Math.ceil(rawBytes / 3) };
}

/**
 * Size of rendered user data sent gzip-compressed, as Nova will see it (base64 of the gzip).
 * References are filled with 64 random hex digits (as random as the secrets they stand for,
 * longer than any), `extraBytes` is counted uncompressed, and a margin covers the compressor
 * Terraform uses.
 */
export function estimateGzipUserDataBytes(rendered: string, extraBytes = 0): number {
  let n = 0;
  const filled = rendered.replace(/\$\{TfToken\[[^\]]*\]\}/g, () =>
    createHash('sha256').update(`reference ${n++}`).digest('hex'),
  );
  const compressed = Math.ceil(gzipSync(Buffer.from(filled, 'utf8')).length * 1.05) + 64 + extraBytes;
  return 4 * Math.ceil(compressed / 3);
}

/** Where the bootstrap installs and keeps things on every node. */
export const NODE_PATHS = {
  confDir: '/etc/spark/conf',
  bootstrapEnv: '/etc/spark-bootstrap/bootstrap.env',
  bootstrapScript: '/usr/local/sbin/spark-bootstrap',
  waitForPort: '/usr/local/lib/spark-bootstrap/wait-for-port',
  workerSizing: '/usr/local/lib/spark-bootstrap/worker-sizing.sh',
  localDir: '/var/lib/spark/local',
  workDir: '/var/lib/spark/work',
  logDir: '/var/log/spark',
} as const;

/** Settings every node of a cluster shares. */
export interface SparkBootstrapProps {
  readonly sparkVersion: SparkVersion;
  /**
   * Base URL laid out like the Apache archive (`<base>/spark-<v>/spark-<v>-bin-hadoop3.tgz`);
   * a Swift container URL works.
   * @default 'https://archive.apache.org/dist/spark'
   */
  readonly sparkMirrorUrl?: string;
  /**
   * Maven repository the S3A jars come from.
   * @default 'https://repo1.maven.org/maven2'
   */
  readonly mavenRepositoryUrl?: string;
  /**
   * Debian/Ubuntu package providing `java` (Spark 3.5 and 4.0 run on Java 17).
   * @default 'openjdk-17-jre-headless'
   */
  readonly javaPackage?: string;
  /** The (first) master's fixed address. */
  readonly masterIp: string;
  /**
   * The fixed addresses of the standby masters, after `masterIp`: workers and drivers then
   * know every master (`spark://<ip 1>:7077,<ip 2>:7077,...`).
   * @default - none: one master
   */
  readonly standbyMasterIps?: readonly string[];
  /**
   * PEM certificates of private CAs every node trusts, system-wide and in Java.
   * @default - the image's trust store only
   */
  readonly trustedCaCertificates?: readonly string[];
  /**
   * Serve the web UIs over HTTPS with this certificate (the Spark settings that turn it on
   * come with the cluster's spark-defaults).
   * @default - plain HTTP
   */
  readonly webUiTls?: SparkWebUiTlsOptions;
  /**
   * What errors about these props start with: a cluster passes its construct path.
   * @default 'SparkBootstrap'
   */
  readonly where?: string;
}

/** Options every node's user data takes. */
export interface NodeBootstrapOptions {
  /** spark-defaults.conf, the same on every node (values may be Terraform references). */
  readonly sparkDefaults: Readonly<Record<string, string>>;
  /**
   * What the cluster's capabilities add to this node: files after the node's own, services
   * started after Spark's, packages installed with Java.
   * @default - nothing
   */
  readonly contributions?: readonly SparkNodeContribution[];
}

/** Per-worker options of a worker's user data. */
export interface WorkerBootstrapOptions extends NodeBootstrapOptions {
  readonly sizing: WorkerSizing;
  /**
   * The flavor the worker is created with. With it, the worker computes its cores and
   * memory from the node's own vCPUs and RAM at every start (the same formula as
   * `sizing`; the flavor's numbers while the node still looks like it), so a resized
   * server corrects itself on its reboot.
   * @default - cores and memory fixed to `sizing`
   */
  readonly flavor?: { readonly vcpus: number; readonly ramMiB: number };
  /**
   * Size of the attached volume to format and mount for Spark's local dirs.
   * @default 0 - no volume: local dirs on the root disk
   */
  readonly localVolumeGiB?: number;
}

/** Per-master options of the master's user data. */
export interface MasterBootstrapOptions extends NodeBootstrapOptions {
  /**
   * The address this master binds and advertises: one of the cluster's master addresses.
   * @default - the first master's (`masterIp`)
   */
  readonly host?: string;
  /**
   * Run the history server (needs an event-log directory in spark-defaults). A cluster adds
   * it through its object-storage capability's contribution instead.
   * @default false
   */
  readonly historyServer?: boolean;
  /**
   * Size of the attached volume to format and mount for Spark's local dirs.
   * @default 0 - no volume
   */
  readonly localVolumeGiB?: number;
}

const URL_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%!$&()*+,;=:@/-]*)?$/;

/** The history server's service, as the master runs it. */
export const HISTORY_SERVER_SERVICE = 'spark-history';

/** The history server as a node contribution (what `historyServer: true` adds). */
export function historyServerContribution(): SparkNodeContribution {
  return { services: [{ name: HISTORY_SERVER_SERVICE, content: renderUnit('spark-history.service') }] };
}

/** `key value` lines, sorted, as spark-defaults.conf wants them. */
function renderSparkDefaults(conf: Readonly<Record<string, string>>): string {
  return (
    Object.keys(conf)
      .sort()
      .map((key) => `${key} ${conf[key]}`)
      .join('\n') + '\n'
  );
}

function renderEnvFile(vars: Readonly<Record<string, string | number>>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
    .join('\n');
}

/** Writes what capabilities contribute to a node: their services' units, then their files. */
function addContributed(config: CloudConfig, added: Required<SparkNodeContribution>): void {
  for (const service of added.services) {
    if (!/^[a-z][a-z0-9-]*$/.test(service.name)) {
      throw invalid(
        'SparkBootstrap',
        'service names are lower-case systemd names without .service',
        service.name,
        'Use a name such as spark-history.',
      );
    }
    config.addFile({ path: `/etc/systemd/system/${service.name}.service`, content: service.content });
  }
  for (const file of added.files) config.addFile(file);
  for (const name of added.packages) {
    if (!/^[a-z0-9][a-z0-9+.-]*$/.test(name)) {
      throw invalid('SparkBootstrap', 'package names are lower-case Debian names', name, 'Use a name such as curl.');
    }
  }
}

/**
 * Renders the cloud-config of a cluster's master and workers: the bootstrap script and its
 * settings, Spark's configuration, and systemd units. Worker user data depends only on the
 * pool (never on the worker's index or the pool's size), so scaling creates or destroys
 * servers without touching the others.
 */
export class SparkBootstrap {
  readonly sparkVersion: SparkVersion;
  readonly tarballUrl: string;
  readonly mavenRepositoryUrl: string;
  readonly javaPackage: string;

  constructor(private readonly props: SparkBootstrapProps) {
    const where = props.where ?? 'SparkBootstrap';
    const text = (value: unknown, fallback: string) =>
      value === undefined ? fallback : typeof value === 'string' ? value : JSON.stringify(value);
    const mirror = text(props.sparkMirrorUrl, 'https://archive.apache.org/dist/spark').replace(/\/+$/, '');
    this.mavenRepositoryUrl = text(props.mavenRepositoryUrl, 'https://repo1.maven.org/maven2').replace(/\/+$/, '');
    for (const [field, url] of [
      ['sparkMirrorUrl', mirror],
      ['mavenRepositoryUrl', this.mavenRepositoryUrl],
    ]) {
      if (!URL_PATTERN.test(url)) {
        throw invalid(
          where,
          `${field} must be an http(s) URL without spaces or quotes`,
          url,
          'Use a URL such as https://archive.apache.org/dist/spark.',
        );
      }
    }
    this.javaPackage = props.javaPackage ?? 'openjdk-17-jre-headless';
    if (typeof this.javaPackage !== 'string' || !/^[a-z0-9][a-z0-9+.-]*$/.test(this.javaPackage)) {
      throw invalid(
        where,
        'javaPackage must be a Debian package name',
        this.javaPackage,
        'Use a name such as openjdk-17-jre-headless.',
      );
    }
    for (const pem of props.trustedCaCertificates ?? []) checkCaCertificate(`${where}: trustedCaCertificates`, pem);
    if (props.webUiTls) checkWebUiTls(where, props.webUiTls);
    this.sparkVersion = props.sparkVersion;
    this.tarballUrl = `${mirror}/${props.sparkVersion.mirrorPath}`;
  }

  /** Every master's address, the first master's first. */
  get masterIps(): readonly string[] {
    return [this.props.masterIp, ...(this.props.standbyMasterIps ?? [])];
  }

  /** A master's cloud-config: master (and history server) services. */
  master(options: MasterBootstrapOptions): CloudConfig {
    const added = mergeContributions([
      ...(options.historyServer ? [historyServerContribution()] : []),
      ...(options.contributions ?? []),
    ]);
    const host = options.host ?? this.props.masterIp;
    if (!this.masterIps.includes(host)) {
      throw invalid(
        this.props.where ?? 'SparkBootstrap',
        "a master's host must be one of the master addresses",
        host,
        `Use one of ${this.masterIps.join(', ')}.`,
      );
    }
    const config = this.common('master', ['spark-master'], options.localVolumeGiB ?? 0, options.sparkDefaults, added);
    config.addFile({
      path: `${NODE_PATHS.confDir}/spark-env.sh`,
      content: this.sparkEnv({
        SPARK_MASTER_HOST: host,
        SPARK_MASTER_PORT: MASTER_PORT,
        SPARK_MASTER_WEBUI_PORT: MASTER_UI_PORT,
      }),
    });
    config.addFile({ path: '/etc/systemd/system/spark-master.service', content: renderUnit('spark-master.service') });
    addContributed(config, added);
    return config;
  }

  /** A worker's cloud-config, the same for every worker of a pool. */
  worker(options: WorkerBootstrapOptions): CloudConfig {
    const { sizing, flavor } = options;
    const added = mergeContributions(options.contributions ?? []);
    const config = this.common('worker', ['spark-worker'], options.localVolumeGiB ?? 0, options.sparkDefaults, added);
    const size: Record<string, string | number> = flavor
      ? { SPARK_FLAVOR_VCPUS: flavor.vcpus, SPARK_FLAVOR_RAM_MIB: flavor.ramMiB }
      : { SPARK_WORKER_CORES: sizing.workerCores, SPARK_WORKER_MEMORY: `${sizing.workerMemoryMiB}m` };
    config.addFile({
      path: `${NODE_PATHS.confDir}/spark-env.sh`,
      content: this.sparkEnv(
        {
          ...size,
          SPARK_WORKER_PORT: WORKER_PORT,
          SPARK_WORKER_WEBUI_PORT: WORKER_UI_PORT,
          SPARK_WORKER_DIR: NODE_PATHS.workDir,
          SPARK_WORKER_OPTS: '-Dspark.worker.cleanup.enabled=true',
        },
        flavor
          ? [
              "# SPARK_WORKER_CORES and SPARK_WORKER_MEMORY from this node's vCPUs and RAM, at every start.",
              '# shellcheck source=/dev/null',
              `. ${NODE_PATHS.workerSizing}`,
              'spark_worker_env "$SPARK_FLAVOR_VCPUS" "$SPARK_FLAVOR_RAM_MIB"',
            ]
          : [],
      ),
    });
    if (flavor) config.addFile({ path: NODE_PATHS.workerSizing, content: readScript('worker-sizing.sh') });
    config.addFile({
      path: `${NODE_PATHS.confDir}/worker.env`,
      content:
        renderEnvFile({
          SPARK_MASTER_HOSTS: this.masterIps.join(','),
          SPARK_MASTER_PORT: MASTER_PORT,
          SPARK_MASTER_URL: sparkMasterUrl(this.masterIps, MASTER_PORT),
        }) + '\n',
    });
    config.addFile({ path: '/etc/systemd/system/spark-worker.service', content: renderUnit('spark-worker.service') });
    config.addFile({ path: NODE_PATHS.waitForPort, permissions: '0755', content: readScript('wait-for-port.sh') });
    addContributed(config, added);
    return config;
  }

  private sparkEnv(roleVars: Record<string, string | number>, extraLines: string[] = []): string {
    return [
      "# Written by cdktf-spark-openstack; sourced by Spark's launch scripts.",
      renderEnvFile({
        ...roleVars,
        SPARK_LOCAL_DIRS: NODE_PATHS.localDir,
        SPARK_LOG_DIR: NODE_PATHS.logDir,
        SPARK_DAEMON_MEMORY: '1g',
      }),
      ...extraLines,
      '# Node-specific settings (SPARK_LOCAL_IP), written by spark-bootstrap at boot.',
      '# shellcheck source=/dev/null',
      'if [ -f /etc/spark/conf/spark-env.node.sh ]; then . /etc/spark/conf/spark-env.node.sh; fi',
      '',
    ].join('\n');
  }

  private common(
    role: 'master' | 'worker',
    services: string[],
    localVolumeGiB: number,
    sparkDefaults: Readonly<Record<string, string>>,
    added: Required<SparkNodeContribution>,
  ): CloudConfig {
    const config = new CloudConfig();
    for (const pem of this.props.trustedCaCertificates ?? []) config.addTrustedCaCertificate(pem);
    config.addSystemUser({ name: 'spark', homedir: '/var/lib/spark' });
    const tls = this.props.webUiTls;
    const jars = this.sparkVersion.s3aJars.map((jar) => `${jar.path}=${jar.sha256}`).join(' ');
    config.addFile({
      path: NODE_PATHS.bootstrapEnv,
      content:
        renderEnvFile({
          SPARK_ROLE: role,
          SPARK_VERSION: this.sparkVersion.version,
          SPARK_DIST: this.sparkVersion.distributionName,
          SPARK_TARBALL_URL: this.tarballUrl,
          SPARK_SHA512: this.sparkVersion.sha512,
          SPARK_JARS: jars,
          MAVEN_REPOSITORY: this.mavenRepositoryUrl,
          JAVA_PACKAGE: this.javaPackage,
          SPARK_MASTER_HOST: this.props.masterIp,
          LOCAL_VOLUME_GIB: localVolumeGiB,
          SERVICES: [...services, ...added.services.map((s) => s.name)].join(' '),
          WEB_UI_TLS: String(Boolean(tls)),
          ...(tls ? { WEB_UI_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD } : {}),
          ...(added.packages.length > 0 ? { PACKAGES: added.packages.join(' ') } : {}),
        }) + '\n',
    });
    if (tls) {
      config.addFile({
        path: WEB_UI_TLS_PATHS.certificate,
        encoding: 'b64',
        content: pemAsBase64(tls.certificateChainPem),
      });
      config.addFile({
        path: WEB_UI_TLS_PATHS.privateKey,
        permissions: '0600',
        encoding: 'b64',
        content: pemAsBase64(tls.privateKeyPem),
      });
      config.addFile({
        path: MAKE_KEYSTORE_SCRIPT,
        permissions: '0755',
        content: readScript('make-ui-keystore.sh'),
      });
    }
    config.addFile({
      path: NODE_PATHS.bootstrapScript,
      permissions: '0755',
      content: readScript('spark-bootstrap.sh'),
    });
    // Secrets (auth secret, S3 keys) live here: readable by the spark user only (and root).
    // Written after the spark user exists (defer). The daemons' sandbox keeps /etc read-only
    // to them, so owning the file does not let them rewrite it.
    config.addFile({
      path: `${NODE_PATHS.confDir}/spark-defaults.conf`,
      permissions: '0600',
      owner: 'spark:spark',
      defer: true,
      content: renderSparkDefaults(sparkDefaults),
    });
    config.addCommands([NODE_PATHS.bootstrapScript]);
    return config;
  }
}
