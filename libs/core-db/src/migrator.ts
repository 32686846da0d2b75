import type { DataSource } from 'typeorm';
import { MIGRATIONS_TABLE } from './core-db.options.js';
import { CORE_DB_MIGRATION_NAMES } from './migrations/index.js';

/** Arbitrary constant shared by every Muninn process: serialises concurrent migration runs. */
const MIGRATION_LOCK_KEY = 0x6d756e696e6e; // "muninn"

export class CoreDbMigrationLevelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoreDbMigrationLevelError';
  }
}

/** Runs pending migrations while holding a PostgreSQL advisory lock; returns the names applied. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

export async function appliedMigrations(ds: DataSource): Promise<string[]> {
  const [{ exists }] = await ds.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [MIGRATIONS_TABLE]);
  if (!exists) return [];
  const rows: { name: string }[] = await ds.query(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`);
  return rows.map((r) => r.name);
}

/**
 * Work nodes never migrate: they accept only a core DB at exactly the level this build knows.
 * A newer DB means the node is too old; an older one means management has not migrated it yet.
 */
export async function verifyMigrationLevel(ds: DataSource, version: string): Promise<void> {
  const applied = await appliedMigrations(ds);
  const unknown = applied.filter((name) => !CORE_DB_MIGRATION_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new CoreDbMigrationLevelError(
      `The core DB has migration level ${unknown[unknown.length - 1]}, which this node (Muninn ${version}) does not know. ` +
        'Upgrade this node to the version of the management node before starting it.',
    );
  }
  const missing = CORE_DB_MIGRATION_NAMES.filter((name) => !applied.includes(name));
  if (missing.length > 0) {
    throw new CoreDbMigrationLevelError(
      `The core DB is behind this node (Muninn ${version}): migration ${missing[0]} is not applied. ` +
        'Start the management node (it migrates at start) or run `npm run migrate`.',
    );
  }
}
