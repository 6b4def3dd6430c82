import { TerraformResource } from 'cdktf';
import { Flavor, Image, KeyPair, Peer, SparkCluster, SparkVersion, UserDataChangePolicy } from '../lib';
import { ALL_CLEAR, Finding, renderMarkdown, renderText } from '../scripts/plan-review';
import { planChange } from './support/change';
import { clusterProps, EXTERNAL, LARGE, newStack, XLARGE } from './support/fixtures';
import { makeTestCertificate } from './support/tls';

// Each test plans with the real tofu and provider against "a state made without a cloud":
// the state the previous configuration would have left (scripts/offline-state.ts).

type Options = {
  count?: number;
  props?: Parameters<typeof clusterProps>[0];
  extraPool?: boolean;
  protectVolumes?: boolean;
  poolImage?: Image;
  poolFlavor?: Flavor;
  /** The pool's local volumes (100 GiB each). */
  volumes?: boolean;
};

function cluster({
  count = 3,
  props = {},
  extraPool = false,
  protectVolumes = false,
  poolImage,
  poolFlavor = XLARGE,
  volumes = true,
}: Options = {}) {
  const stack = newStack();
  const c = new SparkCluster(stack, 'analytics', clusterProps({ access: { webUiFrom: ['203.0.113.0/24'] }, ...props }));
  c.addWorkerPool('general', {
    count,
    flavor: poolFlavor,
    localVolumeGiB: volumes ? 100 : undefined,
    protectVolumes: volumes ? protectVolumes : undefined,
    image: poolImage,
  });
  if (extraPool) c.addWorkerPool('highmem', { count: 2, flavor: LARGE });
  return { stack, cluster: c };
}

const worker = (type: string, what: string, key: string) => `${type}.analytics_Workers_general_${what}["${key}"]`;
const MASTER = 'openstack_compute_instance_v2.analytics_Master_Server';
const WORKERS = ['general-1', 'general-2', 'general-3'].map((k) =>
  worker('openstack_compute_instance_v2', 'Servers', k),
);
/** Findings as [category, address without the construct hash, message], to compare whole. */
const summarize = (findings: Finding[]) =>
  findings.map((f) => [f.category, f.address.replace(/_[0-9A-F]{8}(?=[.[]|$)/, ''), f.message]);
const GENERAL = 'openstack_compute_instance_v2.analytics_Workers_general_Servers[general-1, general-2, general-3]';
const drift = (count: number, what: string) =>
  (count === 1
    ? 'this running server keeps the user data it booted with'
    : `these ${count} running servers keep the user data they booted with`) +
  ` (UserDataChangePolicy.IGNORE) and will NOT get this change: ${what}`;
const BIG = Flavor.of({ name: 'm1.2xlarge', vcpus: 16, ramMiB: 32768 });
const OBJECT_STORAGE = { objectStorage: { s3Endpoint: 'https://object.example.com' } };

/** Everything one worker of the pool consists of (server, port, volume, attachment), sorted by address. */
const workerResources = (...keys: string[]) =>
  [
    ['openstack_blockstorage_volume_v3', 'Volumes'],
    ['openstack_compute_instance_v2', 'Servers'],
    ['openstack_compute_volume_attach_v2', 'VolumeAttachments'],
    ['openstack_networking_port_v2', 'Ports'],
  ].flatMap(([type, what]) => keys.map((key) => worker(type, what, key)));

describe('change safety (real plans against a state made without a cloud)', () => {
  it('scaling a pool 3 -> 5 creates two workers with their ports and volumes, and touches nothing else', () => {
    const { byAction, review } = planChange(cluster({ count: 3 }).stack, cluster({ count: 5 }).stack);
    expect(byAction).toEqual({
      create: workerResources('general-4', 'general-5'),
    });
    expect(review.findings).toEqual([]);
    const markdown = renderMarkdown(review);
    expect(markdown).toContain('**8 to add, 0 to change, 0 to replace, 0 to destroy**');
    expect(markdown).toMatch(/\| analytics \/ pool general \| servers +\| +2 \|/);
    expect(markdown).toMatch(/\| analytics \/ pool general \| volumes +\| +4 \|/);
    expect(markdown).toContain(ALL_CLEAR);
    // The review as a person sees it, kept in the test log (and quoted in the docs).
    console.log(`${renderText(review)}\n\n${markdown}`);
  });

  it('scaling 5 -> 3 destroys only the last two workers, their ports and their scratch volumes, and says so', () => {
    const { byAction, review } = planChange(cluster({ count: 5 }).stack, cluster({ count: 3 }).stack);
    expect(byAction).toEqual({
      delete: workerResources('general-4', 'general-5'),
    });
    expect(review.findings.map((f) => f.category)).toEqual(['destroy', 'destroy', 'destroy', 'destroy']);
  });

  it('scaling down a pool whose volumes are protected fails the plan instead of destroying them', () => {
    expect(() =>
      planChange(cluster({ count: 5, protectVolumes: true }).stack, cluster({ count: 3, protectVolumes: true }).stack),
    ).toThrow(/Resource instance cannot be destroyed[\s\S]*Volumes/);
  });

  it('a pool deployed before workers carried their volume ID gets spark:local-volume in place, and nothing is replaced', () => {
    // The state an earlier version left: the same pool, its servers without the key.
    const before = cluster();
    const servers = before.stack.node
      .findAll()
      .find((c) => c.node.path.endsWith('Workers/general/Servers')) as TerraformResource;
    servers.addOverride('metadata.spark:local-volume', undefined);
    const { byAction, review, plan } = planChange(before.stack, cluster().stack);
    expect(byAction).toEqual({ update: WORKERS });
    const volumeIds = new Map(
      (plan.resource_changes ?? [])
        .filter((rc) => rc.type === 'openstack_blockstorage_volume_v3')
        .map((rc) => [rc.index, rc.change.before?.id]),
    );
    for (const rc of (plan.resource_changes ?? []).filter((r) => r.type === 'openstack_compute_instance_v2')) {
      if (rc.change.actions.includes('no-op')) continue; // the master
      const { metadata: beforeMetadata, ...beforeRest } = rc.change.before as Record<string, unknown>;
      const { metadata: afterMetadata, ...afterRest } = rc.change.after as Record<string, unknown>;
      // Only the metadata changes, and only by the worker's own volume ID.
      expect(afterRest).toEqual(beforeRest);
      expect(afterMetadata).toEqual({ ...(beforeMetadata as object), 'spark:local-volume': volumeIds.get(rc.index) });
    }
    expect(review.findings).toEqual([]);
    expect(renderMarkdown(review)).toContain('**0 to add, 3 to change, 0 to replace, 0 to destroy**');
  });

  it('giving an existing pool local volumes creates and attaches them, and changes the servers in place', () => {
    const { byAction, review } = planChange(cluster({ volumes: false }).stack, cluster().stack);
    expect(byAction).toEqual({
      create: [
        ...['general-1', 'general-2', 'general-3'].map((k) => worker('openstack_blockstorage_volume_v3', 'Volumes', k)),
        ...['general-1', 'general-2', 'general-3'].map((k) =>
          worker('openstack_compute_volume_attach_v2', 'VolumeAttachments', k),
        ),
      ],
      update: WORKERS,
    });
    // The running workers booted without a volume: they do not mount it until replaced.
    expect(summarize(review.findings)).toEqual([
      [
        'drift',
        GENERAL,
        drift(
          3,
          'their rendered configuration changes (mirror, Java package, trusted CAs, Spark options or the ' +
            'bootstrap itself): they keep the old one',
        ),
      ],
    ]);
  });

  it('adding a smaller pool only creates resources, and says the running servers keep the larger executor defaults', () => {
    const { byAction, review } = planChange(cluster().stack, cluster({ extraPool: true }).stack);
    expect(Object.keys(byAction)).toEqual(['create']);
    expect(byAction.create.every((a) => a.includes('Workers_highmem'))).toBe(true);
    expect(byAction.create).toHaveLength(5); // the server group, two ports, two servers
    const what =
      'executor defaults (cores/heap/overhead) 3/6237m/624m -> 3/5585m/559m: applications submitted from ' +
      'them ask for the old size, which the smaller workers cannot hold';
    expect(summarize(review.findings)).toEqual([
      ['drift', MASTER, drift(1, what)],
      ['drift', GENERAL, drift(3, what)],
    ]);
  });

  it('changing a Spark setting changes nothing on existing servers under the default policy, and says they miss it', () => {
    const { byAction, review } = planChange(
      cluster().stack,
      cluster({ props: { sparkConf: { 'spark.sql.shuffle.partitions': '800' } } }).stack,
    );
    expect(byAction).toEqual({});
    const what = 'sparkConf changes (values not shown): they keep the old settings';
    expect(summarize(review.findings)).toEqual([
      ['drift', MASTER, drift(1, what)],
      ['drift', GENERAL, drift(3, what)],
    ]);
    expect(JSON.stringify(review)).not.toContain('800');
  });

  it('changing the Spark version is drift under IGNORE, named per cluster and pool', () => {
    const { byAction, review } = planChange(
      cluster().stack,
      cluster({ props: { sparkVersion: SparkVersion.V4_0_1 } }).stack,
    );
    expect(byAction).toEqual({});
    const what = 'Spark 3.5.7 -> 4.0.1: they keep running Spark 3.5.7';
    expect(summarize(review.findings)).toEqual([
      ['drift', MASTER, drift(1, what)],
      ['drift', GENERAL, drift(3, what)],
    ]);
  });

  it('a cluster-wide image change rebuilds every server in place, and the review says the root disks are wiped', () => {
    const { byAction, review } = planChange(
      cluster().stack,
      cluster({ props: { image: Image.fromName('debian-12') } }).stack,
    );
    expect(byAction).toEqual({ update: [MASTER, ...WORKERS] });
    expect(summarize(review.findings)).toEqual([
      [
        'rebuild',
        MASTER,
        'image ubuntu-24.04 -> debian-12: Nova REBUILDS the master in place: its root disk is wiped and ' +
          're-imaged (Spark, logs, anything written to it is lost), it reboots and bootstraps again from the ' +
          'user data it was created with; every running application loses its master and fails',
      ],
      [
        'rebuild',
        GENERAL,
        'image ubuntu-24.04 -> debian-12: Nova REBUILDS in place these 3 servers at once, in the same apply: ' +
          'each root disk is wiped and re-imaged (Spark, logs and local dirs on the root disk are lost), each ' +
          'reboots and bootstraps again from the user data it was created with; running applications lose ' +
          'their executors on them',
      ],
    ]);
    expect(review.findings.every((f) => f.advice?.includes('npm run rollout -- <stack>'))).toBe(true);
    expect(renderText(review)).toContain('!! REBUILD (root disk wiped):');
  });

  it("one pool's image change rebuilds only that pool's servers", () => {
    const { byAction, review } = planChange(cluster().stack, cluster({ poolImage: Image.fromName('debian-12') }).stack);
    expect(byAction).toEqual({ update: WORKERS });
    expect(summarize(review.findings).map(([c, a]) => [c, a])).toEqual([['rebuild', GENERAL]]);
  });

  it("a pool's flavor change resizes its servers in place (a reboot each), and the new executor defaults are drift", () => {
    const { byAction, review } = planChange(cluster().stack, cluster({ poolFlavor: BIG }).stack);
    expect(byAction).toEqual({ update: WORKERS });
    const what =
      'executor defaults (cores/heap/overhead) 3/6237m/624m -> 5/8626m/863m: applications submitted from them ask for the old size';
    expect(summarize(review.findings)).toEqual([
      ['drift', MASTER, drift(1, what)],
      ['drift', GENERAL, drift(3, what)],
      [
        'resize',
        GENERAL,
        'flavor m1.xlarge -> m1.2xlarge: Nova RESIZES in place these 3 servers at once, in the same apply: each ' +
          'stops, may move to another hypervisor, and reboots; applications lose the executors (and shuffle ' +
          'files) on them. On reboot each worker sizes itself from its new vCPUs and RAM',
      ],
    ]);
  });

  it("the master's flavor change resizes the master alone, and the review says every running application dies", () => {
    const { byAction, review } = planChange(cluster().stack, cluster({ props: { master: { flavor: XLARGE } } }).stack);
    expect(byAction).toEqual({ update: [MASTER] });
    expect(summarize(review.findings)).toEqual([
      [
        'resize',
        MASTER,
        'flavor m1.large -> m1.xlarge: Nova RESIZES the master in place: it stops, may move to another ' +
          'hypervisor, and reboots; every running application loses its master and fails, and the workers ' +
          're-register when it is back',
      ],
    ]);
  });

  it('a new networkCidr replaces the subnet and moves every port, and the review says the nodes keep the old master address', () => {
    const { byAction, review } = planChange(cluster().stack, cluster({ props: { networkCidr: '10.43.0.0/24' } }).stack);
    expect(byAction).toEqual({
      update: [
        'openstack_networking_port_v2.analytics_Master_Port',
        ...['general-1', 'general-2', 'general-3'].map((k) => worker('openstack_networking_port_v2', 'Ports', k)),
      ],
      replace: ['openstack_networking_subnet_v2.analytics_Network_Subnet'],
    });
    const found = summarize(review.findings);
    const what = "the master's address 10.42.0.10 -> 10.43.0.10: they keep looking for the master at the old address";
    expect(found).toContainEqual(['drift', MASTER, drift(1, what)]);
    expect(found).toContainEqual(['drift', GENERAL, drift(3, what)]);
    expect(found.filter(([c]) => c === 'address').map(([, a]) => a)).toEqual([
      'openstack_networking_port_v2.analytics_Master_Port',
      'openstack_networking_port_v2.analytics_Workers_general_Ports[general-1, general-2, general-3]',
    ]);
    expect(found).toHaveLength(4);
  });

  it('turning object storage on creates the containers and credential, and says no running node gets S3A', () => {
    const { byAction, review } = planChange(cluster().stack, cluster({ props: OBJECT_STORAGE }).stack);
    expect(byAction).toEqual({
      create: [
        'openstack_identity_ec2_credential_v3.analytics_Storage_S3_Ec2Credential',
        'openstack_networking_secgroup_rule_v2.analytics_Security_Master_Ingress-203_0_113_0_24-tcp-18080',
        'openstack_objectstorage_container_v1.analytics_Storage_Data_Container',
        'openstack_objectstorage_container_v1.analytics_Storage_EventLogs_Container',
        'openstack_objectstorage_object_v1.analytics_Storage_S3_EventLogDir',
      ],
    });
    const what =
      'object storage is turned on: they get no S3A settings or credentials, no event logs, no history server';
    expect(summarize(review.findings)).toEqual([
      [
        'widen',
        'openstack_networking_secgroup_rule_v2.analytics_Security_Master_Ingress-203_0_113_0_24-tcp-18080',
        'allows tcp 18080-18080 from 203.0.113.0/24',
      ],
      ['drift', MASTER, drift(1, what)],
      ['drift', GENERAL, drift(3, what)],
    ]);
  });

  it('adding webUiTls swaps the HTTP rules for HTTPS ones, and says the running nodes keep serving HTTP', () => {
    const cert = makeTestCertificate('DNS:spark.example.com');
    const { byAction, review } = planChange(
      cluster().stack,
      cluster({ props: { webUiTls: { certificateChainPem: cert.chainPem, privateKeyPem: cert.keyPem } } }).stack,
    );
    const rule = (group: string, ports: string) =>
      `openstack_networking_secgroup_rule_v2.analytics_Security_${group}_Ingress-203_0_113_0_24-tcp-${ports}`;
    expect(byAction).toEqual({
      create: [rule('Master', '4440-4449'), rule('Master', '8480'), rule('Workers', '8481')],
      delete: [rule('Master', '4040-4049'), rule('Master', '8080'), rule('Workers', '8081')],
    });
    const what = 'web UI TLS is turned on: they keep serving plain HTTP, on ports the new rules no longer open';
    const found = summarize(review.findings);
    expect(found.filter(([c]) => c === 'drift')).toEqual([
      ['drift', MASTER, drift(1, what)],
      ['drift', GENERAL, drift(3, what)],
    ]);
    expect(found.filter(([c]) => c === 'widen').map(([, , m]) => m)).toEqual([
      'allows tcp 4440-4449 from 203.0.113.0/24',
      'allows tcp 8480-8480 from 203.0.113.0/24',
      'allows tcp 8481-8481 from 203.0.113.0/24',
    ]);
    expect(JSON.stringify(review)).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });

  it('renaming the cluster replaces every server (the key pair is named after it) and says Swift cannot rename the containers', () => {
    const { byAction, review } = planChange(
      cluster({ props: OBJECT_STORAGE }).stack,
      cluster({ props: { ...OBJECT_STORAGE, name: 'analytics2' } }).stack,
    );
    expect(byAction.replace).toEqual(
      expect.arrayContaining([MASTER, ...WORKERS, 'openstack_compute_keypair_v2.analytics_KeyPair']),
    );
    expect(byAction.update).toEqual(
      expect.arrayContaining([
        'openstack_objectstorage_container_v1.analytics_Storage_Data_Container',
        'openstack_objectstorage_container_v1.analytics_Storage_EventLogs_Container',
      ]),
    );
    const found = summarize(review.findings);
    expect(found.filter(([c]) => c === 'rename')).toEqual([
      [
        'rename',
        'openstack_objectstorage_container_v1.analytics_Storage_Data_Container',
        'container analytics-spark-data -> analytics2-spark-data: Swift cannot rename a container, and this ' +
          'in-place update does not either: the provider updates analytics-spark-data under its old name (the ' +
          'next plan shows this change again), no object moves, and whatever uses the new name (the event-log ' +
          'marker, s3a://analytics2-spark-data on new servers) points at a container that does not exist',
      ],
      expect.arrayContaining(['rename', 'openstack_objectstorage_container_v1.analytics_Storage_EventLogs_Container']),
    ]);
    expect(found.filter(([c]) => c === 'replace').map(([, a]) => a)).toEqual([MASTER, ...WORKERS]);
    expect(found.filter(([c]) => c === 'replace').map(([, , m]) => m)).toContain(
      'server will be replaced (key_pair changes): its data is lost',
    );
    expect(found.filter(([c]) => c === 'keypair').map(([, , m]) => m)).toEqual([
      'key pair analytics is replaced with a new public key. Nova puts a key on a server only when it creates ' +
        '(or rebuilds) it: every server using it is replaced in this plan',
    ]);
    expect(found.filter(([c]) => c === 'drift')).toEqual([]); // every server is new
  });

  it("removing the master's floating IP destroys it and its association, and says the public address is lost", () => {
    const withIp = { externalNetwork: EXTERNAL, master: { flavor: LARGE, floatingIp: true } };
    const { byAction, review } = planChange(
      cluster({ props: withIp }).stack,
      cluster({ props: { externalNetwork: EXTERNAL } }).stack,
    );
    expect(byAction).toEqual({
      delete: [
        'openstack_networking_floatingip_associate_v2.analytics_Master_FloatingIpAssociation',
        'openstack_networking_floatingip_v2.analytics_Master_FloatingIp',
      ],
    });
    expect(summarize(review.findings)).toEqual([
      [
        'address',
        'openstack_networking_floatingip_v2.analytics_Master_FloatingIp',
        expect.stringMatching(
          /^the public address \S+ is released: whatever uses it \(DNS records, bookmarks, clients, firewalls elsewhere\) loses the master/,
        ),
      ],
    ]);
  });

  it('a new public key replaces the key pair alone, and says running servers keep accepting only the old key', () => {
    const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk2BfZhwcUVfx0uD9G5sAt7vYVkNyTjhv3L9c5sJGTq other';
    const { byAction, review } = planChange(
      cluster().stack,
      cluster({ props: { keyPair: KeyPair.fromPublicKey(other) } }).stack,
    );
    expect(byAction).toEqual({ replace: ['openstack_compute_keypair_v2.analytics_KeyPair'] });
    expect(summarize(review.findings)).toEqual([
      [
        'keypair',
        'openstack_compute_keypair_v2.analytics_KeyPair',
        'key pair analytics is replaced with a new public key. Nova puts a key on a server only when it creates ' +
          '(or rebuilds) it: 4 running server(s) keep accepting only the old key, new servers get the new one',
      ],
    ]);
  });

  it('narrowing the UI CIDR (/24 -> /32) swaps the rules and is not reported as widening', () => {
    const { byAction, review } = planChange(
      cluster().stack,
      cluster({ props: { access: { webUiFrom: ['203.0.113.7/32'] } } }).stack,
    );
    expect(byAction.create).toHaveLength(3);
    expect(byAction.delete).toHaveLength(3);
    expect(byAction.create.every((a) => a.includes('203_0_113_7_32'))).toBe(true);
    expect(review.findings).toEqual([]);
  });

  it('widening the UI CIDR (/24 -> /16) is reported as widening, from what to what', () => {
    const { byAction, review } = planChange(
      cluster().stack,
      cluster({ props: { access: { webUiFrom: ['203.0.0.0/16'] } } }).stack,
    );
    expect(byAction.create).toHaveLength(3);
    expect(byAction.delete).toHaveLength(3);
    expect(review.findings.map((f) => [f.category, f.message]).sort()).toEqual([
      ['widen', 'widens tcp 4040-4049 from 203.0.113.0/24 to 203.0.0.0/16'],
      ['widen', 'widens tcp 8080-8080 from 203.0.113.0/24 to 203.0.0.0/16'],
      ['widen', 'widens tcp 8081-8081 from 203.0.113.0/24 to 203.0.0.0/16'],
    ]);
  });

  it('changing a Spark setting replaces every server (and re-attaches its volume) under REPLACE, and flags it', () => {
    const replace = { userDataPolicy: UserDataChangePolicy.REPLACE };
    const { byAction, review } = planChange(
      cluster({ props: replace }).stack,
      cluster({ props: { ...replace, sparkConf: { 'spark.sql.shuffle.partitions': '800' } } }).stack,
    );
    expect(byAction).toEqual({
      replace: [
        'openstack_compute_instance_v2.analytics_Master_Server',
        worker('openstack_compute_instance_v2', 'Servers', 'general-1'),
        worker('openstack_compute_instance_v2', 'Servers', 'general-2'),
        worker('openstack_compute_instance_v2', 'Servers', 'general-3'),
        // The volumes stay; their attachments follow the new servers.
        worker('openstack_compute_volume_attach_v2', 'VolumeAttachments', 'general-1'),
        worker('openstack_compute_volume_attach_v2', 'VolumeAttachments', 'general-2'),
        worker('openstack_compute_volume_attach_v2', 'VolumeAttachments', 'general-3'),
      ],
    });
    expect(review.findings.filter((f) => f.category === 'replace')).toHaveLength(4);
    expect(review.findings.filter((f) => f.category === 'secret').map((f) => f.message)).toEqual(
      Array(4).fill('secret-bearing user_data changes (value not shown)'),
    );
  });

  it('opening the UI to a new CIDR only adds rules, each flagged as widening access', () => {
    const before = cluster();
    const after = cluster();
    after.cluster.allowWebUiFrom(Peer.ipv4('198.51.100.0/24'));
    const { byAction, review } = planChange(before.stack, after.stack);
    expect(Object.keys(byAction)).toEqual(['create']);
    expect(
      byAction.create.every(
        (a) => a.startsWith('openstack_networking_secgroup_rule_v2.') && a.includes('198_51_100_0_24'),
      ),
    ).toBe(true);
    // No object storage in this cluster, so no history-server rule.
    expect(review.findings.map((f) => [f.category, f.message]).sort()).toEqual([
      ['widen', 'allows tcp 4040-4049 from 198.51.100.0/24'],
      ['widen', 'allows tcp 8080-8080 from 198.51.100.0/24'],
      ['widen', 'allows tcp 8081-8081 from 198.51.100.0/24'],
    ]);
    expect(byAction.create).toHaveLength(3);
  });

  describe('standby masters', () => {
    const HA_ADDS = [
      'openstack_compute_instance_v2.analytics_Master2_Server',
      'openstack_compute_instance_v2.analytics_Master3_Server',
      'openstack_compute_servergroup_v2.analytics_MasterGroup',
      'openstack_networking_port_v2.analytics_Master2_Port',
      'openstack_networking_port_v2.analytics_Master3_Port',
    ];
    const masterFinding = (review: { findings: Finding[] }) =>
      summarize(review.findings).filter(([, address]) => String(address).startsWith('cluster analytics'));

    it('turning HA on adds two masters and a group, replaces the first master, and says the workers must follow', () => {
      const { byAction, review } = planChange(cluster().stack, cluster({ props: { highAvailability: true } }).stack);
      expect(byAction).toEqual({ create: HA_ADDS, replace: [MASTER] });
      expect(masterFinding(review)).toEqual([
        [
          'replace',
          'cluster analytics: 1 -> 3 masters',
          "standby masters are added: the master is replaced to join the masters' anti-affinity group (Nova puts a " +
            'server in a group only when it creates it), so running applications fail; and the running workers know ' +
            'only the first master: while another master is ALIVE they do not register',
        ],
      ]);
      expect(summarize(review.findings)).toContainEqual([
        'replace',
        MASTER,
        'server will be replaced (scheduler_hints changes): its data is lost',
      ]);
      expect(summarize(review.findings)).toContainEqual([
        'drift',
        GENERAL,
        drift(
          3,
          'the masters 10.42.0.10 -> 10.42.0.10,10.42.0.11,10.42.0.12: they keep registering with and submitting ' +
            'to 10.42.0.10 only, and a worker whose masters are all standbys never registers',
        ),
      ]);
      expect(renderText(review)).toMatch(/REPLACE: cluster analytics: 1 -> 3 masters/);
    });

    it('turning HA off destroys the standby masters and the group, and replaces the first master', () => {
      const { byAction, review } = planChange(cluster({ props: { highAvailability: true } }).stack, cluster().stack);
      expect(byAction).toEqual({ delete: HA_ADDS, replace: [MASTER] });
      expect(masterFinding(review)).toEqual([
        [
          'replace',
          'cluster analytics: 3 -> 1 masters',
          'standby masters are removed: they and their ZooKeeper servers are destroyed and the first master is ' +
            'replaced (it leaves the group), so running applications fail; workers register with it again',
        ],
      ]);
      expect(
        review.findings.filter((f) => f.category === 'destroy').map((f) => f.address.replace(/_[0-9A-F]{8}$/, '')),
      ).toEqual([
        'openstack_compute_instance_v2.analytics_Master2_Server',
        'openstack_compute_instance_v2.analytics_Master3_Server',
      ]);
    });

    it('3 -> 5 masters only adds two, and says the running masters keep the old ensemble, where two leaders can be elected', () => {
      const three = cluster({ props: { highAvailability: true } }).stack;
      const { byAction, review } = planChange(three, cluster({ props: { highAvailability: { masters: 5 } } }).stack);
      expect(byAction).toEqual({
        create: [
          'openstack_compute_instance_v2.analytics_Master4_Server',
          'openstack_compute_instance_v2.analytics_Master5_Server',
          'openstack_networking_port_v2.analytics_Master4_Port',
          'openstack_networking_port_v2.analytics_Master5_Port',
        ],
      });
      expect(masterFinding(review)).toEqual([
        [
          'drift',
          'cluster analytics: 3 -> 5 masters',
          "each master's ZooKeeper ensemble comes from its user data: the running masters keep the old one, and " +
            'masters replaced one at a time pass through views of the ensemble that disagree, in which two leaders ' +
            'can be elected',
        ],
      ]);
      const masterDrift = summarize(review.findings).filter(([c, a]) => c === 'drift' && String(a).includes('Master'));
      expect(masterDrift).toHaveLength(3);
      for (const [, , message] of masterDrift) {
        expect(message).toContain('they keep their old ZooKeeper ensemble and master list');
      }
    });
  });
});
