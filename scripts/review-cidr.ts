/**
 * Address blocks as the plan review compares them: parsed to numbers, so that
 * `203.0.113.0/24`, `203.0.113.7/24` (host bits set, as Neutron accepts and normalizes) and
 * `2001:db8::/48` written any valid way compare by the addresses they cover, not by text.
 */

/** A parsed IPv4 or IPv6 block: the first address (host bits cleared) and the prefix length. */
export interface AddressBlock {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function parseIpv4Address(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIpv6Address(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        // An embedded IPv4 address (::ffff:192.0.2.1) is the last two groups.
        const v4 = parseIpv4Address(piece);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/**
 * Parses `address/prefix` (a bare address is a single-address block). Returns undefined
 * for anything that is not an IPv4 or IPv6 block.
 */
export function parseBlock(cidr: string): AddressBlock | undefined {
  const [address, prefixText, ...rest] = cidr.trim().split('/');
  if (rest.length > 0) return undefined;
  const family: 4 | 6 = address.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const value = family === 4 ? parseIpv4Address(address) : parseIpv6Address(address);
  if (value === undefined) return undefined;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  return { family, network: (value >> hostBits) << hostBits, prefix };
}

/** Whether every address of `inner` is in `outer`. */
export function covers(outer: AddressBlock, inner: AddressBlock): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const hostBits = BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);
  return inner.network >> hostBits === outer.network >> hostBits;
}

/** The block written canonically: `203.0.113.0/24`, `2001:db8::/48`. */
export function formatBlock(block: AddressBlock): string {
  if (block.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((shift) => String((block.network >> shift) & 255n));
    return `${octets.join('.')}/${block.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((block.network >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run of two or more zero groups becomes `::`.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  const text =
    bestStart < 0
      ? hex.join(':')
      : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
  return `${text}/${block.prefix}`;
}
