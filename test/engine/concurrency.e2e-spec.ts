/**
 * Transaction atomicity under concurrency: concurrent updates do not lose writes.
 *
 * A fresh database (openConformance() creates one per call) with the mutation fixture
 * (fixture/mut.sql + mut.graphql), served by a writable engine whose source pool has POOL
 * connections. Every request is its own engine.execute() call, so its own transaction on a pooled
 * connection; requests go out together with Promise.all.
 *
 * So that the requests really meet inside PostgreSQL (and not one after the other), each part runs
 * them behind a lock: a separate connection takes a row or table lock first, the requests are sent,
 * and the lock is released only once every pooled connection of the engine is waiting on it
 * (pg_stat_activity). No sleeps: the wait polls the server and has a deadline.
 *
 * Expected values are computed from the requests sent and the rows read before, never from the
 * engine's answers; the outcome is checked through the engine and with hand-written SQL.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { Engine } from '@app/engine';
import pg from 'pg';

import { type Conformance, type Data, FIXTURE_DIR, type GqlBody, openConformance } from './support.js';

const MUT_SQL = readFileSync(resolve(FIXTURE_DIR, 'mut.sql'), 'utf8');
const MUT_SDL = readFileSync(resolve(FIXTURE_DIR, 'mut.graphql'), 'utf8');

/** Connections of the engine's pool for the writable source. */
const POOL = 6;
const SOURCE = 'cc';
/** The pool's application_name (drivers/postgres.ts), to find its connections in pg_stat_activity. */
const APP = `muninn:${SOURCE}`;

let c: Conformance;
let engine: Engine;

beforeAll(async () => {
  c = await openConformance();
  await c.sql(MUT_SQL);
  engine = await c.engineWith(
    { name: SOURCE, readOnly: false, catalogs: [{ name: 'mut', type: 'text', path: MUT_SDL }] },
    { poolSize: POOL },
  );
});

afterAll(async () => {
  await c?.close();
});

async function run(query: string, variables?: Record<string, unknown>): Promise<GqlBody> {
  const res = await engine.execute({ query, variables: variables ?? null });
  return JSON.parse(res.body) as GqlBody;
}

async function one<T = Data>(sql: string, params: unknown[] = []): Promise<T> {
  const rows = await c.sql(sql, params);
  expect(rows).toHaveLength(1);
  return rows[0] as T;
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return (await one<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).n;
}

/** Engine connections of this database that wait for a lock. */
async function lockWaiters(): Promise<number> {
  return count(
    `pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
    [APP],
  );
}

/**
 * Takes `lockSql` in a transaction on a connection of its own, sends the requests, waits until
 * all POOL engine connections are blocked on that lock (so POOL transactions are open at once),
 * then commits, and answers the requests' bodies in the order sent.
 */
async function contended(lockSql: string, requests: () => Promise<GqlBody>[]): Promise<GqlBody[]> {
  const holder = new pg.Client({ connectionString: c.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(lockSql);
    expect(await lockWaiters()).toBe(0);
    const pending = Promise.all(requests());
    // If the wait below fails, the requests still finish once the holder goes away.
    pending.catch(() => undefined);
    const deadline = Date.now() + 30_000;
    let waiting = 0;
    while ((waiting = await lockWaiters()) < POOL) {
      if (Date.now() > deadline)
        throw new Error(`only ${waiting} of ${POOL} engine connections reached the lock in 30 s`);
    }
    expect(waiting).toBe(POOL);
    await holder.query('COMMIT');
    return await pending;
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
  }
}

function expectPoolBounded(): void {
  const stats = engine.poolStats()[SOURCE];
  expect(stats.total).toBeLessThanOrEqual(POOL);
  expect(stats.waiting).toBe(0);
}

describe('concurrent updates do not lose writes', () => {
  it('50 concurrent updates of one row: update_exp "hits + 1" counts every one (counter 1)', async () => {
    const N = 50;
    const before = await one<{ hits: number }>('SELECT hits FROM counters WHERE id = 1');
    const notes = Array.from({ length: N }, (_, i) => `note ${i}`);
    const bodies = await contended('SELECT 1 FROM counters WHERE id = 1 FOR UPDATE', () =>
      notes.map((note) =>
        run(
          'mutation ($n: String) { update_counters(filter: {id: {eq: 1}}, data: {note: $n}) { success affected_rows } }',
          { n: note },
        ),
      ),
    );
    expect(bodies).toEqual(
      notes.map(() => ({ data: { update_counters: { success: true, affected_rows: 1 } } })),
    );
    const expected = before.hits + N;
    const row = await one<{ hits: number; note: string; a: number; b: number }>(
      'SELECT hits, note, a, b FROM counters WHERE id = 1',
    );
    expect(row.hits).toBe(expected);
    expect(notes).toContain(row.note);
    expect([row.a, row.b]).toEqual([0, 0]);
    expect(await run('{ counters_by_pk(id: 1) { hits note } }')).toEqual({
      data: { counters_by_pk: { hits: expected, note: row.note } },
    });
    // The other rows were not touched.
    expect(await c.sql('SELECT id, hits FROM counters WHERE id <> 1 ORDER BY id')).toEqual([
      { id: 2, hits: 40 },
      { id: 3, hits: 0 },
    ]);
    expectPoolBounded();
  });

  it('two groups of 25 update different columns of one row: both columns keep a write of their group (counter 3)', async () => {
    const N = 50;
    // Interleaved: even requests set a, odd ones set b.
    const writes = Array.from({ length: N }, (_, i) =>
      i % 2 === 0 ? { col: 'a' as const, value: i + 1 } : { col: 'b' as const, value: 1000 + i },
    );
    const aValues = writes.filter((w) => w.col === 'a').map((w) => w.value);
    const bValues = writes.filter((w) => w.col === 'b').map((w) => w.value);
    expect(aValues).toHaveLength(25);
    expect(bValues).toHaveLength(25);
    const before = await one<{ hits: number; a: number; b: number }>(
      'SELECT hits, a, b FROM counters WHERE id = 3',
    );
    expect([before.a, before.b]).toEqual([-1, -1]);
    const bodies = await contended('SELECT 1 FROM counters WHERE id = 3 FOR UPDATE', () =>
      writes.map((w) =>
        run(
          `mutation ($v: Int!) { update_counters(filter: {id: {eq: 3}}, data: {${w.col}: $v}) { success affected_rows } }`,
          { v: w.value },
        ),
      ),
    );
    expect(bodies).toEqual(
      writes.map(() => ({ data: { update_counters: { success: true, affected_rows: 1 } } })),
    );
    const row = await one<{ hits: number; a: number; b: number; note: string | null }>(
      'SELECT hits, a, b, note FROM counters WHERE id = 3',
    );
    expect(aValues).toContain(row.a);
    expect(bValues).toContain(row.b);
    expect(row.note).toBeNull();
    // Each of the 50 updates left data.a or data.b out of hits, so update_exp ran 50 times.
    expect(row.hits).toBe(before.hits + N);
    expect(await run('{ counters_by_pk(id: 3) { a b hits } }')).toEqual({
      data: { counters_by_pk: { a: row.a, b: row.b, hits: before.hits + N } },
    });
    expectPoolBounded();
  });

  it('20 concurrent nested inserts, 3 back-relation children each: every child points to its own parent', async () => {
    const N = 20;
    const K = 3;
    const names = Array.from({ length: N }, (_, i) => `np-${i}`);
    const titles = (name: string) => Array.from({ length: K }, (_, j) => `${name}/${j}`);
    const before = {
      projects: await count('projects'),
      tasks: await count('tasks'),
    };
    const bodies = await contended('LOCK TABLE projects IN SHARE ROW EXCLUSIVE MODE', () =>
      names.map((name) =>
        run(
          `mutation ($d: projects_mut_input_data!) { insert_projects(data: $d) {
              id name tasks(order_by: [{field: "title"}]) { id project_id title } } }`,
          { d: { name, tasks: titles(name).map((title) => ({ title })) } },
        ),
      ),
    );
    const ids: number[] = [];
    bodies.forEach((body, i) => {
      expect(body.errors).toBeUndefined();
      const p = body.data?.insert_projects;
      expect(p.name).toBe(names[i]);
      expect(p.tasks.map((t: Data) => t.title)).toEqual(titles(names[i]));
      for (const t of p.tasks) expect(t.project_id).toBe(p.id);
      ids.push(p.id as number);
    });
    expect(new Set(ids).size).toBe(N);

    expect(await count('projects')).toBe(before.projects + N);
    expect(await count('tasks')).toBe(before.tasks + N * K);
    expect(await count("projects WHERE name LIKE 'np-%'")).toBe(N);
    expect(await count("tasks WHERE title LIKE 'np-%'")).toBe(N * K);
    // Every child's parent is the project its title names, and each parent has exactly K children.
    expect(
      await count(
        "tasks t JOIN projects p ON p.id = t.project_id WHERE t.title LIKE 'np-%' AND split_part(t.title, '/', 1) = p.name",
      ),
    ).toBe(N * K);
    expect(
      await c.sql(
        `SELECT p.id, p.name, count(t.id)::int AS children FROM projects p LEFT JOIN tasks t ON t.project_id = p.id
          WHERE p.name LIKE 'np-%' GROUP BY p.id, p.name ORDER BY p.id`,
      ),
    ).toEqual(names.map((name, i) => ({ id: ids[i], name, children: K })).sort((x, y) => x.id - y.id));
    expectPoolBounded();
  });

  it('requests whose last mutation fails, among successful ones: the failed leave nothing, the successful all stay (counter 2)', async () => {
    const N = 24;
    const before = await one<{ hits: number }>('SELECT hits FROM counters WHERE id = 2');
    // Interleaved: even requests fail on their last field (a foreign key), odd ones succeed.
    const reqs = Array.from({ length: N }, (_, i) => ({
      name: i % 2 === 0 ? `bad-${i}` : `good-${i}`,
      fail: i % 2 === 0,
    }));
    const good = reqs.filter((r) => !r.fail).map((r) => r.name);
    const bad = reqs.filter((r) => r.fail).map((r) => r.name);
    const bodies = await contended('LOCK TABLE projects IN SHARE ROW EXCLUSIVE MODE', () =>
      reqs.map((r) =>
        run(
          `mutation ($name: String!, $task: String!) {
              p: insert_projects(data: {name: $name, tasks: [{title: $task}]}) { id tasks { project_id } }
              u: update_counters(filter: {id: {eq: 2}}, data: {note: $name}) { success affected_rows }
              ${r.fail ? 'x: insert_tasks(data: {project_id: -1, title: $name}) { id }' : ''} }`,
          { name: r.name, task: `${r.name}/0` },
        ),
      ),
    );
    bodies.forEach((body, i) => {
      if (reqs[i].fail) {
        expect(body.errors?.length).toBeGreaterThan(0);
        for (const v of Object.values(body.data ?? {})) expect(v).toBeNull();
        const fk = body.errors?.find((e) => /tasks_project_id_fkey/.test(e.message));
        expect(fk?.path).toEqual(['x']);
        expect(body.errors?.some((e) => e.extensions?.code === 'ROLLED_BACK')).toBe(true);
      } else {
        expect(body.errors).toBeUndefined();
        const p = body.data?.p;
        expect(p.tasks).toEqual([{ project_id: p.id }]);
        expect(body.data?.u).toEqual({ success: true, affected_rows: 1 });
      }
    });

    // Failed requests: no project, no task, no counter increment.
    expect(await count('projects WHERE name = ANY($1)', [bad])).toBe(0);
    expect(await count('tasks WHERE split_part(title, $2, 1) = ANY($1)', [bad, '/'])).toBe(0);
    expect(await count('tasks WHERE project_id = -1')).toBe(0);
    // Successful requests: each project with its one task, and one increment each.
    expect(
      await c.sql(
        `SELECT p.name, array_agg(t.title ORDER BY t.title) AS tasks FROM projects p LEFT JOIN tasks t ON t.project_id = p.id
          WHERE p.name = ANY($1) GROUP BY p.name ORDER BY p.name`,
        [good],
      ),
    ).toEqual([...good].sort().map((name) => ({ name, tasks: [`${name}/0`] })));
    const row = await one<{ hits: number; note: string }>('SELECT hits, note FROM counters WHERE id = 2');
    expect(row.hits).toBe(before.hits + good.length);
    expect(good).toContain(row.note);
    expect(await run('{ counters_by_pk(id: 2) { hits note } }')).toEqual({
      data: { counters_by_pk: { hits: before.hits + good.length, note: row.note } },
    });
    expect(await run(`{ projects(filter: {name: {like: "bad-%"}}) { id } }`)).toEqual({
      data: { projects: [] },
    });
    expectPoolBounded();
  });
});
