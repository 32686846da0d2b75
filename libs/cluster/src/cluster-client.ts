import { signedHeaders } from './signing.js';

export class ClusterRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ClusterRequestError';
  }
}

export interface ClusterResponse<T> {
  status: number;
  body: T;
}

/** Signed HTTP calls between nodes. Errors never carry the secret or signature headers. */
export class ClusterClient {
  constructor(
    private readonly secret: string,
    private readonly selfName: string,
  ) {}

  async request<T>(
    baseUrl: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<ClusterResponse<T>> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers: Record<string, string> = signedHeaders(this.secret, this.selfName, method, path, body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (e.cause?.code ?? e.message ?? 'request failed');
      throw new ClusterRequestError(`${method} ${baseUrl}${path}: ${why}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    return { status: res.status, body: parsed as T };
  }
}
