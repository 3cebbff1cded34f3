/**
 * Caller-IP allowlists on node:net's BlockList, which matches IPv4 and IPv6 subnets natively.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Answers whether a caller IP is inside an allowlist. */
export type IpAllowlist = (ip: string | undefined) => boolean;

export class InvalidCidrError extends Error {
  override readonly name = 'InvalidCidrError';
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `::ffff:1.2.3.4` (a v4 client seen through a dual-stack socket) is matched as `1.2.3.4`. */
function canonicalIp(ip: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const trimmed = ip.trim();
  const mapped = MAPPED_V4.exec(trimmed);
  const candidate = mapped?.[1] ?? trimmed;
  if (isIPv4(candidate)) return { address: candidate, family: 'ipv4' };
  if (isIPv6(candidate)) return { address: candidate, family: 'ipv6' };
  return undefined;
}

/** Parses `a.b.c.d/n`, `x:y::/n` or a bare address (a /32 or /128); throws InvalidCidrError otherwise. */
export function parseCidr(cidr: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText, ...rest] = cidr.trim().split('/');
  const parsed = canonicalIp(address);
  if (!parsed || rest.length > 0) throw new InvalidCidrError(`Invalid CIDR "${cidr}"`);
  const max = parsed.family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefixText === '' || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new InvalidCidrError(`Invalid prefix length in CIDR "${cidr}"`);
  }
  return { network: parsed.address, prefix, family: parsed.family };
}

/**
 * Builds an allowlist from CIDRs (validated up front, so a bad configuration fails at cold start rather
 * than per request). A missing or unparsable caller IP is never allowed.
 */
export function createIpAllowlist(cidrs: readonly string[]): IpAllowlist {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const { network, prefix, family } = parseCidr(cidr);
    list.addSubnet(network, prefix, family);
  }
  return (ip) => {
    if (ip === undefined) return false;
    const parsed = canonicalIp(ip);
    return parsed !== undefined && list.check(parsed.address, parsed.family);
  };
}
