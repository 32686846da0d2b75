import { StorageError, type UrlStyle, normaliseScope } from '@app/storage';
import { checkAccessName, jsonObjectOrNull } from './access-input.js';
import { AdminError } from './admin.errors.js';
import type { StorageInput } from './inputs/storage.input.js';
import { UrlStyleEnum } from './models/storage.model.js';

const HOST_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const REGION = /^[a-z0-9-]{1,64}$/;
const SUPPORTED_TYPES = ['s3'];

/** What to store for the credentials: new ones, none (anonymous), or the stored ones (update without key/secret). */
export type CredentialsChange =
  { kind: 'set'; key: string; secret: string } | { kind: 'none' } | { kind: 'keep' };

export interface CheckedStorage {
  name: string;
  type: string;
  scope: string;
  /** Normalised scope, for overlap checks. */
  matchScope: string;
  endpoint: string;
  region: string;
  useSsl: boolean;
  urlStyle: UrlStyle;
  credentials: CredentialsChange;
  parameters: Record<string, unknown> | null;
}

const bad = (message: string) => new AdminError('BAD_USER_INPUT', message);

/** Validates a StorageInput; messages name the field and never repeat the key or secret. */
export function checkStorageInput(input: StorageInput): CheckedStorage {
  checkAccessName('storage name', input.name);
  const type = (input.type ?? 's3').trim().toLowerCase();
  if (!SUPPORTED_TYPES.includes(type))
    throw bad(
      `storage type "${input.type}" is not supported; use s3 (R2, GCS and MinIO through their S3 endpoint)`,
    );
  const scope = input.scope?.trim() ?? '';
  if (!scope.startsWith('s3://'))
    throw bad(`scope "${input.scope}" must start with s3:// (s3://bucket or s3://bucket/prefix)`);
  let matchScope: string;
  try {
    matchScope = normaliseScope(scope);
  } catch (err) {
    if (err instanceof StorageError) throw bad(`scope: ${err.message}`);
    throw err;
  }
  const { endpoint, ssl } = checkEndpoint(input.endpoint);
  if (ssl !== undefined && input.useSsl !== undefined && input.useSsl !== null && input.useSsl !== ssl)
    throw bad(`useSsl=${input.useSsl} contradicts the endpoint's scheme ${ssl ? 'https' : 'http'}://`);
  const region = input.region?.trim() || 'us-east-1';
  if (!REGION.test(region))
    throw bad(`region "${input.region}" must be lowercase letters, digits and - (e.g. us-east-1)`);
  const urlStyle: UrlStyle = input.urlStyle
    ? input.urlStyle === UrlStyleEnum.PATH
      ? 'path'
      : 'vhost'
    : endpoint
      ? 'path'
      : 'vhost';
  return {
    name: input.name,
    type,
    scope,
    matchScope,
    endpoint,
    region,
    useSsl: input.useSsl ?? ssl ?? true,
    urlStyle,
    credentials: checkCredentials(input.key, input.secret),
    parameters: jsonObjectOrNull('parameters', input.parameters),
  };
}

/** `host[:port]` or `http(s)://host[:port]` (no path, query or user info) → `host[:port]` and the scheme's TLS. */
function checkEndpoint(raw: string | undefined | null): { endpoint: string; ssl?: boolean } {
  const text = raw?.trim() ?? '';
  if (!text) return { endpoint: '' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad(`endpoint "${text}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw bad(`endpoint "${text}" must be http:// or https://`);
    if (url.username || url.password) throw bad('endpoint must not carry credentials; use key and secret');
    if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
      throw bad(`endpoint "${url.origin}${url.pathname}" must be a host[:port] without a path`);
    return { endpoint: url.host, ssl: url.protocol === 'https:' };
  }
  if (!HOST_PORT.test(text) || (Number(text.split(':').pop()) > 65535 && /:\d+$/.test(text)))
    throw bad(`endpoint "${text}" must be host[:port] or http(s)://host[:port]`);
  return { endpoint: text.toLowerCase() };
}

function checkCredentials(
  key: string | undefined | null,
  secret: string | undefined | null,
): CredentialsChange {
  const k = key ?? undefined;
  const s = secret ?? undefined;
  if (k === undefined && s === undefined) return { kind: 'keep' };
  if (!k && !s) return { kind: 'none' };
  if (!k || !s)
    throw bad('key and secret go together: give both, or neither (empty strings for anonymous access)');
  if (k.length > 256 || /\s/.test(k)) throw bad('key must be at most 256 characters without spaces');
  if (s.length > 1024 || /[\r\n]/.test(s)) throw bad('secret must be at most 1024 characters on one line');
  return { kind: 'set', key: k, secret: s };
}
