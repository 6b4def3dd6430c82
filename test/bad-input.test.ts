import { App, TerraformStack, Testing } from 'cdktf';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import {
  ExternalNetwork,
  Flavor,
  Image,
  KeyPair,
  Peer,
  Port,
  SparkBootstrap,
  SparkCluster,
  SparkClusterProps,
  SparkContainer,
  SparkNetwork,
  SparkVersion,
  SparkWorkerPoolOptions,
} from '../lib';
import { clusterProps, EXTERNAL, LARGE, newStack, PUBLIC_KEY, resourcesOf, XLARGE } from './support/fixtures';
import { refusal } from './support/refusal';

// Inputs a user can get wrong, as an adversary would try them: each one is refused with a
// SparkConfigError that says where, what and how to fix it, never a TypeError or silence.
// `as any` stands for plain JavaScript (or a jsii language) where the types do not help.

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A cluster with one pool, in a fresh stack; returns the stack. */
function cluster(overrides: Partial<SparkClusterProps> = {}, pool: Partial<SparkWorkerPoolOptions> = {}) {
  const stack = newStack();
  const c = new SparkCluster(stack, 'analytics', clusterProps(overrides));
  c.addWorkerPool('general', { count: 2, flavor: XLARGE, ...pool });
  return { stack, cluster: c };
}

const ED25519_BLOB = PUBLIC_KEY.split(' ')[1];

describe('whole-internet access, however it is written', () => {
  it.each([
    ['0.0.0.0/00', () => Peer.ipv4('0.0.0.0/00'), 'reads as 0.0.0.0/0'],
    ['::/00', () => Peer.ipv6('::/00'), 'reads as ::/0'],
    ['0:0::/0', () => Peer.ipv6('0:0::/0'), 'reads as ::/0'],
    ['0000::/0 through Peer.cidr', () => Peer.cidr('0000::/0'), 'Peer.anyIpv4() / Peer.anyIpv6()'],
    ['1.2.3.4/0 (host bits set)', () => Peer.ipv4('1.2.3.4/0'), 'reads as 0.0.0.0/0'],
    ['2000::/3 (all of global unicast)', () => Peer.ipv6('2000::/3'), 'Peer.anyIpv6()'],
  ])('refuses %s', (_title, build, text) => {
    const err = refusal(build);
    expect(err.message).toMatch(/whole internet/);
    expect(err.message).toContain(text);
  });

  it('refuses halves of the internet in one access list', () => {
    const err = refusal(() => cluster({ access: { sshFrom: ['0.0.0.0/1', '128.0.0.0/1'] } }));
    expect(err.message).toBe(
      'test/analytics: access.sshFrom: these blocks together cover every public IPv4 address, got ["0.0.0.0/1","128.0.0.0/1"]. ' +
        'List the networks that need access; to open a port to everyone on purpose, call e.g. cluster.allowWebUiFrom(Peer.anyIpv4()).',
    );
    expect(refusal(() => cluster({ access: { webUiFrom: ['2000::/4', '3000::/4'] } })).message).toMatch(
      /every public IPv6 address/,
    );
    // Four quarters with an overlap are still everything.
    const quarters = ['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/2', '128.0.0.0/1', '192.0.0.0/2'];
    expect(refusal(() => cluster({ access: { submitFrom: quarters } })).message).toMatch(/every public IPv4 address/);
    // Leaving out only what no internet packet comes from (private, multicast, reserved) is still everyone.
    const publicOnly = ['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/3'];
    expect(refusal(() => cluster({ access: { sshFrom: publicOnly } })).message).toMatch(/every public IPv4 address/);
    // Leaving out one public block is not.
    cluster({ access: { sshFrom: ['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/4'] } });
  });

  it('refuses halves added one call at a time, on the ports where they meet', () => {
    const { cluster: c } = cluster();
    c.allowSshFrom(Peer.ipv4('0.0.0.0/1'));
    const err = refusal(() => c.allowSshFrom(Peer.ipv4('128.0.0.0/1')));
    expect(err.message).toBe(
      'test/analytics/Security/Master: ingress rules for tcp 22 together admit every public IPv4 address, got "0.0.0.0/1 + 128.0.0.0/1". ' +
        'Name the networks that need access, or use Peer.anyIpv4() if you really mean everyone.',
    );
    const group = c.masterSecurityGroup.connections;
    group.allowFrom(Peer.ipv4('0.0.0.0/1'), Port.tcpRange(1000, 2000), 'low half');
    group.allowFrom(Peer.ipv4('128.0.0.0/1'), Port.tcp(2001), 'high half, another port');
    expect(refusal(() => group.allowFrom(Peer.ipv4('128.0.0.0/1'), Port.tcp(1500), 'x')).message).toMatch(
      /for tcp 1500 together admit every public IPv4 address/,
    );
  });

  it('accepts halves on a port Peer.anyIpv4() opened on purpose, and halves on different ports', () => {
    const { cluster: c } = cluster();
    c.allowWebUiFrom(Peer.anyIpv4());
    c.allowWebUiFrom(Peer.ipv4('0.0.0.0/1'));
    c.allowWebUiFrom(Peer.ipv4('128.0.0.0/1'));
    c.allowSshFrom(Peer.ipv4('0.0.0.0/1'));
    c.allowSubmitFrom(Peer.ipv4('128.0.0.0/1'));
    expect(c.masterSecurityGroup.connections.ingressRules.length).toBeGreaterThan(5);
  });

  it.each([
    ['010.0.0.0/8', () => Peer.ipv4('010.0.0.0/8'), 'Write it as 10.0.0.0/8.'],
    ['10.0.0.0/08', () => Peer.ipv4('10.0.0.0/08'), 'Write it as 10.0.0.0/8.'],
    ['2001:DB8::/32', () => Peer.ipv6('2001:DB8::/32'), 'Write it as 2001:db8::/32.'],
    ['2001:0db8:0:0::/32', () => Peer.ipv6('2001:0db8:0:0::/32'), 'Write it as 2001:db8::/32.'],
    ['2001:db8::1/64', () => Peer.ipv6('2001:db8::1/64'), 'or 2001:db8::1/128 for that one address.'],
    ['a networkCidr with /024', () => cluster({ networkCidr: '10.42.0.0/024' }), 'Write it as 10.42.0.0/24.'],
  ])('refuses a CIDR not written canonically: %s', (_title, build, fix) => {
    expect(refusal(build).message).toContain(fix);
  });

  it.each([
    [' 10.0.0.0/8', () => Peer.ipv4(' 10.0.0.0/8')],
    ['a trailing newline', () => Peer.ipv4('10.0.0.0/8\n')],
    ['an IPv6 block as IPv4', () => Peer.ipv4('2001:db8::/32')],
    ['an IPv4 block as IPv6', () => Peer.ipv6('10.0.0.0/8')],
    ['a number', () => Peer.cidr(42 as any)],
    ['undefined', () => Peer.cidr(undefined as any)],
    ['three colons', () => Peer.ipv6(':::/8')],
    ['nine groups', () => Peer.ipv6('1:2:3:4:5:6:7:8:9/64')],
    ['a /129', () => Peer.ipv6('2001:db8::/129')],
  ])('refuses what is not a CIDR: %s', (_title, build) => {
    expect(refusal(build).message).toMatch(/not an IPv[46]( or IPv6)? CIDR/);
  });
});

describe('sparkConf keys the library owns', () => {
  it.each([
    ['spark.authenticate', 'false', 'authentication stays on'],
    ['spark.authenticate.secret', 'hunter2', 'cluster.authSecret'],
    ['spark.authenticate.secret.file', '/tmp/s', 'cluster.authSecret'],
    ['spark.master', 'spark://evil.example.com:7077', 'cluster.masterUrl'],
    ['spark.master.rest.enabled', 'true', 'enableRestSubmission: true'],
    ['spark.master.rest.port', '6067', 'enableRestSubmission: true'],
    ['spark.network.crypto.enabled', 'false', 'rpcEncryption'],
    ['spark.network.crypto.authEngineVersion', '1', 'Drop the key.'],
  ])('refuses %s', (key, value, fix) => {
    const err = refusal(() => cluster({ sparkConf: { [key]: value } }));
    expect(err.message).toMatch(new RegExp(`^test/analytics: sparkConf: this key is the library's: .*, got "${key}"`));
    expect(err.message).toContain(fix);
  });

  it.each(['spark.hadoop.fs.s3a.secret.key', 'spark.hadoop.fs.s3a.access.key', 'spark.hadoop.fs.s3a.endpoint'])(
    'refuses %s with objectStorage, whose credential the library made, and takes it without',
    (key) => {
      const objectStorage = { s3Endpoint: 'https://s3.example.com' };
      expect(refusal(() => cluster({ objectStorage, sparkConf: { [key]: 'x' } })).message).toMatch(
        /this key is the library's with objectStorage/,
      );
      cluster({ sparkConf: { [key]: 'x' } });
    },
  );

  it('still takes the keys it does not own, and they win over its defaults', () => {
    const { stack } = cluster({ sparkConf: { 'spark.executor.cores': '1', 'spark.network.crypto.cipher': 'x' } });
    expect(Testing.synth(stack)).toContain('spark.executor.cores 1');
  });
});

describe('collisions and capacity on the cloud side', () => {
  it('refuses two clusters of one name in one stack, not in two stacks', () => {
    const stack = newStack();
    new SparkCluster(stack, 'a', clusterProps({ name: 'analytics', networkCidr: '10.42.0.0/24' }));
    const err = refusal(
      () => new SparkCluster(stack, 'b', clusterProps({ name: 'analytics', networkCidr: '10.43.0.0/24' })),
    );
    expect(err.message).toBe(
      'test/b: name is already the name of test/a in this stack (key pair and container names would collide), got "analytics". Give each cluster its own name.',
    );
    new SparkCluster(newStack('other'), 'b', clusterProps({ name: 'analytics' }));
  });

  it('refuses more workers than the DHCP range holds, with a network size that fits them', () => {
    expect(refusal(() => cluster({}, { count: 300 })).message).toBe(
      'test/analytics/Workers/general: 300 workers in all, but the subnet 10.42.0.0/24 has addresses for 234, got 300. ' +
        'Use a larger networkCidr, e.g. a /23, or fewer workers.',
    );
    expect(refusal(() => cluster({ networkCidr: '10.42.0.0/27' }, { count: 20 })).message).toMatch(
      /20 workers in all, but the subnet 10\.42\.0\.0\/27 has addresses for 10/,
    );
    // The fix works: a /23 holds 300.
    cluster({ networkCidr: '10.42.0.0/23' }, { count: 300 });
    // Pools add up.
    const { cluster: c } = cluster({}, { count: 200 });
    expect(refusal(() => c.addWorkerPool('more', { count: 35, flavor: XLARGE })).message).toMatch(
      /^test\/analytics\/Workers\/more: 235 workers in all, but the subnet 10\.42\.0\.0\/24 has addresses for 234, got 35\./,
    );
    c.addWorkerPool('fits', { count: 34, flavor: XLARGE });
  });

  it('refuses two clusters that give their masters one fixed address on a shared subnet', () => {
    const stack = newStack();
    const attrs = { networkId: 'net', subnetId: 'sub', cidr: '192.168.50.0/24', masterIp: '192.168.50.5' };
    const network = SparkNetwork.fromAttributes(stack, 'Shared', attrs);
    new SparkCluster(stack, 'one', clusterProps({ network }));
    expect(refusal(() => new SparkCluster(stack, 'two', clusterProps({ network }))).message).toBe(
      'test/two: network: 192.168.50.5 is already a master address of test/one on this subnet, got "192.168.50.5". ' +
        'Adopt the subnet once per cluster with SparkNetwork.fromAttributes, each with its own free masterIp (and standbyMasterIps).',
    );
    const other = SparkNetwork.fromAttributes(stack, 'SharedAgain', { ...attrs, masterIp: '192.168.50.6' });
    new SparkCluster(stack, 'three', clusterProps({ network: other }));
  });

  it('refuses more workers than an existing subnet can address', () => {
    const stack = newStack();
    const network = SparkNetwork.fromAttributes(stack, 'Shared', {
      networkId: 'net',
      subnetId: 'sub',
      cidr: '192.168.50.0/24',
      masterIp: '192.168.50.5',
    });
    const c = new SparkCluster(stack, 'analytics', clusterProps({ network }));
    expect(refusal(() => c.addWorkerPool('general', { count: 252, flavor: XLARGE })).message).toMatch(
      /has addresses for 251, got 252\. Use fewer workers, or a subnet with a larger allocation pool\./,
    );
  });

  it('tells a /28 cluster network to grow, without naming allocationPool (SparkCluster has none)', () => {
    const err = refusal(() => cluster({ networkCidr: '10.42.0.16/28' }));
    expect(err.message).toMatch(/^test\/analytics: networkCidr: a \/28 leaves no room/);
    expect(err.message).toContain('Use a /27 or larger block, e.g. 10.42.0.0/27.');
    expect(err.message).not.toContain('allocationPool');
  });

  it.each([
    ['the network address', '192.168.50.0', /masterIp is the network address/],
    ['the broadcast address', '192.168.50.255', /masterIp is the broadcast address/],
    ['an address outside', '192.168.51.5', /masterIp must be an address inside/],
    ['an address with a leading zero', '192.168.50.05', /masterIp must be an address inside/],
  ])('refuses a masterIp that is %s', (_title, masterIp, pattern) => {
    const err = refusal(() =>
      SparkNetwork.fromAttributes(newStack(), 'Shared', {
        networkId: 'net',
        subnetId: 'sub',
        cidr: '192.168.50.0/24',
        masterIp,
      }),
    );
    expect(err.message).toMatch(pattern);
  });

  it.each([
    ['six DNS servers', ['9.9.9.9', '1.1.1.1', '8.8.8.8', '8.8.4.4', '9.9.9.10', '1.0.0.1']],
    ['a DNS server twice', ['9.9.9.9', '9.9.9.9']],
  ])('refuses %s, which Neutron would refuse at apply', (_title, dnsNameservers) => {
    expect(refusal(() => cluster({ dnsNameservers })).message).toMatch(
      /^test\/analytics\/Network: dnsNameservers must be at most 5 different addresses/,
    );
  });

  it('keeps two IPv6 blocks whose rule keys would flatten to one, instead of dropping the second', () => {
    const { stack, cluster: c } = cluster();
    c.allowSshFrom(Peer.ipv6('1:2::3/128'));
    c.allowSshFrom(Peer.ipv6('1::2:3/128'));
    c.allowSshFrom(Peer.ipv6('1::2:3/128'));
    const prefixes = Object.values(
      JSON.parse(Testing.synth(stack)).resource.openstack_networking_secgroup_rule_v2 as Record<
        string,
        { remote_ip_prefix?: string; port_range_min?: number; security_group_id: string }
      >,
    )
      .filter((r) => r.port_range_min === 22 && r.security_group_id.includes('Master'))
      .map((r) => r.remote_ip_prefix)
      .sort();
    expect(prefixes).toEqual(['1:2::3/128', '1::2:3/128']);
  });

  it('refuses an existing subnet too small for a cluster, and a CIDR written loosely', () => {
    const adopt = (cidr: string) => () =>
      SparkNetwork.fromAttributes(newStack(), 'Shared', { networkId: 'n', subnetId: 's', cidr, masterIp: '10.0.0.1' });
    expect(refusal(adopt('10.0.0.0/30')).message).toMatch(/cidr must be a canonical IPv4 CIDR of \/29 or larger/);
    expect(refusal(adopt('10.0.0.0/024')).message).toContain('Write it as 10.0.0.0/24.');
  });

  it("refuses metadata beyond Nova's limits, and the library's own keys", () => {
    const items = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(refusal(() => cluster({ metadata: items(126) })).message).toMatch(
      /metadata has 126 items; with the library's 3 that is over Nova's default limit of 128, got 126\. Keep at most 125 items/,
    );
    expect(refusal(() => cluster({}, { metadata: items(125) })).message).toMatch(/Keep at most 124 items/);
    // At the limit, every server holds exactly Nova's 128 items, the library's keys included.
    const stack = newStack();
    const full = new SparkCluster(stack, 'analytics', clusterProps({ metadata: items(125) }));
    full.addWorkerPool('general', { count: 1, flavor: XLARGE, metadata: items(124) });
    const servers = Object.values(resourcesOf(Testing.synth(stack), 'openstack_compute_instance_v2'));
    expect(servers.map((srv) => Object.keys(srv.metadata as object).length)).toEqual([128, 128]);
    // A master with a volume carries spark:local-volume too, and holds 128 items at its limit.
    expect(refusal(() => cluster({ master: { flavor: LARGE, volumeGiB: 10 }, metadata: items(125) })).message).toMatch(
      /metadata has 125 items; with the library's 4 that is over Nova's default limit of 128, got 125\. Keep at most 124 items/,
    );
    const masterVolume = newStack();
    new SparkCluster(
      masterVolume,
      'analytics',
      clusterProps({ master: { flavor: LARGE, volumeGiB: 10 }, metadata: items(124) }),
    ).addWorkerPool('general', { count: 1, flavor: XLARGE });
    const masterServer = Object.values(resourcesOf(Testing.synth(masterVolume), 'openstack_compute_instance_v2')).find(
      (srv) => (srv.metadata as Record<string, string>)['spark:role'] === 'master',
    )!;
    expect(Object.keys(masterServer.metadata as object)).toHaveLength(128);
    // A pool with volumes also carries spark:local-volume: one item fewer for the user.
    expect(refusal(() => cluster({}, { localVolumeGiB: 10, metadata: items(124) })).message).toMatch(
      /metadata has 124 items; with the library's 5 that is over Nova's default limit of 128, got 124\. Keep at most 123 items/,
    );
    const withVolumes = newStack();
    new SparkCluster(withVolumes, 'analytics', clusterProps()).addWorkerPool('general', {
      count: 1,
      flavor: XLARGE,
      localVolumeGiB: 10,
      metadata: items(123),
    });
    const worker = Object.values(resourcesOf(Testing.synth(withVolumes), 'openstack_compute_instance_v2')).find(
      (srv) => (srv.metadata as Record<string, string>)['spark:role'] === 'worker',
    )!;
    expect(Object.keys(worker.metadata as object)).toHaveLength(128);
    expect(refusal(() => cluster({ metadata: { team: 'x'.repeat(256) } })).message).toMatch(
      /metadata value of team must be one line of at most 255 characters/,
    );
    expect(refusal(() => cluster({ metadata: { team: 'data\nops' } })).message).toMatch(/one line/);
    expect(refusal(() => cluster({ metadata: { ['k'.repeat(256)]: 'v' } })).message).toMatch(/1-255 letters/);
    expect(refusal(() => cluster({}, { metadata: { 'spark:role': 'master' } })).message).toMatch(
      /keys starting with spark: are the library's own/,
    );
  });

  it('refuses a master volume type without a master volume (as pools do)', () => {
    expect(refusal(() => cluster({ master: { flavor: XLARGE, volumeType: 'ssd' } })).message).toBe(
      'test/analytics/Master: volumeType is set but there is no volume, got "ssd". Set volumeGiB too, or drop volumeType.',
    );
  });

  it('refuses externalNetwork with an existing network, where it would be ignored', () => {
    const stack = newStack();
    const network = SparkNetwork.fromAttributes(stack, 'Shared', {
      networkId: 'net',
      subnetId: 'sub',
      cidr: '192.168.50.0/24',
      masterIp: '192.168.50.5',
    });
    const err = refusal(
      () => new SparkCluster(stack, 'analytics', clusterProps({ network, externalNetwork: EXTERNAL })),
    );
    expect(err.message).toMatch(/^test\/analytics: externalNetwork applies only to a network the cluster creates/);
  });

  it('tells a floating IP on an existing network how to get one, not to set externalNetwork (refused there)', () => {
    const stack = newStack();
    const network = SparkNetwork.fromAttributes(stack, 'Shared', {
      networkId: 'net',
      subnetId: 'sub',
      cidr: '192.168.50.0/24',
      masterIp: '192.168.50.5',
    });
    const err = refusal(
      () =>
        new SparkCluster(stack, 'analytics', clusterProps({ network, master: { flavor: XLARGE, floatingIp: true } })),
    );
    expect(err.message).toMatch(/^test\/analytics: master\.floatingIp needs a router/);
    expect(err.message).toContain('cluster.master.portId');
  });

  it.each([
    ['a number', 123],
    ['an IPv4 address', '192.168.1.1'],
  ])('refuses a bucket name that is %s', (_title, name) => {
    expect(refusal(() => SparkContainer.fromName(name as any)).message).toMatch(/valid S3 bucket name/);
  });

  it('accepts externalNetwork with a SparkNetwork that has that same external network', () => {
    const stack = newStack();
    const network = new SparkNetwork(stack, 'Net', { name: 'own', externalNetwork: EXTERNAL });
    const c = new SparkCluster(
      stack,
      'analytics',
      clusterProps({ network, externalNetwork: EXTERNAL, master: { flavor: XLARGE, floatingIp: true } }),
    );
    c.addWorkerPool('general', { count: 1, flavor: XLARGE });
    expect(Testing.synth(stack)).toContain('openstack_networking_floatingip_v2');
  });

  it.each([
    ['a pool volume type with a newline', () => cluster({}, { localVolumeGiB: 10, volumeType: 'ssd\nx' })],
    [
      'a master volume type with a tab',
      () => cluster({ master: { flavor: XLARGE, volumeGiB: 5, volumeType: 'a\tb' } }),
    ],
    ['an image name with a newline', () => Image.fromName('ubuntu\n24.04')],
    ['an image name with surrounding spaces', () => Image.fromName(' ubuntu-24.04')],
    ['an image name of 256 characters', () => Image.fromName('u'.repeat(256))],
    ['an external network name with a newline', () => ExternalNetwork.fromName('public\n')],
    ['a key pair name with a NUL', () => KeyPair.fromName('key\u0000')],
    ['a flavor name with DEL', () => Flavor.of({ name: 'm1\u007f', vcpus: 2, ramMiB: 4096 })],
  ])('refuses control characters and stray spaces in names: %s', (_title, build) => {
    expect(refusal(build).message).toMatch(/one line|without spaces|flavor name/);
  });

  it.each([
    ['a type with a truncated key', 'ssh-ed25519 AAAA'],
    ['base64 of something else', 'ssh-ed25519 aGVsbG8gd29ybGQ='],
    ['an ed25519 key labelled ssh-rsa', `ssh-rsa ${ED25519_BLOB}`],
    ['broken base64', `ssh-ed25519 ${ED25519_BLOB.slice(0, -3)}`],
    ['two keys on two lines', `${PUBLIC_KEY}\n${PUBLIC_KEY}`],
    ['a private key', '-----BEGIN OPENSSH PRIVATE KEY-----'],
  ])('refuses a public key that is not a key: %s', (_title, key) => {
    expect(refusal(() => KeyPair.fromPublicKey(key)).message).toMatch(/^KeyPair\.fromPublicKey: /);
  });

  it('accepts a real key with a comment, and surrounding whitespace', () => {
    expect(KeyPair.fromPublicKey(`  ${PUBLIC_KEY} a comment\n`)).toBeInstanceOf(KeyPair);
  });

  it.each([
    ['a pool volume of 10^9 GiB', () => cluster({}, { localVolumeGiB: 1e9 })],
    ['a master volume of 2^53 GiB', () => cluster({ master: { flavor: XLARGE, volumeGiB: 2 ** 53 } })],
    ['a master volume of Infinity', () => cluster({ master: { flavor: XLARGE, volumeGiB: Infinity } })],
    ['a flavor of 10^12 vCPUs', () => Flavor.of({ name: 'huge', vcpus: 1e12, ramMiB: 8192 })],
  ])('refuses absurd sizes: %s', (_title, build) => {
    expect(refusal(build).message).toMatch(/from 1 to \d+/);
  });
});

describe('plain JavaScript and `as any`', () => {
  it.each([
    [
      "placement: 'anti-affinity'",
      () => cluster({}, { placement: 'anti-affinity' as any }),
      'placement must be a Placement',
    ],
    ["userDataPolicy: 'ignore'", () => cluster({ userDataPolicy: 'ignore' as any }), 'must be a UserDataChangePolicy'],
    [
      'a plain object for a Flavor',
      () => cluster({}, { flavor: { name: 'm1.large', vcpus: 4, ramMiB: 8192 } as any }),
      'flavor must be a Flavor',
    ],
    [
      'a plain object for the master Flavor',
      () => cluster({ master: { flavor: { name: 'm1', vcpus: 4, ramMiB: 8192 } as any } }),
      'master.flavor must be a Flavor',
    ],
    ["image: 'ubuntu-24.04'", () => cluster({ image: 'ubuntu-24.04' as any }), 'image must be a Image'],
    ['a pool image as a plain object', () => cluster({}, { image: { name: 'x' } as any }), 'image must be a Image'],
    ['a key as a string', () => cluster({ keyPair: PUBLIC_KEY as any }), 'keyPair must be a KeyPair'],
    ["sparkVersion: '3.5.7'", () => cluster({ sparkVersion: '3.5.7' as any }), 'sparkVersion must be a SparkVersion'],
    ["externalNetwork: 'public'", () => cluster({ externalNetwork: 'public' as any }), 'must be a ExternalNetwork'],
    [
      'a CIDR string for a list',
      () => cluster({ access: { sshFrom: '10.0.0.0/8' as any } }),
      'access.sshFrom must be a list of strings',
    ],
    ["floatingIp: 'false'", () => cluster({ master: { flavor: XLARGE, floatingIp: 'false' as any } }), 'true or false'],
    ["rpcEncryption: 'no'", () => cluster({ rpcEncryption: 'no' as any }), 'rpcEncryption must be true or false'],
    ['protectVolumes: 1', () => cluster({}, { localVolumeGiB: 5, protectVolumes: 1 as any }), 'true or false'],
    ['a partial network', () => cluster({ network: { networkId: 'x' } as any }), 'network must be a SparkNetwork'],
    ["count: '3'", () => cluster({}, { count: '3' as any }), 'Give a number, e.g. count: 3.'],
    ['a CA as one string', () => cluster({ trustedCaCertificates: 'PEM' as any }), 'must be a list of strings'],
    ['sparkConf as a list', () => cluster({ sparkConf: ['spark.x=y'] as any }), 'sparkConf must be an object'],
    ['metadata as a list', () => cluster({ metadata: ['team=data'] as any }), 'metadata must be an object'],
    [
      'a container as a string',
      () => cluster({ objectStorage: { s3Endpoint: 'https://s3.example.com', dataContainer: 'data' as any } }),
      'objectStorage.dataContainer must be a SparkContainer',
    ],
    ['a peer as a string', () => cluster().cluster.allowSshFrom('10.0.0.0/8' as any), 'peer must be a Peer'],
    [
      'a port as a number',
      () => cluster().cluster.masterSecurityGroup.connections.allowFrom(Peer.ipv4('10.0.0.0/8'), 22 as any, 'x'),
      'port must be a Port',
    ],
    ['a group as a string', () => Peer.group('sg-1' as any), 'group must be a SparkSecurityGroup'],
    ['a sha512 as a number', () => SparkVersion.of('3.5.9', { sha512: 5 as any }), 'sha512 must be 128 hex digits'],
    ['a version as a number', () => SparkVersion.of(3.5 as any), 'version must be MAJOR.MINOR.PATCH'],
    [
      'an S3 region as a number',
      () => cluster({ objectStorage: { s3Endpoint: 'https://s3.example.com', s3Region: 5 as any } }),
      's3Region must be a region name',
    ],
    ['webUiTls as a string', () => cluster({ webUiTls: 'pem' as any }), 'webUiTls must be an object'],
    ['sparkConf as null', () => cluster({ sparkConf: null as any }), 'sparkConf must be an object'],
  ])('refuses %s', (_title, build, text) => {
    expect(refusal(build).message).toContain(text);
  });

  it.each([
    ['no props', () => new SparkCluster(newStack(), 'analytics', undefined as any), 'props is required'],
    ['no image', () => new SparkCluster(newStack(), 'analytics', {} as any), 'image is required'],
    [
      'no master',
      () => new SparkCluster(newStack(), 'analytics', { ...clusterProps(), master: undefined } as any),
      'master is required',
    ],
    [
      'no master flavor',
      () => new SparkCluster(newStack(), 'analytics', clusterProps({ master: {} as any })),
      'master.flavor is required',
    ],
    ['no pool options', () => cluster().cluster.addWorkerPool('more', undefined as any), 'options is required'],
    ['no pool flavor', () => cluster().cluster.addWorkerPool('more', { count: 2 } as any), 'flavor is required'],
    ['no flavor spec', () => Flavor.of(undefined as any), 'spec is required'],
    ['no network attributes', () => SparkNetwork.fromAttributes(newStack(), 'n', undefined as any), 'is required'],
    ['no external network attributes', () => ExternalNetwork.fromAttributes(undefined as any), 'attrs is required'],
    ['no image name', () => Image.fromName(undefined as any), 'name must be one line'],
    ['no key', () => KeyPair.fromPublicKey(undefined as any), 'publicKey must be one OpenSSH public key line'],
  ])('refuses a missing required prop with a SparkConfigError, not a TypeError: %s', (_title, build, text) => {
    expect(refusal(build).message).toContain(text);
  });
});

describe('messages that say what is wrong', () => {
  it('prints NaN and Infinity as themselves, not as null', () => {
    expect(refusal(() => cluster({}, { count: NaN })).message).toMatch(/got NaN\. Give a finite number/);
    expect(refusal(() => cluster({}, { count: Infinity })).message).toMatch(/got Infinity\. Give a finite number/);
    expect(refusal(() => cluster({}, { localVolumeGiB: NaN })).message).toMatch(/got NaN\./);
    expect(refusal(() => Flavor.of({ name: 'm1', vcpus: NaN, ramMiB: 4096 })).message).toMatch(/got NaN\./);
  });

  it('tells a fractional count to use a whole number, not to split the pool', () => {
    expect(refusal(() => cluster({}, { count: 1.5 })).message).toMatch(
      /count must be a whole number from 1 to 1000, got 1\.5\. Use a whole number, e.g\. count: 2\.$/,
    );
    expect(refusal(() => cluster({}, { count: 0.2 })).message).toMatch(/Remove the pool or set count: 1\./);
  });

  it('names the cluster, not SparkBootstrap, for bootstrap settings', () => {
    expect(refusal(() => cluster({ sparkMirrorUrl: 'ftp://mirror.example.com' })).message).toMatch(
      /^test\/analytics: sparkMirrorUrl must be an http\(s\) URL/,
    );
    expect(refusal(() => cluster({ javaPackage: 'openjdk; rm -rf /' })).message).toMatch(
      /^test\/analytics: javaPackage must be a Debian package name/,
    );
    expect(refusal(() => cluster({ trustedCaCertificates: ['not a pem'] })).message).toMatch(
      /^test\/analytics: trustedCaCertificates: /,
    );
    // Used alone, the class still names itself.
    expect(
      refusal(() => new SparkBootstrap({ sparkVersion: SparkVersion.V3_5_7, masterIp: '10.0.0.1', javaPackage: 'A' }))
        .message,
    ).toMatch(/^SparkBootstrap: javaPackage/);
  });

  it("unwraps errors thrown while cdktf resolves user data: the user reads ours, not 'Resolution error'", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-'));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, 'big');
      new OpenstackProvider(stack, 'openstack', {});
      const c = new SparkCluster(
        stack,
        'analytics',
        clusterProps({ sparkConf: { 'spark.big': randomBytes(60_000).toString('base64') } }),
      );
      c.addWorkerPool('general', { count: 1, flavor: XLARGE });
      const err = refusal(() => app.synth());
      expect(err.message).toMatch(
        /^big\/analytics\/(Master|Workers\/general): user data is \d+ bytes in base64 \(about \d+ gzip-compressed\), over Nova's limit/,
      );
      expect(fs.existsSync(path.join(outdir, 'stacks', 'big', 'cdk.tf.json'))).toBe(false);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('ExternalNetwork.fromName reused across stacks', () => {
  it('gives each stack its own data source, never another stack’s state', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'two-stacks-'));
    try {
      const app = new App({ outdir });
      const shared = ExternalNetwork.fromName('public');
      for (const [i, id] of ['one', 'two'].entries()) {
        const stack = new TerraformStack(app, id);
        new OpenstackProvider(stack, 'openstack', {});
        const c = new SparkCluster(
          stack,
          'analytics',
          clusterProps({ externalNetwork: shared, networkCidr: `10.4${i}.0.0/24` }),
        );
        c.addWorkerPool('general', { count: 1, flavor: XLARGE });
      }
      app.synth();
      for (const id of ['one', 'two']) {
        const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', id, 'cdk.tf.json'), 'utf8'));
        expect({ id, lookups: Object.keys(json.data?.openstack_networking_network_v2 ?? {}).length }).toEqual({
          id,
          lookups: 1,
        });
        expect(json.data?.terraform_remote_state).toBeUndefined();
        expect(JSON.stringify(json.resource.openstack_networking_router_v2)).toContain(
          '${data.openstack_networking_network_v2.',
        );
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
