import { Construct } from 'constructs';
import { ComputeServergroupV2 } from '../../.gen/providers/openstack/compute-servergroup-v2';
import { NODE_PATHS } from '../bootstrap';
import { ISparkCapability, SparkMasterNode, SparkNodeContribution, SparkNodeRole } from '../capability';
import { DEFAULT_MASTER_COUNT, MAX_MASTER_COUNT, SparkHighAvailabilityOptions } from '../high-availability';
import { invalid } from './errors';
import { sparkRecoverySettings, ZOOKEEPER_SERVICE, zookeeperDir, zookeeperNode } from './zookeeper';

/** Where a single master with a volume keeps its recovery state: on that volume. */
export const FILESYSTEM_RECOVERY_DIR = `${NODE_PATHS.localDir}/recovery`;

/** How the cluster's masters survive the loss of one. */
export type RecoveryMode = 'NONE' | 'FILESYSTEM' | 'ZOOKEEPER';

/** What the capability needs from its cluster. */
export interface HighAvailabilityProps {
  /** Construct path for errors. */
  readonly where: string;
  readonly clusterName: string;
  /** Whether each master has a volume (single-master recovery keeps its state there). */
  readonly masterVolume: boolean;
  /** The masters' fixed addresses, in order (as many as masterCountOf says): several mean ZooKeeper. */
  readonly masterIps: readonly string[];
}

/** The number of masters the options ask for: 1 without high availability. */
export function masterCountOf(where: string, options: boolean | SparkHighAvailabilityOptions | undefined): number {
  if (options === undefined || options === false) return 1;
  if (options === true) return DEFAULT_MASTER_COUNT;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(
      `${where}: highAvailability`,
      'must be true, false or an object of high-availability options',
      options,
      'Use highAvailability: true, or highAvailability: { masters: 3 }.',
    );
  }
  const count = options.masters === undefined ? DEFAULT_MASTER_COUNT : options.masters;
  if (
    typeof count !== 'number' ||
    !Number.isInteger(count) ||
    count < 3 ||
    count > MAX_MASTER_COUNT ||
    count % 2 === 0
  ) {
    throw invalid(
      `${where}: highAvailability.masters`,
      `must be an odd whole number from 3 to ${MAX_MASTER_COUNT}: ZooKeeper needs a majority of the masters, so an even count survives no more losses than one fewer`,
      count,
      'Use 3 (survives the loss of one master) or 5 (of two).',
    );
  }
  return count;
}

/**
 * High availability of the cluster's masters: standby masters elected through a ZooKeeper
 * ensemble on the masters (ZOOKEEPER recovery), or, for one master with a volume, its state
 * kept on the volume (FILESYSTEM recovery) so that a restarted master keeps its workers and
 * applications. The masters themselves are the cluster's (as many as masterCountOf says); this
 * puts them in a hard anti-affinity server group, and contributes their settings, files and services.
 */
export class HighAvailabilityCapability implements ISparkCapability {
  readonly mode: RecoveryMode;
  /** The masters' anti-affinity server group, with standby masters. */
  readonly serverGroupId?: string;

  constructor(
    scope: Construct,
    private readonly props: HighAvailabilityProps,
  ) {
    this.mode = props.masterIps.length > 1 ? 'ZOOKEEPER' : props.masterVolume ? 'FILESYSTEM' : 'NONE';
    if (this.mode === 'ZOOKEEPER') {
      // Hard anti-affinity: Nova refuses to schedule two masters on one hypervisor (it fails the
      // server instead), so the loss of a hypervisor never takes a ZooKeeper majority with it.
      const group = new ComputeServergroupV2(scope, 'MasterGroup', {
        name: `${props.clusterName}-masters`,
        policies: ['anti-affinity'],
      });
      this.serverGroupId = group.id;
    }
  }

  /** Read by the masters from spark-defaults.conf (MasterArguments loads it); others ignore them. */
  sparkDefaults(): Record<string, string> {
    if (this.mode === 'ZOOKEEPER') {
      return sparkRecoverySettings(this.props.where, {
        mode: 'ZOOKEEPER',
        servers: this.props.masterIps,
        dir: zookeeperDir(this.props.clusterName),
      });
    }
    if (this.mode === 'FILESYSTEM') {
      return sparkRecoverySettings(this.props.where, { mode: 'FILESYSTEM', directory: FILESYSTEM_RECOVERY_DIR });
    }
    return {};
  }

  node(role: SparkNodeRole, master?: SparkMasterNode): SparkNodeContribution {
    if (role !== 'master' || this.mode !== 'ZOOKEEPER' || !master) return {};
    const zookeeper = zookeeperNode({ where: this.props.where, servers: this.props.masterIps, myIndex: master.index });
    // The master starts after its ZooKeeper server.
    const dropIn = {
      path: '/etc/systemd/system/spark-master.service.d/zookeeper.conf',
      content: `[Unit]\nWants=${ZOOKEEPER_SERVICE}.service\nAfter=${ZOOKEEPER_SERVICE}.service\n`,
    };
    return { ...zookeeper, files: [...(zookeeper.files ?? []), dropIn] };
  }
}
