import * as fs from 'fs';
import * as path from 'path';
import { failing, renderMarkdown, reviewPlan } from '../scripts/plan-review';
import { parseArgs, runPlan } from '../scripts/plan';
import { PlanJson } from '../scripts/tofu';
import { REPO_ROOT } from '../scripts/tools-env';

// A plan as `tofu show -json` prints it, trimmed to what the review reads.
function plan(
  changes: {
    type: string;
    name: string;
    actions: string[];
    before?: object | null;
    after?: object | null;
    extra?: object;
  }[],
): PlanJson {
  return {
    format_version: '1.2',
    resource_changes: changes.map((c) => ({
      address: `${c.type}.${c.name}`,
      type: c.type,
      name: c.name,
      change: {
        actions: c.actions,
        before: (c.before ?? null) as Record<string, unknown> | null,
        after: (c.after ?? null) as Record<string, unknown> | null,
        ...c.extra,
      },
    })),
  };
}
const config = {
  resource: {
    openstack_compute_instance_v2: { srv: { '//': { metadata: { path: 'st/analytics/Workers/general/Servers' } } } },
    openstack_networking_secgroup_rule_v2: {
      rule: { '//': { metadata: { path: 'st/analytics/Security/Master/rule' } } },
    },
  },
};

describe('plan review', () => {
  it('flags data loss, access opened to the internet, rules with no source, and secrets, without printing values', () => {
    const review = reviewPlan(
      'st',
      plan([
        {
          type: 'openstack_compute_instance_v2',
          name: 'srv',
          actions: ['delete', 'create'],
          before: { user_data: 'OLD-SECRET' },
          after: { user_data: 'NEW-SECRET' },
          extra: { before_sensitive: { user_data: true }, after_sensitive: { user_data: true } },
        },
        { type: 'openstack_blockstorage_volume_v3', name: 'vol', actions: ['delete'], before: { size: 1 } },
        {
          type: 'openstack_networking_secgroup_rule_v2',
          name: 'rule',
          actions: ['create'],
          after: {
            direction: 'ingress',
            protocol: 'tcp',
            port_range_min: 22,
            port_range_max: 22,
            remote_ip_prefix: '0.0.0.0/0',
          },
        },
        {
          type: 'openstack_networking_secgroup_rule_v2',
          name: 'open',
          actions: ['create'],
          after: {
            direction: 'ingress',
            protocol: 'tcp',
            port_range_min: 80,
            port_range_max: 80,
            remote_ip_prefix: null,
            remote_group_id: null,
          },
        },
      ]),
      config,
    );
    expect(review.findings.map((f) => [f.category, f.message])).toEqual([
      ['replace', 'server will be replaced: its data is lost'],
      ['secret', 'secret-bearing user_data changes (value not shown)'],
      ['destroy', 'volume will be destroyed: its data is lost'],
      ['widen', 'opens tcp 22-22 to the whole internet (0.0.0.0/0)'],
      ['widen', 'opens tcp 80-80 to anyone: the rule has neither a CIDR nor a group'],
    ]);
    expect(review.groups.map((g) => g.group)).toEqual([
      '(outside any construct)',
      'analytics',
      'analytics / pool general',
    ]);
    const markdown = renderMarkdown(review);
    expect(markdown).not.toMatch(/SECRET\b.*OLD|NEW-SECRET|OLD-SECRET/);
    expect(markdown).toContain('#### :warning: Needs attention');
    expect(failing(review, ['widen']).length).toBe(2);
    expect(failing(review, [])).toEqual([]);
  });

  const rule = (name: string, actions: string[], values: object | null, old: object | null = null) => ({
    type: 'openstack_networking_secgroup_rule_v2',
    name,
    actions,
    before: old && { direction: 'ingress', ethertype: 'IPv4', security_group_id: 'sg-ui', protocol: 'tcp', ...old },
    after: values && {
      direction: 'ingress',
      ethertype: 'IPv4',
      security_group_id: 'sg-ui',
      protocol: 'tcp',
      ...values,
    },
  });
  const ui = (prefix: string, from = 8080, to = from) => ({
    port_range_min: from,
    port_range_max: to,
    remote_ip_prefix: prefix,
  });

  it('compares rule sets by what they let in: narrowing or restating access is not widening', () => {
    const review = reviewPlan(
      'st',
      plan([
        rule('old', ['delete'], null, ui('203.0.113.0/24', 8080, 8081)),
        rule('narrower', ['create'], ui('203.0.113.7/32')),
        rule('same-block-other-text', ['create'], ui('203.0.113.99/24', 8081)),
        rule('other-port', ['create'], ui('203.0.113.7/32', 22)),
        rule('wider', ['create'], ui('203.0.112.0/23')),
        {
          ...rule('other-group', ['create'], ui('203.0.113.7/32')),
          after: {
            ...ui('203.0.113.7/32'),
            direction: 'ingress',
            ethertype: 'IPv4',
            protocol: 'tcp',
            security_group_id: 'sg-other',
          },
        },
      ]),
      config,
    );
    expect(review.findings.map((f) => [f.address, f.message])).toEqual([
      ['openstack_networking_secgroup_rule_v2.other-port', 'allows tcp 22-22 from 203.0.113.7/32'],
      ['openstack_networking_secgroup_rule_v2.wider', 'widens tcp 8080-8080 from 203.0.113.0/24 to 203.0.112.0/23'],
      ['openstack_networking_secgroup_rule_v2.other-group', 'allows tcp 8080-8080 from 203.0.113.7/32'],
    ]);
  });

  it('names running servers that miss a configuration change, per resource, without the values', () => {
    const record = (master: string, conf = 'none') =>
      `v1;m=${master};x=3/6237m/624m;s3=off;tls=off;v=3.5.7;conf=${conf};ud=000000000000`;
    const server = (index: string, recorded: string | undefined) => ({
      address: `openstack_compute_instance_v2.srv["${index}"]`,
      type: 'openstack_compute_instance_v2',
      name: 'srv',
      index,
      change: {
        actions: ['no-op'],
        before: { metadata: recorded ? { 'spark:settings': recorded, 'spark:role': 'worker' } : {} },
        after: null,
      },
    });
    const wanted = record('10.43.0.10', 'abcdefabcdef');
    const withRecord = {
      resource: {
        openstack_compute_instance_v2: {
          srv: {
            metadata: { 'spark:settings': wanted },
            '//': { metadata: { path: 'st/analytics/Workers/general/Servers' } },
          },
        },
      },
    };
    const review = reviewPlan(
      'st',
      {
        format_version: '1.2',
        resource_changes: [
          server('general-1', record('10.42.0.10')),
          server('general-2', record('10.42.0.10')),
          server('general-3', wanted),
          server('general-4', undefined),
        ],
      },
      withRecord,
    );
    expect(review.findings.map((f) => [f.category, f.address, f.message])).toEqual([
      [
        'drift',
        'openstack_compute_instance_v2.srv[general-1, general-2]',
        'these 2 running servers keep the user data they booted with (UserDataChangePolicy.IGNORE) and will NOT ' +
          "get this change: the master's address 10.42.0.10 -> 10.43.0.10: they keep looking for the master at " +
          'the old address; sparkConf changes (values not shown): they keep the old settings',
      ],
      [
        'drift',
        'openstack_compute_instance_v2.srv[general-4]',
        'this running server keeps the user data it booted with (UserDataChangePolicy.IGNORE) and will NOT get ' +
          'this change: they carry no settings record (created before records existed): what they run is unknown',
      ],
    ]);
    expect(renderMarkdown(review)).not.toContain('abcdefabcdef');
    expect(failing(review, ['drift'])).toHaveLength(2);
  });

  it('says what resizing, detaching a floating IP and deleting a key pair do, for servers of any age', () => {
    const review = reviewPlan(
      'st',
      plan([
        {
          type: 'openstack_compute_instance_v2',
          name: 'srv',
          actions: ['update'],
          // Created before the library recorded settings: no boot-time sizing either.
          before: {
            flavor_name: 'm1.large',
            image_name: 'ubuntu-24.04',
            key_pair: 'ops',
            metadata: { 'spark:role': 'worker' },
          },
          after: {
            flavor_name: 'm1.xlarge',
            image_name: 'ubuntu-24.04',
            key_pair: 'ops',
            metadata: { 'spark:role': 'worker' },
          },
        },
        {
          type: 'openstack_networking_floatingip_associate_v2',
          name: 'assoc',
          actions: ['delete'],
          before: { floating_ip: '198.51.100.20', port_id: 'p-1' },
        },
        { type: 'openstack_compute_keypair_v2', name: 'kp', actions: ['delete'], before: { name: 'ops' } },
      ]),
      config,
    );
    expect(review.findings.map((f) => [f.category, f.message])).toEqual([
      ['address', 'the floating IP 198.51.100.20 is detached from the master: the public address stops reaching it'],
      [
        'keypair',
        'key pair ops is deleted. Nova puts a key on a server only when it creates (or rebuilds) it: 1 running ' +
          'server(s) keep accepting only the old key, new servers get the key pair the configuration names',
      ],
      [
        'resize',
        'flavor m1.large -> m1.xlarge: Nova RESIZES in place this server: it stops, may move to another ' +
          'hypervisor, and reboots; applications lose the executors (and shuffle files) on them. They were ' +
          "created before workers sized themselves at boot: they keep advertising the old flavor's cores and memory",
      ],
    ]);
    expect(review.findings.every((f) => f.advice)).toBe(true);
  });

  describe('rules that open a port to the whole internet', () => {
    const rule = (name: string, action: string[], prefix: string, port = 22, before?: object) => ({
      type: 'openstack_networking_secgroup_rule_v2',
      name,
      actions: action,
      before: before ?? null,
      after: {
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: port,
        port_range_max: port,
        remote_ip_prefix: prefix,
        security_group_id: 'sg-1',
      },
    });
    const widened = (changes: ReturnType<typeof rule>[]) =>
      reviewPlan('st', plan(changes), config)
        .findings.filter((f) => f.category === 'widen')
        .map((f) => `${f.address}: ${f.message}`);

    it('reads prefixes as Neutron does: a leading zero or set host bits do not hide the whole internet', () => {
      expect(widened([rule('a', ['create'], '0.0.0.0/00'), rule('b', ['create'], '::0/0')])).toEqual([
        'openstack_networking_secgroup_rule_v2.a: opens tcp 22-22 to the whole internet (0.0.0.0/00, which reads as 0.0.0.0/0)',
        'openstack_networking_secgroup_rule_v2.b: opens tcp 22-22 to the whole internet (::0/0, which reads as ::/0)',
      ]);
      expect(widened([rule('c', ['create'], '1.2.3.4/0'), rule('e', ['create'], '2000::/3')])).toEqual([
        'openstack_networking_secgroup_rule_v2.c: opens tcp 22-22 to the whole internet (1.2.3.4/0, which reads as 0.0.0.0/0)',
        'openstack_networking_secgroup_rule_v2.e: opens tcp 22-22 to the whole internet (2000::/3, every public address)',
      ]);
      // Rewriting a prefix the way Neutron already stores it widens nothing.
      const same = { ...rule('d', [], '10.0.0.0/8').after };
      expect(widened([rule('d', ['update'], '10.0.0.0/08', 22, same)])).toEqual([]);
    });

    it('flags rules that only together open a port to every address, when one of them changes', () => {
      // The low half exists already (no-op): only the new high half is a change.
      expect(widened([rule('low', ['no-op'], '0.0.0.0/1', 22, {}), rule('high', ['create'], '128.0.0.0/1')])).toEqual([
        'openstack_networking_secgroup_rule_v2.high: allows tcp 22-22 from 128.0.0.0/1',
        'openstack_networking_secgroup_rule_v2.high: with 1 other rule(s), opens tcp 22 to every public IPv4 address (0.0.0.0/1 + 128.0.0.0/1)',
      ]);
      // Halves on different ports, or in different groups, open nothing to everyone.
      expect(widened([rule('low', ['create'], '0.0.0.0/1', 22), rule('high', ['create'], '128.0.0.0/1', 80)])).toEqual([
        'openstack_networking_secgroup_rule_v2.low: allows tcp 22-22 from 0.0.0.0/1',
        'openstack_networking_secgroup_rule_v2.high: allows tcp 80-80 from 128.0.0.0/1',
      ]);
      const other = rule('high', ['create'], '128.0.0.0/1');
      other.after.security_group_id = 'sg-2';
      expect(widened([rule('low', ['create'], '0.0.0.0/1'), other])).toHaveLength(2);
      // A rule for every protocol counts with the tcp rules.
      const anyProtocol = rule('all', ['create'], '128.0.0.0/1');
      Object.assign(anyProtocol.after, { protocol: null, port_range_min: null, port_range_max: null });
      expect(widened([rule('low', ['no-op'], '0.0.0.0/1', 22, {}), anyProtocol]).at(-1)).toBe(
        'openstack_networking_secgroup_rule_v2.all: with 1 other rule(s), opens tcp 22 to every public IPv4 address (0.0.0.0/1 + 128.0.0.0/1)',
      );
      // Nothing changes: nothing to flag, however open it already is.
      const unchanged = [rule('low', ['no-op'], '0.0.0.0/1', 22, {}), rule('high', ['no-op'], '128.0.0.0/1', 22, {})];
      expect(widened(unchanged).filter((f) => f.includes('every'))).toEqual([]);
    });
  });

  it('reads its options and refuses unknown ones', () => {
    expect(parseArgs(['multi-pool', '--fail-on', 'replace,widen', '--show'])).toMatchObject({
      stack: 'multi-pool',
      failOn: ['replace', 'widen'],
      show: true,
      synth: true,
    });
    expect(() => parseArgs(['--fail-on', 'replace,oops'])).toThrow(
      "--fail-on: unknown kind 'oops'; use any of replace, destroy, rebuild, resize, address, keypair, rename, widen, secret, drift",
    );
    expect(() => parseArgs(['--frobnicate'])).toThrow('unknown option --frobnicate');
  });

  it('npm run plan exits 2 only when --fail-on matches, and writes the Markdown review', () => {
    const markdown = path.join(fs.mkdtempSync(path.join(require('os').tmpdir(), 'review-')), 'review.md');
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    expect(runPlan({ ...parseArgs(['example', '--fail-on', 'replace,destroy']), markdown }, log)).toBe(0);
    expect(fs.readFileSync(markdown, 'utf8')).toContain('### Plan review: `example`');
    // A new cluster opens its UIs to the admin CIDR and gets a floating IP: that widens access.
    expect(runPlan({ ...parseArgs(['example', '--fail-on', 'widen', '--no-synth']), markdown }, log)).toBe(2);
    expect(lines.join('\n')).toContain('33 to add, 0 to change, 0 to replace, 0 to destroy');
    expect(fs.existsSync(path.join(REPO_ROOT, 'cdktf.out', 'stacks', 'example', 'cdk.tf.json'))).toBe(true);
  });
});
