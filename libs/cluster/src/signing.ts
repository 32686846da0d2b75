import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const NODE_HEADER = 'x-muninn-node';
export const TIMESTAMP_HEADER = 'x-muninn-timestamp';
export const SIGNATURE_HEADER = 'x-muninn-signature';
export const MAX_CLOCK_SKEW_MS = 30_000;

export interface SignedParts {
  method: string;
  /** Path and query string as sent on the wire. */
  path: string;
  timestamp: string;
  body: string | Uint8Array | undefined;
}

/** hex HMAC-SHA256 over `METHOD\nPATH\nTIMESTAMP\nSHA256(body)` (SPEC §9.1). */
export function computeSignature(secret: string, parts: SignedParts): string {
  const bodyHash = createHash('sha256')
    .update(parts.body ?? '')
    .digest('hex');
  return createHmac('sha256', secret)
    .update(`${parts.method.toUpperCase()}\n${parts.path}\n${parts.timestamp}\n${bodyHash}`)
    .digest('hex');
}

export function signedHeaders(
  secret: string,
  node: string,
  method: string,
  path: string,
  body: string | undefined,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(now);
  return {
    [NODE_HEADER]: node,
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: computeSignature(secret, { method, path, timestamp, body }),
  };
}

/** Constant-time check of a signature and of the timestamp window. */
export function verifySignature(
  secret: string | undefined,
  parts: Omit<SignedParts, 'timestamp'> & { timestamp: string | undefined; signature: string | undefined },
  now = Date.now(),
): boolean {
  if (!secret || !parts.timestamp || !parts.signature) return false;
  if (!/^\d{1,16}$/.test(parts.timestamp)) return false;
  if (Math.abs(now - Number(parts.timestamp)) > MAX_CLOCK_SKEW_MS) return false;
  if (!/^[0-9a-f]{64}$/i.test(parts.signature)) return false;
  const expected = Buffer.from(computeSignature(secret, { ...parts, timestamp: parts.timestamp }), 'hex');
  const given = Buffer.from(parts.signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Constant-time equality of a presented secret (an admin key) with the configured one. */
export function secretMatches(given: string | undefined, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
