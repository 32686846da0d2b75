// Load with autocannon and the life of a benchmark run, shared by bench/run.mjs and bench/cache.mjs:
// the BENCH_* settings, one measurement, rounds with rotating order, and cleanup on every way out.

import { createRequire } from 'node:module';
import { dropBenchDatabases, BENCH_DB, CORE_DB } from './data.mjs';
import { killAllChildrenNow, progress, sleep, stopAllChildren, watchOtherCpu } from './lib.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

export function envNumber(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name}=${raw}: expected a number ≥ ${min}`);
  return value;
}

/** BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ROUNDS and BENCH_STRICT, with their defaults. */
export function loadConfig() {
  return {
    duration: envNumber('BENCH_DURATION', 10, 1),
    rounds: Math.floor(envNumber('BENCH_ROUNDS', 1, 1)),
    warmup: envNumber('BENCH_WARMUP', 2, 0),
    connections: envNumber('BENCH_CONNECTIONS', 32, 1),
    strict: /^(1|true|yes)$/i.test(process.env.BENCH_STRICT ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------
// load

let aborted = false;
let current; // the running autocannon instance, stopped on Ctrl-C

function fire(request, seconds, connections) {
  return new Promise((res, rej) => {
    current = autocannon(
      { ...request, connections, duration: seconds, pipelining: 1, timeout: 10 },
      (err, result) => {
        current = undefined;
        if (aborted) return; // the process exits after the cleanup; nothing more to report
        if (err) rej(err);
        else res(result);
      },
    );
  });
}

/**
 * Warm-up, then one measurement of `request` (an autocannon request: url, method, headers, body);
 * `assertRunning` throws when the server under load died meanwhile.
 */
export async function measureOnce(cfg, request, label, assertRunning) {
  if (cfg.warmup > 0) {
    progress(`${label}: warm-up ${cfg.warmup} s`);
    await fire(request, cfg.warmup, cfg.connections);
  }
  progress(`${label}: measuring ${cfg.duration} s, ${cfg.connections} connections`);
  const others = watchOtherCpu();
  const r = await fire(request, cfg.duration, cfg.connections);
  const other = others();
  assertRunning();
  const m = {
    rps: r.latency.totalCount / r.duration, // answers received / seconds the load actually ran
    total: r.latency.totalCount,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failed: r.errors + r.timeouts + r.non2xx,
    other,
  };
  progress(
    `${label}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms` +
      (m.failed ? `, ${m.failed} failed` : '') +
      `; other processes ${other.percent}% CPU${other.top.length ? ` (${other.top.join(', ')})` : ''}`,
  );
  await sleep(500);
  return m;
}

/**
 * Every item of every group, `cfg.rounds` times. `groups`: [{ key, label, items: [{ key, label,
 * request, assertRunning }] }]. Within a group the order of the items rotates from group to group
 * (and round to round), so that none is always first or last. Per group and item the round with
 * the median req/s is kept, with the req/s of all rounds: results[group.key][item.key].
 */
export async function measureRounds(cfg, groups) {
  const all = {};
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const [i, group] of groups.entries()) {
      all[group.key] ??= {};
      const { items } = group;
      const k = (i + round - 1) % items.length;
      for (const item of [...items.slice(k), ...items.slice(0, k)]) {
        const label = `${cfg.rounds > 1 ? `round ${round}/${cfg.rounds} ` : ''}${group.label} ${item.label}`;
        (all[group.key][item.key] ??= []).push(
          await measureOnce(cfg, item.request, label, item.assertRunning),
        );
      }
    }
  }
  const results = {};
  for (const [groupKey, byItem] of Object.entries(all)) {
    results[groupKey] = {};
    for (const [key, runs] of Object.entries(byItem)) {
      const sorted = [...runs].sort((a, b) => a.rps - b.rps);
      results[groupKey][key] = {
        ...sorted[Math.floor((sorted.length - 1) / 2)],
        rounds: runs.map((m) => m.rps),
      };
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// the way out

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    current?.stop?.();
    progress('stopping every process started by the benchmark');
    await stopAllChildren();
    progress(`dropping databases ${BENCH_DB}, ${CORE_DB}`);
    await dropBenchDatabases().catch((err) =>
      progress(`warning: could not drop the databases: ${err.message}`),
    );
  })();
  return cleaning;
}

/**
 * Runs `main` (resolving the exit code), then stops every child and drops both databases —
 * also after a failure, SIGINT or SIGTERM; children still alive at exit are killed.
 */
export function runBenchmark(main) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      aborted = true;
      progress(`${signal}: aborting`);
      cleanup().finally(() => process.exit(130));
    });
  }
  process.on('exit', killAllChildrenNow);
  main().then(
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
