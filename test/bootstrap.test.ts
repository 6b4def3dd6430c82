import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { estimateUserDataBytes, Flavor, sizeWorker, SparkBootstrap, SparkVersion } from '../lib';
import { cloudInitSchema, filesOf, shellcheck } from './support/user-data';

const sizing = sizeWorker(Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }), 'test');
const sparkDefaults = {
  'spark.master': 'spark://10.42.0.10:7077',
  'spark.authenticate': 'true',
  'spark.authenticate.secret': 'x'.repeat(64),
};
const bootstrap = new SparkBootstrap({ sparkVersion: SparkVersion.V3_5_7, masterIp: '10.42.0.10' });
const master = bootstrap.master({ historyServer: true, sparkDefaults }).render();
const worker = bootstrap.worker({ sizing, localVolumeGiB: 200, sparkDefaults }).render();

describe('SparkBootstrap', () => {
  it.each([
    ['master', master],
    ['worker', worker],
  ])("renders %s user data that passes cloud-init's schema check", (_role, text) => {
    const result = cloudInitSchema(text);
    expect(result.output).toMatch(/Valid cloud-config/);
    expect(result.ok).toBe(true);
  });

  it('every bootstrap shell script passes shellcheck', () => {
    const assets = path.join(__dirname, '..', 'lib', 'assets');
    for (const file of fs.readdirSync(assets).filter((f) => f.endsWith('.sh'))) {
      expect({ file, findings: shellcheck(fs.readFileSync(path.join(assets, file), 'utf8')) }).toEqual({
        file,
        findings: '',
      });
    }
  });

  it('writes shell-clean env files with the pinned version, checksum, jars and master', () => {
    const files = filesOf(worker);
    const env = files['/etc/spark-bootstrap/bootstrap.env'].content;
    expect(shellcheck(env, 'sh', ['SC2034'])).toBe('');
    expect(env).toContain('SPARK_ROLE=worker');
    expect(env).toContain(`SPARK_SHA512=${SparkVersion.V3_5_7.sha512}`);
    expect(env).toContain(
      'SPARK_TARBALL_URL=https://archive.apache.org/dist/spark/spark-3.5.7/spark-3.5.7-bin-hadoop3.tgz',
    );
    expect(env).toContain('SPARK_MASTER_HOST=10.42.0.10');
    expect(env).toContain('LOCAL_VOLUME_GIB=200');
    expect(env).toContain('SERVICES=spark-worker');
    expect(env).toContain('hadoop-aws-3.3.4.jar=53f9ae03');
    expect(shellcheck(files['/etc/spark/conf/spark-env.sh'].content, 'sh', ['SC2034'])).toBe('');
    expect(shellcheck(files['/etc/spark/conf/worker.env'].content, 'sh', ['SC2034'])).toBe('');
  });

  it('sizes the worker daemon from the flavor and points it at the master', () => {
    const files = filesOf(worker);
    expect(files['/etc/spark/conf/spark-env.sh'].content).toMatch(/SPARK_WORKER_CORES=7\nSPARK_WORKER_MEMORY=12474m\n/);
    expect(files['/usr/local/lib/spark-bootstrap/worker-sizing.sh']).toBeUndefined();
    expect(files['/etc/spark/conf/worker.env'].content).toBe(
      'SPARK_MASTER_HOSTS=10.42.0.10\nSPARK_MASTER_PORT=7077\nSPARK_MASTER_URL=spark://10.42.0.10:7077\n',
    );
    expect(files['/etc/systemd/system/spark-worker.service'].content).toMatch(
      /ExecStartPre=\/usr\/local\/lib\/spark-bootstrap\/wait-for-port/,
    );
    expect(files['/etc/systemd/system/spark-worker.service'].content).toMatch(/Restart=always/);
  });

  it('with the flavor, has each worker size itself from its own vCPUs and RAM at every start', () => {
    const files = filesOf(bootstrap.worker({ sizing, flavor: { vcpus: 8, ramMiB: 16384 }, sparkDefaults }).render());
    const env = files['/etc/spark/conf/spark-env.sh'].content;
    expect(env).toContain('SPARK_FLAVOR_VCPUS=8\nSPARK_FLAVOR_RAM_MIB=16384\n');
    expect(env).not.toMatch(/SPARK_WORKER_(CORES|MEMORY)=/);
    expect(shellcheck(env, 'sh', ['SC2034'])).toBe('');
    const script = files['/usr/local/lib/spark-bootstrap/worker-sizing.sh'].content;
    // Source the rendered spark-env.sh as Spark's launch scripts do, on a node resized to 16 vCPU / 32 GiB.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-env-'));
    fs.writeFileSync(path.join(dir, 'worker-sizing.sh'), script);
    fs.writeFileSync(path.join(dir, 'meminfo'), 'MemTotal:       32600000 kB\n');
    fs.writeFileSync(path.join(dir, 'hardware.env'), 'NODE_VCPUS=16\n');
    fs.writeFileSync(path.join(dir, 'spark-env.sh'), env.replace('/usr/local/lib/spark-bootstrap', dir));
    const run = (extra: NodeJS.ProcessEnv) =>
      spawnSync('sh', ['-c', `set -a; . ${dir}/spark-env.sh; echo "$SPARK_WORKER_CORES $SPARK_WORKER_MEMORY"`], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, SPARK_MEMINFO: path.join(dir, 'meminfo'), ...extra },
      }).stdout.trim();
    const resized = sizeWorker(Flavor.of({ name: 'x', vcpus: 16, ramMiB: Math.floor(32600000 / 1024) }), 'test');
    expect(run({ SPARK_NODE_HARDWARE: path.join(dir, 'hardware.env') })).toBe(
      `${resized.workerCores} ${resized.workerMemoryMiB}m`,
    );
  });

  it('keeps spark-defaults.conf (it holds the secrets) readable by the spark user only', () => {
    expect(filesOf(master)['/etc/spark/conf/spark-defaults.conf']).toMatchObject({
      permissions: '0600',
      owner: 'spark:spark',
      defer: true,
      content: expect.stringContaining('spark.authenticate true\n'),
    });
  });

  it('runs the master and the history server only where asked', () => {
    expect(filesOf(master)['/etc/spark-bootstrap/bootstrap.env'].content).toContain(
      "SERVICES='spark-master spark-history'",
    );
    const noHistory = bootstrap.master({ historyServer: false, sparkDefaults }).render();
    expect(filesOf(noHistory)['/etc/systemd/system/spark-history.service']).toBeUndefined();
  });

  it('downloads from a Swift-hosted mirror when one is given', () => {
    const swift = new SparkBootstrap({
      sparkVersion: SparkVersion.V4_0_1,
      masterIp: '10.0.0.10',
      sparkMirrorUrl: 'https://object.example.com/v1/AUTH_abc/mirror/spark/',
    });
    expect(swift.tarballUrl).toBe(
      'https://object.example.com/v1/AUTH_abc/mirror/spark/spark-4.0.1/spark-4.0.1-bin-hadoop3.tgz',
    );
  });

  it('refuses a mirror URL that could break out of the shell quoting', () => {
    expect(
      () =>
        new SparkBootstrap({
          sparkVersion: SparkVersion.V3_5_7,
          masterIp: '10.0.0.10',
          sparkMirrorUrl: "https://x/'$(reboot)'",
        }),
    ).toThrow(/sparkMirrorUrl must be an http\(s\) URL without spaces or quotes/);
  });

  it('sandboxes every Spark unit: systemd-analyze rates its exposure OK, against UNSAFE without', () => {
    const exposure = (unit: string, text: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unit-'));
      try {
        fs.writeFileSync(path.join(dir, unit), text);
        const result = spawnSync('systemd-analyze', ['security', '--offline=true', path.join(dir, unit)], {
          encoding: 'utf8',
        });
        if (result.error)
          throw new Error(
            `systemd-analyze is not installed: run scripts/install-system-packages.sh (${result.error.message})`,
          );
        const m = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout);
        if (!m) throw new Error(`no exposure level in:\n${result.stdout}${result.stderr}`);
        return Number(m[1]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const assets = path.join(__dirname, '..', 'lib', 'assets');
    const units = { ...filesOf(master), ...filesOf(worker) };
    for (const unit of ['spark-master.service', 'spark-history.service', 'spark-worker.service']) {
      const rendered = units[`/etc/systemd/system/${unit}`].content;
      expect(rendered).toContain('ProtectSystem=strict\nReadWritePaths=/var/lib/spark /var/log/spark\n');
      expect({ unit, exposure: exposure(unit, rendered) <= 3.5 }).toEqual({ unit, exposure: true });
      expect({ unit, unhardened: exposure(unit, fs.readFileSync(path.join(assets, unit), 'utf8')) > 8 }).toEqual({
        unit,
        unhardened: true,
      });
    }
  });

  it("starts no Spark unit before the local volume's mount, so that none writes to the root disk in its place", () => {
    const units = { ...filesOf(master), ...filesOf(worker) };
    for (const unit of ['spark-master.service', 'spark-history.service', 'spark-worker.service']) {
      const section = units[`/etc/systemd/system/${unit}`].content.split('\n[Service]\n')[0];
      expect({ unit, requires: section.split('\n').filter((l) => l.startsWith('RequiresMountsFor=')) }).toEqual({
        unit,
        requires: ['RequiresMountsFor=/var/lib/spark/local'],
      });
    }
  });

  it("stays far under Nova's 64 KiB user-data limit", () => {
    for (const text of [master, worker]) {
      expect(estimateUserDataBytes(text).base64Bytes).toBeLessThan(32768);
    }
  });
});
