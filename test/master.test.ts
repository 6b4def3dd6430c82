import { Testing } from 'cdktf';
import { ComputeInstanceV2 } from '../.gen/providers/openstack/compute-instance-v2';
import { Image, SparkMaster, SparkNetwork, UserDataChangePolicy } from '../lib';
import { EXTERNAL, LARGE, newStack, resourcesOf } from './support/fixtures';

describe('SparkMaster', () => {
  const build = (overrides = {}) => {
    const stack = newStack();
    const network = new SparkNetwork(stack, 'Net', { name: 'analytics', externalNetwork: EXTERNAL });
    const master = new SparkMaster(stack, 'Master', {
      name: 'analytics-master',
      network,
      flavor: LARGE,
      image: Image.fromName('ubuntu-24.04'),
      keyPairName: 'ops',
      securityGroupIds: ['sg-1', 'sg-2'],
      userData: '#cloud-config\n',
      ...overrides,
    });
    return { stack, master };
  };

  it('boots on a port with the fixed master address and the given security groups', () => {
    const { stack, master } = build();
    expect(master.privateIp).toBe('10.42.0.10');
    const synthesized = Testing.synth(stack);
    const [port] = Object.values(resourcesOf(synthesized, 'openstack_networking_port_v2'));
    expect(port).toMatchObject({ security_group_ids: ['sg-1', 'sg-2'], fixed_ip: [{ ip_address: '10.42.0.10' }] });
    expect(synthesized).toHaveResourceWithProperties(ComputeInstanceV2, {
      name: 'analytics-master',
      flavor_name: 'm1.large',
      key_pair: 'ops',
      config_drive: true,
      lifecycle: { ignore_changes: ['user_data', 'metadata["spark:settings"]'] },
    });
  });

  it('adds a floating IP and a volume only when asked', () => {
    const plain = Testing.synth(build().stack);
    expect(resourcesOf(plain, 'openstack_networking_floatingip_v2')).toEqual({});
    expect(resourcesOf(plain, 'openstack_blockstorage_volume_v3')).toEqual({});
    expect(Object.values(resourcesOf(plain, 'openstack_compute_instance_v2'))[0].metadata).toEqual({});
    const { stack, master } = build({
      floatingIp: true,
      volumeGiB: 80,
      volumeType: 'ssd',
      userDataPolicy: UserDataChangePolicy.REPLACE,
    });
    const synthesized = Testing.synth(stack);
    expect(master.publicIp).toBeDefined();
    expect(Object.values(resourcesOf(synthesized, 'openstack_networking_floatingip_v2'))).toEqual([
      expect.objectContaining({ pool: 'public' }),
    ]);
    expect(Object.values(resourcesOf(synthesized, 'openstack_blockstorage_volume_v3'))).toEqual([
      expect.objectContaining({ name: 'analytics-master-local', size: 80, volume_type: 'ssd' }),
    ]);
    expect(Object.keys(resourcesOf(synthesized, 'openstack_compute_volume_attach_v2'))).toHaveLength(1);
    // The server names its volume, which the bootstrap finds by that ID's serial.
    const [volumeKey] = Object.keys(resourcesOf(synthesized, 'openstack_blockstorage_volume_v3'));
    expect(Object.values(resourcesOf(synthesized, 'openstack_compute_instance_v2'))[0].metadata).toEqual({
      'spark:local-volume': `\${openstack_blockstorage_volume_v3.${volumeKey}.id}`,
    });
  });

  it('associates the floating IP only after the router interface exists', () => {
    // Neutron answers ExternalGatewayForFloatingIPNotFound while the subnet has no router interface.
    const { stack } = build({ floatingIp: true });
    const [association] = Object.values(
      resourcesOf(Testing.synth(stack), 'openstack_networking_floatingip_associate_v2'),
    );
    expect(association.depends_on).toEqual([
      expect.stringMatching(/^openstack_networking_router_interface_v2\.Net_RouterInterface/),
    ]);
  });
});
