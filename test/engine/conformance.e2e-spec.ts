/**
 * Conformance of the query engine to SPEC §4–§5 and docs/query-language.md, on the fixture in
 * fixture/conf.sql + fixture/conf.graphql.
 *
 * Every expected answer below is a literal worked out by hand from conf.sql. Filter and ordering
 * cases also carry a hand-written SQL query that is run with `pg` on the same database, so a wrong
 * hand derivation fails on the SQL check (before the engine is even asked).
 *
 * Fixture at a glance (id: values):
 *   customers  id name            email             born        score big         active created_at                   note
 *              1  Alice Adams     alice@example.com 1990-05-17  4.5   3000000000  true   2024-01-15T10:00:00Z         plain
 *              2  Bob O'Brien     bob@example.com   1985-12-01  3.25  42          false  2024-02-01T08:30:00.123456Z  100% sure_thing
 *              3  Chloé Dubois    chloe@example.com null        null  null        true   2024-03-10T12:00:00.789Z     say "hi" \ back
 *              4  Dmitri Иванов   null              2000-02-29  0     2147483648  null   null                         null
 *              5  Eve 😀 Zed      eve@example.com   1970-01-01  5     -5          false  2024-05-05T00:00:00Z         under_score
 *   orders     id cust status    total  qty created_at                   shipped_on  tags
 *              1  1    paid      120.50 2   2024-03-01T09:00:00Z         2024-03-03  gift, rush
 *              2  1    shipped    35.00 1   2024-03-02T10:15:30Z         2024-03-05  -
 *              3  2    paid      250.00 5   2024-03-05T14:00:00.789Z     null        bulk, rush
 *              4  2    cancelled  99.99 null 2024-03-07T08:00:00Z        null        -
 *              5  3    new       100.00 3   2024-03-09T18:45:00Z         null        -
 *              6  3    shipped   480.25 10  2024-03-10T11:11:11.123456Z  2024-03-12  gift
 *              7  4    paid       15.75 1   null                         null        -
 *              8  null new        60.00 2   2024-03-12T07:30:00Z         null        rush
 *   tags       bulk, gift, rush, vip (vip: no orders)
 */
import { type Conformance, type Data, col, itUnless, openConformance } from './support.js';

let c: Conformance;

beforeAll(async () => {
  c = await openConformance();
});

afterAll(async () => {
  await c?.close();
});

const ids = (xs: number[]) => xs.map((id) => ({ id }));
const names = (xs: string[]) => xs.map((name) => ({ name }));

async function expectData(query: string, expected: Data, variables?: Record<string, unknown>): Promise<void> {
  expect(await c.run(query, variables)).toEqual({ data: expected });
}

async function expectSql(sql: string, expected: unknown[], key = 'id'): Promise<void> {
  expect(col(await c.sql(sql), key)).toEqual(expected);
}

/** SQL words that only appear in generated statements; an error message must carry none of them. */
function expectNoSqlText(message: string): void {
  expect(message).not.toMatch(
    /\bselect\b[\s\S]*\bfrom\b|json_build_object|json_agg|jsonb_build_object|lateral|\$\d/i,
  );
}

type FilterCase = [label: string, filter: string, expected: (number | string)[], sqlWhere: string];

async function checkFilter(table: 'orders' | 'customers' | 'tags', [, filter, expected, where]: FilterCase) {
  const key = table === 'tags' ? 'name' : 'id';
  await expectSql(`SELECT ${key} FROM ${table} t WHERE ${where} ORDER BY ${key}`, expected, key);
  await expectData(`{ ${table}(filter: ${filter}, order_by: [{field: "${key}"}]) { ${key} } }`, {
    [table]: expected.map((v) => ({ [key]: v })),
  });
}

describe('filters: String', () => {
  const cases: FilterCase[] = [
    ['eq', '{status: {eq: "paid"}}', [1, 3, 7], "status = 'paid'"],
    ['in', '{status: {in: ["new", "cancelled"]}}', [4, 5, 8], "status IN ('new', 'cancelled')"],
    ['like with % wildcard', '{status: {like: "%ed"}}', [2, 4, 6], "status LIKE '%ed'"],
    ['like with _ wildcard', '{status: {like: "_aid"}}', [1, 3, 7], "status LIKE '_aid'"],
    ['ilike', '{status: {ilike: "SHIP%"}}', [2, 6], "status ILIKE 'SHIP%'"],
    ['regex', '{status: {regex: "^(new|paid)$"}}', [1, 3, 5, 7, 8], "status ~ '^(new|paid)$'"],
  ];
  it.each(cases)('orders.status %s', async (...cs) => checkFilter('orders', cs));

  const customerCases: FilterCase[] = [
    ['eq with a quote', `{name: {eq: "Bob O'Brien"}}`, [2], "full_name = 'Bob O''Brien'"],
    ['eq with unicode', '{name: {eq: "Chloé Dubois"}}', [3], "full_name = 'Chloé Dubois'"],
    ['eq with an emoji', '{name: {eq: "Eve 😀 Zed"}}', [5], "full_name = 'Eve 😀 Zed'"],
    [
      'in (one value matches nothing)',
      '{name: {in: ["Alice Adams", "Dmitri Иванов", "nobody"]}}',
      [1, 4],
      "full_name IN ('Alice Adams', 'Dmitri Иванов', 'nobody')",
    ],
    ['like with a quote', `{name: {like: "%O'B%"}}`, [2], "full_name LIKE '%O''B%'"],
    ['ilike', '{name: {ilike: "alice%"}}', [1], "full_name ILIKE 'alice%'"],
    ['regex on cyrillic', '{name: {regex: "Иван"}}', [4], "full_name ~ 'Иван'"],
    ['regex class', '{name: {regex: "^[A-C]"}}', [1, 2, 3], "full_name ~ '^[A-C]'"],
    ['like escaped % (literal percent)', '{note: {like: "%\\\\%%"}}', [2], "note LIKE '%\\%%'"],
    ['like escaped _ (literal underscore)', '{note: {like: "%\\\\_%"}}', [2, 5], "note LIKE '%\\_%'"],
    ['like _ matches one character', '{note: {like: "_lain"}}', [1], "note LIKE '_lain'"],
    [
      'eq with double quotes and a backslash',
      '{note: {eq: "say \\"hi\\" \\\\ back"}}',
      [3],
      `note = 'say "hi" \\ back'`,
    ],
    ['is_null true', '{email: {is_null: true}}', [4], 'email IS NULL'],
    ['is_null false', '{email: {is_null: false}}', [1, 2, 3, 5], 'email IS NOT NULL'],
  ];
  it.each(customerCases)('customers %s', async (...cs) => checkFilter('customers', cs));
});

describe('filters: Int', () => {
  const cases: FilterCase[] = [
    ['eq', '{qty: {eq: 2}}', [1, 8], 'qty = 2'],
    ['gt', '{qty: {gt: 2}}', [3, 5, 6], 'qty > 2'],
    ['gte', '{qty: {gte: 5}}', [3, 6], 'qty >= 5'],
    ['lt', '{qty: {lt: 2}}', [2, 7], 'qty < 2'],
    ['lte', '{qty: {lte: 2}}', [1, 2, 7, 8], 'qty <= 2'],
    ['in', '{qty: {in: [1, 10]}}', [2, 6, 7], 'qty IN (1, 10)'],
    ['is_null true', '{qty: {is_null: true}}', [4], 'qty IS NULL'],
    ['is_null false', '{qty: {is_null: false}}', [1, 2, 3, 5, 6, 7, 8], 'qty IS NOT NULL'],
    ['eq on the FK', '{customer_id: {eq: 2}}', [3, 4], 'customer_id = 2'],
    ['is_null on the FK', '{customer_id: {is_null: true}}', [8], 'customer_id IS NULL'],
    ['two operators on one field', '{qty: {gt: 1, lt: 5}}', [1, 5, 8], 'qty > 1 AND qty < 5'],
  ];
  it.each(cases)('orders.qty %s', async (...cs) => checkFilter('orders', cs));
});

describe('filters: BigInt', () => {
  const cases: FilterCase[] = [
    ['eq above 2^31', '{big: {eq: 3000000000}}', [1], 'big = 3000000000'],
    ['gt 2^31-1', '{big: {gt: 2147483647}}', [1, 4], 'big > 2147483647'],
    ['gte 2^31', '{big: {gte: 2147483648}}', [1, 4], 'big >= 2147483648'],
    ['lt 0', '{big: {lt: 0}}', [5], 'big < 0'],
    ['lte', '{big: {lte: 42}}', [2, 5], 'big <= 42'],
    ['in', '{big: {in: [42, -5]}}', [2, 5], 'big IN (42, -5)'],
    ['is_null', '{big: {is_null: true}}', [3], 'big IS NULL'],
  ];
  it.each(cases)('customers.big %s', async (...cs) => checkFilter('customers', cs));
});

describe('filters: Float', () => {
  const cases: FilterCase[] = [
    ['eq (numeric 99.99)', '{total: {eq: 99.99}}', [4], 'total = 99.99'],
    ['eq (numeric 120.50 as 120.5)', '{total: {eq: 120.5}}', [1], 'total = 120.5'],
    ['gt', '{total: {gt: 100}}', [1, 3, 6], 'total > 100'],
    ['gte', '{total: {gte: 100}}', [1, 3, 5, 6], 'total >= 100'],
    ['lt', '{total: {lt: 60}}', [2, 7], 'total < 60'],
    ['lte', '{total: {lte: 60}}', [2, 7, 8], 'total <= 60'],
    ['in', '{total: {in: [35, 60]}}', [2, 8], 'total IN (35, 60)'],
    ['ne', '{total: {ne: 100}}', [1, 2, 3, 4, 6, 7, 8], 'total <> 100'],
  ];
  it.each(cases)('orders.total %s', async (...cs) => checkFilter('orders', cs));

  const scoreCases: FilterCase[] = [
    ['gt', '{score: {gt: 3.5}}', [1, 5], 'score > 3.5'],
    ['eq 0', '{score: {eq: 0}}', [4], 'score = 0'],
    ['lte', '{score: {lte: 3.25}}', [2, 4], 'score <= 3.25'],
    ['is_null', '{score: {is_null: true}}', [3], 'score IS NULL'],
  ];
  it.each(scoreCases)('customers.score (double precision) %s', async (...cs) => checkFilter('customers', cs));
});

describe('filters: Boolean', () => {
  const cases: FilterCase[] = [
    ['eq true', '{active: {eq: true}}', [1, 3], 'active = true'],
    ['eq false', '{active: {eq: false}}', [2, 5], 'active = false'],
    ['is_null', '{active: {is_null: true}}', [4], 'active IS NULL'],
  ];
  it.each(cases)('customers.active %s', async (...cs) => checkFilter('customers', cs));
});

describe('filters: Date', () => {
  const cases: FilterCase[] = [
    ['eq (leap day)', '{born: {eq: "2000-02-29"}}', [4], "born = '2000-02-29'"],
    ['gt', '{born: {gt: "1989-01-01"}}', [1, 4], "born > '1989-01-01'"],
    ['gte', '{born: {gte: "1990-05-17"}}', [1, 4], "born >= '1990-05-17'"],
    ['lt', '{born: {lt: "1980-01-01"}}', [5], "born < '1980-01-01'"],
    ['lte', '{born: {lte: "1985-12-01"}}', [2, 5], "born <= '1985-12-01'"],
    ['in', '{born: {in: ["1970-01-01", "1985-12-01"]}}', [2, 5], "born IN ('1970-01-01', '1985-12-01')"],
    ['is_null', '{born: {is_null: true}}', [3], 'born IS NULL'],
  ];
  it.each(cases)('customers.born %s', async (...cs) => checkFilter('customers', cs));

  const shipped: FilterCase[] = [
    ['eq', '{shipped_on: {eq: "2024-03-05"}}', [2], "shipped_on = '2024-03-05'"],
    ['gt', '{shipped_on: {gt: "2024-03-03"}}', [2, 6], "shipped_on > '2024-03-03'"],
    ['lte', '{shipped_on: {lte: "2024-03-05"}}', [1, 2], "shipped_on <= '2024-03-05'"],
    ['is_null', '{shipped_on: {is_null: true}}', [3, 4, 5, 7, 8], 'shipped_on IS NULL'],
  ];
  it.each(shipped)('orders.shipped_on %s', async (...cs) => checkFilter('orders', cs));
});

describe('filters: Timestamp', () => {
  const cases: FilterCase[] = [
    [
      'gt (a fractional .789 is after .000)',
      '{created_at: {gt: "2024-03-05T14:00:00Z"}}',
      [3, 4, 5, 6, 8],
      "created_at > '2024-03-05T14:00:00Z'",
    ],
    [
      'gte',
      '{created_at: {gte: "2024-03-07T08:00:00Z"}}',
      [4, 5, 6, 8],
      "created_at >= '2024-03-07T08:00:00Z'",
    ],
    ['lt', '{created_at: {lt: "2024-03-02T10:15:30Z"}}', [1], "created_at < '2024-03-02T10:15:30Z'"],
    ['lte', '{created_at: {lte: "2024-03-02T10:15:30Z"}}', [1, 2], "created_at <= '2024-03-02T10:15:30Z'"],
    [
      'eq with microseconds',
      '{created_at: {eq: "2024-03-10T11:11:11.123456Z"}}',
      [6],
      "created_at = '2024-03-10T11:11:11.123456Z'",
    ],
    [
      'eq with milliseconds',
      '{created_at: {eq: "2024-03-05T14:00:00.789Z"}}',
      [3],
      "created_at = '2024-03-05T14:00:00.789Z'",
    ],
    [
      'eq with a +01:00 offset',
      '{created_at: {eq: "2024-03-01T10:00:00+01:00"}}',
      [1],
      "created_at = '2024-03-01T10:00:00+01:00'",
    ],
    ['is_null', '{created_at: {is_null: true}}', [7], 'created_at IS NULL'],
    [
      'range (two operators)',
      '{created_at: {gte: "2024-03-02T00:00:00Z", lt: "2024-03-09T00:00:00Z"}}',
      [2, 3, 4],
      "created_at >= '2024-03-02T00:00:00Z' AND created_at < '2024-03-09T00:00:00Z'",
    ],
  ];
  it.each(cases)('orders.created_at %s', async (...cs) => checkFilter('orders', cs));

  const customerCases: FilterCase[] = [
    [
      'gt below microseconds',
      '{created_at: {gt: "2024-02-01T08:30:00.123Z"}}',
      [2, 3, 5],
      "created_at > '2024-02-01T08:30:00.123Z'",
    ],
    [
      'lt one microsecond after',
      '{created_at: {lt: "2024-02-01T08:30:00.123457Z"}}',
      [1, 2],
      "created_at < '2024-02-01T08:30:00.123457Z'",
    ],
    [
      'eq',
      '{created_at: {eq: "2024-02-01T08:30:00.123456Z"}}',
      [2],
      "created_at = '2024-02-01T08:30:00.123456Z'",
    ],
  ];
  it.each(customerCases)('customers.created_at %s', async (...cs) => checkFilter('customers', cs));
});

describe('filters: JSON', () => {
  const cases: FilterCase[] = [
    ['has', '{attrs: {has: "prefs"}}', [1, 5], "attrs ? 'prefs'"],
    ['has_all', '{attrs: {has_all: ["tier", "tags"]}}', [1, 2, 3, 5], "attrs ?& array['tier', 'tags']"],
    [
      'has_all (narrower)',
      '{attrs: {has_all: ["prefs", "tier"]}}',
      [1, 5],
      "attrs ?& array['prefs', 'tier']",
    ],
    [
      'contains (object literal)',
      '{attrs: {contains: {tier: "gold"}}}',
      [1, 3],
      `attrs @> '{"tier": "gold"}'`,
    ],
    ['contains (array member)', '{attrs: {contains: {tags: ["a"]}}}', [1, 5], `attrs @> '{"tags": ["a"]}'`],
    [
      'contains (nested object)',
      '{attrs: {contains: {prefs: {news: true}}}}',
      [1],
      `attrs @> '{"prefs": {"news": true}}'`,
    ],
    [
      'eq (key order does not matter)',
      '{attrs: {eq: {tags: ["b"], tier: "silver"}}}',
      [2],
      `attrs = '{"tier": "silver", "tags": ["b"]}'`,
    ],
    ['is_null', '{attrs: {is_null: true}}', [4], 'attrs IS NULL'],
  ];
  it.each(cases)('customers.attrs %s', async (...cs) => checkFilter('customers', cs));

  const meta: FilterCase[] = [
    ['has', '{meta: {has: "gift"}}', [1, 2, 6], "meta ? 'gift'"],
    ['has_all', '{meta: {has_all: ["gift", "items"]}}', [1], "meta ?& array['gift', 'items']"],
    ['contains', '{meta: {contains: {gift: true}}}', [1, 6], `meta @> '{"gift": true}'`],
    [
      'contains (object inside an array)',
      '{meta: {contains: {items: [{sku: "B2"}]}}}',
      [1],
      `meta @> '{"items": [{"sku": "B2"}]}'`,
    ],
    ['eq', '{meta: {eq: {gift: false}}}', [2], `meta = '{"gift": false}'`],
    ['is_null false', '{meta: {is_null: false}}', [1, 2, 4, 5, 6, 8], 'meta IS NOT NULL'],
  ];
  it.each(meta)('orders.meta %s', async (...cs) => checkFilter('orders', cs));

  it('contains with the JSON value passed as a variable', async () => {
    await expectData(
      'query ($j: JSON) { customers(filter: {attrs: {contains: $j}}, order_by: [{field: "id"}]) { id } }',
      { customers: ids([1]) },
      { j: { prefs: { news: true } } },
    );
  });
});

describe('filters: _and / _or / _not', () => {
  const cases: FilterCase[] = [
    [
      '_and',
      '{_and: [{status: {eq: "paid"}}, {total: {gt: 100}}]}',
      [1, 3],
      "status = 'paid' AND total > 100",
    ],
    [
      '_or',
      '{_or: [{status: {eq: "cancelled"}}, {total: {gt: 400}}]}',
      [4, 6],
      "status = 'cancelled' OR total > 400",
    ],
    ['_not', '{_not: {status: {in: ["paid", "shipped"]}}}', [4, 5, 8], "NOT (status IN ('paid', 'shipped'))"],
    [
      'implicit AND of two fields',
      '{status: {eq: "paid"}, qty: {gte: 2}}',
      [1, 3],
      "status = 'paid' AND qty >= 2",
    ],
    [
      'nested _or/_and/_not',
      '{_or: [{_and: [{status: {eq: "shipped"}}, {total: {lt: 100}}]}, {_not: {qty: {is_null: false}}}]}',
      [2, 4],
      "(status = 'shipped' AND total < 100) OR NOT (qty IS NOT NULL)",
    ],
    [
      '_not over a NULL comparison (SQL three-valued logic)',
      '{_not: {qty: {gt: 2}}}',
      [1, 2, 7, 8],
      'NOT (qty > 2)',
    ],
    [
      '_or across a forward relation and a NULL FK',
      `{_or: [{customer: {name: {eq: "Alice Adams"}}}, {customer_id: {is_null: true}}]}`,
      [1, 2, 8],
      "customer_id IN (SELECT id FROM customers WHERE full_name = 'Alice Adams') OR customer_id IS NULL",
    ],
  ];
  it.each(cases)('%s', async (...cs) => checkFilter('orders', cs));
});

describe('filters: relations', () => {
  const forward: FilterCase[] = [
    [
      'by a string with a quote',
      `{customer: {name: {eq: "Bob O'Brien"}}}`,
      [3, 4],
      "customer_id IN (SELECT id FROM customers WHERE full_name = 'Bob O''Brien')",
    ],
    [
      'by a boolean',
      '{customer: {active: {eq: true}}}',
      [1, 2, 5, 6],
      'customer_id IN (SELECT id FROM customers WHERE active)',
    ],
    [
      'by a BigInt',
      '{customer: {big: {gt: 2147483647}}}',
      [1, 2, 7],
      'customer_id IN (SELECT id FROM customers WHERE big > 2147483647)',
    ],
    [
      'through the target back relation',
      '{customer: {orders: {any_of: {status: {eq: "cancelled"}}}}}',
      [3, 4],
      "customer_id IN (SELECT customer_id FROM orders WHERE status = 'cancelled')",
    ],
  ];
  it.each(forward)('forward orders.customer %s', async (...cs) => checkFilter('orders', cs));

  const back: FilterCase[] = [
    [
      'any_of',
      '{orders: {any_of: {status: {eq: "paid"}}}}',
      [1, 2, 4],
      "EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id AND o.status = 'paid')",
    ],
    [
      'any_of with two conditions',
      '{orders: {any_of: {status: {eq: "paid"}, total: {gt: 200}}}}',
      [2],
      "EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id AND o.status = 'paid' AND o.total > 200)",
    ],
    [
      'none_of (a customer with no orders matches)',
      '{orders: {none_of: {status: {eq: "paid"}}}}',
      [3, 5],
      "NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id AND o.status = 'paid')",
    ],
    [
      'none_of by amount',
      '{orders: {none_of: {total: {gt: 100}}}}',
      [4, 5],
      'NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id AND o.total > 100)',
    ],
    [
      'all_of (with any_of so an empty relation is out of the question)',
      '{orders: {any_of: {id: {gt: 0}}, all_of: {total: {gte: 100}}}}',
      [3],
      'EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id) AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id AND NOT o.total >= 100)',
    ],
    [
      'all_of with in',
      '{orders: {any_of: {id: {gt: 0}}, all_of: {status: {in: ["paid", "shipped"]}}}}',
      [1, 4],
      "EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id) AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.id AND o.status NOT IN ('paid', 'shipped'))",
    ],
    [
      'through back then m2m',
      '{orders: {any_of: {tags: {any_of: {name: {eq: "gift"}}}}}}',
      [1, 3],
      "EXISTS (SELECT 1 FROM orders o JOIN order_tags ot ON ot.order_id = o.id WHERE o.customer_id = t.id AND ot.tag_name = 'gift')",
    ],
  ];
  it.each(back)('back customers.orders %s', async (...cs) => checkFilter('customers', cs));

  const m2m: FilterCase[] = [
    [
      'any_of',
      '{tags: {any_of: {name: {eq: "rush"}}}}',
      [1, 3, 8],
      "id IN (SELECT order_id FROM order_tags WHERE tag_name = 'rush')",
    ],
    [
      'none_of',
      '{tags: {none_of: {name: {eq: "gift"}}}}',
      [2, 3, 4, 5, 7, 8],
      "id NOT IN (SELECT order_id FROM order_tags WHERE tag_name = 'gift')",
    ],
    [
      'all_of (with any_of)',
      '{tags: {any_of: {name: {is_null: false}}, all_of: {name: {in: ["gift", "rush"]}}}}',
      [1, 6, 8],
      "id IN (SELECT order_id FROM order_tags) AND id NOT IN (SELECT order_id FROM order_tags WHERE tag_name NOT IN ('gift', 'rush'))",
    ],
  ];
  it.each(m2m)('m2m orders.tags %s', async (...cs) => checkFilter('orders', cs));

  const m2mBack: FilterCase[] = [
    [
      'any_of',
      '{orders: {any_of: {status: {eq: "paid"}}}}',
      ['bulk', 'gift', 'rush'],
      "name IN (SELECT ot.tag_name FROM order_tags ot JOIN orders o ON o.id = ot.order_id WHERE o.status = 'paid')",
    ],
    [
      'all_of (with any_of)',
      '{orders: {any_of: {id: {gt: 0}}, all_of: {total: {gt: 100}}}}',
      ['bulk', 'gift'],
      'name IN (SELECT tag_name FROM order_tags) AND name NOT IN (SELECT ot.tag_name FROM order_tags ot JOIN orders o ON o.id = ot.order_id WHERE NOT o.total > 100)',
    ],
    [
      'none_of (a tag with no orders matches)',
      '{orders: {none_of: {status: {eq: "new"}}}}',
      ['bulk', 'gift', 'vip'],
      "name NOT IN (SELECT ot.tag_name FROM order_tags ot JOIN orders o ON o.id = ot.order_id WHERE o.status = 'new')",
    ],
  ];
  it.each(m2mBack)('m2m tags.orders %s', async (...cs) => checkFilter('tags', cs));
});

describe('order_by', () => {
  type OrderCase = [label: string, query: string, expected: (number | string)[], sql: string];
  const cases: OrderCase[] = [
    [
      'total DESC',
      '{ orders(order_by: [{field: "total", direction: DESC}]) { id } }',
      [6, 3, 1, 5, 4, 8, 2, 7],
      'SELECT id FROM orders ORDER BY total DESC',
    ],
    [
      'total with the default direction (ASC)',
      '{ orders(order_by: [{field: "total"}]) { id } }',
      [7, 2, 8, 4, 5, 1, 3, 6],
      'SELECT id FROM orders ORDER BY total',
    ],
    [
      'two unselected fields (status ASC, total DESC)',
      '{ orders(order_by: [{field: "status", direction: ASC}, {field: "total", direction: DESC}]) { id } }',
      [4, 5, 8, 3, 1, 7, 6, 2],
      'SELECT id FROM orders ORDER BY status, total DESC',
    ],
    [
      'Timestamp DESC',
      '{ orders(filter: {created_at: {is_null: false}}, order_by: [{field: "created_at", direction: DESC}]) { id } }',
      [8, 6, 5, 4, 3, 2, 1],
      'SELECT id FROM orders WHERE created_at IS NOT NULL ORDER BY created_at DESC',
    ],
    [
      'a @field_source field DESC',
      '{ customers(order_by: [{field: "name", direction: DESC}]) { id } }',
      [5, 4, 3, 2, 1],
      'SELECT id FROM customers ORDER BY full_name DESC',
    ],
    [
      'BigInt DESC',
      '{ customers(filter: {big: {is_null: false}}, order_by: [{field: "big", direction: DESC}]) { id } }',
      [1, 4, 2, 5],
      'SELECT id FROM customers WHERE big IS NOT NULL ORDER BY big DESC',
    ],
    [
      'Date ASC',
      '{ customers(filter: {born: {is_null: false}}, order_by: [{field: "born"}]) { id } }',
      [5, 2, 1, 4],
      'SELECT id FROM customers WHERE born IS NOT NULL ORDER BY born',
    ],
    [
      'a dotted path through a forward relation (customer.name DESC, id)',
      '{ orders(filter: {customer_id: {is_null: false}}, order_by: [{field: "customer.name", direction: DESC}, {field: "id"}]) { id } }',
      [7, 5, 6, 3, 4, 1, 2],
      'SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY c.full_name DESC, o.id',
    ],
    [
      'a dotted path to a BigInt (customer.big, id)',
      '{ orders(filter: {customer: {big: {is_null: false}}}, order_by: [{field: "customer.big"}, {field: "id"}]) { id } }',
      [3, 4, 7, 1, 2],
      'SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.big IS NOT NULL ORDER BY c.big, o.id',
    ],
    [
      'a text primary key DESC',
      '{ tags(order_by: [{field: "name", direction: DESC}]) { name } }',
      ['vip', 'rush', 'gift', 'bulk'],
      'SELECT name AS id FROM tags ORDER BY name DESC',
    ],
  ];
  it.each(cases)('%s', async (_label, query, expected, sql) => {
    await expectSql(sql, expected);
    const body = await c.run(query);
    expect(body.errors).toBeUndefined();
    const list = Object.values(body.data ?? {})[0] as Record<string, unknown>[];
    expect(list.map((r) => r.id ?? r.name)).toEqual(expected);
  });

  it('returns the selected fields only, even when ordering by others', async () => {
    await expectData('{ orders(order_by: [{field: "total", direction: DESC}], limit: 2) { status } }', {
      orders: [{ status: 'shipped' }, { status: 'paid' }],
    });
  });
});

describe('limit / offset', () => {
  const q = (args: string) => `{ orders(order_by: [{field: "id"}]${args}) { id } }`;
  it('limit and offset', async () => {
    await expectSql('SELECT id FROM orders ORDER BY id LIMIT 3 OFFSET 2', [3, 4, 5]);
    await expectData(q(', limit: 3, offset: 2'), { orders: ids([3, 4, 5]) });
  });
  it('limit only', () => expectData(q(', limit: 2'), { orders: ids([1, 2]) }));
  it('offset only', () => expectData(q(', offset: 6'), { orders: ids([7, 8]) }));
  it('offset past the end → []', () => expectData(q(', offset: 100'), { orders: [] }));
  it('limit 0 → []', () => expectData(q(', limit: 0'), { orders: [] }));
  it('with order_by total DESC', async () => {
    await expectSql('SELECT id FROM orders ORDER BY total DESC LIMIT 2 OFFSET 1', [3, 1]);
    await expectData(
      '{ orders(order_by: [{field: "total", direction: DESC}], limit: 2, offset: 1) { id } }',
      {
        orders: ids([3, 1]),
      },
    );
  });
  it('from variables', () =>
    expectData(
      'query ($l: Int, $o: Int) { orders(order_by: [{field: "id"}], limit: $l, offset: $o) { id } }',
      { orders: ids([5, 6]) },
      { l: 2, o: 4 },
    ));
});

describe('distinct_on', () => {
  it('one row per customer: the largest total', async () => {
    await expectSql(
      'SELECT DISTINCT ON (customer_id) id FROM orders WHERE customer_id IS NOT NULL ORDER BY customer_id, total DESC',
      [1, 3, 6, 7],
    );
    await expectData(
      `{ orders(filter: {customer_id: {is_null: false}}, distinct_on: ["customer_id"],
          order_by: [{field: "customer_id"}, {field: "total", direction: DESC}]) { id customer_id } }`,
      {
        orders: [
          { id: 1, customer_id: 1 },
          { id: 3, customer_id: 2 },
          { id: 6, customer_id: 3 },
          { id: 7, customer_id: 4 },
        ],
      },
    );
  });
  it('one row per status: the lowest id', async () => {
    await expectSql('SELECT DISTINCT ON (status) id FROM orders ORDER BY status, id', [4, 5, 1, 2]);
    await expectData(
      '{ orders(distinct_on: ["status"], order_by: [{field: "status"}, {field: "id"}]) { id status } }',
      {
        orders: [
          { id: 4, status: 'cancelled' },
          { id: 5, status: 'new' },
          { id: 1, status: 'paid' },
          { id: 2, status: 'shipped' },
        ],
      },
    );
  });
  itUnless(
    ['mysql'],
    'distinct_on in relation lists needs a window over a correlated derived table (MariaDB has none)',
  )('on a back relation field', () =>
    expectData(
      `{ customers(order_by: [{field: "id"}]) { id
          orders(distinct_on: ["status"], order_by: [{field: "status"}, {field: "id"}]) { status } } }`,
      {
        customers: [
          { id: 1, orders: [{ status: 'paid' }, { status: 'shipped' }] },
          { id: 2, orders: [{ status: 'cancelled' }, { status: 'paid' }] },
          { id: 3, orders: [{ status: 'new' }, { status: 'shipped' }] },
          { id: 4, orders: [{ status: 'paid' }] },
          { id: 5, orders: [] },
        ],
      },
    ),
  );
});

describe('relation field arguments', () => {
  const perCustomer = (args: string) =>
    `{ customers(order_by: [{field: "id"}]) { id orders${args} { id } } }`;
  const answer = (lists: number[][]) => ({ customers: lists.map((l, i) => ({ id: i + 1, orders: ids(l) })) });

  it('filter on a back relation', () =>
    expectData(perCustomer('(filter: {status: {eq: "paid"}})'), answer([[1], [3], [], [7], []])));
  it('order_by on a back relation', () =>
    expectData(
      perCustomer('(order_by: [{field: "total", direction: DESC}])'),
      answer([[1, 2], [3, 4], [6, 5], [7], []]),
    ));
  it('limit per parent on a back relation', () =>
    expectData(
      perCustomer('(order_by: [{field: "total", direction: DESC}], limit: 1)'),
      answer([[1], [3], [6], [7], []]),
    ));
  it('offset per parent on a back relation', () =>
    expectData(perCustomer('(order_by: [{field: "id"}], offset: 1)'), answer([[2], [4], [6], [], []])));
  itUnless(['mysql'], 'nested_* in relation lists need a correlated derived table')(
    'nested_limit + nested_order_by',
    () =>
      expectData(
        perCustomer('(nested_order_by: [{field: "total", direction: ASC}], nested_limit: 1)'),
        answer([[2], [4], [5], [7], []]),
      ),
  );
  itUnless(['mysql'], 'nested_* in relation lists need a correlated derived table')(
    'nested_offset + nested_order_by',
    () =>
      expectData(
        perCustomer('(nested_order_by: [{field: "id"}], nested_offset: 1)'),
        answer([[2], [4], [6], [], []]),
      ),
  );
  it('order_by on an m2m relation', () =>
    expectData(
      '{ orders(order_by: [{field: "id"}]) { id tags(order_by: [{field: "name", direction: DESC}]) { name } } }',
      {
        orders: [
          { id: 1, tags: names(['rush', 'gift']) },
          { id: 2, tags: [] },
          { id: 3, tags: names(['rush', 'bulk']) },
          { id: 4, tags: [] },
          { id: 5, tags: [] },
          { id: 6, tags: names(['gift']) },
          { id: 7, tags: [] },
          { id: 8, tags: names(['rush']) },
        ],
      },
    ));
  it('filter on an m2m relation (tags.orders)', () =>
    expectData(
      '{ tags(order_by: [{field: "name"}]) { name orders(filter: {total: {gt: 100}}, order_by: [{field: "id"}]) { id } } }',
      {
        tags: [
          { name: 'bulk', orders: ids([3]) },
          { name: 'gift', orders: ids([1, 6]) },
          { name: 'rush', orders: ids([1, 3]) },
          { name: 'vip', orders: [] },
        ],
      },
    ));
  it('limit per parent on an m2m relation', () =>
    expectData(
      '{ tags(order_by: [{field: "name"}]) { name orders(order_by: [{field: "total", direction: DESC}], limit: 1) { id } } }',
      {
        tags: [
          { name: 'bulk', orders: ids([3]) },
          { name: 'gift', orders: ids([6]) },
          { name: 'rush', orders: ids([3]) },
          { name: 'vip', orders: [] },
        ],
      },
    ));
});

describe('inner', () => {
  it('forward relation: drops the order without a customer', () =>
    expectData('{ orders(order_by: [{field: "id"}]) { id customer(inner: true) { id } } }', {
      orders: [1, 1, 2, 2, 3, 3, 4].map((cid, i) => ({ id: i + 1, customer: { id: cid } })),
    }));
  it('forward relation combined with a root filter', () =>
    expectData('{ orders(filter: {status: {eq: "new"}}) { id customer(inner: true) { id } } }', {
      orders: [{ id: 5, customer: { id: 3 } }],
    }));
  it('back relation: drops the customer without orders', () =>
    expectData(
      '{ customers(order_by: [{field: "id"}]) { id orders(inner: true, order_by: [{field: "id"}]) { id } } }',
      {
        customers: [
          { id: 1, orders: ids([1, 2]) },
          { id: 2, orders: ids([3, 4]) },
          { id: 3, orders: ids([5, 6]) },
          { id: 4, orders: ids([7]) },
        ],
      },
    ));
  it('back relation with a relation filter: drops customers with no matching order', () =>
    expectData(
      '{ customers(order_by: [{field: "id"}]) { id orders(inner: true, filter: {status: {eq: "paid"}}) { id } } }',
      {
        customers: [
          { id: 1, orders: ids([1]) },
          { id: 2, orders: ids([3]) },
          { id: 4, orders: ids([7]) },
        ],
      },
    ));
  it('m2m relation: drops the tag without orders', () =>
    expectData(
      '{ tags(order_by: [{field: "name"}]) { name orders(inner: true, order_by: [{field: "id"}]) { id } } }',
      {
        tags: [
          { name: 'bulk', orders: ids([3]) },
          { name: 'gift', orders: ids([1, 6]) },
          { name: 'rush', orders: ids([1, 3, 8]) },
        ],
      },
    ));
});

describe('views with args', () => {
  it('args select the rows', async () => {
    await expectSql("SELECT id FROM orders WHERE status = 'paid' ORDER BY id", [1, 3, 7]);
    await expectData(
      '{ orders_by_status(args: {status: "paid"}, order_by: [{field: "id"}]) { id status total } }',
      {
        orders_by_status: [
          { id: 1, status: 'paid', total: 120.5 },
          { id: 3, status: 'paid', total: 250 },
          { id: 7, status: 'paid', total: 15.75 },
        ],
      },
    );
  });
  it('an optional arg', () =>
    expectData(
      '{ orders_by_status(args: {status: "paid", min_total: 100}, order_by: [{field: "id"}]) { id } }',
      {
        orders_by_status: ids([1, 3]),
      },
    ));
  it('args plus a filter', () =>
    expectData(
      '{ orders_by_status(args: {status: "paid"}, filter: {total: {lt: 200}}, order_by: [{field: "id"}]) { id } }',
      { orders_by_status: ids([1, 7]) },
    ));
  it('args plus order_by and limit', () =>
    expectData(
      '{ orders_by_status(args: {status: "paid"}, order_by: [{field: "total", direction: DESC}], limit: 1) { id } }',
      { orders_by_status: ids([3]) },
    ));
  it('args from a variable', () =>
    expectData(
      'query ($a: orders_by_status_args!) { orders_by_status(args: $a, order_by: [{field: "id"}]) { id } }',
      { orders_by_status: ids([2, 6]) },
      { a: { status: 'shipped' } },
    ));
  it('args matching nothing → []', () =>
    expectData('{ orders_by_status(args: {status: "nope"}) { id } }', { orders_by_status: [] }));
});

describe('by_pk and by_unique', () => {
  it('by_pk found', () =>
    expectData('{ orders_by_pk(id: 3) { id status total } }', {
      orders_by_pk: { id: 3, status: 'paid', total: 250 },
    }));
  it('by_pk not found → null', () => expectData('{ orders_by_pk(id: 999) { id } }', { orders_by_pk: null }));
  it('by_pk on a text key', () =>
    expectData('{ tags_by_pk(name: "gift") { name label } }', {
      tags_by_pk: { name: 'gift', label: 'Gift wrap' },
    }));
  it('by_pk on a text key not found → null', () =>
    expectData('{ tags_by_pk(name: "nope") { name } }', { tags_by_pk: null }));
  it('by_unique found', () =>
    expectData('{ customers_by_email(email: "bob@example.com") { id name } }', {
      customers_by_email: { id: 2, name: "Bob O'Brien" },
    }));
  it('by_unique not found → null', () =>
    expectData('{ customers_by_email(email: "nobody@example.com") { id } }', { customers_by_email: null }));
  it('by_pk with nested relations', () =>
    expectData(
      '{ customers_by_pk(id: 2) { name orders(order_by: [{field: "id"}]) { id tags(order_by: [{field: "name"}]) { name } } } }',
      {
        customers_by_pk: {
          name: "Bob O'Brien",
          orders: [
            { id: 3, tags: names(['bulk', 'rush']) },
            { id: 4, tags: [] },
          ],
        },
      },
    ));
});

describe('@module', () => {
  it('nests the type queries under the module', () =>
    expectData('{ catalog { products(order_by: [{field: "id"}]) { id sku name price } } }', {
      catalog: {
        products: [
          { id: 1, sku: 'A1', name: 'Anvil', price: 10 },
          { id: 2, sku: 'B2', name: 'Bucket', price: 5.5 },
          { id: 3, sku: 'C3', name: 'Crate', price: null },
        ],
      },
    }));
  it('by_pk and by_unique inside the module', () =>
    expectData('{ catalog { products_by_pk(id: 3) { name } products_by_sku(sku: "B2") { id name } } }', {
      catalog: { products_by_pk: { name: 'Crate' }, products_by_sku: { id: 2, name: 'Bucket' } },
    }));
  it('the module type is not at the root', async () => {
    const body = await c.run('{ products { id } }');
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toContain('products');
  });
});

describe('@sql computed fields', () => {
  it('selects a computed field', () =>
    expectData('{ orders(order_by: [{field: "id"}], limit: 3) { id status_label } }', {
      orders: [
        { id: 1, status_label: 'PAID' },
        { id: 2, status_label: 'SHIPPED' },
        { id: 3, status_label: 'PAID' },
      ],
    }));
  it('a computed field over a @field_source column', () =>
    expectData('{ customers(filter: {id: {in: [1, 2]}}, order_by: [{field: "id"}]) { upper_name } }', {
      customers: [{ upper_name: 'ALICE ADAMS' }, { upper_name: "BOB O'BRIEN" }],
    }));
  it('filters on a computed field', () =>
    expectData('{ orders(filter: {status_label: {eq: "SHIPPED"}}, order_by: [{field: "id"}]) { id } }', {
      orders: ids([2, 6]),
    }));
});

describe('aliases', () => {
  it('aliases root fields and scalar fields', () =>
    expectData('{ a: orders_by_pk(id: 1) { ident: id } b: orders_by_pk(id: 2) { id st: status } }', {
      a: { ident: 1 },
      b: { id: 2, st: 'shipped' },
    }));
  it('the same root field twice with different filters', () =>
    expectData(
      `{ cheap: orders(filter: {total: {lt: 50}}, order_by: [{field: "id"}]) { id }
         dear: orders(filter: {total: {gt: 200}}, order_by: [{field: "id"}]) { id } }`,
      { cheap: ids([2, 7]), dear: ids([3, 6]) },
    ));
  it('the same relation field twice with different arguments', () =>
    expectData(
      `{ customers_by_pk(id: 1) { paid: orders(filter: {status: {eq: "paid"}}) { id }
           everything: orders(order_by: [{field: "id"}]) { id } who: name } }`,
      { customers_by_pk: { paid: ids([1]), everything: ids([1, 2]), who: 'Alice Adams' } },
    ));
});

describe('fragments', () => {
  it('named fragments, nested', () =>
    expectData(
      `query { orders_by_pk(id: 1) { ...O } }
       fragment O on orders { id status customer { ...C } }
       fragment C on customers { name }`,
      { orders_by_pk: { id: 1, status: 'paid', customer: { name: 'Alice Adams' } } },
    ));
  it('inline fragments, with and without a type condition', () =>
    expectData('{ orders_by_pk(id: 6) { id ... on orders { total } ... @include(if: true) { qty } } }', {
      orders_by_pk: { id: 6, total: 480.25, qty: 10 },
    }));
  it('overlapping fields from a fragment merge', () =>
    expectData(
      `{ customers(filter: {id: {eq: 2}}) { id ...F name } }
       fragment F on customers { id name orders(order_by: [{field: "id"}]) { id } }`,
      { customers: [{ id: 2, name: "Bob O'Brien", orders: ids([3, 4]) }] },
    ));
});

describe('variables', () => {
  it('a scalar variable', () =>
    expectData(
      'query Q($id: Int!) { orders_by_pk(id: $id) { id status } }',
      { orders_by_pk: { id: 5, status: 'new' } },
      { id: 5 },
    ));
  it('a whole filter object as a variable', async () => {
    await expectSql("SELECT id FROM orders WHERE status = 'cancelled' OR total > 400 ORDER BY id", [4, 6]);
    await expectData(
      'query ($f: orders_filter) { orders(filter: $f, order_by: [{field: "id"}]) { id } }',
      { orders: ids([4, 6]) },
      { f: { _or: [{ status: { eq: 'cancelled' } }, { total: { gt: 400 } }] } },
    );
  });
  it('order_by and limit as variables', () =>
    expectData(
      'query ($o: [OrderByField], $l: Int) { orders(order_by: $o, limit: $l) { id } }',
      { orders: ids([6, 3, 1]) },
      { o: [{ field: 'total', direction: 'DESC' }], l: 3 },
    ));
  it('a default value', () =>
    expectData(
      'query ($s: String = "shipped") { orders(filter: {status: {eq: $s}}, order_by: [{field: "id"}]) { id } }',
      {
        orders: ids([2, 6]),
      },
    ));
  it('a variable inside a literal filter, through a relation', () =>
    expectData(
      'query ($n: String) { orders(filter: {customer: {name: {eq: $n}}}, order_by: [{field: "id"}]) { id } }',
      { orders: ids([3, 4]) },
      { n: "Bob O'Brien" },
    ));
  it('a list variable for in', () =>
    expectData(
      'query ($ids: [Int!]) { orders(filter: {id: {in: $ids}}, order_by: [{field: "id"}]) { id } }',
      { orders: ids([2, 7]) },
      { ids: [2, 7, 99] },
    ));
  it('a BigInt variable above 2^31', () =>
    expectData(
      'query ($b: BigInt) { customers(filter: {big: {eq: $b}}) { id } }',
      { customers: ids([1]) },
      { b: 3000000000 },
    ));
  it('operationName picks the operation', () =>
    expect(
      c.run(
        'query A { orders_by_pk(id: 1) { id } } query B { tags_by_pk(name: "vip") { label } }',
        null,
        'B',
      ),
    ).resolves.toEqual({ data: { tags_by_pk: { label: 'VIP' } } }));
});

describe('@skip / @include', () => {
  it('on scalar fields with literals', () =>
    expectData(
      '{ orders_by_pk(id: 1) { id status @skip(if: true) total @include(if: false) qty @include(if: true) } }',
      {
        orders_by_pk: { id: 1, qty: 2 },
      },
    ));
  const q = 'query ($s: Boolean!) { orders_by_pk(id: 1) { id customer @include(if: $s) { name } } }';
  it('on a relation field with a variable (false)', () =>
    expectData(q, { orders_by_pk: { id: 1 } }, { s: false }));
  it('on a relation field with a variable (true)', () =>
    expectData(q, { orders_by_pk: { id: 1, customer: { name: 'Alice Adams' } } }, { s: true }));
  it('on a root field', () =>
    expectData('{ a: orders_by_pk(id: 1) @skip(if: true) { id } b: tags_by_pk(name: "vip") { label } }', {
      b: { label: 'VIP' },
    }));
  it('on a fragment spread', () =>
    expectData('{ orders_by_pk(id: 1) { id ...F @skip(if: true) } } fragment F on orders { status }', {
      orders_by_pk: { id: 1 },
    }));
});

describe('__typename and introspection', () => {
  it('__typename on root, objects, relations and structured fields', () =>
    expectData(
      `{ __typename orders_by_pk(id: 1) { __typename id customer { __typename id address { __typename city } }
           tags(order_by: [{field: "name"}]) { __typename name } } }`,
      {
        __typename: 'Query',
        orders_by_pk: {
          __typename: 'orders',
          id: 1,
          customer: { __typename: 'customers', id: 1, address: { __typename: 'address', city: 'Oslo' } },
          tags: [
            { __typename: 'tags', name: 'gift' },
            { __typename: 'tags', name: 'rush' },
          ],
        },
      },
    ));
  it('__schema { queryType { name } }', () =>
    expectData('{ __schema { queryType { name } } }', { __schema: { queryType: { name: 'Query' } } }));
  it('__type(name: "customers") lists its fields', async () => {
    const body = await c.run('{ __type(name: "customers") { name kind fields { name } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data?.__type.name).toBe('customers');
    expect(body.data?.__type.kind).toBe('OBJECT');
    const fields = (body.data?.__type.fields as { name: string }[]).map((f) => f.name);
    expect(fields).toEqual(
      expect.arrayContaining([
        'id',
        'name',
        'email',
        'attrs',
        'address',
        'born',
        'score',
        'big',
        'active',
        'created_at',
        'note',
        'upper_name',
        'orders',
      ]),
    );
    expect(fields).not.toContain('full_name');
  });
  it('the filter input types', async () => {
    const body = await c.run(
      '{ f: __type(name: "orders_filter") { inputFields { name } } l: __type(name: "orders_list_filter") { inputFields { name } } }',
    );
    expect(body.errors).toBeUndefined();
    const f = (body.data?.f.inputFields as { name: string }[]).map((x) => x.name);
    expect(f).toEqual(
      expect.arrayContaining(['id', 'status', 'total', 'customer', 'tags', '_and', '_or', '_not']),
    );
    const l = (body.data?.l.inputFields as { name: string }[]).map((x) => x.name).sort();
    expect(l).toEqual(['all_of', 'any_of', 'none_of']);
  });
  it('the root fields', async () => {
    const body = await c.run('{ __schema { queryType { fields { name } } } }');
    const fields = (body.data?.__schema.queryType.fields as { name: string }[]).map((x) => x.name);
    expect(fields).toEqual(
      expect.arrayContaining([
        'customers',
        'customers_by_pk',
        'customers_by_email',
        'orders',
        'orders_by_pk',
        'tags',
        'tags_by_pk',
        'orders_by_status',
        'catalog',
      ]),
    );
    expect(fields).not.toContain('products');
  });
  it('an unknown type → null', () => expectData('{ __type(name: "nope") { name } }', { __type: null }));
});

describe('empty relations and nulls', () => {
  it('a customer with no orders → []', () =>
    expectData('{ customers_by_pk(id: 5) { id orders { id } } }', {
      customers_by_pk: { id: 5, orders: [] },
    }));
  it('a tag with no orders (m2m) → []', () =>
    expectData('{ tags_by_pk(name: "vip") { orders { id } } }', { tags_by_pk: { orders: [] } }));
  it('an order with no tags (m2m) → []', () =>
    expectData('{ orders_by_pk(id: 2) { tags { name } } }', { orders_by_pk: { tags: [] } }));
  it('a relation filtered to nothing → []', () =>
    expectData('{ customers_by_pk(id: 1) { orders(filter: {status: {eq: "new"}}) { id } } }', {
      customers_by_pk: { orders: [] },
    }));
  it('empty relations nested in lists', () =>
    expectData(
      '{ customers(filter: {id: {in: [4, 5]}}, order_by: [{field: "id"}]) { id orders { id tags { name } } } }',
      {
        customers: [
          { id: 4, orders: [{ id: 7, tags: [] }] },
          { id: 5, orders: [] },
        ],
      },
    ));
  it('a NULL foreign key → forward relation null', () =>
    expectData('{ orders_by_pk(id: 8) { customer_id customer { id } } }', {
      orders_by_pk: { customer_id: null, customer: null },
    }));
  it('NULL values of every type', () =>
    expectData(
      '{ customers_by_pk(id: 4) { email attrs address { city } born score big active created_at note upper_name } }',
      {
        customers_by_pk: {
          email: null,
          attrs: null,
          address: null,
          born: '2000-02-29',
          score: 0,
          big: 2147483648,
          active: null,
          created_at: null,
          note: null,
          upper_name: 'DMITRI ИВАНОВ',
        },
      },
    ));
  it('NULL numbers, timestamps, dates and JSON on orders', () =>
    expectData('{ orders_by_pk(id: 7) { qty created_at shipped_on meta } o4: orders_by_pk(id: 4) { qty } }', {
      orders_by_pk: { qty: 1, created_at: null, shipped_on: null, meta: null },
      o4: { qty: null },
    }));
});

describe('wire formats', () => {
  it('a whole customer row', async () => {
    const { status, text, body } = await c.request(
      '{ customers_by_pk(id: 1) { id name email attrs address { city street zip } born score big active created_at note } }',
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      data: {
        customers_by_pk: {
          id: 1,
          name: 'Alice Adams',
          email: 'alice@example.com',
          attrs: { tier: 'gold', tags: ['a', 'b'], prefs: { news: true, lang: 'en' } },
          address: { city: 'Oslo', street: 'Karl Johans gate 1', zip: '0154' },
          born: '1990-05-17',
          score: 4.5,
          big: 3000000000,
          active: true,
          created_at: '2024-01-15T10:00:00Z',
          note: 'plain',
        },
      },
    });
    // BigInt above 2^31 is a JSON number in the text, not a string.
    expect(text).toMatch(/"big"\s*:\s*3000000000\s*[,}]/);
  });
  it('Timestamp: UTC with Z, fractional seconds only when non-zero', () =>
    expectData(
      '{ customers(order_by: [{field: "id"}]) { created_at } orders(order_by: [{field: "id"}]) { created_at } }',
      {
        customers: [
          { created_at: '2024-01-15T10:00:00Z' },
          { created_at: '2024-02-01T08:30:00.123456Z' },
          { created_at: '2024-03-10T12:00:00.789Z' },
          { created_at: null },
          { created_at: '2024-05-05T00:00:00Z' },
        ],
        orders: [
          { created_at: '2024-03-01T09:00:00Z' },
          { created_at: '2024-03-02T10:15:30Z' },
          { created_at: '2024-03-05T14:00:00.789Z' },
          { created_at: '2024-03-07T08:00:00Z' },
          { created_at: '2024-03-09T18:45:00Z' },
          { created_at: '2024-03-10T11:11:11.123456Z' },
          { created_at: null },
          { created_at: '2024-03-12T07:30:00Z' },
        ],
      },
    ));
  it('Date', () =>
    expectData(
      '{ orders(filter: {shipped_on: {is_null: false}}, order_by: [{field: "id"}]) { shipped_on } }',
      {
        orders: [{ shipped_on: '2024-03-03' }, { shipped_on: '2024-03-05' }, { shipped_on: '2024-03-12' }],
      },
    ));
  it('BigInt as JSON numbers (incl. 2^31 and negative)', () =>
    expectData('{ customers(order_by: [{field: "id"}]) { big } }', {
      customers: [{ big: 3000000000 }, { big: 42 }, { big: null }, { big: 2147483648 }, { big: -5 }],
    }));
  it('NUMERIC(12,2) as JSON numbers', async () => {
    const { text, body } = await c.request('{ orders(order_by: [{field: "id"}]) { total } }');
    expect(body).toEqual({
      data: { orders: [120.5, 35, 250, 99.99, 100, 480.25, 15.75, 60].map((total) => ({ total })) },
    });
    expect(text).not.toMatch(/"total"\s*:\s*"/);
  });
  it('JSON as nested JSON', () =>
    expectData('{ orders(filter: {id: {in: [1, 4, 5]}}, order_by: [{field: "id"}]) { meta } }', {
      orders: [
        {
          meta: {
            gift: true,
            items: [
              { sku: 'A1', n: 1 },
              { sku: 'B2', n: 1 },
            ],
          },
        },
        { meta: { reason: 'changed mind' } },
        { meta: { items: [] } },
      ],
    }));
  it('structured fields as objects with only the selected subfields', () =>
    expectData('{ customers(order_by: [{field: "id"}]) { address { city zip } } }', {
      customers: [
        { address: { city: 'Oslo', zip: '0154' } },
        { address: { city: 'Bergen', zip: '5003' } },
        { address: { city: 'Paris', zip: '75001' } },
        { address: null },
        { address: { city: 'Oslo', zip: null } },
      ],
    }));
  it('strings with quotes, backslashes, % and _, and unicode round-trip', () =>
    expectData('{ customers(order_by: [{field: "id"}]) { name note } }', {
      customers: [
        { name: 'Alice Adams', note: 'plain' },
        { name: "Bob O'Brien", note: '100% sure_thing' },
        { name: 'Chloé Dubois', note: 'say "hi" \\ back' },
        { name: 'Dmitri Иванов', note: null },
        { name: 'Eve 😀 Zed', note: 'under_score' },
      ],
    }));
});

describe('prefix and asModule', () => {
  let shop: Awaited<ReturnType<Conformance['engineWith']>>;
  let pre: Awaited<ReturnType<Conformance['engineWith']>>;
  const runOn = async (engine: typeof shop, query: string, variables?: Record<string, unknown>) =>
    JSON.parse((await engine.execute({ query, variables: variables ?? null })).body);

  beforeAll(async () => {
    shop = await c.engineWith({ name: 'shop', prefix: 'shop', asModule: true });
    pre = await c.engineWith({ name: 'pre', prefix: 'pre', asModule: false });
  });

  it('asModule: { shop { customers { id } } }', async () =>
    expect(await runOn(shop, '{ shop { customers(order_by: [{field: "id"}]) { id } } }')).toEqual({
      data: { shop: { customers: ids([1, 2, 3, 4, 5]) } },
    }));
  it('asModule: type names carry the prefix', async () =>
    expect(
      await runOn(
        shop,
        '{ a: __type(name: "shop_customers") { name } b: __type(name: "customers") { name } }',
      ),
    ).toEqual({
      data: { a: { name: 'shop_customers' }, b: null },
    }));
  it('asModule: by_pk, __typename and relations', async () =>
    expect(await runOn(shop, '{ shop { orders_by_pk(id: 8) { __typename id customer { id } } } }')).toEqual({
      data: { shop: { orders_by_pk: { __typename: 'shop_orders', id: 8, customer: null } } },
    }));
  it('asModule: a variable of the prefixed filter type', async () =>
    expect(
      await runOn(
        shop,
        'query ($f: shop_orders_filter) { shop { orders(filter: $f, order_by: [{field: "id"}]) { id } } }',
        { f: { customer: { name: { eq: "Bob O'Brien" } } } },
      ),
    ).toEqual({ data: { shop: { orders: ids([3, 4]) } } }));
  it('asModule: the unprefixed root field does not exist', async () => {
    const body = await runOn(shop, '{ customers { id } }');
    expect(body.data).toBeUndefined();
    expect(body.errors[0].message).toContain('customers');
  });
  it('prefix without module: prefixed root fields', async () =>
    expect(
      await runOn(
        pre,
        '{ pre_orders(filter: {status: {eq: "new"}}, order_by: [{field: "id"}]) { id } pre_orders_by_pk(id: 2) { __typename status } }',
      ),
    ).toEqual({
      data: { pre_orders: ids([5, 8]), pre_orders_by_pk: { __typename: 'pre_orders', status: 'shipped' } },
    }));
});

describe('errors', () => {
  it('an unknown field: 200, errors with locations, no data', async () => {
    c.reset();
    const { status, body } = await c.request('{ customers { id nope } }');
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0].message).toContain('nope');
    expect(body.errors?.[0].locations).toEqual([{ line: 1, column: 18 }]);
    expect(typeof body.errors?.[0].extensions?.code).toBe('string');
    expect(c.statements).toHaveLength(0);
  });
  it('a syntax error: errors with a location, no data', async () => {
    const { status, body } = await c.request('{ customers { id ');
    // GraphQL-over-HTTP allows 200 or 400 for a document that does not parse; SPEC §4 only forbids 500.
    expect([200, 400]).toContain(status);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toMatch(/syntax error/i);
    expect(body.errors?.[0].locations?.[0]).toEqual({ line: 1, column: 18 });
  });
  it('depth over maxDepth (default 7): error, nothing sent to the database', async () => {
    c.reset();
    const { status, body } = await c.request(
      '{ customers { orders { customer { orders { customer { orders { customer { orders { customer { orders { id } } } } } } } } } } }',
    );
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toMatch(/depth|deep/i);
    expect(c.statements).toHaveLength(0);
  });
  it('fragments spread ten times over on each of ten levels: one statement, the right answer (each fragment is walked once)', async () => {
    // Expanded naively this document has 10^10 spreads; depth check and planning must not expand it.
    let doc = '{ customers(limit: 2, order_by: [{field: "id"}]) { ...F0 } }';
    for (let i = 0; i < 10; i++) {
      const inner =
        i < 9
          ? Array(10)
              .fill(`...F${i + 1}`)
              .join(' ')
          : 'name';
      doc += ` fragment F${i} on customers { id ${inner} }`;
    }
    c.reset();
    const body = await c.run(doc);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      customers: [
        { id: 1, name: 'Alice Adams' },
        { id: 2, name: "Bob O'Brien" },
      ],
    });
    expect(c.statements).toHaveLength(1);
  }, 20_000);
  it('a missing required by_pk argument', async () => {
    const { status, body } = await c.request('{ orders_by_pk { id } }');
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toMatch(/"id"/);
    expect(body.errors?.[0].message).toMatch(/required/i);
  });
  it('a missing required view args argument', async () => {
    const { status, body } = await c.request('{ orders_by_status { id } }');
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toMatch(/"args"/);
  });
  it('a missing required field inside the view args', async () => {
    const body = await c.run('{ orders_by_status(args: {min_total: 1}) { id } }');
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toContain('status');
  });
  it('an unknown argument', async () => {
    const body = await c.run('{ orders(nope: 1) { id } }');
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toContain('nope');
  });
  it('a literal of the wrong type', async () => {
    const body = await c.run('{ orders(limit: "ten") { id } }');
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toMatch(/Int/);
  });
  it('an unknown filter operator for the type (like on Int)', async () => {
    const body = await c.run('{ orders(filter: {qty: {like: "1%"}}) { id } }');
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toContain('like');
  });
  it('an unknown order_by field: an error naming the field, with a path, no SQL', async () => {
    const { status, body } = await c.request('{ orders(order_by: [{field: "nope"}]) { id } }');
    expect(status).toBe(200);
    expect(body.errors?.[0].message).toContain('nope');
    expectNoSqlText(body.errors?.[0].message ?? '');
    expect(body.data?.orders ?? null).toBeNull();
  });
  it('an unknown distinct_on field: an error naming the field', async () => {
    const body = await c.run('{ orders(distinct_on: ["nope"]) { id } }');
    expect(body.errors?.[0].message).toContain('nope');
    expectNoSqlText(body.errors?.[0].message ?? '');
  });
  it('a database error (invalid regex) is a GraphQL error with a path and no SQL text', async () => {
    const { status, body } = await c.request(
      '{ ok: tags_by_pk(name: "vip") { name } bad: customers(filter: {name: {regex: "("}}) { id } }',
    );
    expect(status).toBe(200);
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0].path).toEqual(['bad']);
    expectNoSqlText(body.errors?.[0].message ?? '');
    expect(body.data).toEqual({ ok: { name: 'vip' }, bad: null });
  });
  it('two operations without operationName', async () => {
    const body = await c.run('query A { orders_by_pk(id: 1) { id } } query B { orders_by_pk(id: 2) { id } }');
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].message).toMatch(/operation/i);
  });
  it('the engine keeps answering after errors', () =>
    expectData('{ orders_by_pk(id: 1) { id } }', { orders_by_pk: { id: 1 } }));
});

describe('edge cases', () => {
  it('in: [] matches nothing', () =>
    expectData('{ orders(filter: {status: {in: []}}) { id } }', { orders: [] }));
  it('an empty filter object matches everything', () =>
    expectData('{ orders(filter: {}, order_by: [{field: "id"}]) { id } }', {
      orders: ids([1, 2, 3, 4, 5, 6, 7, 8]),
    }));
  it('a null filter variable matches everything', () =>
    expectData(
      'query ($f: orders_filter) { orders(filter: $f, order_by: [{field: "id"}]) { id } }',
      { orders: ids([1, 2, 3, 4, 5, 6, 7, 8]) },
      { f: null },
    ));
  it('distinct_on without order_by: one row per value', async () => {
    const body = await c.run('{ orders(distinct_on: ["status"]) { status } }');
    expect(body.errors).toBeUndefined();
    expect((body.data?.orders as { status: string }[]).map((o) => o.status).sort()).toEqual([
      'cancelled',
      'new',
      'paid',
      'shipped',
    ]);
  });
  it('a field selected twice appears once', () =>
    expectData('{ orders_by_pk(id: 1) { id id status } }', { orders_by_pk: { id: 1, status: 'paid' } }));
  it('response keys follow the selection order (GraphQL spec §7.1)', async () => {
    const body = await c.run(
      '{ z: orders_by_pk(id: 1) { total id customer { name id } status } a: tags_by_pk(name: "gift") { label name } }',
    );
    expect(Object.keys(body.data ?? {})).toEqual(['z', 'a']);
    expect(Object.keys(body.data?.z)).toEqual(['total', 'id', 'customer', 'status']);
    expect(Object.keys(body.data?.z.customer)).toEqual(['name', 'id']);
    expect(Object.keys(body.data?.a)).toEqual(['label', 'name']);
  });
  it('relation arguments from variables', () =>
    expectData(
      `query ($s: String, $l: Int) { customers(order_by: [{field: "id"}], limit: 3) {
          id orders(filter: {status: {eq: $s}}, limit: $l, order_by: [{field: "id"}]) { id } } }`,
      {
        customers: [
          { id: 1, orders: [] },
          { id: 2, orders: [] },
          { id: 3, orders: ids([5]) },
        ],
      },
      { s: 'new', l: 1 },
    ));
});

describe('the same document with other variables (plan cache)', () => {
  const q = 'query ($s: String) { orders(filter: {status: {eq: $s}}, order_by: [{field: "id"}]) { id } }';
  it('first run', () => expectData(q, { orders: ids([1, 3, 7]) }, { s: 'paid' }));
  it('second run, other value', () => expectData(q, { orders: ids([5, 8]) }, { s: 'new' }));
  it('third run, the first value again', () => expectData(q, { orders: ids([1, 3, 7]) }, { s: 'paid' }));

  const d =
    'query ($i: Boolean!) { orders_by_pk(id: 2) { id status @include(if: $i) customer @skip(if: $i) { id } } }';
  it('@include variable true', () =>
    expectData(d, { orders_by_pk: { id: 2, status: 'shipped' } }, { i: true }));
  it('@include variable false (same document)', () =>
    expectData(d, { orders_by_pk: { id: 2, customer: { id: 1 } } }, { i: false }));

  const o = 'query ($o: [OrderByField], $l: Int) { orders(order_by: $o, limit: $l) { id } }';
  it('order_by variable DESC', () =>
    expectData(o, { orders: ids([6, 3]) }, { o: [{ field: 'total', direction: 'DESC' }], l: 2 }));
  it('order_by variable ASC on another field (same document)', () =>
    expectData(o, { orders: ids([1, 2]) }, { o: [{ field: 'id' }], l: 2 }));
});

describe('options and request shape', () => {
  it('defaultLimit applies to lists without a limit', async () => {
    const small = await c.engineWith({ name: 'small' }, { defaultLimit: 3 });
    const res = await small.execute({ query: '{ orders(order_by: [{field: "id"}]) { id } }' });
    expect(JSON.parse(res.body)).toEqual({ data: { orders: ids([1, 2, 3]) } });
    const explicit = await small.execute({ query: '{ orders(order_by: [{field: "id"}], limit: 5) { id } }' });
    expect(JSON.parse(explicit.body)).toEqual({ data: { orders: ids([1, 2, 3, 4, 5]) } });
  });
  it('a read-only source has no mutations', async () => {
    const { status, body } = await c.request('mutation { delete_orders(filter: {}) { success } }');
    expect(status).toBeLessThan(500);
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.length).toBeGreaterThan(0);
    await expectSql('SELECT count(*)::int AS id FROM orders', [8]);
  });
  it('an empty query string is a malformed request (400)', async () => {
    const res = await c.engine.execute({ query: '' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors?.length).toBeGreaterThan(0);
  });
  it('variables that are not an object are a malformed request (400)', async () => {
    const res = await c.engine.execute({
      query: '{ orders_by_pk(id: 1) { id } }',
      variables: [1, 2] as unknown as Record<string, unknown>,
    });
    expect(res.status).toBe(400);
  });
});
