import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsService } from './metrics.service.js';

/**
 * `GET /metrics` in the Prometheus text format. Open like a probe (scrapers send no key): it
 * holds counts, durations and names of nodes and sources, never a key, query text or URL.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.scrape();
    void reply
      .header('content-type', this.metrics.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  }
}
