import { StorageError } from './storage.errors.js';

/** Bucket names as S3 allows them (3-63 lowercase letters, digits, dots, hyphens). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GLOB_CHARS = /[*?[]/;

export interface ObjectUrl {
  bucket: string;
  /** Object key, or the pattern's key for a glob. */
  key: string;
}

/** `s3://bucket/key` → bucket and key; the key may be empty (a bucket or prefix URL). */
export function parseS3Url(url: string): ObjectUrl {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) throw new StorageError('BAD_URL', `"${url}" is not an s3:// URL (s3://bucket/key)`);
  if (!BUCKET.test(m[1])) throw new StorageError('BAD_URL', `"${url}": "${m[1]}" is not a valid bucket name`);
  return { bucket: m[1], key: m[2] ?? '' };
}

/**
 * A registration scope: `s3://bucket` (the whole bucket) or `s3://bucket/prefix`. The prefix is
 * a key prefix, as in S3 and DuckDB secrets: end it with `/` to mean a folder. Returns the form
 * used for matching (`s3://bucket/` for a whole bucket) or throws with what is wrong.
 */
export function normaliseScope(scope: string): string {
  const { bucket, key } = parseS3Url(scope.trim());
  if (GLOB_CHARS.test(key)) throw new StorageError('BAD_URL', `scope "${scope}" must not contain * ? or [`);
  return `s3://${bucket}/${key}`;
}

/** A URL's key holds a glob (`*`, `**`, `?`, `[…]`): it names every object the pattern matches. */
export function isGlob(key: string): boolean {
  return GLOB_CHARS.test(key);
}

/** The literal part of a glob key before its first wildcard: the prefix to list. */
export function globPrefix(key: string): string {
  const i = key.search(GLOB_CHARS);
  return i < 0 ? key : key.slice(0, i);
}

/** `*` and `?` stay within one path segment, `**` crosses segments, `[…]` is a character class. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` also matches no folder at all.
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new StorageError('BAD_URL', `unclosed [ in "${pattern}"`);
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
