/**
 * The admin UI page and its two small first-party assets. Everything the browser loads comes
 * from this node: GraphiQL's UMD build with React 18's UMD builds (see `admin-ui.assets.ts`),
 * so the page works without internet and under a CSP that allows only 'self' scripts.
 */

/** The endpoint the page talks to: the data API on the same origin. */
export const ADMIN_UI_ENDPOINT = '/query';

const DEFAULT_QUERY = `# Muninn data API: POST ${ADMIN_UI_ENDPOINT} on this node.
#
# Requests need a key: open "Headers" below and enter
#   {"x-hugr-secret-key": "…"}   or
#   {"x-hugr-api-key": "…"}
# The schema is fetched again when the headers change.
# Headers are kept only if you turn on "Persist headers"
# in the settings (then in this browser's storage).

{
  function {
    core {
      info { node_name node_role version cluster_mode }
    }
  }
}
`;

/**
 * Mounts GraphiQL. The schema is introspected with the headers in the editor; GraphiQL does that
 * once per fetcher, so a new fetcher is made when the headers change to something other than
 * what the schema was fetched with (after a pause in typing, and only for valid JSON).
 */
export const ADMIN_UI_SCRIPT = `(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  // Radix UI injects a <style> element for scroll locking; it takes its nonce from this global.
  window.__webpack_nonce__ = root.getAttribute('data-style-nonce') || undefined;
  var h = React.createElement;
  var base = GraphiQL.createFetcher({
    url: root.getAttribute('data-endpoint'),
    enableIncrementalDelivery: false,
  });
  // GraphiQL keeps headers out of its saved tabs unless the user turns on "Persist headers", but
  // its history plugin saves them with every query it records: drop them there as well.
  var PERSIST_HEADERS = 'graphiql:shouldPersistHeaders';
  var HISTORY = ['graphiql:queries', 'graphiql:favorites'];
  function withoutHeaders(value) {
    try {
      var parsed = JSON.parse(value);
      if (!parsed || !Array.isArray(parsed.queries)) return value;
      parsed.queries = parsed.queries.map(function (entry) {
        var copy = Object.assign({}, entry);
        delete copy.headers;
        return copy;
      });
      return JSON.stringify(parsed);
    } catch (e) {
      return value;
    }
  }
  function ownKeys() {
    return Object.keys(localStorage).filter(function (key) {
      return key.indexOf('graphiql:') === 0;
    });
  }
  var storage = {
    getItem: function (key) {
      return localStorage.getItem(key);
    },
    setItem: function (key, value) {
      var persist = localStorage.getItem(PERSIST_HEADERS) === 'true';
      localStorage.setItem(key, !persist && HISTORY.indexOf(key) >= 0 ? withoutHeaders(value) : value);
    },
    removeItem: function (key) {
      localStorage.removeItem(key);
    },
    clear: function () {
      ownKeys().forEach(function (key) {
        localStorage.removeItem(key);
      });
    },
    get length() {
      return ownKeys().length;
    },
  };
  var introspectedWith = null;
  function canonical(headers) {
    return JSON.stringify(headers || {});
  }
  function App() {
    var generation = React.useState(0);
    var timer = React.useRef(null);
    var fetcher = React.useMemo(
      function () {
        return function (params, opts) {
          if (params.operationName === 'IntrospectionQuery') introspectedWith = canonical(opts && opts.headers);
          return base(params, opts);
        };
      },
      [generation[0]],
    );
    var onEditHeaders = React.useCallback(function (text) {
      clearTimeout(timer.current);
      timer.current = setTimeout(function () {
        var parsed;
        try {
          parsed = text.trim() === '' ? {} : JSON.parse(text);
        } catch (e) {
          return;
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
        if (canonical(parsed) === introspectedWith) return;
        generation[1](function (n) {
          return n + 1;
        });
      }, 400);
    }, []);
    return h(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      // Left unset (off by default) so that the user can opt in from the settings dialog.
      storage: storage,
      onEditHeaders: onEditHeaders,
    });
  }
  ReactDOM.createRoot(root).render(h(App));
})();
`;

export const ADMIN_UI_STYLE = `html, body, #graphiql { height: 100%; margin: 0; overflow: hidden; }
#graphiql > .loading { font-family: sans-serif; padding: 1rem; }
`;

/** Local asset URL: the version (a content hash) changes the URL whenever the content changes. */
export type AssetUrl = (name: string) => string;

export function renderAdminPage(url: AssetUrl, styleNonce: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>Muninn · GraphiQL</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${url('graphiql.min.css')}" />
    <link rel="stylesheet" href="${url('admin.css')}" />
  </head>
  <body>
    <div id="graphiql" data-endpoint="${ADMIN_UI_ENDPOINT}" data-style-nonce="${styleNonce}">
      <div class="loading">Loading GraphiQL…</div>
    </div>
    <script src="${url('react.production.min.js')}"></script>
    <script src="${url('react-dom.production.min.js')}"></script>
    <script src="${url('graphiql.min.js')}"></script>
    <script src="${url('admin.js')}"></script>
  </body>
</html>
`;
}

/**
 * Scripts and styles only from this origin; the one inline style (Radix's scroll lock) must
 * carry the per-response nonce. Data URIs are GraphiQL's embedded fonts and images.
 */
export function adminPageCsp(styleNonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
