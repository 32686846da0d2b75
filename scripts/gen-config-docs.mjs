#!/usr/bin/env node
// Generates the variable table of docs/configuration.md from libs/config/src/variables.ts.
//
//   node scripts/gen-config-docs.mjs           print the Markdown table
//   node scripts/gen-config-docs.mjs --write   rewrite the table between the markers
//   node scripts/gen-config-docs.mjs --check   exit 1 when the committed table is stale
//
// Dependency-free on purpose: it reads the TypeScript source as text (no build needed), so it
// parses only the literal shape used there: `{ name: '…', roles: BOTH|MGMT|WORKER,
// default: '…', secret: true, description: '…' }` entries of the `VARIABLES` array.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(root, 'libs/config/src/variables.ts');
const DOC = join(root, 'docs/configuration.md');
const START = '<!-- variables:start -->';
const END = '<!-- variables:end -->';
const ROLES = { BOTH: 'both', MGMT: 'management', WORKER: 'worker' };

function die(message, code = 2) {
  process.stderr.write(`gen-config-docs: ${message}\n`);
  process.exit(code);
}

/** Index just past the string literal that starts at `i` (', " or `). */
function skipString(text, i) {
  const quote = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === quote) return j + 1;
  }
  die(`unterminated string in ${SOURCE}`);
}

/** Value of a string literal without interpolation. */
function unquote(literal) {
  if (literal.startsWith('`') && literal.includes('${'))
    die(`template interpolation is not supported: ${literal}`);
  return literal.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' })[c] ?? c);
}

/** The text of every top-level `{ … }` inside `export const VARIABLES … = [ … ];`. */
function entryTexts(source) {
  const decl = source.search(/export const VARIABLES\b/);
  if (decl < 0) die(`no "export const VARIABLES" in ${SOURCE}`);
  const open = source.indexOf('[', source.indexOf('=', decl));
  const entries = [];
  let depth = 0;
  let start = -1;
  for (let i = open + 1; i < source.length; i++) {
    const c = source[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipString(source, i) - 1;
    } else if (c === '/' && source[i + 1] === '/') {
      i = source.indexOf('\n', i);
    } else if (c === '/' && source[i + 1] === '*') {
      i = source.indexOf('*/', i) + 1;
    } else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}') {
      if (--depth === 0) entries.push(source.slice(start + 1, i));
    } else if (c === ']' && depth === 0) {
      return entries;
    }
  }
  die(`the VARIABLES array in ${SOURCE} is not closed`);
}

/** `key: value` pairs of one entry; values are string literals or identifiers. */
function parseEntry(text) {
  const entry = {};
  const pair = /\s*([A-Za-z_]\w*)\s*:\s*/y;
  let i = 0;
  while (i < text.length) {
    if (/^[\s,]*$/.test(text.slice(i))) break;
    pair.lastIndex = i;
    const m = pair.exec(text);
    if (!m) die(`cannot parse entry {${text}}`);
    i = pair.lastIndex;
    if ('\'"`'.includes(text[i])) {
      const end = skipString(text, i);
      entry[m[1]] = unquote(text.slice(i, end));
      i = end;
    } else {
      const ident = /[A-Za-z_]\w*/y;
      ident.lastIndex = i;
      const v = ident.exec(text);
      if (!v) die(`unsupported value for ${m[1]} in {${text}}`);
      entry[m[1]] = v[0] === 'true' ? true : v[0] === 'false' ? false : { ident: v[0] };
      i = ident.lastIndex;
    }
    const comma = /\s*,?\s*/y;
    comma.lastIndex = i;
    comma.exec(text);
    i = comma.lastIndex;
  }
  if (typeof entry.name !== 'string' || typeof entry.description !== 'string') {
    die(`entry without name or description: {${text}}`);
  }
  const roles = entry.roles?.ident;
  if (!(roles in ROLES)) die(`${entry.name}: roles must be one of ${Object.keys(ROLES).join(', ')}`);
  return { ...entry, roles: ROLES[roles] };
}

const cell = (s) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function generateTable(source = readFileSync(SOURCE, 'utf8')) {
  const variables = entryTexts(source).map(parseEntry);
  if (variables.length === 0) die(`no variables found in ${SOURCE}`);
  const rows = variables.map((v) => {
    const def = v.default === undefined ? '—' : v.default === '' ? '(empty)' : `\`${v.default}\``;
    const meaning = v.description + (v.secret ? ' *Secret: never echoed in messages.*' : '');
    return `| \`${v.name}\` | ${v.roles} | ${cell(def)} | ${cell(meaning)} |`;
  });
  return ['| Variable | Nodes | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}

function splitDoc(doc) {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) die(`${DOC} must contain ${START} … ${END}`, 1);
  return {
    before: doc.slice(0, start + START.length),
    current: doc.slice(start + START.length, end),
    after: doc.slice(end),
  };
}

const mode = process.argv[2];
if (mode !== undefined && mode !== '--write' && mode !== '--check') {
  die('usage: node scripts/gen-config-docs.mjs [--write | --check]');
}
const table = generateTable();
if (mode === undefined) {
  process.stdout.write(table);
} else {
  const doc = readFileSync(DOC, 'utf8');
  const { before, current, after } = splitDoc(doc);
  const wanted = `\n${table}`;
  if (mode === '--write') {
    if (current !== wanted) writeFileSync(DOC, before + wanted + after);
    process.stdout.write(`${current === wanted ? 'unchanged' : 'updated'}: docs/configuration.md\n`);
  } else if (current !== wanted) {
    process.stderr.write(
      'docs/configuration.md: the variable table is out of date with libs/config/src/variables.ts;\n' +
        'run `node scripts/gen-config-docs.mjs --write`.\n',
    );
    process.exit(1);
  } else {
    process.stdout.write('docs/configuration.md: variable table is up to date\n');
  }
}
