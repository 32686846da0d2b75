import { CredentialDecryptError, StorageCipher, credentialAad } from './storage-cipher.js';

describe('StorageCipher', () => {
  const cipher = new StorageCipher('a-cluster-secret-for-tests');
  const aad = credentialAad('lake', 'secret');

  it('round-trips through a v1 envelope of base64url parts, with a fresh IV each time', () => {
    const a = cipher.encrypt('s3cr3t/with+chars=', aad);
    const b = cipher.encrypt('s3cr3t/with+chars=', aad);
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cr3t');
    expect(cipher.decrypt(a, aad)).toBe('s3cr3t/with+chars=');
    expect(new StorageCipher('a-cluster-secret-for-tests').decrypt(b, aad)).toBe('s3cr3t/with+chars=');
  });

  it('refuses another key, another row or field, a tampered value and unknown envelopes', () => {
    const env = cipher.encrypt('value', aad);
    expect(() => new StorageCipher('another-key-material').decrypt(env, aad)).toThrow(
      /another key than this node's/,
    );
    expect(() => cipher.decrypt(env, credentialAad('other', 'secret'))).toThrow(CredentialDecryptError);
    expect(() => cipher.decrypt(env, credentialAad('lake', 'key'))).toThrow(CredentialDecryptError);
    const [v, iv, tag, data] = env.split(':');
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] ^= 1;
    expect(() => cipher.decrypt([v, iv, tag, flipped.toString('base64url')].join(':'), aad)).toThrow(
      CredentialDecryptError,
    );
    expect(() => cipher.decrypt(`v2:${iv}:${tag}:${data}`, aad)).toThrow(/unknown envelope/);
    expect(() => cipher.decrypt('plain-text', aad)).toThrow(/unknown envelope/);
  });

  it('never shows its key when inspected or serialised', () => {
    expect(JSON.stringify(cipher)).toBe('{}');
    expect(Object.keys(cipher)).toEqual([]);
  });
});
