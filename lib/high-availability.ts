/** ZooKeeper's ports on each master (client 2181, peer 2888, election 3888): members only. */
export { ZOOKEEPER_PORTS } from './private/zookeeper';

/** The number of masters a cluster with high availability has unless told otherwise. */
export const DEFAULT_MASTER_COUNT = 3;
/** The most masters (and so ZooKeeper servers) a cluster may have. */
export const MAX_MASTER_COUNT = 7;

/**
 * Standby masters: several Spark masters, one ALIVE and the others STANDBY, elected through
 * a ZooKeeper ensemble that runs on the masters themselves. When the active master's server
 * is lost, a standby takes over, recovers the workers and applications from ZooKeeper, and
 * workers and drivers (which know every master) re-register with it.
 *
 * The masters share `master`'s flavor, volume and floating IP options, each on its own fixed
 * address, in a hard anti-affinity server group: Nova refuses to put two of them on one
 * hypervisor, so a cloud needs at least as many compute hosts as masters.
 *
 * @example
 * new SparkCluster(stack, 'analytics', {
 *   // ...
 *   highAvailability: { masters: 3 },
 * });
 */
export interface SparkHighAvailabilityOptions {
  /**
   * How many masters, odd (a ZooKeeper ensemble of N servers survives the loss of (N-1)/2),
   * from 3 to 7.
   * @default 3
   */
  readonly masters?: number;
}
