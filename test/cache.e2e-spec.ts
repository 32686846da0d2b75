// The two-level cache against real servers it starts itself: redis-server and memcached on free
// loopback ports (and a 3-node Redis Cluster), two TwoLevelCache "nodes" per backend.
import { CACHE, CacheHealthIndicator, type CacheOptions, MuninnCacheModule, TwoLevelCache } from '@app/cache';
import { Test } from '@nestjs/testing';
import { spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { CacheServers, type Server, binary } from './support/cache-servers.js';
import { freePort, waitFor } from './support/node-process.js';

/** Every test and hook is bounded well below Jest's global timeout. */
const BOUND_MS = 30_000;

/** `get` over memcached's text protocol: whether the key exists. */
function memcachedHas(port: number, key: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`get ${key}\r\n`));
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      if (reply.endsWith('END\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('VALUE '));
      }
    });
    socket.once('error', reject);
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const local = new CacheServers();
const caches: TwoLevelCache[] = [];
const startRedis = (port?: number, extra: string[] = []): Promise<Server> => local.redis(port, extra);
const startMemcached = (): Promise<Server> => local.memcached();

interface Recorder {
  log(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  lines: { level: string; msg: string }[];
}

function recorder(): Recorder {
  const lines: Recorder['lines'] = [];
  return {
    lines,
    log: (msg) => lines.push({ level: 'log', msg }),
    warn: (msg) => lines.push({ level: 'warn', msg }),
    error: (msg) => lines.push({ level: 'error', msg }),
  };
}

async function node(
  nodeName: string,
  backend: CacheOptions['l2Backend'],
  addresses: string[],
  logger: Recorder = recorder(),
): Promise<TwoLevelCache> {
  const cache = new TwoLevelCache(
    {
      ttlMs: 60_000,
      l1Enabled: true,
      l1MaxSizeMb: 8,
      l2Enabled: true,
      l2Backend: backend,
      l2Addresses: addresses,
      nodeName,
      l2TimeoutMs: 250,
    },
    logger,
  );
  caches.push(cache);
  await cache.connect();
  return cache;
}

const ttl = { ttlMs: 30_000 };

afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await local.stopAll();
}, BOUND_MS);

describe('two nodes on one Redis', () => {
  let redis: Server;
  let a: TwoLevelCache;
  let b: TwoLevelCache;

  beforeAll(async () => {
    redis = await startRedis();
    a = await node('a', 'redis', [`127.0.0.1:${redis.port}`]);
    b = await node('b', 'redis', [`127.0.0.1:${redis.port}`]);
    expect(a.status().l2.up).toBe(true);
    expect(b.status().l2.up).toBe(true);
  }, BOUND_MS);

  it(
    'serves a value written by A to B from L2, then from B’s L1',
    async () => {
      await a.set('q:1', '{"data":1}', { ...ttl, tags: ['t'] });
      expect(await b.get('q:1')).toEqual({ value: '{"data":1}', hit: 'l2' });
      expect(await b.get('q:1')).toEqual({ value: '{"data":1}', hit: 'l1' });
      expect(b.status().stats).toMatchObject({ l2Hits: 1, l1Hits: 1 });
      // Namespaced keys; the entry records the epochs of its tags (`$all` implicitly).
      const cli = (...args: string[]) =>
        spawnSync(binary('redis-cli'), ['-p', String(redis.port), ...args], {
          encoding: 'utf8',
        }).stdout.trim();
      expect(cli('EXISTS', 'muninn:v:q:1')).toBe('1');
      const epoch = cli('GET', 'muninn:tag:t');
      expect(epoch).toMatch(/^\{"value":".+"\}$/);
      expect(JSON.parse(cli('GET', 'muninn:v:q:1')).value.e).toEqual({
        $all: JSON.parse(cli('GET', 'muninn:tag:$all')).value,
        t: JSON.parse(epoch).value,
      });
    },
    BOUND_MS,
  );

  it(
    'A.invalidate: L2 entries become unreachable (epochs) and B drops its L1 entry (pub/sub)',
    async () => {
      await a.set('q:2', 'two', { ...ttl, tags: ['t2'] });
      await a.set('q:other', 'other', { ...ttl, tags: ['u'] });
      expect((await b.get('q:2'))?.hit).toBe('l2');
      expect((await b.get('q:other'))?.hit).toBe('l2');

      // Without publishing, B's L1 keeps the entry; behind it, L2 no longer has it.
      await a.invalidate(['t2'], { publish: false });
      expect(await b.get('q:2')).toEqual({ value: 'two', hit: 'l1' });
      b.flushL1();
      expect(await b.get('q:2')).toBeUndefined();
      expect(await b.get('q:other')).toEqual({ value: 'other', hit: 'l2' });

      // Published: B's L1 entry goes too.
      await a.set('q:2', 'two again', { ...ttl, tags: ['t2'] });
      expect((await b.get('q:2'))?.hit).toBe('l2');
      expect((await b.get('q:2'))?.hit).toBe('l1');
      const entriesBefore = b.status().l1.entries;
      await a.invalidate(['t2']);
      await waitFor('B to drop its L1 entry', () => b.status().l1.entries === entriesBefore - 1, 5000, 10);
      expect(await b.get('q:2')).toBeUndefined();
      expect(await b.get('q:other')).toEqual({ value: 'other', hit: 'l1' });
    },
    BOUND_MS,
  );

  it(
    'invalidate() without tags reaches every entry on every node',
    async () => {
      await a.set('q:3', 'three', { ...ttl, tags: ['x'] });
      expect((await b.get('q:3'))?.hit).toBe('l2');
      await a.invalidate();
      await waitFor('B to flush its L1', () => b.status().l1.entries === 0, 5000, 10);
      expect(await b.get('q:3')).toBeUndefined();
      expect(await a.get('q:3')).toBeUndefined();
    },
    BOUND_MS,
  );

  it(
    'wrap on two nodes: the second node gets the first one’s result from L2 without loading',
    async () => {
      let loads = 0;
      const load = async () => ({ value: `loaded ${++loads}`, store: true });
      expect(await a.wrap('q:4', load, { ...ttl, tags: ['w'] })).toEqual({ value: 'loaded 1', hit: false });
      expect(await b.wrap('q:4', load, { ...ttl, tags: ['w'] })).toEqual({ value: 'loaded 1', hit: 'l2' });
      await b.invalidate(['w']);
      await waitFor('A to drop its L1 entry', () => a.status().l1.entries === 0, 5000, 10);
      expect(await a.wrap('q:4', load, { ...ttl, tags: ['w'] })).toEqual({ value: 'loaded 2', hit: false });
    },
    BOUND_MS,
  );

  it(
    'a dropped invalidation channel flushes L1 when it comes back',
    async () => {
      await b.set('q:5', 'five', ttl);
      expect(b.status().l1.entries).toBeGreaterThan(0);
      // Kill every pub/sub connection of the server; B's subscriber reconnects and must flush.
      spawnSync(binary('redis-cli'), ['-p', String(redis.port), 'CLIENT', 'KILL', 'TYPE', 'pubsub']);
      await waitFor('B to flush L1 after resubscribing', () => b.status().l1.entries === 0, 5000, 10);
    },
    BOUND_MS,
  );
});

describe('Redis answering errors (out of memory)', () => {
  it(
    'an entry write refused is a miss, an invalidation refused keeps L2 unused until replayed',
    async () => {
      const redis = await startRedis();
      const cli = (...args: string[]) =>
        spawnSync(binary('redis-cli'), ['-p', String(redis.port), ...args], {
          encoding: 'utf8',
        }).stdout.trim();
      const log = recorder();
      const a = await node('a', 'redis', [`127.0.0.1:${redis.port}`], log);
      const b = await node('b', 'redis', [`127.0.0.1:${redis.port}`]);
      await a.set('kept', 'old', { ...ttl, tags: ['t'] });
      expect(cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction')).toBe('OK');
      expect(cli('CONFIG', 'SET', 'maxmemory', '1')).toBe('OK'); // every write is refused with -OOM

      await a.set('refused', 'v', { ...ttl, tags: ['t'] });
      expect(a.status().l2.up).toBe(true); // the server answered: not an outage
      expect(a.status().stats.l2Errors).toBeGreaterThan(0);
      expect(await b.get('refused')).toBeUndefined();
      expect(await b.get('kept')).toEqual({ value: 'old', hit: 'l2' });

      await a.invalidate(['t']); // the epoch bump is refused: A must not read L2 until it is replayed
      expect(a.status().l2.up).toBe(false);
      expect(await a.get('kept')).toBeUndefined();
      expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1500)); // probes run, the replay is still refused
      expect(a.status().l2.up).toBe(false);

      expect(cli('CONFIG', 'SET', 'maxmemory', '0')).toBe('OK');
      await waitFor('the invalidation to be replayed', () => a.status().l2.up, 10_000, 50);
      b.flushL1();
      expect(await b.get('kept')).toBeUndefined();
    },
    BOUND_MS,
  );
});

describe('two nodes on one memcached (no pub/sub)', () => {
  let memcached: Server;
  let a: TwoLevelCache;
  let b: TwoLevelCache;

  beforeAll(async () => {
    memcached = await startMemcached();
    a = await node('a', 'memcached', [`127.0.0.1:${memcached.port}`]);
    b = await node('b', 'memcached', [`127.0.0.1:${memcached.port}`]);
    expect(a.status().l2).toMatchObject({ up: true, backend: 'memcached' });
  }, BOUND_MS);

  it(
    'serves A’s value to B from L2 then L1; A.invalidate makes the L2 entry unreachable',
    async () => {
      await a.set('q:1', 'one', { ...ttl, tags: ['t'] });
      await a.set('q:2', 'two', { ...ttl, tags: ['u'] });
      expect(await b.get('q:1')).toEqual({ value: 'one', hit: 'l2' });
      expect(await b.get('q:1')).toEqual({ value: 'one', hit: 'l1' });
      expect(await memcachedHas(memcached.port, 'muninn:v:q:1')).toBe(true);
      expect(await memcachedHas(memcached.port, 'muninn:tag:t')).toBe(true);
      await a.invalidate(['t']);
      b.flushL1(); // memcached has no channel: B's L1 is reached by the management fan-out instead
      expect(await b.get('q:1')).toBeUndefined();
      expect(await b.get('q:2')).toEqual({ value: 'two', hit: 'l2' });
      await a.invalidate();
      b.flushL1();
      expect(await b.get('q:2')).toBeUndefined();
    },
    BOUND_MS,
  );

  it(
    'leaves entries over the item size uncached without calling it an outage',
    async () => {
      await a.set('huge', 'x'.repeat(2 * 1024 * 1024), ttl); // over the limit before serialisation
      await a.set('escaped', '"'.repeat(900 * 1024), ttl); // under it, but not once JSON-escaped
      b.flushL1();
      expect(await b.get('huge')).toBeUndefined();
      expect(await b.get('escaped')).toBeUndefined();
      expect(a.status().l2.up).toBe(true);
      expect(a.status().stats.l2Errors).toBe(0);
      await a.set('fits', 'y'.repeat(512 * 1024), ttl);
      expect((await b.get('fits'))?.hit).toBe('l2');
    },
    BOUND_MS,
  );

  it(
    'keys that memcached cannot take verbatim, and sub-second TTLs',
    async () => {
      const key = `query with spaces ${'x'.repeat(400)}`;
      await a.set(key, 'long', ttl);
      expect(await b.get(key)).toEqual({ value: 'long', hit: 'l2' });
      await a.set('short-lived', 'v', { ttlMs: 300 });
      expect((await b.get('short-lived'))?.hit).toBe('l2');
      b.flushL1();
      await waitFor(
        'the entry to expire in L2',
        async () => (await b.get('short-lived')) === undefined,
        5000,
        50,
      );
    },
    BOUND_MS,
  );
});

describe('Redis killed mid-load', () => {
  it(
    'keeps serving without errors, logs once, and uses L2 again after a restart',
    async () => {
      const redis = await startRedis();
      const logA = recorder();
      const a = await node('a', 'redis', [`127.0.0.1:${redis.port}`], logA);
      const b = await node('b', 'redis', [`127.0.0.1:${redis.port}`]);

      let thrown = 0;
      let ops = 0;
      let running = true;
      const worker = async (id: number) => {
        for (let i = 0; running; i++) {
          const key = `load:${id}:${i % 50}`;
          try {
            await a.set(key, `v${i}`, { ...ttl, tags: ['load'] });
            await a.get(key);
            await a.wrap(`w:${id}:${i % 20}`, async () => ({ value: 'w', store: true }), ttl);
            if (i % 25 === 0) await a.invalidate([`load-${id}`]);
            ops++;
          } catch {
            thrown++;
          }
          if (i % 10 === 0) await new Promise((r) => setImmediate(r));
        }
      };
      const workers = [1, 2, 3, 4].map(worker);
      try {
        await waitFor('some load', () => ops > 200, 10_000, 10);
        await redis.kill('SIGKILL');
        await waitFor('L2 marked down', () => !a.status().l2.up, 5000, 10);
        const opsAtDown = ops;
        await waitFor('load to go on while down', () => ops > opsAtDown + 500, 10_000, 10);

        // While down, L2 is skipped: no operation waits for it.
        const started = Date.now();
        for (let i = 0; i < 100; i++) await a.get(`absent:${i}`);
        expect(Date.now() - started).toBeLessThan(200);
        expect(a.status().l2.lastError).toBeTruthy();
      } finally {
        running = false;
        await Promise.all(workers);
      }
      expect(thrown).toBe(0);
      const outageWarnings = logA.lines.filter((l) => l.level === 'warn' && /unreachable/.test(l.msg));
      expect(outageWarnings).toHaveLength(1);
      expect(outageWarnings[0]!.msg).toMatch(
        /^L2 cache \(redis\) unreachable: .+; serving from L1 and the databases$/,
      );
      expect(a.status().stats.l2Errors).toBeGreaterThan(0);

      await redis.start();
      await waitFor('A to see L2 again', () => a.status().l2.up, 10_000, 50);
      await waitFor('B to see L2 again', () => b.status().l2.up, 10_000, 50);
      expect(logA.lines.filter((l) => /reachable again/.test(l.msg))).toHaveLength(1);
      expect(a.status().l1.entries).toBe(0); // flushed: invalidations may have been missed

      await a.set('after', 'recovered', ttl);
      expect(await b.get('after')).toEqual({ value: 'recovered', hit: 'l2' });
    },
    BOUND_MS,
  );

  it(
    'a hung Redis (SIGSTOP) costs at most the L2 timeout, then nothing until it answers again',
    async () => {
      const redis = await startRedis();
      const log = recorder();
      const a = await node('a', 'redis', [`127.0.0.1:${redis.port}`], log);
      await a.set('k', 'v', ttl);
      a.flushL1();
      redis.signal('SIGSTOP');
      try {
        let started = Date.now();
        expect(await a.get('k')).toBeUndefined(); // L2 does not answer: a miss, after the timeout
        expect(Date.now() - started).toBeLessThan(1000);
        expect(a.status().l2).toMatchObject({ up: false, lastError: 'no answer within 250 ms' });
        started = Date.now();
        await a.set('k2', 'v2', ttl);
        expect(await a.get('k2')).toEqual({ value: 'v2', hit: 'l1' });
        expect(Date.now() - started).toBeLessThan(100);
      } finally {
        redis.signal('SIGCONT');
      }
      await waitFor('L2 up after SIGCONT', () => a.status().l2.up, 10_000, 50);
      expect(await a.get('k')).toEqual({ value: 'v', hit: 'l2' });
      expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    },
    BOUND_MS,
  );

  it(
    'starts with L2 unreachable, without throwing, and connects when it appears',
    async () => {
      const port = await freePort();
      const log = recorder();
      const started = Date.now();
      const a = await node('a', 'redis', [`127.0.0.1:${port}`], log);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(a.status().l2.up).toBe(false);
      await a.set('k', 'v', ttl);
      expect(await a.get('k')).toEqual({ value: 'v', hit: 'l1' });
      await startRedis(port);
      await waitFor('L2 up', () => a.status().l2.up, 10_000, 50);
      expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    },
    BOUND_MS,
  );
});

/** A port whose cluster bus port (+10000) is free too. */
async function clusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.includes(port)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
}

const redisCli = (port: number, ...args: string[]) =>
  spawnSync(binary('redis-cli'), ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 }).stdout;

/** A Redis Cluster of `masters` × (1 + `replicas`) redis-servers, once every node says it is ok. */
async function startCluster(
  masters: number,
  replicas: number,
  extra: string[] = [],
): Promise<{ ports: number[]; servers: Map<number, Server> }> {
  const ports: number[] = [];
  const servers = new Map<number, Server>();
  for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await clusterPort(ports));
  for (const port of ports) {
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, ...extra];
    servers.set(port, await startRedis(port, args));
  }
  const created = spawnSync(
    binary('redis-cli'),
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  expect(created.status).toBe(0);
  await waitFor(
    'cluster state ok',
    () => ports.every((p) => /cluster_state:ok/.test(redisCli(p, 'CLUSTER', 'INFO'))),
    15_000,
    100,
  );
  return { ports, servers };
}

describe('Redis Cluster', () => {
  let a: TwoLevelCache;
  let b: TwoLevelCache;

  beforeAll(async () => {
    const { ports } = await startCluster(3, 0);
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    a = await node('a', 'redis', addresses);
    b = await node('b', 'redis', addresses);
    expect(a.status().l2.up).toBe(true);
  }, BOUND_MS);

  it(
    'shares entries across slots, invalidates by epoch and by pub/sub',
    async () => {
      // Keys and tags hash to different slots: reads are split per slot by @keyv/redis.
      for (let i = 0; i < 20; i++) await a.set(`c:${i}`, `v${i}`, { ...ttl, tags: [`tag${i % 3}`] });
      for (let i = 0; i < 20; i++) expect(await b.get(`c:${i}`)).toEqual({ value: `v${i}`, hit: 'l2' });
      const before = b.status().l1.entries;
      await a.invalidate(['tag0']);
      await waitFor('B to drop tag0 entries', () => b.status().l1.entries === before - 7, 5000, 10);
      b.flushL1();
      for (let i = 0; i < 20; i++) {
        expect((await b.get(`c:${i}`))?.hit).toBe(i % 3 === 0 ? undefined : 'l2');
      }
    },
    BOUND_MS,
  );
});

describe('Redis Cluster failover', () => {
  let a: TwoLevelCache;
  let b: TwoLevelCache;
  const servers = new Map<string, Server>();
  let addresses: string[] = [];

  const portOf = (address: string) => Number(address.split(':')[1]);
  const role = (port: number) => redisCli(port, 'ROLE').split('\n')[0].trim();

  beforeAll(async () => {
    // A replica may take over however long ago it last heard from its master.
    const cluster = await startCluster(3, 1, [
      '--cluster-node-timeout',
      '1000',
      '--cluster-replica-validity-factor',
      '0',
    ]);
    const { ports } = cluster;
    for (const [port, server] of cluster.servers) servers.set(`127.0.0.1:${port}`, server);
    // Masters first: the subscriber starts on the first address, which the test then fails.
    const masters = ports.filter((p) => role(p) === 'master');
    expect(masters).toHaveLength(3);
    await waitFor(
      'replicas in sync',
      () =>
        ports
          .filter((p) => !masters.includes(p))
          .every((p) => /master_link_status:up/.test(redisCli(p, 'INFO', 'replication'))),
      15_000,
      100,
    );
    addresses = [...masters, ...ports.filter((p) => !masters.includes(p))].map((p) => `127.0.0.1:${p}`);
    a = await node('fa', 'redis', addresses);
    b = await node('fb', 'redis', addresses);
    expect(b.status().l2.up).toBe(true);
  }, 60_000);

  /** Whether an invalidation published by A drops B's L1 entry within `withinMs`. */
  async function bHearsInvalidation(i: number, withinMs: number): Promise<boolean> {
    // B's L1 is emptied first, so the count tells whether the entry left.
    b.flushL1();
    await b.set(`fo:${i}`, 'v', { ...ttl, tags: ['failover'] });
    if (b.status().l1.entries !== 1) return false;
    await a.invalidate(['failover']);
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      if (b.status().l1.entries === 0) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  it('the invalidation channel follows the cluster when the node it listens on fails', async () => {
    expect(await bHearsInvalidation(0, 5000)).toBe(true);
    const failed = addresses[0];
    await servers.get(failed)!.kill();
    const alive = addresses.filter((x) => x !== failed).map(portOf);
    await waitFor(
      'failover: the replica took over',
      // The failed master's replica is a master now, and the cluster serves every slot again.
      () =>
        alive.filter((p) => role(p) === 'master').length === 3 &&
        alive.every((p) => /cluster_state:ok/.test(redisCli(p, 'CLUSTER', 'INFO'))),
      30_000,
      200,
    );
    // The data path follows the failover: what A writes, B reads from L2.
    await waitFor(
      'L2 shared again',
      async () => {
        await a.set('fo:shared', 'w', ttl);
        b.flushL1();
        return (await b.get('fo:shared'))?.hit === 'l2';
      },
      20_000,
      100,
    );
    // So does the invalidation channel (its first resubscription flushes B's L1 once, so only
    // answers after that count: two in a row).
    let i = 1;
    await waitFor('B hears invalidations again', () => bHearsInvalidation(i++, 1000), 20_000, 50);
    expect(await bHearsInvalidation(i++, 2000)).toBe(true);
    expect(await bHearsInvalidation(i++, 2000)).toBe(true);
    expect(a.status().l2.up).toBe(true);
    expect(b.status().l2.up).toBe(true);
  }, 90_000);
});

describe('MuninnCacheModule', () => {
  it(
    'connects on init, reports an unreachable L2 in the readiness details but stays up',
    async () => {
      const port = await freePort();
      const moduleRef = await Test.createTestingModule({
        imports: [
          MuninnCacheModule.forRoot({
            ttlMs: 1000,
            l1Enabled: true,
            l1MaxSizeMb: 1,
            l2Enabled: true,
            l2Backend: 'redis',
            l2Addresses: [`127.0.0.1:${port}`],
            l2Password: 'hunter2-secret',
            nodeName: 'module',
          }),
        ],
      }).compile();
      moduleRef.useLogger(false);
      await moduleRef.init();
      const cache = moduleRef.get<TwoLevelCache>(CACHE);
      await cache.set('k', 'v', { ttlMs: 1000 });
      const health = await moduleRef.get(CacheHealthIndicator).isHealthy();
      expect(health).toEqual({
        cache: {
          status: 'up',
          l1: expect.objectContaining({ enabled: true, entries: 1 }),
          l2: { up: false, backend: 'redis', lastError: expect.any(String) },
        },
      });
      expect(JSON.stringify(health)).not.toContain('hunter2');
      await moduleRef.close();
      expect(await cache.get('k')).toEqual({ value: 'v', hit: 'l1' }); // closed: L1 still answers, L2 is gone
    },
    BOUND_MS,
  );
});
