/**
 * Parsers for environment values. Each returns the typed value or throws a
 * `ValueError` whose message says what was expected; the loader collects them.
 */
export class ValueError extends Error {}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `1m`, `2h`, `1m30s`; a bare number is seconds (as Go's tools accept in env files). */
export function parseDuration(raw: string): number {
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) throw new ValueError(`"${raw}" is not a duration (use e.g. 500ms, 30s, 1m, 2h)`);
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = part.lastIndex;
  }
  if (text.length === 0) throw new ValueError('empty duration');
  return Math.round(total);
}

export function parseBool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  throw new ValueError(`"${raw}" is not a boolean (use true or false)`);
}

export function parseInteger(raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new ValueError(`"${raw}" is not an integer`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ValueError(`${n} is out of range ${min}..${max}`);
  return n;
}

export interface BindAddress {
  host: string;
  port: number;
}

/** `:15000`, `0.0.0.0:15000`, `127.0.0.1:0`, `[::1]:15000`. An empty host listens on all interfaces. */
export function parseBind(raw: string): BindAddress {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]*)):(\d{1,5})$/.exec(raw.trim());
  if (!m) throw new ValueError(`"${raw}" is not a listen address (use :15000 or host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new ValueError(`port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function parseHttpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ValueError(`"${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValueError(`"${raw}" must be an http:// or https:// URL`);
  }
  return url.toString().replace(/\/$/, '');
}

export function parseEnum<T extends string>(raw: string, allowed: readonly T[]): T {
  const v = raw.trim().toLowerCase() as T;
  if (!allowed.includes(v)) throw new ValueError(`"${raw}" is not one of ${allowed.join(', ')}`);
  return v;
}

/** `host:port,host:port` */
export function parseAddressList(raw: string): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of list) {
    if (!/^[^\s:,]+:\d{1,5}$/.test(item)) throw new ValueError(`"${item}" is not host:port`);
  }
  if (list.length === 0) throw new ValueError('empty address list');
  return list;
}

/** Core DB location: a postgres URL, or a directory for the embedded PGlite store. */
export function parseCoreDbPath(
  raw: string,
): { kind: 'postgres'; url: string } | { kind: 'embedded'; dir: string } {
  const v = raw.trim();
  if (/^postgres(ql)?:\/\//.test(v)) {
    try {
      new URL(v);
    } catch {
      throw new ValueError('is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: v };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    throw new ValueError('must be a postgres:// URL or a directory path for the embedded core DB');
  }
  return { kind: 'embedded', dir: v };
}
