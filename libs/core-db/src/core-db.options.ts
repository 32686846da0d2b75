import type { DataSourceOptions } from 'typeorm';
import { CORE_DB_ENTITIES } from './entities/index.js';
import { CORE_DB_MIGRATIONS } from './migrations/index.js';

export interface CoreDbConnectOptions {
  url: string;
  readonly: boolean;
  /** Pool bound; the embedded store serialises statements anyway. */
  poolSize?: number;
  applicationName?: string;
}

export const MIGRATIONS_TABLE = 'core_migrations';

/** The one TypeORM options factory: the Nest module and `npm run migrate` both use it. */
export function coreDbOptions(opts: CoreDbConnectOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: opts.url,
    entities: CORE_DB_ENTITIES,
    migrations: CORE_DB_MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: opts.applicationName ?? 'muninn',
    extra: {
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      // Read-only mode is enforced by PostgreSQL itself: every transaction starts read-only.
      ...(opts.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
    },
  };
}
