import { SparkNodeContribution, SparkServiceUnit } from '../capability';
import { CloudConfigFile } from '../cloud-config';
import { readAsset } from './assets';
import { hasControlCharacters, invalid, isUnresolved } from './errors';

export { sparkMasterUrl } from './names';

/**
 * The ports of a ZooKeeper server: clients (the Spark masters), followers to the leader, and
 * leader election. Only the cluster's members reach them (the internal group allows all TCP
 * between members); nothing is opened from outside. The AdminServer (8080 by default, Spark
 * master's web UI port) is turned off.
 */
export const ZOOKEEPER_PORTS = { client: 2181, peer: 2888, election: 3888 } as const;

/**
 * Where the server's classes come from: the Spark distribution the bootstrap installed (and
 * checked against its SHA-512) carries ZooKeeper, the version its own client was built with.
 * Debian's and Ubuntu's `zookeeper` package would pull in a desktop Java runtime (it depends
 * on default-jre) and, on Ubuntu 24.04, a second Java that takes over `/usr/bin/java`.
 */
export const ZOOKEEPER_CLASSPATH = '/opt/spark/jars/*';

/** The systemd service that runs ZooKeeper on a master. */
export const ZOOKEEPER_SERVICE = 'spark-zookeeper';

/** Where ZooKeeper's files are on a master. */
export const ZOOKEEPER_PATHS = {
  configDir: '/etc/spark-zookeeper',
  config: '/etc/spark-zookeeper/zoo.cfg',
  myid: '/etc/spark-zookeeper/myid',
  log4j: '/etc/spark-zookeeper/log4j2.properties',
  /** The unit's StateDirectory, owned by its dynamic user; on the root disk, kept across boots. */
  dataDir: '/var/lib/spark-zookeeper',
} as const;

/** The four-letter commands a health check needs (are you ok, server status, metrics). */
export const ZOOKEEPER_HEALTH_COMMANDS: readonly string[] = ['ruok', 'srvr', 'mntr'];

/** Ensemble sizes: a majority of an odd count survives the same failures as one more. */
export const MAX_ZOOKEEPER_SERVERS = 7;

/** One master's ZooKeeper server in the ensemble of all masters. */
export interface ZooKeeperServerProps {
  /** Construct path for errors. @default 'ZooKeeper' */
  readonly where?: string;
  /** The masters' fixed IPv4 addresses, in the same order on every master. */
  readonly servers: readonly string[];
  /** This master's position in `servers`, from 0; its ZooKeeper id is myIndex + 1. */
  readonly myIndex: number;
}

/** How the Spark masters keep the state that lets a new master take over. */
export type SparkRecovery =
  | {
      /** Leader election and state in ZooKeeper: standby masters take over. */
      readonly mode: 'ZOOKEEPER';
      /** The ensemble's addresses (the masters' fixed IPs). */
      readonly servers: readonly string[];
      /** The znode under which Spark keeps its state, e.g. zookeeperDir(clusterName). */
      readonly dir: string;
    }
  | {
      /** State in files: the one master recovers it when it restarts. */
      readonly mode: 'FILESYSTEM';
      /** A directory the spark user can write, on the master's volume to outlive a rebuild. */
      readonly directory: string;
    };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
// A unit's PrivateTmp hides these (and empties them when it stops).
const TEMPORARY = ['/tmp', '/var/tmp', '/run', '/dev/shm'];

/** A path of plain segments (no `.`, `..`, spaces or quotes): safe in zoo.cfg and a unit. */
function isPlainAbsolutePath(value: string): boolean {
  if (!value.startsWith('/') || value.length > 200) return false;
  const segments = value.slice(1).split('/');
  return segments.every((s) => PATH_SEGMENT.test(s) && s !== '.' && s !== '..');
}

function isUnder(value: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => value === d || value.startsWith(`${d}/`));
}

/**
 * Checks the ensemble's addresses: an odd count from 1 to 7 of distinct IPv4 addresses.
 * Addresses known only at apply time (tokens) are skipped.
 */
export function checkEnsemble(where: string, servers: readonly string[]): readonly string[] {
  if (!Array.isArray(servers)) {
    throw invalid(
      where,
      'servers must be a list of the masters’ IPv4 addresses',
      servers,
      'Pass e.g. ["10.0.0.11", "10.0.0.12", "10.0.0.13"].',
    );
  }
  const n = servers.length;
  if (n < 1 || n > MAX_ZOOKEEPER_SERVERS || n % 2 === 0) {
    throw invalid(
      where,
      `a ZooKeeper ensemble needs an odd number of servers from 1 to ${MAX_ZOOKEEPER_SERVERS}`,
      n,
      n % 2 === 0 && n > 0
        ? `Use ${n - 1} or ${n + 1} masters: ${n} servers survive no more failures than ${n - 1}.`
        : 'Use 3 masters (or 5 to survive two failures).',
    );
  }
  const seen = new Set<string>();
  servers.forEach((ip, i) => {
    if (isUnresolved(ip)) return;
    if (typeof ip !== 'string' || !IPV4.test(ip) || ip.startsWith('0.') || Number(ip.split('.')[0]) >= 224) {
      throw invalid(
        `${where}: servers[${i}]`,
        'must be a unicast IPv4 address such as 10.0.0.11',
        ip,
        'Give each master’s fixed IP.',
      );
    }
    if (seen.has(ip)) {
      throw invalid(
        `${where}: servers[${i}]`,
        'appears twice in the ensemble',
        ip,
        'Give each master its own fixed IP.',
      );
    }
    seen.add(ip);
  });
  return servers;
}

function checkServer(props: ZooKeeperServerProps): Required<ZooKeeperServerProps> {
  const where = props.where ?? 'ZooKeeper';
  const servers = checkEnsemble(where, props.servers);
  const { myIndex } = props;
  if (typeof myIndex !== 'number' || !Number.isInteger(myIndex) || myIndex < 0 || myIndex >= servers.length) {
    throw invalid(
      `${where}: myIndex`,
      `must be this master's position in servers, a whole number from 0 to ${servers.length - 1}`,
      myIndex,
      'Pass the index of the master whose user data this is.',
    );
  }
  return { where, servers, myIndex };
}

/** `ip:2181,...`: the ensemble as a ZooKeeper client (Spark's Curator) connects to it. */
export function zookeeperConnectString(servers: readonly string[]): string {
  return checkEnsemble('ZooKeeper', servers)
    .map((ip) => `${ip}:${ZOOKEEPER_PORTS.client}`)
    .join(',');
}

/** The znode under which a cluster's masters keep their state: `/spark-<cluster>`. */
export function zookeeperDir(clusterName: string): string {
  return `/spark-${clusterName}`;
}

/** zoo.cfg of one server: the same ensemble on every master, each bound to its own address. */
export function zooCfg(props: ZooKeeperServerProps): string {
  const { servers, myIndex } = checkServer(props);
  const { client, peer, election } = ZOOKEEPER_PORTS;
  const lines = [
    '# ZooKeeper of the Spark masters (cdktf-spark-openstack), one server per master.',
    // 2 s ticks: clients' sessions last 4 to 40 s (Spark asks for 60 s and gets 40).
    'tickTime=2000',
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${ZOOKEEPER_PATHS.dataDir}`,
    `clientPort=${client}`,
    `clientPortAddress=${servers[myIndex]}`,
    'maxClientCnxns=60',
    // Its Jetty would take 8080, the Spark master's web UI.
    'admin.enableServer=false',
    `4lw.commands.whitelist=${ZOOKEEPER_HEALTH_COMMANDS.join(',')}`,
    'autopurge.snapRetainCount=3',
    'autopurge.purgeInterval=24',
    ...servers.map((ip, i) => `server.${i + 1}=${ip}:${peer}:${election}`),
  ];
  return lines.join('\n') + '\n';
}

/** Console logging only, which the journal keeps (log4j 2, as the Spark distribution has it). */
const LOG4J = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = console',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = %-5p [%t] %c{1}: %m%n',
  'rootLogger.level = info',
  'rootLogger.appenderRef.console.ref = console',
].join('\n');

/** The unit that runs one master's ZooKeeper server. */
export function zookeeperService(): SparkServiceUnit {
  return { name: ZOOKEEPER_SERVICE, content: readAsset(`${ZOOKEEPER_SERVICE}.service`) };
}

/** The files one master's ZooKeeper server reads: zoo.cfg, its id, and its logging. */
export function zookeeperFiles(props: ZooKeeperServerProps): CloudConfigFile[] {
  const { myIndex } = checkServer(props);
  return [
    { path: ZOOKEEPER_PATHS.config, content: zooCfg(props) },
    { path: ZOOKEEPER_PATHS.myid, content: `${myIndex + 1}\n` },
    { path: ZOOKEEPER_PATHS.log4j, content: LOG4J + '\n' },
  ];
}

/** What one master needs to run its ZooKeeper server: the files and the unit (no package). */
export function zookeeperNode(props: ZooKeeperServerProps): SparkNodeContribution {
  return { files: zookeeperFiles(checkServer(props)), services: [zookeeperService()] };
}

/**
 * The spark-defaults.conf settings of standalone recovery, the same keys in Spark 3.5 and 4.0.
 * The master reads them from spark-defaults.conf (MasterArguments loads the properties file),
 * so no SPARK_DAEMON_JAVA_OPTS are needed. 4.0's ROCKSDB mode and recoveryCompressionCodec
 * are left out: the state is a few kilobytes, and one setting serves every pinned release.
 */
export function sparkRecoverySettings(where: string, recovery: SparkRecovery): Record<string, string> {
  if (recovery?.mode === 'ZOOKEEPER') {
    const { dir } = recovery;
    const segments = typeof dir === 'string' ? dir.split('/') : [];
    if (
      typeof dir !== 'string' ||
      hasControlCharacters(dir) ||
      !isPlainAbsolutePath(dir) ||
      segments[1] === 'zookeeper'
    ) {
      throw invalid(
        `${where}: recovery.dir`,
        'must be a znode path such as /spark-analytics (plain segments, not under the reserved /zookeeper)',
        dir,
        'Use zookeeperDir(clusterName).',
      );
    }
    return {
      'spark.deploy.recoveryMode': 'ZOOKEEPER',
      'spark.deploy.zookeeper.url': zookeeperConnectString(checkEnsemble(`${where}: recovery`, recovery.servers)),
      'spark.deploy.zookeeper.dir': dir,
    };
  }
  if (recovery?.mode === 'FILESYSTEM') {
    const { directory } = recovery;
    if (typeof directory !== 'string' || !isPlainAbsolutePath(directory) || isUnder(directory, TEMPORARY)) {
      throw invalid(
        `${where}: recovery.directory`,
        'must be an absolute path the spark user can write, outside /tmp, /var/tmp and /run (the unit has a private /tmp)',
        directory,
        'Use a directory on the master’s volume, e.g. /var/lib/spark/local/recovery.',
      );
    }
    return { 'spark.deploy.recoveryMode': 'FILESYSTEM', 'spark.deploy.recoveryDirectory': directory };
  }
  throw invalid(
    `${where}: recovery.mode`,
    'must be ZOOKEEPER or FILESYSTEM',
    (recovery as { mode?: unknown } | undefined)?.mode,
    'Use { mode: "ZOOKEEPER", servers, dir } or { mode: "FILESYSTEM", directory }.',
  );
}
