import { StorageCipher, credentialAad } from './storage-cipher.js';
import { type StorageDefinitionLike, StorageRegistry } from './storage-registry.js';

const MATERIAL = 'registry-test-key-material';
const cipher = new StorageCipher(MATERIAL);

function def(name: string, scope: string, creds?: [string, string]): StorageDefinitionLike {
  return {
    name,
    type: 's3',
    scope,
    endpoint: 'minio:9000',
    region: '',
    useSsl: false,
    urlStyle: 'path',
    keyEncrypted: creds ? cipher.encrypt(creds[0], credentialAad(name, 'key')) : '',
    secretEncrypted: creds ? cipher.encrypt(creds[1], credentialAad(name, 'secret')) : '',
  };
}

describe('StorageRegistry', () => {
  const registry = StorageRegistry.fromDefinitions(
    [
      def('all', 's3://lake', ['AK1', 'SECRET-ONE']),
      def('raw', 's3://lake/raw/', ['AK2', 'SECRET-TWO']),
      def('public', 's3://open-data'),
    ],
    new StorageCipher(MATERIAL),
  );

  it('resolves a URL to the longest matching scope', () => {
    expect(registry.resolve('s3://lake/raw/x.csv').storage.name).toBe('raw');
    expect(registry.resolve('s3://lake/clean/x.csv')).toMatchObject({ bucket: 'lake', key: 'clean/x.csv' });
    expect(registry.resolve('s3://lake/clean/x.csv').storage.name).toBe('all');
    expect(() => registry.resolve('s3://lake2/x.csv')).toThrow('no storage registered for s3://lake2/x.csv');
    expect(() => registry.resolve('s3://open-data-2/x.csv')).toThrow(/no storage registered/);
  });

  it('decrypts credentials, defaults the region, and keeps them out of every serialisation', () => {
    const raw = registry.get('raw')!;
    expect(raw.credentials).toEqual({ accessKeyId: 'AK2', secretAccessKey: 'SECRET-TWO' });
    expect(raw.region).toBe('us-east-1');
    expect(raw.endpointUrl).toBe('http://minio:9000');
    expect(registry.get('public')!.credentials).toBeUndefined();
    const shown =
      JSON.stringify(registry.storages) + JSON.stringify(registry.summary()) + Object.keys(raw).join();
    expect(shown).not.toMatch(/SECRET-|AK1|AK2/);
    expect(registry.summary().map((s) => s.name)).toEqual(['all', 'public', 'raw']);
  });

  it('keeps a storage whose credentials do not decrypt, reported and unusable', () => {
    const noKey = StorageRegistry.fromDefinitions([def('all', 's3://lake', ['AK1', 'S1'])], undefined);
    expect(noKey.summary()[0]).toMatchObject({ ok: false, error: expect.stringMatching(/no storage key/) });
    expect(() => noKey.resolve('s3://lake/x')).toThrow(/^storage all: credentials cannot be decrypted/);
    const otherKey = StorageRegistry.fromDefinitions(
      [def('all', 's3://lake', ['AK1', 'S1'])],
      new StorageCipher('x'.repeat(20)),
    );
    expect(otherKey.summary()[0].error).toMatch(/another key than this node's/);
  });

  it('gives equal connections equal ids and changed credentials a new one', () => {
    const again = StorageRegistry.fromDefinitions(
      [def('raw', 's3://lake/raw/', ['AK2', 'SECRET-TWO'])],
      cipher,
    );
    const rotated = StorageRegistry.fromDefinitions(
      [def('raw', 's3://lake/raw/', ['AK2', 'SECRET-NEW'])],
      cipher,
    );
    expect(again.get('raw')!.connectionId).toBe(registry.get('raw')!.connectionId);
    expect(rotated.get('raw')!.connectionId).not.toBe(registry.get('raw')!.connectionId);
  });
});
