import { NodeProcess, freePort } from './support/node-process.js';

/** The built apps refuse to start on bad configuration, naming every bad variable at once. */
describe('configuration at boot', () => {
  it('stops the worker with one message that lists every bad variable', async () => {
    const node = new NodeProcess('worker', await freePort(), {
      CLUSTER_MANAGEMENT_URL: 'not a url',
      CLUSTER_POLL_INTERVAL: 'often',
      CACHE_L1_MAX_SIZE: '-5',
      CACHE_L2_ENABLED: 'true',
      ALLOWED_ANONYMOUS: 'perhaps',
      MAX_DEPTH: 'deep',
      CORE_DB_PATH: 'postgres://user:hunter2@[broken',
    }).start();
    expect(await node.waitExit()).toBe(1);
    const log = node.log;
    expect(log).toMatch(/Invalid configuration \(\d+ problems\)/);
    for (const name of [
      'CLUSTER_MANAGEMENT_URL',
      'CLUSTER_SECRET',
      'CLUSTER_POLL_INTERVAL',
      'CACHE_L1_MAX_SIZE',
      'CACHE_L2_ADDRESSES',
      'ALLOWED_ANONYMOUS',
      'MAX_DEPTH',
      'CORE_DB_PATH',
    ]) {
      expect(log).toContain(`- ${name}:`);
    }
    expect(log).not.toContain('hunter2');
    expect(log).not.toContain('listening');
  });

  it('stops the management node without CLUSTER_SECRET and warns about misspelt variables', async () => {
    const node = new NodeProcess('management', await freePort(), {
      CHECK: '1x',
      CLUSTER_GHOST_TL: '1m',
    }).start();
    expect(await node.waitExit()).toBe(1);
    expect(node.log).toContain('- CLUSTER_SECRET: is required on the management node');
    expect(node.log).toContain('- CHECK: "1x" is not a duration');
  });

  it('refuses a core DB whose migration level a clustered worker does not know', async () => {
    const { createTestDatabase } = await import('./support/postgres.js');
    const db = await createTestDatabase('muninn_level');
    try {
      // An empty core DB: management has not migrated it, and a clustered worker never does.
      const node = new NodeProcess('worker', await freePort(), {
        CLUSTER_SECRET: 'a-long-cluster-secret',
        CLUSTER_MANAGEMENT_URL: 'http://127.0.0.1:9',
        CORE_DB_PATH: db.url,
      }).start();
      expect(await node.waitExit()).toBe(1);
      expect(node.log).toContain('The core DB is behind this node');
      expect(node.log).toContain('npm run migrate');
    } finally {
      await db.drop();
    }
  });
});
