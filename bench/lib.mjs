// Helpers of the benchmark: child processes that are always cleaned up, polling, free ports, HTTP.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function progress(line) {
  process.stdout.write(`[bench] ${line}\n`);
}

export function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

/** Polls `check` until it returns a truthy value; rethrows the last error (or a timeout) after `timeoutMs`. */
export async function waitFor(what, check, timeoutMs = 30_000, everyMs = 200) {
  const until = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      if (err?.fatal) throw err;
      lastError = err;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`,
  );
}

/** An error that stops `waitFor` at once (e.g. the process died, or the answer can never become right). */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

/** POSTs JSON, resolves { status, text, json } (json undefined when the body is not JSON). */
export async function postJson(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const children = new Set();

/** A child process started by the benchmark; its output is kept (last 200 chunks) for error messages. */
export class Child {
  constructor(name, command, args, { env = {}, cwd = ROOT } = {}) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.env = env;
    this.cwd = cwd;
    this.output = [];
    this.proc = undefined;
    this.exited = Promise.resolve(null);
  }

  start() {
    const proc = spawn(this.command, this.args, {
      cwd: this.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d) => {
      this.output.push(d.toString());
      if (this.output.length > 200) this.output.shift();
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    this.exited = new Promise((res) => proc.once('exit', (code, signal) => res(code ?? signal)));
    proc.once('error', (err) => keep(`spawn error: ${err.message}\n`));
    this.proc = proc;
    children.add(this);
    return this;
  }

  get running() {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid() {
    return this.proc?.pid;
  }

  log(chars = 3000) {
    return this.output.join('').slice(-chars);
  }

  /** Throws a fatal error with the output tail when the process is gone. */
  assertRunning() {
    if (!this.running) {
      throw fatal(`${this.name} exited (${this.proc?.exitCode ?? this.proc?.signalCode}):\n${this.log()}`);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 10_000) {
    if (this.running) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.running && this.proc.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    children.delete(this);
  }
}

/** Stops every child still running (in reverse start order). */
export async function stopAllChildren() {
  for (const child of [...children].reverse()) await child.stop();
}

/** SIGKILLs whatever is left; synchronous, for process exit. */
export function killAllChildrenNow() {
  for (const child of children) if (child.running) child.proc.kill('SIGKILL');
}

/**
 * CPU ticks (utime + stime, 1/100 s) per process from /proc, skipping `exclude` pids and PostgreSQL
 * backends (they serve the benchmark). Empty on systems without /proc.
 */
function cpuTicks(exclude) {
  const ticks = new Map();
  let pids;
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return ticks;
  }
  for (const pid of pids) {
    if (exclude.has(Number(pid))) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      if (comm === 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks.set(pid, { comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

/**
 * Starts watching the CPU used by processes outside the benchmark (not this process, not its
 * children, not PostgreSQL); the returned function reports it since the start, in percent of one
 * CPU, with the busiest process names.
 */
export function watchOtherCpu() {
  const exclude = () => new Set([process.pid, ...[...children].map((c) => c.pid)]);
  const before = cpuTicks(exclude());
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const after = cpuTicks(exclude());
    const used = [];
    for (const [pid, { comm, ticks }] of after) {
      const delta = ticks - (before.get(pid)?.ticks ?? 0);
      if (delta > 0) used.push({ comm, delta });
    }
    const total = used.reduce((s, u) => s + u.delta, 0);
    const byName = new Map();
    for (const u of used) byName.set(u.comm, (byName.get(u.comm) ?? 0) + u.delta);
    const top = [...byName]
      .map(([comm, d]) => [comm, Math.round(d / seconds)])
      .filter(([, percent]) => percent >= 1)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([comm, percent]) => `${comm} ${percent}%`);
    return { percent: Math.round(total / seconds), top };
  };
}
