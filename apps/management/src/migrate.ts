import 'reflect-metadata';
import { CoreDb } from '@app/core-db';
import { configFromEnvironment } from '@app/platform';
import { coreDbOptions } from './management.options.js';

/**
 * `npm run migrate`: applies pending core-DB migrations (under the advisory lock) and exits.
 * Only CORE_DB_* matter here, so a missing CLUSTER_SECRET is not an error for this command.
 */
process.env.CLUSTER_SECRET ||= 'not-used-by-migrate';
const config = configFromEnvironment('management');
try {
  const db = await CoreDb.open(coreDbOptions(config));
  const applied = db.migrationsApplied;
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'core DB is up to date\n');
  await db.close();
} catch (err) {
  process.stderr.write(`migrate failed: ${(err as Error).message}\n`);
  process.exit(1);
}
