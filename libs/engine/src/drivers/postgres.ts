import pg from 'pg';
import { EngineError } from '../errors.js';
import { postgresDialect } from '../plan/dialect.js';
import { type SourceDriver, type TransactionRun, probeConnection } from './driver.js';

export interface PostgresSourceOptions {
  name: string;
  dsn: string;
  readOnly: boolean;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  onStatement?: (event: { source: string; sql: string; params: readonly unknown[] }) => void;
}

/** Replaces `${NAME}` with the environment's value; a missing variable is an error, never ''. */
export function substituteEnv(path: string, env: Record<string, string | undefined>): string {
  return path.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined)
      throw new EngineError('DATA_SOURCE_UNAVAILABLE', `environment variable ${name} is not set`);
    return value;
  });
}

/** SQLSTATE classes whose messages describe the caller's values, not our SQL. */
const DATA_ERROR_CLASSES = new Set(['22', '23']);
const CONNECTION_CLASSES = new Set(['08', '53', '57P']);

/**
 * Statements seen twice are prepared (named) so PostgreSQL parses and plans them once per
 * connection; the cap bounds what a stream of ever-new queries can leave on the server.
 */
const MAX_PREPARED = 500;

/** A bounded `pg` pool for one `postgres` data source. */
export class PostgresSource implements SourceDriver {
  readonly dialect = postgresDialect;
  private readonly pool: pg.Pool;
  /** SQL text → statement name once prepared; null = seen once. */
  private readonly seen = new Map<string, string | null>();
  private prepared = 0;

  constructor(private readonly opts: PostgresSourceOptions) {
    const options = ['-c TimeZone=UTC', ...(opts.readOnly ? ['-c default_transaction_read_only=on'] : [])];
    this.pool = new pg.Pool({
      connectionString: opts.dsn,
      max: opts.poolSize,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      statement_timeout: opts.statementTimeoutMs,
      application_name: `muninn:${opts.name}`,
      options: options.join(' '),
    });
    // An idle client that loses its server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  get name(): string {
    return this.opts.name;
  }

  get stats() {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** Proves the source answers (at load). */
  check(): Promise<void> {
    return probeConnection((sql) => this.pool.query(sql), describeConnectError);
  }

  /** Runs a statement that returns one text value (the JSON built by PostgreSQL); no row → null. */
  async queryText(sql: string, params: readonly unknown[]): Promise<string | null> {
    this.opts.onStatement?.({ source: this.opts.name, sql, params });
    try {
      const name = this.statementName(sql);
      const res = await this.pool.query({ name, text: sql, values: params as unknown[], rowMode: 'array' });
      const row = res.rows[0] as unknown[] | undefined;
      return row ? (row[0] as string | null) : null;
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws. `run` returns the rows as objects.
   */
  async transaction<T>(work: (run: TransactionRun) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.mapError(err);
    }
    const run = async (sql: string, params: readonly unknown[]) => {
      this.opts.onStatement?.({ source: this.opts.name, sql, params });
      try {
        return (await client.query({ text: sql, values: params as unknown[] })).rows as Record<
          string,
          unknown
        >[];
      } catch (err) {
        throw this.mapError(err);
      }
    };
    try {
      await client.query('BEGIN');
      const result = await work(run);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      // A connection that fails to roll back is discarded rather than returned to the pool.
      await client.query('ROLLBACK').then(
        () => client.release(),
        (rollbackErr: Error) => client.release(rollbackErr),
      );
      throw err instanceof EngineError ? err : this.mapError(err);
    }
  }

  private statementName(sql: string): string | undefined {
    const known = this.seen.get(sql);
    if (known) return known;
    if (this.seen.size >= MAX_PREPARED * 4) return undefined;
    if (known === undefined) {
      this.seen.set(sql, null);
      return undefined;
    }
    if (this.prepared >= MAX_PREPARED) return undefined;
    const name = `muninn_${++this.prepared}`;
    this.seen.set(sql, name);
    return name;
  }

  private mapError(err: unknown): EngineError {
    const code = (err as { code?: string }).code ?? '';
    const message = (err as Error).message ?? String(err);
    if (code === '57014')
      return new EngineError('DATA_SOURCE_ERROR', `data source ${this.name}: statement timeout`);
    if (DATA_ERROR_CLASSES.has(code.slice(0, 2)))
      return new EngineError('BAD_USER_INPUT', `data source ${this.name} rejected a value: ${message}`);
    if (!code || CONNECTION_CLASSES.has(code.slice(0, 2)) || CONNECTION_CLASSES.has(code.slice(0, 3)))
      return new EngineError(
        'DATA_SOURCE_UNAVAILABLE',
        `data source ${this.name} is unavailable: ${describeConnectError(err)}`,
      );
    return new EngineError(
      'DATA_SOURCE_ERROR',
      `data source ${this.name} failed to run the query (SQLSTATE ${code})`,
    );
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** Connection errors without the DSN (it may carry a password). */
function describeConnectError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ENOTFOUND') return 'host not found';
  if (e.code === '28P01' || e.code === '28000') return 'authentication failed';
  if (e.code === '3D000') return 'database does not exist';
  return (e.message ?? 'unknown error').replace(/postgres(ql)?:\/\/\S+/g, '<dsn>');
}
