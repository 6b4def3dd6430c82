import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { IdentityEc2CredentialV3 } from '../.gen/providers/openstack/identity-ec2-credential-v3';
import { ObjectstorageContainerV1 } from '../.gen/providers/openstack/objectstorage-container-v1';
import { ObjectstorageObjectV1 } from '../.gen/providers/openstack/objectstorage-object-v1';
import { invalid, isUnresolved } from './private/errors';

/** A Swift container Spark reads and writes as `s3a://<name>/...`. */
export interface ISparkContainer {
  readonly containerName: string;
}

/** Props of a new SparkContainer. */
export interface SparkContainerProps {
  /** The container's name; also the S3 bucket name, so 3-63 lower-case letters, digits, dots, dashes. */
  readonly name: string;
  /**
   * Delete every object in the container when the container is destroyed.
   * @default false - `destroy` fails while the container holds data
   */
  readonly forceDestroy?: boolean;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function checkBucketName(where: string, name: string): void {
  if (isUnresolved(name)) return;
  // S3 also refuses names that look like an IPv4 address.
  if (typeof name !== 'string' || !BUCKET_NAME.test(name) || name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
    throw invalid(
      where,
      'name must be a valid S3 bucket name (3-63 lower-case letters, digits, dots, dashes)',
      name,
      'Use a name such as analytics-spark-data.',
    );
  }
}

/** A Swift container for data or event logs, or an existing one adopted by name. */
export class SparkContainer extends Construct implements ISparkContainer {
  /** An existing container; nothing is created or destroyed. */
  static fromName(name: string): ISparkContainer {
    checkBucketName('SparkContainer.fromName', name);
    return { containerName: name };
  }

  readonly containerName: string;

  constructor(scope: Construct, id: string, props: SparkContainerProps) {
    super(scope, id);
    checkBucketName(this.node.path, props.name);
    const container = new ObjectstorageContainerV1(this, 'Container', {
      name: props.name,
      forceDestroy: props.forceDestroy ?? false,
    });
    this.containerName = container.name;
  }
}

/** Where the cluster's S3A traffic goes. */
export interface SparkObjectStorageProps {
  /** The cloud's S3-compatible endpoint (Swift s3api or Ceph RGW), e.g. `https://object.example.com`. */
  readonly s3Endpoint: string;
  /**
   * Region name the S3 client signs requests for.
   * @default 'us-east-1' - what Swift s3api and RGW accept unless configured otherwise
   */
  readonly s3Region?: string;
  /** Container for Spark event logs (read by the history server). */
  readonly eventLogContainer: ISparkContainer;
}

/** Prefix of the event logs inside the event-log container. */
export const EVENT_LOG_PREFIX = 'spark-events';

/** What the event-log directory's marker object holds. */
export const EVENT_LOG_MARKER_CONTENT = 'Spark event logs of this cluster; the history server reads this prefix.\n';

/**
 * S3A access for a cluster: a Keystone EC2 credential for the deploying user and project,
 * and the event-log directory. The credential's secret stays in Terraform state and in the
 * nodes' Spark configuration; it is never an output.
 */
export class SparkObjectStorage extends Construct {
  readonly s3Endpoint: string;
  readonly s3Region: string;
  /** EC2 access key (not secret by itself). */
  readonly accessKey: string;
  /** EC2 secret key: a sensitive value. */
  readonly secretKey: string;
  /** `s3a://<container>/spark-events/` */
  readonly eventLogDir: string;

  constructor(scope: Construct, id: string, props: SparkObjectStorageProps) {
    super(scope, id);
    const where = this.node.path;
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(props.s3Endpoint)) {
      throw invalid(
        where,
        's3Endpoint must be an http(s) URL of a host (and port), without a path',
        props.s3Endpoint,
        "Use the endpoint of your cloud's S3 API, e.g. https://object.example.com.",
      );
    }
    this.s3Region = props.s3Region ?? 'us-east-1';
    if (typeof this.s3Region !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(this.s3Region)) {
      throw invalid(
        where,
        's3Region must be a region name',
        this.s3Region,
        'Use a name such as us-east-1 or RegionOne.',
      );
    }
    this.s3Endpoint = props.s3Endpoint.replace(/\/$/, '');
    const credential = new IdentityEc2CredentialV3(this, 'Ec2Credential', {});
    this.accessKey = credential.access;
    this.secretKey = Fn.sensitive(credential.secret);
    // S3A treats a prefix with an object in it as an existing directory; the history server
    // refuses to start on a log directory that does not exist. The content must not be empty:
    // the provider takes `content = ""` for "no content given" and refuses to create the object.
    // The history server skips names that start with a dot.
    new ObjectstorageObjectV1(this, 'EventLogDir', {
      containerName: props.eventLogContainer.containerName,
      name: `${EVENT_LOG_PREFIX}/.keep`,
      content: EVENT_LOG_MARKER_CONTENT,
      contentType: 'text/plain',
    });
    this.eventLogDir = `s3a://${props.eventLogContainer.containerName}/${EVENT_LOG_PREFIX}/`;
  }
}
