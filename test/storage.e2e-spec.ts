import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreDb, readDefinitions } from '@app/core-db';
import {
  ObjectFetcher,
  type ObjectFetcherOptions,
  StorageCipher,
  StorageError,
  StorageRegistry,
  type StorageDefinitionLike,
  credentialAad,
} from '@app/storage';
import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase } from './support/postgres.js';
import { TestS3Server } from './support/s3-server.js';

// Object storage against a real S3-protocol server (s3rver on loopback): the fetcher and its
// cache in this process, then management + two work nodes on real PostgreSQL.

const CLUSTER_SECRET = 'e2e-storage-cluster-secret-51c2';
const ADMIN_KEY = 'e2e-storage-admin-9b70';
const KEY_1 = 'AKIAMUNINNE2E0001';
const SECRET_1 = 'storage-secret-one-Zq8v1Lx0';
const KEY_2 = 'AKIAMUNINNE2E0002';
const SECRET_2 = 'storage-secret-two-Pw3k7Yd5';
const KB = 1024;

let s3: TestS3Server;
const dirs: string[] = [];

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'muninn-objects-e2e-'));
  dirs.push(dir);
  return dir;
}

/** A storage row as management writes it: credentials encrypted with `material`. */
function definition(
  name: string,
  scope: string,
  creds: { key: string; secret: string } | undefined,
  material = CLUSTER_SECRET,
  endpoint = s3.endpoint,
): StorageDefinitionLike {
  const cipher = new StorageCipher(material);
  return {
    name,
    type: 's3',
    scope,
    endpoint,
    region: 'us-east-1',
    useSsl: false,
    urlStyle: 'path',
    keyEncrypted: creds ? cipher.encrypt(creds.key, credentialAad(name, 'key')) : '',
    secretEncrypted: creds ? cipher.encrypt(creds.secret, credentialAad(name, 'secret')) : '',
  };
}

function fetcher(defs: StorageDefinitionLike[], options: Partial<ObjectFetcherOptions> = {}) {
  const downloads: string[] = [];
  const f = new ObjectFetcher(
    {
      cacheDir: cacheDir(),
      maxBytes: 1024 * KB,
      revalidateMs: 0,
      logger: { debug: (m) => downloads.push(m), warn: () => undefined },
      ...options,
    },
    StorageRegistry.fromDefinitions(defs, new StorageCipher(CLUSTER_SECRET)),
  );
  return { f, downloads };
}

async function failure(p: Promise<unknown>): Promise<StorageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

beforeAll(async () => {
  s3 = await new TestS3Server(['lake', 'other']).start();
  s3.addKey(KEY_1, SECRET_1);
  await s3.put('lake', 'data/a.csv', 'id,name\n1,alpha\n');
  await s3.put('lake', 'data/b.csv', 'id,name\n2,beta\n');
  await s3.put('lake', 'data/notes.txt', 'not a csv');
  await s3.put('lake', 'data/sub/c.csv', 'id,name\n3,gamma\n');
  for (const [key, body] of [
    ['glob/2024/b.parquet', 'b'],
    ['glob/2024/a.parquet', 'a'],
    ['glob/2024/readme.md', 'not parquet'],
    ['glob/2024/deeper/c.parquet', 'c'],
    ['glob/2025/d.parquet', 'd'],
  ])
    await s3.put('lake', key, body);
});

afterAll(async () => {
  await s3?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ObjectFetcher against s3rver', () => {
  const good = () => definition('lake', 's3://lake', { key: KEY_1, secret: SECRET_1 });

  it('downloads an object once and serves the cached copy while its ETag is unchanged', async () => {
    const { f, downloads } = fetcher([good()]);
    const p1 = await f.localPath('s3://lake/data/a.csv');
    expect(readFileSync(p1, 'utf8')).toBe('id,name\n1,alpha\n');
    expect(p1.endsWith('-a.csv')).toBe(true);
    const p2 = await f.localPath('s3://lake/data/a.csv');
    expect(p2).toBe(p1);
    expect(downloads).toHaveLength(1);
    await f.close();
  });

  it('downloads again when the ETag changed', async () => {
    await s3.put('lake', 'data/changing.csv', 'v,1\n');
    const { f, downloads } = fetcher([good()]);
    const before = await f.localPath('s3://lake/data/changing.csv');
    await s3.put('lake', 'data/changing.csv', 'v,2 (new content)\n');
    const after = await f.localPath('s3://lake/data/changing.csv');
    expect(after).not.toBe(before);
    expect(readFileSync(after, 'utf8')).toBe('v,2 (new content)\n');
    expect(downloads).toHaveLength(2);
    await f.close();
  });

  it('within STORAGE_CACHE_REVALIDATE uses the cached copy without asking', async () => {
    await s3.put('lake', 'data/slow.csv', 'old\n');
    const { f } = fetcher([good()], { revalidateMs: 60_000 });
    const before = await f.localPath('s3://lake/data/slow.csv');
    await s3.put('lake', 'data/slow.csv', 'new\n');
    expect(readFileSync(await f.localPath('s3://lake/data/slow.csv'), 'utf8')).toBe('old\n');
    expect(await f.localPath('s3://lake/data/slow.csv')).toBe(before);
    await f.close();
  });

  it('shares one download among concurrent requests for the same object', async () => {
    await s3.put('lake', 'data/big.bin', Buffer.alloc(256 * KB, 7));
    const { f, downloads } = fetcher([good()]);
    const paths = await Promise.all(Array.from({ length: 8 }, () => f.localPath('s3://lake/data/big.bin')));
    expect(new Set(paths).size).toBe(1);
    expect(downloads).toHaveLength(1);
    expect(readFileSync(paths[0]).length).toBe(256 * KB);
    await f.close();
  });

  it('keeps the cache within its bound, deleting the least recently used files', async () => {
    for (const n of [1, 2, 3, 4]) await s3.put('lake', `lru/f${n}.bin`, Buffer.alloc(KB, n));
    const { f } = fetcher([good()], { maxBytes: 3 * KB });
    const p1 = await f.localPath('s3://lake/lru/f1.bin');
    const p2 = await f.localPath('s3://lake/lru/f2.bin');
    await f.localPath('s3://lake/lru/f3.bin');
    await f.localPath('s3://lake/lru/f1.bin'); // f1 used again: f2 is now the oldest
    const p4 = await f.localPath('s3://lake/lru/f4.bin');
    expect(f.cacheStats.bytes).toBeLessThanOrEqual(3 * KB);
    expect(f.cacheStats.files).toBe(3);
    expect(existsSync(p2)).toBe(false);
    expect(existsSync(p1)).toBe(true);
    expect(existsSync(p4)).toBe(true);
    // An object larger than the whole cache is refused, not half-cached.
    await s3.put('lake', 'lru/huge.bin', Buffer.alloc(4 * KB));
    const err = await failure(f.localPath('s3://lake/lru/huge.bin'));
    expect(err.code).toBe('TOO_LARGE');
    expect(err.message).toMatch(/STORAGE_CACHE_MAX_SIZE/);
    await f.close();
  });

  it('reuses the files of an earlier run of the same cache directory', async () => {
    const dir = cacheDir();
    const first = fetcher([good()], { cacheDir: dir });
    const path = await first.f.localPath('s3://lake/data/b.csv');
    await first.f.close();
    const second = fetcher([good()], { cacheDir: dir });
    expect(await second.f.localPath('s3://lake/data/b.csv')).toBe(path);
    expect(second.downloads).toHaveLength(0);
    await second.f.close();
  });

  it('lists a glob and answers the local paths of every match, in key order', async () => {
    const { f } = fetcher([good()]);
    const paths = await f.localPaths('s3://lake/glob/2024/*.parquet');
    expect(paths.map((p) => readFileSync(p, 'utf8'))).toEqual(['a', 'b']);
    const deep = await f.localPaths('s3://lake/glob/**/*.parquet');
    expect(deep.map((p) => readFileSync(p, 'utf8'))).toEqual(['a', 'b', 'c', 'd']);
    const years = await f.localPaths('s3://lake/glob/202[45]/?.parquet');
    expect(years.map((p) => readFileSync(p, 'utf8'))).toEqual(['a', 'b', 'd']);
    // The plain function type a host hands the engine.
    const resolve = f.resolverFor();
    expect(await resolve('s3://lake/glob/2024/a.parquet')).toEqual([paths[0]]);
    const none = await failure(f.localPaths('s3://lake/glob/*.csv'));
    expect(none.code).toBe('NOT_FOUND');
    await f.close();
  });

  it('picks the storage with the longest matching scope', async () => {
    const wide = definition('lake-wide', 's3://lake', { key: 'AKIAUNKNOWN', secret: 'nope-nope-nope' });
    const narrow = definition('lake-data', 's3://lake/data/', { key: KEY_1, secret: SECRET_1 });
    const { f } = fetcher([wide, narrow]);
    expect(f.registry.resolve('s3://lake/data/a.csv').storage.name).toBe('lake-data');
    expect(readFileSync(await f.localPath('s3://lake/data/a.csv'), 'utf8')).toContain('alpha');
    const denied = await failure(f.localPath('s3://lake/lru/f1.bin'));
    expect(denied.message).toMatch(/^storage lake-wide: access denied/);
    await f.close();
  });

  it('fails clearly, and never with a credential in the message', async () => {
    const wrong = definition('wrong', 's3://lake', { key: 'AKIAWRONGKEY', secret: 'wrong-secret-8f2a9' });
    const { f } = fetcher([wrong]);
    const denied = await failure(f.localPath('s3://lake/data/a.csv'));
    expect(denied.code).toBe('ACCESS_DENIED');
    expect(denied.message).toBe('storage wrong: access denied to s3://lake/data/a.csv (HTTP 403)');
    expect(JSON.stringify(denied) + denied.stack).not.toMatch(/wrong-secret-8f2a9|AKIAWRONGKEY/);

    const unregistered = await failure(f.localPath('s3://nowhere/x.csv'));
    expect(unregistered.code).toBe('NO_STORAGE');
    expect(unregistered.message).toBe('no storage registered for s3://nowhere/x.csv');

    const { f: g } = fetcher([good()]);
    const missing = await failure(g.localPath('s3://lake/data/missing.csv'));
    expect(missing).toMatchObject({
      code: 'NOT_FOUND',
      message: 'storage lake: s3://lake/data/missing.csv does not exist',
    });

    const down = definition(
      'down',
      's3://other',
      { key: KEY_1, secret: SECRET_1 },
      CLUSTER_SECRET,
      '127.0.0.1:1',
    );
    const { f: h } = fetcher([down], { requestTimeoutMs: 2000 });
    const unreachable = await failure(h.localPath('s3://other/x.csv'));
    expect(unreachable.code).toBe('UNAVAILABLE');
    expect(unreachable.message).toMatch(
      /^storage down: http:\/\/127\.0\.0\.1:1 failed for s3:\/\/other\/x\.csv/,
    );
    expect(unreachable.message).not.toContain(SECRET_1);

    // Encrypted with another key than this node's: reported as such, and the storage is unusable.
    const foreign = definition(
      'foreign',
      's3://other',
      { key: KEY_1, secret: SECRET_1 },
      'a-different-key-material',
    );
    const { f: k } = fetcher([foreign]);
    expect(k.registry.summary()).toEqual([
      {
        name: 'foreign',
        scope: 's3://other/',
        ok: false,
        error: expect.stringMatching(/another key than this node's/),
      },
    ]);
    const undecryptable = await failure(k.localPath('s3://other/x.csv'));
    expect(undecryptable.code).toBe('CREDENTIALS');
    // A logged registry shows names and scopes only.
    expect(JSON.stringify(g.registry.storages)).not.toMatch(new RegExp(`${SECRET_1}|${KEY_1}`));
    for (const x of [f, g, h, k]) await x.close();
  });
});

describe('registerStorage / unregisterStorage through management, applied by two work nodes', () => {
  let core: { url: string; drop: () => Promise<void> };
  let mgmt: NodeProcess;
  let workers: NodeProcess[];
  let coreDb: CoreDb;
  const started: NodeProcess[] = [];

  const admin = <T>(query: string, variables?: Record<string, unknown>) =>
    graphql<T>(mgmt.url, ADMIN_KEY, query, variables);

  const REGISTER = `mutation ($input: StorageInput!) {
    registerStorage(input: $input) { success message schemaVersion nodes { node success appliedVersion } }
  }`;
  type OpResult = {
    success: boolean;
    message: string;
    schemaVersion: number;
    nodes: { node: string; success: boolean; appliedVersion: number }[];
  };
  const lake = (extra: Record<string, unknown> = {}) => ({
    name: 'lake',
    scope: 's3://lake/data/',
    endpoint: `http://${s3.endpoint}`,
    region: 'us-east-1',
    urlStyle: 'PATH',
    key: KEY_1,
    secret: SECRET_1,
    ...extra,
  });

  /** What a work node builds at apply: the snapshot read from the core DB, decrypted with the shared key. */
  async function nodeRegistry(): Promise<StorageRegistry> {
    const snapshot = await coreDb.snapshot((m) => readDefinitions(m));
    return StorageRegistry.fromDefinitions(snapshot.storages, new StorageCipher(CLUSTER_SECRET));
  }

  async function readiness(node: NodeProcess) {
    const res = await fetch(`${node.url}/health/ready`);
    const body = (await res.json()) as {
      details: {
        schema: { schemaVersion: number };
        storage: { storages: { name: string; scope: string; ok: boolean }[] };
      };
    };
    return body.details;
  }

  async function version(): Promise<number> {
    return (await admin<{ cluster: { schemaVersion: number } }>('{ cluster { schemaVersion } }')).data!
      .cluster.schemaVersion;
  }

  beforeAll(async () => {
    core = await createTestDatabase('muninn_storage_core');
    mgmt = await startNode(
      'management',
      { CLUSTER_SECRET, SECRET_KEY: ADMIN_KEY, CORE_DB_PATH: core.url, CHECK: '1s', DRAIN_DELAY: '0s' },
      started,
    );
    workers = await Promise.all(
      ['s1', 's2'].map((name) =>
        startNode(
          'worker',
          {
            CLUSTER_SECRET,
            CLUSTER_MANAGEMENT_URL: mgmt.url,
            CLUSTER_NODE_NAME: name,
            CORE_DB_PATH: core.url,
            SECRET_KEY: ADMIN_KEY,
            DRAIN_DELAY: '0s',
            STORAGE_CACHE_DIR: cacheDir(),
          },
          started,
        ),
      ),
    );
    await waitFor('both workers healthy', async () => {
      const res = await admin<{ nodes: { status: string }[] }>('{ nodes { status } }');
      return res.data?.nodes.filter((n) => n.status === 'HEALTHY').length === 2;
    });
    coreDb = await CoreDb.open({
      location: { kind: 'postgres', url: core.url },
      readonly: true,
      embeddedPort: 0,
      migrations: 'verify',
      version: 'test',
      applicationName: 'storage-e2e',
    });
  });

  afterAll(async () => {
    await coreDb?.close();
    await Promise.all(started.map((p) => p.kill()));
    await core?.drop();
  });

  it('registers a storage: encrypted at rest, pushed to both nodes, usable with the shared key', async () => {
    const before = await version();
    const res = await admin<{ registerStorage: OpResult }>(REGISTER, { input: lake() });
    expect(res.errors).toBeUndefined();
    const op = res.data!.registerStorage;
    expect(op.success).toBe(true);
    expect(op.schemaVersion).toBe(before + 1);
    expect(op.nodes.map((n) => [n.node, n.success, n.appliedVersion]).sort()).toEqual([
      ['s1', true, before + 1],
      ['s2', true, before + 1],
    ]);
    expect(JSON.stringify(res)).not.toContain(SECRET_1);

    const rows: { key_encrypted: string; secret_encrypted: string; endpoint: string; use_ssl: boolean }[] =
      await coreDb.dataSource.query(
        'SELECT key_encrypted, secret_encrypted, endpoint, use_ssl FROM storages',
      );
    expect(rows).toHaveLength(1);
    expect(rows[0].endpoint).toBe(s3.endpoint);
    expect(rows[0].use_ssl).toBe(false);
    for (const col of [rows[0].key_encrypted, rows[0].secret_encrypted]) {
      expect(col).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
      expect(col).not.toContain(SECRET_1);
      expect(col).not.toContain(KEY_1);
    }

    for (const w of workers) {
      const details = await readiness(w);
      expect(details.schema.schemaVersion).toBe(op.schemaVersion);
      expect(details.storage.storages).toEqual([{ name: 'lake', scope: 's3://lake/data/', ok: true }]);
    }

    const { f } = fetcher([]);
    f.useRegistry(await nodeRegistry());
    expect(readFileSync(await f.localPath('s3://lake/data/a.csv'), 'utf8')).toBe('id,name\n1,alpha\n');
    await f.close();
  });

  it('lists storages without key or secret', async () => {
    const res = await admin<{ storages: Record<string, unknown>[] }>(
      '{ storages { name type scope endpoint region useSsl urlStyle hasCredentials parameters createdAt } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.storages).toEqual([
      {
        name: 'lake',
        type: 's3',
        scope: 's3://lake/data/',
        endpoint: s3.endpoint,
        region: 'us-east-1',
        useSsl: false,
        urlStyle: 'PATH',
        hasCredentials: true,
        parameters: null,
        createdAt: expect.any(String),
      },
    ]);
    const text = JSON.stringify(res);
    expect(text).not.toContain(SECRET_1);
    expect(text).not.toContain(KEY_1);
    // The type has no field that could carry them.
    const fields = await admin<{ __type: { fields: { name: string }[] } }>(
      '{ __type(name: "Storage") { fields { name } } }',
    );
    expect(fields.data!.__type.fields.map((x) => x.name)).not.toEqual(expect.arrayContaining(['key']));
    expect(fields.data!.__type.fields.map((x) => x.name)).not.toContain('secret');
  });

  it('rejects bad input with coded errors, changing nothing', async () => {
    const before = await version();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ scope: 'https://lake' }, 'BAD_USER_INPUT', /must start with s3:\/\//],
      [{ scope: 's3://Bad_Bucket' }, 'BAD_USER_INPUT', /not a valid bucket name/],
      [{ endpoint: 'http://host:9000/path' }, 'BAD_USER_INPUT', /without a path/],
      [{ endpoint: 'ftp://host' }, 'BAD_USER_INPUT', /http:\/\/ or https:\/\//],
      [{ endpoint: 'https://host', useSsl: false }, 'BAD_USER_INPUT', /contradicts/],
      [{ name: 'bad name' }, 'BAD_USER_INPUT', /storage name/],
      [{ type: 'azure' }, 'BAD_USER_INPUT', /not supported/],
      [{ name: 'lake2', key: undefined }, 'BAD_USER_INPUT', /key and secret go together/],
      [{ name: 'lake2' }, 'CONFLICT', /already served by storage "lake"/],
    ];
    for (const [patch, code, message] of cases) {
      const res = await admin(REGISTER, { input: lake(patch) });
      expect([res.errors?.[0]?.extensions?.code, res.errors?.[0]?.message]).toEqual([
        code,
        expect.stringMatching(message),
      ]);
      expect(JSON.stringify(res)).not.toContain(SECRET_1);
    }
    const gone = await admin('mutation { unregisterStorage(name: "nope") { success } }');
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await version()).toBe(before);
  });

  it('rotates the credentials: the old key stops working, the new one reaches every node', async () => {
    const oldRegistry = await nodeRegistry();
    const oldRow = await coreDb.dataSource.query('SELECT secret_encrypted FROM storages');
    s3.revokeKey(KEY_1);
    s3.addKey(KEY_2, SECRET_2);
    const { f } = fetcher([]);
    f.useRegistry(oldRegistry);
    expect((await failure(f.localPath('s3://lake/data/b.csv'))).message).toMatch(
      /^storage lake: access denied/,
    );

    const res = await admin<{ registerStorage: OpResult }>(REGISTER, {
      input: lake({ key: KEY_2, secret: SECRET_2 }),
    });
    expect(res.data!.registerStorage.success).toBe(true);
    expect(
      res.data!.registerStorage.nodes.every(
        (n) => n.appliedVersion === res.data!.registerStorage.schemaVersion,
      ),
    ).toBe(true);
    const newRow = await coreDb.dataSource.query('SELECT secret_encrypted FROM storages');
    expect(newRow[0].secret_encrypted).not.toBe(oldRow[0].secret_encrypted);
    f.useRegistry(await nodeRegistry());
    expect(readFileSync(await f.localPath('s3://lake/data/b.csv'), 'utf8')).toBe('id,name\n2,beta\n');

    // Re-registering without key and secret keeps the stored credentials.
    const keep = await admin<{ registerStorage: OpResult }>(REGISTER, {
      input: lake({ key: undefined, secret: undefined, region: 'eu-west-1' }),
    });
    expect(keep.errors).toBeUndefined();
    f.useRegistry(await nodeRegistry());
    expect(f.registry.get('lake')?.region).toBe('eu-west-1');
    expect(readFileSync(await f.localPath('s3://lake/data/sub/c.csv'), 'utf8')).toContain('gamma');
    await f.close();
  });

  it('unregisters: every node drops it and its URLs fail clearly', async () => {
    const res = await admin<{ unregisterStorage: OpResult }>(
      'mutation { unregisterStorage(name: "lake") { success message schemaVersion nodes { node success appliedVersion } } }',
    );
    expect(res.data!.unregisterStorage.success).toBe(true);
    for (const w of workers) {
      const details = await readiness(w);
      expect(details.schema.schemaVersion).toBe(res.data!.unregisterStorage.schemaVersion);
      expect(details.storage.storages).toEqual([]);
    }
    const { f } = fetcher([]);
    f.useRegistry(await nodeRegistry());
    const err = await failure(f.localPath('s3://lake/data/a.csv'));
    expect(err).toMatchObject({
      code: 'NO_STORAGE',
      message: 'no storage registered for s3://lake/data/a.csv',
    });
    expect((await admin<{ storages: unknown[] }>('{ storages { name } }')).data!.storages).toEqual([]);
    await f.close();
  });

  it('never writes a key or secret to a log line', () => {
    for (const node of [mgmt, ...workers]) {
      expect(node.log.length).toBeGreaterThan(0);
      for (const value of [SECRET_1, SECRET_2, KEY_1, KEY_2]) expect(node.log).not.toContain(value);
    }
    // The change itself is logged, by name.
    expect(mgmt.log).toContain('register storage lake');
  });
});
