import { TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { Flavor, SparkCluster, SparkWebUiTlsOptions } from '../lib';
import { ExampleSettings, exampleSettings } from './settings';

/** Outputs every example stack emits for its cluster. */
export function clusterOutputs(scope: Construct, cluster: SparkCluster): void {
  new TerraformOutput(scope, 'master_private_ip', { value: cluster.master.privateIp });
  if (cluster.master.publicIp) {
    new TerraformOutput(scope, 'master_public_ip', { value: cluster.master.publicIp });
  }
  new TerraformOutput(scope, 'master_url', { value: cluster.masterUrl });
  new TerraformOutput(scope, 'master_web_ui_url', { value: cluster.masterWebUiUrl });
  // Every master's UI (one of them ALIVE with standby masters): `npm run status` reads them all.
  new TerraformOutput(scope, 'master_web_ui_urls', { value: cluster.masterWebUiUrls });
  if (cluster.historyServerUrl) {
    new TerraformOutput(scope, 'history_server_url', { value: cluster.historyServerUrl });
  }
  if (cluster.prometheusUrl) {
    new TerraformOutput(scope, 'prometheus_url', { value: cluster.prometheusUrl });
  }
  // What each pool should have: `npm run status` compares it with the workers registered.
  new TerraformOutput(scope, 'worker_pools', {
    value: Object.fromEntries(cluster.workerPools.map((pool) => [pool.poolId, pool.count])),
  });
  if (cluster.dataContainer) {
    new TerraformOutput(scope, 'data_container', { value: cluster.dataContainer.containerName });
  }
  // Secrets only ever leave through sensitive outputs (`tofu output -raw spark_auth_secret`).
  new TerraformOutput(scope, 'spark_auth_secret', { value: cluster.authSecret, sensitive: true });
}

/**
 * HTTPS for the web UIs when the settings name a certificate: its key comes from a sensitive
 * variable (`TF_VAR_ui_tls_private_key`), so it is in neither the code nor cdktf.out.
 */
export function webUiTls(scope: Construct, settings: ExampleSettings): SparkWebUiTlsOptions | undefined {
  if (!settings.webUiCertificateChain) return undefined;
  const key = new TerraformVariable(scope, 'ui_tls_private_key', {
    type: 'string',
    sensitive: true,
    description: 'PEM private key of the web UI certificate (SPARK_UI_TLS_CERT_FILE)',
  });
  return { certificateChainPem: settings.webUiCertificateChain, privateKeyPem: key.stringValue };
}

/**
 * The README's main example: a small cluster with a master (floating IP, history server,
 * Prometheus), three workers, and Swift containers for data and event logs.
 */
export class ExampleStack extends TerraformStack {
  readonly cluster: SparkCluster;

  constructor(scope: Construct, id: string, settings: ExampleSettings = exampleSettings()) {
    super(scope, id);
    new OpenstackProvider(this, 'openstack', {});

    this.cluster = new SparkCluster(this, 'analytics', {
      image: settings.image,
      keyPair: settings.keyPair,
      externalNetwork: settings.externalNetwork,
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
      access: { sshFrom: [settings.adminCidr], webUiFrom: [settings.adminCidr], metricsFrom: [settings.adminCidr] },
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
