import { CloudConfigFile } from './cloud-config';
import { Port } from './security';

/** The two kinds of node a cluster has. */
export type SparkNodeRole = 'master' | 'worker';

/** The cluster's access lists (`SparkAccessOptions`) a capability can open ports to. */
export type SparkAccessList = 'sshFrom' | 'webUiFrom' | 'submitFrom' | 'metricsFrom' | 'exportersFrom';

/** A systemd service a capability adds to a node. */
export interface SparkServiceUnit {
  /** The unit's name without `.service`, e.g. `spark-history`. */
  readonly name: string;
  /** The unit file's text, written to `/etc/systemd/system/<name>.service`. */
  readonly content: string;
}

/** What a capability adds to the cloud-config of one kind of node. */
export interface SparkNodeContribution {
  /** Files to write, after the node's own. @default - none */
  readonly files?: readonly CloudConfigFile[];
  /**
   * Services the bootstrap enables and (re)starts after Spark's own, in this order.
   * @default - none
   */
  readonly services?: readonly SparkServiceUnit[];
  /**
   * Debian/Ubuntu packages the bootstrap installs together with Java, waiting for the dpkg
   * lock (cloud-init's own `packages` would race unattended-upgrades on first boot).
   * @default - none
   */
  readonly packages?: readonly string[];
}

/** An ingress rule a capability opens to the peers of one of the cluster's access lists. */
export interface SparkIngressContribution {
  /** The access list whose peers get the port. */
  readonly access: SparkAccessList;
  /** The group of the nodes that serve the port. */
  readonly role: SparkNodeRole;
  readonly port: Port;
  /** The rule's description in Neutron. */
  readonly description: string;
}

/**
 * One capability of a cluster (object storage, monitoring, ...): what it contributes to the
 * cluster, which collects the contributions and renders them. Each method is called when the
 * cluster renders (at synth), so it may read state that later calls (a pool added after the
 * capability) change; Terraform resources the capability needs it creates itself, in the
 * cluster's scope, when it is constructed.
 */
export interface ISparkCapability {
  /** spark-defaults.conf settings, the same on every node; the user's sparkConf wins. */
  sparkDefaults?(): Readonly<Record<string, string>>;
  /** Ports opened from outside, to the peers of an access list. */
  ingress?(): readonly SparkIngressContribution[];
  /**
   * Files, services and packages of the nodes of one role; for a master, `master` says which
   * one (a cluster with standby masters renders each master on its own).
   */
  node?(role: SparkNodeRole, master?: SparkMasterNode): SparkNodeContribution;
}

/** Which of a cluster's masters a contribution is for. */
export interface SparkMasterNode {
  /**
   * 0-based place among the masters. Master 0 runs what a cluster has once (the history
   * server, Prometheus); standby masters (1, 2, ...) exist only with high availability.
   */
  readonly index: number;
  /** The master's fixed address. */
  readonly ip: string;
}

/** Several contributions to one node as one, in order. */
export function mergeContributions(parts: readonly SparkNodeContribution[]): Required<SparkNodeContribution> {
  return {
    files: parts.flatMap((p) => p.files ?? []),
    services: parts.flatMap((p) => p.services ?? []),
    packages: [...new Set(parts.flatMap((p) => p.packages ?? []))],
  };
}

/** What the capabilities contribute to the nodes of one role (to one master, for masters). */
export function nodeContributions(
  capabilities: readonly ISparkCapability[],
  role: SparkNodeRole,
  master?: SparkMasterNode,
): SparkNodeContribution[] {
  return capabilities.map((c) => c.node?.(role, master) ?? {});
}
