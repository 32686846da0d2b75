/**
 * The bad-input corpus of the drills: malformed bodies, wrong media types, huge and deep
 * requests, and hostile strings in every kind of argument of the conformance fixture's API.
 */

/** What a case must get back, beyond "no 5xx, no internals". */
export type Expectation =
  /** HTTP 4xx. */
  | 'rejected'
  /** HTTP 200 with `errors`, each with a message and an `extensions.code`. */
  | 'graphql-error'
  /** HTTP 200: `data`, or `errors` each with a code (a hostile value is a plain value). */
  | 'answered'
  /** Any status below 500. */
  | 'any';

export interface BadInput {
  name: string;
  expect: Expectation;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path?: string;
  /** null: no content-type header. */
  contentType?: string | null;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Send without the admin key (the case sets its own credential headers, or none). */
  anonymous?: boolean;
  /** The answer need not be JSON (nginx's own 400 for an oversized header is HTML). */
  notJson?: boolean;
}

export const HOSTILE: readonly string[] = [
  "'; DROP TABLE customers; --",
  "1' OR '1'='1",
  '" OR ""="',
  'x\u0000y',
  '%_\\%',
  '$1 $2',
  '[$status]',
  '[full_name]',
  '__proto__',
  'constructor',
  '😀\u202e\ufeff',
  '\ud800',
  'x'.repeat(100_000),
];

const json = (query: string, variables?: unknown, operationName?: string) =>
  JSON.stringify({ query, variables, operationName });

/** Hostile string `h` in every kind of argument, as a literal and as a variable. */
function argumentCases(h: string, label: string): BadInput[] {
  const lit = JSON.stringify(h);
  const q = (name: string, query: string, expect: Expectation): BadInput => ({
    name: `${label} ${name}`,
    expect,
    body: json(query),
  });
  const v = (name: string, query: string, variables: unknown, expect: Expectation): BadInput => ({
    name: `${label} variable ${name}`,
    expect,
    body: json(query, variables),
  });
  const cases: BadInput[] = [];
  for (const op of ['eq', 'like', 'ilike', 'regex'])
    cases.push(q(`String ${op}`, `{ customers(filter: {name: {${op}: ${lit}}}) { id } }`, 'answered'));
  cases.push(
    q('String in', `{ customers(filter: {name: {in: [${lit}, "x"]}}) { id } }`, 'answered'),
    q('String is_null', `{ customers(filter: {name: {is_null: ${lit}}}) { id } }`, 'graphql-error'),
    q('@sql field eq', `{ customers(filter: {upper_name: {eq: ${lit}}}) { id } }`, 'answered'),
    q('@unique lookup', `{ customers_by_email(email: ${lit}) { id } }`, 'answered'),
    q('primary key', `{ customers_by_pk(id: ${lit}) { id } }`, 'graphql-error'),
  );
  for (const op of ['eq', 'gt', 'gte', 'lt', 'lte'])
    cases.push(q(`Int ${op}`, `{ customers(filter: {id: {${op}: ${lit}}}) { id } }`, 'graphql-error'));
  cases.push(
    q('Int in', `{ customers(filter: {id: {in: [${lit}]}}) { id } }`, 'graphql-error'),
    q('Float ne', `{ customers(filter: {score: {ne: ${lit}}}) { id } }`, 'graphql-error'),
    q('BigInt eq', `{ customers(filter: {big: {eq: ${lit}}}) { id } }`, 'answered'),
    q('Boolean eq', `{ customers(filter: {active: {eq: ${lit}}}) { id } }`, 'graphql-error'),
  );
  for (const op of ['eq', 'gt', 'lte'])
    cases.push(
      q(`Date ${op}`, `{ customers(filter: {born: {${op}: ${lit}}}) { id } }`, 'graphql-error'),
      q(`Timestamp ${op}`, `{ customers(filter: {created_at: {${op}: ${lit}}}) { id } }`, 'graphql-error'),
    );
  cases.push(
    q('JSON eq', `{ customers(filter: {attrs: {eq: ${lit}}}) { id } }`, 'answered'),
    q('JSON has', `{ customers(filter: {attrs: {has: ${lit}}}) { id } }`, 'answered'),
    q('JSON has_all', `{ customers(filter: {attrs: {has_all: [${lit}]}}) { id } }`, 'answered'),
    q('JSON contains', `{ customers(filter: {attrs: {contains: {k: ${lit}}}}) { id } }`, 'answered'),
    q('forward relation', `{ orders(filter: {customer: {name: {eq: ${lit}}}}) { id } }`, 'answered'),
    q('any_of', `{ customers(filter: {orders: {any_of: {status: {eq: ${lit}}}}}) { id } }`, 'answered'),
    q('all_of', `{ customers(filter: {orders: {all_of: {status: {like: ${lit}}}}}) { id } }`, 'answered'),
    q('none_of', `{ customers(filter: {orders: {none_of: {status: {ilike: ${lit}}}}}) { id } }`, 'answered'),
    q(
      '_and/_or/_not',
      `{ customers(filter: {_or: [{name: {eq: ${lit}}}, {_not: {note: {eq: ${lit}}}}], _and: [{email: {like: ${lit}}}]}) { id } }`,
      'answered',
    ),
    q('order_by field', `{ customers(order_by: [{field: ${lit}}]) { id } }`, 'graphql-error'),
    q(
      'order_by direction',
      `{ customers(order_by: [{field: "id", direction: ${lit}}]) { id } }`,
      'graphql-error',
    ),
    q('distinct_on', `{ customers(distinct_on: [${lit}]) { id } }`, 'graphql-error'),
    q('limit', `{ customers(limit: ${lit}) { id } }`, 'graphql-error'),
    q('offset', `{ customers(offset: ${lit}) { id } }`, 'graphql-error'),
    q('view argument', `{ orders_by_status(args: {status: ${lit}}) { id } }`, 'answered'),
    q(
      'view Float argument',
      `{ orders_by_status(args: {status: "paid", min_total: ${lit}}) { id } }`,
      'graphql-error',
    ),
    q('relation filter', `{ customers { orders(filter: {status: {like: ${lit}}}) { id } } }`, 'answered'),
    q(
      'nested_order_by',
      `{ customers { orders(nested_order_by: [{field: ${lit}}]) { id } } }`,
      'graphql-error',
    ),
    q(
      'aggregation filter',
      `{ customers_aggregation(filter: {name: {eq: ${lit}}}) { _rows_count } }`,
      'answered',
    ),
    q('module field filter', `{ catalog { products(filter: {sku: {eq: ${lit}}}) { id } } }`, 'answered'),
    {
      name: `${label} operationName`,
      expect: 'any',
      body: json('query A { customers { id } }', undefined, h),
    },
    v('String eq', 'query ($v: String) { customers(filter: {name: {eq: $v}}) { id } }', { v: h }, 'answered'),
    v(
      'String in',
      'query ($v: [String]) { customers(filter: {name: {in: $v}}) { id } }',
      { v: [h, h] },
      'answered',
    ),
    v('Int limit', 'query ($v: Int) { customers(limit: $v) { id } }', { v: h }, 'graphql-error'),
    v(
      'Timestamp',
      'query ($v: Timestamp) { customers(filter: {created_at: {gt: $v}}) { id } }',
      { v: h },
      'graphql-error',
    ),
    v('Date', 'query ($v: Date) { customers(filter: {born: {lt: $v}}) { id } }', { v: h }, 'graphql-error'),
    v(
      'JSON contains',
      'query ($v: JSON) { customers(filter: {attrs: {contains: $v}}) { id } }',
      { v: { [h]: h } },
      // A "__proto__" key anywhere in the body is refused by the JSON parser (400).
      h === '__proto__' ? 'rejected' : 'answered',
    ),
    v(
      'order_by',
      'query ($o: [OrderByField]) { customers(order_by: $o) { id } }',
      { o: [{ field: h }] },
      'graphql-error',
    ),
    v(
      'view argument',
      'query ($v: String!) { orders_by_status(args: {status: $v}) { id } }',
      { v: h },
      'answered',
    ),
  );
  return cases;
}

function nested(levels: number): string {
  // customers → orders → customer → orders … (a valid path, so only the depth limit refuses it).
  let inner = 'id';
  for (let i = levels - 1; i >= 1; i--) inner = `${i % 2 === 1 ? 'orders' : 'customer'} { ${inner} }`;
  return `{ customers { ${inner} } }`;
}

export function corpus(): BadInput[] {
  const ok = '{ customers { id } }';
  const cases: BadInput[] = [
    // Malformed JSON and wrong shapes.
    ...['{"query": ', '{', 'nul', '{"query": "{ customers { id } }",}', `{"query": "${ok}"} trailing`].map(
      (body, i): BadInput => ({ name: `malformed JSON ${i + 1}`, expect: 'rejected', body }),
    ),
    { name: 'empty body', expect: 'rejected', body: '' },
    ...['[]', `[{"query": "${ok}"}]`, '"text"', '123', 'null', '{"query": 42}', '{"query": null}', '{}'].map(
      (body): BadInput => ({ name: `not a request object: ${body.slice(0, 20)}`, expect: 'rejected', body }),
    ),
    { name: 'variables not an object', expect: 'rejected', body: json(ok, 'x') },
    { name: 'variables an array', expect: 'rejected', body: json(ok, [1]) },
    {
      name: '__proto__ in the body',
      expect: 'rejected',
      body: `{"__proto__": {"admin": true}, "query": "${ok}"}`,
    },
    {
      name: 'constructor.prototype in the body',
      expect: 'rejected',
      body: `{"constructor": {"prototype": {"admin": true}}, "query": "${ok}"}`,
    },
    {
      name: '__proto__ in variables',
      expect: 'rejected',
      body: `{"query": "query ($v: JSON) { customers(filter: {attrs: {contains: $v}}) { id } }", "variables": {"v": {"__proto__": {"a": 1}}}}`,
    },
    // Size, depth, breadth.
    {
      name: '5 MB body',
      expect: 'rejected',
      body: json(`{ customers(filter: {name: {eq: "${'x'.repeat(5_000_000)}"}}) { id } }`),
    },
    {
      name: '900 kB string literal',
      expect: 'answered',
      body: json(`{ customers(filter: {name: {eq: "${'x'.repeat(900_000)}"}}) { id } }`),
    },
    { name: 'depth 50', expect: 'graphql-error', body: json(nested(50)) },
    {
      name: '10k aliases of __typename',
      expect: 'answered',
      body: json(`{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`),
    },
    {
      name: '10k aliases of a data field (over MAX_ROOT_FIELDS)',
      expect: 'graphql-error',
      body: json(
        `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: customers_by_pk(id: 1) { id }`).join(' ')} }`,
      ),
    },
    {
      name: '2k nested list literal',
      expect: 'any',
      body: json(`{ customers(filter: {name: {in: ${'['.repeat(2000)}"x"${']'.repeat(2000)}}}) { id } }`),
    },
    {
      name: '5k nested JSON variable',
      expect: 'any',
      body: `{"query": "query ($v: JSON) { customers(filter: {attrs: {contains: $v}}) { id } }", "variables": {"v": ${'['.repeat(5000)}1${']'.repeat(5000)}}}`,
    },
    {
      name: '5k variable definitions',
      expect: 'any',
      body: json(
        `query (${Array.from({ length: 5000 }, (_, i) => `$v${i}: Int`).join(', ')}) { customers { id } }`,
      ),
    },
    { name: 'fragment cycle', expect: 'graphql-error', body: json('{ ...A } fragment A on Query { ...A }') },
    { name: 'unknown field', expect: 'graphql-error', body: json('{ customers { password } }') },
    {
      name: 'mutation on a read-only source',
      expect: 'graphql-error',
      body: json('mutation { insert_customers(data: {id: 99, name: "x"}) { id } }'),
    },
    { name: 'subscription', expect: 'graphql-error', body: json('subscription { customers { id } }') },
    {
      name: '@skip with a string',
      expect: 'graphql-error',
      body: json('{ customers @skip(if: "yes") { id } }'),
    },
    { name: 'negative cache ttl', expect: 'any', body: json('{ customers @cache(ttl: -1) { id } }') },
    // Media types and encodings.
    { name: 'text/plain', expect: 'rejected', contentType: 'text/plain', body: ok },
    { name: 'application/xml', expect: 'rejected', contentType: 'application/xml', body: '<query/>' },
    { name: 'application/graphql', expect: 'any', contentType: 'application/graphql', body: ok },
    {
      name: 'multipart/form-data',
      expect: 'rejected',
      contentType: 'multipart/form-data; boundary=x',
      body: '--x\r\n\r\n--x--',
    },
    {
      name: 'form-urlencoded',
      expect: 'any',
      contentType: 'application/x-www-form-urlencoded',
      body: `query=${encodeURIComponent(ok)}`,
    },
    { name: 'no content-type', expect: 'any', contentType: null, body: json(ok) },
    {
      name: 'JSON, charset latin1',
      expect: 'any',
      contentType: 'application/json; charset=latin1',
      body: json(ok),
    },
    {
      name: 'invalid UTF-8 inside a string',
      expect: 'any',
      body: Buffer.concat([
        Buffer.from('{"query": "{ customers(filter: {name: {eq: \\"'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('\\"}}) { id } }"}'),
      ]),
    },
    {
      name: 'invalid UTF-8 outside strings',
      expect: 'rejected',
      body: Buffer.concat([
        Buffer.from('{"query": "{ customers { id } }"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('}'),
      ]),
    },
    { name: 'UTF-16 body', expect: 'rejected', body: Buffer.from(`\ufeff${json(ok)}`, 'utf16le') },
    // GET, methods, paths.
    {
      name: 'GET with a hostile query',
      expect: 'any',
      method: 'GET',
      path: `/query?query=${encodeURIComponent("'; DROP TABLE customers; --")}`,
    },
    {
      name: 'GET with bad variables',
      expect: 'rejected',
      method: 'GET',
      path: `/query?query=${encodeURIComponent(ok)}&variables=%7Bnope`,
    },
    { name: 'PUT /query', expect: 'rejected', method: 'PUT', body: json(ok) },
    { name: 'DELETE /query', expect: 'rejected', method: 'DELETE' },
    { name: 'PATCH /query', expect: 'rejected', method: 'PATCH', body: json(ok) },
    { name: 'path traversal', expect: 'rejected', method: 'GET', path: '/../../etc/passwd' },
    {
      name: 'cluster endpoint through the proxy',
      expect: 'rejected',
      path: '/cluster/v1/nodes',
      body: '{"name": "evil", "url": "http://evil"}',
    },
    {
      name: 'cluster sync through the proxy',
      expect: 'rejected',
      path: '/cluster/v1/sync',
      body: '{"schemaVersion": 1}',
    },
    { name: 'metrics through the proxy', expect: 'rejected', method: 'GET', path: '/metrics' },
    // Credentials.
    { name: 'no credentials', expect: 'rejected', anonymous: true, body: json(ok) },
    {
      name: 'wrong secret key',
      expect: 'rejected',
      anonymous: true,
      headers: { 'x-hugr-secret-key': 'nope' },
      body: json(ok),
    },
    {
      name: 'hostile secret key',
      expect: 'rejected',
      anonymous: true,
      headers: { 'x-hugr-secret-key': "' OR 1=1 --" },
      body: json(ok),
    },
    {
      name: 'hostile API key',
      expect: 'rejected',
      anonymous: true,
      headers: { 'x-hugr-api-key': "'; DROP TABLE api_keys; --" },
      body: json(ok),
    },
    {
      name: 'garbage bearer token',
      expect: 'rejected',
      anonymous: true,
      headers: { authorization: 'Bearer a.b.c' },
      body: json(ok),
    },
    {
      name: 'hostile role header',
      expect: 'any',
      headers: { 'x-hugr-role': "'; DROP TABLE roles; --" },
      body: json(ok),
    },
    {
      name: 'hostile impersonated role',
      expect: 'any',
      headers: { 'x-hugr-impersonated-role': "'; DROP TABLE roles; --" },
      body: json(ok),
    },
    {
      name: '16 kB header',
      expect: 'rejected',
      notJson: true,
      headers: { 'x-filler': 'x'.repeat(16_384) },
      body: json(ok),
    },
  ];
  HOSTILE.forEach((h, i) => cases.push(...argumentCases(h, `hostile #${i + 1}`)));
  return cases;
}
