import { Controller, type DynamicModule, Get, Inject, Module, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  HealthCheck,
  HealthCheckService,
  type HealthIndicatorResult,
  TerminusModule,
} from '@nestjs/terminus';

/** Anything with a terminus-style `isHealthy()`; each library ships its own. */
export interface ReadinessIndicator {
  isHealthy(): HealthIndicatorResult | Promise<HealthIndicatorResult>;
}

const READINESS = Symbol('READINESS_INDICATORS');

/** `/health/live` (no dependencies), `/health/ready` and `/health` (every readiness indicator; 503 when one is down). */
@Controller('health')
export class ProbesController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly moduleRef: ModuleRef,
    @Inject(READINESS) private readonly indicators: Type<ReadinessIndicator>[],
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.indicators.map((type) => () => this.moduleRef.get(type, { strict: false }).isHealthy()),
    );
  }

  @Get()
  @HealthCheck()
  status() {
    return this.ready();
  }
}

@Module({})
export class ProbesModule {
  static forRoot(options: { readiness: Type<ReadinessIndicator>[] }): DynamicModule {
    return {
      module: ProbesModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [ProbesController],
      providers: [{ provide: READINESS, useValue: options.readiness }],
    };
  }
}
