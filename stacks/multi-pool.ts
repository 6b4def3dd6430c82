import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { Flavor, Placement, SparkCluster, SparkVersion } from '../lib';
import { clusterOutputs } from './example';
import { ExampleSettings, exampleSettings } from './settings';

/**
 * A cluster with two worker pools: general-purpose workers with a Cinder volume each for
 * shuffle, and a few high-memory workers kept on separate hypervisors.
 */
export class MultiPoolStack extends TerraformStack {
  readonly cluster: SparkCluster;

  constructor(scope: Construct, id: string, settings: ExampleSettings = exampleSettings()) {
    super(scope, id);
    new OpenstackProvider(this, 'openstack', {});

    this.cluster = new SparkCluster(this, 'batch', {
      image: settings.image,
      keyPair: settings.keyPair,
      externalNetwork: settings.externalNetwork,
      networkCidr: '10.60.0.0/22',
      dnsNameservers: ['9.9.9.9'],
      sparkVersion: SparkVersion.V4_0_1,
      master: { flavor: Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 }), floatingIp: true, volumeGiB: 50 },
      access: { sshFrom: [settings.adminCidr], webUiFrom: [settings.adminCidr] },
      objectStorage: { s3Endpoint: settings.s3Endpoint, forceDestroy: settings.forceDestroy },
      sparkConf: { 'spark.sql.shuffle.partitions': '400' },
      metadata: { team: 'data-platform' },
    });
    this.cluster.addWorkerPool('general', {
      count: 8,
      flavor: Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }),
      localVolumeGiB: 200,
    });
    this.cluster.addWorkerPool('highmem', {
      count: 2,
      flavor: Flavor.of({ name: 'r1.2xlarge', vcpus: 8, ramMiB: 65536 }),
      placement: Placement.ANTI_AFFINITY,
    });
    clusterOutputs(this, this.cluster);
  }
}
