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
    const same = { remote_ip_prefix: '10.0.0.0/8' };
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

  it('reads its options and refuses unknown ones', () => {
    expect(parseArgs(['multi-pool', '--fail-on', 'replace,widen', '--show'])).toMatchObject({
      stack: 'multi-pool',
      failOn: ['replace', 'widen'],
      show: true,
      synth: true,
    });
    expect(() => parseArgs(['--fail-on', 'replace,oops'])).toThrow(
      "--fail-on: unknown kind 'oops'; use any of replace, destroy, widen, secret",
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
    expect(lines.join('\n')).toContain('32 to add, 0 to change, 0 to replace, 0 to destroy');
    expect(fs.existsSync(path.join(REPO_ROOT, 'cdktf.out', 'stacks', 'example', 'cdk.tf.json'))).toBe(true);
  });
});
