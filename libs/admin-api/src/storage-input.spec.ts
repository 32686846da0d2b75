import { checkStorageInput } from './storage-input.js';
import type { StorageInput } from './inputs/storage.input.js';
import { UrlStyleEnum } from './models/storage.model.js';

const base: StorageInput = { name: 'lake', scope: 's3://lake/data/', key: 'AK', secret: 'TOP-SECRET-VALUE' };
const check = (patch: Partial<StorageInput>) => checkStorageInput({ ...base, ...patch });
const code = (patch: Partial<StorageInput>) => {
  try {
    check(patch);
  } catch (err) {
    const e = err as { extensions: { code: string }; message: string };
    expect(e.message).not.toContain('TOP-SECRET-VALUE');
    return `${e.extensions.code}: ${e.message}`;
  }
  return 'ok';
};

describe('checkStorageInput', () => {
  it('applies Hugr-like defaults: s3, us-east-1, TLS, vhost on AWS and path with an endpoint', () => {
    expect(check({})).toMatchObject({
      type: 's3',
      region: 'us-east-1',
      useSsl: true,
      urlStyle: 'vhost',
      endpoint: '',
      matchScope: 's3://lake/data/',
      credentials: { kind: 'set', key: 'AK', secret: 'TOP-SECRET-VALUE' },
    });
    expect(check({ endpoint: 'minio:9000' })).toMatchObject({
      endpoint: 'minio:9000',
      urlStyle: 'path',
      useSsl: true,
    });
    expect(check({ endpoint: 'minio:9000', urlStyle: UrlStyleEnum.VIRTUAL_HOST }).urlStyle).toBe('vhost');
  });

  it('takes the endpoint as host:port or as a URL whose scheme sets TLS', () => {
    expect(check({ endpoint: 'http://127.0.0.1:9000' })).toMatchObject({
      endpoint: '127.0.0.1:9000',
      useSsl: false,
    });
    expect(check({ endpoint: 'https://s3.example.com/' })).toMatchObject({
      endpoint: 's3.example.com',
      useSsl: true,
    });
    expect(check({ endpoint: '[::1]:9000', useSsl: false })).toMatchObject({
      endpoint: '[::1]:9000',
      useSsl: false,
    });
    expect(code({ endpoint: 'http://h:9000/bucket' })).toMatch(/^BAD_USER_INPUT: .*without a path/);
    expect(code({ endpoint: 'http://user:pw@h:9000' })).toMatch(/must not carry credentials/);
    expect(code({ endpoint: 'https://h', useSsl: false })).toMatch(/contradicts/);
    expect(code({ endpoint: 'not a host' })).toMatch(/host\[:port\]/);
    expect(code({ endpoint: 'h:99999' })).toMatch(/host\[:port\]/);
  });

  it('validates name, type, scope and region', () => {
    expect(code({ name: '' })).toMatch(/storage name must not be empty/);
    expect(code({ name: 'a b' })).toMatch(/^BAD_USER_INPUT: storage name/);
    expect(code({ type: 'S3' })).toBe('ok');
    expect(code({ type: 'gcs' })).toMatch(/not supported/);
    expect(code({ scope: 'lake/data' })).toMatch(/must start with s3:\/\//);
    expect(code({ scope: 's3://lake/*.csv' })).toMatch(/must not contain/);
    expect(code({ region: 'EU West' })).toMatch(/region/);
    expect(code({ parameters: [1] })).toMatch(/parameters must be a JSON object/);
  });

  it('treats credentials as a pair: both set, both empty (anonymous) or both omitted (kept)', () => {
    expect(check({ key: undefined, secret: undefined }).credentials).toEqual({ kind: 'keep' });
    expect(check({ key: null as unknown as string, secret: null as unknown as string }).credentials).toEqual({
      kind: 'keep',
    });
    expect(check({ key: '', secret: '' }).credentials).toEqual({ kind: 'none' });
    expect(code({ key: undefined })).toMatch(/key and secret go together/);
    expect(code({ secret: '' })).toMatch(/key and secret go together/);
    expect(code({ key: 'has space' })).toMatch(/without spaces/);
  });
});
