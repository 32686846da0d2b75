import {
  Body,
  Controller,
  HttpCode,
  Inject,
  Logger,
  Optional,
  Post,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import {
  CACHE_INVALIDATOR,
  type CacheInvalidator,
  describeTags,
  invalidationTags,
} from '../cache-invalidator.js';
import { CACHE_PATHS, CacheInvalidateRequest, type CacheInvalidateResponse } from '../protocol.js';
import { ClusterSignatureGuard } from '../signature.guard.js';
import { ZodBodyPipe } from '../zod-body.pipe.js';

/** Work node's signed endpoint through which management invalidates this node's cache. */
@Controller()
@UseGuards(ClusterSignatureGuard)
export class CacheInvalidateController {
  private readonly logger = new Logger('CacheInvalidate');

  constructor(@Optional() @Inject(CACHE_INVALIDATOR) private readonly invalidator?: CacheInvalidator) {}

  @Post(CACHE_PATHS.invalidate)
  @HttpCode(200)
  async invalidate(
    @Body(new ZodBodyPipe(CacheInvalidateRequest)) body: CacheInvalidateRequest,
  ): Promise<CacheInvalidateResponse> {
    const tags = invalidationTags(body.tags);
    try {
      // No cache on this node: nothing to drop.
      const dropped = this.invalidator ? await this.invalidator.invalidate(tags) : 0;
      this.logger.debug(`invalidated ${describeTags(tags)}: ${dropped} entries dropped`);
      return { dropped };
    } catch (err) {
      this.logger.error(`cache invalidation failed: ${(err as Error).message}`);
      throw new ServiceUnavailableException('cache invalidation failed');
    }
  }
}
