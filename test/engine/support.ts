import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { Engine, type EngineOptions, type SourceInput } from '@app/engine';
import pg from 'pg';

import { createTestDatabase } from '../support/postgres.js';

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
  /** Another engine on the same database (e.g. other prefix/asModule); closed by close(). */
  engineWith(source: Partial<SourceInput>, options?: EngineOptions): Promise<Engine>;
  url: string;
  engine: Engine;
  close(): Promise<void>;
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
  try {
    await client.connect();
    await client.query(CONF_SQL);
    const statements: Statement[] = [];
    const allStatements: Statement[] = [];
    engine = await createEngine(confSource(db.url), {
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
      engineWith: async (source, opts = {}) => {
        const other = await createEngine(confSource(db.url, source), opts);
        others.push(other);
        return other;
      },
      url: db.url,
      engine: eng,
      close: async () => {
        for (const other of others) await other.close();
        await eng.close();
        await client.end();
        await db.drop();
      },
    };
  } catch (err) {
    await engine?.close().catch(() => undefined);
    await client.end().catch(() => undefined);
    await db.drop();
    throw err;
  }
}

/** `[{id: 1}, {id: 2}]` → `[1, 2]`. */
export function col<T = unknown>(rows: Record<string, unknown>[], key = 'id'): T[] {
  return rows.map((r) => r[key] as T);
}
