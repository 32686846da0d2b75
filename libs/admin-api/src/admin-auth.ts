import { secretMatches } from '@app/cluster';
import { AdminError } from './admin.errors.js';

export const SECRET_KEY_HEADER = 'x-hugr-secret-key';

/**
 * The management API's credential check (SPEC §7, last paragraph): `x-hugr-secret-key` must equal
 * SECRET_KEY, or CLUSTER_SECRET when SECRET_KEY is unset, compared in constant time.
 */
export function createAdminAuthenticator(secretKey: string | undefined, clusterSecret: string | undefined) {
  const expected = secretKey ?? clusterSecret;
  if (!expected) throw new Error('the management API needs SECRET_KEY or CLUSTER_SECRET');
  return (headers: Record<string, string | string[] | undefined>): void => {
    const raw = headers[SECRET_KEY_HEADER];
    const given = Array.isArray(raw) ? raw[0] : raw;
    if (!secretMatches(given, expected)) {
      throw new AdminError(
        'UNAUTHENTICATED',
        given ? 'invalid credentials' : 'missing x-hugr-secret-key header',
      );
    }
  };
}
