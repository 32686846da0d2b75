/**
 * Permissions inside the engine (SPEC §7): every rule kind on every path, against real PostgreSQL.
 * Rules come from permission rows through RolePolicy (the same class the work node uses); expected
 * answers are computed with hand-written SQL on the same database.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { Engine } from '@app/engine';

import { type Identity, type PermissionRow, RolePolicy, RoleRules } from '@app/auth';
import { type Conformance, type GqlBody, FIXTURE_DIR, col, openConformance } from './support.js';

const MUT_SQL = readFileSync(resolve(FIXTURE_DIR, 'mut.sql'), 'utf8');
const MUT_SDL = readFileSync(resolve(FIXTURE_DIR, 'mut.graphql'), 'utf8');

let c: Conformance;
let rw: Engine;

beforeAll(async () => {
  c = await openConformance();
  await c.sql(MUT_SQL);
  // The mutation fixture, writable, its types prefixed `rw_` (rw_tickets, rw_projects, rw_tasks).
  rw = await c.engineWith({
    name: 'rw',
    prefix: 'rw',
    readOnly: false,
    catalogs: [{ name: 'mut', type: 'text', path: MUT_SDL }],
  });
});

afterAll(async () => {
  await c?.close();
});

const USER: Identity = {
  role: 'tester',
  userId: '1',
  userName: 'alice',
  authType: 'apikey',
  provider: 'managed-api-key',
  claims: { note: 'plain' },
  superuser: false,
};

function policy(rows: Array<Partial<PermissionRow> & { typeName: string; fieldName: string }>, who = USER) {
  const permissions = rows.map((r) => ({ hidden: false, disabled: false, filter: null, data: null, ...r }));
  return new RolePolicy(
    new RoleRules({ name: who.role, disabled: false, canImpersonate: false, permissions }),
    who,
  );
}

async function as(
  p: RolePolicy,
  query: string,
  variables?: Record<string, unknown>,
  engine = c.engine,
): Promise<GqlBody> {
  const res = await engine.execute({ query, variables: variables ?? null }, undefined, p);
  return JSON.parse(res.body) as GqlBody;
}

const codes = (b: GqlBody) => (b.errors ?? []).map((e) => e.extensions?.code);

describe('field rules: disabled, precedence, hidden', () => {
  it('a disabled field is refused wherever the caller names it: selection, filter, order_by, distinct_on, aggregation', async () => {
    const p = policy([{ typeName: 'customers', fieldName: 'email', disabled: true }]);
    const ok = await as(p, '{ customers(order_by: [{field: "id"}]) { id name } }');
    expect(ok.errors).toBeUndefined();
    expect(col(ok.data!.customers)).toEqual(col(await c.sql('SELECT id FROM customers ORDER BY id')));
    for (const q of [
      '{ customers { id email } }',
      '{ customers(filter: {email: {eq: "alice@example.com"}}) { id } }',
      '{ customers(order_by: [{field: "email"}]) { id } }',
      '{ customers(distinct_on: ["email"]) { id } }',
      '{ customers_aggregation { email { count } } }',
      '{ orders { id customer { email } } }',
      '{ orders(filter: {customer: {email: {like: "a%"}}}) { id } }',
    ]) {
      const b = await as(p, q);
      expect(codes(b)).toEqual(['FORBIDDEN']);
      expect(b.errors![0].message).toMatch(/customers\.email is not allowed for role "tester"/);
    }
  });

  it('the most specific row wins: type.field > type.* > *.field > *.*', async () => {
    const p = policy([
      { typeName: '*', fieldName: '*', disabled: true },
      { typeName: 'Query', fieldName: 'customers', disabled: false },
      { typeName: 'customers', fieldName: '*', disabled: false },
      { typeName: '*', fieldName: 'email', disabled: true },
      { typeName: 'customers', fieldName: 'note', disabled: true },
    ]);
    expect((await as(p, '{ customers { id name email } }')).errors).toBeUndefined(); // customers.* beats *.email
    expect(codes(await as(p, '{ customers { id note } }'))).toEqual(['FORBIDDEN']); // type.field beats type.*
    expect(codes(await as(p, '{ orders { id } }'))).toEqual(['FORBIDDEN']); // *.* for Query.orders
  });

  it('Mutation.* disabled (Hugr readonly role) refuses every mutation before anything runs', async () => {
    const p = policy([{ typeName: 'Mutation', fieldName: '*', disabled: true }]);
    const before = await c.sql('SELECT count(*)::int AS n FROM tickets');
    const b = await as(p, 'mutation { insert_rw_tickets(data: {title: "x"}) { id } }', undefined, rw);
    expect(codes(b)).toEqual(['FORBIDDEN']);
    expect(await c.sql('SELECT count(*)::int AS n FROM tickets')).toEqual(before);
    expect((await as(p, '{ rw_tickets { id } }', undefined, rw)).errors).toBeUndefined();
  });

  it('hidden fields are left out of introspection but can still be queried', async () => {
    const p = policy([{ typeName: 'customers', fieldName: 'note', hidden: true }]);
    const b = await as(p, '{ __type(name: "customers") { fields { name } } }');
    const names = (b.data!.__type.fields as Array<{ name: string }>).map((f) => f.name);
    expect(names).toContain('email');
    expect(names).not.toContain('note');
    const all = await as(p, '{ __schema { types { name fields { name } } } }');
    const customers = (
      all.data!.__schema.types as Array<{ name: string; fields: Array<{ name: string }> }>
    ).find((t) => t.name === 'customers')!;
    expect(customers.fields.map((f) => f.name)).not.toContain('note');
    const q = await as(p, '{ customers_by_pk(id: 1) { note } }');
    expect(q.data!.customers_by_pk.note).toBe('plain');
  });
});

describe('filters: root field rules and data-object:query on every path', () => {
  // The caller sees only the orders of customer [$auth.user_id_int] = 1.
  const own = { customer_id: { eq: '[$auth.user_id_int]' } };
  const p = () => policy([{ typeName: 'data-object:query', fieldName: 'orders', filter: own }]);

  it('lists, by-pk, aggregations and bucket aggregations read only the permitted rows', async () => {
    const ids = col(await c.sql('SELECT id FROM orders WHERE customer_id = 1 ORDER BY id'));
    expect(ids.length).toBeGreaterThan(0);
    const b = await as(
      p(),
      `{ orders(order_by: [{field: "id"}]) { id }
         orders_aggregation { _rows_count total { sum } }
         orders_bucket_aggregation { key { status } aggregations { _rows_count } } }`,
    );
    expect(b.errors).toBeUndefined();
    expect(col(b.data!.orders)).toEqual(ids);
    const [agg] = await c.sql<{ n: number; s: number }>(
      'SELECT count(*)::int AS n, sum(total)::float AS s FROM orders WHERE customer_id = 1',
    );
    expect(b.data!.orders_aggregation).toEqual({ _rows_count: agg.n, total: { sum: agg.s } });
    const buckets = await c.sql<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM orders WHERE customer_id = 1 GROUP BY status',
    );
    expect(
      (
        b.data!.orders_bucket_aggregation as Array<{
          key: { status: string };
          aggregations: { _rows_count: number };
        }>
      )
        .map((x) => [x.key.status, x.aggregations._rows_count])
        .sort(),
    ).toEqual(buckets.map((x) => [x.status, x.n]).sort());
    const [other] = await c.sql<{ id: number }>(
      'SELECT id FROM orders WHERE customer_id <> 1 ORDER BY id LIMIT 1',
    );
    const byPk = await as(
      p(),
      `{ a: orders_by_pk(id: ${ids[0]}) { id } b: orders_by_pk(id: ${other.id}) { id } }`,
    );
    expect(byPk.data).toEqual({ a: { id: ids[0] }, b: null });
  });

  it('relations both ways: the filtered back relation, the forward relation to a filtered-out row is null', async () => {
    const b = await as(
      p(),
      `{ customers(order_by: [{field: "id"}]) { id orders { id } orders_aggregation { _rows_count } } }`,
    );
    expect(b.errors).toBeUndefined();
    for (const cust of b.data!.customers as Array<{
      id: number;
      orders: Array<{ id: number }>;
      orders_aggregation: { _rows_count: number };
    }>) {
      const expected =
        cust.id === 1 ? col(await c.sql('SELECT id FROM orders WHERE customer_id = 1 ORDER BY id')) : [];
      expect(col(cust.orders).sort()).toEqual(expected);
      expect(cust.orders_aggregation._rows_count).toBe(expected.length);
    }
    // Forward: orders → customer, with customers filtered to the caller's own row.
    const q = policy([
      {
        typeName: 'data-object:query',
        fieldName: 'customers',
        filter: { id: { eq: '[$auth.user_id_int]' } },
      },
    ]);
    const f = await as(q, '{ orders(order_by: [{field: "id"}]) { id customer { id } } }');
    expect(f.errors).toBeUndefined();
    const rows = await c.sql<{ id: number; customer_id: number | null }>(
      'SELECT id, customer_id FROM orders ORDER BY id',
    );
    expect(rows.some((r) => r.customer_id !== 1 && r.customer_id !== null)).toBe(true);
    expect(f.data!.orders).toEqual(
      rows.map((r) => ({ id: r.id, customer: r.customer_id === 1 ? { id: 1 } : null })),
    );
  });

  it('relation filters see only permitted rows (no existence leak through any_of)', async () => {
    const b = await as(p(), '{ customers(filter: {orders: {any_of: {id: {gt: 0}}}}) { id } }');
    expect(col(b.data!.customers)).toEqual([1]);
  });

  it('a root field rule filters that field only; [$auth.*] values are bind parameters', async () => {
    const q = policy([
      { typeName: 'Query', fieldName: 'customers', filter: { note: { eq: '[$auth.note]' } } },
    ]);
    c.reset();
    const b = await as(q, '{ customers { id } customers_aggregation { _rows_count } }');
    expect(b.errors).toBeUndefined();
    const expected = col(await c.sql(`SELECT id FROM customers WHERE note = 'plain' ORDER BY id`));
    expect(col(b.data!.customers).sort()).toEqual(expected);
    const [{ n }] = await c.sql<{ n: number }>('SELECT count(*)::int AS n FROM customers');
    expect(b.data!.customers_aggregation._rows_count).toBe(n);
    const st = c.statements.find((s) => s.sql.includes('customers') && s.params.includes('plain'));
    expect(st).toBeDefined();
    expect(c.statements.every((s) => !s.sql.includes('plain'))).toBe(true);
  });

  it('hostile claim values stay values (injection through [$auth.*])', async () => {
    const evil = { ...USER, claims: { note: "plain' OR '1'='1" } };
    const q = policy(
      [
        {
          typeName: 'Query',
          fieldName: 'customers',
          filter: { note: { eq: '[$auth.note]' } },
        },
      ],
      evil,
    );
    const b = await as(q, '{ customers { id } }');
    expect(b.errors).toBeUndefined();
    expect(b.data!.customers).toEqual([]);
  });

  it('data-object:query disabled refuses the table on every path', async () => {
    const d = policy([{ typeName: 'data-object:query', fieldName: 'tags', disabled: true }]);
    for (const q of [
      '{ tags { name } }',
      '{ orders { id tags { name } } }',
      '{ orders(filter: {tags: {any_of: {name: {eq: "gift"}}}}) { id } }',
    ])
      expect(codes(await as(d, q))).toEqual(['FORBIDDEN']);
    expect((await as(d, '{ orders { id } }')).errors).toBeUndefined();
  });

  it('plans are cached per caller: another user gets their own rows', async () => {
    const bob = policy([{ typeName: 'data-object:query', fieldName: 'orders', filter: own }], {
      ...USER,
      userId: '2',
    });
    const q = '{ orders(order_by: [{field: "id"}]) { id } }';
    expect(col((await as(p(), q)).data!.orders)).toEqual(
      col(await c.sql('SELECT id FROM orders WHERE customer_id = 1 ORDER BY id')),
    );
    expect(col((await as(bob, q)).data!.orders)).toEqual(
      col(await c.sql('SELECT id FROM orders WHERE customer_id = 2 ORDER BY id')),
    );
  });
});

describe('mutations: stamped data, update/delete filters, nested inserts', () => {
  it('data-object:insert data is stamped over the input on every row, nested ones included; it cannot be spoofed', async () => {
    const p = policy([
      { typeName: 'data-object:insert', fieldName: 'rw_tasks', data: { title: 'by [$auth.user_name]' } },
      { typeName: 'Mutation', fieldName: 'insert_rw_projects', data: { name: 'owned-[$auth.user_id]' } },
    ]);
    const b = await as(
      p,
      `mutation { insert_rw_projects(data: {name: "spoofed", tasks: [{title: "t1"}, {title: "t2"}]}) { id name tasks { title } } }`,
      undefined,
      rw,
    );
    expect(b.errors).toBeUndefined();
    const id = b.data!.insert_rw_projects.id as number;
    expect(b.data!.insert_rw_projects.name).toBe('owned-1');
    const tasks = await c.sql<{ title: string }>('SELECT title FROM tasks WHERE project_id = $1', [id]);
    expect(tasks.map((t) => t.title)).toEqual(['by alice', 'by alice']);
  });

  it('update and delete: the permission filters are ANDed into the WHERE; stamped update data wins', async () => {
    await c.sql(
      `INSERT INTO tickets (id, title, state, priority) VALUES (9101, 'p1', 'open', 1), (9102, 'p2', 'open', 2)`,
    );
    const p = policy([
      {
        typeName: 'data-object:update',
        fieldName: 'rw_tickets',
        filter: { priority: { eq: 1 } },
        data: { state: 'reviewed' },
      },
      { typeName: 'Mutation', fieldName: 'delete_rw_tickets', filter: { priority: { eq: 2 } } },
    ]);
    const u = await as(
      p,
      'mutation { update_rw_tickets(filter: {id: {in: [9101, 9102]}}, data: {title: "x", state: "closed"}) { affected_rows } }',
      undefined,
      rw,
    );
    expect(u.data!.update_rw_tickets.affected_rows).toBe(1);
    expect(await c.sql('SELECT id, title, state FROM tickets WHERE id IN (9101, 9102) ORDER BY id')).toEqual([
      { id: 9101, title: 'x', state: 'reviewed' },
      { id: 9102, title: 'p2', state: 'open' },
    ]);
    const d = await as(
      p,
      'mutation { delete_rw_tickets(filter: {id: {in: [9101, 9102]}}) { affected_rows } }',
      undefined,
      rw,
    );
    expect(d.data!.delete_rw_tickets.affected_rows).toBe(1);
    expect(col(await c.sql('SELECT id FROM tickets WHERE id IN (9101, 9102)'))).toEqual([9101]);
  });

  it('a disabled data-object:insert refuses nested inserts too and rolls everything back', async () => {
    const p = policy([{ typeName: 'data-object:insert', fieldName: 'rw_tasks', disabled: true }]);
    const before = await c.sql(
      'SELECT (SELECT count(*) FROM projects)::int AS p, (SELECT count(*) FROM tasks)::int AS t',
    );
    const b = await as(
      p,
      'mutation { insert_rw_projects(data: {name: "n", tasks: [{title: "t"}]}) { id } }',
      undefined,
      rw,
    );
    expect(codes(b)).toEqual(['FORBIDDEN']);
    expect(b.errors![0].message).toMatch(/insert on rw_tasks is not allowed/);
    expect(
      await c.sql('SELECT (SELECT count(*) FROM projects)::int AS p, (SELECT count(*) FROM tasks)::int AS t'),
    ).toEqual(before);
  });

  it('a disabled field cannot be written', async () => {
    const p = policy([{ typeName: 'rw_tickets', fieldName: 'priority', disabled: true }]);
    const b = await as(
      p,
      'mutation { insert_rw_tickets(data: {title: "t", priority: 1}) { id } }',
      undefined,
      rw,
    );
    expect(codes(b)).toEqual(['FORBIDDEN']);
  });
});
