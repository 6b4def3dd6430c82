import { Testing } from 'cdktf';
import fc from 'fast-check';
import * as fs from 'fs';
import { parse } from 'yaml';
import { Flavor, SparkCluster, SparkConfigError, SparkVersion } from '../lib';
import { clusterProps, newStack } from './support/fixtures';
import { tofuFor } from './support/harness';
import { makeTestCertificate } from './support/tls';
import { fillTemplate, userDataOf } from './support/user-data';

// Property-based tests: random and adversarial props either build a cluster whose user data
// is well-formed (and, for a sample, passes tofu validate) or stop with a SparkConfigError
// that names where the problem is. Never a TypeError, never a shell payload in the scripts.

const PAYLOAD = '$(touch /tmp/pwned)';
const nasty = fc.constantFrom(
  '',
  ' ',
  PAYLOAD,
  '`reboot`',
  "a'b",
  'a"b',
  'line\nbreak',
  'x: y',
  '- item',
  '#comment',
  '${var.x}',
  '%{if}',
  'ünïcødé',
  '🙂',
  '../../etc/passwd',
  'a'.repeat(300),
);
/** Mostly plausible values, sometimes adversarial ones (1 in 10 per field). */
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: invalid, weight: 1 });
const adversarialText = fc.oneof(nasty, fc.string());
const name = mostly(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/), adversarialText);
const badCidr = fc.oneof(
  nasty,
  fc.constantFrom('0.0.0.0/0', '::/0', '10.0.0.0/33', '300.1.1.0/24', '10.1.2.3/24'),
  fc
    .tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300), fc.integer({ min: -1, max: 40 }))
    .map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`),
);
const goodCidr = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.constantFrom(16, 20, 24))
  .map(([a, b, p]) => `${a}.${p === 16 ? 0 : b}.0.0/${p}`);
const count = mostly(
  fc.integer({ min: 1, max: 1000 }),
  fc.oneof(fc.integer({ min: -5, max: 0 }), fc.constantFrom(1001, 2.5, Number.NaN, Number.MAX_SAFE_INTEGER)),
);

const uiCert = makeTestCertificate('DNS:spark.example.com');
const otherCert = makeTestCertificate('DNS:spark.example.com');
afterAll(() => {
  for (const c of [uiCert, otherCert]) fs.rmSync(c.dir, { recursive: true, force: true });
});
const webUiTls = fc.option(
  fc.record({
    certificateChainPem: mostly(fc.constant(uiCert.chainPem), fc.oneof(adversarialText, fc.constant(uiCert.keyPem))),
    privateKeyPem: mostly(
      fc.constant(uiCert.keyPem),
      fc.oneof(adversarialText, fc.constantFrom(otherCert.keyPem, uiCert.chainPem, `${uiCert.keyPem}${PAYLOAD}`)),
    ),
  }),
  { nil: undefined },
);

const props = fc.record({
  name,
  poolId: name,
  count,
  vcpus: mostly(fc.integer({ min: 1, max: 64 }), fc.constantFrom(0, -1, 1.5)),
  ramMiB: mostly(fc.integer({ min: 4096, max: 131072 }), fc.constantFrom(-1, 0, 512, 3455, Number.NaN)),
  networkCidr: fc.option(mostly(goodCidr, badCidr), { nil: undefined }),
  access: fc.array(mostly(fc.constantFrom('203.0.113.0/24', '198.51.100.7/32', '2001:db8::/48'), badCidr), {
    maxLength: 3,
  }),
  localVolumeGiB: fc.option(mostly(fc.integer({ min: 1, max: 2000 }), fc.constantFrom(0, -10, 0.5, Number.NaN)), {
    nil: undefined,
  }),
  sparkKey: mostly(fc.constantFrom('spark.sql.shuffle.partitions', 'spark.x.y', 'spark.ui.port'), adversarialText),
  sparkValue: mostly(fc.stringMatching(/^[ -~]{0,40}$/), adversarialText),
  s3Endpoint: fc.option(
    mostly(
      fc.constantFrom('https://object.example.com', 'http://10.0.0.1:8080'),
      fc.oneof(adversarialText, fc.constant(`https://x/${PAYLOAD}`)),
    ),
    {
      nil: undefined,
    },
  ),
  mirror: fc.option(
    mostly(
      fc.constantFrom('https://mirror.example.com/spark', 'https://object.example.com/v1/AUTH_x/m'),
      fc.oneof(adversarialText, fc.constant(`https://m/'${PAYLOAD}'`)),
    ),
    {
      nil: undefined,
    },
  ),
  version: mostly(
    fc.constantFrom('3.5.7', '4.0.1', '3.5.3'),
    fc.oneof(fc.constantFrom('3.5.9', 'latest'), adversarialText),
  ),
  webUiTls,
});

type Props = typeof props extends fc.Arbitrary<infer T> ? T : never;

function build(p: Props) {
  const stack = newStack();
  const cluster = new SparkCluster(
    stack,
    'fuzz',
    clusterProps({
      name: p.name,
      networkCidr: p.networkCidr,
      access: { sshFrom: p.access, webUiFrom: p.access },
      sparkConf: { [p.sparkKey]: p.sparkValue },
      sparkVersion: SparkVersion.of(p.version),
      sparkMirrorUrl: p.mirror,
      objectStorage: p.s3Endpoint === undefined ? undefined : { s3Endpoint: p.s3Endpoint },
      webUiTls: p.webUiTls,
    }),
  );
  cluster.addWorkerPool(p.poolId, {
    count: p.count,
    flavor: Flavor.of({ name: 'fuzz.flavor', vcpus: p.vcpus, ramMiB: p.ramMiB }),
    localVolumeGiB: p.localVolumeGiB,
  });
  return { stack, synthesized: Testing.synth(stack) };
}

/** The shell-facing parts of the user data: scripts, env files, commands, decoded files. */
function shellParts(userData: string): string {
  const doc = parse(fillTemplate(userData));
  const files = (doc.write_files as { path: string; content: string; encoding?: string }[]).filter(
    (f) => !f.path.endsWith('spark-defaults.conf'),
  );
  const contents = files.map((f) => (f.encoding === 'b64' ? Buffer.from(f.content, 'base64').toString() : f.content));
  return JSON.stringify([contents, doc.runcmd]);
}

describe('fuzzed props', () => {
  const outcomes = { built: 0, refused: 0 };
  const validated: ReturnType<typeof build>['stack'][] = [];

  it('either build well-formed user data or fail with a SparkConfigError naming the place', () => {
    fc.assert(
      fc.property(props, (p) => {
        let result: ReturnType<typeof build>;
        try {
          result = build(p);
        } catch (err) {
          if (!(err instanceof SparkConfigError)) throw err;
          // Where, what and the fix: `<construct path or factory>...: <problem>. <Fix>.`
          expect(err.message).toMatch(/^(test\/|fuzz|SparkVersion\.of|Flavor\.of|Peer\.|SparkBootstrap|CloudConfig)/);
          expect(err.message).toMatch(/: .+\. [A-Z].*\.$/s);
          outcomes.refused++;
          return;
        }
        outcomes.built++;
        for (const userData of Object.values(userDataOf(result.synthesized))) {
          expect(userData.startsWith('#cloud-config\n')).toBe(true);
          expect(shellParts(userData)).not.toContain(PAYLOAD);
        }
        if (validated.length < 4) validated.push(result.stack);
      }),
      { numRuns: 400, seed: 20261124 },
    );
    console.log(`fuzz: 400 cases, ${outcomes.built} built, ${outcomes.refused} refused with a SparkConfigError`);
    expect(outcomes.built).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('the clusters it built pass tofu validate', () => {
    expect(validated.length).toBeGreaterThan(0);
    for (const stack of validated) expect(tofuFor(stack).validate()).toEqual([]);
  });
});
