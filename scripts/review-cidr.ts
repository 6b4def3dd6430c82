/**
 * Address blocks as the plan review compares them: read with the library's own parser
 * (lib/private/cidr.ts, the way Neutron reads a prefix), so that `203.0.113.0/24`,
 * `203.0.113.7/24` (host bits set, as Neutron accepts and normalizes) and `2001:db8::/48`
 * written any valid way compare by the addresses they cover, not by text.
 */
import { parseCidr } from '../lib/private/cidr';

/** A parsed IPv4 or IPv6 block: the first address (host bits cleared) and the prefix length. */
export interface AddressBlock {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
  /** The block written canonically: `203.0.113.0/24`, `2001:db8::/48`. */
  readonly canonical: string;
}

/**
 * Parses `address/prefix` (a bare address is a single-address block). Returns undefined
 * for anything that is not an IPv4 or IPv6 block.
 */
export function parseBlock(cidr: string): AddressBlock | undefined {
  const text = cidr.trim();
  const withPrefix = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
  const block = parseCidr(withPrefix);
  return block && { family: block.version, network: block.network, prefix: block.prefix, canonical: block.canonical };
}

/** Whether every address of `inner` is in `outer`. */
export function covers(outer: AddressBlock, inner: AddressBlock): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const hostBits = BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);
  return inner.network >> hostBits === outer.network >> hostBits;
}

/** The block written canonically: `203.0.113.0/24`, `2001:db8::/48`. */
export function formatBlock(block: AddressBlock): string {
  return block.canonical;
}
