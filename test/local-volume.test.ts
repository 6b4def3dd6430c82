/**
 * How the bootstrap finds a worker's local volume (lib/assets/spark-bootstrap.sh,
 * `find_local_volume`), run for real: the script's own functions on real loop devices, with
 * real blkid and mkfs, and instance data written by cloud-init's own code. Only the places it
 * looks are moved into a scratch directory (the by-id links udev would make, the instance
 * data, the disks the size fallback considers). Needs root, as `losetup` does.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '..', 'lib', 'assets', 'spark-bootstrap.sh');
const GIB = 1024 ** 3;
const VOLUME_ID = '0b4d1e2c-8f3a-4c5d-9e1f-0123456789ab';
/** What KVM gives the guest as the disk's serial: the ID's first 20 characters. */
const SERIAL = VOLUME_ID.slice(0, 20);

let scratch: string;
const loops: string[] = [];

function run(cmd: string, args: string[], input?: string): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (result.error)
    throw new Error(`${cmd} is missing (${result.error.message}): run scripts/install-system-packages.sh`);
  return result;
}

function must(cmd: string, args: string[], input?: string): string {
  const result = run(cmd, args, input);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

type Contents = 'blank' | 'partition table' | { filesystem: string };

/** A loop device over a sparse file of `gib` GiB, holding what the test asks for. */
function disk(gib: number, contents: Contents = 'blank'): string {
  const file = path.join(scratch, `disk-${loops.length}.img`);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, gib * GIB);
  if (contents === 'partition table') must('sfdisk', ['--quiet', file], 'label: dos\n,,L\n');
  const result = run('losetup', ['--find', '--show', file]);
  if (result.status !== 0) {
    throw new Error(`cannot attach a loop device (this test needs root, as losetup does): ${result.stderr}`);
  }
  const device = result.stdout.trim();
  loops.push(device);
  if (typeof contents === 'object') must('mkfs.ext4', ['-q', '-L', contents.filesystem, device]);
  return device;
}

/** What blkid's low-level probe finds on a device: its tags, or nothing. */
function probe(device: string): Record<string, string> {
  const result = run('blkid', ['-p', '-o', 'export', device]);
  if (result.status === 2) return {};
  if (result.status !== 0) throw new Error(`blkid -p ${device}: ${result.stderr}`);
  return Object.fromEntries(
    result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s, 2)),
  );
}

/** A directory of by-id links, as udev would make them: name -> device. */
function byId(links: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(scratch, 'by-id-'));
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(dir, name));
  return dir;
}

/**
 * instance-data.json as cloud-init 22.4 writes it, by its own code: the config drive
 * datasource reading Nova's meta_data.json with this server metadata.
 */
function instanceData(meta: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(scratch, 'cloud-'));
  const seed = path.join(dir, 'cloud', 'seed', 'config_drive', 'openstack', 'latest');
  fs.mkdirSync(seed, { recursive: true });
  fs.writeFileSync(
    path.join(seed, 'meta_data.json'),
    JSON.stringify({ uuid: '83679162-1378-4288-a2d4-70e13ec132aa', name: 'analytics-general-1', meta }),
  );
  const program = [
    'import sys',
    'from cloudinit import distros, helpers, settings',
    'from cloudinit.sources import DataSourceConfigDrive as ds',
    'paths = helpers.Paths({"run_dir": sys.argv[1] + "/run", "cloud_dir": sys.argv[1] + "/cloud"})',
    'distro = distros.fetch("debian")("debian", {}, paths)',
    'assert ds.DataSourceConfigDrive(settings.CFG_BUILTIN, distro, paths).get_data()',
  ].join('\n');
  // cloud-init's own interpreter, with its modules.
  const result = run('/usr/bin/python3', ['-c', program, dir]);
  if (result.status !== 0) {
    throw new Error(
      `cloud-init could not write instance data (run scripts/install-system-packages.sh): ${result.stderr}`,
    );
  }
  return path.join(dir, 'run', 'instance-data.json');
}

interface Found {
  readonly ok: boolean;
  readonly device: string;
  readonly log: string;
  /** The scratch root the script ran in (SPARK_BOOTSTRAP_ROOT). */
  readonly root: string;
}

/** A bootstrap.env of a worker with a `gib` GiB volume, in a scratch root; returns its path. */
function bootstrapEnv(root: string, gib: number): string {
  const env = path.join(root, 'bootstrap.env');
  fs.writeFileSync(
    env,
    [
      'SPARK_ROLE=worker',
      'SPARK_VERSION=3.5.7',
      'SPARK_DIST=spark-3.5.7-bin-hadoop3',
      'SPARK_TARBALL_URL=https://archive.invalid/spark.tgz',
      'SPARK_SHA512=0',
      'SPARK_MASTER_HOST=10.42.0.10',
      'JAVA_PACKAGE=openjdk-17-jre-headless',
      'MAVEN_REPOSITORY=https://maven.invalid',
      `LOCAL_VOLUME_GIB=${gib}`,
      '',
    ].join('\n'),
  );
  return env;
}

/**
 * Sources the bootstrap and runs `find_local_volume` with the given places to look (then
 * `persist_local_volume` too, with `persist`).
 */
function findLocalVolume(options: {
  gib?: number;
  instanceData?: string;
  byId?: string;
  disks?: string[];
  waitSeconds?: number;
  persist?: boolean;
}): Found {
  const root = fs.mkdtempSync(path.join(scratch, 'root-'));
  const env = bootstrapEnv(root, options.gib ?? 1);
  const result = spawnSync(
    'bash',
    [
      '--norc',
      '-c',
      `source "$1"; find_local_volume; ${options.persist ? 'persist_local_volume; ' : ''}printf "%s\\n" "$volume_device"`,
      'bash',
      SCRIPT,
    ],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        SPARK_BOOTSTRAP_ENV: env,
        SPARK_BOOTSTRAP_ROOT: root,
        SPARK_BOOTSTRAP_INSTANCE_DATA: options.instanceData ?? path.join(root, 'no-instance-data.json'),
        SPARK_BOOTSTRAP_DISK_BY_ID: options.byId ?? path.join(root, 'no-by-id'),
        // Never the machine's own disks: only the loop devices a test made (/dev/null is no disk).
        SPARK_BOOTSTRAP_DISKS: (options.disks ?? ['/dev/null']).join(' '),
        SPARK_BOOTSTRAP_VOLUME_WAIT: String(options.waitSeconds ?? 1),
      },
      timeout: 60_000,
    },
  );
  return { ok: result.status === 0, device: result.stdout.trim(), log: result.stderr, root };
}

const UNIT = 'etc/systemd/system/var-lib-spark-local.mount';

/** The [Mount] settings of the unit the bootstrap wrote into a scratch root. */
function mountSettings(root: string): Record<string, string> {
  const text = fs.readFileSync(path.join(root, UNIT), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^(What|Where|Type|Options)=/.test(l))
      .map((l) => l.split(/=(.*)/s, 2)),
  );
}

/** systemd's own check of the unit file (its name must match Where=). */
function verifyUnit(root: string): void {
  const result = run('systemd-analyze', ['verify', path.join(root, UNIT)]);
  expect({ status: result.status, stderr: result.stderr.replace(/^.*(\$container|PR_SET_MM).*\n/gm, '') }).toEqual({
    status: 0,
    stderr: '',
  });
}

/** Mounts what the unit names, as systemd would at boot; returns the filesystem's UUID there. */
function mountAsUnit(root: string): string {
  const { What: what, Options: options } = mountSettings(root);
  const target = fs.mkdtempSync(path.join(scratch, 'mnt-'));
  must('mount', ['-t', 'ext4', '-o', options, what, target]);
  try {
    return must('findmnt', ['-n', '-o', 'UUID', target]);
  } finally {
    must('umount', [target]);
  }
}

/** Sources the bootstrap and prints what `local_volume_id` reads from the instance data file. */
function volumeIdIn(file: string): string {
  const found = spawnSync('bash', ['--norc', '-c', 'source "$1"; local_volume_id', 'bash', SCRIPT], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      SPARK_BOOTSTRAP_ENV: '/dev/null',
      SPARK_BOOTSTRAP_ROOT: fs.mkdtempSync(path.join(scratch, 'root-')),
      SPARK_ROLE: 'worker',
      SPARK_VERSION: 'x',
      SPARK_DIST: 'x',
      SPARK_TARBALL_URL: 'x',
      SPARK_SHA512: 'x',
      SPARK_MASTER_HOST: 'x',
      JAVA_PACKAGE: 'x',
      MAVEN_REPOSITORY: 'x',
      SPARK_BOOTSTRAP_INSTANCE_DATA: file,
    },
  });
  if (found.status !== 0) throw new Error(`local_volume_id failed: ${found.stderr}`);
  return found.stdout.trim();
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'local-volume-'));
});

afterAll(() => {
  // Only the loop devices this file attached, by name.
  for (const device of loops) run('losetup', ['--detach', device]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the bootstrap finding the local volume', () => {
  it('reads the volume ID from the instance data cloud-init writes, and nothing when the file or key is missing', () => {
    expect(volumeIdIn(instanceData({ 'spark:cluster': 'analytics', 'spark:local-volume': VOLUME_ID }))).toBe(VOLUME_ID);
    expect(volumeIdIn(instanceData({ 'spark:cluster': 'analytics' }))).toBe('');
    expect(volumeIdIn(path.join(scratch, 'missing.json'))).toBe('');
    const broken = path.join(scratch, 'broken.json');
    fs.writeFileSync(broken, '{"ds": ');
    expect(volumeIdIn(broken)).toBe('');
  });

  it('formats the disk whose by-id link names the volume serial, not another blank disk of the same size', () => {
    const other = disk(1);
    const volume = disk(1);
    const links = byId({
      [`virtio-${SERIAL}`]: volume,
      // virtio-scsi names carry the whole ID; a partition's link is never the volume.
      [`scsi-0QEMU_QEMU_HARDDISK_${VOLUME_ID}`]: volume,
      [`virtio-${SERIAL}-part1`]: other,
    });
    const data = instanceData({ 'spark:local-volume': VOLUME_ID });
    const found = findLocalVolume({ instanceData: data, byId: links, disks: [other, volume] });
    expect(found).toMatchObject({ ok: true, device: volume });
    expect(found.log).toContain(`formatting ${volume} (volume ${VOLUME_ID}, found by its serial)`);
    expect(probe(volume)).toMatchObject({ TYPE: 'ext4', LABEL: 'spark-local' });
    expect(probe(other)).toEqual({});

    // A re-run (or a reboot) mounts the same filesystem without formatting it again.
    const uuid = probe(volume).UUID;
    const again = findLocalVolume({ instanceData: data, byId: links });
    expect(again).toMatchObject({ ok: true, device: volume });
    expect(again.log).toContain('is already formatted');
    expect(probe(volume).UUID).toBe(uuid);
  });

  it('makes the volume come back on every boot: a mount unit naming its by-id link, wanted by local-fs.target', () => {
    const volume = disk(1);
    const links = byId({ [`virtio-${SERIAL}`]: volume });
    const found = findLocalVolume({
      instanceData: instanceData({ 'spark:local-volume': VOLUME_ID }),
      byId: links,
      persist: true,
    });
    expect(found).toMatchObject({ ok: true, device: volume });
    // The disk's stable name, not the label: a label can be on another disk, and needs udev's by-label.
    expect(mountSettings(found.root)).toEqual({
      What: path.join(links, `virtio-${SERIAL}`),
      Where: '/var/lib/spark/local',
      Type: 'ext4',
      Options: 'noatime,nofail',
    });
    expect(
      fs.readlinkSync(path.join(found.root, 'etc/systemd/system/local-fs.target.wants/var-lib-spark-local.mount')),
    ).toBe('../var-lib-spark-local.mount');
    verifyUnit(found.root);
    // What the unit names is the filesystem the bootstrap made.
    expect(mountAsUnit(found.root)).toBe(probe(volume).UUID);
  });

  it('names the volume by its label in the mount unit only when the metadata has no volume ID', () => {
    const volume = disk(1);
    const found = findLocalVolume({ disks: [volume], persist: true });
    expect(found).toMatchObject({ ok: true, device: volume });
    expect(mountSettings(found.root).What).toBe('/dev/disk/by-label/spark-local');
    verifyUnit(found.root);
  });

  it('fails naming the volume ID when its disk never appears, and does not guess by size', () => {
    const blank = disk(1);
    const links = byId({ 'virtio-ffffffff-0000-4000-8': blank }); // another volume
    const found = findLocalVolume({
      instanceData: instanceData({ 'spark:local-volume': VOLUME_ID }),
      byId: links,
      disks: [blank],
      waitSeconds: 1,
    });
    expect(found.ok).toBe(false);
    expect(found.log).toContain(
      `FAILED: volume ${VOLUME_ID} is not attached: no link in ${links} names its serial ${SERIAL} after 1 s`,
    );
    expect(probe(blank)).toEqual({});
    // Where udev never ran, there is no by-id directory at all: the same failure, not a silent exit.
    const noLinks = findLocalVolume({
      instanceData: instanceData({ 'spark:local-volume': VOLUME_ID }),
      waitSeconds: 1,
    });
    expect(noLinks.ok).toBe(false);
    expect(noLinks.log).toMatch(
      new RegExp(`FAILED: volume ${VOLUME_ID} is not attached: no link in \\S+/no-by-id names`),
    );
  });

  it("refuses to format the volume's disk when it holds a partition table or another filesystem", () => {
    for (const contents of ['partition table', { filesystem: 'data' }] as Contents[]) {
      const volume = disk(1, contents);
      const before = probe(volume);
      const found = findLocalVolume({
        instanceData: instanceData({ 'spark:local-volume': VOLUME_ID }),
        byId: byId({ [`virtio-${SERIAL}`]: volume }),
      });
      expect(found.ok).toBe(false);
      expect(found.log).toMatch(
        new RegExp(
          `FAILED: local volume: ${volume} \\(volume ${VOLUME_ID}, found by its serial\\) holds .*refusing to format it`,
        ),
      );
      expect(probe(volume)).toEqual(before);
    }
  });

  it('refuses a spark:local-volume value that is not a volume ID', () => {
    const found = findLocalVolume({ instanceData: instanceData({ 'spark:local-volume': '../../*' }) });
    expect(found.ok).toBe(false);
    expect(found.log).toMatch(/FAILED: spark:local-volume in \S+ is not a volume ID: \.\.\/\.\.\/\*/);
  });

  it('without an ID, formats the one blank disk of the size, passing over partitioned, formatted and other-sized disks', () => {
    const partitioned = disk(1, 'partition table');
    const formatted = disk(1, { filesystem: 'data' });
    const bigger = disk(2);
    const volume = disk(1);
    const found = findLocalVolume({ disks: [partitioned, formatted, bigger, volume] });
    expect(found).toMatchObject({ ok: true, device: volume });
    expect(found.log).toContain('no spark:local-volume in');
    expect(found.log).toContain(`formatting ${volume} (found by size: no volume ID in the metadata)`);
    expect(probe(partitioned).PTTYPE).toBe('dos');
    expect(probe(formatted).LABEL).toBe('data');
    expect(probe(bigger)).toEqual({});
    // After a reboot the label finds it, whatever else has appeared.
    const again = findLocalVolume({ disks: [disk(1), volume] });
    expect(again).toMatchObject({ ok: true, device: volume });
    expect(again.log).toContain('is already formatted');
  });

  it('without an ID, refuses when two blank disks of the size could be the volume', () => {
    const first = disk(1);
    const second = disk(1);
    const found = findLocalVolume({ disks: [first, second] });
    expect(found.ok).toBe(false);
    expect(found.log).toContain(
      `FAILED: several disks (${first} ${second}) could be the local volume; refusing to guess`,
    );
    expect([probe(first), probe(second)]).toEqual([{}, {}]);
  });

  it('without an ID, never formats a partitioned disk (a root disk) even when it is the only one of the size', () => {
    const rootLike = disk(1, 'partition table');
    const found = findLocalVolume({ disks: [rootLike], waitSeconds: 1 });
    expect(found.ok).toBe(false);
    expect(found.log).toContain('FAILED: no blank 1 GiB disk appeared within 1 s');
    expect(probe(rootLike).PTTYPE).toBe('dos');
  });
});
