import { Body, Controller, Headers, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { CACHE_PATHS, CacheInvalidateRequest } from '../protocol.js';
import { ClusterSignatureGuard } from '../signature.guard.js';
import { NODE_HEADER } from '../signing.js';
import { ZodBodyPipe } from '../zod-body.pipe.js';
import { CacheFanout, type CacheFanoutResponse } from './cache-fanout.service.js';

/**
 * A work node that invalidated its own cache asks management to do the same on every other
 * healthy node; the answer lists what each node did.
 */
@Controller()
@UseGuards(ClusterSignatureGuard)
export class CacheFanoutController {
  constructor(@Inject(CacheFanout) private readonly fanout: CacheFanout) {}

  @Post(CACHE_PATHS.invalidate)
  @HttpCode(200)
  async invalidate(
    @Body(new ZodBodyPipe(CacheInvalidateRequest)) body: CacheInvalidateRequest,
    @Headers(NODE_HEADER) sender: string | undefined,
  ): Promise<CacheFanoutResponse> {
    return { nodes: await this.fanout.fanOut(body.tags, sender) };
  }
}
