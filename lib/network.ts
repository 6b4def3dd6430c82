import { ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { NetworkingNetworkV2 } from '../.gen/providers/openstack/networking-network-v2';
import { NetworkingRouterInterfaceV2 } from '../.gen/providers/openstack/networking-router-interface-v2';
import { NetworkingRouterV2 } from '../.gen/providers/openstack/networking-router-v2';
import { NetworkingSubnetV2 } from '../.gen/providers/openstack/networking-subnet-v2';
import { ExternalNetwork } from './external-network';
import { MAX_MASTER_COUNT } from './high-availability';
import {
  containsAddress,
  formatIpv4,
  hostAddress,
  Ipv4Cidr,
  overlaps,
  parseCidr,
  parseIpv4,
  parseIpv4Cidr,
} from './private/cidr';
import { hasControlCharacters, invalid, isUnresolved } from './private/errors';
import { optionalStringList, requireObject } from './private/inputs';
import { validateName } from './private/names';

/** The network a cluster's servers attach to. */
export interface ISparkNetwork {
  /** Neutron network ID. */
  readonly networkId: string;
  /** Neutron subnet ID the servers' ports take their addresses from. */
  readonly subnetId: string;
  /** The subnet's CIDR. */
  readonly cidr: string;
  /**
   * The master's fixed address. Known before anything is created, so workers' user data
   * names it and workers boot in parallel with the master.
   */
  readonly masterIp: string;
  /**
   * Fixed addresses for standby masters (`highAvailability`), in order after `masterIp`;
   * outside the subnet's DHCP allocation pool.
   * @default - none: the cluster can have one master only
   */
  readonly standbyMasterIps?: readonly string[];
  /** The external network behind the router, when the library created one. */
  readonly externalNetwork?: ExternalNetwork;
  /**
   * The router interface that connects the subnet to the external network, when the library
   * created it. Neutron refuses to associate a floating IP with a port on the subnet until
   * it exists (ExternalGatewayForFloatingIPNotFound), so associations depend on it.
   */
  readonly routerInterface?: ITerraformDependable;
  /**
   * How many worker ports the subnet has addresses for; a cluster refuses more workers.
   * @default - not checked
   */
  readonly workerCapacity?: number;
}

/** Props of a new SparkNetwork. */
export interface SparkNetworkProps {
  /** Prefix of the network, subnet and router names. */
  readonly name: string;
  /**
   * The subnet's IPv4 block, /16 to /28.
   * @default '10.42.0.0/24'
   */
  readonly cidr?: string;
  /**
   * DNS servers handed out by DHCP.
   * @default - none: the cloud's own DHCP/DNS settings apply
   */
  readonly dnsNameservers?: string[];
  /**
   * First and last address DHCP hands out. Must leave the master's address outside.
   * @default - from the 20th host address to the last one
   */
  readonly allocationPool?: { readonly start: string; readonly end: string };
  /**
   * Which host address of the block the master gets (1 is the gateway).
   * @default 10
   */
  readonly masterHostNumber?: number;
  /**
   * Creates a router with its gateway on this network (for floating IPs and outbound
   * traffic: servers download Spark and packages).
   * @default - no router: the network must reach the mirrors some other way
   */
  readonly externalNetwork?: ExternalNetwork;
}

/** Attributes of an existing network and subnet to adopt. */
export interface SparkNetworkAttributes {
  readonly networkId: string;
  readonly subnetId: string;
  /** The subnet's CIDR (for the master's address check and security rules). */
  readonly cidr: string;
  /** A free address in the subnet, outside its DHCP allocation pool, for the master. */
  readonly masterIp: string;
  /**
   * Free addresses for standby masters (`highAvailability` needs one fewer than its masters),
   * outside the allocation pool.
   * @default - none
   */
  readonly standbyMasterIps?: readonly string[];
}

const DEFAULT_CIDR = '10.42.0.0/24';
/** Neutron's default `max_dns_nameservers`. */
const NEUTRON_MAX_DNS_NAMESERVERS = 5;
const FIRST_DHCP_HOST = 20;

/** The free host addresses right after the master's, before the pool or the block ends. */
function standbyAddresses(block: Ipv4Cidr, masterHost: number, pool: { start: string; end: string }): string[] {
  const start = Number(parseIpv4(pool.start));
  const end = Number(parseIpv4(pool.end));
  const out: string[] = [];
  for (let host = masterHost + 1; out.length < MAX_MASTER_COUNT - 1 && host <= block.size - 2; host++) {
    const address = block.network + host;
    if (address >= start && address <= end) break;
    out.push(hostAddress(block, host));
  }
  return out;
}

/**
 * The master addresses of adopted attributes, each with the field it came from; refuses a
 * standby list that is not a list of strings, or that repeats an address.
 */
function masterAddresses(where: string, attrs: SparkNetworkAttributes): [string, string][] {
  const standby = optionalStringList(
    where,
    'standbyMasterIps',
    attrs.standbyMasterIps,
    "Give a list of free addresses, e.g. ['192.168.50.6', '192.168.50.7'].",
  );
  const all: [string, string][] = [
    ['masterIp', attrs.masterIp],
    ...standby.map((ip, i): [string, string] => [`standbyMasterIps[${i}]`, ip]),
  ];
  const known = all.map(([, ip]) => ip).filter((ip) => !isUnresolved(ip));
  const repeated = known.find((ip, i) => known.indexOf(ip) !== i);
  if (repeated !== undefined) {
    throw invalid(
      where,
      'masterIp and standbyMasterIps must be different addresses: each master has its own',
      repeated,
      'List each address once.',
    );
  }
  return all;
}

/**
 * A private network for one cluster: network, subnet and (with an external network) a
 * router, or an existing network adopted with `SparkNetwork.fromAttributes`.
 */
export class SparkNetwork extends Construct implements ISparkNetwork {
  /** Adopts an existing network and subnet; creates nothing. */
  static fromAttributes(scope: Construct, id: string, attrs: SparkNetworkAttributes): ISparkNetwork {
    const where = `${scope.node.path}/${id}`;
    requireObject(where, 'attributes', attrs, 'Pass { networkId, subnetId, cidr, masterIp }.');
    let workerCapacity: number | undefined;
    if (!isUnresolved(attrs.cidr)) {
      const block = parseIpv4Cidr(attrs.cidr);
      if (!block || block.prefix > 29) {
        const loose = parseCidr(attrs.cidr);
        throw invalid(
          where,
          'cidr must be a canonical IPv4 CIDR of /29 or larger with the host bits zero',
          attrs.cidr,
          loose?.version === 4 && loose.canonical !== attrs.cidr
            ? `Write it as ${loose.canonical}.`
            : 'Use the subnet CIDR `openstack subnet show` reports.',
        );
      }
      // Network and broadcast address, gateway, master and Neutron's DHCP port: the rest at most.
      workerCapacity = block.size - 5;
      for (const [field, address] of masterAddresses(where, attrs)) {
        if (isUnresolved(address)) continue;
        const ip = parseIpv4(address);
        if (ip === undefined || !containsAddress(block, ip)) {
          throw invalid(
            where,
            `${field} must be an address inside ${attrs.cidr}`,
            address,
            'Pick a free address of the subnet outside its allocation pool.',
          );
        }
        if (ip === block.network || ip === block.network + block.size - 1) {
          throw invalid(
            where,
            `${field} is the ${ip === block.network ? 'network' : 'broadcast'} address of ${attrs.cidr}, which no server can have`,
            address,
            `Pick a free host address such as ${hostAddress(block, Math.min(10, block.size - 2))}, outside the allocation pool.`,
          );
        }
      }
    } else {
      for (const [field, address] of masterAddresses(where, attrs)) {
        if (!isUnresolved(address) && parseIpv4(address) === undefined) {
          throw invalid(where, `${field} must be an IPv4 address`, address, 'Use an address such as 192.168.50.5.');
        }
      }
    }
    for (const field of ['networkId', 'subnetId'] as const) {
      if (typeof attrs[field] !== 'string' || !attrs[field].trim() || hasControlCharacters(attrs[field])) {
        throw invalid(
          where,
          `${field} must not be empty`,
          attrs[field],
          'Use the ID `openstack network list` / `openstack subnet list` shows.',
        );
      }
    }
    return {
      networkId: attrs.networkId,
      subnetId: attrs.subnetId,
      cidr: attrs.cidr,
      masterIp: attrs.masterIp,
      ...(attrs.standbyMasterIps ? { standbyMasterIps: [...attrs.standbyMasterIps] } : {}),
      workerCapacity,
    };
  }

  readonly networkId: string;
  readonly subnetId: string;
  readonly cidr: string;
  readonly masterIp: string;
  readonly externalNetwork?: ExternalNetwork;
  readonly workerCapacity: number;
  /**
   * The addresses after the master's that DHCP does not hand out, up to six: where standby
   * masters go (`highAvailability`). With the default layout, hosts 11 to 16.
   */
  readonly standbyMasterIps: readonly string[];
  /** The router, when one was created. */
  readonly routerId?: string;
  readonly routerInterface?: ITerraformDependable;

  constructor(scope: Construct, id: string, props: SparkNetworkProps) {
    super(scope, id);
    const where = this.node.path;
    requireObject(where, 'props', props, "Pass { name: 'analytics' }.");
    validateName(where, 'name', props.name);
    this.cidr = props.cidr ?? DEFAULT_CIDR;
    const block = parseIpv4Cidr(this.cidr);
    if (!block || block.prefix < 16 || block.prefix > 28) {
      const loose = parseCidr(this.cidr);
      throw invalid(
        where,
        'cidr must be a canonical IPv4 block from /16 to /28 with the host bits zero',
        this.cidr,
        loose?.version === 4 && loose.canonical !== this.cidr && loose.prefix >= 16 && loose.prefix <= 28
          ? `Write it as ${loose.canonical}.`
          : `Use a private block such as ${DEFAULT_CIDR}.`,
      );
    }
    const masterHost = props.masterHostNumber ?? 10;
    if (!Number.isInteger(masterHost) || masterHost < 2 || masterHost >= block.size - 1) {
      throw invalid(
        where,
        `masterHostNumber must be a host of ${this.cidr} other than the gateway (2..${block.size - 2})`,
        masterHost,
        'Leave it unset for 10.',
      );
    }
    this.masterIp = hostAddress(block, masterHost);
    const pool = this.allocationPool(block, props.allocationPool, masterHost);
    // Neutron's DHCP port takes one address of the pool.
    this.workerCapacity = Number(parseIpv4(pool.end)) - Number(parseIpv4(pool.start));
    this.standbyMasterIps = standbyAddresses(block, masterHost, pool);
    this.checkOverlap(block);
    const servers = optionalStringList(where, 'dnsNameservers', props.dnsNameservers, "Use e.g. ['9.9.9.9'].");
    if (servers.length > NEUTRON_MAX_DNS_NAMESERVERS || new Set(servers).size !== servers.length) {
      throw invalid(
        where,
        `dnsNameservers must be at most ${NEUTRON_MAX_DNS_NAMESERVERS} different addresses (Neutron refuses duplicates and, by default, more)`,
        servers,
        'List each DNS server once, at most five.',
      );
    }
    for (const server of servers) {
      if (parseIpv4(server) === undefined) {
        throw invalid(where, 'dnsNameservers must be IPv4 addresses', server, 'Use addresses such as 9.9.9.9.');
      }
    }

    const network = new NetworkingNetworkV2(this, 'Network', { name: props.name, adminStateUp: true });
    const subnet = new NetworkingSubnetV2(this, 'Subnet', {
      name: props.name,
      networkId: network.id,
      cidr: this.cidr,
      ipVersion: 4,
      dnsNameservers: props.dnsNameservers,
      allocationPool: [pool],
    });
    this.networkId = network.id;
    this.subnetId = subnet.id;

    if (props.externalNetwork) {
      this.externalNetwork = props.externalNetwork;
      const router = new NetworkingRouterV2(this, 'Router', {
        name: props.name,
        adminStateUp: true,
        externalNetworkId: props.externalNetwork.idIn(this),
      });
      this.routerInterface = new NetworkingRouterInterfaceV2(this, 'RouterInterface', {
        routerId: router.id,
        subnetId: subnet.id,
      });
      this.routerId = router.id;
    }
  }

  private allocationPool(block: Ipv4Cidr, given: SparkNetworkProps['allocationPool'], masterHost: number) {
    const where = this.node.path;
    const lastHost = block.size - 2;
    if (!given) {
      if (lastHost < FIRST_DHCP_HOST) {
        throw invalid(
          where,
          `cidr ${this.cidr} leaves no room for DHCP after host ${FIRST_DHCP_HOST}`,
          this.cidr,
          'Use a /27 or larger block, or give allocationPool.',
        );
      }
      const start = Math.max(FIRST_DHCP_HOST, masterHost + 1);
      return { start: hostAddress(block, start), end: hostAddress(block, lastHost) };
    }
    const start = parseIpv4(given.start);
    const end = parseIpv4(given.end);
    if (
      start === undefined ||
      end === undefined ||
      !containsAddress(block, start) ||
      !containsAddress(block, end) ||
      start > end
    ) {
      throw invalid(
        where,
        `allocationPool must be a range inside ${this.cidr}`,
        given,
        'Give start and end addresses of the subnet, start first.',
      );
    }
    const master = block.network + masterHost;
    if (master >= start && master <= end) {
      throw invalid(
        where,
        `allocationPool contains the master's fixed address ${formatIpv4(master)}`,
        given,
        'Start the pool after the master address or change masterHostNumber.',
      );
    }
    return { start: given.start, end: given.end };
  }

  /** Two cluster networks in one stack must not overlap: they could never be routed together. */
  private checkOverlap(block: Ipv4Cidr): void {
    const stack = TerraformStack.of(this);
    for (const other of stack.node.findAll()) {
      if (other !== this && other instanceof SparkNetwork) {
        const otherBlock = parseIpv4Cidr(other.cidr);
        if (otherBlock && overlaps(block, otherBlock)) {
          throw invalid(
            this.node.path,
            `cidr overlaps ${other.cidr} of ${other.node.path}`,
            this.cidr,
            'Give each cluster network its own block, e.g. 10.42.0.0/24 and 10.43.0.0/24.',
          );
        }
      }
    }
  }
}
