import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { NetworkingSecgroupRuleV2 } from '../.gen/providers/openstack/networking-secgroup-rule-v2';
import { NetworkingSecgroupV2 } from '../.gen/providers/openstack/networking-secgroup-v2';
import { invalid, isUnresolved } from './private/errors';
import { checkRuleCidr, coversInternet, IpBlock, parseCidr } from './private/cidr';

/** How to open a port to everyone on purpose, per address family. */
const ANY_FIX = {
  IPv4: 'Name the networks that need access, or use Peer.anyIpv4() if you really mean everyone.',
  IPv6: 'Name the networks that need access, or use Peer.anyIpv6() if you really mean everyone.',
  either: 'Name the networks that need access, or use Peer.anyIpv4() / Peer.anyIpv6() if you really mean everyone.',
} as const;

/** A TCP port or port range, or ICMP. */
export class Port {
  /** One TCP port. */
  static tcp(port: number): Port {
    return Port.tcpRange(port, port);
  }

  /** An inclusive TCP port range. */
  static tcpRange(from: number, to: number): Port {
    for (const p of [from, to]) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) {
        throw invalid('Port.tcp', 'ports must be whole numbers from 1 to 65535', p, 'Use a port such as 8080.');
      }
    }
    if (from > to) {
      throw invalid('Port.tcpRange', 'the range must not end before it starts', `${from}-${to}`, 'Swap the two ports.');
    }
    return new Port('tcp', from, to);
  }

  /** Every TCP port. */
  static allTcp(): Port {
    return new Port('tcp', 1, 65535);
  }

  /** ICMP of any type (ping, path MTU discovery). */
  static icmp(): Port {
    return new Port('icmp', undefined, undefined);
  }

  private constructor(
    readonly protocol: 'tcp' | 'icmp',
    readonly from: number | undefined,
    readonly to: number | undefined,
  ) {}

  /** A stable, readable key used in construct ids: `tcp-8080`, `tcp-4040-4049`, `icmp`. */
  get key(): string {
    if (this.protocol === 'icmp') return 'icmp';
    return this.from === this.to ? `tcp-${this.from}` : `tcp-${this.from}-${this.to}`;
  }
}

/** Where traffic may come from: an address block or a security group. */
export class Peer {
  /**
   * An IPv4 block, written canonically. A block that covers every address (`0.0.0.0/0`, or
   * `0.0.0.0/00`) is refused here: use `Peer.anyIpv4()` to say that on purpose.
   */
  static ipv4(cidr: string): Peer {
    if (!isUnresolved(cidr)) checkRuleCidr('Peer.ipv4', cidr, 4, ANY_FIX.IPv4);
    return new Peer('IPv4', cidr, undefined);
  }

  /** An IPv6 block, written canonically. `::/0` is refused here: use `Peer.anyIpv6()` to say that on purpose. */
  static ipv6(cidr: string): Peer {
    if (!isUnresolved(cidr)) checkRuleCidr('Peer.ipv6', cidr, 6, ANY_FIX.IPv6);
    return new Peer('IPv6', cidr, undefined);
  }

  /** An IPv4 or IPv6 block, whichever `cidr` is. */
  static cidr(cidr: string): Peer {
    if (isUnresolved(cidr)) return Peer.ipv4(cidr);
    const block = checkRuleCidr('Peer.cidr', cidr, undefined, ANY_FIX.either);
    return block.version === 6 ? Peer.ipv6(cidr) : Peer.ipv4(cidr);
  }

  /** Every IPv4 address. Only for ports that are meant to be public. */
  static anyIpv4(): Peer {
    return new Peer('IPv4', '0.0.0.0/0', undefined);
  }

  /** Every IPv6 address. Only for ports that are meant to be public. */
  static anyIpv6(): Peer {
    return new Peer('IPv6', '::/0', undefined);
  }

  /** Members of a security group (by its ID). */
  static group(group: SparkSecurityGroup): Peer {
    if (!(group instanceof SparkSecurityGroup)) {
      throw invalid(
        'Peer.group',
        'group must be a SparkSecurityGroup',
        group,
        'Pass a group the library created, e.g. cluster.internalSecurityGroup.',
      );
    }
    return new Peer('IPv4', undefined, group);
  }

  private constructor(
    readonly ethertype: 'IPv4' | 'IPv6',
    readonly cidrBlock: string | undefined,
    readonly securityGroup: SparkSecurityGroup | undefined,
  ) {}

  /** A stable key for construct ids: the CIDR, or the group's construct id. */
  get key(): string {
    if (this.securityGroup) return `group-${this.securityGroup.node.id}`;
    const cidr = this.cidrBlock ?? '';
    return isUnresolved(cidr) ? `token-${this.ethertype}` : cidr.replace(/[^0-9A-Za-z]+/g, '_');
  }
}

/** Props of a SparkSecurityGroup. */
export interface SparkSecurityGroupProps {
  /** The group's name in Neutron. */
  readonly name: string;
  /** What the group is for; shown by `openstack security group list`. */
  readonly description: string;
}

/**
 * A Neutron security group whose ingress rules are added through `connections`. Egress
 * stays Neutron's default (all allowed), which servers need to fetch Spark and packages.
 */
export class SparkSecurityGroup extends Construct {
  /** The group's ID. */
  readonly groupId: string;
  /** Adds ingress rules to this group. */
  readonly connections: Connections;

  constructor(scope: Construct, id: string, props: SparkSecurityGroupProps) {
    super(scope, id);
    const group = new NetworkingSecgroupV2(this, 'Group', { name: props.name, description: props.description });
    this.groupId = group.id;
    this.connections = new Connections(this);
  }
}

/** One ingress rule as the library recorded it (for docs, tests and reviews). */
export interface IngressRule {
  readonly peer: Peer;
  readonly port: Port;
  readonly description: string;
}

/**
 * Ingress rules of one security group, over `openstack_networking_secgroup_rule_v2`.
 * Rules are keyed by peer and port, so adding one never renames another.
 */
export class Connections {
  private readonly rules = new Map<string, IngressRule>();

  constructor(private readonly group: SparkSecurityGroup) {}

  /**
   * Allows `port` from `peer`. Adding the same peer and port twice adds one rule. Rules whose
   * blocks together cover every address of a family (`0.0.0.0/1` and `128.0.0.0/1`) are
   * refused like `0.0.0.0/0`, unless `Peer.anyIpv4()` / `anyIpv6()` opened that port already.
   */
  allowFrom(peer: Peer, port: Port, description: string): void {
    const where = this.group.node.path;
    if (!(peer instanceof Peer)) {
      throw invalid(where, 'peer must be a Peer', peer, "Use Peer.ipv4('203.0.113.0/24') or Peer.group(group).");
    }
    if (!(port instanceof Port)) {
      throw invalid(where, 'port must be a Port', port, 'Use Port.tcp(8080) or Port.tcpRange(4040, 4049).');
    }
    let id = `Ingress-${peer.key}-${port.key}`;
    const existing = this.rules.get(id);
    if (existing && samePeer(existing.peer, peer)) return;
    // Keys flatten punctuation, so two IPv6 blocks can share one (1:2::3/128, 1::2:3/128):
    // the second gets a suffix from its own text instead of being dropped.
    if (existing) id = `${id}-${createHash('sha256').update(String(peer.cidrBlock)).digest('hex').slice(0, 8)}`;
    if (this.rules.has(id)) return;
    this.checkCoverage(peer, port);
    this.rules.set(id, { peer, port, description });
    // Neutron stores 1-65535 as "no range" and reads back 0: written as a range, the rule
    // would differ from the cloud on every plan and be replaced on every apply.
    const everyPort = port.protocol === 'tcp' && port.from === 1 && port.to === 65535;
    new NetworkingSecgroupRuleV2(this.group, id, {
      securityGroupId: this.group.groupId,
      direction: 'ingress',
      ethertype: peer.ethertype,
      protocol: port.protocol,
      portRangeMin: everyPort ? undefined : port.from,
      portRangeMax: everyPort ? undefined : port.to,
      remoteIpPrefix: peer.cidrBlock,
      remoteGroupId: peer.securityGroup?.groupId,
      description,
    });
  }

  /** Allows `port` from members of this same group. */
  allowInternally(port: Port, description: string): void {
    this.allowFrom(Peer.group(this.group), port, description);
  }

  /** The rules added so far. */
  get ingressRules(): readonly IngressRule[] {
    return [...this.rules.values()];
  }

  /** Refuses `peer` on `port` when, with the rules so far, some port would be open to every address. */
  private checkCoverage(peer: Peer, port: Port): void {
    const block = blockOf(peer);
    if (!block || block.prefix === 0) return;
    const rules = [...this.rules.values(), { peer, port, description: '' }].filter(
      (r) => r.peer.ethertype === peer.ethertype && r.port.protocol === port.protocol && overlapsPort(r.port, port),
    );
    // Which rules apply changes only where a range starts: testing every start tests every port.
    for (const at of new Set(rules.map((r) => r.port.from ?? 0))) {
      const applying = rules.filter((r) => (r.port.from ?? 0) <= at && at <= (r.port.to ?? 0));
      const blocks = applying.map((r) => blockOf(r.peer)).filter((b): b is IpBlock => b !== undefined);
      if (blocks.some((b) => b.prefix === 0) || !coversInternet(blocks, block.version)) continue;
      const what = port.protocol === 'icmp' ? 'ICMP' : `tcp ${at}`;
      throw invalid(
        this.group.node.path,
        `ingress rules for ${what} together admit every public ${peer.ethertype} address`,
        blocks.map((b) => b.canonical).join(' + '),
        ANY_FIX[peer.ethertype],
      );
    }
  }
}

function samePeer(a: Peer, b: Peer): boolean {
  return a.ethertype === b.ethertype && a.cidrBlock === b.cidrBlock && a.securityGroup === b.securityGroup;
}

/** The address block of a CIDR peer (none for groups and unresolved tokens). */
function blockOf(peer: Peer): IpBlock | undefined {
  if (peer.cidrBlock === undefined || isUnresolved(peer.cidrBlock)) return undefined;
  return parseCidr(peer.cidrBlock);
}

function overlapsPort(a: Port, b: Port): boolean {
  if (a.protocol === 'icmp' || b.protocol === 'icmp') return a.protocol === b.protocol;
  return (a.from ?? 0) <= (b.to ?? 0) && (b.from ?? 0) <= (a.to ?? 0);
}
