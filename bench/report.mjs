// Writing the results: tables, the facts of the machine, the command line, and sections of
// docs/benchmarks.md that belong to another script than the one rewriting the file.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { ROOT } from './lib.mjs';

const require = createRequire(import.meta.url);

export function textTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

/** A markdown table; the first two columns are left-aligned, the others right-aligned. */
export function mdTable(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/**
 * The command as it was typed, as far as it can be rebuilt: BENCH_* variables + `npm run <script>`
 * when npm ran it, else `node <file>`.
 */
export function commandLine(npmScript, file) {
  const vars = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  const cmd = process.env.npm_lifecycle_event === npmScript ? `npm run ${npmScript}` : `node ${file}`;
  return [...vars, cmd].join(' ');
}

function gitRevision() {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${rev} (with uncommitted changes)` : rev;
  } catch {
    return 'unknown';
  }
}

/** CPU, memory, OS, Node.js, PostgreSQL (`pgVersion`), autocannon and Muninn (version, commit). */
export function machineFacts(pgVersion) {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model?.trim() ?? 'unknown'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres: pgVersion,
    autocannon: require('autocannon/package.json').version,
    muninn: `${require('../package.json').version}, commit ${gitRevision()}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Sections owned by one script inside a file another script rewrites: marked by
// `<!-- begin <owner> -->` … `<!-- end <owner> -->`.

const SECTION = /<!-- begin (\S+) -->\n[\s\S]*?<!-- end \1 -->\n?/g;

/** The marked sections of `file` (with their markers), in order; none when the file is missing. */
export function markedSections(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return [...text.matchAll(SECTION)].map((m) => m[0].replace(/\n?$/, '\n'));
}

/**
 * Writes `body` as the section of `owner` in `file`: in place of the old one, else at the end; the
 * rest of the file stays as it is. A missing file starts with `title`.
 */
export function writeSection(file, owner, body, title) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    text = `${title}\n`;
  }
  const section = `<!-- begin ${owner} -->\n${body.replace(/\n*$/, '\n')}<!-- end ${owner} -->\n`;
  const old = [...text.matchAll(SECTION)].find((m) => m[1] === owner);
  const next = old
    ? text.slice(0, old.index) + section + text.slice(old.index + old[0].length)
    : `${text.replace(/\n*$/, '\n')}\n${section}`;
  fs.writeFileSync(file, next);
}
