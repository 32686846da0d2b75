import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A second process tried to open an embedded core DB directory that is in use. */
export class CoreDbLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded core DB at ${dir} is in use by process ${pid}. ` +
        'Only one process may open an embedded directory: point other nodes at the owner ' +
        '(CORE_DB_PATH=postgres://…) or give this process its own CORE_DB_PATH directory.',
    );
    this.name = 'CoreDbLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dir>/muninn.lock` (O_EXCL); a lock left by a dead process is taken over. */
function acquireLock(dir: string): () => void {
  const file = resolve(dir, 'muninn.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new CoreDbLockedError(dir, pid);
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not lock ${file}`);
}

/**
 * The embedded core DB: PGlite in a local directory, owned by this process and shared over a
 * loopback PostgreSQL socket. Every client (this process included) talks to it through that
 * socket, so all statements go through pglite-socket's single, transaction-aware queue.
 */
export class EmbeddedCoreDb {
  private constructor(
    readonly dir: string,
    readonly url: string,
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly release: () => void,
  ) {}

  static async open(dir: string, port = 0): Promise<EmbeddedCoreDb> {
    const absolute = resolve(dir);
    mkdirSync(absolute, { recursive: true });
    const release = acquireLock(absolute);
    try {
      const db = await PGlite.create({ dataDir: resolve(absolute, 'pgdata') });
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 64 });
      await server.start();
      const actualPort = Number(server.getServerConn().split(':').pop());
      return new EmbeddedCoreDb(
        absolute,
        `postgres://postgres@127.0.0.1:${actualPort}/postgres`,
        db,
        server,
        release,
      );
    } catch (err) {
      release();
      throw err;
    }
  }

  async close(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } finally {
      this.release();
    }
  }
}
