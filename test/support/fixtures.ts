import { TerraformStack, Testing } from 'cdktf';
import { OpenstackProvider } from '../../.gen/providers/openstack/provider';
import { ExternalNetwork, Flavor, Image, KeyPair, SparkCluster, SparkClusterProps } from '../../lib';

export const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPbd6FIj//AGO9CZAn7Wemzuc/PLaLZTB5ElHWoIIAyl test';
export const LARGE = Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 });
export const XLARGE = Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 });
export const EXTERNAL = ExternalNetwork.fromAttributes({ name: 'public', id: '00000000-0000-4000-8000-000000000000' });

/** A stack with a provider and nothing else. */
export function newStack(id = 'test'): TerraformStack {
  const stack = new TerraformStack(Testing.app(), id);
  new OpenstackProvider(stack, 'openstack', {});
  return stack;
}

/** The smallest valid cluster props; tests override what they exercise. */
export function clusterProps(overrides: Partial<SparkClusterProps> = {}): SparkClusterProps {
  return {
    image: Image.fromName('ubuntu-24.04'),
    keyPair: KeyPair.fromPublicKey(PUBLIC_KEY),
    master: { flavor: LARGE },
    ...overrides,
  };
}

/** A cluster with one pool of `count` workers, in a fresh stack. */
export function clusterWithWorkers(count = 3, overrides: Partial<SparkClusterProps> = {}) {
  const stack = newStack();
  const cluster = new SparkCluster(stack, 'analytics', clusterProps(overrides));
  cluster.addWorkerPool('general', { count, flavor: XLARGE });
  return { stack, cluster };
}

/** The synthesized resources of one type, by name. */
export function resourcesOf(synthesized: string, type: string): Record<string, Record<string, unknown>> {
  return JSON.parse(synthesized).resource?.[type] ?? {};
}
