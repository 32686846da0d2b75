import { readdirSync } from 'node:fs';
import { join, posix } from 'node:path';

/** One Dockerfile instruction, continuation lines joined, leading `--flag=value` options split off. */
export interface Instruction {
  op: string;
  flags: Record<string, string>;
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  /** Image or earlier stage this one starts from. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
  stage(name: string): Stage;
}

const FLAGGED = new Set(['COPY', 'ADD', 'RUN', 'HEALTHCHECK']);

/** The subset of the Dockerfile syntax the project's Dockerfile uses; anything else is an error. */
export function parseDockerfile(text: string): Dockerfile {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      // Comment lines inside a continued instruction are dropped, as Docker does.
      if (!/^\s*#/.test(lines[i])) line += lines[i];
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile:${start}: cannot parse "${line}"`);
    const op = m[1].toUpperCase();
    let args = m[2].trim();
    const flags: Record<string, string> = {};
    if (FLAGGED.has(op)) {
      let f: RegExpExecArray | null;
      while ((f = /^--([a-z-]+)=(\S+)\s+/.exec(args))) {
        flags[f[1]] = f[2];
        args = args.slice(f[0].length);
      }
    }
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile:${start}: cannot parse FROM ${args}`);
      stages.push({ name: from[2] ?? String(stages.length), from: from[1], instructions: [] });
      continue;
    }
    if (op === 'ARG' && stages.length === 0) continue; // global build arguments (only used in FROM)
    if (stages.length === 0) throw new Error(`Dockerfile:${start}: ${op} before FROM`);
    stages.at(-1)!.instructions.push({ op, flags, args, line: start });
  }
  return {
    stages,
    stage(name) {
      const s = stages.find((st) => st.name === name);
      if (!s) throw new Error(`Dockerfile has no stage ${name}`);
      return s;
    },
  };
}

/** `["a", "b"]` (exec form); shell form is refused, since a test replays these commands. */
export function execForm(args: string, where: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new Error(`${where}: use the exec form ["…", "…"], not "${args}"`);
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
    throw new Error(`${where}: exec form must be an array of strings`);
  }
  return parsed as string[];
}

/** `ENV A=1 B="x y"` → { A: '1', B: 'x y' } */
export function parseEnv(args: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)\s*/y;
  let pos = 0;
  while (pos < args.length) {
    re.lastIndex = pos;
    const m = re.exec(args);
    if (!m) throw new Error(`${where}: use ENV NAME=value, not "${args}"`);
    out[m[1]] = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    pos = re.lastIndex;
  }
  return out;
}

/** What a target stage gives its container: the chain of stages it starts from, resolved. */
export interface ImageTarget {
  name: string;
  /** Every stage from the first one from an image down to this target. */
  chain: Stage[];
  env: Record<string, string>;
  workdir: string;
  user: string | undefined;
  entrypoint: string[];
  cmd: string[];
  expose: number[];
  healthcheck: string[] | undefined;
}

export function imageTarget(file: Dockerfile, name: string): ImageTarget {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = file.stage(name); s;) {
    chain.unshift(s);
    const parent: string = s.from;
    s = file.stages.find((st) => st.name === parent);
  }
  const t: ImageTarget = {
    name,
    chain,
    env: {},
    workdir: '/',
    user: undefined,
    entrypoint: [],
    cmd: [],
    expose: [],
    healthcheck: undefined,
  };
  for (const stage of chain) {
    for (const ins of stage.instructions) {
      const where = `Dockerfile:${ins.line}`;
      switch (ins.op) {
        case 'ENV':
          Object.assign(t.env, parseEnv(ins.args, where));
          break;
        case 'WORKDIR':
          t.workdir = posix.resolve(t.workdir, ins.args);
          break;
        case 'USER':
          t.user = ins.args;
          break;
        case 'ENTRYPOINT':
          t.entrypoint = execForm(ins.args, where);
          break;
        case 'CMD':
          t.cmd = execForm(ins.args, where);
          break;
        case 'EXPOSE':
          t.expose.push(...ins.args.split(/\s+/).map((p) => Number(p.replace(/\/tcp$/, ''))));
          break;
        case 'HEALTHCHECK': {
          const m = /^CMD\s+(.*)$/.exec(ins.args);
          if (!m) throw new Error(`${where}: HEALTHCHECK must be CMD [...]`);
          t.healthcheck = execForm(m[1], where);
          break;
        }
      }
    }
  }
  return t;
}

/**
 * `.dockerignore` as Docker reads it: each pattern matches a path or one of its parent directories,
 * the last matching pattern wins, `!` re-includes. Patterns use `*`, `?` and `**`.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
      return { negate, pattern, re: globToRegExp(pattern) };
    });
  return (path: string) => {
    let excluded = false;
    const parts = path.split('/');
    for (const rule of rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The files `docker build` would send as its context: every file under `root` that `.dockerignore`
 * does not exclude. A directory is not entered when it is excluded and no `!` pattern reaches into it.
 */
export function buildContextFiles(root: string, ignoreText: string): string[] {
  const excluded = dockerignore(ignoreText);
  const reincludes = ignoreText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/^\/+/, ''));
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        const reachable = reincludes.some((p) => p === path || p.startsWith(`${path}/`) || p.includes('*'));
        if (!excluded(path) || reachable) walk(path);
      } else if (!excluded(path)) {
        out.push(path);
      }
    }
  };
  walk('');
  return out.sort();
}
