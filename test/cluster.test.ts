import { App, TerraformStack, Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ComputeInstanceV2 } from '../.gen/providers/openstack/compute-instance-v2';
import { NetworkingPortV2 } from '../.gen/providers/openstack/networking-port-v2';
import { OpenstackProvider } from '../.gen/providers/openstack/provider';
import {
  EVENT_LOG_MARKER_CONTENT,
  estimateUserDataBytes,
  Peer,
  SparkCluster,
  SparkContainer,
  SparkNetwork,
  UserDataChangePolicy,
} from '../lib';
import { clusterProps, clusterWithWorkers, EXTERNAL, newStack, resourcesOf, XLARGE } from './support/fixtures';
import { cloudInitSchema, filesOf, fillTemplate, userDataOf } from './support/user-data';

type Rule = {
  port_range_min?: number;
  port_range_max?: number;
  remote_ip_prefix?: string;
  remote_group_id?: string;
  direction: string;
};
const rulesOf = (synthesized: string) =>
  Object.values(resourcesOf(synthesized, 'openstack_networking_secgroup_rule_v2')) as Rule[];
const opens = (rule: Rule, port: number) =>
  (rule.port_range_min ?? 0) <= port && port <= (rule.port_range_max ?? 65535);

describe('SparkCluster', () => {
  describe('network exposure', () => {
    it('opens nothing to the outside by default: every rule is from the cluster group itself', () => {
      const { stack } = clusterWithWorkers();
      const rules = rulesOf(Testing.synth(stack));
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.direction).toBe('ingress');
        expect(rule.remote_ip_prefix).toBeUndefined();
        expect(rule.remote_group_id).toMatch(/Security_Internal_Group/);
      }
    });

    it('opens the UIs and SSH only to the CIDRs named in access, and 7077 only to the cluster', () => {
      const { stack } = clusterWithWorkers(3, {
        access: { sshFrom: ['198.51.100.7/32'], webUiFrom: ['203.0.113.0/24'] },
        objectStorage: { s3Endpoint: 'https://object.example.com' },
      });
      const rules = rulesOf(Testing.synth(stack));
      const external = rules.filter((r) => r.remote_ip_prefix !== undefined);
      expect(external.map((r) => `${r.remote_ip_prefix}:${r.port_range_min}-${r.port_range_max}`).sort()).toEqual([
        '198.51.100.7/32:22-22',
        '198.51.100.7/32:22-22',
        '203.0.113.0/24:18080-18080',
        '203.0.113.0/24:4040-4049',
        '203.0.113.0/24:8080-8080',
        '203.0.113.0/24:8081-8081',
      ]);
      for (const port of [7077, 6066]) {
        expect(external.filter((r) => opens(r, port))).toEqual([]);
      }
      // Neutron reads a rule with neither a prefix nor a group as "from anywhere".
      for (const rule of rules) expect(rule.remote_ip_prefix ?? rule.remote_group_id).toBeDefined();
    });

    it('opens 7077 to submitters, and 6066 only when REST submission is enabled', () => {
      const closed = rulesOf(
        Testing.synth(clusterWithWorkers(1, { access: { submitFrom: ['203.0.113.0/24'] } }).stack),
      );
      expect(closed.filter((r) => r.remote_ip_prefix && opens(r, 7077))).toHaveLength(1);
      expect(closed.filter((r) => r.remote_ip_prefix && opens(r, 6066))).toHaveLength(0);
      const { stack } = clusterWithWorkers(1, {
        access: { submitFrom: ['203.0.113.0/24'] },
        enableRestSubmission: true,
      });
      const synthesized = Testing.synth(stack);
      expect(rulesOf(synthesized).filter((r) => r.remote_ip_prefix && opens(r, 6066))).toHaveLength(1);
      const master = Object.entries(userDataOf(synthesized)).find(([name]) => name.includes('Master'))![1];
      expect(filesOf(fillTemplate(master))['/etc/spark/conf/spark-defaults.conf'].content).toContain(
        'spark.master.rest.enabled true\n',
      );
    });

    it('throws when access names the whole internet, and opens it when asked by name', () => {
      expect(() => clusterWithWorkers(1, { access: { webUiFrom: ['0.0.0.0/0'] } })).toThrow(
        'analytics: access.webUiFrom: this opens the port to the whole internet, got "0.0.0.0/0". ' +
          'List the networks that need access; to open a port to everyone on purpose, call e.g. cluster.allowWebUiFrom(Peer.anyIpv4()).',
      );
      expect(() => clusterWithWorkers(1, { access: { sshFrom: ['::/0'] } })).toThrow(/whole internet/);
      const { stack, cluster } = clusterWithWorkers(1);
      cluster.allowWebUiFrom(Peer.anyIpv4());
      expect(
        rulesOf(Testing.synth(stack))
          .filter((r) => r.remote_ip_prefix === '0.0.0.0/0')
          .map((r) => r.port_range_min),
      ).toEqual(expect.arrayContaining([8080, 8081]));
    });
  });

  describe('master', () => {
    it('gets a port with the fixed master address, which workers name in their user data', () => {
      const { stack } = clusterWithWorkers();
      const synthesized = Testing.synth(stack);
      expect(synthesized).toHaveResourceWithProperties(NetworkingPortV2, {
        fixed_ip: [{ ip_address: '10.42.0.10', subnet_id: expect.stringMatching(/Network_Subnet.*\.id/) }],
      });
      for (const [name, userData] of Object.entries(userDataOf(synthesized))) {
        const files = filesOf(fillTemplate(userData));
        expect({ name, env: files['/etc/spark-bootstrap/bootstrap.env'].content }).toEqual({
          name,
          env: expect.stringContaining('SPARK_MASTER_HOST=10.42.0.10\n'),
        });
        expect(files['/etc/spark/conf/spark-defaults.conf'].content).toContain(
          'spark.master spark://10.42.0.10:7077\n',
        );
      }
    });

    it('does not make any worker depend on the master server', () => {
      const { stack } = clusterWithWorkers();
      const config = JSON.stringify(resourcesOf(Testing.synth(stack), 'openstack_compute_instance_v2'));
      const workers = Object.entries(JSON.parse(config)).filter(([name]) => name.includes('Workers'));
      for (const [, worker] of workers) {
        expect(JSON.stringify(worker)).not.toMatch(/Master_Server|Master_Port/);
      }
    });

    it('gets a floating IP from the external network when asked, and refuses one without it', () => {
      const { stack, cluster } = clusterWithWorkers(1, {
        externalNetwork: EXTERNAL,
        master: { flavor: XLARGE, floatingIp: true },
      });
      const fips = resourcesOf(Testing.synth(stack), 'openstack_networking_floatingip_v2');
      expect(Object.values(fips)).toEqual([expect.objectContaining({ pool: 'public' })]);
      expect(cluster.masterWebUiUrl).toMatch(/^http:\/\/\$\{TfToken\[TOKEN\.\d+\]\}:8080$/);
      expect(() => clusterWithWorkers(1, { master: { flavor: XLARGE, floatingIp: true } })).toThrow(
        'analytics: master.floatingIp needs externalNetwork. Set externalNetwork (e.g. ExternalNetwork.fromName("public")) or drop floatingIp.',
      );
    });

    it('attaches a volume of the asked size and refuses a size <= 0', () => {
      const { stack } = clusterWithWorkers(1, { master: { flavor: XLARGE, volumeGiB: 50 } });
      expect(Object.values(resourcesOf(Testing.synth(stack), 'openstack_blockstorage_volume_v3'))).toEqual([
        expect.objectContaining({ name: 'analytics-master-local', size: 50 }),
      ]);
      expect(() => clusterWithWorkers(1, { master: { flavor: XLARGE, volumeGiB: 0 } })).toThrow(
        /analytics\/Master: volumeGiB must be a whole number of GiB from 1 to 1048576, got 0/,
      );
    });
  });

  describe('Spark configuration', () => {
    it('turns RPC authentication on with a generated secret that never changes after creation', () => {
      const { stack } = clusterWithWorkers();
      const synthesized = Testing.synth(stack);
      const secrets = resourcesOf(synthesized, 'terraform_data');
      expect(Object.values(secrets)).toEqual([
        expect.objectContaining({
          lifecycle: { ignore_changes: ['input'] },
          input: { secret: '${replace(join("", [uuid(), uuid()]), "-", "")}' },
        }),
      ]);
      for (const userData of Object.values(userDataOf(synthesized))) {
        const conf = filesOf(userData)['/etc/spark/conf/spark-defaults.conf'].content;
        expect(conf).toContain('spark.authenticate true\n');
        expect(conf).toMatch(
          /spark\.authenticate\.secret \$\{sensitive\(terraform_data\.analytics_AuthSecret_Value_\w+\.output\["secret"\]\)\}\n/,
        );
      }
    });

    it('encrypts RPC by default, never with the GCM cipher that drops messages, and not when switched off', () => {
      const on = clusterWithWorkers(1).cluster.sparkDefaults();
      expect(on).toMatchObject({
        'spark.network.crypto.enabled': 'true',
        'spark.network.crypto.authEngineVersion': '2',
      });
      // SPARK-56227: with AES/GCM/NoPadding no worker registers (shown by the end-to-end test's history).
      expect(on['spark.network.crypto.cipher']).toBeUndefined();
      const off = clusterWithWorkers(1, { rpcEncryption: false }).cluster.sparkDefaults();
      expect(off['spark.network.crypto.enabled']).toBeUndefined();
    });

    it('has every node trust the given CAs', () => {
      const pem = '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----';
      const { stack } = clusterWithWorkers(2, { trustedCaCertificates: [pem] });
      const userData = Object.values(userDataOf(Testing.synth(stack)));
      expect(userData).toHaveLength(2);
      for (const text of userData)
        expect(text).toContain('ca_certs:\n  trusted:\n    - |\n      -----BEGIN CERTIFICATE-----\n');
      expect(() => clusterWithWorkers(1, { trustedCaCertificates: ['QUJD'] })).toThrow(/one PEM certificate/);
    });

    it('configures S3A against the cloud endpoint with the EC2 credential, and event logs in Swift', () => {
      const { stack } = clusterWithWorkers(2, {
        objectStorage: { s3Endpoint: 'http://swift.internal:8080', s3Region: 'RegionOne' },
      });
      const synthesized = Testing.synth(stack);
      const master = Object.entries(userDataOf(synthesized)).find(([n]) => n.includes('Master'))![1];
      const conf = filesOf(master)['/etc/spark/conf/spark-defaults.conf'].content;
      expect(conf).toContain('spark.hadoop.fs.s3a.endpoint http://swift.internal:8080\n');
      expect(conf).toContain('spark.hadoop.fs.s3a.endpoint.region RegionOne\n');
      expect(conf).toContain('spark.hadoop.fs.s3a.path.style.access true\n');
      expect(conf).toContain('spark.hadoop.fs.s3a.connection.ssl.enabled false\n');
      expect(conf).toMatch(
        /spark\.hadoop\.fs\.s3a\.access\.key \$\{openstack_identity_ec2_credential_v3\.\w+\.access\}/,
      );
      expect(conf).toMatch(
        /spark\.hadoop\.fs\.s3a\.secret\.key \$\{sensitive\(openstack_identity_ec2_credential_v3\.\w+\.secret\)\}/,
      );
      expect(conf).toMatch(
        /spark\.eventLog\.dir s3a:\/\/\$\{openstack_objectstorage_container_v1\.analytics_Storage_EventLogs_\w+\.name\}\/spark-events\//,
      );
      expect(filesOf(master)['/etc/spark-bootstrap/bootstrap.env'].content).toContain(
        "SERVICES='spark-master spark-history ",
      );
      const containers = resourcesOf(synthesized, 'openstack_objectstorage_container_v1');
      expect(
        Object.values(containers)
          .map((c) => [c.name, c.force_destroy])
          .sort(),
      ).toEqual([
        ['analytics-spark-data', false],
        ['analytics-spark-events', false],
      ]);
      expect(Object.values(resourcesOf(synthesized, 'openstack_objectstorage_object_v1'))).toEqual([
        expect.objectContaining({ name: 'spark-events/.keep', content: EVENT_LOG_MARKER_CONTENT }),
      ]);
    });

    it('adopts existing containers without creating or destroying them', () => {
      const { stack, cluster } = clusterWithWorkers(1, {
        objectStorage: {
          s3Endpoint: 'https://object.example.com',
          eventLogContainer: SparkContainer.fromName('team-events'),
          dataContainer: SparkContainer.fromName('team-lake'),
        },
      });
      expect(resourcesOf(Testing.synth(stack), 'openstack_objectstorage_container_v1')).toEqual({});
      expect(cluster.dataContainer?.containerName).toBe('team-lake');
      expect(cluster.objectStorage?.eventLogDir).toBe('s3a://team-events/spark-events/');
    });

    it('writes executor defaults that fit the smallest pool, and lets sparkConf override any setting', () => {
      const { stack, cluster } = clusterWithWorkers(2, {
        sparkConf: { 'spark.sql.shuffle.partitions': '400', 'spark.executor.cores': '2' },
      });
      cluster.addWorkerPool('small', { count: 1, flavor: XLARGE });
      const conf = cluster.sparkDefaults();
      expect(conf).toMatchObject({
        'spark.executor.memory': '6237m',
        'spark.executor.memoryOverhead': '624m',
        'spark.executor.cores': '2',
        'spark.sql.shuffle.partitions': '400',
      });
      expect(Testing.synth(stack)).toContain('spark.sql.shuffle.partitions 400');
    });

    it('rejects sparkConf keys that are not Spark properties and values with newlines', () => {
      expect(() => clusterWithWorkers(1, { sparkConf: { 'hadoop.tmp.dir': '/tmp' } })).toThrow(
        /sparkConf: keys must be Spark properties \(spark\.\*\), got "hadoop\.tmp\.dir"/,
      );
      expect(() => clusterWithWorkers(1, { sparkConf: { 'spark.x': 'a\nspark.authenticate false' } })).toThrow(
        /values must be one line of text/,
      );
    });
  });

  describe('user data', () => {
    it("passes cloud-init's schema check for the master and every pool, filled as Terraform would", () => {
      const { stack } = clusterWithWorkers(2, { objectStorage: { s3Endpoint: 'https://object.example.com' } });
      for (const [name, userData] of Object.entries(userDataOf(Testing.synth(stack)))) {
        const result = cloudInitSchema(fillTemplate(userData));
        expect({ name, ok: result.ok, output: result.output }).toEqual({
          name,
          ok: true,
          output: expect.stringMatching(/Valid cloud-config/),
        });
      }
    });

    it("stays under Nova's 64 KiB (base64) limit for master and workers", () => {
      const { stack } = clusterWithWorkers(8, { objectStorage: { s3Endpoint: 'https://object.example.com' } });
      const sizes = Object.fromEntries(
        Object.entries(userDataOf(Testing.synth(stack))).map(([name, ud]) => [
          name.split('_')[1],
          estimateUserDataBytes(fillTemplate(ud)),
        ]),
      );
      for (const size of Object.values(sizes)) expect(size.base64Bytes).toBeLessThan(65535);
      // The sizes are reported in the README; print them for the record.
      console.log(`user data sizes: ${JSON.stringify(sizes)}`);
    });

    it('ignores user-data changes on existing servers by default, and replaces them when asked', () => {
      const byDefault = resourcesOf(Testing.synth(clusterWithWorkers(1).stack), 'openstack_compute_instance_v2');
      for (const server of Object.values(byDefault))
        expect(server.lifecycle).toEqual({ ignore_changes: ['user_data', 'metadata["spark:settings"]'] });
      const replace = resourcesOf(
        Testing.synth(clusterWithWorkers(1, { userDataPolicy: UserDataChangePolicy.REPLACE }).stack),
        'openstack_compute_instance_v2',
      );
      for (const server of Object.values(replace)) expect(server.lifecycle).toBeUndefined();
    });

    it('boots from a config drive and never sets an admin password', () => {
      const { stack } = clusterWithWorkers(1);
      const synthesized = Testing.synth(stack);
      expect(synthesized).toHaveResourceWithProperties(ComputeInstanceV2, { config_drive: true });
      for (const server of Object.values(resourcesOf(synthesized, 'openstack_compute_instance_v2'))) {
        expect(server.admin_pass).toBeUndefined();
        expect(filesOf(fillTemplate(server.user_data as string))).toBeDefined();
        expect(server.user_data).toMatch(/^#cloud-config\nssh_pwauth: false\ndisable_root: true\n/);
      }
    });
  });

  describe('input errors', () => {
    it('throws on a duplicate pool id', () => {
      const { cluster } = clusterWithWorkers(1);
      expect(() => cluster.addWorkerPool('general', { count: 1, flavor: XLARGE })).toThrow(
        'analytics/Workers: a worker pool with this id already exists, got "general". Give each pool its own id, or change the existing pool\'s count.',
      );
    });

    it('throws on networkCidr next to an existing network', () => {
      const stack = newStack();
      const network = SparkNetwork.fromAttributes(stack, 'Shared', {
        networkId: 'n',
        subnetId: 's',
        cidr: '10.1.0.0/24',
        masterIp: '10.1.0.5',
      });
      expect(() => new SparkCluster(stack, 'c', clusterProps({ network, networkCidr: '10.2.0.0/24' }))).toThrow(
        /networkCidr and dnsNameservers apply only to a new network/,
      );
    });

    it('throws on a cluster name that cannot be a server name', () => {
      expect(() => new SparkCluster(newStack(), 'Analytics Cluster', clusterProps())).toThrow(
        /Analytics Cluster: name must be 1-40 lower-case letters/,
      );
    });

    it('fails synth for a cluster with no workers, before writing any stack', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
      try {
        const app = new App({ outdir });
        const good = new TerraformStack(app, 'good');
        new OpenstackProvider(good, 'openstack', {});
        new SparkCluster(good, 'fine', clusterProps()).addWorkerPool('general', { count: 1, flavor: XLARGE });
        const bad = new TerraformStack(app, 'bad');
        new OpenstackProvider(bad, 'openstack', {});
        new SparkCluster(bad, 'empty', clusterProps());
        expect(() => app.synth()).toThrow(
          "bad/empty: the cluster has no workers. Add one with cluster.addWorkerPool('general', { count: 2, flavor }).",
        );
        // cdktf makes the empty stacks/ folder up front; no stack's files were written.
        const written = fs.readdirSync(outdir, { recursive: true }).map(String);
        expect(written).toEqual(['stacks']);
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    });
  });
});
