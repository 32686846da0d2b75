import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Fixed salt and info: the key depends only on the material, so every node derives the same one.
const HKDF_SALT = 'muninn/storage-credentials';
const HKDF_INFO = 'aes-256-gcm/v1';

/** A stored value that does not decrypt: another key, a tampered row or an unknown envelope. */
export class CredentialDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialDecryptError';
  }
}

/**
 * AES-256-GCM for object-storage credentials at rest. The key is HKDF-SHA256 of the configured
 * material (`STORAGE_ENCRYPTION_KEY`, else `CLUSTER_SECRET`). Envelope: `v1:<iv>:<tag>:<ciphertext>`,
 * each part base64url. The associated data binds a value to its row and field (`storage:<name>:key`),
 * so a ciphertext copied to another storage or field does not decrypt.
 */
export class StorageCipher {
  readonly #key: Buffer;

  constructor(material: string) {
    if (!material) throw new Error('storage encryption key material is empty');
    this.#key = Buffer.from(hkdfSync('sha256', material, HKDF_SALT, HKDF_INFO, 32));
  }

  encrypt(plain: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join(':');
  }

  decrypt(envelope: string, aad: string): string {
    const parts = envelope.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION)
      throw new CredentialDecryptError('unknown envelope (expected v1:<iv>:<tag>:<ciphertext>)');
    const [iv, tag, data] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
      throw new CredentialDecryptError('malformed envelope');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      // GCM says only "unable to authenticate": the usual cause is a different key on this node.
      throw new CredentialDecryptError(
        "encrypted with another key than this node's (STORAGE_ENCRYPTION_KEY or CLUSTER_SECRET differs from management's?), or altered",
      );
    }
  }
}

/** Associated data of a credential field of a storage row. */
export function credentialAad(storage: string, field: 'key' | 'secret'): string {
  return `storage:${storage}:${field}`;
}
