import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ENTRY = {
  management: resolve(ROOT, 'dist/apps/management/apps/management/src/main.js'),
  worker: resolve(ROOT, 'dist/apps/worker/apps/worker/src/main.js'),
};

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}

/** A built Muninn app running as a real child process, with its output kept for assertions. */
export class NodeProcess {
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly role: 'management' | 'worker',
    readonly port: number,
    private env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get log(): string {
    return this.output.join('');
  }

  start(extraEnv: Record<string, string> = {}): this {
    this.env = { ...this.env, ...extraEnv };
    const child = spawn(process.execPath, [ENTRY[this.role]], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...this.env, BIND: `127.0.0.1:${this.port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
    this.child = child;
    return this;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.role} on ${this.port} to be ready`,
      async () => {
        if (!this.running) throw new Error(`process exited:\n${this.log.slice(-2000)}`);
        return (await fetch(`${this.url}/health/ready`)).status === 200;
      },
      timeoutMs,
    );
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** Sends `sig` and resolves with the exit code (null when killed by a signal). */
  async stop(sig: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child!.kill(sig);
    return this.exited;
  }

  /** Test cleanup: whatever state the process is in (even stopped), it is gone afterwards. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  waitExit(): Promise<number | null> {
    return this.exited;
  }
}

export async function graphql<T = Record<string, unknown>>(
  url: string,
  key: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ status: number; data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-hugr-secret-key': key } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as object) };
}

/**
 * Starts a built app on a free port and waits until it is ready; a clustered worker learns its URL.
 * The process is added to `started` first, so cleanup finds it even when it never gets ready.
 */
export async function startNode(
  role: NodeProcess['role'],
  env: Record<string, string>,
  started: NodeProcess[] = [],
): Promise<NodeProcess> {
  const port = await freePort();
  const clustered = role === 'worker' && env.CLUSTER_MANAGEMENT_URL !== undefined;
  const node = new NodeProcess(role, port, {
    ...(clustered ? { CLUSTER_NODE_URL: `http://127.0.0.1:${port}` } : {}),
    ...env,
  }).start();
  started.push(node);
  await node.ready();
  return node;
}
