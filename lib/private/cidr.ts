/** IPv4/IPv6 CIDR helpers for synth-time validation (no tokens: callers skip those). */

export interface Ipv4Cidr {
  /** The network address as a 32-bit unsigned integer. */
  readonly network: number;
  readonly prefix: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(address: string): number | undefined {
  const m = IPV4.exec(address);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** Parses `a.b.c.d/n`; undefined when malformed or when host bits are set. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr | undefined {
  const [address, prefixText, ...rest] = cidr.split('/');
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const ip = parseIpv4(address);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return undefined;
  return { network: ip, prefix, size };
}

/** A loose IPv6 CIDR check: hex groups, at most one `::`, prefix 0..128. */
export function isIpv6Cidr(cidr: string): boolean {
  const [address, prefixText, ...rest] = cidr.split('/');
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > 128) {
    return false;
  }
  if (!/^[0-9a-fA-F:]+$/.test(address) || (address.match(/::/g) ?? []).length > 1) return false;
  const groups = address.split(':').filter((g) => g !== '');
  return groups.every((g) => g.length <= 4) && (address.includes('::') ? groups.length < 8 : groups.length === 8);
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
