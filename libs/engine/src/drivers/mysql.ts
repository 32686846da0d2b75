import mysql from 'mysql2';
import type { ExecuteValues, Pool as PromisePool, PoolConnection } from 'mysql2/promise';
import { EngineError } from '../errors.js';
import { mysqlDialect } from '../plan/dialect.js';
import { type SourceDriver, type TransactionRun, probeConnection } from './driver.js';

export interface MySqlSourceOptions {
  name: string;
  /** `mysql://user:pass@host:3306/db` (`${ENV}` already substituted). */
  dsn: string;
  readOnly: boolean;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  onStatement?: (event: { source: string; sql: string; params: readonly unknown[] }) => void;
}

/**
 * The session every connection runs in: PostgreSQL's quoting (`"ident"`, `||`, backslash is no
 * escape in string literals), UTC, long GROUP_CONCAT results, the statement timeout.
 */
const SQL_MODE = [
  'ANSI_QUOTES',
  'PIPES_AS_CONCAT',
  'NO_BACKSLASH_ESCAPES',
  'STRICT_ALL_TABLES',
  'NO_ZERO_IN_DATE',
  'NO_ZERO_DATE',
  'ERROR_FOR_DIVISION_BY_ZERO',
  'NO_ENGINE_SUBSTITUTION',
].join(',');

/** MariaDB `max_statement_time` exceeded; MySQL `max_execution_time` exceeded. */
const TIMEOUT_ERRNOS = new Set([1969, 3024]);
/** Errors about the caller's values or regular expression, not about our SQL. */
const VALUE_ERRNOS = new Set([1139, 1292, 1366, 1406, 1264, 1048, 1452, 1451, 1062, 1690, 3141, 4037, 4038]);
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_CON_COUNT_ERROR',
]);

/**
 * The planner's `$n` placeholders as `?` (mysql2's), with the values in the order they appear
 * (a value used twice is sent twice). Quoted strings and identifiers are skipped.
 */
export function positional(
  sql: string,
  params: readonly unknown[],
): { sql: string; values: ExecuteValues[] } {
  const values: ExecuteValues[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '$') {
      const m = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      if (m) {
        values.push(toMySqlValue(params[Number(m[1]) - 1]));
        out += '?';
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return { sql: out, values };
}

function toMySqlValue(value: unknown): ExecuteValues {
  if (value === undefined) return null;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return value as ExecuteValues;
}

/** A bounded `mysql2` pool for one `mysql` (MariaDB / MySQL) data source. */
export class MySqlSource implements SourceDriver {
  readonly dialect = mysqlDialect;
  private readonly pool: PromisePool;

  constructor(private readonly opts: MySqlSourceOptions) {
    const core = mysql.createPool({
      uri: opts.dsn,
      connectionLimit: opts.poolSize,
      connectTimeout: opts.connectTimeoutMs,
      charset: 'utf8mb4',
      timezone: 'Z',
      dateStrings: true,
      jsonStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      maxPreparedStatements: 500,
    });
    const seconds = Math.max(opts.statementTimeoutMs, 1) / 1000;
    const session = [
      `SET SESSION sql_mode = '${SQL_MODE}', time_zone = '+00:00', group_concat_max_len = 1073741824, div_precision_increment = 30`,
      ...(opts.readOnly ? ['SET SESSION TRANSACTION READ ONLY'] : []),
    ];
    core.on('connection', (conn) => {
      // Commands queue per connection: these run before the connection's first statement.
      for (const sql of session) conn.query(sql, () => undefined);
      // MariaDB: max_statement_time (seconds); MySQL: max_execution_time (ms, SELECT only).
      conn.query(`SET SESSION max_statement_time = ${seconds}`, (err) => {
        if (err) conn.query(`SET SESSION max_execution_time = ${Math.ceil(seconds * 1000)}`, () => undefined);
      });
    });
    this.pool = core.promise();
  }

  get name(): string {
    return this.opts.name;
  }

  get stats() {
    const p = this.pool.pool as unknown as {
      _allConnections?: { length: number };
      _freeConnections?: { length: number };
      _connectionQueue?: { length: number };
    };
    return {
      total: p._allConnections?.length ?? 0,
      idle: p._freeConnections?.length ?? 0,
      waiting: p._connectionQueue?.length ?? 0,
    };
  }

  check(): Promise<void> {
    return probeConnection((sql) => this.pool.query(sql), describeConnectError);
  }

  async queryText(sql: string, params: readonly unknown[]): Promise<string | null> {
    this.opts.onStatement?.({ source: this.opts.name, sql, params });
    const q = positional(sql, params);
    try {
      const [rows] = await this.pool.execute({ sql: q.sql, rowsAsArray: true }, q.values);
      const row = (rows as unknown[][])[0];
      const value = row?.[0];
      if (value === undefined || value === null) return null;
      return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * Runs `work` in one transaction on one pooled connection. `run` returns rows as objects; an
   * UPDATE/DELETE (no rows) returns `[{ affected }]`.
   */
  async transaction<T>(work: (run: TransactionRun) => Promise<T>): Promise<T> {
    let conn: PoolConnection;
    try {
      conn = await this.pool.getConnection();
    } catch (err) {
      throw this.mapError(err);
    }
    const run: TransactionRun = async (sql, params) => {
      this.opts.onStatement?.({ source: this.opts.name, sql, params });
      const q = positional(sql, params);
      try {
        const [result] = await conn.execute(q.sql, q.values);
        if (Array.isArray(result)) return result as Record<string, unknown>[];
        const r = result as { affectedRows?: number; insertId?: number };
        return [{ affected: r.affectedRows ?? 0, insertId: r.insertId ?? null }];
      } catch (err) {
        throw this.mapError(err, sql);
      }
    };
    try {
      await conn.query('START TRANSACTION');
      const result = await work(run);
      await conn.query('COMMIT');
      conn.release();
      return result;
    } catch (err) {
      await conn.query('ROLLBACK').then(
        () => conn.release(),
        () => conn.destroy(),
      );
      throw err instanceof EngineError ? err : this.mapError(err);
    }
  }

  /** `sql`: the statement that failed (a duplicate PRIMARY key is named after its table). */
  private mapError(err: unknown, sql?: string): EngineError {
    if (err instanceof EngineError) return err;
    const e = err as { errno?: number; code?: string; sqlState?: string; sqlMessage?: string };
    if (e.errno !== undefined && TIMEOUT_ERRNOS.has(e.errno))
      return new EngineError('DATA_SOURCE_ERROR', `data source ${this.name}: statement timeout`);
    const state = e.sqlState ?? '';
    if (
      e.sqlMessage &&
      ((e.errno !== undefined && (VALUE_ERRNOS.has(e.errno) || e.errno === NO_DEFAULT_ERRNO)) ||
        /^2[23]/.test(state))
    )
      return new EngineError(
        'BAD_USER_INPUT',
        `data source ${this.name} rejected a value: ${valueMessage(e.errno ?? 0, e.sqlMessage, sql)}`,
      );
    if (!e.errno || CONNECTION_CODES.has(e.code ?? '') || /^08/.test(state))
      return new EngineError(
        'DATA_SOURCE_UNAVAILABLE',
        `data source ${this.name} is unavailable: ${describeConnectError(err)}`,
      );
    return new EngineError(
      'DATA_SOURCE_ERROR',
      `data source ${this.name} failed to run the query (${e.code ?? 'error'} ${e.errno})`,
    );
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** An INSERT of a NOT NULL column without a value (and without a database default). */
const NO_DEFAULT_ERRNO = 1364;

/** One quoted identifier in a MariaDB message (`"x"` under ANSI_QUOTES, `` `x` `` otherwise). */
const IDENT = '[`"]([^`"]*)[`"]';
const FK = new RegExp(
  `\\((?:${IDENT}\\.)?${IDENT}, CONSTRAINT ${IDENT} FOREIGN KEY \\(${IDENT}\\) REFERENCES ${IDENT}`,
);

/**
 * The caller-facing text of a value error, phrased as PostgreSQL phrases it and naming the column,
 * key or constraint (MariaDB's texts quote SQL fragments of the constraint; none is passed on).
 */
export function valueMessage(errno: number, message: string, sql?: string): string {
  const quoted = /'([^']*)'/.exec(message)?.[1];
  switch (errno) {
    case 1062: {
      // `Duplicate entry 'x' for key 'PRIMARY'` (MySQL 8: 'tags.PRIMARY'): PRIMARY is named as
      // PostgreSQL names it, after the table the statement writes.
      const key = /for key '(?:[^'.]*\.)?([^']*)'/.exec(message)?.[1] ?? 'unknown';
      const table = sql && /^\s*(?:INSERT\s+INTO|UPDATE)\s+(?:"[^"]*"\.)?"([^"]*)"/i.exec(sql)?.[1];
      const name = key === 'PRIMARY' && table ? `${table}_pkey` : key;
      return `duplicate key value violates unique constraint "${name}"`;
    }
    case 1452:
    case 1451: {
      const m = FK.exec(message);
      if (!m) return errno === 1452 ? 'a foreign key constraint fails' : 'the row is still referenced';
      const [, , child, constraint, column, parent] = m;
      return errno === 1452
        ? `insert or update on table "${child}" violates foreign key constraint "${constraint}" (column "${column}": no such row in "${parent}")`
        : `update or delete on table "${parent}" violates foreign key constraint "${constraint}" on table "${child}"`;
    }
    case 1048:
    case NO_DEFAULT_ERRNO:
      return `null value in column "${quoted}" violates not-null constraint`;
    case 1264:
      return `numeric field overflow: value out of range for column "${quoted}"`;
    case 1406:
      return `value too long for column "${quoted}"`;
    default:
      return message.split('\n')[0].slice(0, 300);
  }
}

/** Connection errors without the DSN (it may carry a password). */
function describeConnectError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ENOTFOUND') return 'host not found';
  if (e.code === 'ER_ACCESS_DENIED_ERROR') return 'authentication failed';
  if (e.code === 'ER_BAD_DB_ERROR') return 'database does not exist';
  if (e.code === 'ETIMEDOUT') return 'connection timed out';
  return (e.message ?? 'unknown error').replace(/mysql:\/\/\S+/g, '<dsn>');
}
