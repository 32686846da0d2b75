import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';

import { Engine, type EngineOptions, type SourceInput } from '@app/engine';
import mysql from 'mysql2/promise';
import pg from 'pg';

import { createTestDatabase } from '../support/postgres.js';
import { createMySqlFixture, mysqlCatalog } from './mysql-fixture.js';

export const FIXTURE_DIR = resolve(import.meta.dirname, 'fixture');
export const CONF_SQL = readFileSync(resolve(FIXTURE_DIR, 'conf.sql'), 'utf8');
export const CONF_SDL = readFileSync(resolve(FIXTURE_DIR, 'conf.graphql'), 'utf8');

/** A GraphQL answer, parsed from the engine's JSON body. */
export interface GqlError {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Data = Record<string, any>;
export interface GqlBody {
  data?: Data | null;
  errors?: GqlError[];
}

export interface Statement {
  source: string;
  sql: string;
  params: readonly unknown[];
}

export interface Conformance {
  /** Runs a query and returns the parsed body (whatever the HTTP status). */
  run(query: string, variables?: Record<string, unknown> | null, operationName?: string): Promise<GqlBody>;
  /** Runs a query and returns the status, the raw body text and the parsed body. */
  request(
    query: string,
    variables?: Record<string, unknown> | null,
    operationName?: string,
  ): Promise<{ status: number; text: string; body: GqlBody }>;
  /** Statements sent to the data source since the last reset(). */
  statements: Statement[];
  /** Every statement sent since the engine was created (never reset). */
  allStatements: Statement[];
  reset(): void;
  /** Hand-written SQL on the same database (pg, not the engine), for cross-checks. */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<T[]>;
  /**
   * Hand-written SQL on the database the engine serves: PostgreSQL, or MariaDB for `mysql` (there
   * `;`-separated statements run in turn and integer results of display width 1, booleans, come back
   * as true/false). DuckDB reads Parquet copies: there it is `sql`.
   */
  db<T extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<T[]>;
  /** A source of the current kind on the engine's database (the conformance catalog unless overridden). */
  source(over?: Partial<SourceInput>): SourceInput;
  kind: ConfKind;
  /** Another engine on the same database (e.g. other prefix/asModule); closed by close(). */
  engineWith(source: Partial<SourceInput>, options?: EngineOptions): Promise<Engine>;
  url: string;
  engine: Engine;
  close(): Promise<void>;
}

/** The database kind the conformance engine reads (the expected answers are the same). */
export type ConfKind = 'postgres' | 'duckdb' | 'mysql';
let confKind: ConfKind = 'postgres';

/**
 * Makes `openConformance()` build its engine over `kind` (a spec file that runs a shared suite on
 * DuckDB calls this, then imports the suite). Cross-check SQL (`c.sql`) always runs on PostgreSQL.
 */
export function useConformanceKind(kind: ConfKind): void {
  confKind = kind;
}

export function conformanceKind(): ConfKind {
  return confKind;
}

/**
 * `it` for a case that the current kind documents as unsupported (docs/data-sources.md): the
 * reason names the documented limitation, so a skip never hides a failure silently.
 */
export function itUnless(kinds: ConfKind[], reason: string): jest.It {
  void reason;
  return kinds.includes(confKind) ? it.skip : it;
}

/**
 * Cases of the shared suites that a kind documents as unsupported (docs/data-sources.md, "Not
 * supported on mysql"), by test name, with the reason. `itUnless` covers single tests; tables of
 * cases skip by this list (`unsupportedOn`).
 */
const UNSUPPORTED: Record<string, { kinds: ConfKind[]; reason: string }> = {
  'back with order_by + limit: per parent, the largest order only': {
    kinds: ['mysql'],
    reason: 'limit/offset of relation aggregations need a correlated derived table (MariaDB has none)',
  },
  'back bucket: customers.orders_bucket_aggregation by status ([] without orders)': {
    kinds: ['mysql'],
    reason: 'bucket aggregations of relations need a correlated derived table',
  },
  'm2m bucket: tags.orders_bucket_aggregation by status': {
    kinds: ['mysql'],
    reason: 'bucket aggregations of relations need a correlated derived table',
  },
};

/** Whether the current kind documents the named case as unsupported. */
export function unsupportedOn(name: string): boolean {
  return UNSUPPORTED[name]?.kinds.includes(confKind) ?? false;
}

/** Column types of the fixture tables as DuckDB declares them (from conf.sql). */
const DUCK_TABLES: Record<string, Record<string, string>> = {
  customers: {
    id: 'INTEGER',
    full_name: 'VARCHAR',
    email: 'VARCHAR',
    attrs: 'JSON',
    address: 'JSON',
    born: 'DATE',
    score: 'DOUBLE',
    big: 'BIGINT',
    active: 'BOOLEAN',
    created_at: 'TIMESTAMPTZ',
    note: 'VARCHAR',
  },
  orders: {
    id: 'INTEGER',
    customer_id: 'INTEGER',
    status: 'VARCHAR',
    total: 'DECIMAL(12,2)',
    qty: 'INTEGER',
    created_at: 'TIMESTAMPTZ',
    shipped_on: 'DATE',
    meta: 'JSON',
  },
  tags: { name: 'VARCHAR', label: 'VARCHAR' },
  order_tags: { order_id: 'INTEGER', tag_name: 'VARCHAR' },
  products: { id: 'INTEGER', sku: 'VARCHAR', name: 'VARCHAR', price: 'DECIMAL(12,2)' },
};

/**
 * The fixture exported from PostgreSQL to Parquet files (one per table) in `dir`, and a DuckDB
 * database file `dir/conf.duckdb` whose views read them (`CREATE VIEW orders AS SELECT * FROM
 * read_parquet('…/orders.parquet')`), so the same catalog (conf.graphql) serves both kinds.
 */
export async function exportFixtureToParquet(client: pg.Client, dir: string): Promise<string> {
  const file = join(dir, 'conf.duckdb');
  const instance = await DuckDBInstance.create(file);
  const duck = await instance.connect();
  try {
    await duck.run(`SET TimeZone = 'UTC'`);
    for (const [table, columns] of Object.entries(DUCK_TABLES)) {
      const { rows } = await client.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM ${table} t`);
      const ndjson = join(dir, `${table}.ndjson`);
      writeFileSync(ndjson, rows.map((r) => r.j).join('\n'));
      const spec = Object.entries(columns)
        .map(([name, type]) => `'${name}': '${type}'`)
        .join(', ');
      const parquet = join(dir, `${table}.parquet`);
      await duck.run(
        `COPY (SELECT * FROM read_json('${ndjson}', format = 'newline_delimited', columns = {${spec}})) TO '${parquet}' (FORMAT parquet)`,
      );
      await duck.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet('${parquet}')`);
    }
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
  return file;
}

export function confSource(url: string, over: Partial<SourceInput> = {}): SourceInput {
  return {
    name: 'conf',
    type: 'postgres',
    prefix: '',
    asModule: false,
    path: url,
    readOnly: true,
    catalogs: [{ name: 'conf', type: 'text', path: CONF_SDL }],
    ...over,
  };
}

async function createEngine(source: SourceInput, options: EngineOptions): Promise<Engine> {
  const engine = await Engine.create([source], options);
  const bad = engine.statuses.filter((s) => !s.ok);
  if (bad.length > 0) {
    await engine.close();
    throw new Error(`source failed to load: ${bad.map((s) => `${s.name}: ${s.error}`).join('; ')}`);
  }
  return engine;
}

/** A fresh database loaded with the fixture, and an engine over it that records every statement. */
export async function openConformance(options: EngineOptions = {}): Promise<Conformance> {
  const db = await createTestDatabase('muninn_conf');
  const client = new pg.Client({ connectionString: db.url });
  const others: Engine[] = [];
  let engine: Engine | undefined;
  const kind = confKind;
  const dir = kind === 'duckdb' ? mkdtempSync(join(tmpdir(), 'muninn-conf-')) : undefined;
  let my: { url: string; drop: () => Promise<void> } | undefined;
  let myConn: Promise<mysql.Connection> | undefined;
  const drop = async () => {
    await (await myConn?.catch(() => undefined))?.end();
    await db.drop();
    await my?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await client.connect();
    await client.query(CONF_SQL);
    // DuckDB reads the same rows from Parquet files through views of a read-only database file.
    // MariaDB gets the same rows, copied from PostgreSQL.
    if (kind === 'mysql') my = await createMySqlFixture(client);
    const path = dir ? await exportFixtureToParquet(client, dir) : (my?.url ?? db.url);
    const kindOf = (over: Partial<SourceInput> = {}) =>
      confSource(path, {
        ...(dir ? { type: 'duckdb' } : {}),
        ...(my
          ? { type: 'mysql', catalogs: [{ name: 'conf', type: 'text', path: mysqlCatalog(CONF_SDL) }] }
          : {}),
        ...over,
      });
    const statements: Statement[] = [];
    const allStatements: Statement[] = [];
    engine = await createEngine(kindOf(), {
      ...options,
      onStatement: (event) => {
        const st = { source: event.source, sql: event.sql, params: [...event.params] };
        statements.push(st);
        allStatements.push(st);
        options.onStatement?.(event);
      },
    });
    const eng = engine;
    const request: Conformance['request'] = async (query, variables, operationName) => {
      const res = await eng.execute({
        query,
        variables: variables ?? null,
        operationName: operationName ?? null,
      });
      let body: GqlBody;
      try {
        body = JSON.parse(res.body) as GqlBody;
      } catch {
        throw new Error(
          `engine answered ${res.status} with a body that is not JSON: ${res.body.slice(0, 300)}`,
        );
      }
      return { status: res.status, text: res.body, body };
    };
    return {
      request,
      run: async (query, variables, operationName) => (await request(query, variables, operationName)).body,
      statements,
      allStatements,
      reset: () => {
        statements.length = 0;
      },
      sql: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
        (await client.query(text, params)).rows as T[],
      db: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => {
        if (!my) return (await client.query(text, params)).rows as T[];
        const conn = await (myConn ??= openMySqlCheck(my.url));
        const [rows] = await conn.query(text, params);
        return (Array.isArray(rows) ? rows : []) as T[];
      },
      source: kindOf,
      kind,
      engineWith: async (source, opts = {}) => {
        const other = await createEngine(kindOf(source), opts);
        others.push(other);
        return other;
      },
      url: db.url,
      engine: eng,
      close: async () => {
        for (const other of others) await other.close();
        await eng.close();
        await client.end();
        await drop();
      },
    };
  } catch (err) {
    await engine?.close().catch(() => undefined);
    await client.end().catch(() => undefined);
    await drop();
    throw err;
  }
}

/** A connection for cross-checks on MariaDB: UTC, ANSI quotes, booleans as true/false. */
async function openMySqlCheck(url: string): Promise<mysql.Connection> {
  const conn = await mysql.createConnection({
    uri: url,
    multipleStatements: true,
    dateStrings: true,
    typeCast: (field, next) => {
      if (['TINY', 'LONG', 'LONGLONG'].includes(field.type) && field.length === 1) {
        const v = field.string();
        return v === null ? null : v === '1';
      }
      return next();
    },
  });
  await conn.query(`SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'), time_zone = '+00:00'`);
  return conn;
}

/** `[{id: 1}, {id: 2}]` → `[1, 2]`. */
export function col<T = unknown>(rows: Record<string, unknown>[], key = 'id'): T[] {
  return rows.map((r) => r[key] as T);
}
