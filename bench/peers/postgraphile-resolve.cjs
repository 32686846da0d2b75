// Preloaded into the PostGraphile child process (`node --require`): makes every module of that
// process use one copy of `graphql` (the 15.x that postgraphile@4 depends on) and one copy of
// `graphile-build`.
//
// Why: this repository depends on graphql@16, so npm hoists graphql@16 to node_modules/ and nests
// the 15.x copies PostGraphile needs under node_modules/postgraphile/ and
// node_modules/graphile-build-pg/. Hoisted helpers such as graphql-parse-resolve-info then load
// graphql@16 and every query with arguments fails with "Unexpected input type: Int". Redirecting the
// resolution is equivalent to installing PostGraphile in a project of its own; it changes no code.

'use strict';

const Module = require('node:module');
const path = require('node:path');

const postgraphileDir = path.dirname(require.resolve('postgraphile/package.json'));
const pinned = {};
for (const name of ['graphql', 'graphile-build']) {
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
