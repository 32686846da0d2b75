import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { StorageHealthIndicator } from './storage.health.js';
import { STORAGE_OPTIONS, type StorageModuleOptions } from './storage.options.js';
import { StorageService } from './storage.service.js';

/** Global: a work node's StorageService (registry + object cache) and its readiness indicator. */
@Module({})
export class StorageModule {
  static forRoot(options: StorageModuleOptions): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      imports: [TerminusModule],
      providers: [{ provide: STORAGE_OPTIONS, useValue: options }, StorageService, StorageHealthIndicator],
      exports: [StorageService, StorageHealthIndicator],
    };
  }
}
