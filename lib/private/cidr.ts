/** IPv4/IPv6 CIDR helpers for synth-time validation (no tokens: callers skip those). */
import { invalid } from './errors';

export interface Ipv4Cidr {
  /** The network address as a 32-bit unsigned integer. */
  readonly network: number;
  readonly prefix: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

/** Octets without leading zeros: `010` reads as octal to some parsers, as decimal to others. */
const IPV4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

export function parseIpv4(address: string): number | undefined {
  if (typeof address !== 'string') return undefined;
  const m = IPV4.exec(address);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** Parses a canonical `a.b.c.d/n`; undefined when malformed, not canonical, or when host bits are set. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr | undefined {
  const block = parseCidr(cidr);
  if (!block || block.version !== 4 || block.canonical !== cidr) return undefined;
  return { network: Number(block.network), prefix: block.prefix, size: 2 ** (32 - block.prefix) };
}

/** True for an IPv6 CIDR written canonically (RFC 5952) with the host bits zero. */
export function isIpv6Cidr(cidr: string): boolean {
  const block = parseCidr(cidr);
  return block?.version === 6 && block.canonical === cidr;
}

/**
 * An address block read the way Neutron reads one: leading zeros, upper-case hex and set
 * host bits are accepted and normalised, so `0.0.0.0/00` is `0.0.0.0/0`.
 */
export interface IpBlock {
  readonly version: 4 | 6;
  /** The network address, host bits cleared. */
  readonly network: bigint;
  /** The address as written (host bits kept). */
  readonly address: bigint;
  readonly prefix: number;
  /** The block written canonically: `10.1.0.0/16`, `2001:db8::/32`. */
  readonly canonical: string;
  /** True when the text had bits set below the prefix (`10.1.2.3/24`). */
  readonly hostBitsSet: boolean;
}

function bitsOf(version: 4 | 6): number {
  return version === 4 ? 32 : 128;
}

function readIpv4Loose(text: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
}

function readIpv6Loose(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (piece.includes('.')) {
        // An embedded IPv4 address, only as the last 32 bits.
        const v4 = i === pieces.length - 1 ? readIpv4Loose(piece) : undefined;
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
        out.push(BigInt(`0x${piece}`));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const given = head.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...Array<bigint>(8 - given).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups (the first one on a tie).
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

function formatAddress(version: 4 | 6, value: bigint): string {
  return version === 4 ? formatIpv4(Number(value)) : formatIpv6(value);
}

/** Reads `address/prefix` as IPv4 or IPv6, leniently (see IpBlock); undefined when it is neither. */
export function parseCidr(text: string): IpBlock | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('/');
  if (parts.length !== 2 || !/^\d{1,4}$/.test(parts[1])) return undefined;
  const version: 4 | 6 = parts[0].includes(':') ? 6 : 4;
  const address = version === 4 ? readIpv4Loose(parts[0]) : readIpv6Loose(parts[0]);
  const prefix = Number(parts[1]);
  const bits = bitsOf(version);
  if (address === undefined || prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const network = address & ~hostMask & ((1n << BigInt(bits)) - 1n);
  return {
    version,
    network,
    address,
    prefix,
    canonical: `${formatAddress(version, network)}/${prefix}`,
    hostBitsSet: (address & hostMask) !== 0n,
  };
}

/** True when the blocks (all of `version`) together hold every address of that family. */
export function coversEverything(blocks: readonly IpBlock[], version: 4 | 6): boolean {
  const bits = BigInt(bitsOf(version));
  const ranges = blocks
    .filter((b) => b.version === version)
    .map((b) => ({ start: b.network, end: b.network + (1n << (bits - BigInt(b.prefix))) }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let reached = 0n;
  for (const r of ranges) {
    if (r.start > reached) return false;
    if (r.end > reached) reached = r.end;
  }
  return reached === 1n << bits;
}

/**
 * Blocks no packet from the internet comes from (RFC 6890 special-purpose ranges, multicast
 * and reserved space; for IPv6 everything outside global unicast, 2000::/3). Blocks that
 * cover all the rest admit the whole internet, whatever they leave out of these.
 */
const NOT_FROM_THE_INTERNET: Readonly<Record<4 | 6, readonly IpBlock[]>> = {
  4: [
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.0.2.0/24',
    '192.168.0.0/16',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '224.0.0.0/3',
  ].map((c) => parseCidr(c)!),
  6: ['::/3', '4000::/2', '8000::/1'].map((c) => parseCidr(c)!),
};

/**
 * True when the blocks (of `version`) together admit every address the internet can send
 * from: every public address, e.g. `0.0.0.0/1` + `128.0.0.0/1`, or `2000::/3` for IPv6.
 */
export function coversInternet(blocks: readonly IpBlock[], version: 4 | 6): boolean {
  const own = blocks.filter((b) => b.version === version);
  return own.length > 0 && coversEverything([...own, ...NOT_FROM_THE_INTERNET[version]], version);
}

/**
 * Checks a CIDR a user gave for a security rule and returns its block. Refuses what is not a
 * CIDR of `version`, what covers the whole internet (with `anyFix` as the way to say so on
 * purpose), and what is not written canonically (saying how to write it).
 */
export function checkRuleCidr(where: string, cidr: string, version: 4 | 6 | undefined, anyFix: string): IpBlock {
  const block = parseCidr(cidr);
  const family = version === 6 ? 'IPv6' : version === 4 ? 'IPv4' : 'IPv4 or IPv6';
  if (!block || (version !== undefined && block.version !== version)) {
    throw invalid(
      where,
      `not an ${family} CIDR`,
      cidr,
      version === 6 ? 'Use a block such as 2001:db8::/48.' : 'Use a block such as 203.0.113.0/24 or 198.51.100.7/32.',
    );
  }
  if (block.prefix === 0 || coversInternet([block], block.version)) {
    const reads = block.canonical === cidr ? '' : ` (it reads as ${block.canonical})`;
    throw invalid(where, `this opens the port to the whole internet${reads}`, cidr, anyFix);
  }
  if (block.canonical !== cidr) {
    const host = block.hostBitsSet
      ? `, or ${formatAddress(block.version, block.address)}/${bitsOf(block.version)} for that one address`
      : '';
    throw invalid(
      where,
      block.hostBitsSet ? 'the address has bits set past the prefix' : 'the CIDR is not written canonically',
      cidr,
      `Write it as ${block.canonical}${host}.`,
    );
  }
  return block;
}

/** The n-th address of the block (n = 1 is the first host address). */
export function hostAddress(cidr: Ipv4Cidr, n: number): string {
  return formatIpv4(cidr.network + n);
}

export function containsAddress(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address < cidr.network + cidr.size;
}

export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + b.size && b.network < a.network + a.size;
}
