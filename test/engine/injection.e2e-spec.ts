/**
 * SQL injection and hostile input (SPEC §5 "no string from a request is ever spliced into SQL",
 * §12 "injection attempts in every filter operator, wrong types … each gets a clear error").
 *
 * Every filter operator and every argument gets each hostile string, once as a GraphQL literal and
 * once as a variable. An answer is acceptable when it is either data in which the hostile string was
 * treated as data (nothing matched), or GraphQL errors with a message that carries no SQL — never a
 * 5xx. Afterwards the tables still hold their rows, and no recorded statement contains a hostile
 * string (values travel as $n parameters).
 */
import { type Conformance, type GqlBody, openConformance } from './support.js';

const LONG = 'x'.repeat(50_000) + "' OR '1'='1";
const HOSTILE: string[] = [
  "'; DROP TABLE customers; --",
  '" OR 1=1 --',
  '$1',
  '\\',
  "%' OR '1'='1",
  "') OR ('x'='x",
  '$$; DROP TABLE orders; $$',
  "\\'; DELETE FROM orders; --",
  'a\u0000b',
  LONG,
  "𝕯𝕽𝕺𝕻 ☃ Иван' OR ''='",
];

/** Hostile strings distinctive enough that they must never occur inside generated SQL text. */
const MUST_NOT_APPEAR = HOSTILE.filter((h) => h.length >= 3 && !/^\$\d+$/.test(h));

let c: Conformance;

beforeAll(async () => {
  c = await openConformance();
});

afterAll(async () => {
  await c?.close();
});

/** A GraphQL string literal for any string (JSON string escapes are valid GraphQL escapes). */
const lit = (s: string) => JSON.stringify(s);

type Expect =
  | 'empty' // data: the list is []
  | 'null' // data: the object is null
  | 'error' // must be a GraphQL error
  | 'error-naming' // must be a GraphQL error whose message names the hostile value
  | { rows: number }; // data: the list has this many rows

interface Case {
  name: string;
  /** GraphQL type of the variable `$v` (variable mode); null = literal mode only. */
  varType: string | null;
  /** Builds the selection; `v` is a literal or `$v`. */
  query: (v: string) => string;
  expect: Expect;
  /** Variable value built from the hostile string (default: the string itself). */
  value?: (h: string) => unknown;
  /** Literal mode is skipped (e.g. a JSON object key cannot be written as a literal). */
  varOnly?: boolean;
}

const ord = '[{field: "id"}]';
const cases: Case[] = [
  // String operators
  ...['eq', 'like', 'ilike', 'regex'].map<Case>((op) => ({
    name: `String ${op}`,
    varType: 'String',
    query: (v) => `customers(filter: {name: {${op}: ${v}}}, order_by: ${ord}) { id }`,
    expect: 'empty',
  })),
  {
    name: 'String in',
    varType: 'String!',
    query: (v) => `orders(filter: {status: {in: [${v}, "nope"]}}) { id }`,
    expect: 'empty',
  },
  {
    name: 'String is_null (wrong type)',
    varType: 'Boolean',
    query: (v) => `customers(filter: {email: {is_null: ${v}}}) { id }`,
    expect: 'error',
  },
  // Numbers, dates, booleans: a string is the wrong type
  ...['eq', 'gt', 'gte', 'lt', 'lte'].map<Case>((op) => ({
    name: `Int ${op} (wrong type)`,
    varType: 'Int',
    query: (v) => `orders(filter: {qty: {${op}: ${v}}}) { id }`,
    expect: 'error',
  })),
  {
    name: 'Int in (wrong type)',
    varType: 'Int!',
    query: (v) => `orders(filter: {qty: {in: [${v}]}}) { id }`,
    expect: 'error',
  },
  ...['eq', 'gt', 'in'].map<Case>((op) => ({
    name: `BigInt ${op} (wrong type)`,
    varType: 'BigInt',
    query: (v) => `customers(filter: {big: {${op}: ${op === 'in' ? `[${v}]` : v}}}) { id }`,
    expect: 'error',
  })),
  ...['eq', 'ne', 'lt', 'in'].map<Case>((op) => ({
    name: `Float ${op} (wrong type)`,
    varType: 'Float',
    query: (v) => `orders(filter: {total: {${op}: ${op === 'in' ? `[${v}]` : v}}}) { id }`,
    expect: 'error',
  })),
  ...['eq', 'gt', 'lte', 'in'].map<Case>((op) => ({
    name: `Date ${op} (not a date)`,
    varType: 'Date',
    query: (v) => `customers(filter: {born: {${op}: ${op === 'in' ? `[${v}]` : v}}}) { id }`,
    expect: 'error',
  })),
  ...['eq', 'gt', 'lt'].map<Case>((op) => ({
    name: `Timestamp ${op} (not a timestamp)`,
    varType: 'Timestamp',
    query: (v) => `orders(filter: {created_at: {${op}: ${v}}}) { id }`,
    expect: 'error',
  })),
  {
    name: 'Boolean eq (wrong type)',
    varType: 'Boolean',
    query: (v) => `customers(filter: {active: {eq: ${v}}}) { id }`,
    expect: 'error',
  },
  // JSON operators: a string is a valid JSON value that matches nothing
  ...['eq', 'contains'].map<Case>((op) => ({
    name: `JSON ${op} (a JSON string)`,
    varType: 'JSON',
    query: (v) => `customers(filter: {attrs: {${op}: ${v}}}) { id }`,
    expect: 'empty',
  })),
  {
    name: 'JSON contains (hostile key and value)',
    varType: 'JSON',
    query: (v) => `customers(filter: {attrs: {contains: ${v}}}) { id }`,
    value: (h) => ({ [h]: h, nested: { [h]: [h] } }),
    varOnly: true,
    expect: 'empty',
  },
  {
    name: 'JSON has',
    varType: 'String',
    query: (v) => `customers(filter: {attrs: {has: ${v}}}) { id }`,
    expect: 'empty',
  },
  {
    name: 'JSON has_all',
    varType: 'String!',
    query: (v) => `customers(filter: {attrs: {has_all: ["tier", ${v}]}}) { id }`,
    expect: 'empty',
  },
  // Logic and relations
  {
    name: '_or',
    varType: 'String',
    query: (v) => `orders(filter: {_or: [{status: {eq: ${v}}}, {status: {like: ${v}}}]}) { id }`,
    expect: 'empty',
  },
  {
    name: '_not (every row matches)',
    varType: 'String',
    query: (v) => `orders(filter: {_not: {status: {eq: ${v}}}}) { id }`,
    expect: { rows: 8 },
  },
  {
    name: 'forward relation filter',
    varType: 'String',
    query: (v) => `orders(filter: {customer: {name: {eq: ${v}}}}) { id }`,
    expect: 'empty',
  },
  {
    name: 'back relation any_of',
    varType: 'String',
    query: (v) => `customers(filter: {orders: {any_of: {status: {eq: ${v}}}}}) { id }`,
    expect: 'empty',
  },
  {
    name: 'back relation none_of (every customer matches)',
    varType: 'String',
    query: (v) => `customers(filter: {orders: {none_of: {status: {like: ${v}}}}}) { id }`,
    expect: { rows: 5 },
  },
  {
    name: 'back relation all_of (with any_of)',
    varType: 'String',
    query: (v) => `customers(filter: {orders: {any_of: {id: {gt: 0}}, all_of: {status: {eq: ${v}}}}}) { id }`,
    expect: 'empty',
  },
  {
    name: 'm2m relation any_of',
    varType: 'String',
    query: (v) => `orders(filter: {tags: {any_of: {name: {eq: ${v}}}}}) { id }`,
    expect: 'empty',
  },
  {
    name: 'm2m relation none_of (every tag matches)',
    varType: 'String',
    query: (v) => `tags(filter: {orders: {none_of: {status: {regex: ${v}}}}}) { name }`,
    expect: { rows: 4 },
  },
  {
    name: 'relation field filter',
    varType: 'String',
    query: (v) => `customers_by_pk(id: 1) { orders(filter: {status: {eq: ${v}}}) { id } }`,
    expect: 'empty',
  },
  // Arguments
  {
    name: 'limit (wrong type)',
    varType: 'Int',
    query: (v) => `orders(limit: ${v}) { id }`,
    expect: 'error',
  },
  {
    name: 'offset (wrong type)',
    varType: 'Int',
    query: (v) => `orders(offset: ${v}) { id }`,
    expect: 'error',
  },
  {
    name: 'nested_limit (wrong type)',
    varType: 'Int',
    query: (v) => `customers { orders(nested_limit: ${v}) { id } }`,
    expect: 'error',
  },
  {
    name: 'order_by field name',
    varType: 'String!',
    query: (v) => `orders(order_by: [{field: ${v}}]) { id }`,
    expect: 'error-naming',
  },
  {
    name: 'order_by dotted path',
    varType: 'String!',
    query: (v) => `orders(order_by: [{field: "customer.name"}, {field: ${v}, direction: DESC}]) { id }`,
    expect: 'error',
  },
  {
    name: 'order_by as a whole variable',
    varType: '[OrderByField]',
    query: (v) => `orders(order_by: ${v}) { id }`,
    value: (h) => [{ field: h, direction: 'DESC' }],
    varOnly: true,
    expect: 'error-naming',
  },
  {
    name: 'order_by direction (not an enum value)',
    varType: '[OrderByField]',
    query: (v) => `orders(order_by: ${v}) { id }`,
    value: (h) => [{ field: 'id', direction: h }],
    varOnly: true,
    expect: 'error',
  },
  {
    name: 'order_by on a relation field',
    varType: 'String!',
    query: (v) => `customers { orders(order_by: [{field: ${v}}]) { id } }`,
    expect: 'error',
  },
  {
    name: 'nested_order_by on a relation field',
    varType: 'String!',
    query: (v) => `customers { orders(nested_order_by: [{field: ${v}}]) { id } }`,
    expect: 'error',
  },
  {
    name: 'distinct_on field name',
    varType: 'String!',
    query: (v) => `orders(distinct_on: [${v}]) { id }`,
    expect: 'error-naming',
  },
  {
    name: 'view args (string arg)',
    varType: 'String!',
    query: (v) => `orders_by_status(args: {status: ${v}}) { id }`,
    expect: 'empty',
  },
  {
    name: 'view args (whole args object)',
    varType: 'orders_by_status_args!',
    query: (v) => `orders_by_status(args: ${v}) { id }`,
    value: (h) => ({ status: h }),
    varOnly: true,
    expect: 'empty',
  },
  {
    name: 'view args (numeric arg, wrong type)',
    varType: 'Float',
    query: (v) => `orders_by_status(args: {status: "paid", min_total: ${v}}) { id }`,
    expect: 'error',
  },
  {
    name: 'by_pk Int key (wrong type)',
    varType: 'Int!',
    query: (v) => `orders_by_pk(id: ${v}) { id }`,
    expect: 'error',
  },
  {
    name: 'by_pk text key',
    varType: 'String!',
    query: (v) => `tags_by_pk(name: ${v}) { name }`,
    expect: 'null',
  },
  {
    name: 'by_unique',
    varType: 'String!',
    query: (v) => `customers_by_email(email: ${v}) { id }`,
    expect: 'null',
  },
];

/** Removes the hostile value (raw or JSON-escaped) from a message, so only the engine's own words remain. */
function strip(message: string, hostile: string): string {
  let out = message;
  for (const form of [hostile, JSON.stringify(hostile).slice(1, -1)]) {
    if (form.length > 0) out = out.split(form).join('<value>');
  }
  return out;
}

const SQL_TEXT =
  /\bselect\b[\s\S]*\bfrom\b|json_build_object|json_agg|jsonb_build_object|\blateral\b|\$\d|syntax error at or near|\n\s+at /i;

/** Returns a list of problems with one answer (empty when acceptable). */
function judge(kase: Case, hostile: string, status: number, body: GqlBody): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}`);
  if (body.errors && body.errors.length > 0) {
    for (const e of body.errors) {
      if (typeof e.message !== 'string' || e.message.trim() === '')
        problems.push('an error without a message');
      else if (SQL_TEXT.test(strip(e.message, hostile)))
        problems.push(`SQL text in the message: ${e.message.slice(0, 200)}`);
    }
    if (kase.expect === 'error-naming' && hostile.length < 200 && !hostile.includes('\u0000')) {
      const msg = body.errors.map((e) => e.message).join('\n');
      if (!msg.includes(hostile) && !msg.includes(JSON.stringify(hostile).slice(1, -1)))
        problems.push(`the error does not name the field: ${msg.slice(0, 200)}`);
    }
    return problems;
  }
  if (kase.expect === 'error' || kase.expect === 'error-naming') {
    problems.push(`expected an error, got data ${JSON.stringify(body.data).slice(0, 200)}`);
    return problems;
  }
  const values = Object.values(body.data ?? {});
  if (values.length !== 1) return [...problems, `unexpected data ${JSON.stringify(body.data).slice(0, 200)}`];
  let value = values[0];
  // customers_by_pk(id: 1) { orders(...) } → the relation list
  if (value && !Array.isArray(value) && typeof value === 'object' && 'orders' in value) value = value.orders;
  if (kase.expect === 'empty' && !(Array.isArray(value) && value.length === 0))
    problems.push(`expected [], got ${JSON.stringify(value).slice(0, 200)}`);
  if (kase.expect === 'null' && value !== null)
    problems.push(`expected null, got ${JSON.stringify(value).slice(0, 200)}`);
  if (typeof kase.expect === 'object' && !(Array.isArray(value) && value.length === kase.expect.rows))
    problems.push(`expected ${kase.expect.rows} rows, got ${JSON.stringify(value).slice(0, 200)}`);
  return problems;
}

const short = (h: string) => JSON.stringify(h.length > 40 ? `${h.slice(0, 20)}…(${h.length})` : h);

async function attack(kase: Case, mode: 'literal' | 'variable'): Promise<string[]> {
  const problems: string[] = [];
  for (const hostile of HOSTILE) {
    const { query, variables } =
      mode === 'literal'
        ? { query: `{ ${kase.query(lit(hostile))} }`, variables: null }
        : {
            query: `query ($v: ${kase.varType}) { ${kase.query('$v')} }`,
            variables: { v: kase.value ? kase.value(hostile) : hostile },
          };
    const { status, body } = await c.request(query, variables);
    for (const p of judge(kase, hostile, status, body)) problems.push(`${short(hostile)}: ${p}`);
  }
  return problems;
}

describe('hostile values as literals', () => {
  it.each(cases.filter((k) => !k.varOnly).map((k) => [k.name, k] as const))('%s', async (_name, kase) => {
    expect(await attack(kase, 'literal')).toEqual([]);
  });
});

describe('hostile values as variables', () => {
  it.each(cases.filter((k) => k.varType).map((k) => [k.name, k] as const))('%s', async (_name, kase) => {
    expect(await attack(kase, 'variable')).toEqual([]);
  });
});

describe('other hostile input', () => {
  it('a hostile string equal to a bound value reaches SQL as a parameter', async () => {
    c.reset();
    const hostile = "'; DROP TABLE customers; --";
    const body = await c.run('query ($v: String) { customers(filter: {name: {eq: $v}}) { id } }', {
      v: hostile,
    });
    expect(body).toEqual({ data: { customers: [] } });
    expect(c.statements).toHaveLength(1);
    expect(c.statements[0].params).toContain(hostile);
    expect(c.statements[0].sql).not.toContain('DROP');
  });

  it('limit/offset out of range: data or a clear error, never a 5xx', async () => {
    for (const args of ['limit: -1', 'offset: -5', 'limit: 2147483647', 'offset: 2147483647', 'limit: 1.5']) {
      const { status, body } = await c.request(`{ orders(${args}) { id } }`);
      expect([args, status < 500]).toEqual([args, true]);
      for (const e of body.errors ?? [])
        expect([args, e.message]).not.toEqual([args, expect.stringMatching(SQL_TEXT)]);
      if (!body.errors) expect(Array.isArray(body.data?.orders)).toBe(true);
    }
  });

  it('a hostile operationName', async () => {
    for (const hostile of HOSTILE) {
      const { status, body } = await c.request('query A { orders_by_pk(id: 1) { id } }', null, hostile);
      expect(status).toBeLessThan(500);
      expect(body.errors?.length).toBeGreaterThan(0);
      for (const e of body.errors ?? []) expect(strip(e.message, hostile)).not.toMatch(SQL_TEXT);
    }
  });

  it('hostile variable names and unknown variables are ignored or rejected cleanly', async () => {
    const { status, body } = await c.request('{ orders_by_pk(id: 1) { id } }', {
      "'; DROP TABLE orders; --": 1,
      v: "'; DROP TABLE orders; --",
    });
    expect(status).toBeLessThan(500);
    if (!body.errors) expect(body.data).toEqual({ orders_by_pk: { id: 1 } });
  });
});

describe('after the attack', () => {
  it('every table still has its rows', async () => {
    const counts = await c.sql<{ t: string; n: number }>(
      `SELECT 'customers' AS t, count(*)::int AS n FROM customers UNION ALL
       SELECT 'orders', count(*)::int FROM orders UNION ALL
       SELECT 'tags', count(*)::int FROM tags UNION ALL
       SELECT 'order_tags', count(*)::int FROM order_tags UNION ALL
       SELECT 'products', count(*)::int FROM products`,
    );
    expect(Object.fromEntries(counts.map((r) => [r.t, r.n]))).toEqual({
      customers: 5,
      orders: 8,
      tags: 4,
      order_tags: 6,
      products: 3,
    });
  });

  it('no statement ever contained a hostile string (values went as $n parameters)', () => {
    expect(c.allStatements.length).toBeGreaterThan(50);
    const offending: string[] = [];
    for (const st of c.allStatements) {
      if (st.sql.includes('\u0000')) offending.push(`NUL byte in: ${st.sql.slice(0, 200)}`);
      for (const h of MUST_NOT_APPEAR)
        if (st.sql.includes(h)) offending.push(`${short(h)} in: ${st.sql.slice(0, 200)}`);
    }
    expect(offending).toEqual([]);
  });

  it('the engine still answers correctly', async () => {
    expect(
      await c.run('{ orders(filter: {status: {eq: "paid"}}, order_by: [{field: "id"}]) { id } }'),
    ).toEqual({
      data: { orders: [{ id: 1 }, { id: 3 }, { id: 7 }] },
    });
  });
});
