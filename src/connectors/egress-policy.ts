// Which hosts and addresses the egress client may connect to. Kept apart from the HTTP mechanics so
// the rules can be read (and reviewed) in one place: the address ranges below are where a
// server-side request forgery would hurt (cloud metadata, the host itself, the private network).

import { isIP } from 'node:net';

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
type AddressBytes = Uint8Array;

interface Cidr {
  bytes: AddressBytes;
  prefix: number;
}

interface Range extends Cidr {
  reason: string;
}

const ipv4Ranges: Range[] = [
  range('169.254.169.254/32', 'cloud metadata address'),
  range('0.0.0.0/8', '"this network" address'),
  range('10.0.0.0/8', 'private address'),
  range('100.64.0.0/10', 'carrier-grade NAT address'),
  range('127.0.0.0/8', 'loopback address'),
  range('169.254.0.0/16', 'link-local address'),
  range('172.16.0.0/12', 'private address'),
  range('192.0.0.0/24', 'IETF protocol assignment address'),
  range('192.0.2.0/24', 'documentation address'),
  range('192.168.0.0/16', 'private address'),
  range('198.18.0.0/15', 'benchmarking address'),
  range('198.51.100.0/24', 'documentation address'),
  range('203.0.113.0/24', 'documentation address'),
  range('224.0.0.0/4', 'multicast address'),
  range('240.0.0.0/4', 'reserved or broadcast address'),
];

const ipv6Ranges: Range[] = [
  range('::/128', 'unspecified address'),
  range('::1/128', 'loopback address'),
  range('100::/64', 'discard-only address'),
  // Teredo hides its client's IPv4 address (XOR-ed), so it cannot be checked; nothing legitimate needs it.
  range('2001::/32', 'Teredo tunnel address'),
  range('2001:db8::/32', 'documentation address'),
  range('64:ff9b:1::/48', 'local-use NAT64 address'),
  range('fd00:ec2::254/128', 'cloud metadata address'),
  range('fc00::/7', 'unique local (private) address'),
  range('fe80::/10', 'link-local address'),
  range('fec0::/10', 'site-local address'),
  range('ff00::/8', 'multicast address'),
];

/** IPv6 prefixes that carry an IPv4 address in their low 32 bits (or bytes 2..5 for 6to4). */
const embeddingPrefixes: { cidr: Cidr; offset: number; label: string }[] = [
  { cidr: cidr('::ffff:0:0/96'), offset: 12, label: 'IPv4-mapped' },
  { cidr: cidr('::ffff:0:0:0/96'), offset: 12, label: 'IPv4-translated' },
  { cidr: cidr('::/96'), offset: 12, label: 'IPv4-compatible' },
  { cidr: cidr('64:ff9b::/96'), offset: 12, label: 'NAT64' },
  { cidr: cidr('2002::/16'), offset: 2, label: '6to4' },
];

/** Names that reach the host itself or a cloud metadata service whatever DNS says. */
function refusedNameReason(hostname: string): string | undefined {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return 'localhost name';
  const metadataNames = ['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal'];
  if (metadataNames.includes(hostname)) return 'cloud metadata hostname';
  if (hostname.endsWith('.internal')) return 'private-use .internal name';
  return undefined;
}

export interface EgressPolicyOptions {
  allowPrivate?: boolean;
  allowHosts?: string[];
}

export interface EgressPolicy {
  /** True when a connector allow-listed this host (by name or host:port): its addresses are not checked. */
  isHostAllowed(hostname: string, port: number): boolean;
  /** Why this host name is refused before it is even resolved, or undefined. */
  refusedName(hostname: string): string | undefined;
  /** Why this address may not be connected to, or undefined when it may. */
  refusedAddress(address: string): string | undefined;
  /**
   * Why this address stays refused even for an allow-listed host name: a cloud metadata address
   * that no allow-list address or block names. Undefined otherwise.
   */
  refusedMetadata(address: string): string | undefined;
}

/**
 * Builds the allow/refuse rules. `allowHosts` entries are a host (any port), `host:port`
 * (`[v6]:port` for IPv6), an IP address or a CIDR block; `allowPrivate` switches the guard off
 * (meant for local development only).
 */
export function createEgressPolicy(options: EgressPolicyOptions = {}): EgressPolicy {
  const names = new Set<string>();
  const hostPorts = new Set<string>();
  const cidrs: Cidr[] = [];
  for (const entry of options.allowHosts ?? []) addAllowEntry(entry.trim(), names, hostPorts, cidrs);
  const allowPrivate = options.allowPrivate === true;

  return {
    isHostAllowed(hostname, port) {
      const host = normaliseHostname(hostname);
      return allowPrivate || names.has(host) || hostPorts.has(`${host}:${port}`);
    },
    refusedName(hostname) {
      return allowPrivate ? undefined : refusedNameReason(normaliseHostname(hostname));
    },
    refusedAddress(address) {
      if (allowPrivate) return undefined;
      const bytes = parseIp(address);
      if (!bytes) return 'not an IP address';
      if (cidrs.some((c) => inCidr(bytes, c) || inCidr(unmapped(bytes), c))) return undefined;
      return classify(bytes);
    },
    refusedMetadata(address) {
      if (allowPrivate) return undefined;
      const bytes = parseIp(address);
      if (!bytes) return 'not an IP address';
      if (cidrs.some((c) => inCidr(bytes, c) || inCidr(unmapped(bytes), c))) return undefined;
      const reason = classify(bytes);
      return reason?.endsWith('cloud metadata address') ? reason : undefined;
    },
  };
}

function addAllowEntry(entry: string, names: Set<string>, hostPorts: Set<string>, cidrs: Cidr[]): void {
  if (entry === '') return;
  if (entry.includes('/')) {
    cidrs.push(cidr(entry));
    return;
  }
  if (isIP(entry)) {
    const bytes = parseIp(entry);
    if (bytes) cidrs.push({ bytes, prefix: bytes.length * 8 });
    return;
  }
  // host:port, or [v6]:port; anything else is a bare host name.
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    hostPorts.add(`${normaliseHostname(match[1])}:${Number(match[2])}`);
  } else {
    names.add(normaliseHostname(entry));
  }
}

/**
 * Puts a host name into the form URL parsing gives it (lower case, punycode, canonical IP text,
 * no IPv6 brackets, no trailing dot) so allow-list entries and request hosts compare equal.
 */
export function normaliseHostname(hostname: string): string {
  let host: string;
  try {
    host = new URL(`http://${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}/`).hostname;
  } catch {
    host = hostname.toLowerCase();
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** The reason an address is refused, looking through IPv6 forms that embed an IPv4 address. */
function classify(bytes: AddressBytes): string | undefined {
  if (bytes.length === 4) return ipv4Ranges.find((r) => inCidr(bytes, r))?.reason;
  for (const embedding of embeddingPrefixes) {
    if (!inCidr(bytes, embedding.cidr)) continue;
    // :: and ::1 sit inside ::/96 but are IPv6 addresses of their own, classified below.
    if (embedding.label === 'IPv4-compatible' && bytes.subarray(12, 15).every((b) => b === 0) && (bytes[15] ?? 0) <= 1) break;
    const reason = classify(bytes.slice(embedding.offset, embedding.offset + 4));
    if (reason) return `${embedding.label} ${reason}`;
  }
  return ipv6Ranges.find((r) => inCidr(bytes, r))?.reason;
}

/** ::ffff:a.b.c.d as its IPv4 bytes, so an IPv4 allow-list block also matches the mapped form. */
function unmapped(bytes: AddressBytes): AddressBytes {
  const mapped = embeddingPrefixes[0];
  return bytes.length === 16 && mapped && inCidr(bytes, mapped.cidr) ? bytes.slice(12) : bytes;
}

function inCidr(bytes: AddressBytes, block: Cidr): boolean {
  if (bytes.length !== block.bytes.length) return false;
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((block.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

function range(text: string, reason: string): Range {
  return { ...cidr(text), reason };
}

function cidr(text: string): Cidr {
  const [address = '', prefixText = ''] = text.split('/');
  const bytes = parseIp(address);
  const prefix = Number(prefixText);
  if (!bytes || !/^\d+$/.test(prefixText) || prefix > bytes.length * 8) {
    throw new TypeError(`not a CIDR block: ${text}`);
  }
  return { bytes, prefix };
}

/** Parses an IPv4 or IPv6 address (zone id ignored) into bytes; undefined when it is not one. */
export function parseIp(text: string): AddressBytes | undefined {
  const address = text.split('%')[0] ?? '';
  const family = isIP(address);
  if (family === 4) return Uint8Array.from(address.split('.').map(Number));
  if (family !== 6) return undefined;
  let groups = address.toLowerCase();
  // A trailing dotted quad (::ffff:10.0.0.1) becomes two hextets.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(groups);
  if (dotted?.[1] !== undefined && dotted[2] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[2].split('.').map(Number);
    groups = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = groups.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - headParts.length - tailParts.length).fill('0');
  const hextets = [...headParts, ...zeros, ...tailParts].map((h) => parseInt(h, 16));
  const bytes = new Uint8Array(16);
  hextets.forEach((h, i) => {
    bytes[2 * i] = h >> 8;
    bytes[2 * i + 1] = h & 0xff;
  });
  return bytes;
}
