// Preloaded into the PostGraphile child process (`node --require`): makes every module of that
// process use one copy of `graphql` (the 15.x that postgraphile@4 depends on) and one copy of each
// graphile package (`graphile-build`, `graphile-build-pg`, `graphile-utils`: postgraphile's own).
//
// Why: this repository depends on graphql@16, so npm hoists graphql@16 to node_modules/ and nests
// the 15.x copies PostGraphile needs under node_modules/postgraphile/ and
// node_modules/graphile-build-pg/. Hoisted helpers such as graphql-parse-resolve-info then load
// graphql@16 and every query with arguments fails with "Unexpected input type: Int". Redirecting the
// resolution is equivalent to installing PostGraphile in a project of its own; it changes no code.
//
// The same holds for @graphile/pg-aggregates, installed in bench/peers/pg-aggregates/ without its
// peer dependencies (graphile-build, graphile-build-pg, graphql <16): they resolve here to the
// copies PostGraphile runs with, so the plugin extends PostGraphile's own schema build, and its
// graphile-utils is PostGraphile's too.

'use strict';

const Module = require('node:module');
const path = require('node:path');

const postgraphileDir = path.dirname(require.resolve('postgraphile/package.json'));
const pinned = {};
for (const name of ['graphql', 'graphile-build', 'graphile-build-pg', 'graphile-utils']) {
  pinned[name] = path.dirname(require.resolve(`${name}/package.json`, { paths: [postgraphileDir] }));
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  for (const [name, dir] of Object.entries(pinned)) {
    if (request === name || request.startsWith(`${name}/`)) {
      return resolveFilename.call(this, dir + request.slice(name.length), parent, ...rest);
    }
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
