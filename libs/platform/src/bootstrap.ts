import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { ConfigError, MUNINN_VERSION, type MuninnConfig, type NodeRole, loadConfig, loadDotEnv } from '@app/config';

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
 * The one bootstrap both apps use: Fastify, buffered logs through pino, shutdown hooks, listen;
 * any failure to start is printed and exits 1.
 */
export async function bootstrapNode(role: NodeRole, rootModule: (config: MuninnConfig) => DynamicModule): Promise<void> {
  const config = configFromEnvironment(role);
  let app: NestFastifyApplication | undefined;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      rootModule(config),
      new FastifyAdapter({ bodyLimit: config.server.bodyLimitBytes, forceCloseConnections: 'idle' }),
      { bufferLogs: true, rawBody: true, abortOnError: false },
    );
    app.useLogger(app.get(Logger));
    app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
    const { drainDelayMs, drainTimeoutMs } = config.server;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      // Nest drains and closes; this only bounds how long that may take.
      process.once(signal, () => {
        setTimeout(() => {
          process.stderr.write(`muninn ${role}: drain did not finish within ${drainDelayMs + drainTimeoutMs} ms; exiting\n`);
          process.exit(1);
        }, drainDelayMs + drainTimeoutMs).unref();
      });
    }
    await app.listen(config.server.bind.port, config.server.bind.host);
    app.get(Logger).log(`muninn ${role} ${config.cluster.nodeName} listening on ${await app.getUrl()}`, 'Bootstrap');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`muninn ${role}: failed to start: ${message}\n`);
    await app?.close().catch(() => undefined);
    process.exit(1);
  }
}
