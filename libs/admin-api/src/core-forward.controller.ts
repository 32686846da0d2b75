import { Body, Controller, HttpCode, Inject, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  CORE_PATHS,
  ClusterSignatureGuard,
  CoreLifecycleRequest,
  CoreMutationRequest,
  ZodBodyPipe,
} from '@app/cluster';
import type { z } from 'zod';
import { CoreForwardService } from './core-forward.service.js';

/** Signed endpoints for the `core` module calls work nodes forward (SPEC §4, §9). */
@Controller()
@UseGuards(ClusterSignatureGuard)
export class CoreForwardController {
  constructor(@Inject(CoreForwardService) private readonly core: CoreForwardService) {}

  @Post(CORE_PATHS.mutation)
  async mutation(
    @Body(new ZodBodyPipe(CoreMutationRequest)) body: z.infer<typeof CoreMutationRequest>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const res = await this.core.mutation(body);
    void reply.status(res.status).header('content-type', 'application/json; charset=utf-8').send(res.body);
  }

  @Post(CORE_PATHS.lifecycle)
  @HttpCode(200)
  lifecycle(@Body(new ZodBodyPipe(CoreLifecycleRequest)) body: z.infer<typeof CoreLifecycleRequest>) {
    return this.core.lifecycle(body.action, body.name);
  }
}
