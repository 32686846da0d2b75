import type { IncomingMessage } from 'node:http';
import { type DynamicModule, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { LogConfig } from '@app/config';

/** Header values that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers["x-hugr-secret-key"]',
  'req.headers["x-hugr-api-key"]',
  'req.headers["x-muninn-signature"]',
  'req.headers.authorization',
  'req.headers.cookie',
];

const QUIET_PATHS = /^\/(health|metrics)(\/|$)|^\/cluster\/v1\/health$/;

/** JSON lines (pino) with request id and node name; `text` format pretty-prints for humans. */
export function loggerModule(log: LogConfig, nodeName: string): DynamicModule {
  return LoggerModule.forRoot({
    // nestjs-pino's default route pattern does not reach Fastify's middleware layer; this one does.
    forRoutes: [{ path: '*', method: RequestMethod.ALL }],
    pinoHttp: {
      level: log.level,
      base: { node: nodeName },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      ...(log.format === 'text'
        ? { transport: { target: 'pino-pretty', options: { singleLine: true } } }
        : {}),
    },
  });
}
