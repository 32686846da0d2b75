import { DataSource, type EntityManager } from 'typeorm';
import type { CoreDbLocation } from '@app/config';
import { coreDbOptions } from './core-db.options.js';
import { EmbeddedCoreDb } from './embedded-core-db.js';
import { runMigrations, verifyMigrationLevel } from './migrator.js';

export interface CoreDbOptions {
  location: CoreDbLocation;
  readonly: boolean;
  embeddedPort: number;
  /** `run`: migrate at start (management, standalone worker); `verify`: refuse an unknown level. */
  migrations: 'run' | 'verify';
  /** Build version, for messages. */
  version: string;
  applicationName: string;
}

export class CoreDbReadOnlyError extends Error {
  constructor(what: string) {
    super(`The core DB is open read-only (CORE_DB_READONLY=true): cannot ${what}.`);
    this.name = 'CoreDbReadOnlyError';
  }
}

/** The open core DB: a TypeORM DataSource, plus the embedded store when this process owns one. */
export class CoreDb {
  private constructor(
    readonly dataSource: DataSource,
    readonly readonly: boolean,
    readonly embedded: EmbeddedCoreDb | undefined,
    readonly migrationsApplied: string[],
    /** Where other clients reach this core DB (for embedded: the loopback socket). Holds credentials. */
    readonly url: string,
  ) {}

  static async open(opts: CoreDbOptions): Promise<CoreDb> {
    const embedded =
      opts.location.kind === 'embedded'
        ? await EmbeddedCoreDb.open(opts.location.dir, opts.embeddedPort)
        : undefined;
    try {
      const url = embedded ? embedded.url : (opts.location as { url: string }).url;
      const ds = new DataSource(
        coreDbOptions({
          url,
          readonly: opts.readonly,
          applicationName: opts.applicationName,
          poolSize: embedded ? 4 : 10,
        }),
      );
      await ds.initialize();
      try {
        let applied: string[] = [];
        if (opts.migrations === 'run' && !opts.readonly) applied = await runMigrations(ds);
        else await verifyMigrationLevel(ds, opts.version);
        return new CoreDb(ds, opts.readonly, embedded, applied, url);
      } catch (err) {
        await ds.destroy();
        throw err;
      }
    } catch (err) {
      await embedded?.close();
      throw err;
    }
  }

  /** Runs `work` in one read/write transaction. */
  async write<T>(what: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.readonly) throw new CoreDbReadOnlyError(what);
    return this.dataSource.transaction('READ COMMITTED', work);
  }

  /** Runs `work` in one consistent read-only snapshot. */
  async snapshot<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const result = await work(runner.manager);
        await runner.query('COMMIT');
        return result;
      } catch (err) {
        await runner.query('ROLLBACK');
        throw err;
      }
    } finally {
      await runner.release();
    }
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    try {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    } finally {
      await this.embedded?.close();
    }
  }
}
