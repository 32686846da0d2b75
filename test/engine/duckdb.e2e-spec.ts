/**
 * The `duckdb` data source (docs/data-sources.md): an in-memory instance per source reading
 * Parquet, CSV and NDJSON files through catalog views, object-storage URLs through the host's
 * `resolveObjects` hook, read-only (mutations refused naming the source), statement timeout by
 * interrupt, database errors without SQL text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Engine, type EngineOptions, type SourceInput } from '@app/engine';
import { DuckDBInstance } from '@duckdb/node-api';

import type { GqlBody } from './support.js';

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'muninn-duck-'));
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  await duck.run(
    `COPY (SELECT i AS id, 'item ' || i AS name, i * 1.5 AS price FROM range(1, 6) r(i)) TO '${dir}/items.parquet' (FORMAT parquet)`,
  );
  duck.closeSync();
  instance.closeSync();
  writeFileSync(join(dir, 'stock.csv'), 'item_id,qty\n1,10\n2,0\n3,7\n');
  writeFileSync(
    join(dir, 'events.ndjson'),
    '{"id": 1, "item_id": 1, "at": "2024-03-01T09:00:00Z"}\n{"id": 2, "item_id": 3, "at": "2024-03-02T10:15:30.5Z"}\n',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SDL = (root: string) => `
type items @view(name: "items", sql: "SELECT * FROM read_parquet('${root}/items.parquet')") {
  id: BigInt! @pk
  name: String!
  price: Float
}
type stock
  @view(name: "stock", sql: "SELECT * FROM read_csv('${root}/stock.csv', header = true)")
  @references(references_name: "items", source_fields: ["item_id"], references_fields: ["id"], query: "item", references_query: "stock") {
  item_id: BigInt! @pk
  qty: Int
}
type events @view(name: "events", sql: "SELECT * FROM read_json('${root}/events.ndjson', format = 'newline_delimited')") {
  id: BigInt! @pk
  item_id: BigInt
  at: Timestamp
}
`;

function source(over: Partial<SourceInput> = {}): SourceInput {
  return {
    name: 'files',
    type: 'duckdb',
    prefix: '',
    asModule: false,
    path: '',
    readOnly: true,
    catalogs: [{ name: 'files', type: 'text', path: SDL(dir) }],
    ...over,
  };
}

async function open(over: Partial<SourceInput> = {}, options: EngineOptions = {}) {
  const engine = await Engine.create([source(over)], options);
  const run = async (query: string) => JSON.parse((await engine.execute({ query })).body) as GqlBody;
  return { engine, run };
}

describe('duckdb source over files', () => {
  it('reads Parquet, CSV and NDJSON views with relations, filters and order', async () => {
    const { engine, run } = await open();
    try {
      expect(engine.statuses).toEqual([{ name: 'files', ok: true }]);
      expect(
        await run(
          '{ items(filter: {price: {gt: 2}}, order_by: [{field: "id", direction: DESC}]) { id name stock { qty } } }',
        ),
      ).toEqual({
        data: {
          items: [
            { id: 5, name: 'item 5', stock: [] },
            { id: 4, name: 'item 4', stock: [] },
            { id: 3, name: 'item 3', stock: [{ qty: 7 }] },
            { id: 2, name: 'item 2', stock: [{ qty: 0 }] },
          ],
        },
      });
      expect(await run('{ events { id at } stock(filter: {item: {name: {like: "%1"}}}) { qty } }')).toEqual({
        data: {
          events: [
            { id: 1, at: '2024-03-01T09:00:00Z' },
            { id: 2, at: '2024-03-02T10:15:30.5Z' },
          ],
          stock: [{ qty: 10 }],
        },
      });
      expect(await run('{ items_aggregation { _rows_count price { sum max } } }')).toEqual({
        data: { items_aggregation: { _rows_count: 5, price: { sum: 22.5, max: 7.5 } } },
      });
    } finally {
      await engine.close();
    }
  });

  it('s3:// URLs in view SQL are replaced by the files resolveObjects returns', async () => {
    const asked: string[] = [];
    const sdl = `type items @view(name: "items", sql: "SELECT * FROM read_parquet('s3://bucket/items/*.parquet')") {
      id: BigInt! @pk
      name: String!
    }`;
    const { engine, run } = await open(
      { catalogs: [{ name: 'files', type: 'text', path: sdl }] },
      {
        resolveObjects: (url) => {
          asked.push(url);
          return Promise.resolve([join(dir, 'items.parquet')]);
        },
      },
    );
    try {
      expect(asked).toEqual(['s3://bucket/items/*.parquet']);
      expect(await run('{ items(limit: 1) { id } }')).toEqual({ data: { items: [{ id: 1 }] } });
    } finally {
      await engine.close();
    }
    // Without an object store the source is reported and left out.
    const bare = await Engine.create([source({ catalogs: [{ name: 'files', type: 'text', path: sdl }] })]);
    expect(bare.statuses[0]).toMatchObject({
      ok: false,
      error: expect.stringMatching(/s3:\/\/bucket.*object store/),
    });
    await bare.close();
  });

  it('a database file that does not exist: the source is reported, not served', async () => {
    const engine = await Engine.create([source({ path: join(dir, 'missing.duckdb') })]);
    expect(engine.statuses[0]).toMatchObject({ ok: false, error: expect.stringMatching(/^cannot open/) });
    await engine.close();
  });

  it('mutations are refused at plan time, naming the source', async () => {
    const writable = `type items @table(name: "items") { id: BigInt! @pk  name: String }`;
    const file = join(dir, 'rw.duckdb');
    const instance = await DuckDBInstance.create(file);
    const duck = await instance.connect();
    await duck.run('CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR)');
    duck.closeSync();
    instance.closeSync();
    const { engine, run } = await open({
      path: file,
      readOnly: false,
      catalogs: [{ name: 'rw', type: 'text', path: writable }],
    });
    try {
      const body = await run('mutation { insert_items(data: {id: 1, name: "x"}) { id } }');
      expect(body.errors?.[0]).toMatchObject({
        message: 'mutations is not supported on duckdb source "files"',
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(await run('{ items { id } }')).toEqual({ data: { items: [] } });
    } finally {
      await engine.close();
    }
  });

  it('statement timeout interrupts the query; errors carry no SQL; the source keeps answering', async () => {
    const sdl = `type slow @view(name: "slow", sql: "SELECT count(*) AS n FROM range(100000000000) a") { n: BigInt }
      type items @view(name: "items", sql: "SELECT * FROM read_parquet('${dir}/items.parquet')") { id: BigInt! @pk name: String }`;
    const { engine, run } = await open(
      { catalogs: [{ name: 'files', type: 'text', path: sdl }] },
      { statementTimeoutMs: 300 },
    );
    try {
      const started = Date.now();
      const body = await run('{ slow { n } }');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(body.errors?.[0]).toMatchObject({
        message: 'data source files: statement timeout',
        extensions: { code: 'DATA_SOURCE_ERROR' },
      });
      const bad = await run('{ items(filter: {name: {regex: "("}}) { id } }');
      expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0].message).not.toMatch(/select|json_object|\$\d/i);
      expect(await run('{ items(limit: 2) { id } }')).toEqual({ data: { items: [{ id: 1 }, { id: 2 }] } });
    } finally {
      await engine.close();
    }
  });
});
