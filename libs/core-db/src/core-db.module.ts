import { type DynamicModule, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CoreDb, type CoreDbOptions } from './core-db.js';
import { CoreDbHealthIndicator } from './core-db.health.js';

@Module({})
export class CoreDbModule implements OnApplicationShutdown {
  private readonly logger = new Logger('CoreDb');

  constructor(@Inject(CoreDb) private readonly coreDb: CoreDb) {}

  static forRoot(options: CoreDbOptions): DynamicModule {
    return {
      module: CoreDbModule,
      global: true,
      imports: [TerminusModule],
      providers: [
        {
          provide: CoreDb,
          useFactory: async () => {
            const logger = new Logger('CoreDb');
            const db = await CoreDb.open(options);
            const where = db.embedded
              ? `embedded store ${db.embedded.dir}, shared at ${db.embedded.url}`
              : 'PostgreSQL';
            logger.log(
              `core DB open (${where}${options.readonly ? ', read-only' : ''})` +
                (db.migrationsApplied.length
                  ? `; applied migrations ${db.migrationsApplied.join(', ')}`
                  : ''),
            );
            return db;
          },
        },
        CoreDbHealthIndicator,
      ],
      exports: [CoreDb, CoreDbHealthIndicator],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.coreDb.close();
    this.logger.log('core DB closed');
  }
}
