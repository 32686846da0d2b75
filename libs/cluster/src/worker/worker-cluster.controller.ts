import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import { type NodeHealthResponse, SyncRequest, type SyncResponse } from '../protocol.js';
import { ClusterSignatureGuard } from '../signature.guard.js';
import { ZodBodyPipe } from '../zod-body.pipe.js';
import { NodeStateService } from './node-state.service.js';
import { SchemaSyncService } from './schema-sync.service.js';

/** Work node's signed endpoints: health (for management's checks) and schema sync (push). */
@Controller('cluster/v1')
@UseGuards(ClusterSignatureGuard)
export class WorkerClusterController {
  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(NodeStateService) private readonly state: NodeStateService,
    @Inject(SchemaSyncService) private readonly sync: SchemaSyncService,
  ) {}

  @Get('health')
  health(): NodeHealthResponse {
    return {
      name: this.options.nodeName,
      version: this.options.version,
      state: this.state.state,
      schemaVersion: this.sync.appliedVersion,
      startedAt: this.state.startedAt.toISOString(),
      sources: this.sync.current?.sources ?? [],
    };
  }

  /** Applies (at least) the pushed version and answers when it is served. */
  @Post('sync')
  @HttpCode(200)
  async syncTo(@Body(new ZodBodyPipe(SyncRequest)) body: SyncRequest): Promise<SyncResponse> {
    try {
      return await this.sync.syncTo(body.schemaVersion);
    } catch (err) {
      throw new ServiceUnavailableException(`apply failed: ${(err as Error).message}`);
    }
  }
}
