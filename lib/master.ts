import { Construct } from 'constructs';
import { BlockstorageVolumeV3 } from '../.gen/providers/openstack/blockstorage-volume-v3';
import { ComputeInstanceV2 } from '../.gen/providers/openstack/compute-instance-v2';
import { ComputeVolumeAttachV2 } from '../.gen/providers/openstack/compute-volume-attach-v2';
import { NetworkingFloatingipAssociateV2 } from '../.gen/providers/openstack/networking-floatingip-associate-v2';
import { NetworkingFloatingipV2 } from '../.gen/providers/openstack/networking-floatingip-v2';
import { NetworkingPortV2 } from '../.gen/providers/openstack/networking-port-v2';
import { Flavor } from './flavor';
import { Image } from './image';
import { ISparkNetwork } from './network';
import { invalid } from './private/errors';
import { checkCloudName, checkVolumeGiB } from './private/inputs';
import { LOCAL_VOLUME_METADATA_KEY } from './private/names';
import { UserDataChangePolicy } from './server-options';

/** Props of a SparkMaster. */
export interface SparkMasterProps {
  /** The server's name. */
  readonly name: string;
  readonly network: ISparkNetwork;
  /**
   * The master's fixed address on the network.
   * @default - the network's masterIp
   */
  readonly privateIp?: string;
  /**
   * A server group to schedule the server in (the masters' anti-affinity group). Nova puts a
   * server in a group only when it creates it: adding or removing the group replaces the server.
   * @default - none
   */
  readonly serverGroupId?: string;
  readonly flavor: Flavor;
  readonly image: Image;
  /** Name of the Nova key pair for SSH. */
  readonly keyPairName: string;
  /** Security groups on the master's port. */
  readonly securityGroupIds: string[];
  /** Rendered cloud-config (already escaped for Terraform). */
  readonly userData: string;
  /**
   * Give the master a floating IP from the network's external network.
   * @default false
   */
  readonly floatingIp?: boolean;
  /**
   * Attach a Cinder volume of this size (GiB) for Spark's local dirs on the master.
   * @default - no volume
   */
  readonly volumeGiB?: number;
  /**
   * Cinder volume type of the volume.
   * @default - the cloud's default type
   */
  readonly volumeType?: string;
  /** @default UserDataChangePolicy.IGNORE */
  readonly userDataPolicy?: UserDataChangePolicy;
  /**
   * Deliver user data on a config drive instead of only the metadata service.
   * @default true
   */
  readonly configDrive?: boolean;
  /** Server metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * A Spark master: a Neutron port with a fixed address of the network (so workers know it
 * before the master exists and boot in parallel), the server, and optionally a floating IP
 * and a Cinder volume. The first master runs the history server too.
 */
export class SparkMaster extends Construct {
  /** The master's private address. */
  readonly privateIp: string;
  /** The floating IP, when one was asked for. */
  readonly publicIp?: string;
  /** The Nova server ID. */
  readonly serverId: string;
  /** The Neutron port ID. */
  readonly portId: string;

  constructor(scope: Construct, id: string, props: SparkMasterProps) {
    super(scope, id);
    const where = this.node.path;
    if (props.floatingIp && !props.network.externalNetwork) {
      throw invalid(
        where,
        'floatingIp needs a network with an external network (a router)',
        props.floatingIp,
        'Set externalNetwork on the cluster, or drop floatingIp.',
      );
    }
    checkVolumeGiB(where, 'volumeGiB', props.volumeGiB, 100);
    if (props.volumeType !== undefined) {
      checkCloudName(where, 'volumeType', props.volumeType, 'Use a name `openstack volume type list` shows.');
      if (props.volumeGiB === undefined) {
        throw invalid(
          where,
          'volumeType is set but there is no volume',
          props.volumeType,
          'Set volumeGiB too, or drop volumeType.',
        );
      }
    }

    const port = new NetworkingPortV2(this, 'Port', {
      name: props.name,
      networkId: props.network.networkId,
      adminStateUp: true,
      fixedIp: [{ subnetId: props.network.subnetId, ipAddress: props.privateIp ?? props.network.masterIp }],
      securityGroupIds: props.securityGroupIds,
    });
    this.portId = port.id;
    this.privateIp = props.privateIp ?? props.network.masterIp;

    // The volume first: the server names it in its metadata, where the bootstrap finds it.
    const volume =
      props.volumeGiB === undefined
        ? undefined
        : new BlockstorageVolumeV3(this, 'Volume', {
            name: `${props.name}-local`,
            size: props.volumeGiB,
            volumeType: props.volumeType,
          });

    const server = new ComputeInstanceV2(this, 'Server', {
      name: props.name,
      flavorName: props.flavor.name,
      imageName: props.image.name,
      imageId: props.image.id,
      keyPair: props.keyPairName,
      network: [{ port: port.id }],
      userData: props.userData,
      configDrive: props.configDrive ?? true,
      metadata: { ...props.metadata, ...(volume ? { [LOCAL_VOLUME_METADATA_KEY]: volume.id } : {}) },
      schedulerHints: props.serverGroupId ? [{ group: props.serverGroupId }] : undefined,
      lifecycle: (props.userDataPolicy ?? UserDataChangePolicy.IGNORE).lifecycle,
    });
    this.serverId = server.id;

    if (props.floatingIp && props.network.externalNetwork) {
      const fip = new NetworkingFloatingipV2(this, 'FloatingIp', {
        pool: props.network.externalNetwork.name,
        description: `${props.name} (Spark master)`,
      });
      new NetworkingFloatingipAssociateV2(this, 'FloatingIpAssociation', {
        floatingIp: fip.address,
        portId: port.id,
        // Without the router interface Neutron cannot reach the external network from the
        // subnet and refuses the association.
        dependsOn: props.network.routerInterface ? [props.network.routerInterface] : undefined,
      });
      this.publicIp = fip.address;
    }

    if (volume) new ComputeVolumeAttachV2(this, 'VolumeAttachment', { instanceId: server.id, volumeId: volume.id });
  }
}
