import { Testing } from 'cdktf';
import fc from 'fast-check';
import * as fs from 'fs';
import { parse } from 'yaml';
import {
  Flavor,
  Image,
  Peer,
  Placement,
  SparkCluster,
  SparkConfigError,
  SparkVersion,
  UserDataChangePolicy,
} from '../lib';
import { coversInternet, parseCidr } from '../lib/private/cidr';
import { clusterProps, newStack, XLARGE } from './support/fixtures';
import { tofuFor } from './support/harness';
import { makeTestCertificate } from './support/tls';
import { filesOf, fillTemplate, userDataOf } from './support/user-data';

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

// Shapes from issue 15: CIDRs that hide the whole internet (leading zeros, host bits,
// halves that add up), non-canonical spellings, padding, plain objects and strings where a
// class is expected, NaN and Infinity, and sparkConf keys the library owns. Whatever builds
// must keep the invariants those inputs tried to break.

const octet = fc.oneof(
  fc.nat(255).map(String),
  fc.nat(255).map((n) => `0${n}`),
);
const v4Prefix = fc.oneof(fc.integer({ min: 0, max: 32 }).map(String), fc.constantFrom('00', '01', '08', '024'));
const looseV4 = fc.tuple(octet, octet, octet, octet, v4Prefix).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`);
const looseV6 = fc.oneof(
  fc.constantFrom('::/0', '::/00', '0::/0', '0:0:0:0:0:0:0:0/0', '::/1', '8000::/1', '2001:DB8::/32', '2001:db8::1/64'),
  fc
    .tuple(fc.array(fc.nat(0xffff), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 128 }))
    .map(([groups, p]) => `${groups.map((g) => g.toString(16)).join(':')}::/${p}`),
);
/** Pairs and quartets of blocks that together are every address of a family. */
const splitInternet = fc.constantFrom<string[]>(
  ['0.0.0.0/1', '128.0.0.0/1'],
  ['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1'],
  ['2000::/4', '3000::/4'],
  ['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/2', '10.0.0.0/8'],
);
const padded = fc.constantFrom(' 10.0.0.0/8', '10.0.0.0/8 ', '10.0.0.0/8\n', '\t203.0.113.0/24');
const goodCidrs = fc.array(fc.constantFrom('203.0.113.0/24', '198.51.100.0/25', '2001:db8::/48', '0.0.0.0/1'), {
  maxLength: 3,
});
const cidrList = mostly(
  goodCidrs,
  fc.oneof(
    fc.array(fc.oneof(looseV4, looseV6, padded), { minLength: 1, maxLength: 4 }),
    splitInternet,
    fc.constant('10.0.0.0/8' as unknown as string[]),
  ),
);
const number = mostly(
  fc.integer({ min: 1, max: 50 }),
  fc.oneof(
    fc.integer({ min: -2, max: 300 }),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, 1.5, 1e12, '3' as unknown as number),
  ),
);
const notAClass = fc.constantFrom<unknown>(
  'anti-affinity',
  'ignore',
  'replace',
  { policy: 'anti-affinity' },
  { mode: 'ignore' },
  { lifecycle: undefined },
  null,
  42,
);
const ownedKey = fc.constantFrom<string>(
  'spark.authenticate',
  'spark.authenticate.secret',
  'spark.authenticate.secret.file',
  'spark.master',
  'spark.master.rest.enabled',
  'spark.master.rest.port',
  'spark.network.crypto.enabled',
  'spark.network.crypto.authEngineVersion',
);

const shapes = fc.record({
  sshFrom: cidrList,
  webUiFrom: cidrList,
  extraPeers: mostly(fc.constant<string[]>([]), fc.array(fc.oneof(looseV4, looseV6), { minLength: 1, maxLength: 3 })),
  count: number,
  volume: fc.option(number, { nil: undefined }),
  placement: mostly(fc.constant<unknown>(Placement.ANTI_AFFINITY), notAClass),
  userDataPolicy: mostly(fc.constant<unknown>(UserDataChangePolicy.REPLACE), notAClass),
  flavor: mostly(
    fc.constant<unknown>(XLARGE),
    fc.constantFrom<unknown>({ name: 'm1.xlarge', vcpus: 8, ramMiB: 16384 }, 'm1.xlarge'),
  ),
  image: mostly(fc.constant<unknown>(Image.fromName('ubuntu-24.04')), fc.constantFrom<unknown>('ubuntu-24.04', {})),
  sparkKey: mostly(fc.constant('spark.sql.shuffle.partitions'), ownedKey),
  sparkValue: fc.constantFrom('true', 'false', 'spark://203.0.113.9:7077', 'x'),
  metadataItems: mostly(fc.integer({ min: 0, max: 3 }), fc.constantFrom(125, 126, 127, 200)),
});

describe('fuzzed shapes', () => {
  it('never build a cluster that is open to everyone by accident or that gives up what the library owns', () => {
    const seen = { built: 0, refused: 0 };
    fc.assert(
      fc.property(shapes, (s) => {
        let synthesized: string;
        try {
          const stack = newStack();
          const cluster = new SparkCluster(
            stack,
            'fuzz',
            clusterProps({
              access: { sshFrom: s.sshFrom, webUiFrom: s.webUiFrom },
              userDataPolicy: s.userDataPolicy as UserDataChangePolicy,
              image: s.image as Image,
              sparkConf: { [s.sparkKey]: s.sparkValue },
              metadata: Object.fromEntries(Array.from({ length: s.metadataItems }, (_, i) => [`k${i}`, 'v'])),
            }),
          );
          for (const cidr of s.extraPeers) cluster.allowSubmitFrom(Peer.cidr(cidr));
          cluster.addWorkerPool('general', {
            count: s.count,
            flavor: s.flavor as Flavor,
            placement: s.placement as Placement,
            localVolumeGiB: s.volume,
          });
          synthesized = Testing.synth(stack);
        } catch (err) {
          if (!(err instanceof SparkConfigError)) throw err;
          expect(err.message).toMatch(/^(test\/|Peer\.)[^\n]*: .+\. [A-Z].*\.$/s);
          expect(err.message).not.toMatch(/got null|Resolution error/);
          seen.refused++;
          return;
        }
        seen.built++;
        const config = JSON.parse(synthesized);
        // No rule reads as "everyone", and no group's rules add up to everyone on a port.
        const rules = Object.values(config.resource.openstack_networking_secgroup_rule_v2 ?? {}) as {
          security_group_id: string;
          remote_ip_prefix?: string;
          port_range_min?: number;
          port_range_max?: number;
        }[];
        const byGroup = new Map<string, typeof rules>();
        for (const r of rules.filter((r) => r.remote_ip_prefix)) {
          const block = parseCidr(r.remote_ip_prefix!);
          expect({
            prefix: r.remote_ip_prefix,
            parsed: block !== undefined && block.canonical === r.remote_ip_prefix,
          }).toEqual({
            prefix: r.remote_ip_prefix,
            parsed: true,
          });
          expect(block!.prefix).toBeGreaterThan(0);
          byGroup.set(r.security_group_id, [...(byGroup.get(r.security_group_id) ?? []), r]);
        }
        for (const group of byGroup.values()) {
          for (const at of new Set(group.map((r) => r.port_range_min ?? 0))) {
            const blocks = group
              .filter((r) => (r.port_range_min ?? 0) <= at && at <= (r.port_range_max ?? 65535))
              .map((r) => parseCidr(r.remote_ip_prefix!)!);
            expect(coversInternet(blocks, 4) || coversInternet(blocks, 6)).toBe(false);
          }
        }
        // The library's security settings reach every node unchanged.
        for (const userData of Object.values(userDataOf(synthesized))) {
          const defaults = filesOf(fillTemplate(userData))['/etc/spark/conf/spark-defaults.conf'].content;
          expect(defaults).toMatch(/^spark\.authenticate true$/m);
          expect(defaults).toMatch(/^spark\.master\.rest\.enabled false$/m);
          expect(defaults).toMatch(/^spark\.master spark:\/\/10\.42\.0\.10:7077$/m);
          expect(defaults).toMatch(/^spark\.network\.crypto\.enabled true$/m);
          expect(defaults).toMatch(/^spark\.authenticate\.secret a{64}$/m);
        }
        // Classes, not strings, decided placement and the user-data policy.
        const servers = Object.values(config.resource.openstack_compute_instance_v2) as { lifecycle?: unknown }[];
        expect(servers.every((srv) => srv.lifecycle === undefined)).toBe(true); // REPLACE was the only one accepted
        // One server group resource, and one more (for_each) past Nova's 10 members per group.
        expect(Object.keys(config.resource.openstack_compute_servergroup_v2 ?? {})).toHaveLength(s.count > 10 ? 2 : 1);
      }),
      { numRuns: 300, seed: 20261201 },
    );
    console.log(`fuzzed shapes: 300 cases, ${seen.built} built, ${seen.refused} refused with a SparkConfigError`);
    expect(seen.built).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });
});
