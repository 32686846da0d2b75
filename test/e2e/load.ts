import { Agent, request } from 'node:http';

/** One answer of the data API as the drills judge it. */
export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** A request that did not come back as HTTP 200 with data and no GraphQL errors. */
export interface Failure extends Answer {
  at: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failures: Failure[];
  durationMs: number;
  perSecond: number;
  p99Ms: number;
}

/** Sends one request and reads the whole answer; a transport error becomes status 0. */
export function send(
  agent: Agent,
  url: string,
  options: { method?: string; body?: string | Buffer; headers?: Record<string, string> },
  timeoutMs = 15_000,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (status: number, text: string) =>
      resolve({ status, body: text, ms: performance.now() - started });
    const req = request(url, { method: options.method ?? 'POST', agent, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => done(0, `response error: ${err.message}`));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => done(0, `request error: ${err.message}`));
    req.end(options.body);
  });
}

/** POSTs a JSON body. */
export function post(
  agent: Agent,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Answer> {
  return send(agent, url, { body, headers });
}

/** True when the answer is HTTP 200 with `data` and without `errors`. */
export function succeeded(a: Answer): boolean {
  if (a.status !== 200) return false;
  try {
    const json = JSON.parse(a.body) as { data?: unknown; errors?: unknown };
    return json.errors === undefined && json.data !== undefined && json.data !== null;
  } catch {
    return false;
  }
}

/** Loads not stopped yet: a drill that fails half-way leaves its load to afterEach. */
const active = new Set<Load>();

/** Stops every load still running (afterEach). */
export async function stopAllLoads(): Promise<void> {
  await Promise.all([...active].map((l) => l.stop()));
}

/**
 * Constant load: `concurrency` loops, each sending the next request as soon as the previous one
 * answered, over keep-alive connections, until stop() or `maxMs` (a bound for a drill that
 * never reaches its stop()).
 */
export class Load {
  private readonly agent: Agent;
  private running = false;
  private loops: Promise<void>[] = [];
  private started = 0;
  private sent = 0;
  private ok = 0;
  private readonly latencies: number[] = [];
  readonly failures: Failure[] = [];

  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly query: string,
    readonly concurrency: number,
    private readonly maxMs = 90_000,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  get count(): { sent: number; ok: number; failed: number } {
    return { sent: this.sent, ok: this.ok, failed: this.failures.length };
  }

  start(): this {
    this.running = true;
    this.started = performance.now();
    active.add(this);
    const deadline = this.started + this.maxMs;
    const body = JSON.stringify({ query: this.query });
    const headers = { 'content-type': 'application/json', 'x-hugr-secret-key': this.key };
    this.loops = Array.from({ length: this.concurrency }, async () => {
      while (this.running && performance.now() < deadline) {
        this.sent++;
        const answer = await post(this.agent, `${this.url}/query`, body, headers);
        this.latencies.push(answer.ms);
        if (succeeded(answer)) this.ok++;
        else this.failures.push({ ...answer, body: answer.body.slice(0, 500), at: Date.now() });
      }
    });
    return this;
  }

  async stop(): Promise<LoadResult> {
    this.running = false;
    active.delete(this);
    await Promise.all(this.loops);
    const durationMs = performance.now() - this.started;
    this.agent.destroy();
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      sent: this.sent,
      ok: this.ok,
      failures: this.failures,
      durationMs: Math.round(durationMs),
      perSecond: Math.round((this.sent / durationMs) * 1000),
      p99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
    };
  }
}
