import { randomUUID } from 'node:crypto';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import {
  ConfigError,
  MUNINN_VERSION,
  type MuninnConfig,
  type NodeRole,
  loadConfig,
  loadDotEnv,
} from '@app/config';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Reads `.env` and the environment; on any problem prints every one of them and exits 1. */
export function configFromEnvironment(role: NodeRole): MuninnConfig {
  loadDotEnv();
  try {
    const { config, warnings } = loadConfig(role, process.env, MUNINN_VERSION);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) fail(`muninn ${role}: ${err.message}`);
    throw err;
  }
}

/**
 * SIGTERM/SIGINT: Nest's shutdown hooks run (the worker turns not-ready, deregisters, waits the
 * drain delay; Fastify finishes in-flight requests; pools close), then the process exits 0.
 * Nest's own `enableShutdownHooks` re-raises the signal instead, which would not exit 0.
 */
function handleShutdownSignals(app: NestFastifyApplication, role: NodeRole, boundMs: number): void {
  let closing = false;
  // Once shutting down, every response closes its connection. Node keeps a keep-alive connection
  // that was busy when the listener closed open until the client closes it (Fastify's 'idle'
  // only closes the connections idle at that moment), so close() would wait for the bound.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (_req, reply, payload, done) => {
      if (closing) void reply.header('connection', 'close');
      done(null, payload);
    });
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.get(Logger).log(`${signal} received; draining`, 'Bootstrap');
    setTimeout(() => {
      process.stderr.write(`muninn ${role}: shutdown did not finish within ${boundMs} ms; exiting\n`);
      process.exit(1);
    }, boundMs).unref();
    app.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`muninn ${role}: error during shutdown: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * The one bootstrap both apps use: Fastify, buffered logs through pino, shutdown hooks, listen;
 * any failure to start is printed and exits 1.
 */
export async function bootstrapNode(
  role: NodeRole,
  rootModule: (config: MuninnConfig) => DynamicModule,
): Promise<void> {
  const config = configFromEnvironment(role);
  let app: NestFastifyApplication | undefined;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      rootModule(config),
      new FastifyAdapter({
        bodyLimit: config.server.bodyLimitBytes,
        forceCloseConnections: 'idle',
        // The request id of every log line: the caller's x-request-id when it is a plain token.
        requestIdHeader: 'x-request-id',
        genReqId: () => randomUUID(),
      }),
      { bufferLogs: true, rawBody: true, abortOnError: false },
    );
    app.useLogger(app.get(Logger));
    handleShutdownSignals(app, role, config.server.drainDelayMs + config.server.drainTimeoutMs + 5000);
    await app.listen(config.server.bind.port, config.server.bind.host);
    app
      .get(Logger)
      .log(`muninn ${role} ${config.cluster.nodeName} listening on ${await app.getUrl()}`, 'Bootstrap');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`muninn ${role}: failed to start: ${message}\n`);
    await app?.close().catch(() => undefined);
    process.exit(1);
  }
}
