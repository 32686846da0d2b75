import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * A loopback TCP forwarder the drills can cut: close() stops listening and destroys every open
 * connection (as a crashed or restarted database server would), open() listens on the same port
 * again. The data source's DSN points here instead of at PostgreSQL.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  connections = 0;

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  open(): Promise<void> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = connect(this.target);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(a);
        a.on('close', () => this.sockets.delete(a));
        // A reset on one side ends the other: the database sees a dropped client and vice versa.
        a.on('error', () => b.destroy());
        a.pipe(b);
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}
