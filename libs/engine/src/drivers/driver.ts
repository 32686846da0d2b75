import { EngineError } from '../errors.js';
import type { Dialect } from '../plan/dialect.js';

/** Runs SQL inside a transaction; rows come back as objects keyed by column. */
export type TransactionRun = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** What the executor needs of a data source: its dialect, one-value statements and transactions. */
export interface SourceDriver {
  readonly name: string;
  readonly dialect: Dialect;
  /** Connection usage (for metrics and readiness details). */
  readonly stats: { total: number; idle: number; waiting: number };
  /** Proves the source answers (at load). */
  check(): Promise<void>;
  /** Runs a statement that returns one text value (the JSON built by the database); no row → null. */
  queryText(sql: string, params: readonly unknown[]): Promise<string | null>;
  /** Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(work: (run: TransactionRun) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * `check()` of a networked source: `SELECT 1` on its pool; a failure is DATA_SOURCE_UNAVAILABLE,
 * described by the driver without the DSN (it may carry a password).
 */
export async function probeConnection(
  query: (sql: string) => Promise<unknown>,
  describe: (err: unknown) => string,
): Promise<void> {
  try {
    await query('SELECT 1');
  } catch (err) {
    throw new EngineError('DATA_SOURCE_UNAVAILABLE', `cannot connect: ${describe(err)}`);
  }
}
