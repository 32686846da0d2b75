/**
 * Wire formats do not depend on the database session time zone: Timestamp is always UTC with `Z`
 * (SPEC §4), Date is the calendar date. The test server runs in UTC, which would hide a bug, so
 * this file moves the fixture database to a far-from-UTC zone before the engine connects.
 */
import { type Conformance, openConformance } from './support.js';

let c: Conformance;
let run: (query: string) => Promise<unknown>;

beforeAll(async () => {
  c = await openConformance();
  const db = new URL(c.url).pathname.slice(1);
  await c.sql(`ALTER DATABASE "${db}" SET timezone TO 'Pacific/Kiritimati'`); // UTC+14
  const engine = await c.engineWith({ name: 'tz' });
  run = async (query) => JSON.parse((await engine.execute({ query })).body);
});

afterAll(async () => {
  await c?.close();
});

describe('session time zone UTC+14', () => {
  it('the database really answers in UTC+14 on new connections', async () => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: c.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT to_char(created_at, 'HH24:MI TZH') AS t FROM orders WHERE id = 1",
    );
    await client.end();
    expect(rows[0].t).toBe('23:00 +14');
  });

  it('Timestamp values are still UTC with Z', async () =>
    expect(
      await run('{ orders(filter: {id: {in: [1, 3, 6]}}, order_by: [{field: "id"}]) { created_at } }'),
    ).toEqual({
      data: {
        orders: [
          { created_at: '2024-03-01T09:00:00Z' },
          { created_at: '2024-03-05T14:00:00.789Z' },
          { created_at: '2024-03-10T11:11:11.123456Z' },
        ],
      },
    }));

  it('Timestamp filters with Z compare instants', async () =>
    expect(
      await run(
        '{ orders(filter: {created_at: {lte: "2024-03-02T10:15:30Z"}}, order_by: [{field: "id"}]) { id } }',
      ),
    ).toEqual({ data: { orders: [{ id: 1 }, { id: 2 }] } }));

  it('Date values are unchanged', async () =>
    expect(await run('{ customers_by_pk(id: 4) { born } orders_by_pk(id: 1) { shipped_on } }')).toEqual({
      data: { customers_by_pk: { born: '2000-02-29' }, orders_by_pk: { shipped_on: '2024-03-03' } },
    }));
});
