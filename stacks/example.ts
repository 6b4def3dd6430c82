import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { NetworkingNetworkV2 } from '../.gen/providers/openstack/networking-network-v2';
import { NetworkingSecgroupV2 } from '../.gen/providers/openstack/networking-secgroup-v2';
import { NetworkingSubnetV2 } from '../.gen/providers/openstack/networking-subnet-v2';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';

/**
 * The first example: a private network, its subnet and the cluster's security group,
 * straight from the generated bindings. Credentials come from OS_* variables or
 * clouds.yaml (OS_CLOUD), as with any OpenStack tool.
 */
export class ExampleStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new OpenstackProvider(this, 'openstack', {});

    const network = new NetworkingNetworkV2(this, 'network', {
      name: 'spark-example',
      adminStateUp: true,
    });
    new NetworkingSubnetV2(this, 'subnet', {
      name: 'spark-example',
      networkId: network.id,
      cidr: '10.42.0.0/24',
      ipVersion: 4,
      dnsNameservers: ['9.9.9.9'],
    });
    new NetworkingSecgroupV2(this, 'cluster', {
      name: 'spark-example-cluster',
      description: 'Spark cluster members',
    });
  }
}
