import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLObjectType } from 'graphql';
import { CatalogError } from '../errors.js';
import { generateSchema } from '../schema/build-schema.js';
import { compileCatalogs } from './compile.js';
import { loadCatalog } from './load-catalog.js';

const spec = (over = {}) => ({
  name: 'src',
  type: 'postgres',
  prefix: '',
  asModule: false,
  readOnly: true,
  ...over,
});

function compile(sdl: string, over = {}) {
  return compileCatalogs([{ spec: spec(over), documents: [{ name: 'cat.graphql', sdl }] }]);
}

function problems(sdl: string): string[] {
  try {
    compile(sdl);
  } catch (err) {
    return (err as CatalogError).problems.map((p) => `${p.catalog}:${p.line}: ${p.message}`);
  }
  return [];
}

const SHOP = `
type customers @table(name: "customers") { id: Int! @pk  name: String @unique }
type orders @table(name: "orders") {
  id: Int! @pk
  customer_id: Int @field_references(references_name: "customers", field: "id", query: "customer", references_query: "orders")
}
type tags @table(name: "tags") { name: String! @pk }
type order_tags @table(name: "order_tags", is_m2m: true) {
  order_id: Int! @pk @field_references(references_name: "orders", field: "id", query: "order", references_query: "tags")
  tag: String! @pk @field_references(references_name: "tags", field: "name", query: "tag", references_query: "orders")
}`;

describe('catalog compiler', () => {
  it('names every problem with its catalog and line, all at once', () => {
    expect(
      problems(`type a @table(name: "a") {
  id: Int! @pk
  b: Mystery
}
type c @table(name: "c") @references(references_name: "zzz", source_fields: ["id"], references_fields: ["id"]) {
  id: Int! @pk
}`),
    ).toEqual([
      expect.stringMatching(/^cat\.graphql:3: field a\.b: unknown or unsupported type Mystery/),
      expect.stringMatching(/^cat\.graphql:5: type c: reference to "zzz": no @table or @view/),
    ]);
  });

  it('reports a syntax error with its line', () => {
    expect(problems('type a @table(name: "a") {\n  id: Int! @pk\n  oops(\n}')).toEqual([
      expect.stringMatching(/^cat\.graphql:4: syntax error/),
    ]);
  });

  it('builds forward, back and many-to-many relation fields on the right ends', () => {
    const c = compile(SHOP);
    const field = (o: string, f: string) => c.objects.get(o)!.fields.get(f);
    expect(field('orders', 'customer')).toMatchObject({
      kind: 'relation',
      direction: 'forward',
      target: 'customers',
    });
    expect(field('customers', 'orders')).toMatchObject({
      kind: 'relation',
      direction: 'back',
      target: 'orders',
    });
    expect(field('orders', 'tags')).toMatchObject({
      direction: 'm2m',
      target: 'tags',
      junction: 'order_tags',
    });
    expect(field('tags', 'orders')).toMatchObject({
      direction: 'm2m',
      target: 'orders',
      junction: 'order_tags',
    });
    expect(field('order_tags', 'order')).toBeUndefined();
  });

  it('generates Hugr names with a prefix, and unprefixed fields under the module with asModule', () => {
    const plain = generateSchema(compile(SHOP, { prefix: 'shop' }));
    const q = plain.schema.getQueryType()!.getFields();
    expect(Object.keys(q)).toEqual(
      expect.arrayContaining([
        'shop_orders',
        'shop_orders_by_pk',
        'shop_customers_by_name',
        'shop_order_tags',
      ]),
    );
    expect(plain.schema.getType('shop_orders_filter')).toBeDefined();
    expect(plain.schema.getType('shop_orders_list_filter')).toBeDefined();

    const mod = generateSchema(compile(SHOP, { prefix: 'shop', asModule: true }));
    expect(Object.keys(mod.schema.getQueryType()!.getFields())).toEqual(['src']);
    const inner = (
      mod.schema.getType('_module_src_query') as { getFields(): Record<string, unknown> }
    ).getFields();
    expect(Object.keys(inner)).toEqual(expect.arrayContaining(['orders', 'orders_by_pk', 'tags_by_pk']));
    expect(mod.sdl).toContain('): [shop_orders]');
  });

  it('gives relation fields the arguments Hugr generates', () => {
    const { schema } = generateSchema(compile(SHOP));
    const orders = (schema.getType('customers') as GraphQLObjectType).getFields().orders;
    expect(orders.args.map((a) => a.name).sort()).toEqual([
      'distinct_on',
      'filter',
      'inner',
      'limit',
      'nested_limit',
      'nested_offset',
      'nested_order_by',
      'offset',
      'order_by',
    ]);
  });
});

describe('catalog loading', () => {
  it('reads a localFS directory of .graphql files, each reported under its own name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muninn-cat-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.graphql'), 'type a @table(name: "a") { id: Int! @pk }');
    writeFileSync(join(dir, 'sub', 'b.graphql'), 'type b @table(name: "b") { id: Int! @pk }');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const docs = await loadCatalog({ name: 'fs', type: 'localFS', path: dir });
    expect(docs.map((d) => d.name)).toEqual(['fs/a.graphql', 'fs/sub/b.graphql']);
  });

  it('explains a missing localFS path and a failing URL', async () => {
    await expect(loadCatalog({ name: 'fs', type: 'localFS', path: '/no/such/dir' })).rejects.toThrow(
      /fs: cannot read \/no\/such\/dir/,
    );
    await expect(loadCatalog({ name: 'u', type: 'uri', path: 'ftp://x/y' })).rejects.toThrow(
      /unsupported URL scheme/,
    );
  });

  it('fetches a uri catalog over HTTP', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/cat.graphql') res.end('type a @table(name: "a") { id: Int! @pk }');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const [doc] = await loadCatalog({
        name: 'u',
        type: 'uri',
        path: `http://127.0.0.1:${port}/cat.graphql`,
      });
      expect(doc.sdl).toContain('@table');
      await expect(
        loadCatalog({ name: 'u', type: 'uri', path: `http://127.0.0.1:${port}/missing` }),
      ).rejects.toThrow(/answered 404/);
    } finally {
      server.close();
    }
  });
});
