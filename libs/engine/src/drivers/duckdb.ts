import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { EngineError } from '../errors.js';
import { duckdbDialect } from '../plan/dialect.js';
import type { SourceDriver, TransactionRun } from './driver.js';

export interface DuckDbSourceOptions {
  name: string;
  /**
   * `''` or `:memory:` → an empty in-memory database (catalog views read files with
   * `read_parquet('…')` etc.); anything else is a DuckDB database file, attached READ_ONLY.
   */
  path: string;
  poolSize: number;
  statementTimeoutMs: number;
  /** Local paths of an object-storage URL (`s3://…`), from the host; absent → such URLs fail to load. */
  resolveObjects?: (url: string) => Promise<string[]>;
  onStatement?: (event: { source: string; sql: string; params: readonly unknown[] }) => void;
}

/** The schema name a database file is attached under (and made the default with USE). */
const ATTACHED = 'src';

/** A quoted SQL string literal for a path given by the administrator (never by a request). */
function pathLiteral(path: string): string {
  return `'${path.replace(/'/g, "''")}'`;
}

/**
 * A `duckdb` data source: one in-memory DuckDB instance per source per engine (so per node),
 * read-only. DuckDB has no per-statement timeout: a timer interrupts the connection instead.
 */
export class DuckDbSource implements SourceDriver {
  readonly dialect = duckdbDialect;
  private instance: DuckDBInstance | undefined;
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: Array<(c: DuckDBConnection) => void> = [];
  private total = 0;
  private closed = false;
  /** A database file is attached: every connection makes it its default (USE is per connection). */
  private attached = false;

  constructor(private readonly opts: DuckDbSourceOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get stats() {
    return { total: this.total, idle: this.idle.length, waiting: this.waiting.length };
  }

  /** Opens the instance, attaches the database file (read-only) and proves it answers. */
  async check(): Promise<void> {
    try {
      this.instance = await DuckDBInstance.create(':memory:', {
        // Ordered subqueries keep their order through projections (the dialect relies on it).
        preserve_insertion_order: 'true',
        // PostgreSQL's NULL order (docs/query-language.md): last for ASC, first for DESC.
        default_null_order: 'nulls_last_on_asc_first_on_desc',
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
      const setup = await this.instance.connect();
      try {
        await setup.run(`SET TimeZone = 'UTC'`);
        const file = await this.databaseFile();
        if (file) {
          await setup.run(`ATTACH ${pathLiteral(file)} AS ${ATTACHED} (READ_ONLY)`);
          this.attached = true;
        }
        await setup.run('SELECT 1');
      } finally {
        setup.closeSync();
      }
    } catch (err) {
      await this.close();
      if (err instanceof EngineError) throw err;
      throw new EngineError('DATA_SOURCE_UNAVAILABLE', `cannot open: ${describe(err)}`);
    }
  }

  private async databaseFile(): Promise<string | undefined> {
    const path = this.opts.path.trim();
    if (path === '' || path === ':memory:') return undefined;
    if (!/^s3:\/\//i.test(path)) return path;
    const local = await resolveUrl(path, this.opts.resolveObjects);
    if (local.length !== 1)
      throw new EngineError(
        'DATA_SOURCE_UNAVAILABLE',
        `the database file ${path} resolves to ${local.length} objects (one expected)`,
      );
    return local[0];
  }

  async queryText(sql: string, params: readonly unknown[]): Promise<string | null> {
    this.opts.onStatement?.({ source: this.opts.name, sql, params });
    const conn = await this.acquire();
    // DuckDB has no statement_timeout: interrupt the connection's running query instead.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, this.opts.statementTimeoutMs);
    try {
      const reader = await conn.runAndReadAll(sql, params.map(toDuckValue));
      const rows = reader.getRows();
      const value = rows[0]?.[0];
      return value === undefined || value === null ? null : String(value);
    } catch (err) {
      throw this.mapError(err, timedOut);
    } finally {
      clearTimeout(timer);
      this.release(conn);
    }
  }

  transaction<T>(_work: (run: TransactionRun) => Promise<T>): Promise<T> {
    // The executor refuses mutations on duckdb sources before it gets here.
    return Promise.reject(
      new EngineError('BAD_USER_INPUT', `mutations are not supported on duckdb source "${this.name}"`),
    );
  }

  private async acquire(): Promise<DuckDBConnection> {
    if (this.closed || !this.instance)
      throw new EngineError('DATA_SOURCE_UNAVAILABLE', `data source ${this.name} is closed`);
    const conn = this.idle.pop();
    if (conn) return conn;
    if (this.total < this.opts.poolSize) {
      this.total++;
      try {
        const conn = await this.instance.connect();
        if (this.attached) await conn.run(`USE ${ATTACHED}`);
        return conn;
      } catch (err) {
        this.total--;
        throw this.mapError(err, false);
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(conn: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(conn);
    else if (this.closed) conn.closeSync();
    else this.idle.push(conn);
  }

  private mapError(err: unknown, timedOut: boolean): EngineError {
    const message = describe(err);
    if (timedOut || /^INTERRUPT Error/i.test(message))
      return new EngineError('DATA_SOURCE_ERROR', `data source ${this.name}: statement timeout`);
    // Errors about the caller's values (a bad regex, an impossible cast), without the statement.
    const data =
      /^(Invalid Input|Conversion|Out of Range) Error: (.*)$/s.exec(message) ??
      /^(Syntax) Error: (Like pattern must not end with escape character!?)/.exec(message);
    if (data)
      return new EngineError(
        'BAD_USER_INPUT',
        `data source ${this.name} rejected a value: ${data[2].split('\n')[0].slice(0, 300)}`,
      );
    if (/^IO Error/i.test(message))
      return new EngineError('DATA_SOURCE_UNAVAILABLE', `data source ${this.name} cannot read its files`);
    const kind = /^([A-Za-z ]+) Error:/.exec(message)?.[1] ?? 'unknown';
    return new EngineError('DATA_SOURCE_ERROR', `data source ${this.name} failed to run the query (${kind})`);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.closeSync();
    this.instance?.closeSync();
    this.instance = undefined;
  }
}

/** JS values of the planner's bind parameters as DuckDB values (lists are expanded by the dialect). */
function toDuckValue(value: unknown): DuckDBValue {
  if (value === undefined) return null;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return value as DuckDBValue;
}

function describe(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

async function resolveUrl(url: string, resolve: DuckDbSourceOptions['resolveObjects']): Promise<string[]> {
  if (!resolve)
    throw new EngineError(
      'DATA_SOURCE_UNAVAILABLE',
      `${url}: object storage paths need a registered object store (none is configured)`,
    );
  return resolve(url);
}

/**
 * Replaces every quoted object-storage URL (`'s3://…'`) in the SQL of a duckdb source's catalog
 * with the local files it resolves to, as a DuckDB list literal (`['/…/a.parquet', …]`), which
 * `read_parquet`, `read_csv` and `read_json` all accept. Runs once at load.
 */
export async function localizeObjectUrls(
  text: string,
  resolve: DuckDbSourceOptions['resolveObjects'],
): Promise<string> {
  const urls = [...new Set(text.match(/'s3:\/\/[^'\s"\\]+'/gi) ?? [])];
  let out = text;
  for (const quoted of urls) {
    const url = quoted.slice(1, -1);
    const local = await resolveUrl(url, resolve);
    if (!local.length) throw new EngineError('DATA_SOURCE_UNAVAILABLE', `${url}: no object matches`);
    const bad = local.find((p) => /['"\\\n]/.test(p));
    if (bad)
      throw new EngineError('DATA_SOURCE_UNAVAILABLE', `${url}: a local path holds a quote or backslash`);
    out = out.split(quoted).join(`[${local.map(pathLiteral).join(', ')}]`);
  }
  return out;
}
