import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { MuninnConfig } from './muninn-config.js';

export const MUNINN_CONFIG = Symbol('MUNINN_CONFIG');

/** Makes the validated configuration injectable everywhere as `MUNINN_CONFIG`. */
@Global()
@Module({})
export class MuninnConfigModule {
  static forRoot(config: MuninnConfig): DynamicModule {
    return {
      module: MuninnConfigModule,
      providers: [{ provide: MUNINN_CONFIG, useValue: config }],
      exports: [MUNINN_CONFIG],
    };
  }
}
