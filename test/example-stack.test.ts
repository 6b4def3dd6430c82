import { Testing } from 'cdktf';
import { NetworkingNetworkV2 } from '../.gen/providers/openstack/networking-network-v2';
import { NetworkingSecgroupV2 } from '../.gen/providers/openstack/networking-secgroup-v2';
import { NetworkingSubnetV2 } from '../.gen/providers/openstack/networking-subnet-v2';
import { ExampleStack } from '../stacks/example';
import { actionsByAddress, tofuFor } from './support/harness';

describe('example stack', () => {
  const build = () => new ExampleStack(Testing.app(), 'example');

  it('synthesizes a network, a /24 subnet on it and the cluster security group', () => {
    const synthesized = Testing.synth(build());
    expect(synthesized).toHaveResourceWithProperties(NetworkingNetworkV2, { name: 'spark-example' });
    expect(synthesized).toHaveResourceWithProperties(NetworkingSubnetV2, {
      cidr: '10.42.0.0/24',
      ip_version: 4,
      network_id: '${openstack_networking_network_v2.network.id}',
    });
    expect(synthesized).toHaveResourceWithProperties(NetworkingSecgroupV2, { name: 'spark-example-cluster' });
  });

  it('configures the OpenStack provider in the stack, pinned to the version the bindings came from', () => {
    const config = JSON.parse(Testing.synth(build()));
    expect(config.provider.openstack).toEqual([{}]);
    expect(config.terraform.required_providers.openstack).toEqual({
      source: 'terraform-provider-openstack/openstack',
      version: '3.4.0',
    });
  });

  it('passes tofu validate with the real OpenStack provider', () => {
    expect(tofuFor(build()).validate()).toEqual([]);
  });

  it('plans three creations with the real provider and no cloud', () => {
    const plan = tofuFor(build()).plan();
    expect(actionsByAddress(plan)).toEqual({
      'openstack_networking_network_v2.network': ['create'],
      'openstack_networking_subnet_v2.subnet': ['create'],
      'openstack_networking_secgroup_v2.cluster': ['create'],
    });
    const subnet = plan.resource_changes?.find((rc) => rc.type === 'openstack_networking_subnet_v2');
    expect(subnet?.change.after).toMatchObject({ cidr: '10.42.0.0/24', ip_version: 4 });
  });
});
