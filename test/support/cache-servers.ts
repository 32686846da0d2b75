import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitFor } from './node-process.js';

/** The absolute path of a server binary (redis-server, redis-cli, memcached). */
export function binary(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} not found on PATH: run \`node scripts/ensure-services.mjs\` (installs it with apt)`,
  );
}

export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server child process on a fixed loopback port that can be killed and started again. */
export class Server {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly output: string[] = [];

  constructor(
    private readonly bin: string,
    private readonly args: string[],
    readonly port: number,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const child = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    await waitFor(`${this.bin} on ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`exited: ${this.output.join('').slice(-1000)}`);
      return tcpOpen(this.port);
    });
    return this;
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGCONT');
    this.child.kill(signal);
    await this.exited;
  }
}

/**
 * redis-server and memcached processes of one test file, on free loopback ports (never the
 * shared Redis on 6379), without persistence; `stopAll` kills them and removes their directories.
 */
export class CacheServers {
  private readonly servers: Server[] = [];
  private readonly dirs: string[] = [];

  async redis(port?: number, extra: string[] = []): Promise<Server> {
    const p = port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'muninn-redis-'));
    this.dirs.push(dir);
    // prettier-ignore
    const args = ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
    const server = new Server(binary('redis-server'), args, p);
    this.servers.push(server);
    return server.start();
  }

  async memcached(): Promise<Server> {
    const port = await freePort();
    const args = ['-p', String(port), '-U', '0', '-l', '127.0.0.1', '-m', '64'];
    if (process.getuid?.() === 0) args.push('-u', 'root'); // memcached refuses to run as root otherwise
    const server = new Server(binary('memcached'), args, port);
    this.servers.push(server);
    return server.start();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}
