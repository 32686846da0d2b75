import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '@app/auth';
import { SchemaSyncService } from '@app/cluster';
import type { Engine, QueryRequest, QueryResponse } from '@app/engine';
import { addRequestLogFields } from '@app/platform';
import { type Caller, CallerService } from './caller.service.js';
import type { RequestContext } from './core-module.js';
import { DataApiMetrics } from './data-api.metrics.js';
import { describeOperation, outcomeOf } from './operation-info.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function problem(status: number, message: string, code: string): QueryResponse {
  return { status, body: JSON.stringify({ errors: [{ message, extensions: { code } }] }) };
}

/**
 * The data API (SPEC §4, §10): `POST /query`, `GET /query?query=…` and the `/graphql` alias.
 * The body the engine returns is the JSON PostgreSQL built; it is sent as it is.
 */
@Controller()
export class QueryController {
  constructor(
    @Inject(SchemaSyncService) private readonly sync: SchemaSyncService,
    @Inject(CallerService) private readonly callers: CallerService,
    @Inject(DataApiMetrics) private readonly metrics: DataApiMetrics,
  ) {}

  @Post(['query', 'graphql'])
  async post(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return send(reply, problem(400, 'the body must be a JSON object {"query": "…"}', 'BAD_REQUEST'));
    await this.answer(req, reply, body as QueryRequest);
  }

  @Get(['query', 'graphql'])
  async get(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const q = req.query as Record<string, string | undefined>;
    let variables: QueryRequest['variables'];
    try {
      variables = q.variables ? (JSON.parse(q.variables) as QueryRequest['variables']) : undefined;
    } catch {
      return send(reply, problem(400, 'the variables parameter is not valid JSON', 'BAD_REQUEST'));
    }
    await this.answer(req, reply, { query: q.query ?? '', variables, operationName: q.operationName });
  }

  private async answer(req: FastifyRequest, reply: FastifyReply, request: QueryRequest): Promise<void> {
    let caller: Caller;
    try {
      caller = await this.callers.resolve(req.headers);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      this.metrics.authFailure(err);
      const code = err.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN';
      return send(reply, problem(err.status, err.message, code));
    }
    const engine = this.sync.current?.payload as Engine | undefined;
    if (!engine) return send(reply, problem(503, 'no schema is applied yet; retry shortly', 'NOT_READY'));
    const { identity, policy, version } = caller;
    const context: RequestContext = {
      admin: identity.superuser || identity.role === 'admin',
      identity,
      version,
    };
    const operation = describeOperation(request.query, request.operationName);
    const started = performance.now();
    const res = await engine.execute(request, context, policy);
    const seconds = (performance.now() - started) / 1000;
    const outcome = outcomeOf(res);
    this.metrics.operation(operation.type, outcome, seconds);
    addRequestLogFields(req.raw, {
      operationName: operation.name,
      operationType: operation.type,
      outcome,
      executionMs: Math.round(seconds * 100_000) / 100,
    });
    send(reply, res);
  }
}

function send(reply: FastifyReply, res: QueryResponse): void {
  void reply.status(res.status).header('content-type', JSON_TYPE).send(res.body);
}
