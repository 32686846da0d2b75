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
  'res.headers["set-cookie"]',
];

/**
 * Request headers whose values are logged; every other header is logged by name with a
 * `[redacted]` value. An allowlist, because credentials can arrive in headers named by
 * configuration (static API keys of AUTH_CONFIG_FILE choose their own header).
 */
export const LOGGED_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  'host',
  'origin',
  'referer',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'user-agent',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-request-id',
  'x-muninn-node',
  'x-muninn-timestamp',
  'x-hugr-role',
  'x-hugr-impersonated-role',
]);

const CENSOR = '[redacted]';
const QUIET_PATHS = /^\/(health|metrics)(\/|$)|^\/cluster\/v1\/health$/;

/** Levels at which request lines (written at `info`) can appear. */
const REQUEST_LINE_LEVELS = new Set<LogConfig['level']>(['trace', 'debug', 'info']);

type RoutedRequest = IncomingMessage & { originalUrl?: string };

const LOG_FIELDS = Symbol('muninn.requestLogFields');
type WithLogFields = IncomingMessage & { [LOG_FIELDS]?: Record<string, unknown> };

/**
 * Adds fields to the `request completed` line of this request (e.g. the GraphQL operation name
 * and execution time). `req` is the raw Node request (`FastifyRequest.raw`).
 */
export function addRequestLogFields(req: IncomingMessage, fields: Record<string, unknown>): void {
  const target = req as WithLogFields;
  target[LOG_FIELDS] = { ...target[LOG_FIELDS], ...fields };
}

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * The request as logged: no query string (a GET /query carries the GraphQL text, which may hold
 * values such as a data source's DSN) and header values only for harmless headers.
 */
export function serializeRequest(req: SerializedRequest): SerializedRequest {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.headers ?? {}))
    headers[name] = LOGGED_HEADERS.has(name) ? value : CENSOR;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return {
    id: req.id,
    method: req.method,
    url: q < 0 ? url : `${url.slice(0, q)}?${CENSOR}`,
    headers,
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
}

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
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      serializers: { req: serializeRequest },
      // Read when the response is complete (and when the request starts: nothing yet, no child logger).
      customProps: (req: IncomingMessage) => (req as WithLogFields)[LOG_FIELDS] as object,
      // Fastify's middleware layer strips the matched prefix from `url`; `originalUrl` is the path asked.
      autoLogging: { ignore: (req: RoutedRequest) => QUIET_PATHS.test(req.originalUrl ?? req.url ?? '') },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      ...(log.format === 'text'
        ? { transport: { target: 'pino-pretty', options: { singleLine: true } } }
        : {}),
    },
  });
}
