import { createHash, randomBytes } from 'node:crypto';

/** Prefix of managed API keys (recognisable in secret scanners and support tickets). */
export const API_KEY_PREFIX = 'mk_';

/** The stored form of a managed API key: SHA-256 of the key, hex. The key itself is never stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new managed API key: shown once; only `hash` and the short display `prefix` are stored. */
export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 10) };
}
