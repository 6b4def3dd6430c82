/**
 * The clusters the benchmarks build, and a plain baseline of the same shape written without
 * the library (what a person would write by hand with cdktf's generated bindings).
 */
import { App, TerraformIterator, TerraformStack } from 'cdktf';
import { ComputeInstanceV2 } from '../.gen/providers/openstack/compute-instance-v2';
import { NetworkingNetworkV2 } from '../.gen/providers/openstack/networking-network-v2';
import { NetworkingPortV2 } from '../.gen/providers/openstack/networking-port-v2';
import { NetworkingSubnetV2 } from '../.gen/providers/openstack/networking-subnet-v2';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import { ExternalNetwork, Flavor, Image, KeyPair, SparkCluster } from '../lib';

export const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPbd6FIj//AGO9CZAn7Wemzuc/PLaLZTB5ElHWoIIAyl bench';

/** A cluster of `pools` pools of `workersPerPool` workers, in stack `bench` of `app`. */
export function clusterStack(app: App, pools: number, workersPerPool: number): TerraformStack {
  const stack = new TerraformStack(app, 'bench');
  new OpenstackProvider(stack, 'openstack', {});
  const cluster = new SparkCluster(stack, 'bench', {
    image: Image.fromName('ubuntu-24.04'),
    keyPair: KeyPair.fromPublicKey(PUBLIC_KEY),
    externalNetwork: ExternalNetwork.fromAttributes({ name: 'public', id: '00000000-0000-4000-8000-000000000000' }),
    networkCidr: '10.40.0.0/16',
    master: { flavor: Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 }), floatingIp: true },
    access: { sshFrom: ['203.0.113.0/24'], webUiFrom: ['203.0.113.0/24'] },
    objectStorage: { s3Endpoint: 'https://object.example.com' },
  });
  for (let p = 1; p <= pools; p++) {
    cluster.addWorkerPool(pools === 1 ? 'general' : `pool${p}`, {
      count: workersPerPool,
      flavor: Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }),
      localVolumeGiB: 100,
    });
  }
  return stack;
}

/**
 * The baseline: the same network and `workers` servers with a port each, written straight
 * with the bindings, and a fixed user data string of the library's size.
 */
export function baselineStack(app: App, workers: number, userDataBytes: number): TerraformStack {
  const stack = new TerraformStack(app, 'bench');
  new OpenstackProvider(stack, 'openstack', {});
  const network = new NetworkingNetworkV2(stack, 'network', { name: 'bench' });
  const subnet = new NetworkingSubnetV2(stack, 'subnet', { networkId: network.id, cidr: '10.40.0.0/16', ipVersion: 4 });
  const keys = TerraformIterator.fromList(Array.from({ length: workers }, (_, i) => `w-${i + 1}`));
  const ports = new NetworkingPortV2(stack, 'ports', {
    forEach: keys,
    name: keys.key,
    networkId: network.id,
    fixedIp: [{ subnetId: subnet.id }],
  });
  const byPort = TerraformIterator.fromResources(ports);
  new ComputeInstanceV2(stack, 'workers', {
    forEach: byPort,
    name: byPort.key,
    flavorName: 'm1.xlarge',
    imageName: 'ubuntu-24.04',
    network: [{ port: byPort.getString('id') }],
    userData: `#cloud-config\n# ${'x'.repeat(Math.max(0, userDataBytes - 20))}\n`,
  });
  return stack;
}
