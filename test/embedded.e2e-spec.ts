import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeProcess, ROOT, freePort, graphql, waitFor } from './support/node-process.js';

/** `npm start` (scripts/local-cluster.mjs) on a fresh home directory: no PostgreSQL server involved. */
describe('embedded core DB and the one-command local cluster', () => {
  let home: string;
  let cluster: ChildProcess;
  let out = '';

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'muninn-local-'));
  });

  afterAll(() => {
    cluster?.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('starts management and two work nodes, prints their URLs and the admin key', async () => {
    cluster = spawn(process.execPath, [join(ROOT, 'scripts/local-cluster.mjs')], {
      cwd: ROOT,
      // PGHOST/PGPORT point nowhere: the local cluster must not need a PostgreSQL server.
      env: { PATH: process.env.PATH ?? '', MUNINN_HOME: home, PGHOST: '127.0.0.1', PGPORT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cluster.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    cluster.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      'the local cluster to be up',
      () =>
        out.includes('Muninn local cluster is up.') ||
        (cluster.exitCode !== null && Promise.reject(new Error(out))),
      90_000,
      200,
    );
    const management = /management API \+ Apollo Sandbox\s+(http:\/\/\S+)\/graphql/.exec(out)![1];
    const key = /admin key \(x-hugr-secret-key\)\s+(\S+)/.exec(out)![1];
    expect(out).toMatch(/worker-1\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/worker-2\s+http:\/\/127\.0\.0\.1:\d+/);

    await waitFor('both work nodes HEALTHY', async () => {
      const res = await graphql<{ nodes: { name: string; status: string }[] }>(
        management,
        key,
        '{ nodes { name status } }',
      );
      return res.data?.nodes.length === 2 && res.data.nodes.every((n) => n.status === 'HEALTHY');
    });
    // Writes go through management into the embedded store and reach both nodes.
    const res = await graphql<{
      createDataSource: { name: string };
      loadDataSource: { success: boolean; nodes: { success: boolean }[] };
    }>(
      management,
      key,
      `
        mutation {
          createDataSource(input: { name: "demo", type: "postgres", path: "postgres://x/y" }) {
            name
          }
          loadDataSource(name: "demo") {
            success
            nodes {
              success
            }
          }
        }
      `,
    );
    expect(res.data!.loadDataSource.success).toBe(true);
    expect(res.data!.loadDataSource.nodes).toHaveLength(2);
  });

  it('refuses a second process on the same embedded directory with a clear error', async () => {
    const intruder = new NodeProcess('worker', await freePort(), {
      CORE_DB_PATH: join(home, 'core-db'),
    }).start();
    const code = await Promise.race([
      intruder.waitExit(),
      new Promise((r) => setTimeout(() => r('still running'), 30_000)),
    ]);
    await intruder.kill();
    expect(code).toBe(1);
    expect(intruder.log).toMatch(/embedded core DB at .*core-db is in use by process \d+/);
    expect(intruder.log).toContain('Only one process may open an embedded directory');
  });

  it('stops everything cleanly on Ctrl-C', async () => {
    const exited = new Promise<number | null>((res) => cluster.once('exit', (c) => res(c)));
    cluster.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/worker-1 stopped \(exit 0\)/);
    expect(out).toMatch(/worker-2 stopped \(exit 0\)/);
    expect(out).toMatch(/management stopped \(exit 0\)/);
  });
});
