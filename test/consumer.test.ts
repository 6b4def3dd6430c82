import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tofu } from '../scripts/tofu';
import { REPO_ROOT } from '../scripts/tools-env';
import { consumerProject, node22, packCleanClone, run, tarballFiles } from './support/consumer';

// The library as a user gets it: `npm pack` of a clean clone (what a publish from CI ships),
// installed into a project of the user's own, with its own cdktf app and provider
// configuration and an existing network; type-checked with --strict, synthesized, and
// validated with the project's OpenTofu and provider. Then the same app on CDK Terrain
// (cdktn) through an npm override, and on Node 22.

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPbd6FIj//AGO9CZAn7Wemzuc/PLaLZTB5ElHWoIIAyl consumer';

/** The consumer's app; `cdk` is the package its own code imports the core from. */
const mainTs = (cdk: string) => `import { App, TerraformOutput, TerraformStack } from '${cdk}';
import { Construct } from 'constructs';
import { Flavor, Image, KeyPair, OpenstackProvider, SparkCluster, SparkNetwork } from 'cdktf-spark-openstack';

class AnalyticsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new OpenstackProvider(this, 'openstack', { authUrl: 'https://keystone.example.com:5000/v3', region: 'RegionOne' });
    const network = SparkNetwork.fromAttributes(this, 'Shared', {
      networkId: '11111111-1111-4111-8111-111111111111',
      subnetId: '22222222-2222-4222-8222-222222222222',
      cidr: '192.168.60.0/24',
      masterIp: '192.168.60.5',
    });
    const cluster = new SparkCluster(this, 'analytics', {
      image: Image.fromName('ubuntu-24.04'),
      keyPair: KeyPair.fromPublicKey('${PUBLIC_KEY}'),
      network,
      master: { flavor: Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 }) },
      access: { sshFrom: ['203.0.113.0/24'] },
    });
    cluster.addWorkerPool('general', { count: 3, flavor: Flavor.of({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }) });
    const url: string = cluster.masterUrl;
    new TerraformOutput(this, 'master_url', { value: url });
  }
}

const app = new App();
new AnalyticsStack(app, 'consumer');
app.synth();
`;

// No skipLibCheck: the library's declarations must hold up under a strict consumer build.
const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    moduleResolution: 'node',
    strict: true,
    noEmitOnError: true,
    skipLibCheck: false,
    types: [],
    outDir: 'out',
  },
  files: ['main.ts'],
});

const VERSIONS = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')).packages;
const versionOf = (name: string) => VERSIONS[`node_modules/${name}`].version as string;

/** Type-checks and compiles the consumer's app (once), runs it with `node`, returns the stack's directory. */
function synth(project: string, outdir: string, node = process.execPath): string {
  if (!fs.existsSync(path.join(project, 'out', 'main.js'))) {
    run(path.join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
  }
  // From one working directory for every project: the local backend's state path derives from it.
  run(node, [path.join(project, 'out', 'main.js')], path.dirname(project), {
    env: { ...process.env, CDKTF_OUTDIR: outdir },
  });
  return path.join(outdir, 'stacks', 'consumer');
}

/** A stack's cdk.tf.json without the one line that names the cdktf version. */
function synthesized(stackDir: string): { version: string; config: unknown } {
  const config = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const version = config['//'].metadata.version;
  delete config['//'].metadata.version;
  return { version, config };
}

describe('the packed library in a consumer project', () => {
  let dir: string;
  let tarball: string;
  let consumer: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-'));
    tarball = packCleanClone(dir);
    consumer = consumerProject(
      path.join(dir, 'cdktf-app'),
      {
        name: 'spark-consumer',
        private: true,
        dependencies: {
          cdktf: versionOf('cdktf'),
          constructs: versionOf('constructs'),
          'cdktf-spark-openstack': `file:${tarball}`,
          typescript: versionOf('typescript'),
        },
      },
      { 'main.ts': mainTs('cdktf'), 'tsconfig.json': TSCONFIG },
    );
  }, 300_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('packs the built library with its assets and declarations, and takes cdktf and constructs as peers', () => {
    const files = tarballFiles(tarball);
    for (const file of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/assets/spark-bootstrap.sh']) {
      expect(files).toContain(`package/${file}`);
    }
    expect(files.some((f) => f.startsWith('package/dist/.gen/providers/openstack/provider/'))).toBe(true);
    expect(files.filter((f) => /^package\/(lib|test|scripts|stacks)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(consumer, 'node_modules/cdktf-spark-openstack/package.json'), 'utf8'),
    );
    expect(manifest.peerDependencies).toEqual({ cdktf: expect.any(String), constructs: expect.any(String) });
    expect(Object.keys(manifest.dependencies ?? {})).not.toEqual(expect.arrayContaining(['cdktf']));
    // One cdktf in the consumer: the library resolves the consumer's own copy.
    expect(fs.existsSync(path.join(consumer, 'node_modules/cdktf-spark-openstack/node_modules/cdktf'))).toBe(false);
  });

  it('type-checks with --strict, synthesizes, and passes tofu validate with the real provider', () => {
    const stackDir = synth(consumer, path.join(dir, 'validate.out'));
    const config = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(config.provider.openstack).toEqual([
      { auth_url: 'https://keystone.example.com:5000/v3', region: 'RegionOne' },
    ]);
    expect(Object.keys(config.resource.openstack_networking_network_v2 ?? {})).toEqual([]);
    expect(Object.keys(config.resource.openstack_compute_instance_v2)).toHaveLength(2);
    expect(new Tofu(stackDir).validate()).toEqual([]);
  });

  it('synthesizes the same JSON on CDK Terrain through an npm override (cdktf -> cdktn)', () => {
    const terrain = consumerProject(
      path.join(dir, 'cdktn-app'),
      {
        name: 'spark-consumer-cdktn',
        private: true,
        dependencies: {
          cdktn: '0.24.0',
          // cdktn 0.24 takes constructs >=10.6.0 <10.8.0.
          constructs: '10.7.2',
          'cdktf-spark-openstack': `file:${tarball}`,
          typescript: versionOf('typescript'),
        },
        overrides: { cdktf: 'npm:cdktn@0.24.0' },
      },
      { 'main.ts': mainTs('cdktn'), 'tsconfig.json': TSCONFIG },
    );
    expect(JSON.parse(fs.readFileSync(path.join(terrain, 'node_modules/cdktf/package.json'), 'utf8')).name).toBe(
      'cdktn',
    );
    const onCdktf = synthesized(synth(consumer, path.join(dir, 'cdktf.out')));
    const onCdktn = synthesized(synth(terrain, path.join(dir, 'cdktn.out')));
    expect([onCdktf.version, onCdktn.version]).toEqual([versionOf('cdktf'), '0.24.0']);
    expect(onCdktn.config).toEqual(onCdktf.config);
  });

  it('fails at synth when an app mixes cdktn with the real cdktf (no override), as the README says', () => {
    const mixed = consumerProject(
      path.join(dir, 'mixed-app'),
      {
        name: 'spark-consumer-mixed',
        private: true,
        dependencies: {
          cdktn: '0.24.0',
          constructs: '10.7.2',
          'cdktf-spark-openstack': `file:${tarball}`,
          typescript: versionOf('typescript'),
        },
      },
      { 'main.ts': mainTs('cdktn'), 'tsconfig.json': TSCONFIG },
    );
    expect(JSON.parse(fs.readFileSync(path.join(mixed, 'node_modules/cdktf/package.json'), 'utf8')).name).toBe('cdktf');
    expect(() => synth(mixed, path.join(dir, 'mixed.out'))).toThrow(/is not a function/);
  });

  it('compiles with TypeScript 7 (tsc, nodenext), which ts-node cannot load, as the README says', () => {
    const ts7 = consumerProject(
      path.join(dir, 'ts7'),
      { name: 'ts7', private: true, dependencies: { typescript: '7', 'ts-node': versionOf('ts-node') } },
      {},
    );
    const config = JSON.parse(TSCONFIG);
    Object.assign(config.compilerOptions, { module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out7' });
    fs.writeFileSync(path.join(consumer, 'tsconfig.ts7.json'), JSON.stringify(config));
    run(path.join(ts7, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.ts7.json'], consumer);
    run(process.execPath, ['out7/main.js'], consumer, {
      env: { ...process.env, CDKTF_OUTDIR: path.join(dir, 'ts7.out') },
    });
    expect(fs.existsSync(path.join(dir, 'ts7.out', 'stacks', 'consumer', 'cdk.tf.json'))).toBe(true);
    fs.writeFileSync(path.join(ts7, 'probe.ts'), 'const n: number = 1;\nconsole.log(n);\n');
    expect(() => run(path.join(ts7, 'node_modules/.bin/ts-node'), ['probe.ts'], ts7)).toThrow(/fileExists/);
  });

  it('synthesizes the same JSON on Node 22 LTS as on this Node', () => {
    const read = (stackDir: string) => fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8');
    const here = read(synth(consumer, path.join(dir, 'here.out')));
    expect(read(synth(consumer, path.join(dir, 'node22.out'), node22()))).toEqual(here);
  });
});

describe('the example app on Node 22 LTS', () => {
  it('synthesizes every example stack exactly as this Node does', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node22-'));
    try {
      // The example's settings come from SPARK_* variables: leave them out on both sides.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPARK_')));
      const synth = (node: string, out: string) =>
        run(node, ['-r', 'ts-node/register/transpile-only', 'stacks/app.ts'], REPO_ROOT, {
          env: { ...env, CDKTF_OUTDIR: path.join(dir, out) },
        });
      synth(process.execPath, 'here');
      synth(node22(), 'node22');
      const stacks = fs.readdirSync(path.join(dir, 'here', 'stacks')).sort();
      expect(stacks).toEqual(['example', 'existing-network', 'high-availability', 'multi-pool']);
      for (const stack of stacks) {
        const read = (out: string) => fs.readFileSync(path.join(dir, out, 'stacks', stack, 'cdk.tf.json'), 'utf8');
        expect({ stack, same: read('node22') === read('here') }).toEqual({ stack, same: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
