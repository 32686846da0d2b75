import { type DynamicModule, Module } from '@nestjs/common';
import { CallerService } from './caller.service.js';
import { DataApiMetrics } from './data-api.metrics.js';
import { QueryController } from './query.controller.js';

/** The work node's data API; the engine itself is attached by `EngineApplier` in the cluster module. */
@Module({})
export class DataApiModule {
  static forRoot(): DynamicModule {
    return {
      module: DataApiModule,
      controllers: [QueryController],
      providers: [CallerService, DataApiMetrics],
    };
  }
}
