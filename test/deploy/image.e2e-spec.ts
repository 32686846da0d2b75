import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, waitFor } from '../support/node-process.js';
import { createTestDatabase } from '../support/postgres.js';
import { ROOT, TARGET_ROLE, allMuninnContainers, dockerfile, healthcheckScriptProbe } from './artefacts.js';
import { type ImageTarget, type Stage, buildContextFiles, imageTarget, parseEnv } from './dockerfile.js';

/**
 * There is no Docker engine on the development machines, so this test replays the Dockerfile on the
 * host: it copies the build context (.dockerignore applied) to a temporary directory, runs the build
 * stage's RUN lines as written (npm install, build, prune), assembles the runtime stage's files with
 * its COPY lines, then starts each target's CMD from that pruned tree against a real PostgreSQL and
 * checks every probe and healthcheck the artefacts under deploy/ point at.
 *
 * Not replayed (OS level, root only): the runtime stage's RUN lines (tini, the data directory),
 * USER and ENTRYPOINT; the base image's Node is the host's Node. npm reuses the host's cache
 * (~/.npm) and prefers it to the registry, so the install needs no network when the cache is warm.
 */

const CLUSTER_SECRET = 'image-e2e-cluster-secret';
const ADMIN_KEY = 'image-e2e-admin-key';
const STEP_TIMEOUT_MS = 240_000;

const fileStart = Date.now();
const timings: string[] = [];
const skipped: string[] = [];
const started: { child: ChildProcess; output: string[] }[] = [];
let tmp: string;
let runtimeRoot: string;
let db: { url: string; drop: () => Promise<void> };
const targets: Record<string, ImageTarget> = {};

async function timed<T>(what: string, f: () => Promise<T> | T): Promise<T> {
  const t0 = Date.now();
  const result = await f();
  timings.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/** Runs a build-stage RUN line as Docker would (`/bin/sh -c`), with a clean environment. */
function run(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const child = spawn('/bin/sh', ['-c', command], {
      cwd,
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '/root',
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command} failed (${code ?? signal}):\n${output.join('').slice(-4000)}`));
    });
  });
}

/** A stage's file system on the host: <tmp>/<stage>/<container path>. */
const stageRoot = (stage: Stage) => join(tmp, 'stages', stage.name);

/** Replays WORKDIR and COPY (and RUN, when `runCommands`) of one stage that starts from an image. */
async function replayStage(stage: Stage, contextDir: string, runCommands: boolean): Promise<void> {
  const root = stageRoot(stage);
  let workdir = '/';
  const env: Record<string, string> = {};
  for (const ins of stage.instructions) {
    const where = `Dockerfile:${ins.line}`;
    switch (ins.op) {
      case 'WORKDIR':
        workdir = ins.args.startsWith('/') ? ins.args : join(workdir, ins.args);
        mkdirSync(join(root, workdir), { recursive: true });
        break;
      case 'ENV':
        Object.assign(env, parseEnv(ins.args, where));
        break;
      case 'COPY': {
        const parts = ins.args.split(/\s+/);
        const dest = parts.pop()!;
        const from = ins.flags.from ? stageRoot(findStage(ins.flags.from)) : contextDir;
        const destPath = join(root, dest.startsWith('/') ? dest : join(workdir, dest));
        for (const src of parts) {
          const srcPath = join(from, src);
          if (!existsSync(srcPath)) throw new Error(`${where}: COPY source ${src} does not exist`);
          const target =
            dest.endsWith('/') && !src.endsWith('.') ? join(destPath, src.split('/').pop()!) : destPath;
          mkdirSync(dirname(target), { recursive: true });
          // Nothing reads a builder stage after the runtime copied from it, so its files are moved:
          // the same runtime tree, with half the disk I/O (node_modules is ~300 MB).
          if (ins.flags.from && !existsSync(target)) renameSync(srcPath, target);
          else cpSync(srcPath, target, { recursive: true, verbatimSymlinks: true });
        }
        break;
      }
      case 'RUN':
        if (!runCommands) {
          skipped.push(`${where} RUN ${ins.args}`);
        } else {
          if (!/^npm\s/.test(ins.args))
            throw new Error(`${where}: only npm commands are replayed on the host`);
          await timed(`RUN ${ins.args}`, () => run(ins.args, join(root, workdir), env));
        }
        break;
      case 'USER':
      case 'ENTRYPOINT':
      case 'EXPOSE':
      case 'ARG':
        skipped.push(`${where} ${ins.op} ${ins.args}`);
        break;
      default:
        throw new Error(`${where}: ${ins.op} is not replayed by this test`);
    }
  }
}

function findStage(name: string): Stage {
  return dockerfile().stage(name);
}

/** Container path → host path inside the runtime tree. */
function hostPath(p: string, target: ImageTarget): string {
  return p.startsWith('/') ? join(runtimeRoot, p) : join(runtimeRoot, target.workdir, p);
}

function exec(argv: string[], target: ImageTarget, env: Record<string, string>) {
  const [cmd, ...args] = argv;
  return spawn(cmd === 'node' ? process.execPath : cmd, args, {
    cwd: join(runtimeRoot, target.workdir),
    env: { PATH: process.env.PATH ?? '', ...target.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts a target's CMD from the pruned tree. */
async function startTarget(name: string, env: (port: number) => Record<string, string>) {
  const target = targets[name];
  const port = await freePort();
  const output: string[] = [];
  const child = exec(target.cmd, target, { ...env(port), BIND: `127.0.0.1:${port}` });
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  started.push({ child, output });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${name} to be ready`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`exited ${child.exitCode}:\n${output.join('').slice(-3000)}`);
      return (await fetch(`${url}/health/ready`)).status === 200;
    },
    60_000,
    200,
  );
  const exited = new Promise<number | null>((res) =>
    child.exitCode !== null ? res(child.exitCode) : child.once('exit', (code) => res(code)),
  );
  return { url, port, child, exited };
}

/** Runs a healthcheck command (exec form) the way the container runtime would, with BIND as deployed. */
function healthcheck(argv: string[], target: ImageTarget, port: number): Promise<number | null> {
  const mapped = argv.map((a) => (a.startsWith(`${target.workdir}/`) ? hostPath(a, target) : a));
  // Containers set BIND=:<port> (all interfaces); the script must then find the node on loopback.
  const child = exec(mapped, target, { BIND: `:${port}` });
  child.stdout!.resume();
  child.stderr!.resume();
  return new Promise((res) => child.once('exit', (code) => res(code)));
}

/** Probe paths and healthcheck commands of every Muninn container under deploy/, by role. */
function probesOf(role: string) {
  const containers = allMuninnContainers().filter((c) => c.role === role);
  const paths = new Set(containers.flatMap((c) => c.probes.map((p) => p.path)));
  const commands = new Map<string, string[]>();
  for (const c of containers) {
    for (const p of c.probes.filter((x) => x.port === undefined)) {
      const argv = ['node', `${c.target.workdir}/deploy/docker/healthcheck.mjs`, p.path];
      expect(typeof healthcheckScriptProbe(argv, c.target, p.kind)).toBe('object');
      commands.set(argv.join(' '), argv);
    }
  }
  return { paths: [...paths].sort(), commands: [...commands.values()] };
}

beforeAll(async () => {
  const t0 = Date.now();
  tmp = mkdtempSync(join(tmpdir(), 'muninn-image-'));
  const file = dockerfile();
  for (const name of Object.keys(TARGET_ROLE)) targets[name] = imageTarget(file, name);
  const runtime = targets.server.chain[0];
  expect(targets.management.chain[0]).toBe(runtime);
  runtimeRoot = stageRoot(runtime);

  const contextDir = join(tmp, 'context');
  await timed('copy the build context', () => {
    for (const f of buildContextFiles(ROOT, readFileSync(join(ROOT, '.dockerignore'), 'utf8'))) {
      mkdirSync(dirname(join(contextDir, f)), { recursive: true });
      cpSync(join(ROOT, f), join(contextDir, f));
    }
  });
  // Stages the runtime copies from are built (their RUN lines replayed), then the runtime itself.
  const builders = new Set(runtime.instructions.filter((i) => i.flags.from).map((i) => i.flags.from));
  for (const name of builders) await replayStage(findStage(name), contextDir, true);
  await timed('assemble the runtime stage', () => replayStage(runtime, contextDir, false));
  db = await createTestDatabase('deploy_image');
  timings.push(`replay total: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, 330_000);

afterAll(async () => {
  for (const { child } of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await db?.drop();
  if (tmp) await timed('remove the temporary trees', () => rmSync(tmp, { recursive: true, force: true }));
  timings.push(`whole file: ${((Date.now() - fileStart) / 1000).toFixed(1)} s`);
  process.stderr.write(
    `\nimage replay timings:\n  ${timings.join('\n  ')}\nnot replayed:\n  ${skipped.join('\n  ')}\n`,
  );
}, 60_000);

describe('the Dockerfile, replayed on the host', () => {
  it('leaves a pruned tree: runtime dependencies only, and both CMD entry points', () => {
    const modules = join(runtimeRoot, 'app/node_modules');
    expect(existsSync(join(modules, '@nestjs/core'))).toBe(true);
    for (const dev of ['@nestjs/cli', 'jest', 'ts-jest', 'eslint', 'prettier']) {
      expect([dev, existsSync(join(modules, dev))]).toEqual([dev, false]);
    }
    for (const t of Object.values(targets)) expect(existsSync(hostPath(t.cmd[1], t))).toBe(true);
    expect(existsSync(join(runtimeRoot, 'app/src'))).toBe(false);
    expect(existsSync(join(runtimeRoot, 'app/libs'))).toBe(false);
  });

  it('management and a clustered work node start with their CMD and pass every probe and healthcheck', async () => {
    const management = await startTarget('management', () => ({
      CLUSTER_SECRET,
      SECRET_KEY: ADMIN_KEY,
      CORE_DB_PATH: db.url,
    }));
    const worker = await startTarget('server', (port) => ({
      CLUSTER_SECRET,
      SECRET_KEY: ADMIN_KEY,
      CORE_DB_PATH: db.url,
      CLUSTER_MANAGEMENT_URL: management.url,
      CLUSTER_NODE_NAME: 'image-worker-1',
      CLUSTER_NODE_URL: `http://127.0.0.1:${port}`,
    }));
    const nodes = { management, server: worker };
    for (const [name, node] of Object.entries(nodes)) {
      const role = TARGET_ROLE[name];
      const { paths, commands } = probesOf(role);
      expect(paths).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
      for (const path of paths) {
        const res = await fetch(`${node.url}${path}`);
        expect([name, path, res.status]).toEqual([name, path, 200]);
      }
      expect(commands.length).toBeGreaterThan(0);
      for (const argv of commands) {
        expect([name, argv.join(' '), await healthcheck(argv, targets[name], node.port)]).toEqual([
          name,
          argv.join(' '),
          0,
        ]);
      }
    }

    // Stopped, the node fails its healthcheck; it drains and exits 0 on SIGTERM.
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await healthcheck(targets.server.healthcheck!, targets.server, worker.port)).toBe(1);
    management.child.kill('SIGTERM');
    expect(await management.exited).toBe(0);
  }, 120_000);
});
