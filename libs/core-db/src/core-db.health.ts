import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CoreDb } from './core-db.js';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class CoreDbHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(CoreDb) private readonly coreDb: CoreDb,
  ) {}

  async isHealthy(key = 'coreDb') {
    const indicator = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.coreDb.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)),
            PING_TIMEOUT_MS,
          );
        }),
      ]);
      return indicator.up({
        mode: this.coreDb.embedded ? 'embedded' : 'postgres',
        readonly: this.coreDb.readonly,
      });
    } catch (err) {
      return indicator.down({ message: `core DB unreachable: ${(err as Error).message}` });
    } finally {
      clearTimeout(timer);
    }
  }
}
