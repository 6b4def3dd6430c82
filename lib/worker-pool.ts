import { Fn, propertyAccess, TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';
import { BlockstorageVolumeV3 } from '../.gen/providers/openstack/blockstorage-volume-v3';
import { ComputeInstanceV2 } from '../.gen/providers/openstack/compute-instance-v2';
import { ComputeServergroupV2 } from '../.gen/providers/openstack/compute-servergroup-v2';
import { ComputeVolumeAttachV2 } from '../.gen/providers/openstack/compute-volume-attach-v2';
import { NetworkingPortV2 } from '../.gen/providers/openstack/networking-port-v2';
import { sizeWorker, WorkerSizing } from './executor-sizing';
import { Flavor } from './flavor';
import { Image } from './image';
import { ISparkNetwork } from './network';
import { invalid } from './private/errors';
import {
  checkCloudName,
  checkVolumeGiB,
  optionalBoolean,
  optionalInstance,
  requireInstance,
  requireObject,
} from './private/inputs';
import { LOCAL_VOLUME_METADATA_KEY, validateName } from './private/names';
import { SETTINGS_METADATA_KEY } from './private/settings-record';
import { Placement, UserDataChangePolicy, validateMetadata } from './server-options';

/** The largest pool the library accepts; split bigger clusters into several pools. */
export const MAX_WORKERS_PER_POOL = 1000;

/**
 * The worker metadata key holding the ID of the worker's local volume: the bootstrap reads it
 * at boot (from cloud-init's instance data) to find the volume's disk by its serial.
 */

/** Nova's default `server_group_members` quota: how many servers one server group may hold. */
export const DEFAULT_SERVER_GROUP_MEMBERS = 10;

/** The fix for a count out of range: what to do depends on how it is wrong. */
function countFix(count: unknown): string {
  if (typeof count !== 'number') return 'Give a number, e.g. count: 3.';
  if (!Number.isFinite(count))
    return 'Give a finite number, e.g. count: 3 (NaN often comes from parsing an unset variable).';
  if (count < 1) return 'Remove the pool or set count: 1.';
  if (count > MAX_WORKERS_PER_POOL) return 'Split the workers over several pools.';
  return `Use a whole number, e.g. count: ${Math.max(1, Math.round(count))}.`;
}

/** Options of `cluster.addWorkerPool(id, options)`. */
export interface SparkWorkerPoolOptions {
  /** Number of workers, 1 to 1000. Scaling adds or removes only the last workers. */
  readonly count: number;
  /** The workers' flavor; executor sizing follows from it. */
  readonly flavor: Flavor;
  /**
   * Image of this pool's workers.
   * @default - the cluster's image
   */
  readonly image?: Image;
  /**
   * How Nova spreads the pool's workers over hypervisors.
   * @default Placement.SOFT_ANTI_AFFINITY
   */
  readonly placement?: Placement;
  /**
   * How many workers one server group holds: your cloud's `server_group_members` quota.
   * A pool with more workers gets one group per this many (`<cluster>-<pool>`,
   * `<cluster>-<pool>-2`, ...), each with the pool's policy, so it schedules on a cloud with
   * Nova's default quota; workers are spread within each group, not across groups. Changing
   * it on a deployed pool moves workers to other groups, which replaces them (a group is
   * fixed when Nova creates a server): set it before the pool grows past it.
   * @default 10 - Nova's default quota
   */
  readonly serverGroupMaxMembers?: number;
  /**
   * A Cinder volume of this size (GiB) per worker, formatted and mounted as Spark's local
   * (shuffle and spill) directory. Each worker's metadata names its volume
   * (`spark:local-volume`): the bootstrap finds the disk by that ID's serial.
   * @default - no volume: local dirs on the root disk
   */
  readonly localVolumeGiB?: number;
  /**
   * Protect the local volumes from destruction (`prevent_destroy`): a plan that would
   * destroy one (scaling down, replacing the pool) fails instead. Leave it off when the
   * volumes hold only scratch data (shuffle, spill), as they do by default.
   * @default false - a worker's volume is destroyed with the worker
   */
  readonly protectVolumes?: boolean;
  /**
   * Cinder volume type of the local volumes.
   * @default - the cloud's default type
   */
  readonly volumeType?: string;
  /**
   * Extra server metadata (labels), e.g. `{ team: 'data' }`.
   * @default - only the library's spark:* keys
   */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What a pool needs from its cluster. */
export interface SparkWorkerPoolContext {
  /** The cluster's name, the prefix of every server name. */
  readonly clusterName: string;
  readonly network: ISparkNetwork;
  readonly defaultImage: Image;
  readonly keyPairName: string;
  readonly securityGroupIds: string[];
  readonly userDataPolicy: UserDataChangePolicy;
  readonly configDrive: boolean;
  /** The pool's rendered user data; may be a lazy token. */
  userDataFor(pool: SparkWorkerPool): string;
  /** The pool's `spark:settings` record (a lazy token): what its user data configures, without secrets. */
  settingsFor(pool: SparkWorkerPool): string;
}

/** Props of a SparkWorkerPool. */
export interface SparkWorkerPoolProps extends SparkWorkerPoolOptions {
  readonly cluster: SparkWorkerPoolContext;
}

/**
 * A pool of identical Spark workers. Each worker has a port, a server and (optionally) a
 * volume, all keyed by the worker's stable name (`<pool>-1`, `<pool>-2`, ...) with
 * Terraform `for_each`: scaling 5 → 8 creates three servers and 8 → 5 destroys the last
 * three, leaving every other worker untouched.
 */
export class SparkWorkerPool extends Construct {
  /** The pool's id, part of every worker's name. */
  readonly poolId: string;
  readonly count: number;
  readonly flavor: Flavor;
  /** Worker and executor sizes computed from the flavor. */
  readonly sizing: WorkerSizing;
  readonly localVolumeGiB?: number;
  /** The workers' stable keys, e.g. `general-1`; server names are `<cluster>-<key>`. */
  readonly workerKeys: string[];

  constructor(scope: Construct, id: string, props: SparkWorkerPoolProps) {
    super(scope, id);
    const where = this.node.path;
    this.poolId = validateName(where, 'pool id', id);
    requireObject(where, 'options', props, 'Pass { count: 2, flavor: Flavor.of({ ... }) }.');
    if (
      typeof props.count !== 'number' ||
      !Number.isInteger(props.count) ||
      props.count < 1 ||
      props.count > MAX_WORKERS_PER_POOL
    ) {
      throw invalid(
        where,
        `count must be a whole number from 1 to ${MAX_WORKERS_PER_POOL}`,
        props.count,
        countFix(props.count),
      );
    }
    requireInstance(
      where,
      'flavor',
      props.flavor,
      Flavor,
      "Use Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }).",
    );
    optionalInstance(where, 'image', props.image, Image, "Use Image.fromName('ubuntu-24.04'), or leave it unset.");
    optionalInstance(
      where,
      'placement',
      props.placement,
      Placement,
      'Use Placement.ANTI_AFFINITY, SOFT_ANTI_AFFINITY or NONE.',
    );
    optionalBoolean(where, 'protectVolumes', props.protectVolumes);
    checkVolumeGiB(where, 'localVolumeGiB', props.localVolumeGiB, 200);
    if (props.volumeType !== undefined) {
      checkCloudName(where, 'volumeType', props.volumeType, 'Use a name `openstack volume type list` shows.');
      if (props.localVolumeGiB === undefined) {
        throw invalid(
          where,
          'volumeType is set but there is no volume',
          props.volumeType,
          'Set localVolumeGiB too, or drop volumeType.',
        );
      }
    }
    const groupSize = props.serverGroupMaxMembers ?? DEFAULT_SERVER_GROUP_MEMBERS;
    if (typeof groupSize !== 'number' || !Number.isInteger(groupSize) || groupSize < 1) {
      throw invalid(
        where,
        'serverGroupMaxMembers must be a whole number >= 1',
        groupSize,
        "Use your cloud's server_group_members quota (`openstack quota show`), or leave it unset for 10.",
      );
    }
    // Workers also carry spark:cluster, spark:role, spark:pool and spark:settings, and
    // spark:local-volume with a volume.
    validateMetadata(where, props.metadata, props.localVolumeGiB === undefined ? 4 : 5);
    this.count = props.count;
    this.flavor = props.flavor;
    this.localVolumeGiB = props.localVolumeGiB;
    this.sizing = sizeWorker(props.flavor, where, this);
    this.workerKeys = Array.from({ length: props.count }, (_, i) => `${this.poolId}-${i + 1}`);

    const { cluster } = props;
    const serverName = (key: string) => `${cluster.clusterName}-${key}`;
    const keys = TerraformIterator.fromList(this.workerKeys);
    const placement = props.placement ?? Placement.SOFT_ANTI_AFFINITY;

    const ports = new NetworkingPortV2(this, 'Ports', {
      forEach: keys,
      name: serverName(keys.key),
      networkId: cluster.network.networkId,
      adminStateUp: true,
      fixedIp: [{ subnetId: cluster.network.subnetId }],
      securityGroupIds: cluster.securityGroupIds,
    });

    const image = props.image ?? cluster.defaultImage;
    const byPort = TerraformIterator.fromResources(ports);
    const schedulerHints = placement.policy
      ? this.serverGroups(cluster.clusterName, placement.policy, groupSize, byPort)
      : undefined;
    const volumes =
      props.localVolumeGiB === undefined
        ? undefined
        : new BlockstorageVolumeV3(this, 'Volumes', {
            forEach: keys,
            name: `${serverName(keys.key)}-local`,
            size: props.localVolumeGiB,
            volumeType: props.volumeType,
            lifecycle: props.protectVolumes ? { preventDestroy: true } : undefined,
          });
    /** The ID of the volume of the worker with this key. */
    const volumeIdOf = (of: BlockstorageVolumeV3, key: string) =>
      Token.asString(propertyAccess(Token.asAny(of.fqn), [key, 'id']));
    const servers = new ComputeInstanceV2(this, 'Servers', {
      forEach: byPort,
      name: serverName(byPort.key),
      flavorName: props.flavor.name,
      imageName: image.name,
      imageId: image.id,
      keyPair: cluster.keyPairName,
      network: [{ port: byPort.getString('id') }],
      userData: cluster.userDataFor(this),
      configDrive: cluster.configDrive,
      schedulerHints,
      metadata: {
        ...props.metadata,
        'spark:cluster': cluster.clusterName,
        'spark:role': 'worker',
        'spark:pool': this.poolId,
        [SETTINGS_METADATA_KEY]: cluster.settingsFor(this),
        // The bootstrap finds the volume's disk by this ID; user data is the same for every
        // worker of the pool, so the ID travels in the worker's own metadata.
        ...(volumes ? { [LOCAL_VOLUME_METADATA_KEY]: volumeIdOf(volumes, byPort.key) } : {}),
      },
      lifecycle: cluster.userDataPolicy.lifecycle,
    });

    if (volumes) {
      const byServer = TerraformIterator.fromResources(servers);
      new ComputeVolumeAttachV2(this, 'VolumeAttachments', {
        forEach: byServer,
        instanceId: byServer.getString('id'),
        volumeId: volumeIdOf(volumes, byServer.key),
      });
    }
  }

  /**
   * The pool's server groups and each worker's scheduler hint. Worker n joins group
   * ceil(n / groupSize); the first group keeps the address and name a single-group pool has,
   * so growing past one group adds groups and never moves a worker (a new hint would replace it).
   */
  private serverGroups(clusterName: string, policy: string, groupSize: number, keys: { readonly key: string }) {
    const name = `${clusterName}-${this.poolId}`;
    const first = new ComputeServergroupV2(this, 'ServerGroup', { name, policies: [policy] });
    const groupCount = Math.ceil(this.count / groupSize);
    if (groupCount === 1) return [{ group: first.id }];
    const more = Array.from({ length: groupCount - 1 }, (_, i) => String(i + 2));
    const others = TerraformIterator.fromList(more);
    const rest = new ComputeServergroupV2(this, 'MoreServerGroups', {
      forEach: others,
      name: `${name}-${others.value}`,
      policies: [policy],
    });
    const groupOf: Record<string, string> = {};
    this.workerKeys.forEach((key, i) => {
      const group = Math.floor(i / groupSize);
      groupOf[key] =
        group === 0 ? first.id : Token.asString(propertyAccess(Token.asAny(rest.fqn), [String(group + 1), 'id']));
    });
    return [{ group: Token.asString(Fn.lookup(groupOf, keys.key)) }];
  }
}
