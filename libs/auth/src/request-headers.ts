import { timingSafeEqual } from 'node:crypto';
import type { RequestHeaders } from './auth.types.js';

/**
 * The headers with lower-case names: the same object when they already are (Node lower-cases
 * what it parses), else a copy. {@link lowerCaseHeader} then reads one property per lookup.
 */
export function lowerCaseHeaders(headers: RequestHeaders): RequestHeaders {
  for (const key in headers) {
    if (key === key.toLowerCase()) continue;
    const out: RequestHeaders = {};
    // First value wins for names that differ only in case (as for a repeated header).
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] ??= v;
    return out;
  }
  return headers;
}

/**
 * One header of headers already passed through {@link lowerCaseHeaders}, by its lower-case name;
 * a repeated header yields its first value. An empty value counts as absent (as in Hugr, where
 * `Header.Get` returns "").
 */
export function lowerCaseHeader(headers: RequestHeaders, lowerName: string): string | undefined {
  const raw = headers[lowerName];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? undefined : value;
}

/** One request header by name, case-insensitively (see {@link lowerCaseHeader}). */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  return lowerCaseHeader(lowerCaseHeaders(headers), name.toLowerCase());
}

/** The value of one cookie from the `cookie` header (RFC 6265 pairs; the first of a repeated name wins). */
export function cookieValue(headers: RequestHeaders, name: string): string | undefined {
  const header = headerValue(headers, 'cookie');
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not percent-encoded after all: JWTs are base64url and need no decoding; keep it verbatim.
    }
    return value === '' ? undefined : value;
  }
  return undefined;
}

/**
 * A configured secret, compared in constant time without hashing per request: the presented
 * value is copied into a buffer of the secret's length and compared with `timingSafeEqual`, so
 * the time taken depends on the lengths only, never on where the two differ.
 */
export class Secret {
  private readonly bytes: Buffer;

  constructor(value: string) {
    this.bytes = Buffer.from(value, 'utf8');
  }

  matches(given: string): boolean {
    const padded = Buffer.alloc(this.bytes.length);
    padded.write(given, 'utf8');
    const equal = timingSafeEqual(padded, this.bytes);
    return equal && Buffer.byteLength(given, 'utf8') === this.bytes.length;
  }
}
