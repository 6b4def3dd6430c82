import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { Flavor, SparkCluster } from '../lib';
import { clusterOutputs, webUiTls } from './example';
import { ExampleSettings, exampleSettings } from './settings';

/**
 * The example with standby masters: three masters on three hypervisors (a hard anti-affinity
 * group), each with a floating IP and a ZooKeeper server, so that losing any one of them
 * loses no running application and no worker. The first master runs the history server
 * and Prometheus.
 */
export class HighAvailabilityStack extends TerraformStack {
  readonly cluster: SparkCluster;

  constructor(scope: Construct, id: string, settings: ExampleSettings = exampleSettings()) {
    super(scope, id);
    new OpenstackProvider(this, 'openstack', {});

    this.cluster = new SparkCluster(this, 'resilient', {
      image: settings.image,
      keyPair: settings.keyPair,
      externalNetwork: settings.externalNetwork,
      networkCidr: '10.44.0.0/24',
      dnsNameservers: ['9.9.9.9', '1.1.1.1'],
      sparkVersion: settings.sparkVersion,
      sparkMirrorUrl: settings.sparkMirrorUrl,
      mavenRepositoryUrl: settings.mavenRepositoryUrl,
      trustedCaCertificates: settings.trustedCaCertificates,
      webUiTls: webUiTls(this, settings),
      master: {
        flavor: Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 }),
        floatingIp: true,
        volumeGiB: settings.masterVolumeGiB,
      },
      highAvailability: { masters: 3 },
      access: {
        sshFrom: [settings.adminCidr],
        webUiFrom: [settings.adminCidr],
        submitFrom: [settings.adminCidr],
        metricsFrom: [settings.adminCidr],
      },
      objectStorage: { s3Endpoint: settings.s3Endpoint, forceDestroy: settings.forceDestroy },
      monitoring: { prometheus: true },
    });
    this.cluster.addWorkerPool('general', {
      count: settings.workerCount ?? 3,
      flavor: settings.workerFlavorName
        ? Flavor.fromLookup(this, 'WorkerFlavor', { name: settings.workerFlavorName })
        : Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }),
      localVolumeGiB: settings.localVolumeGiB,
    });
    clusterOutputs(this, this.cluster);
  }
}
