import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { Flavor, SparkCluster, SparkContainer, SparkNetwork } from '../lib';
import { clusterOutputs } from './example';
import { ExampleSettings, exampleSettings } from './settings';

/**
 * A cluster on a network and subnet that already exist (no router, no floating IP) that
 * reads and writes a Swift container that already exists.
 */
export class ExistingNetworkStack extends TerraformStack {
  readonly cluster: SparkCluster;

  constructor(scope: Construct, id: string, settings: ExampleSettings = exampleSettings()) {
    super(scope, id);
    new OpenstackProvider(this, 'openstack', {});

    const network = SparkNetwork.fromAttributes(this, 'SharedNetwork', {
      networkId: process.env.SPARK_NETWORK_ID ?? '11111111-1111-4111-8111-111111111111',
      subnetId: process.env.SPARK_SUBNET_ID ?? '22222222-2222-4222-8222-222222222222',
      cidr: process.env.SPARK_SUBNET_CIDR ?? '192.168.50.0/24',
      masterIp: process.env.SPARK_MASTER_IP ?? '192.168.50.5',
    });
    this.cluster = new SparkCluster(this, 'shared', {
      image: settings.image,
      keyPair: settings.keyPair,
      network,
      master: { flavor: Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 }) },
      access: { sshFrom: [settings.adminCidr], webUiFrom: [settings.adminCidr], submitFrom: [settings.adminCidr] },
      objectStorage: {
        s3Endpoint: settings.s3Endpoint,
        dataContainer: SparkContainer.fromName(process.env.SPARK_DATA_CONTAINER ?? 'shared-datalake'),
      },
    });
    this.cluster.addWorkerPool('general', {
      count: 4,
      flavor: Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }),
    });
    clusterOutputs(this, this.cluster);
  }
}
