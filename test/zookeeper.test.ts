import { spawnSync } from 'child_process';
import { Lazy } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SparkConfigError } from '../lib/private/errors';
import {
  ZOOKEEPER_PATHS,
  ZOOKEEPER_PORTS,
  checkEnsemble,
  sparkMasterUrl,
  sparkRecoverySettings,
  zooCfg,
  zookeeperConnectString,
  zookeeperDir,
  zookeeperFiles,
  zookeeperNode,
  zookeeperService,
} from '../lib/private/zookeeper';

const MASTERS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

describe('ZooKeeper on the masters', () => {
  it('renders zoo.cfg with one server line per master, bound to this master, AdminServer off', () => {
    expect(zooCfg({ servers: MASTERS, myIndex: 1 })).toBe(
      [
        '# ZooKeeper of the Spark masters (cdktf-spark-openstack), one server per master.',
        'tickTime=2000',
        'initLimit=10',
        'syncLimit=5',
        'dataDir=/var/lib/spark-zookeeper',
        'clientPort=2181',
        'clientPortAddress=10.0.0.12',
        'maxClientCnxns=60',
        'admin.enableServer=false',
        '4lw.commands.whitelist=ruok,srvr,mntr',
        'autopurge.snapRetainCount=3',
        'autopurge.purgeInterval=24',
        'server.1=10.0.0.11:2888:3888',
        'server.2=10.0.0.12:2888:3888',
        'server.3=10.0.0.13:2888:3888',
        '',
      ].join('\n'),
    );
  });

  it('gives each master its id (index + 1) and the same ensemble', () => {
    const configs = MASTERS.map((_, i) => zookeeperFiles({ servers: MASTERS, myIndex: i }));
    expect(configs.map((files) => files.find((f) => f.path === ZOOKEEPER_PATHS.myid)!.content)).toEqual([
      '1\n',
      '2\n',
      '3\n',
    ]);
    const serverLines = configs.map((files) =>
      files
        .find((f) => f.path === ZOOKEEPER_PATHS.config)!
        .content.split('\n')
        .filter((l) => l.startsWith('server.')),
    );
    expect(new Set(serverLines.map((l) => l.join()))).toHaveProperty('size', 1);
  });

  it('never uses 8080 (the Spark master UI) and keeps the ports apart', () => {
    const ports = Object.values(ZOOKEEPER_PORTS);
    expect(ports).not.toContain(8080);
    expect(new Set(ports).size).toBe(3);
    expect(zooCfg({ servers: ['10.0.0.5'], myIndex: 0 })).not.toMatch(/8080/);
  });

  it('contributes three files and the unit, and no package: the server comes with Spark', () => {
    const node = zookeeperNode({ servers: MASTERS, myIndex: 0 });
    expect(node.packages).toBeUndefined();
    expect(node.files!.map((f) => f.path)).toEqual([
      ZOOKEEPER_PATHS.config,
      ZOOKEEPER_PATHS.myid,
      ZOOKEEPER_PATHS.log4j,
    ]);
    const unit = node.services![0];
    expect(unit.name).toBe('spark-zookeeper');
    expect(unit.content).toMatch(/^DynamicUser=yes$/m);
    expect(unit.content).toMatch(/^StateDirectory=spark-zookeeper$/m);
    expect(unit.content).toContain('/etc/spark-zookeeper/myid /var/lib/spark-zookeeper/myid\n');
    expect(unit.content).toContain(' -cp /opt/spark/jars/* ');
    expect(unit.content).toMatch(/^Restart=on-failure$/m);
    expect(unit.content).toMatch(/ -Xmx256m /);
    expect(unit.content).toMatch(
      /org\.apache\.zookeeper\.server\.quorum\.QuorumPeerMain \/etc\/spark-zookeeper\/zoo\.cfg$/m,
    );
  });

  it('ships little: all of one master’s ZooKeeper user data is under 4 KiB', () => {
    const node = zookeeperNode({ servers: MASTERS, myIndex: 2 });
    const bytes = [...node.files!, ...node.services!].reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    expect(bytes).toBeLessThan(4096);
  });

  it('sandboxes the unit: systemd-analyze rates its exposure OK (below 4.0)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-unit-'));
    try {
      const file = path.join(dir, 'spark-zookeeper.service');
      fs.writeFileSync(file, zookeeperService().content);
      const result = spawnSync('systemd-analyze', ['security', '--offline=true', file], { encoding: 'utf8' });
      if (result.error) throw new Error(`systemd-analyze is not installed: run scripts/install-system-packages.sh`);
      const m = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeLessThan(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every master in the client URLs', () => {
    expect(zookeeperConnectString(MASTERS)).toBe('10.0.0.11:2181,10.0.0.12:2181,10.0.0.13:2181');
    expect(sparkMasterUrl(MASTERS, 7077)).toBe('spark://10.0.0.11:7077,10.0.0.12:7077,10.0.0.13:7077');
  });

  describe('rejects', () => {
    const expectError = (fn: () => unknown, message: RegExp) => {
      expect(fn).toThrow(SparkConfigError);
      expect(fn).toThrow(message);
    };

    it.each([[[]], [['10.0.0.1', '10.0.0.2']], [Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}`)]])(
      'an even, empty or too large ensemble: %j',
      (servers) => expectError(() => checkEnsemble('analytics', servers), /odd number of servers from 1 to 7/),
    );

    it('an even count, with the two odd counts to use instead', () => {
      expectError(
        () => checkEnsemble('analytics', MASTERS.concat('10.0.0.14')),
        /^analytics: a ZooKeeper ensemble .*got 4\. Use 3 or 5 masters/,
      );
    });

    it.each(['10.0.0.256', '010.0.0.1', '10.0.0', '0.0.0.0', '224.0.0.1', 'master-1', ' 10.0.0.1', '10.0.0.1\n', 7])(
      'a server that is not a unicast IPv4 address: %j',
      (bad) =>
        expectError(
          () => checkEnsemble('analytics', ['10.0.0.1', bad as string, '10.0.0.3']),
          /^analytics: servers\[1\]: must be a unicast IPv4 address/,
        ),
    );

    it('the same address twice', () => {
      expectError(
        () => checkEnsemble('analytics', ['10.0.0.1', '10.0.0.2', '10.0.0.1']),
        /servers\[2\]: appears twice/,
      );
    });

    it('a list that is not a list', () => {
      expectError(() => checkEnsemble('analytics', '10.0.0.1' as unknown as string[]), /must be a list/);
    });

    it.each([-1, 3, 1.5, NaN, '0'])('an index outside the ensemble: %p', (myIndex) =>
      expectError(() => zooCfg({ servers: MASTERS, myIndex: myIndex as number }), /myIndex: .*from 0 to 2/),
    );
  });

  it('skips addresses known only at apply time', () => {
    const token = Lazy.stringValue({ produce: () => '10.0.0.2' });
    expect(() => checkEnsemble('analytics', ['10.0.0.1', token, '10.0.0.3'])).not.toThrow();
  });
});

describe('Spark recovery settings', () => {
  it('ZOOKEEPER: the mode, every server, and the cluster’s own znode', () => {
    expect(
      sparkRecoverySettings('analytics', { mode: 'ZOOKEEPER', servers: MASTERS, dir: zookeeperDir('analytics') }),
    ).toEqual({
      'spark.deploy.recoveryMode': 'ZOOKEEPER',
      'spark.deploy.zookeeper.url': '10.0.0.11:2181,10.0.0.12:2181,10.0.0.13:2181',
      'spark.deploy.zookeeper.dir': '/spark-analytics',
    });
  });

  it('FILESYSTEM: the mode and the directory, nothing of 4.0 only', () => {
    expect(
      sparkRecoverySettings('analytics', { mode: 'FILESYSTEM', directory: '/var/lib/spark/local/recovery' }),
    ).toEqual({
      'spark.deploy.recoveryMode': 'FILESYSTEM',
      'spark.deploy.recoveryDirectory': '/var/lib/spark/local/recovery',
    });
  });

  it.each(['/zookeeper', '/zookeeper/spark', 'spark', '/spark/', '/spark/../x', '/spark\u0000', '/spark x'])(
    'rejects a znode path ZooKeeper refuses or reserves: %j',
    (dir) =>
      expect(() => sparkRecoverySettings('analytics', { mode: 'ZOOKEEPER', servers: MASTERS, dir })).toThrow(
        /analytics: recovery\.dir: must be a znode path/,
      ),
  );

  it.each(['/tmp/recovery', '/var/tmp/r', 'recovery', '/var/lib/spark/../r'])(
    'rejects a recovery directory that would not outlive a restart or is not absolute: %j',
    (directory) =>
      expect(() => sparkRecoverySettings('analytics', { mode: 'FILESYSTEM', directory })).toThrow(
        /analytics: recovery\.directory: must be an absolute path/,
      ),
  );

  it('rejects an even ensemble and an unknown mode', () => {
    expect(() =>
      sparkRecoverySettings('analytics', { mode: 'ZOOKEEPER', servers: MASTERS.slice(0, 2), dir: '/spark' }),
    ).toThrow(/analytics: recovery: a ZooKeeper ensemble needs an odd number/);
    expect(() => sparkRecoverySettings('analytics', { mode: 'ROCKSDB' } as never)).toThrow(
      /recovery\.mode: must be ZOOKEEPER or FILESYSTEM, got "ROCKSDB"/,
    );
  });
});
