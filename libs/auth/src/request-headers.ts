import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHeaders } from './auth.types.js';

/**
 * One request header by name, case-insensitively; a repeated header yields its first value.
 * An empty value counts as absent (as in Hugr, where `Header.Get` returns "").
 */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  let raw = headers[lower];
  if (raw === undefined) {
    // Node lower-cases header names; other callers (tests, proxies) may not.
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === lower) {
        raw = headers[key];
        break;
      }
    }
  }
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? undefined : value;
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

/** Constant-time equality of a presented secret with the configured one (digests hide the length too). */
export function secretEquals(given: string, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
