// Serves one PGlite database on a loopback port to any number of PostgreSQL clients (pg pools of
// both work nodes, psql, …), for the demo shop of `npm start`.
//
// PGlite is a single backend session. @electric-sql/pglite-socket 0.2.17 multiplexes its clients
// message by message; with transactions in the mix, concurrent extended-protocol queries of other
// clients interleave (`portal "" does not exist`, rows meant for another client). Here a client
// owns the session from its first message until the backend reports ReadyForQuery 'I' (idle, no
// transaction open): one extended-protocol round trip (Parse … Sync) or one whole transaction.
// Other clients queue in FIFO order. Named prepared statements are renamed per connection, so
// clients cannot collide on names, and are deallocated when their connection closes.
//
// Still one session underneath: statements run one at a time, and session-level settings (`SET`,
// startup parameters such as statement_timeout) are shared by all clients.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const [PARSE, BIND, DESCRIBE, CLOSE, TERMINATE, READY] = ['P', 'B', 'D', 'C', 'X', 'Z'].map((c) =>
  c.charCodeAt(0),
);

function isAlive(pid) {
  try {
    return process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Takes `<dir>/muninn.lock` (O_EXCL, holding our PID); a lock left by a dead process is taken over. */
function acquireLock(dir) {
  const file = join(dir, 'muninn.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`the demo database at ${dir} is in use by process ${pid}`, { cause: err });
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not lock ${file}`);
}

/** Reads backend messages across chunks and remembers the status of the last ReadyForQuery. */
class BackendScanner {
  head = [];
  left = 0;
  type = 0;
  lastReady = null;

  feed(chunk) {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        if (this.type === READY) this.lastReady = String.fromCharCode(chunk[i]);
        const n = Math.min(this.left, chunk.length - i);
        i += n;
        this.left -= n;
        continue;
      }
      this.head.push(chunk[i++]);
      if (this.head.length === 5) {
        const [type, a, b, c, d] = this.head;
        this.type = type;
        this.left = ((a << 24) | (b << 16) | (c << 8) | d) - 4;
        this.head = [];
      }
    }
  }
}

/** Reads a NUL-terminated string at `at`; returns it and the offset after the NUL. */
function cstring(buf, at) {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

/** One client connection: its buffered input, queued messages and prepared-statement names. */
class Client {
  static nextId = 1;
  id = Client.nextId++;
  input = Buffer.alloc(0);
  started = false;
  messages = [];
  statements = new Set();
  closed = false;

  constructor(socket) {
    this.socket = socket;
  }

  /** Prefixes a named prepared statement so that clients sharing the one session cannot collide. */
  rename(name) {
    if (name === '') return '';
    const renamed = `c${this.id}_${name}`;
    this.statements.add(renamed);
    return renamed;
  }

  /** Rewrites statement names in Parse, Bind, Describe and Close; other messages pass unchanged. */
  rewrite(msg) {
    const type = msg[0];
    const rebuild = (parts) => {
      const body = Buffer.concat(parts);
      const out = Buffer.alloc(5 + body.length);
      out[0] = type;
      out.writeInt32BE(4 + body.length, 1);
      body.copy(out, 5);
      return out;
    };
    const z = Buffer.from([0]);
    if (type === PARSE) {
      const [name, rest] = cstring(msg, 5);
      if (name === '') return msg;
      return rebuild([Buffer.from(this.rename(name)), z, msg.subarray(rest)]);
    }
    if (type === BIND) {
      const [portal, afterPortal] = cstring(msg, 5);
      const [name, rest] = cstring(msg, afterPortal);
      if (name === '') return msg;
      return rebuild([Buffer.from(portal), z, Buffer.from(this.rename(name)), z, msg.subarray(rest)]);
    }
    if ((type === DESCRIBE || type === CLOSE) && msg[5] === 'S'.charCodeAt(0)) {
      const [name] = cstring(msg, 6);
      if (name === '') return msg;
      const renamed = this.rename(name);
      if (type === CLOSE) this.statements.delete(renamed);
      return rebuild([msg.subarray(5, 6), Buffer.from(renamed), z]);
    }
    return msg;
  }

  /** Splits buffered input into messages; answers SSL/GSS requests itself. */
  take(data) {
    this.input = Buffer.concat([this.input, data]);
    for (;;) {
      if (!this.started) {
        if (this.input.length < 8) return;
        const len = this.input.readInt32BE(0);
        if (this.input.length < len) return;
        const code = this.input.readInt32BE(4);
        const msg = this.input.subarray(0, len);
        this.input = this.input.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N');
        } else if (code === CANCEL_REQUEST) {
          this.socket.end(); // PGlite has no backend to signal
          return;
        } else if (code === PROTOCOL_3) {
          this.started = true;
          this.messages.push(Buffer.from(msg));
        } else {
          this.socket.destroy();
          return;
        }
      } else {
        if (this.input.length < 5) return;
        const len = 1 + this.input.readInt32BE(1);
        if (this.input.length < len) return;
        const msg = Buffer.from(this.input.subarray(0, len));
        this.input = this.input.subarray(len);
        if (msg[0] === TERMINATE) {
          this.socket.end();
          return;
        }
        this.messages.push(this.rewrite(msg));
      }
    }
  }
}

export class PgliteServer {
  #db;
  #server;
  #release;
  #clients = new Set();
  #waiting = []; // clients with messages, in arrival order, while another client owns the session
  #owner = null;
  #pumping = false;
  #idle = Promise.resolve();
  #stopping = false;

  constructor(db, server, release) {
    this.#db = db;
    this.#server = server;
    this.#release = release;
  }

  /**
   * Opens (creating when missing) the PGlite database in `<dir>/pgdata`, runs `seed(db)` once when
   * `isEmpty(db)` says so, and listens on 127.0.0.1:`port` (0: any free port).
   */
  static async open(dir, { port = 0, isEmpty, seed } = {}) {
    const absolute = resolve(dir);
    mkdirSync(absolute, { recursive: true });
    const release = acquireLock(absolute);
    let db;
    try {
      db = await PGlite.create({ dataDir: join(absolute, 'pgdata') });
      const seeded = isEmpty && (await isEmpty(db)) ? (await seed(db), true) : false;
      const server = createServer();
      const self = new PgliteServer(db, server, release);
      self.seeded = seeded;
      server.on('connection', (socket) => self.#accept(socket));
      await new Promise((res, rej) => {
        server.once('error', rej);
        server.listen(port, '127.0.0.1', res);
      });
      self.port = server.address().port;
      self.url = `postgres://postgres@127.0.0.1:${self.port}/postgres`;
      return self;
    } catch (err) {
      await db?.close().catch(() => {});
      release();
      throw err;
    }
  }

  /** Connected clients (sockets) right now. */
  get connections() {
    return this.#clients.size;
  }

  #accept(socket) {
    if (this.#stopping) return socket.destroy();
    socket.setNoDelay(true);
    const client = new Client(socket);
    this.#clients.add(client);
    socket.on('data', (data) => {
      try {
        client.take(data);
      } catch {
        socket.destroy();
        return;
      }
      this.#schedule(client);
    });
    socket.on('error', () => {}); // a reset by the client is followed by 'close'
    socket.on('close', () => {
      client.closed = true;
      client.messages = [];
      this.#clients.delete(client);
      this.#schedule(client);
    });
  }

  #schedule(client) {
    if (client !== this.#owner && !this.#waiting.includes(client)) this.#waiting.push(client);
    if (!this.#pumping) this.#idle = this.#pump();
  }

  /** Runs queued messages one at a time; the owner keeps the session until it is idle again. */
  async #pump() {
    this.#pumping = true;
    try {
      while (!this.#stopping) {
        if (!this.#owner) {
          this.#owner = this.#waiting.shift() ?? null;
          if (!this.#owner) return;
        }
        const client = this.#owner;
        if (client.closed) {
          await this.#cleanUp(client);
          this.#owner = null;
          continue;
        }
        const msg = client.messages.shift();
        if (!msg) {
          if (client.idle !== false) this.#owner = null;
          if (this.#owner) return; // mid-transaction: wait for this client's next message
          continue;
        }
        const scanner = new BackendScanner();
        try {
          await this.#db.runExclusive(() =>
            this.#db.execProtocolRawStream(msg, {
              onRawData: (chunk) => {
                scanner.feed(chunk);
                if (client.socket.writable) client.socket.write(Buffer.from(chunk));
              },
            }),
          );
        } catch {
          client.socket.destroy(); // the 'close' handler queues the clean-up
          client.closed = true;
        }
        if (scanner.lastReady !== null) client.idle = scanner.lastReady === 'I';
        else client.idle = false; // mid round trip (Parse, Bind, … before Sync)
        if (client.idle) {
          this.#owner = null;
          if (client.messages.length > 0) this.#waiting.push(client); // others first
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** A client left: end its round trip or transaction, and drop its prepared statements. */
  async #cleanUp(client) {
    if (this.#stopping) return; // closing PGlite discards an open transaction anyway
    const statements = [...client.statements].map((name) => `DEALLOCATE "${name.replaceAll('"', '""')}"`);
    client.statements.clear();
    try {
      if (client.idle === false) {
        // Sync ends an unfinished extended-protocol round trip; then roll back an open transaction.
        await this.#db.runExclusive(() =>
          this.#db.execProtocolRawStream(Buffer.from([0x53, 0, 0, 0, 4]), { onRawData: () => {} }),
        );
        client.idle = true;
        if (this.#db.isInTransaction()) statements.unshift('ROLLBACK');
      }
      for (const sql of statements) await this.#db.exec(sql).catch(() => {}); // already gone: fine
    } catch {
      // the database is closing
    }
  }

  /** Stops listening, disconnects every client and closes PGlite. */
  async close() {
    this.#stopping = true;
    await new Promise((res) => {
      this.#server.close(() => res());
      for (const client of this.#clients) client.socket.destroy();
    });
    await this.#idle; // a statement in flight finishes first
    await new Promise((res) => setImmediate(res));
    await this.#idle;
    await this.#db.close();
    this.#release();
  }
}
