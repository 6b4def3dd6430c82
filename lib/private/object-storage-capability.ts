import { Construct } from 'constructs';
import { HISTORY_UI_PORT, historyServerContribution } from '../bootstrap';
import {
  ISparkCapability,
  SparkIngressContribution,
  SparkMasterNode,
  SparkNodeContribution,
  SparkNodeRole,
} from '../capability';
import type { SparkObjectStorageOptions } from '../cluster';
import { ISparkContainer, SparkContainer, SparkObjectStorage } from '../object-storage';
import { Port } from '../security';

/** What the object-storage capability needs from its cluster. */
export interface ObjectStorageCapabilityProps {
  readonly clusterName: string;
  readonly options: SparkObjectStorageOptions;
  /** The port a UI is reached on from outside (its HTTPS port with webUiTls). */
  readonly webUiPort: (httpPort: number) => number;
  /** ' (HTTPS)' with webUiTls, else ''. */
  readonly httpsNote: string;
}

/**
 * Object storage: the cluster's Swift containers (unless adopted), the EC2 credential S3A
 * signs with, event logs, and the history server on the master that reads them.
 */
export class ObjectStorageCapability implements ISparkCapability {
  readonly objectStorage: SparkObjectStorage;
  readonly eventLogContainer: ISparkContainer;
  readonly dataContainer: ISparkContainer;

  /** Creates the resources in `cluster`'s scope, under `Storage` (ids are API: keep them). */
  constructor(
    cluster: Construct,
    private readonly props: ObjectStorageCapabilityProps,
  ) {
    const { options, clusterName } = props;
    const storage = new Construct(cluster, 'Storage');
    const forceDestroy = options.forceDestroy ?? false;
    this.eventLogContainer =
      options.eventLogContainer ??
      new SparkContainer(storage, 'EventLogs', { name: `${clusterName}-spark-events`, forceDestroy });
    this.dataContainer =
      options.dataContainer ?? new SparkContainer(storage, 'Data', { name: `${clusterName}-spark-data`, forceDestroy });
    this.objectStorage = new SparkObjectStorage(storage, 'S3', {
      s3Endpoint: options.s3Endpoint,
      s3Region: options.s3Region,
      eventLogContainer: this.eventLogContainer,
    });
  }

  sparkDefaults(): Record<string, string> {
    const storage = this.objectStorage;
    return {
      'spark.eventLog.enabled': 'true',
      'spark.eventLog.dir': storage.eventLogDir,
      'spark.history.fs.logDirectory': storage.eventLogDir,
      'spark.history.ui.port': String(HISTORY_UI_PORT),
      'spark.hadoop.fs.s3a.endpoint': storage.s3Endpoint,
      'spark.hadoop.fs.s3a.endpoint.region': storage.s3Region,
      'spark.hadoop.fs.s3a.path.style.access': 'true',
      'spark.hadoop.fs.s3a.connection.ssl.enabled': String(storage.s3Endpoint.startsWith('https://')),
      'spark.hadoop.fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider',
      'spark.hadoop.fs.s3a.access.key': storage.accessKey,
      'spark.hadoop.fs.s3a.secret.key': storage.secretKey,
    };
  }

  ingress(): SparkIngressContribution[] {
    return [
      {
        access: 'webUiFrom',
        role: 'master',
        port: Port.tcp(this.props.webUiPort(HISTORY_UI_PORT)),
        description: `Spark history server UI${this.props.httpsNote}`,
      },
    ];
  }

  /**
   * The history server runs on the first master only: one is enough, and it reads the event
   * logs from Swift whichever master is active.
   */
  node(role: SparkNodeRole, master?: SparkMasterNode): SparkNodeContribution {
    return role === 'master' && (master?.index ?? 0) === 0 ? historyServerContribution() : {};
  }
}
