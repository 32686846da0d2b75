import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { CoreDb, readSchemaVersion } from '@app/core-db';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import { HeartbeatRequest, RegisterRequest, type RegisterResponse } from '../protocol.js';
import { ClusterSignatureGuard } from '../signature.guard.js';
import { ZodBodyPipe } from '../zod-body.pipe.js';
import { CacheFanout } from './cache-fanout.service.js';
import { HealthChecker } from './health-checker.service.js';
import { NodeRegistry } from './node-registry.service.js';

/** Management's signed endpoints: registration, heartbeat, deregistration, health. */
@Controller('cluster/v1')
@UseGuards(ClusterSignatureGuard)
export class ManagementClusterController {
  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(NodeRegistry) private readonly registry: NodeRegistry,
    @Inject(HealthChecker) private readonly checker: HealthChecker,
    @Inject(CacheFanout) private readonly cache: CacheFanout,
    @Inject(CoreDb) private readonly coreDb: CoreDb,
  ) {}

  @Post('nodes')
  @HttpCode(200)
  async register(@Body(new ZodBodyPipe(RegisterRequest)) body: RegisterRequest): Promise<RegisterResponse> {
    const node = await this.registry.register(body);
    void this.checker.check(node); // turn it HEALTHY without waiting a whole CHECK interval
    return { schemaVersion: await readSchemaVersion(this.coreDb.dataSource.manager) };
  }

  @Post('nodes/:name/heartbeat')
  @HttpCode(200)
  async heartbeat(
    @Param('name') name: string,
    @Body(new ZodBodyPipe(HeartbeatRequest)) body: HeartbeatRequest,
  ): Promise<RegisterResponse> {
    if (!(await this.registry.heartbeat(name, body)))
      throw new NotFoundException('unknown node: register again');
    return { schemaVersion: await readSchemaVersion(this.coreDb.dataSource.manager) };
  }

  @Delete('nodes/:name')
  async deregister(@Param('name') name: string): Promise<{ removed: boolean }> {
    this.cache.forget(name); // it is shutting down: its cache goes with it
    return { removed: await this.registry.remove(name, 'deregistered') };
  }

  @Get('health')
  health() {
    return { name: 'management', version: this.options.version, state: 'ready' };
  }
}
