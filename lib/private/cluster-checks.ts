/**
 * Checks of SparkClusterProps that plain JavaScript (or `as any`) can get past the types:
 * missing required props, strings where a class is expected, strings where a list is.
 */
import type { SparkClusterProps } from '../cluster';
import { ExternalNetwork } from '../external-network';
import { Flavor } from '../flavor';
import { Image } from '../image';
import { KeyPair } from '../key-pair';
import { UserDataChangePolicy } from '../server-options';
import { SparkVersion } from '../spark-version';
import { invalid, isUnresolved } from './errors';
import { optionalBoolean, optionalInstance, optionalStringList, requireInstance, requireObject } from './inputs';

const CIDR_LIST_FIX = "Give a list, e.g. ['203.0.113.0/24'].";

/** Throws a SparkConfigError for the first prop that is missing or of the wrong kind. */
export function checkClusterPropShapes(where: string, props: SparkClusterProps): void {
  requireObject(where, 'props', props, 'Pass { image, keyPair, master: { flavor } }.');
  requireInstance(where, 'image', props.image, Image, "Use Image.fromName('ubuntu-24.04').");
  requireInstance(where, 'keyPair', props.keyPair, KeyPair, 'Use KeyPair.fromPublicKey(...) or KeyPair.fromName(...).');
  requireObject(where, 'master', props.master, 'Pass master: { flavor: Flavor.of({ ... }) }.');
  requireInstance(
    where,
    'master.flavor',
    props.master.flavor,
    Flavor,
    "Use Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 }).",
  );
  optionalBoolean(where, 'master.floatingIp', props.master.floatingIp);
  optionalInstance(
    where,
    'sparkVersion',
    props.sparkVersion,
    SparkVersion,
    'Use SparkVersion.V3_5_7 or SparkVersion.of(...).',
  );
  optionalInstance(
    where,
    'externalNetwork',
    props.externalNetwork,
    ExternalNetwork,
    "Use ExternalNetwork.fromName('public').",
  );
  optionalInstance(
    where,
    'userDataPolicy',
    props.userDataPolicy,
    UserDataChangePolicy,
    'Use UserDataChangePolicy.IGNORE or UserDataChangePolicy.REPLACE.',
  );
  for (const field of ['enableRestSubmission', 'rpcEncryption', 'configDrive'] as const) {
    optionalBoolean(where, field, props[field]);
  }
  if (props.network !== undefined) {
    const network = props.network as unknown as Record<string, unknown>;
    const fields = ['networkId', 'subnetId', 'cidr', 'masterIp'];
    if (typeof network !== 'object' || network === null || fields.some((f) => typeof network[f] !== 'string')) {
      throw invalid(
        where,
        'network must be a SparkNetwork or SparkNetwork.fromAttributes(...)',
        props.network,
        'Adopt an existing network with SparkNetwork.fromAttributes(scope, id, { networkId, subnetId, cidr, masterIp }).',
      );
    }
    if (props.externalNetwork !== undefined && props.network.externalNetwork !== props.externalNetwork) {
      throw invalid(
        where,
        'externalNetwork applies only to a network the cluster creates (it makes the router); an existing network keeps its own routing',
        props.externalNetwork.name,
        'Drop externalNetwork, or drop network to let the cluster create one with a router.',
      );
    }
  }
  if (props.access !== undefined) {
    requireObject(where, 'access', props.access, 'Pass access: { sshFrom: [...], webUiFrom: [...] }.');
    for (const field of ['sshFrom', 'webUiFrom', 'submitFrom', 'metricsFrom', 'exportersFrom'] as const) {
      optionalStringList(where, `access.${field}`, props.access[field], CIDR_LIST_FIX);
    }
  }
  optionalStringList(where, 'dnsNameservers', props.dnsNameservers, "Give a list, e.g. ['9.9.9.9'].");
  if (!isUnresolved(props.trustedCaCertificates)) {
    optionalStringList(where, 'trustedCaCertificates', props.trustedCaCertificates, 'Give a list of PEM texts.');
  }
  if (props.objectStorage !== undefined) {
    requireObject(where, 'objectStorage', props.objectStorage, "Pass objectStorage: { s3Endpoint: 'https://...' }.");
    optionalBoolean(where, 'objectStorage.forceDestroy', props.objectStorage.forceDestroy);
    for (const field of ['eventLogContainer', 'dataContainer'] as const) {
      const container = props.objectStorage[field] as { containerName?: unknown } | undefined;
      if (container !== undefined && (typeof container !== 'object' || typeof container?.containerName !== 'string')) {
        throw invalid(
          where,
          `objectStorage.${field} must be a SparkContainer or SparkContainer.fromName(...)`,
          container,
          "Use SparkContainer.fromName('my-bucket').",
        );
      }
    }
  }
  if (props.webUiTls !== undefined) {
    requireObject(where, 'webUiTls', props.webUiTls, 'Pass webUiTls: { certificateChainPem, privateKeyPem }.');
  }
  if (
    props.sparkConf !== undefined &&
    (typeof props.sparkConf !== 'object' || props.sparkConf === null || Array.isArray(props.sparkConf))
  ) {
    throw invalid(
      where,
      'sparkConf must be an object of Spark properties',
      props.sparkConf,
      "Use e.g. { 'spark.sql.shuffle.partitions': '64' }.",
    );
  }
}

/**
 * Spark properties the library sets for security or topology, with what to do instead.
 * A user value would silently win over the library's (sparkConf is merged last).
 */
const OWNED_SPARK_KEYS: readonly {
  readonly matches: (key: string) => boolean;
  readonly why: string;
  readonly fix: string;
}[] = [
  {
    matches: (k) => k === 'spark.master',
    why: 'the library points every node at its own master',
    fix: 'Drop the key; submit to cluster.masterUrl.',
  },
  {
    matches: (k) => k === 'spark.authenticate' || k.startsWith('spark.authenticate.secret'),
    why: 'the library turns RPC authentication on with the secret it generates',
    fix: 'Drop the key; authentication stays on, with cluster.authSecret.',
  },
  {
    matches: (k) => k.startsWith('spark.master.rest.'),
    why: 'REST submission ignores spark.authenticate (CVE-2018-11770), so only enableRestSubmission turns it on',
    fix: 'Drop the key, and set enableRestSubmission: true if you need REST submission.',
  },
  {
    matches: (k) => k === 'spark.network.crypto.enabled',
    why: 'rpcEncryption decides RPC encryption',
    fix: 'Drop the key and set rpcEncryption: true or false.',
  },
  {
    matches: (k) =>
      k === 'spark.deploy.recoveryMode' ||
      k.startsWith('spark.deploy.zookeeper.') ||
      k === 'spark.deploy.recoveryDirectory',
    why: "the masters' recovery follows highAvailability (ZooKeeper) and master.volumeGiB (a directory on the volume)",
    fix: 'Drop the key; set highAvailability for standby masters, or master.volumeGiB for a single master that recovers its state.',
  },
  {
    matches: (k) => k === 'spark.network.crypto.authEngineVersion',
    why: 'the library pins auth engine version 2 (version 1 is weaker)',
    fix: 'Drop the key.',
  },
];

/** With objectStorage, the library owns S3A's endpoint and credentials (its EC2 credential). */
const S3A_KEYS = ['endpoint', 'endpoint.region', 'access.key', 'secret.key', 'aws.credentials.provider'].map(
  (k) => `spark.hadoop.fs.s3a.${k}`,
);

/** Refuses a sparkConf key the library owns. */
export function checkOwnedSparkKey(where: string, key: string, objectStorage: boolean): void {
  const owned = OWNED_SPARK_KEYS.find((o) => o.matches(key));
  if (owned) throw invalid(`${where}: sparkConf`, `this key is the library's: ${owned.why}`, key, owned.fix);
  if (objectStorage && S3A_KEYS.includes(key)) {
    throw invalid(
      `${where}: sparkConf`,
      "this key is the library's with objectStorage: S3A uses the cluster's EC2 credential and s3Endpoint",
      key,
      'Drop the key (objectStorage.s3Endpoint and s3Region set the endpoint), or drop objectStorage to configure S3A yourself.',
    );
  }
}
