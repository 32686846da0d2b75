// The demo shop of `npm start`: a PGlite database in <MUNINN_HOME>/demo-db, served on a loopback
// port by the local-cluster process itself, and registered through management's GraphQL API as
// data source `shop` (prefix "shop", asModule true).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgliteServer } from './pglite-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const SHOP_SQL = join(here, 'shop.sql');
export const SHOP_SDL = join(here, 'shop.graphql');
const NAME = 'shop';

/** Opens (on first use: creates and seeds from shop.sql) the demo database and serves it. */
export function openShopDb(dir) {
  return PgliteServer.open(dir, {
    isEmpty: async (db) => (await db.query(`SELECT to_regclass('public.customers') AS t`)).rows[0].t === null,
    seed: (db) => db.exec(readFileSync(SHOP_SQL, 'utf8')),
  });
}

async function graphql(management, adminKey, query, variables) {
  const res = await fetch(`${management}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hugr-secret-key': adminKey },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = await res.json().catch(() => ({}));
  if (body.errors?.length || !body.data) {
    throw new Error(
      `management API: ${body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`}`,
    );
  }
  return body.data;
}

/**
 * `ClusterOperationResult` → "schema version 3; applied on 2 of 2 healthy node(s)". A node that
 * missed the push (say, a stale registry entry of a killed run) is listed, not fatal: the change
 * is committed, and nodes catch up by polling the core DB.
 */
function outcome(result) {
  const failed = result.nodes.filter((n) => !n.success).map((n) => `${n.node}: ${n.message ?? 'failed'}`);
  return `${result.message.replace(/^.*?: /, '')}${failed.length ? `; not applied on ${failed.join('; ')}` : ''}`;
}

const RESULT = 'success message schemaVersion nodes { node success message }';

/**
 * Makes sure data source `shop` exists with the demo database's current URL and catalog and is
 * loaded: create + load on a fresh core DB; update + reload when the port (picked at every start)
 * or shop.graphql changed; load when it was unloaded. Reports one line per step through `say`.
 */
export async function ensureShopSource({ management, adminKey, url, say }) {
  const sdl = readFileSync(SHOP_SDL, 'utf8');
  const catalogs = [{ name: NAME, type: 'TEXT', sdl }];
  const { dataSource } = await graphql(
    management,
    adminKey,
    `
      query ($name: String!) {
        dataSource(name: $name) {
          name
          path
          loaded
          catalogs {
            name
            type
            sdl
          }
        }
      }
    `,
    { name: NAME },
  );
  if (!dataSource) {
    await graphql(
      management,
      adminKey,
      `
        mutation ($input: DataSourceInput!) {
          createDataSource(input: $input) {
            name
          }
        }
      `,
      {
        input: {
          name: NAME,
          type: 'postgres',
          prefix: NAME,
          asModule: true,
          path: url,
          readOnly: false,
          description: 'Demo shop of npm start (scripts/demo)',
          catalogs,
        },
      },
    );
    say(`  data source ${NAME}: created (catalog scripts/demo/shop.graphql)`);
    const { loadDataSource } = await graphql(
      management,
      adminKey,
      `mutation($name: String!) { loadDataSource(name: $name) { ${RESULT} } }`,
      { name: NAME },
    );
    say(`  data source ${NAME}: loaded (${outcome(loadDataSource)})`);
    return;
  }

  const changes = [];
  const input = {};
  if (dataSource.path !== url) {
    input.path = url;
    changes.push('new port');
  }
  const current = dataSource.catalogs.map(({ name, type, sdl: text }) => ({ name, type, sdl: text }));
  if (JSON.stringify(current) !== JSON.stringify(catalogs)) {
    input.catalogs = catalogs;
    changes.push('catalog changed');
  }
  if (changes.length) {
    await graphql(
      management,
      adminKey,
      `
        mutation ($name: String!, $input: DataSourceUpdateInput!) {
          updateDataSource(name: $name, input: $input) {
            name
          }
        }
      `,
      { name: NAME, input },
    );
    say(`  data source ${NAME}: updated (${changes.join(', ')})`);
  }
  const op = dataSource.loaded ? (changes.length ? 'reloadDataSource' : null) : 'loadDataSource';
  if (!op) {
    say(`  data source ${NAME}: registered and loaded, unchanged`);
    return;
  }
  const data = await graphql(
    management,
    adminKey,
    `mutation($name: String!) { ${op}(name: $name) { ${RESULT} } }`,
    {
      name: NAME,
    },
  );
  say(`  data source ${NAME}: ${op === 'loadDataSource' ? 'loaded' : 'reloaded'} (${outcome(data[op])})`);
}

/** Per-node load status of `shop` as management sees it, e.g. "worker-1 ok, worker-2 error: …". */
export async function shopStatus({ management, adminKey }) {
  const { dataSource } = await graphql(
    management,
    adminKey,
    `
      query ($name: String!) {
        dataSource(name: $name) {
          loaded
          nodes {
            node
            loaded
            error
          }
        }
      }
    `,
    { name: NAME },
  );
  return dataSource;
}
