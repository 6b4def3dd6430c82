import { Testing } from 'cdktf';
import * as path from 'path';
import { parse } from 'yaml';
import {
  DEFAULT_MASTER_COUNT,
  estimateGzipUserDataBytes,
  estimateUserDataBytes,
  MAX_MASTER_COUNT,
  NOVA_USER_DATA_LIMIT,
  SparkCluster,
  SparkHighAvailabilityOptions,
  SparkNetwork,
  ZOOKEEPER_PORTS,
} from '../lib';
import { HighAvailabilityStack } from '../stacks/high-availability';
import { exampleSettings } from '../stacks/settings';
import { clusterProps, clusterWithWorkers, EXTERNAL, newStack, resourcesOf, XLARGE } from './support/fixtures';
import { makeTestCertificate } from './support/tls';
import { cloudInitSchema, filesOf, fillTemplate, userDataTemplate } from './support/user-data';
import { refusal } from './support/refusal';

/* eslint-disable @typescript-eslint/no-explicit-any */

type Server = {
  name: string;
  user_data: string;
  metadata: Record<string, string>;
  scheduler_hints?: { group: string }[];
};
const serversOf = (synthesized: string) =>
  resourcesOf(synthesized, 'openstack_compute_instance_v2') as unknown as Record<string, Server>;
const mastersOf = (synthesized: string) =>
  Object.entries(serversOf(synthesized))
    .filter(([, s]) => s.metadata['spark:role'] === 'master')
    .sort(([, a], [, b]) => a.name.localeCompare(b.name));
/** The files of a server's cloud-config, its Terraform references filled with test values. */
const nodeFiles = (server: Server) => filesOf(fillTemplate(userDataTemplate(server.user_data)));
const sparkDefaults = (server: Server) => {
  const conf = nodeFiles(server)['/etc/spark/conf/spark-defaults.conf'].content;
  return Object.fromEntries(
    conf
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]),
  );
};

describe('high availability', () => {
  it("is part of the package's API: the options type and its constants", () => {
    const options: SparkHighAvailabilityOptions = { masters: DEFAULT_MASTER_COUNT };
    expect([options.masters, MAX_MASTER_COUNT]).toEqual([3, 7]);
    expect(ZOOKEEPER_PORTS).toEqual({ client: 2181, peer: 2888, election: 3888 });
  });

  describe('standby masters', () => {
    const { stack, cluster } = clusterWithWorkers(2, {
      highAvailability: true,
      externalNetwork: EXTERNAL,
      master: { flavor: XLARGE, floatingIp: true },
      objectStorage: { s3Endpoint: 'https://object.example.com' },
      monitoring: { prometheus: true },
    });
    const synthesized = Testing.synth(stack);

    it('makes three masters on the fixed addresses after the first, in one hard anti-affinity group', () => {
      const groups = Object.entries(resourcesOf(synthesized, 'openstack_compute_servergroup_v2')).filter(
        ([, g]) => g.name === 'analytics-masters',
      );
      expect(groups).toHaveLength(1);
      const [groupName, group] = groups[0];
      expect(group).toEqual(expect.objectContaining({ name: 'analytics-masters', policies: ['anti-affinity'] }));
      const masters = mastersOf(synthesized);
      expect(masters.map(([, s]) => s.name)).toEqual(['analytics-master', 'analytics-master-2', 'analytics-master-3']);
      for (const [, server] of masters) {
        expect(server.scheduler_hints).toEqual([{ group: `\${openstack_compute_servergroup_v2.${groupName}.id}` }]);
      }
      const ports = Object.values(resourcesOf(synthesized, 'openstack_networking_port_v2')) as {
        name: string;
        fixed_ip: { ip_address?: string }[];
      }[];
      const masterPorts = ports.filter((p) => p.name.startsWith('analytics-master'));
      expect(masterPorts.map((p) => p.fixed_ip[0].ip_address).sort()).toEqual([
        '10.42.0.10',
        '10.42.0.11',
        '10.42.0.12',
      ]);
      // Workers (one resource for the pool) keep no group of the masters.
      const workers = Object.values(serversOf(synthesized)).filter((s) => s.metadata['spark:role'] === 'worker');
      expect(workers).toHaveLength(1);
      for (const worker of workers) expect(JSON.stringify(worker.scheduler_hints)).not.toContain(groupName);
    });

    it('gives every master a floating IP, and names every master in the typed attributes', () => {
      expect(Object.keys(resourcesOf(synthesized, 'openstack_networking_floatingip_v2'))).toHaveLength(3);
      expect(cluster.masters).toHaveLength(3);
      expect(cluster.master).toBe(cluster.masters[0]);
      expect(cluster.masterIps).toEqual(['10.42.0.10', '10.42.0.11', '10.42.0.12']);
      expect(cluster.masterUrl).toBe('spark://10.42.0.10:7077,10.42.0.11:7077,10.42.0.12:7077');
      expect(cluster.masterWebUiUrls).toHaveLength(3);
      expect(cluster.masterWebUiUrls[0]).toBe(cluster.masterWebUiUrl);
      for (const [i, url] of cluster.masterWebUiUrls.entries()) {
        expect(url).toMatch(/^http:\/\/\$\{TfToken\[TOKEN\.\d+\]\}:8080$/);
        expect(url).toContain(cluster.masters[i].publicIp);
      }
    });

    it('points workers and drivers at every master, and the masters at ZooKeeper on all three', () => {
      const servers = Object.values(serversOf(synthesized));
      for (const server of servers) {
        const conf = sparkDefaults(server);
        expect(conf['spark.master']).toBe('spark://10.42.0.10:7077,10.42.0.11:7077,10.42.0.12:7077');
        expect(conf['spark.deploy.recoveryMode']).toBe('ZOOKEEPER');
        expect(conf['spark.deploy.zookeeper.url']).toBe('10.42.0.10:2181,10.42.0.11:2181,10.42.0.12:2181');
      }
      const worker = servers.find((s) => s.metadata['spark:role'] === 'worker')!;
      expect(nodeFiles(worker)['/etc/spark/conf/worker.env'].content).toBe(
        'SPARK_MASTER_HOSTS=10.42.0.10,10.42.0.11,10.42.0.12\nSPARK_MASTER_PORT=7077\n' +
          'SPARK_MASTER_URL=spark://10.42.0.10:7077,10.42.0.11:7077,10.42.0.12:7077\n',
      );
    });

    it('binds each master to its own address, runs ZooKeeper on each, and the singletons on the first only', () => {
      const masters = mastersOf(synthesized).map(([, s]) => s);
      const services = (server: Server) =>
        /SERVICES='?([^'\n]*)'?/.exec(nodeFiles(server)['/etc/spark-bootstrap/bootstrap.env'].content)![1].split(' ');
      for (const [i, master] of masters.entries()) {
        const files = nodeFiles(master);
        expect(files['/etc/spark/conf/spark-env.sh'].content).toContain(`SPARK_MASTER_HOST=10.42.0.1${i}\n`);
        expect(services(master)).toContain('spark-zookeeper');
        expect(files['/etc/systemd/system/spark-master.service.d/zookeeper.conf'].content).toBe(
          '[Unit]\nWants=spark-zookeeper.service\nAfter=spark-zookeeper.service\n',
        );
        const singletons = ['spark-history', 'prometheus', 'spark-worker-discovery'];
        for (const name of singletons) expect(services(master).includes(name)).toBe(i === 0);
        expect(services(master)).toContain('prometheus-node-exporter');
        expect(cloudInitSchema(fillTemplate(userDataTemplate(master.user_data))).ok).toBe(true);
      }
      const scrape = parse(nodeFiles(masters[0])['/etc/spark-monitoring/prometheus.yml'].content);
      const job = (name: string) => scrape.scrape_configs.find((j: { job_name: string }) => j.job_name === name);
      expect(job('spark-master').static_configs[0].targets).toEqual([
        '10.42.0.10:8080',
        '10.42.0.11:8080',
        '10.42.0.12:8080',
      ]);
      expect(job('node').static_configs[0].targets).toEqual(['10.42.0.10:9100', '10.42.0.11:9100', '10.42.0.12:9100']);
      const discovery = nodeFiles(masters[0])['/etc/spark-monitoring/discovery.env'].content;
      expect(discovery).toContain(
        'MASTER_JSON_URLS="http://10.42.0.10:8080/json/ http://10.42.0.11:8080/json/ http://10.42.0.12:8080/json/"',
      );
    });

    it("records every master's address in each server's settings record, plainly", () => {
      for (const server of Object.values(serversOf(synthesized))) {
        expect(server.metadata['spark:settings']).toContain(';m=10.42.0.10,10.42.0.11,10.42.0.12;');
      }
    });

    it('takes 5 masters on the next addresses, and adopts standby addresses of an existing network', () => {
      const five = clusterWithWorkers(1, { highAvailability: { masters: 5 } }).cluster;
      expect(five.masterIps).toEqual(['10.42.0.10', '10.42.0.11', '10.42.0.12', '10.42.0.13', '10.42.0.14']);
      const stack2 = newStack();
      const network = SparkNetwork.fromAttributes(stack2, 'Shared', {
        networkId: 'net',
        subnetId: 'sub',
        cidr: '192.168.50.0/24',
        masterIp: '192.168.50.5',
        standbyMasterIps: ['192.168.50.7', '192.168.50.6'],
      });
      const adopted = new SparkCluster(stack2, 'shared', clusterProps({ network, highAvailability: true }));
      adopted.addWorkerPool('general', { count: 1, flavor: XLARGE });
      expect(adopted.masterIps).toEqual(['192.168.50.5', '192.168.50.7', '192.168.50.6']);
    });
  });

  describe('refusals', () => {
    const build = (props: Record<string, unknown>) => clusterWithWorkers(1, props as any);

    it.each([2, 4, 1, 9, 0, -3, 3.5, NaN, Infinity, '3', [3], null])('refuses %p masters', (masters) => {
      expect(refusal(() => build({ highAvailability: { masters } })).message).toMatch(
        /^test\/analytics: highAvailability.masters: must be an odd whole number from 3 to 7/,
      );
    });

    it.each(['yes', 3, [], 'true'])('refuses highAvailability: %p', (value) => {
      expect(refusal(() => build({ highAvailability: value })).message).toMatch(
        /highAvailability: must be true, false or an object/,
      );
    });

    it('refuses standby masters where the network has no addresses for them', () => {
      const stack = newStack();
      const network = SparkNetwork.fromAttributes(stack, 'Shared', {
        networkId: 'net',
        subnetId: 'sub',
        cidr: '192.168.50.0/24',
        masterIp: '192.168.50.5',
      });
      expect(
        refusal(() => new SparkCluster(stack, 'shared', clusterProps({ network, highAvailability: true }))).message,
      ).toBe(
        'test/shared: highAvailability: 3 masters need 2 standby master addresses, and the network has 0, got []. ' +
          'Give SparkNetwork.fromAttributes standbyMasterIps: free addresses outside the allocation pool.',
      );
      const tight = newStack();
      const own = new SparkNetwork(tight, 'Tight', { name: 'tight', masterHostNumber: 19 });
      expect(
        refusal(() => new SparkCluster(tight, 'tight', clusterProps({ network: own, highAvailability: true }))).message,
      ).toMatch(
        /3 masters need 2 standby master addresses, and the network has 0, got \[\]\. Give SparkNetwork\.fromAttributes/,
      );
    });

    it('refuses standby addresses that repeat, are not addresses, or lie outside the subnet', () => {
      const attrs = { networkId: 'n', subnetId: 's', cidr: '192.168.50.0/24', masterIp: '192.168.50.5' };
      const adopt = (standbyMasterIps: unknown) =>
        refusal(() => SparkNetwork.fromAttributes(newStack(), 'Net', { ...attrs, standbyMasterIps } as any)).message;
      expect(adopt(['192.168.50.6', '192.168.50.5'])).toMatch(
        /masterIp and standbyMasterIps must be different addresses: each master has its own, got "192.168.50.5"/,
      );
      expect(adopt(['192.168.50.6', '192.168.50.6'])).toMatch(/must be different addresses/);
      expect(adopt(['10.0.0.6'])).toMatch(/standbyMasterIps\[0\] must be an address inside 192.168.50.0\/24/);
      expect(adopt(['192.168.50.255'])).toMatch(/standbyMasterIps\[0\] is the broadcast address/);
      expect(adopt(['192.168.50.6\n'])).toMatch(/standbyMasterIps\[0\] must be an address inside/);
      expect(adopt('192.168.50.6')).toMatch(/standbyMasterIps must be a list of strings/);
      expect(adopt([6])).toMatch(/standbyMasterIps must be a list of strings/);
    });

    it("refuses two clusters on one subnet whose masters' addresses meet", () => {
      const stack = newStack();
      const base = { networkId: 'n', subnetId: 's', cidr: '192.168.50.0/24' };
      const one = SparkNetwork.fromAttributes(stack, 'One', {
        ...base,
        masterIp: '192.168.50.5',
        standbyMasterIps: ['192.168.50.6', '192.168.50.7'],
      });
      new SparkCluster(stack, 'one', clusterProps({ network: one, highAvailability: true }));
      const two = SparkNetwork.fromAttributes(stack, 'Two', { ...base, masterIp: '192.168.50.7' });
      expect(refusal(() => new SparkCluster(stack, 'two', clusterProps({ network: two }))).message).toMatch(
        /^test\/two: network: 192.168.50.7 is already a master address of test\/one on this subnet/,
      );
    });

    it.each(['spark.deploy.recoveryMode', 'spark.deploy.zookeeper.url', 'spark.deploy.recoveryDirectory'])(
      'refuses %s in sparkConf: recovery is the library’s',
      (key) => {
        expect(refusal(() => build({ sparkConf: { [key]: 'x' } })).message).toMatch(
          /sparkConf: this key is the library's: the masters' recovery follows highAvailability/,
        );
      },
    );
  });

  describe('single-master recovery', () => {
    it('keeps the recovery state on the master volume (FILESYSTEM), and only there', () => {
      const withVolume = Testing.synth(clusterWithWorkers(1, { master: { flavor: XLARGE, volumeGiB: 20 } }).stack);
      for (const server of Object.values(serversOf(withVolume))) {
        expect(sparkDefaults(server)).toEqual(
          expect.objectContaining({
            'spark.deploy.recoveryMode': 'FILESYSTEM',
            'spark.deploy.recoveryDirectory': '/var/lib/spark/local/recovery',
          }),
        );
      }
      const groups = Object.values(resourcesOf(withVolume, 'openstack_compute_servergroup_v2'));
      expect(groups.map((g) => g.name)).toEqual(['analytics-general']);
      const without = Testing.synth(clusterWithWorkers(1).stack);
      for (const server of Object.values(serversOf(without))) {
        expect(Object.keys(sparkDefaults(server)).filter((k) => k.startsWith('spark.deploy.'))).toEqual([]);
      }
    });
  });

  it("keeps the HA stack's masters under Nova's limit with every option on (TLS key from a variable, a private CA)", () => {
    const cert = makeTestCertificate('IP:10.44.0.10');
    const settings = exampleSettings({
      SPARK_UI_TLS_CERT_FILE: path.join(cert.dir, 'ui-chain.pem'),
      SPARK_CA_CERT_FILE: path.join(cert.dir, 'ca.pem'),
    });
    const synthesized = Testing.synth(new HighAvailabilityStack(Testing.app(), 'high-availability', settings));
    // What Nova counts: the base64 of the text, or of its gzip for a node sent compressed.
    const fill = (e: string) => 'x'.repeat(e.includes('base64encode') ? 4600 : 64);
    const sizes = Object.fromEntries(
      Object.entries(serversOf(synthesized)).map(([name, server]) => {
        const template = userDataTemplate(server.user_data);
        const text = fillTemplate(template, fill);
        const compressed = template !== server.user_data;
        const bytes = compressed ? estimateGzipUserDataBytes(text) : estimateUserDataBytes(text).base64Bytes;
        return [`${name.split('_')[1]}:${server.name}${compressed ? ' (gzip)' : ''}`, bytes];
      }),
    );
    expect(Object.keys(sizes)).toHaveLength(4); // three masters, and the one user data of the pool
    // The key from the variable stays an interpolation inside the compressed user data.
    const first = Object.values(serversOf(synthesized)).find((s) => s.name === 'resilient-master')!;
    expect(first.user_data).toMatch(/^\$\{base64gzip\(/);
    expect(filesOf(fillTemplate(userDataTemplate(first.user_data), fill))['/etc/spark/tls/ui.key'].content).toBe(
      'x'.repeat(4600),
    );
    for (const size of Object.values(sizes)) expect(size).toBeLessThan(NOVA_USER_DATA_LIMIT);
    console.log(`HA stack, every option on: user data ${JSON.stringify(sizes)} bytes in base64 (limit 65535)`);
  });
});
