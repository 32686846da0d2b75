import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tcpOpen } from './cache-servers.js';
import { ROOT, waitFor } from './node-process.js';

/** The committed configuration, the one deploy/compose mounts. */
export const NGINX_CONF = resolve(ROOT, 'deploy/nginx/nginx.conf');

type EnsureNginx = (options: { log: (line: string) => void }) => Promise<string>;

/** The nginx binary, installed from Debian by scripts/ensure-services.mjs when missing. */
export async function nginxBinary(): Promise<string> {
  const script = resolve(ROOT, 'scripts/ensure-services.mjs');
  const { ensureNginx } = (await import(script)) as { ensureNginx: EnsureNginx };
  return ensureNginx({ log: () => undefined });
}

/** Replaces exactly one match of `pattern` in `text`; fails loudly when the file no longer has it. */
function replaceOnce(text: string, pattern: RegExp, replacement: (m: RegExpMatchArray) => string): string {
  const matches = [...text.matchAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))];
  if (matches.length !== 1) {
    throw new Error(`deploy/nginx/nginx.conf: expected one match of ${pattern}, found ${matches.length}`);
  }
  const m = matches[0];
  return text.slice(0, m.index) + replacement(m) + text.slice(m.index! + m[0].length);
}

/**
 * The committed nginx.conf with only what differs on a test machine replaced: the upstream
 * servers (loopback ports instead of worker-1/worker-2, keeping their parameters), the listen
 * address, the log and temp paths (inside `dir`). Every other directive is the committed one.
 */
export function renderNginxConf(
  source: string,
  upstreamPorts: number[],
  listenPort: number,
  dir: string,
): string {
  let text = replaceOnce(source, /upstream muninn_workers \{[^}]*\}/, ([block]) => {
    const first = /^([ \t]*)server\s+[^\s:;]+:\d+([^;]*);\n/m.exec(block);
    if (!first) throw new Error('deploy/nginx/nginx.conf: no server in upstream muninn_workers');
    const [line, indent, params] = first;
    const servers = upstreamPorts.map((p) => `${indent}server 127.0.0.1:${p}${params};\n`).join('');
    // The loopback servers take the first server's place, with its parameters; the others go.
    return block
      .replace(line, servers)
      .replace(/^[ \t]*server\s+(?!127\.0\.0\.1:)[^\s:;]+:\d+[^;]*;\n/gm, '');
  });
  text = replaceOnce(text, /^(\s*)listen 80;$/m, (m) => `${m[1]}listen 127.0.0.1:${listenPort};`);
  text = replaceOnce(text, /^error_log \S+ (\w+);$/m, (m) => `error_log ${join(dir, 'error.log')} ${m[1]};`);
  text = replaceOnce(
    text,
    /^(\s*)access_log \/dev\/stdout (\w+);$/m,
    (m) => `${m[1]}access_log ${join(dir, 'access.log')} ${m[2]};`,
  );
  // Debian's compiled-in temp paths are under /var/lib/nginx (root only).
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};\n`)
    .join('');
  return replaceOnce(text, /^http \{\n/m, (m) => `${m[0]}${temp}`);
}

/** One access-log line of the `muninn` log format. */
export interface AccessEntry {
  status: number;
  /** When nginx finished the request (unix ms). */
  at: number;
  upstreams: string[];
  upstreamStatuses: string[];
}

/** An nginx with its own prefix, pid, logs and temp files in a temp dir, in the foreground. */
export class Nginx {
  readonly dir = mkdtempSync(join(tmpdir(), 'muninn-nginx-'));
  readonly conf = join(this.dir, 'nginx.conf');
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    private readonly bin: string,
    readonly port: number,
    upstreamPorts: number[],
    source = readFileSync(NGINX_CONF, 'utf8'),
  ) {
    // Run as root, nginx's workers are `nobody`: they must reach the temp paths (bodies over
    // client_body_buffer_size go to a file).
    chmodSync(this.dir, 0o755);
    writeFileSync(this.conf, renderNginxConf(source, upstreamPorts, port, this.dir));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private args(extra: string[]): string[] {
    const globals = `daemon off; pid ${join(this.dir, 'nginx.pid')};`;
    return ['-p', this.dir, '-c', this.conf, '-e', join(this.dir, 'error.log'), '-g', globals, ...extra];
  }

  /** `nginx -t` on the rendered file: its stderr, or throws with it. */
  test(): string {
    const res = spawnSync(this.bin, this.args(['-t']), { encoding: 'utf8', timeout: 30_000 });
    if (res.status !== 0) throw new Error(`nginx -t failed (${res.status}):\n${res.stderr}`);
    return res.stderr;
  }

  async start(): Promise<this> {
    const child = spawn(this.bin, this.args([]), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
    this.child = child;
    await waitFor(`nginx on ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited:\n${this.errors()}`);
      return tcpOpen(this.port);
    });
    return this;
  }

  errors(): string {
    try {
      return this.output.join('') + readFileSync(join(this.dir, 'error.log'), 'utf8');
    } catch {
      return this.output.join('');
    }
  }

  /** Parsed access log: every request nginx answered so far, with each upstream attempt. */
  accessLog(): AccessEntry[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir, 'access.log'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const m = /" (\d{3}) \d+ t=([\d.]+) .* up="([^"]*)" us="([^"]*)"/.exec(line);
        if (!m) throw new Error(`unparsed access log line: ${line}`);
        // Attempts are separated by ", " (and internal redirects by " : ").
        const list = (s: string) => (s === '-' ? [] : s.split(/\s*[,:]\s+/));
        return {
          status: Number(m[1]),
          at: Number(m[2]) * 1000,
          upstreams: list(m[3]),
          upstreamStatuses: list(m[4]),
        };
      });
  }

  /** SIGQUIT: graceful; SIGKILL after 5 s. Then removes the temp dir. */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGQUIT');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
