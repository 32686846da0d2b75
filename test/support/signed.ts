import { signedHeaders } from '@app/cluster';

/** Calls a `/cluster/v1/*` endpoint, signed with `secret` (or not at all), at time `now`. */
export async function clusterCall(
  baseUrl: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body: unknown,
  sign: { secret: string; now?: number } | undefined,
): Promise<{ status: number; body: unknown }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = text ? { 'content-type': 'application/json' } : {};
  if (sign)
    Object.assign(headers, signedHeaders(sign.secret, 'test', method, path, text, sign.now ?? Date.now()));
  const res = await fetch(baseUrl + path, { method, headers, body: text });
  const raw = await res.text();
  return { status: res.status, body: raw ? JSON.parse(raw) : undefined };
}
