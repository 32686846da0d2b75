import { computeSignature, MAX_CLOCK_SKEW_MS, signedHeaders, verifySignature } from './signing.js';

const secret = 'a-cluster-secret';

function parts(now: number, body = '{"schemaVersion":3}') {
  const h = signedHeaders(secret, 'w1', 'POST', '/cluster/v1/sync', body, now);
  return {
    method: 'POST',
    path: '/cluster/v1/sync',
    body,
    timestamp: h['x-muninn-timestamp'],
    signature: h['x-muninn-signature'],
  };
}

describe('request signing', () => {
  const now = 1_800_000_000_000;

  it('accepts its own signature', () => {
    expect(verifySignature(secret, parts(now), now)).toBe(true);
  });

  it('signs METHOD, PATH, TIMESTAMP and the body hash', () => {
    const p = parts(now);
    expect(verifySignature(secret, { ...p, method: 'DELETE' }, now)).toBe(false);
    expect(verifySignature(secret, { ...p, path: '/cluster/v1/nodes' }, now)).toBe(false);
    expect(verifySignature(secret, { ...p, body: '{"schemaVersion":4}' }, now)).toBe(false);
    expect(verifySignature(secret, { ...p, timestamp: String(now + 1) }, now)).toBe(false);
  });

  it('rejects another secret, a missing secret and malformed headers', () => {
    expect(verifySignature('other-secret', parts(now), now)).toBe(false);
    expect(verifySignature(undefined, parts(now), now)).toBe(false);
    expect(verifySignature(secret, { ...parts(now), signature: 'zz' }, now)).toBe(false);
    expect(verifySignature(secret, { ...parts(now), signature: undefined }, now)).toBe(false);
    expect(verifySignature(secret, { ...parts(now), timestamp: '12abc' }, now)).toBe(false);
  });

  it('rejects timestamps more than 30 s off in either direction', () => {
    expect(verifySignature(secret, parts(now - MAX_CLOCK_SKEW_MS - 1), now)).toBe(false);
    expect(verifySignature(secret, parts(now + MAX_CLOCK_SKEW_MS + 1), now)).toBe(false);
    expect(verifySignature(secret, parts(now - MAX_CLOCK_SKEW_MS + 1000), now)).toBe(true);
  });

  it('is a hex HMAC-SHA256 of 64 characters', () => {
    expect(computeSignature(secret, { method: 'get', path: '/x', timestamp: '1', body: undefined })).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });
});
