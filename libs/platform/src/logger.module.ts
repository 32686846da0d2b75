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

/** Levels at which request lines (written at `info`) can appear. */
const REQUEST_LINE_LEVELS = new Set<LogConfig['level']>(['trace', 'debug', 'info']);

/** JSON lines (pino) with request id and node name; `text` format pretty-prints for humans. */
export function loggerModule(log: LogConfig, nodeName: string): DynamicModule {
  return LoggerModule.forRoot({
    // nestjs-pino's default route pattern does not reach Fastify's middleware layer; this one does.
    // Above `info` no request line is ever written, so the per-request logger (a child logger
    // holding the serialized request, async-context tracking) is not installed at all.
    forRoutes: REQUEST_LINE_LEVELS.has(log.level) ? [{ path: '*', method: RequestMethod.ALL }] : [],
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
