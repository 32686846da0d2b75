// Benchmark: aggregations over a Parquet file through Muninn's duckdb data source against the same
// aggregations run on DuckDB directly behind a minimal HTTP server ("DuckDB direct",
// bench/peers/duckdb-direct.mjs), autocannon side by side in one run. Writes its own section of
// docs/benchmarks.md (between `<!-- bench:duckdb:start -->` and `<!-- bench:duckdb:end -->`,
// wrapped in `<!-- begin bench/duckdb.mjs -->` … so that bench/run.mjs keeps it); the rest of the
// file stays as it is.
//
//   npm run build && npm run bench:duckdb
//
// Environment (all optional):
//   BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ROUNDS   as bench/run.mjs
//   BENCH_DUCKDB_ROWS  orders in the Parquet file (default 1000000)
//   BENCH_OUT          markdown file to write the section into (default docs/benchmarks.md; `-`: none)
//
// The Parquet file lives in a temporary directory, the Muninn core database is a database of its
// own (muninn_bench_duckdb_core, so that a concurrent bench/run.mjs or bench/cache.mjs is left
// alone); the children, the directory and the database are removed at the end, also after a
// failure or Ctrl-C.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { dropDatabase, dsn, recreateDatabase, STATUSES } from './data.mjs';
import {
  Child,
  ROOT,
  freePort,
  killAllChildrenNow,
  postJson,
  progress,
  stopAllChildren,
  waitFor,
} from './lib.mjs';
import { envNumber, loadConfig, measureRounds } from './measure.mjs';
import { QUERIES as DIRECT_SQL, viewSql } from './peers/duckdb-direct.mjs';
import { POOL_SIZE } from './peers/raw-pg.mjs';
import { commandLine, machineFacts, mdTable, textTable } from './report.mjs';
import { MuninnTarget, graphqlData } from './targets.mjs';

const require = createRequire(import.meta.url);

const CORE_DB = 'muninn_bench_duckdb_core';
const SOURCE = 'parquet_bench';
const START = '<!-- bench:duckdb:start -->';
const END = '<!-- bench:duckdb:end -->';
/** bench/run.mjs rewrites docs/benchmarks.md and keeps only sections wrapped like this. */
const OWNER = 'bench/duckdb.mjs';

/** The measured queries; `request` of each target answers the same JSON. */
const SHAPES = {
  bucket: { title: 'bucket aggregation', what: 'count, sum and average of total per status' },
  aggregation: {
    title: 'filtered aggregation',
    what: 'count, sum, average, min and max of total over the orders with status "paid"',
  },
};

const MUNINN_QUERIES = {
  bucket:
    '{ orders_bucket_aggregation(order_by: [{field: "key.status"}]) ' +
    '{ key { status } aggregations { _rows_count total { sum avg } } } }',
  aggregation:
    '{ orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count total { sum avg min max } } }',
};
const DIRECT_BODIES = { bucket: {}, aggregation: { status: 'paid' } };

function readConfig() {
  const out = process.env.BENCH_OUT?.trim() || 'docs/benchmarks.md';
  return {
    ...loadConfig(),
    rows: Math.floor(envNumber('BENCH_DUCKDB_ROWS', 1_000_000, 1000)),
    out: out === '-' ? undefined : resolve(ROOT, out),
  };
}

// ---------------------------------------------------------------------------------------------
// data

/**
 * Deterministic orders (no random functions): ids 1..n, 20 000 customers, the five statuses of
 * bench/data.mjs, totals 0.01 … 999.00 as DECIMAL(12,2), created_at spread over 2024.
 */
const ordersSql = (rows) => `
  SELECT i::BIGINT AS id,
         (1 + (i * 7919) % 20000)::INTEGER AS customer_id,
         ${sqlList(STATUSES)}[1 + ((i * 31 + i // 7) % ${STATUSES.length})::INTEGER] AS status,
         ((1 + (i * 104729) % 99900) / 100)::DECIMAL(12, 2) AS total,
         TIMESTAMP '2024-01-01' + to_seconds((i * 7907) % 31622400) AS created_at
  FROM range(1, ${rows + 1}) r(i)`;

const sqlList = (values) => `[${values.map((v) => `'${v}'`).join(', ')}]`;

/** Writes `<dir>/orders.parquet`; resolves its size, row groups and the DuckDB version. */
async function writeParquet(dir, rows) {
  const file = join(dir, 'orders.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`COPY (${ordersSql(rows)}) TO '${file}' (FORMAT parquet)`);
    const one = async (sql) => (await conn.runAndReadAll(sql)).getRows()[0][0];
    return {
      file,
      bytes: fs.statSync(file).size,
      rows: Number(await one(`SELECT count(*) FROM read_parquet('${file}')`)),
      rowGroups: Number(await one(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${file}')`)),
      duckdb: String(await one('SELECT version()')),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const catalogSdl = (file) =>
  `type orders @view(name: "orders", sql: "${viewSql(file)}") {
  id: BigInt! @pk
  customer_id: Int!
  status: String!
  total: Float!
  created_at: Timestamp!
}`;

// ---------------------------------------------------------------------------------------------
// servers

/** Muninn (management + one work node from dist/) with a duckdb source over the Parquet file. */
class MuninnDuckDbTarget extends MuninnTarget {
  label = 'Muninn';

  constructor(parquet, dir) {
    super({ workers: [{ name: 'bench-duckdb', env: { STORAGE_CACHE_DIR: join(dir, 'objects') } }] });
    this.parquet = parquet;
  }

  queries(shape) {
    return MUNINN_QUERIES[shape];
  }

  async start() {
    for (const [role, file] of Object.entries(this.entry)) {
      if (!fs.existsSync(file))
        throw new Error(`Muninn ${role} is not built (${file} is missing): run \`npm run build\` first`);
    }
    progress(`muninn: recreating core database ${CORE_DB}`);
    await recreateDatabase(CORE_DB);
    const common = {
      NODE_ENV: 'production',
      CLUSTER_SECRET: this.clusterSecret,
      SECRET_KEY: this.secretKey,
      CORE_DB_PATH: dsn(CORE_DB),
      LOG_LEVEL: 'warn',
      CACHE_L1_ENABLED: 'false',
      CACHE_L2_ENABLED: 'false',
      CACHE_TTL: '0',
    };
    const mPort = await freePort();
    this.managementUrl = `http://127.0.0.1:${mPort}`;
    progress(`muninn: starting management on ${mPort}`);
    this.management = new Child('muninn management', process.execPath, [this.entry.management], {
      env: { ...common, BIND: `127.0.0.1:${mPort}` },
    }).start();
    await this.waitReady(this.management, this.managementUrl);

    const worker = this.workers[0];
    const wPort = await freePort();
    worker.url = `http://127.0.0.1:${wPort}`;
    const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    progress(`muninn: starting work node ${worker.name} on ${wPort}`);
    worker.child = new Child('muninn worker', process.execPath, [...nodeArgs, this.entry.worker], {
      env: {
        ...common,
        BIND: `127.0.0.1:${wPort}`,
        CLUSTER_MANAGEMENT_URL: this.managementUrl,
        CLUSTER_NODE_NAME: worker.name,
        CLUSTER_NODE_URL: worker.url,
        DRAIN_DELAY: '0',
        DATA_SOURCE_POOL_SIZE: String(POOL_SIZE),
        ...worker.env,
      },
    }).start();
    await this.waitReady(worker.child, worker.url);

    progress(`muninn: creating and loading duckdb data source "${SOURCE}"`);
    await this.admin(`mutation($input: DataSourceInput!) { createDataSource(input: $input) { name } }`, {
      input: {
        name: SOURCE,
        type: 'duckdb',
        prefix: '',
        path: '',
        readOnly: true,
        catalogs: [{ name: SOURCE, type: 'TEXT', sdl: catalogSdl(this.parquet) }],
      },
    });
    const { loadDataSource: load } = await this.admin(
      `mutation { loadDataSource(name: "${SOURCE}") { success message nodes { node success message } } }`,
    );
    const failed = load.nodes.filter((n) => !n.success);
    if (!load.success || failed.length || load.nodes.length < 1) {
      const detail = failed.map((n) => `${n.node}: ${n.message}`).join('; ');
      throw new Error(`loadDataSource failed: ${load.message}${detail ? ` (${detail})` : ''}`);
    }
    await waitFor('the work node to answer the bucket aggregation', async () => {
      worker.child.assertRunning();
      const { url, headers, body } = this.request('bucket');
      graphqlData('Muninn work node', await postJson(url, body, headers));
      return true;
    });
  }

  describe() {
    return (
      'management + 1 work node from `dist/` (`node dist/apps/{management,worker}/…/main.js`), core DB ' +
      `\`${CORE_DB}\` in PostgreSQL, \`LOG_LEVEL=warn\`, \`NODE_ENV=production\`, ` +
      `\`DATA_SOURCE_POOL_SIZE=${POOL_SIZE}\`, no cache; data source \`${SOURCE}\` (duckdb, \`path: ""\` = ` +
      'in-memory, prefix `""`, read-only, the inline catalog above) created and loaded through the ' +
      'management GraphQL API; queries `POST /query` with `x-hugr-secret-key`'
    );
  }
}

class DuckDbDirectTarget {
  key = 'direct';
  label = 'DuckDB direct';
  script = resolve(ROOT, 'bench/peers/duckdb-direct.mjs');

  constructor(parquet) {
    this.parquet = parquet;
  }

  queries(shape) {
    return `POST /${shape} ${JSON.stringify(DIRECT_BODIES[shape])}`;
  }

  request(shape) {
    return {
      url: `${this.url}/${shape}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(DIRECT_BODIES[shape]),
    };
  }

  async start() {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    progress(`direct: starting node:http + DuckDB (pool of ${POOL_SIZE}) on ${port}`);
    this.child = new Child('duckdb-direct', process.execPath, [this.script], {
      env: {
        NODE_ENV: 'production',
        PORT: String(port),
        PARQUET: this.parquet,
        POOL_SIZE: String(POOL_SIZE),
      },
    }).start();
    await waitFor('DuckDB direct to answer', async () => {
      this.child.assertRunning();
      return (await fetch(`${this.url}/health`)).status === 200;
    });
  }

  assertRunning() {
    this.child.assertRunning();
  }

  describe() {
    return (
      '`bench/peers/duckdb-direct.mjs`: node:http + its own in-memory DuckDB instance (default ' +
      `settings) with the same view over the same file, a pool of ${POOL_SIZE} connections, one prepared ` +
      'statement per query and connection; DuckDB builds the response JSON (`json_object`/`to_json`) ' +
      'and the text is sent as the body without parsing'
    );
  }
}

// ---------------------------------------------------------------------------------------------
// same answers

/** The answer as { status → { n, sum, avg, min?, max? } } (one entry "*" for the aggregation). */
function answerOf(shape, data) {
  const of = (n, t) => ({
    n: Number(n),
    ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Number(v)])),
  });
  if (shape === 'aggregation') {
    const a = data.orders_aggregation;
    return { paid: of(a._rows_count, a.total) };
  }
  return Object.fromEntries(
    data.orders_bucket_aggregation.map((b) => [
      b.key.status,
      of(b.aggregations._rows_count, b.aggregations.total),
    ]),
  );
}

/** Differences between two answers of answerOf (counts exact, the rest within 1e-9 relative). */
function differences(a, b) {
  const out = [];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  if (Object.keys(a).join() !== Object.keys(b).join())
    out.push(`keys ${Object.keys(a)} vs ${Object.keys(b)}`);
  for (const k of keys) {
    for (const f of new Set([...Object.keys(a[k] ?? {}), ...Object.keys(b[k] ?? {})])) {
      const x = a[k]?.[f];
      const y = b[k]?.[f];
      const close = f === 'n' ? x === y : Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
      if (!close) out.push(`${k}.${f}: ${x} vs ${y}`);
    }
  }
  return out;
}

async function checkAnswers(targets) {
  const agreement = {};
  for (const shape of Object.keys(SHAPES)) {
    const got = [];
    for (const t of targets) {
      const { url, headers, body } = t.request(shape);
      got.push(answerOf(shape, graphqlData(t.label, await postJson(url, body, headers))));
    }
    const diff = differences(got[0], got[1]);
    const groups = Object.keys(got[0]).length;
    const rows = Object.values(got[0]).reduce((s, g) => s + g.n, 0);
    agreement[shape] = { same: diff.length === 0, detail: diff.join('; '), groups, rows };
    if (diff.length) throw new Error(`${shape}: the answers differ: ${diff.join('; ')}`);
    progress(`check ${shape}: both answer the same (${groups} group(s) over ${rows} orders)`);
  }
  return agreement;
}

// ---------------------------------------------------------------------------------------------
// report

function resultHeader(cfg) {
  const h = ['Query', 'Target', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'failed', 'other CPU %'];
  if (cfg.rounds > 1) h.push('req/s of each round');
  return h;
}

function resultRows(results, targets) {
  return Object.entries(SHAPES).flatMap(([shape, s]) =>
    targets.map((t) => {
      const m = results[shape][t.key];
      return [
        s.title,
        t.label,
        m.rps.toFixed(0),
        m.p50,
        m.p99,
        m.total,
        m.failed,
        m.other.percent,
        ...(m.rounds.length > 1 ? [m.rounds.map((x) => x.toFixed(0)).join(' / ')] : []),
      ];
    }),
  );
}

const ratioOf = (results, shape) => results[shape].muninn.rps / results[shape].direct.rps;

function ratioRows(results) {
  return Object.entries(SHAPES).map(([shape, s]) => {
    const r = results[shape];
    const p50 = r.direct.p50 > 0 ? `${(r.muninn.p50 / r.direct.p50).toFixed(2)}×` : '—';
    return [s.title, `${ratioOf(results, shape).toFixed(2)}×`, p50];
  });
}

const dedent = (sql) => {
  const ls = sql.split('\n').filter((l) => l.trim());
  const indent = Math.min(...ls.map((l) => l.match(/^ */)[0].length));
  return ls.map((l) => l.slice(indent).trimEnd()).join('\n');
};

function section({ cfg, targets, results, agreement, facts, data, started, elapsedS, loadBefore }) {
  const [muninn, direct] = targets;
  const lines = [
    '## DuckDB source over Parquet vs DuckDB direct',
    '',
    '<!-- Written by bench/duckdb.mjs from a measured run. Do not edit by hand: run it again. -->',
    '',
    "Aggregations over one Parquet file through Muninn's `duckdb` data source (a catalog view",
    '`read_parquet(…)`) against the same aggregations as hand-written SQL on DuckDB itself behind a',
    'minimal HTTP server ("DuckDB direct"), measured one after the other by autocannon in one run.',
    '',
    '### Run',
    '',
    '```sh',
    'npm run build',
    commandLine('bench:duckdb', 'bench/duckdb.mjs'),
    '```',
    '',
    `- Date: ${started.toISOString()} (took ${elapsedS} s)`,
    `- Machine: ${facts.cpu}, ${facts.memory} RAM, ${facts.os}`,
    `- Node.js ${facts.node}; DuckDB ${data.duckdb} (\`@duckdb/node-api\` ${facts.duckdbNode}) in both servers`,
    `- Muninn ${facts.muninn}; autocannon ${facts.autocannon}`,
    `- Load: autocannon (programmatic API, in the benchmark's own process), ${cfg.connections} connections,`,
    `  pipelining 1, ${cfg.warmup} s warm-up then ${cfg.duration} s measured per query and target; both`,
    '  servers stay up, loaded one at a time; the order of the targets rotates from query to query.',
    cfg.rounds > 1
      ? `- ${cfg.rounds} rounds; each row shows the round with the median req/s, the ratios use those medians.`
      : '- One round.',
    `- Load average (1 min) of the machine before the run: ${loadBefore}. "other CPU %" is the CPU used`,
    '  during each measurement by processes other than the benchmark and its servers (100 = one CPU).',
    '',
    '### Results',
    '',
    mdTable(resultHeader(cfg), resultRows(results, targets)),
    '',
    mdTable(['Query', 'Muninn / direct (req/s)', 'Muninn / direct (p50)'], ratioRows(results)),
    '',
    'Checked once before the load, the answers are the same: ' +
      Object.entries(SHAPES)
        .map(
          ([shape, s]) =>
            `${s.title}: ${agreement[shape].groups} group(s) over ${agreement[shape].rows} orders`,
        )
        .join('; ') +
      ' (counts exactly, sums, averages, minima and maxima to 1e-9 relative).',
    '',
    '### Data',
    '',
    `One Parquet file written by DuckDB (\`COPY … TO … (FORMAT parquet)\`, default settings) into a`,
    `temporary directory: ${data.rows} orders, ${(data.bytes / 2 ** 20).toFixed(1)} MiB, ${data.rowGroups} row group(s), from:`,
    '',
    '```sql',
    dedent(ordersSql(data.rows)),
    '```',
    '',
    'Muninn catalog (inline SDL; `<dir>` is the temporary directory):',
    '',
    '```graphql',
    catalogSdl('<dir>/orders.parquet'),
    '```',
    '',
    '### Queries',
    '',
  ];
  for (const [shape, s] of Object.entries(SHAPES)) {
    lines.push(
      `**${s.title}** (${s.what}). ${muninn.label}:`,
      '',
      '```graphql',
      muninn.queries(shape),
      '```',
      '',
      `${direct.label} — \`${direct.queries(shape)}\` (view \`orders\` as in the catalog):`,
      '',
      '```sql',
      dedent(DIRECT_SQL[shape].sql),
      '```',
      '',
    );
  }
  lines.push(
    '### Servers',
    '',
    ...targets.map((t) => `- **${t.label}**: ${t.describe()}.`),
    '',
    '### Notes',
    '',
    "- Both servers run one Node.js process with one in-memory DuckDB instance (DuckDB's default of one",
    `  thread per CPU, ${os.cpus().length} here) and up to ${POOL_SIZE} connections; Muninn's instance also sets`,
    "  `preserve_insertion_order` (the default), PostgreSQL's NULL order and UTC.",
    '- DuckDB direct is the ceiling: no GraphQL parsing, validation, planning or permission checks, and',
    "  statements prepared once per connection. Muninn plans its own statement (the view's SQL inlined",
    '  as a subquery, the JSON built by DuckDB) and prepares it on every request. Most of each request is',
    "  DuckDB scanning the file, so the ratio shows what Muninn's layer costs on top of that.",
    `- The machine has ${os.cpus().length} CPU(s), shared by autocannon, the server under load (its DuckDB`,
    '  threads and its JavaScript) and anything else running; absolute figures move from run to run,',
    '  the ratio between targets of the same run is the meaningful part.',
  );
  return lines.join('\n');
}

/** Replaces the text between START and END (with the wrapper of OWNER) in `file`, else appends it. */
function writeOwnSection(file, body) {
  const block = `<!-- begin ${OWNER} -->\n${START}\n${body.replace(/\n*$/, '\n')}${END}\n<!-- end ${OWNER} -->\n`;
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const old = new RegExp(
    `(?:${esc(`<!-- begin ${OWNER} -->`)}\\n)?${esc(START)}[\\s\\S]*?${esc(END)}\\n?(?:${esc(`<!-- end ${OWNER} -->`)}\\n?)?`,
  ).exec(text);
  text = old
    ? text.slice(0, old.index) + block + text.slice(old.index + old[0].length)
    : `${text.replace(/\n*$/, '\n')}\n${block}`;
  fs.writeFileSync(file, text);
}

// ---------------------------------------------------------------------------------------------

async function main(dir) {
  const started = new Date();
  const loadBefore = os.loadavg()[0].toFixed(2);
  const cfg = readConfig();
  progress(
    `config: ${cfg.rows} orders; ${cfg.connections} connections, ${cfg.warmup} s warm-up, ` +
      `${cfg.duration} s per measurement, ${cfg.rounds} round(s); ` +
      `report: ${cfg.out ? relative(ROOT, cfg.out) : 'none'}`,
  );
  progress(`machine: ${os.cpus().length} CPU(s), load average (1 min) ${loadBefore}`);

  progress(`data: writing ${cfg.rows} orders as Parquet into ${dir}`);
  const data = await writeParquet(dir, cfg.rows);
  progress(
    `data: ${data.rows} rows, ${(data.bytes / 2 ** 20).toFixed(1)} MiB, ${data.rowGroups} row group(s)`,
  );

  const targets = [new MuninnDuckDbTarget(data.file, dir), new DuckDbDirectTarget(data.file)];
  for (const t of targets) await t.start();
  progress('both servers answer');

  const agreement = await checkAnswers(targets);
  const results = await measureRounds(
    cfg,
    Object.entries(SHAPES).map(([shape, s]) => ({
      key: shape,
      label: s.title,
      items: targets.map((t) => ({
        key: t.key,
        label: t.label,
        request: t.request(shape),
        assertRunning: () => t.assertRunning(),
      })),
    })),
  );

  process.stdout.write(`\n${textTable([resultHeader(cfg), ...resultRows(results, targets)])}\n\n`);
  process.stdout.write(
    `${textTable([['query', 'Muninn/direct req/s', 'Muninn/direct p50'], ...ratioRows(results)])}\n\n`,
  );
  if (Object.values(results).some((r) => r.muninn.failed || r.direct.failed))
    progress('WARNING: some requests failed during the load (see the "failed" column)');

  if (cfg.out) {
    const facts = {
      ...machineFacts(),
      duckdbNode: require('@duckdb/node-api/package.json').version,
    };
    const elapsedS = Math.round((Date.now() - started.getTime()) / 1000);
    writeOwnSection(
      cfg.out,
      section({ cfg, targets, results, agreement, facts, data, started, elapsedS, loadBefore }),
    );
    progress(`section written to ${relative(ROOT, cfg.out)}`);
  }
  return 0;
}

/** Runs main, then stops the children, drops the core database and removes the directory, whatever happens. */
function run() {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'muninn-bench-duckdb-'));
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      progress('stopping every process started by the benchmark');
      await stopAllChildren();
      progress(`dropping database ${CORE_DB}, removing ${dir}`);
      await dropDatabase(CORE_DB).catch((err) =>
        progress(`warning: could not drop ${CORE_DB}: ${err.message}`),
      );
      removeDir();
    })());
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      progress(`${signal}: aborting`);
      cleanup().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => {
    killAllChildrenNow();
    removeDir();
  });
  main(dir).then(
    async (code) => {
      await cleanup();
      progress('done');
      process.exit(code);
    },
    async (err) => {
      process.stderr.write(`[bench] FAILED: ${err?.message ?? err}\n`);
      await cleanup();
      process.exit(1);
    },
  );
}

run();
