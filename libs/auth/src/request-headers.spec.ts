import { Secret, cookieValue, headerValue, lowerCaseHeader, lowerCaseHeaders } from './request-headers.js';

describe('Secret', () => {
  const secret = new Secret('s3cr3t-ключ');

  it('accepts exactly the configured value', () => {
    expect(secret.matches('s3cr3t-ключ')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a prefix', 's3cr3t-клю'],
    ['longer', 's3cr3t-ключ!'],
    ['one byte changed', 's3cr3t-ключа'.slice(0, -2) + 'ю'],
    ['different case', 'S3CR3T-КЛЮЧ'],
    ['padded with NUL', 's3cr3t-клю\u0000'],
  ])('refuses %s', (_what, given) => {
    expect(secret.matches(given)).toBe(false);
  });

  it('refuses a prefix padded to the length with NUL bytes', () => {
    expect(new Secret('abc\u0000').matches('abc')).toBe(false);
    expect(new Secret('abc\u0000').matches('abc\u0000')).toBe(true);
  });

  it('agrees with plain equality', () => {
    for (const given of ['x', 's3cr3t-ключ', 's3cr3t-ключ ', ''])
      expect(secret.matches(given)).toBe(given === 's3cr3t-ключ');
  });
});

describe('header lookups', () => {
  it('returns Node-style (lower-case) headers as they are, and copies others once', () => {
    const node = { 'x-hugr-secret-key': 'a', accept: '*/*' };
    expect(lowerCaseHeaders(node)).toBe(node);
    const mixed = { 'X-Hugr-Secret-Key': ['first', 'second'], 'x-hugr-secret-key': 'later', Accept: '' };
    const lower = lowerCaseHeaders(mixed);
    expect(lower).not.toBe(mixed);
    expect(lowerCaseHeader(lower, 'x-hugr-secret-key')).toBe('first');
    expect(lowerCaseHeader(lower, 'accept')).toBeUndefined(); // empty counts as absent
  });

  it('headerValue is case-insensitive on both sides', () => {
    expect(headerValue({ 'X-Role': 'r1' }, 'x-role')).toBe('r1');
    expect(headerValue({ 'x-role': 'r1' }, 'X-ROLE')).toBe('r1');
    expect(headerValue({ 'x-role': 'r1' }, 'x-other')).toBeUndefined();
  });

  it('reads one cookie', () => {
    expect(cookieValue({ Cookie: 'a=1; token="x%20y"; b=2' }, 'token')).toBe('x y');
    expect(cookieValue({ cookie: 'a=1' }, 'token')).toBeUndefined();
  });
});
