import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, unknownVariableWarnings } from './load-config.js';
import { parseBind, parseDuration } from './parsers.js';
import { MUNINN_VERSION } from './version.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['10', 10_000],
  ])('%s = %d ms', (raw, ms) => expect(parseDuration(raw)).toBe(ms));

  it.each(['', 'abc', '5x', '1 m', '-1s', 's'])('rejects "%s"', (raw) =>
    expect(() => parseDuration(raw)).toThrow(),
  );
});

describe('parseBind', () => {
  it('reads :port, host:port and [v6]:port', () => {
    expect(parseBind(':15000')).toEqual({ host: '0.0.0.0', port: 15000 });
    expect(parseBind('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseBind('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(() => parseBind('15000')).toThrow();
    expect(() => parseBind(':70000')).toThrow();
  });
});

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const { config } = loadConfig('worker', {});
    expect(config.server.bind).toEqual({ host: '0.0.0.0', port: 15000 });
    expect(config.cluster.managementUrl).toBeUndefined();
    expect(config.cluster.timeoutMs).toBe(5000);
    expect(config.cluster.heartbeatMs).toBe(30_000);
    expect(config.cluster.pollIntervalMs).toBe(30_000);
    expect(config.coreDb.location.kind).toBe('embedded');
    expect(config.cache).toMatchObject({ ttlMs: 0, l1Enabled: false, l1MaxSizeMb: 512, l2Backend: 'redis' });
    expect(config.auth).toMatchObject({ allowedAnonymous: false, anonymousRole: 'public' });
    expect(config.engine.maxDepth).toBe(7);
    expect(config.adminUi).toBe(true);
    expect(config.log).toEqual({ level: 'info', format: 'json' });
    const mgmt = loadConfig('management', { CLUSTER_SECRET: 'long-enough' }).config;
    expect(mgmt.server.bind.port).toBe(14000);
    expect(mgmt.cluster.nodeTimeoutMs).toBe(30_000);
    expect(mgmt.cluster.checkIntervalMs).toBe(60_000);
    expect(mgmt.cluster.ghostTtlMs).toBe(600_000);
  });

  it('accepts the seed document worker example', () => {
    const { config } = loadConfig('worker', {
      BIND: ':15000',
      ADMIN_UI: 'true',
      CLUSTER_SECRET: 'cluster-secret-key',
      CLUSTER_MANAGEMENT_URL: 'http://management:14000',
      CLUSTER_NODE_NAME: 'worker-1',
      CLUSTER_NODE_URL: 'http://worker-1:15000',
      CLUSTER_TIMEOUT: '5s',
      CORE_DB_PATH: 'postgres://hugr:password@postgres:5432/hugr_core',
      CACHE_L1_ENABLED: 'true',
      CACHE_L1_MAX_SIZE: '512',
      CACHE_L2_ENABLED: 'true',
      CACHE_L2_BACKEND: 'redis',
      CACHE_L2_ADDRESSES: 'redis:6379',
      CACHE_L2_PASSWORD: 'redis_password',
    });
    expect(config.cluster.managementUrl).toBe('http://management:14000');
    expect(config.coreDb.location).toEqual({
      kind: 'postgres',
      url: 'postgres://hugr:password@postgres:5432/hugr_core',
    });
    expect(config.cache.l2Addresses).toEqual(['redis:6379']);
  });

  it('lists every bad variable at once, naming each and never echoing a secret', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig('worker', {
        BIND: 'nope',
        CLUSTER_MANAGEMENT_URL: 'ftp://x',
        CLUSTER_TIMEOUT: 'soon',
        CLUSTER_HEARTBEAT: '0s',
        CORE_DB_PATH: 'mysql://user:hunter2@db/core',
        CACHE_L1_MAX_SIZE: 'big',
        CACHE_L2_ENABLED: 'maybe',
        CACHE_L2_BACKEND: 'etcd',
        MAX_DEPTH: '0',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const named = error!.problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(
      expect.arrayContaining([
        'BIND',
        'CLUSTER_MANAGEMENT_URL',
        'CLUSTER_SECRET',
        'CLUSTER_TIMEOUT',
        'CLUSTER_HEARTBEAT',
        'CORE_DB_PATH',
        'CACHE_L1_MAX_SIZE',
        'CACHE_L2_ENABLED',
        'CACHE_L2_BACKEND',
        'MAX_DEPTH',
        'LOG_LEVEL',
      ]),
    );
    expect(error!.message).not.toContain('hunter2');
  });

  it('requires CLUSTER_SECRET on management and when a worker joins a cluster', () => {
    expect(() => loadConfig('management', {})).toThrow(/CLUSTER_SECRET: is required/);
    expect(() => loadConfig('worker', { CLUSTER_MANAGEMENT_URL: 'http://m:14000' })).toThrow(
      /CLUSTER_SECRET/,
    );
    expect(() => loadConfig('management', { CLUSTER_SECRET: 'short' })).toThrow(/at least 8/);
  });

  it('refuses a read-only management node and a read-only embedded store', () => {
    expect(() =>
      loadConfig('management', { CLUSTER_SECRET: 'long-enough', CORE_DB_READONLY: 'true' }),
    ).toThrow(/CORE_DB_READONLY/);
    expect(() => loadConfig('worker', { CORE_DB_READONLY: 'true' })).toThrow(/postgres:\/\//);
  });

  it('warns about unknown CLUSTER_/CACHE_/CORE_DB_ variables with the closest known name', () => {
    const warnings = unknownVariableWarnings(
      { CLUSTER_HEARTBEET: '1s', CACHE_L2_ADRESSES: 'x', OTHER: '1' },
      'worker',
    );
    expect(warnings).toEqual([
      'unknown variable CACHE_L2_ADRESSES is ignored; did you mean CACHE_L2_ADDRESSES?',
      'unknown variable CLUSTER_HEARTBEET is ignored; did you mean CLUSTER_HEARTBEAT?',
    ]);
  });

  it('derives the storage key material from CLUSTER_SECRET unless STORAGE_ENCRYPTION_KEY is set', () => {
    const worker = loadConfig('worker', {
      CLUSTER_SECRET: 'cluster-secret-1',
      CLUSTER_NODE_NAME: 'w7',
    }).config;
    expect(worker.storage).toMatchObject({
      encryptionKey: 'cluster-secret-1',
      cacheMaxSizeMb: 1024,
      revalidateMs: 0,
    });
    expect(worker.storage.cacheDir).toMatch(/muninn-objects[\\/]w7$/);
    const own = loadConfig('worker', {
      STORAGE_ENCRYPTION_KEY: 'sixteen-chars-at-least',
      STORAGE_CACHE_DIR: '/var/cache/muninn',
      STORAGE_CACHE_MAX_SIZE: '64',
      STORAGE_CACHE_REVALIDATE: '30s',
    }).config.storage;
    expect(own).toEqual({
      encryptionKey: 'sixteen-chars-at-least',
      cacheDir: '/var/cache/muninn',
      cacheMaxSizeMb: 64,
      revalidateMs: 30_000,
    });
    expect(loadConfig('worker', {}).config.storage.encryptionKey).toBeUndefined();
    let message = '';
    try {
      loadConfig('worker', { STORAGE_ENCRYPTION_KEY: 'short-key', STORAGE_CACHE_MAX_SIZE: '0' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/STORAGE_ENCRYPTION_KEY: must be at least 16 characters/);
    expect(message).toMatch(/STORAGE_CACHE_MAX_SIZE/);
    expect(message).not.toContain('short-key');
  });

  it('keeps MUNINN_VERSION equal to package.json', () => {
    expect(MUNINN_VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
