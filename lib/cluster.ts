import { IResolveContext, Lazy, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  APP_UI_PORTS,
  estimateGzipUserDataBytes,
  estimateUserDataBytes,
  NOVA_USER_DATA_LIMIT,
  HISTORY_UI_PORT,
  MASTER_PORT,
  MASTER_REST_PORT,
  MASTER_UI_PORT,
  SparkBootstrap,
  WORKER_UI_PORT,
} from './bootstrap';
import { ISparkCapability, nodeContributions, SparkAccessList, SparkIngressContribution } from './capability';
import { CloudConfig } from './cloud-config';
import { clusterExecutorDefaults, ExecutorDefaults } from './executor-sizing';
import { ExternalNetwork } from './external-network';
import { Flavor } from './flavor';
import { SparkHighAvailabilityOptions } from './high-availability';
import { Image } from './image';
import { KeyPair } from './key-pair';
import { SparkMaster } from './master';
import { ISparkNetwork, SparkNetwork } from './network';
import { ISparkContainer, SparkObjectStorage } from './object-storage';
import { checkRuleCidr, coversInternet, formatIpv4, parseIpv4Cidr } from './private/cidr';
import { checkClusterPropShapes, checkOwnedSparkKey } from './private/cluster-checks';
import { requireObject } from './private/inputs';
import { hasControlCharacters, invalid, isUnresolved, missing } from './private/errors';
import { HighAvailabilityCapability, masterCountOf } from './private/high-availability';
import { MonitoringCapability } from './private/monitoring';
import { ObjectStorageCapability } from './private/object-storage-capability';
import { sparkMasterUrl, validateName } from './private/names';
import { GeneratedSecret } from './private/secret';
import { digest, formatSettingsRecord, plainOrDigest, SETTINGS_METADATA_KEY } from './private/settings-record';
import { base64GzipExpression, escapeTerraformTemplate } from './private/terraform';
import { Peer, Port, SparkSecurityGroup } from './security';
import { UserDataChangePolicy, validateMetadata } from './server-options';
import { checkWebUiTls, webUiTlsCapability, webUiTlsNamespaces } from './private/web-ui-tls';
import { PROMETHEUS_PORT, SparkMonitoringOptions } from './monitoring';
import { SparkVersion } from './spark-version';
import { SparkWebUiTlsOptions, webUiTlsPort } from './web-ui-tls';
import { MAX_WORKERS_PER_POOL, SparkWorkerPool, SparkWorkerPoolContext, SparkWorkerPoolOptions } from './worker-pool';

const NO_WORKERS_FIX = "Add one with cluster.addWorkerPool('general', { count: 2, flavor }).";

/** The construct id of a master: `Master` for the first (as before standby masters existed), then `Master2`, ... */
function masterId(index: number): string {
  return index === 0 ? 'Master' : `Master${index + 1}`;
}

/** The master's server options (every master's, with `highAvailability`). */
export interface SparkMasterOptions {
  readonly flavor: Flavor;
  /**
   * A floating IP for the master (needs `externalNetwork`); with `highAvailability`, one per
   * master, so that clients outside the cluster can reach whichever is active.
   * @default false
   */
  readonly floatingIp?: boolean;
  /**
   * A Cinder volume (GiB) for Spark's local dirs on the master. A single master also keeps
   * its recovery state there (`spark.deploy.recoveryMode=FILESYSTEM`): restarted, it gets
   * its workers and running applications back.
   * @default - none
   */
  readonly volumeGiB?: number;
  /** @default - the cloud's default volume type */
  readonly volumeType?: string;
}

/** Who may reach the cluster from outside it. Every list defaults to nobody. */
export interface SparkAccessOptions {
  /** CIDRs allowed to SSH (22) to every node. @default - none */
  readonly sshFrom?: string[];
  /**
   * CIDRs allowed to the web UIs: master 8080, history server 18080, application UIs
   * 4040-4049 on the master, worker UIs 8081; with `webUiTls`, their HTTPS ports instead
   * (8480, 18480, 4440-4449, 8481). @default - none
   */
  readonly webUiFrom?: string[];
  /** CIDRs allowed to submit applications to the master (7077; 6066 with REST). @default - none */
  readonly submitFrom?: string[];
  /**
   * CIDRs allowed to the cluster's Prometheus (9090 on the master, HTTPS with `webUiTls`);
   * needs `monitoring.prometheus`. @default - none
   */
  readonly metricsFrom?: string[];
  /**
   * CIDRs allowed to the node exporters (9100 on every node): for a Prometheus of your own.
   * Spark's own metrics are on the web UI ports (`webUiFrom`). @default - none
   */
  readonly exportersFrom?: string[];
}

/** Object storage (Swift through its S3 API) for data and event logs. */
export interface SparkObjectStorageOptions {
  /** The cloud's S3-compatible endpoint (Swift s3api or Ceph RGW), e.g. `https://object.example.com`. */
  readonly s3Endpoint: string;
  /** @default 'us-east-1' */
  readonly s3Region?: string;
  /**
   * Container for Spark event logs, read by the history server.
   * @default - a new container `<cluster>-spark-events`
   */
  readonly eventLogContainer?: ISparkContainer;
  /**
   * Container for data (`s3a://<name>/...`).
   * @default - a new container `<cluster>-spark-data`
   */
  readonly dataContainer?: ISparkContainer;
  /**
   * Let `destroy` delete the containers this cluster created together with their objects.
   * @default false - destroying a container that holds data fails
   */
  readonly forceDestroy?: boolean;
}

/** Props of a SparkCluster. */
export interface SparkClusterProps {
  /**
   * The cluster's name: prefix of every server, network and container name.
   * @default - the construct id
   */
  readonly name?: string;
  /** Image of every server (Ubuntu 22.04/24.04 or Debian 12 cloud images work). */
  readonly image: Image;
  readonly keyPair: KeyPair;
  readonly master: SparkMasterOptions;
  /** @default SparkVersion.V3_5_7 */
  readonly sparkVersion?: SparkVersion;
  /**
   * External network for the router and the master's floating IP.
   * @default - no router (only with an existing `network` that reaches the mirrors)
   */
  readonly externalNetwork?: ExternalNetwork;
  /**
   * An existing network to use instead of creating one.
   * @default - a new network with `networkCidr`
   */
  readonly network?: ISparkNetwork;
  /** @default '10.42.0.0/24' (only for a new network) */
  readonly networkCidr?: string;
  /** @default - the cloud's DHCP defaults (only for a new network) */
  readonly dnsNameservers?: string[];
  /** @default - no access from outside the cluster */
  readonly access?: SparkAccessOptions;
  /** @default - no object storage: no event logs, no history server */
  readonly objectStorage?: SparkObjectStorageOptions;
  /**
   * Extra spark-defaults.conf settings; they win over the library's.
   * @default - none
   */
  readonly sparkConf?: Readonly<Record<string, string>>;
  /**
   * Open the master's REST submission endpoint (6066) to `access.submitFrom`. It ignores
   * `spark.authenticate` (CVE-2018-11770), so it stays off unless you need it.
   * @default false
   */
  readonly enableRestSubmission?: boolean;
  /**
   * Encrypt Spark RPC between daemons, drivers and executors (`spark.network.crypto.*`, keys
   * agreed through the cluster's secret with auth engine version 2). The cipher is Spark's
   * default, AES-CTR, which does not authenticate the ciphertext (CVE-2025-55039): the GCM
   * option drops every RPC message after the first on a connection in every pinned release
   * (SPARK-56227), so workers never register. SECURITY.md has the consequences.
   * @default true
   */
  readonly rpcEncryption?: boolean;
  /** @default UserDataChangePolicy.IGNORE */
  readonly userDataPolicy?: UserDataChangePolicy;
  /** Deliver user data on a config drive. @default true */
  readonly configDrive?: boolean;
  /** @default 'https://archive.apache.org/dist/spark' */
  readonly sparkMirrorUrl?: string;
  /** @default 'https://repo1.maven.org/maven2' */
  readonly mavenRepositoryUrl?: string;
  /** @default 'openjdk-17-jre-headless' */
  readonly javaPackage?: string;
  /**
   * PEM certificates of private CAs that every server trusts, system-wide and in Java: for an
   * object store, mirror or Maven repository whose TLS certificate an internal CA signed.
   * @default - the image's trust store only
   */
  readonly trustedCaCertificates?: readonly string[];
  /**
   * Serve every web UI over HTTPS with your certificate: on its HTTP port plus 400 (master
   * 8480, workers 8481, history server 18480, applications 4440-4449). The HTTP ports only
   * redirect to HTTPS, and `access.webUiFrom` opens the HTTPS ports alone.
   * @default - plain HTTP
   */
  readonly webUiTls?: SparkWebUiTlsOptions;
  /**
   * Monitoring: Spark's Prometheus endpoints and the node exporter on every node (on by
   * default, reachable inside the cluster only), and an opt-in Prometheus server on the master.
   * @default - metrics on, no Prometheus server
   */
  readonly monitoring?: SparkMonitoringOptions;
  /**
   * Standby masters elected through ZooKeeper (running on the masters): `true` for three
   * masters, or the options. Each master gets its own server, port and fixed address (the
   * network's `standbyMasterIps`), in a hard anti-affinity server group. Master 1 (`master`)
   * keeps the history server, Prometheus and the outputs' URLs.
   * @default - one master
   */
  readonly highAvailability?: boolean | SparkHighAvailabilityOptions;
  /** Metadata on every server. @default - only the library's spark:* keys */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * An Apache Spark standalone cluster on OpenStack: network, security groups, a master
 * (with the history server), worker pools added with `addWorkerPool`, Swift containers
 * with S3A credentials, and cloud-init that installs and starts Spark on every server.
 *
 * @example
 * const cluster = new SparkCluster(stack, 'analytics', {
 *   image: Image.fromName('ubuntu-24.04'),
 *   keyPair: KeyPair.fromPublicKey(readFileSync('id_ed25519.pub', 'utf8')),
 *   externalNetwork: ExternalNetwork.fromName('public'),
 *   master: { flavor: Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 }) },
 *   access: { webUiFrom: ['203.0.113.0/24'] },
 * });
 * cluster.addWorkerPool('general', { count: 8, flavor: Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }) });
 */
export class SparkCluster extends Construct {
  readonly clusterName: string;
  readonly sparkVersion: SparkVersion;
  readonly network: ISparkNetwork;
  /** The first master: the only one without `highAvailability`, else master 1 of several. */
  readonly master: SparkMaster;
  /** Every master, the first one first. */
  readonly masters: readonly SparkMaster[];
  /** The masters' fixed addresses, in order. */
  readonly masterIps: readonly string[];
  /** Members reach each other on every TCP port and ICMP through this group. */
  readonly internalSecurityGroup: SparkSecurityGroup;
  /** Ingress to the master from outside (UIs, submission, SSH). */
  readonly masterSecurityGroup: SparkSecurityGroup;
  /** Ingress to the workers from outside (worker UIs, SSH). */
  readonly workerSecurityGroup: SparkSecurityGroup;
  /** S3A access, when object storage is configured. */
  readonly objectStorage?: SparkObjectStorage;
  readonly eventLogContainer?: ISparkContainer;
  readonly dataContainer?: ISparkContainer;
  /** The Spark RPC authentication secret (sensitive; never put it in a plain output). */
  readonly authSecret: string;
  /** `spark://<master ip>:7077`; with standby masters `spark://<ip 1>:7077,<ip 2>:7077,...`. */
  readonly masterUrl: string;

  private readonly pools = new Map<string, SparkWorkerPool>();
  private readonly monitoring: MonitoringCapability;
  /** What the cluster has besides its core (Spark, RPC security, executors): each a module. */
  private readonly capabilities: ISparkCapability[] = [];
  private readonly bootstrap: SparkBootstrap;
  private readonly poolContext: SparkWorkerPoolContext;
  private readonly props: SparkClusterProps;

  constructor(scope: Construct, id: string, props: SparkClusterProps) {
    super(scope, id);
    this.props = props;
    const where = this.node.path;
    checkClusterPropShapes(where, props);
    this.clusterName = validateName(where, 'name', props.name ?? id);
    this.checkNameIsFree();
    this.sparkVersion = props.sparkVersion ?? SparkVersion.V3_5_7;
    // The master also carries spark:cluster, spark:role and spark:settings, and
    // spark:local-volume with a volume.
    validateMetadata(where, props.metadata, props.master?.volumeGiB === undefined ? 3 : 4);
    this.checkSparkConf(props.sparkConf ?? {});
    if (props.webUiTls) checkWebUiTls(where, props.webUiTls);
    this.checkSparkConfAgainstTls(props);

    if (props.network && (props.networkCidr || props.dnsNameservers)) {
      throw invalid(
        where,
        'networkCidr and dnsNameservers apply only to a new network',
        props.networkCidr ?? props.dnsNameservers,
        'Drop them, or drop network to let the cluster create one.',
      );
    }
    this.checkNetworkCidr(props.networkCidr);
    const masterCount = masterCountOf(where, props.highAvailability);
    if (props.network) this.checkMasterIpIsFree(props.network, masterCount);
    this.network =
      props.network ??
      new SparkNetwork(this, 'Network', {
        name: this.clusterName,
        cidr: props.networkCidr,
        dnsNameservers: props.dnsNameservers,
        externalNetwork: props.externalNetwork,
      });
    if (props.master.floatingIp && props.network && !props.network.externalNetwork) {
      throw missing(
        where,
        'master.floatingIp needs a router to an external network, and this existing network has none the library knows',
        'Drop floatingIp and attach a floating IP to cluster.master.portId yourself, or pass a SparkNetwork created with externalNetwork (and the same externalNetwork here).',
      );
    }
    if (props.master.floatingIp && !props.externalNetwork) {
      throw missing(
        where,
        'master.floatingIp needs externalNetwork',
        'Set externalNetwork (e.g. ExternalNetwork.fromName("public")) or drop floatingIp.',
      );
    }

    // Security groups: members talk freely among themselves; outside access only as asked.
    const security = new Construct(this, 'Security');
    this.internalSecurityGroup = new SparkSecurityGroup(security, 'Internal', {
      name: `${this.clusterName}-spark-internal`,
      description: `Spark cluster ${this.clusterName}: traffic between members`,
    });
    this.internalSecurityGroup.connections.allowInternally(
      Port.allTcp(),
      'Spark RPC, block transfers and UIs between cluster members',
    );
    this.internalSecurityGroup.connections.allowInternally(Port.icmp(), 'ICMP between cluster members');
    this.masterSecurityGroup = new SparkSecurityGroup(security, 'Master', {
      name: `${this.clusterName}-spark-master`,
      description: `Spark cluster ${this.clusterName}: access to the master from outside`,
    });
    this.workerSecurityGroup = new SparkSecurityGroup(security, 'Workers', {
      name: `${this.clusterName}-spark-workers`,
      description: `Spark cluster ${this.clusterName}: access to the workers from outside`,
    });
    // Validated before any capability creates resources: a bad list leaves nothing behind.
    const peers = (['sshFrom', 'webUiFrom', 'submitFrom', 'metricsFrom', 'exportersFrom'] as const).map(
      (list) => [list, this.peersOf(`access.${list}`, props.access?.[list])] as const,
    );

    this.masterIps = this.masterIpsFor(masterCount);

    this.authSecret = new GeneratedSecret(this, 'AuthSecret').value;
    const keyPairName = props.keyPair.bind(this, this.clusterName);

    // Each capability is one module that says what it adds; the cluster renders the sum.
    if (props.objectStorage) {
      const storage = new ObjectStorageCapability(this, {
        clusterName: this.clusterName,
        options: props.objectStorage,
        webUiPort: (http) => this.webUiPort(http),
        httpsNote: this.httpsNote,
      });
      this.objectStorage = storage.objectStorage;
      this.eventLogContainer = storage.eventLogContainer;
      this.dataContainer = storage.dataContainer;
      this.capabilities.push(storage);
    }
    if (props.webUiTls) this.capabilities.push(webUiTlsCapability(props.objectStorage !== undefined));
    const highAvailability = new HighAvailabilityCapability(this, {
      where,
      clusterName: this.clusterName,
      masterVolume: props.master.volumeGiB !== undefined,
      masterIps: this.masterIps,
    });
    this.capabilities.push(highAvailability);
    this.monitoring = new MonitoringCapability({
      where,
      clusterName: this.clusterName,
      masterIps: this.masterIps,
      options: props.monitoring,
      webUiTls: props.webUiTls !== undefined,
      masterVolume: props.master.volumeGiB !== undefined,
    });
    this.capabilities.push(this.monitoring);
    this.checkAccessNeeds(props);

    for (const [list, listPeers] of peers) for (const peer of listPeers) this.allowAccessFrom(list, peer);

    this.masterUrl = sparkMasterUrl(this.masterIps, MASTER_PORT);
    this.bootstrap = new SparkBootstrap({
      sparkVersion: this.sparkVersion,
      sparkMirrorUrl: props.sparkMirrorUrl,
      mavenRepositoryUrl: props.mavenRepositoryUrl,
      javaPackage: props.javaPackage,
      masterIp: this.masterIps[0],
      standbyMasterIps: this.masterIps.slice(1),
      trustedCaCertificates: props.trustedCaCertificates,
      webUiTls: props.webUiTls,
      where,
    });

    // The resolve context of the Lazy value being produced: user data sent compressed is
    // resolved before it is wrapped (see renderUserData).
    const renderMaster = (index: number, context: IResolveContext) => {
      if (this.pools.size === 0) throw missing(this.node.path, 'the cluster has no workers', NO_WORKERS_FIX);
      const ip = this.masterIps[index];
      return this.renderUserData(
        masterId(index),
        this.bootstrap.master({
          host: ip,
          localVolumeGiB: props.master.volumeGiB,
          sparkDefaults: this.sparkDefaults(),
          contributions: nodeContributions(this.capabilities, 'master', { index, ip }),
        }),
        context,
      );
    };
    const renderWorker = (pool: SparkWorkerPool, context: IResolveContext) =>
      this.renderUserData(
        `Workers/${pool.poolId}`,
        this.bootstrap.worker({
          sizing: pool.sizing,
          flavor: pool.flavor,
          localVolumeGiB: pool.localVolumeGiB,
          sparkDefaults: this.sparkDefaults(),
          contributions: nodeContributions(this.capabilities, 'worker'),
        }),
        context,
      );

    const userDataPolicy = props.userDataPolicy ?? UserDataChangePolicy.IGNORE;
    const configDrive = props.configDrive ?? true;
    this.masters = this.masterIps.map(
      (ip, index) =>
        new SparkMaster(this, masterId(index), {
          name: index === 0 ? `${this.clusterName}-master` : `${this.clusterName}-master-${index + 1}`,
          network: this.network,
          privateIp: ip,
          serverGroupId: highAvailability.serverGroupId,
          flavor: props.master.flavor,
          image: props.image,
          keyPairName,
          securityGroupIds: [this.internalSecurityGroup.groupId, this.masterSecurityGroup.groupId],
          // User data is rendered lazily, at synth: pools added later change the executor
          // defaults. Lazy values resolve for every stack before any stack is written, so an
          // error here leaves no half-written cdktf.out.
          userData: Lazy.stringValue({ produce: (context) => renderMaster(index, context) }),
          floatingIp: props.master.floatingIp,
          volumeGiB: props.master.volumeGiB,
          volumeType: props.master.volumeType,
          userDataPolicy,
          configDrive,
          metadata: {
            ...props.metadata,
            'spark:cluster': this.clusterName,
            'spark:role': 'master',
            [SETTINGS_METADATA_KEY]: this.settingsRecord((context) => renderMaster(index, context)),
          },
        }),
    );
    this.master = this.masters[0];

    this.poolContext = {
      clusterName: this.clusterName,
      network: this.network,
      defaultImage: props.image,
      keyPairName,
      securityGroupIds: [this.internalSecurityGroup.groupId, this.workerSecurityGroup.groupId],
      userDataPolicy,
      configDrive,
      userDataFor: (pool) => Lazy.stringValue({ produce: (context) => renderWorker(pool, context) }),
      settingsFor: (pool) => this.settingsRecord((context) => renderWorker(pool, context)),
    };

    this.node.addValidation({
      validate: () =>
        this.pools.size === 0 ? [`${this.node.path}: the cluster has no workers. ${NO_WORKERS_FIX}`] : [],
    });
  }

  /** Adds a pool of identical workers. Pool ids are part of server names and addresses: keep them stable. */
  addWorkerPool(id: string, options: SparkWorkerPoolOptions): SparkWorkerPool {
    if (this.pools.has(id)) {
      throw invalid(
        `${this.node.path}/Workers`,
        'a worker pool with this id already exists',
        id,
        "Give each pool its own id, or change the existing pool's count.",
      );
    }
    requireObject(
      `${this.node.path}/Workers/${id}`,
      'options',
      options,
      'Pass { count: 2, flavor: Flavor.of({ ... }) }.',
    );
    this.checkCapacity(id, options);
    const workers = (this.node.tryFindChild('Workers') as Construct | undefined) ?? new Construct(this, 'Workers');
    const pool = new SparkWorkerPool(workers, id, { ...options, cluster: this.poolContext });
    this.pools.set(id, pool);
    return pool;
  }

  /** The pools added so far. */
  get workerPools(): SparkWorkerPool[] {
    return [...this.pools.values()];
  }

  /** Allows SSH (22) from `peer` to every node. */
  allowSshFrom(peer: Peer): void {
    this.allowAccessFrom('sshFrom', peer);
  }

  /**
   * Allows the web UIs (master, history server, application UIs, worker UIs) from `peer`:
   * their HTTPS ports with `webUiTls`, else their HTTP ports.
   */
  allowWebUiFrom(peer: Peer): void {
    this.allowAccessFrom('webUiFrom', peer);
  }

  /** Allows application submission to the master (7077, and 6066 when REST is enabled) from `peer`. */
  allowSubmitFrom(peer: Peer): void {
    this.allowAccessFrom('submitFrom', peer);
  }

  /** Opens to `peer` every port that the core or a capability serves to the peers of `list`. */
  private allowAccessFrom(list: SparkAccessList, peer: Peer): void {
    const rules = [...this.coreIngress(), ...this.capabilities.flatMap((c) => c.ingress?.() ?? [])];
    for (const rule of rules.filter((r) => r.access === list)) {
      const group = rule.role === 'master' ? this.masterSecurityGroup : this.workerSecurityGroup;
      group.connections.allowFrom(peer, rule.port, rule.description);
    }
  }

  /** The ports of the cluster's core: SSH, the master's and workers' UIs, application UIs, submission. */
  private coreIngress(): SparkIngressContribution[] {
    const port = (http: number) => this.webUiPort(http);
    const https = this.httpsNote;
    const rules: SparkIngressContribution[] = [
      { access: 'sshFrom', role: 'master', port: Port.tcp(22), description: 'SSH to the Spark master' },
      { access: 'sshFrom', role: 'worker', port: Port.tcp(22), description: 'SSH to Spark workers' },
      {
        access: 'webUiFrom',
        role: 'master',
        port: Port.tcp(port(MASTER_UI_PORT)),
        description: `Spark master web UI${https}`,
      },
      {
        access: 'webUiFrom',
        role: 'master',
        port: Port.tcpRange(port(APP_UI_PORTS.from), port(APP_UI_PORTS.to)),
        description: `Spark application UIs of drivers on the master${https}`,
      },
      {
        access: 'webUiFrom',
        role: 'worker',
        port: Port.tcp(port(WORKER_UI_PORT)),
        description: `Spark worker web UI${https}`,
      },
      {
        access: 'submitFrom',
        role: 'master',
        port: Port.tcp(MASTER_PORT),
        description: 'Spark master (application submission)',
      },
    ];
    if (this.props.enableRestSubmission) {
      rules.push({
        access: 'submitFrom',
        role: 'master',
        port: Port.tcp(MASTER_REST_PORT),
        description: 'Spark master REST submission',
      });
    }
    return rules;
  }

  /** What rule descriptions of UI ports add: ' (HTTPS)' with `webUiTls`. */
  private get httpsNote(): string {
    return this.props.webUiTls ? ' (HTTPS)' : '';
  }

  /** Executor defaults of the whole cluster: the smallest of every pool's, so they fit anywhere. */
  get executorDefaults(): ExecutorDefaults {
    return clusterExecutorDefaults(this.workerPools.map((p) => p.sizing));
  }

  /** The first master's address as users reach it: the floating IP if any, else the private one. */
  get masterAddress(): string {
    return addressOf(this.master);
  }

  /**
   * The first master's UI, `http://<master>:8080` (`https://<master>:8480` with `webUiTls`).
   * With standby masters it may be a standby's: `masterWebUiUrls` has every master's.
   */
  get masterWebUiUrl(): string {
    return this.webUiUrl(MASTER_UI_PORT);
  }

  /** Every master's web UI, the first master's first; one of them is ALIVE. */
  get masterWebUiUrls(): string[] {
    return this.masters.map((m) => this.webUiUrl(MASTER_UI_PORT, addressOf(m)));
  }

  /**
   * `http://<master>:18080` (`https://<master>:18480` with `webUiTls`), when object storage
   * (and so the history server) is configured.
   */
  get historyServerUrl(): string | undefined {
    return this.objectStorage ? this.webUiUrl(HISTORY_UI_PORT) : undefined;
  }

  /** spark-defaults.conf shared by every node (values may be Terraform references). */
  sparkDefaults(): Record<string, string> {
    const conf: Record<string, string> = {
      'spark.master': this.masterUrl,
      'spark.authenticate': 'true',
      'spark.authenticate.secret': this.authSecret,
      'spark.master.rest.enabled': String(this.props.enableRestSubmission ?? false),
      'spark.master.rest.port': String(MASTER_REST_PORT),
    };
    if (this.props.rpcEncryption ?? true) {
      Object.assign(conf, {
        'spark.network.crypto.enabled': 'true',
        'spark.network.crypto.authEngineVersion': '2',
      });
    }
    if (this.pools.size > 0) {
      const executor = this.executorDefaults;
      conf['spark.executor.cores'] = String(executor.executorCores);
      conf['spark.executor.memory'] = `${executor.executorMemoryMiB}m`;
      conf['spark.executor.memoryOverhead'] = `${executor.executorOverheadMiB}m`;
    }
    for (const capability of this.capabilities) Object.assign(conf, capability.sparkDefaults?.());
    return { ...conf, ...this.props.sparkConf };
  }

  /**
   * The `spark:settings` record of a node whose user data `render` produces (lazy): what the
   * plan review compares to tell which running servers miss a change (see settings-record.ts).
   */
  private settingsRecord(render: (context: IResolveContext) => string): string {
    return Lazy.stringValue({
      produce: (context) => {
        const resolved = (value: unknown) => {
          const out = context.resolve(value);
          return typeof out === 'string' ? out : JSON.stringify(out);
        };
        // Rendering first: it throws the clear error for a cluster without workers.
        const userData = digest(resolved(render(context)));
        const executor = this.executorDefaults;
        const storage = this.objectStorage;
        const conf = this.props.sparkConf ?? {};
        return formatSettingsRecord({
          master: masterRecord(resolved(this.masterIps)),
          executor: plainOrDigest(
            resolved(`${executor.executorCores}/${executor.executorMemoryMiB}m/${executor.executorOverheadMiB}m`),
          ),
          objectStorage: storage
            ? digest(
                resolved([
                  storage.s3Endpoint,
                  storage.s3Region,
                  storage.eventLogDir,
                  this.dataContainer?.containerName,
                  // Containers the cluster makes are named after it; their references do not say so.
                  this.clusterName,
                ]),
              )
            : 'off',
          webUiTls: this.props.webUiTls ? digest(resolved(this.props.webUiTls.certificateChainPem)) : 'off',
          sparkVersion: plainOrDigest(this.sparkVersion.version),
          sparkConf:
            Object.keys(conf).length === 0
              ? 'none'
              : digest(
                  resolved(
                    Object.keys(conf)
                      .sort()
                      .map((k) => [k, conf[k]]),
                  ),
                ),
          userData,
        });
      },
    });
  }

  /**
   * `http://<master>:9090` (`https://` with `webUiTls`) when the cluster runs Prometheus
   * (`monitoring.prometheus`).
   */
  get prometheusUrl(): string | undefined {
    if (!this.monitoring.prometheus) return undefined;
    return `${this.props.webUiTls ? 'https' : 'http'}://${this.masterAddress}:${PROMETHEUS_PORT}`;
  }

  /** An access list that opens a service the cluster does not run is a mistake: say so. */
  private checkAccessNeeds(props: SparkClusterProps): void {
    if ((props.access?.metricsFrom ?? []).length > 0 && !this.monitoring.prometheus) {
      throw invalid(
        `${this.node.path}: access.metricsFrom`,
        'opens Prometheus, which this cluster does not run',
        props.access?.metricsFrom,
        'Set monitoring: { prometheus: true }, or use access.exportersFrom for a Prometheus of your own.',
      );
    }
    if ((props.access?.exportersFrom ?? []).length > 0 && !this.monitoring.metrics) {
      throw invalid(
        `${this.node.path}: access.exportersFrom`,
        'opens the node exporters, which monitoring.metrics: false turns off',
        props.access?.exportersFrom,
        'Drop metrics: false, or drop exportersFrom.',
      );
    }
  }

  /** The port a UI is reached on from outside: its HTTPS port with `webUiTls`. */
  private webUiPort(httpPort: number): number {
    return this.props.webUiTls ? webUiTlsPort(httpPort) : httpPort;
  }

  private webUiUrl(httpPort: number, address = this.masterAddress): string {
    const scheme = this.props.webUiTls ? 'https' : 'http';
    return `${scheme}://${address}:${this.webUiPort(httpPort)}`;
  }

  /**
   * Bytes to count for values Terraform fills in that can be longer than the 64 that
   * estimateUserDataBytes counts for each reference: a TLS key or chain from a variable,
   * base64-encoded, at the size of an RSA-4096 key and a three-certificate chain.
   */
  private userDataAllowance(): number {
    const tls = this.props.webUiTls;
    if (!tls) return 0;
    return (isUnresolved(tls.privateKeyPem) ? 4600 : 0) + (isUnresolved(tls.certificateChainPem) ? 9000 : 0);
  }

  /**
   * Renders a node's cloud-config for Terraform. Over Nova's user-data limit it is sent
   * gzip-compressed (cloud-init decompresses it); over the limit even so, it is refused.
   */
  private renderUserData(node: string, config: CloudConfig, context: IResolveContext): string {
    const text = config.render();
    const size = estimateUserDataBytes(text, this.userDataAllowance());
    if (size.base64Bytes <= NOVA_USER_DATA_LIMIT) return escapeTerraformTemplate(text);
    const compressed = estimateGzipUserDataBytes(text, this.userDataAllowance());
    if (compressed > NOVA_USER_DATA_LIMIT) {
      throw invalid(
        `${this.node.path}/${node}`,
        `user data is ${size.base64Bytes} bytes in base64 (about ${compressed} gzip-compressed), over Nova's limit of ${NOVA_USER_DATA_LIMIT}`,
        size.rawBytes,
        'Shorten sparkConf, or host large files in Swift and fetch them at boot.',
      );
    }
    // Resolved here: cdktf would render function tokens nested in the expression without `${}`.
    const resolved = context.resolve(escapeTerraformTemplate(text)) as unknown;
    if (typeof resolved !== 'string') throw new Error(`${this.node.path}/${node}: user data did not resolve to text`);
    return base64GzipExpression(resolved);
  }

  /** Peers of one access list; refuses blocks that alone or together cover the internet. */
  private peersOf(field: string, cidrs: readonly string[] | undefined): Peer[] {
    const where = `${this.node.path}: ${field}`;
    const anyFix =
      'List the networks that need access; to open a port to everyone on purpose, call e.g. cluster.allowWebUiFrom(Peer.anyIpv4()).';
    const known = (cidrs ?? []).filter((c) => !isUnresolved(c));
    const blocks = known.map((cidr) => checkRuleCidr(where, cidr, undefined, anyFix));
    for (const version of [4, 6] as const) {
      if (coversInternet(blocks, version)) {
        throw invalid(where, `these blocks together cover every public IPv${version} address`, known, anyFix);
      }
    }
    return (cidrs ?? []).map((cidr) => Peer.cidr(cidr));
  }

  /** Two clusters of one name in one stack would share key pair, container and group names. */
  private checkNameIsFree(): void {
    const stack = TerraformStack.of(this);
    for (const other of stack.node.findAll()) {
      if (other !== this && other instanceof SparkCluster && other.clusterName === this.clusterName) {
        throw invalid(
          this.node.path,
          `name is already the name of ${other.node.path} in this stack (key pair and container names would collide)`,
          this.clusterName,
          'Give each cluster its own name.',
        );
      }
    }
  }

  /** Two clusters on one subnet cannot both give a master the same fixed address. */
  private checkMasterIpIsFree(network: ISparkNetwork, masterCount: number): void {
    const mine = [network.masterIp, ...(network.standbyMasterIps ?? [])].slice(0, masterCount);
    for (const other of TerraformStack.of(this).node.findAll()) {
      if (other === this || !(other instanceof SparkCluster) || other.network?.subnetId !== network.subnetId) continue;
      const taken = mine.find((ip) => !isUnresolved(ip) && other.masterIps.includes(ip));
      if (taken !== undefined) {
        throw invalid(
          `${this.node.path}: network`,
          `${taken} is already a master address of ${other.node.path} on this subnet`,
          taken,
          'Adopt the subnet once per cluster with SparkNetwork.fromAttributes, each with its own free masterIp (and standbyMasterIps).',
        );
      }
    }
  }

  /** The masters' addresses: the network's master address, then its standby addresses. */
  private masterIpsFor(count: number): string[] {
    const standby = this.network.standbyMasterIps ?? [];
    if (standby.length < count - 1) {
      const own = this.network instanceof SparkNetwork && this.node.tryFindChild('Network') === this.network;
      throw invalid(
        `${this.node.path}: highAvailability`,
        `${count} masters need ${count - 1} standby master addresses, and the network has ${standby.length}`,
        standby,
        own
          ? 'Leave room after the master address: a lower masterHostNumber, or an allocationPool that starts later.'
          : 'Give SparkNetwork.fromAttributes standbyMasterIps: free addresses outside the allocation pool.',
      );
    }
    return [this.network.masterIp, ...standby.slice(0, count - 1)];
  }

  /** The cluster's own network check, so the fix names the props SparkCluster has. */
  private checkNetworkCidr(cidr: string | undefined): void {
    if (cidr === undefined || isUnresolved(cidr)) return;
    const block = parseIpv4Cidr(cidr);
    if (block && block.prefix > 27) {
      throw invalid(
        `${this.node.path}: networkCidr`,
        `a /${block.prefix} leaves no room for DHCP after the master and the reserved first addresses`,
        cidr,
        `Use a /27 or larger block, e.g. ${formatIpv4(block.network - (block.network % 32))}/27.`,
      );
    }
  }

  /** Refuses a pool when the cluster's workers would not fit the subnet's DHCP range. */
  private checkCapacity(poolId: string, options: SparkWorkerPoolOptions): void {
    const capacity = this.network.workerCapacity;
    const count = options?.count;
    // A count the pool itself refuses gets the pool's message instead.
    if (capacity === undefined || !Number.isInteger(count) || count < 1 || count > MAX_WORKERS_PER_POOL) return;
    const before = this.workerPools.reduce((sum, p) => sum + p.count, 0);
    if (before + count <= capacity) return;
    const own = this.network instanceof SparkNetwork && this.node.tryFindChild('Network') === this.network;
    const needed = before + count;
    // FIRST_DHCP_HOST (20) reserved addresses, the DHCP port, the broadcast address.
    const prefix = Math.min(27, 32 - Math.ceil(Math.log2(needed + 22)));
    throw invalid(
      `${this.node.path}/Workers/${poolId}`,
      `${needed} workers in all, but the subnet ${this.network.cidr} has addresses for ${capacity}`,
      count,
      own
        ? `Use a larger networkCidr, e.g. a /${prefix}, or fewer workers.`
        : 'Use fewer workers, or a subnet with a larger allocation pool.',
    );
  }

  /** With webUiTls the library owns the UIs' TLS settings: ports and rules must agree. */
  private checkSparkConfAgainstTls(props: SparkClusterProps): void {
    if (!props.webUiTls) return;
    const owned = webUiTlsNamespaces(true).map((ns) => `spark.ssl.${ns}.`);
    for (const key of Object.keys(props.sparkConf ?? {})) {
      if (key === 'spark.ssl.enabled' || owned.some((prefix) => key.startsWith(prefix))) {
        throw invalid(
          `${this.node.path}: sparkConf`,
          "webUiTls sets the web UIs' TLS settings itself",
          key,
          'Drop the key from sparkConf, or drop webUiTls and configure spark.ssl.* yourself.',
        );
      }
    }
  }

  private checkSparkConf(conf: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(conf)) {
      if (!/^spark\.[A-Za-z0-9._-]+$/.test(key)) {
        throw invalid(
          `${this.node.path}: sparkConf`,
          'keys must be Spark properties (spark.*)',
          key,
          'Use a key such as spark.sql.shuffle.partitions.',
        );
      }
      checkOwnedSparkKey(this.node.path, key, this.props.objectStorage !== undefined);
      if (typeof value !== 'string' || (!Token.isUnresolved(value) && hasControlCharacters(value))) {
        throw invalid(
          `${this.node.path}: sparkConf ${key}`,
          'values must be one line of text',
          value,
          'Remove newlines and control characters.',
        );
      }
    }
  }
}

/** A master's address as users reach it: its floating IP if any, else its private one. */
function addressOf(master: SparkMaster): string {
  return master.publicIp ?? master.privateIp;
}

/** The settings record's `master` part: the addresses, plain while they fit, else a digest. */
function masterRecord(resolvedIps: string): string {
  const ips = JSON.parse(resolvedIps) as string[];
  const plain = ips.join(',');
  return /^[0-9.,]{1,111}$/.test(plain) ? plain : plainOrDigest(plain);
}
