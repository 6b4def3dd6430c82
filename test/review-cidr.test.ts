import { covers, formatBlock, parseBlock } from '../scripts/review-cidr';

const block = (cidr: string) => {
  const parsed = parseBlock(cidr);
  if (!parsed) throw new Error(`not parsed: ${cidr}`);
  return parsed;
};

describe('address blocks as the plan review compares them', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['203.0.113.77/24', '203.0.113.0/24'], // host bits set: Neutron normalizes, so do we
    ['198.51.100.7', '198.51.100.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8:0:0::/48', '2001:db8::/48'],
    ['2001:db8:0:0:0:0:0:1/128', '2001:db8::1/128'],
    ['::ffff:192.0.2.1/128', '::ffff:c000:201/128'],
    ['::/0', '::/0'],
    ['fe80::1:0:0:1/64', 'fe80::/64'],
  ])('reads %s as %s', (text, canonical) => {
    expect(formatBlock(block(text))).toBe(canonical);
  });

  it.each(['203.0.113.0/33', '256.0.0.0/8', '203.0.113/24', '2001:db8:::1/64', '1:2:3:4:5:6:7:8:9/64', 'x/8', ''])(
    'refuses %p',
    (text) => {
      expect(parseBlock(text)).toBeUndefined();
    },
  );

  it('compares by the addresses covered, not by the text', () => {
    expect(covers(block('203.0.113.0/24'), block('203.0.113.7/32'))).toBe(true);
    expect(covers(block('203.0.113.7/32'), block('203.0.113.0/24'))).toBe(false);
    expect(covers(block('203.0.113.0/24'), block('203.0.113.200/24'))).toBe(true);
    expect(covers(block('203.0.112.0/23'), block('203.0.113.0/24'))).toBe(true);
    expect(covers(block('203.0.113.0/24'), block('203.0.112.0/23'))).toBe(false);
    expect(covers(block('203.0.113.0/24'), block('203.0.114.0/24'))).toBe(false);
    expect(covers(block('0.0.0.0/0'), block('198.51.100.0/24'))).toBe(true);
    expect(covers(block('2001:db8::/32'), block('2001:db8:1234::/48'))).toBe(true);
    expect(covers(block('2001:db8::/48'), block('2001:db9::/48'))).toBe(false);
    // Families never cover each other, not even the all-zero blocks.
    expect(covers(block('::/0'), block('0.0.0.0/0'))).toBe(false);
    expect(covers(block('0.0.0.0/0'), block('::/0'))).toBe(false);
  });
});
