import { timingSafeEqual, createHash } from 'node:crypto';
import { AdminError } from './admin.errors.js';

export const SECRET_KEY_HEADER = 'x-hugr-secret-key';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The management API's credential check (SPEC §7, last paragraph): `x-hugr-secret-key` must equal
 * SECRET_KEY, or CLUSTER_SECRET when SECRET_KEY is unset. Comparing digests keeps it constant-time.
 */
export function createAdminAuthenticator(secretKey: string | undefined, clusterSecret: string | undefined) {
  const expected = secretKey ?? clusterSecret;
  if (!expected) throw new Error('the management API needs SECRET_KEY or CLUSTER_SECRET');
  const expectedDigest = digest(expected);
  return (headers: Record<string, string | string[] | undefined>): void => {
    const raw = headers[SECRET_KEY_HEADER];
    const given = Array.isArray(raw) ? raw[0] : raw;
    if (!given || !timingSafeEqual(digest(given), expectedDigest)) {
      throw new AdminError(
        'UNAUTHENTICATED',
        given ? 'invalid credentials' : 'missing x-hugr-secret-key header',
      );
    }
  };
}
