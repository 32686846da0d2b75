import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page, type Request } from 'playwright-core';
import { type NodeProcess, ROOT, startNode } from './support/node-process.js';
import { createTestDatabase } from './support/postgres.js';

// The admin UI (SPEC §2 ADMIN_UI, §10 `GET /admin`): GraphiQL served by a work node from local
// npm assets, driven in headless Chromium (Debian's package, through playwright-core).
const SECRET_KEY = 'e2e-admin-ui-secret-3f9a';
const NODE_NAME = 'admin-ui-node';
const CHROMIUM_INSTALL_TIMEOUT_MS = 300_000;
const BROWSER_STEP_TIMEOUT_MS = 15_000;

// Callbacks passed to page.evaluate run in the browser; the test's tsconfig has no DOM library.
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const localStorage: Record<string, string>;

type EnsureChromium = (options?: { log?: (line: string) => void }) => Promise<string>;

let core: { url: string; drop: () => Promise<void> };
let node: NodeProcess;
const started: NodeProcess[] = [];
let chromiumPath: string;
let browser: Browser | undefined;

/** A GET with the path sent exactly as written (fetch would normalise `..` and `%2e`). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((res, rej) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET' }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (d: string) => (body += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', rej);
    req.end();
  });
}

beforeAll(async () => {
  // Playwright's own browser download is not reachable from here: use Debian's chromium.
  const script = resolve(ROOT, 'scripts/ensure-services.mjs');
  const { ensureChromium } = (await import(script)) as { ensureChromium: EnsureChromium };
  try {
    chromiumPath = await ensureChromium({ log: () => undefined });
  } catch (err) {
    throw new Error(
      `admin UI browser test: Chromium is missing and could not be installed ` +
        `(run \`apt-get update && apt-get install -y chromium\`): ${(err as Error).message}`,
      { cause: err },
    );
  }
}, CHROMIUM_INSTALL_TIMEOUT_MS);

beforeAll(async () => {
  core = await createTestDatabase('muninn_admin_ui');
  [node, browser] = await Promise.all([
    startNode(
      'worker',
      {
        SECRET_KEY,
        CORE_DB_PATH: core.url,
        CLUSTER_NODE_NAME: NODE_NAME,
        ADMIN_UI: 'true',
        DRAIN_DELAY: '0s',
      },
      started,
    ),
    chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox'],
      timeout: BROWSER_STEP_TIMEOUT_MS,
    }),
  ]);
}, 45_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(started.map((p) => p.kill()));
  await core?.drop();
});

describe('admin UI (/admin on a work node)', () => {
  it('serves the page with a strict CSP and only same-origin, allow-listed, cacheable assets', async () => {
    const res = await fetch(`${node.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    // No CDN: nothing in the page names another host.
    expect(html).not.toMatch(/\/\/[a-z0-9]/i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((m) => m[1])
      .filter((u) => u !== 'data:,');
    expect(assets).toHaveLength(6);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/admin\/assets\/[a-z.-]+\?v=[0-9a-f]{16}$/);
      const a = await fetch(`${node.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect({ asset, status: a.status }).toEqual({ asset, status: 200 });
      expect(a.headers.get('content-type')).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(a.headers.get('content-encoding')).toBe('gzip');
      const etag = a.headers.get('etag');
      expect(etag).toBe(`"${asset.split('?v=')[1]}"`);
      expect((await a.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const again = await fetch(`${node.url}${asset}`, { headers: { 'if-none-match': etag! } });
      expect(again.status).toBe(304);
    }
    // Without gzip the bytes are the package's own file.
    const plain = await rawGet(node.url, '/admin/assets/graphiql.min.css');
    expect(plain.status).toBe(200);
    expect(plain.body).toContain('.graphiql-container');
  });

  it('answers 404 for any asset name outside the allow-list, including path traversal', async () => {
    for (const path of [
      '/admin/assets/package.json',
      '/admin/assets/../../package.json',
      '/admin/assets/..%2F..%2Fpackage.json',
      '/admin/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/admin/assets/..%5c..%5cpackage.json',
      '/admin/assets/graphiql.min.js%00.css',
      '/admin/assets/graphiql.min.js.map',
      '/admin/assets/%2Fetc%2Fpasswd',
      '/admin/assets/__proto__',
      '/admin/assets/constructor',
      '/admin/assets/',
      '/admin/../package.json',
    ]) {
      const res = await rawGet(node.url, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body).not.toContain('"name": "muninn"');
      expect(res.body).not.toContain('root:');
    }
  });

  it('runs a query in Chromium with the key typed into the headers editor, all on the node', async () => {
    const context: BrowserContext = await browser!.newContext();
    const origin = new URL(node.url).origin;
    const requests: string[] = [];
    const problems: string[] = [];
    // Anything aimed elsewhere is recorded (and fails the test below) and never leaves the machine.
    await context.route('**/*', (route) =>
      new URL(route.request().url()).origin === origin ? route.continue() : route.abort(),
    );
    const page: Page = await context.newPage();
    page.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // The schema fetch without a key is answered 401 by design; anything else is a problem.
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    try {
      await page.goto(`${node.url}/admin`);
      const headersEditor = page.locator(
        'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror',
      );
      await headersEditor.waitFor();

      // Typing the key makes GraphiQL fetch the schema again, now with the key.
      const introspected = page.waitForResponse(
        (r) =>
          r.url() === `${origin}/query` &&
          isIntrospection(r.request()) &&
          r.request().headers()['x-hugr-secret-key'] === SECRET_KEY,
      );
      await replaceEditorText(page, headersEditor, JSON.stringify({ 'x-hugr-secret-key': SECRET_KEY }));
      const schemaResponse = await introspected;
      expect(schemaResponse.status()).toBe(200);
      expect(
        ((await schemaResponse.json()) as { data?: { __schema?: object } }).data?.__schema,
      ).toBeDefined();

      await replaceEditorText(
        page,
        page.locator('section.graphiql-query-editor .CodeMirror'),
        '{ function { core { info { node_name } } } }',
      );
      const sent = page.waitForRequest((r) => r.url() === `${origin}/query` && !isIntrospection(r));
      await page.locator('button.graphiql-execute-button').click();
      const queryRequest = await sent;
      expect(queryRequest.headers()['x-hugr-secret-key']).toBe(SECRET_KEY);

      // The result pane shows the node's answer.
      await page.waitForFunction(
        (name) => document.querySelector('.result-window')?.textContent?.includes(`"node_name": "${name}"`),
        NODE_NAME,
      );
      const shown = await page.evaluate(() =>
        (
          document.querySelector('.result-window .CodeMirror') as unknown as {
            CodeMirror: { getValue(): string };
          }
        ).CodeMirror.getValue(),
      );
      expect(JSON.parse(shown)).toEqual({ data: { function: { core: { info: { node_name: NODE_NAME } } } } });

      // The schema is usable: the docs explorer lists the root query type.
      await page.locator('button[aria-label="Show Documentation Explorer"]').click();
      await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().waitFor();
      // A Radix dialog injects a nonce'd <style>: no CSP violation is expected.
      await page.locator('button[aria-label="Open settings dialog"]').click();
      await page.getByRole('dialog').waitFor();

      // Headers are not persisted by default: the history keeps the query, but the key is nowhere
      // in the browser's storage.
      const stored = await page.evaluate(() => ({ ...localStorage }));
      expect(stored['graphiql:queries']).toContain('node_name');
      expect(JSON.stringify(stored)).not.toContain(SECRET_KEY);
      expect(problems).toEqual([]);
      const elsewhere = requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== origin);
      expect(elsewhere).toEqual([]);
      expect(requests.filter((u) => u.startsWith(`${origin}/admin/assets/`))).toHaveLength(6);
    } finally {
      await context.close();
    }
  });

  it('is not served when ADMIN_UI=false', async () => {
    const off = await startNode(
      'worker',
      {
        SECRET_KEY,
        CORE_DB_PATH: core.url,
        CLUSTER_NODE_NAME: 'admin-ui-off',
        ADMIN_UI: 'false',
        DRAIN_DELAY: '0s',
      },
      started,
    );
    for (const path of ['/admin', '/admin/assets/graphiql.min.js', '/admin/assets/admin.js']) {
      expect({ path, status: (await fetch(`${off.url}${path}`)).status }).toEqual({ path, status: 404 });
    }
    // The data API itself is unaffected.
    const res = await fetch(`${off.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hugr-secret-key': SECRET_KEY },
      body: JSON.stringify({ query: '{ function { core { info { node_name } } } }' }),
    });
    expect(await res.json()).toEqual({
      data: { function: { core: { info: { node_name: 'admin-ui-off' } } } },
    });
  });
});

function isIntrospection(r: Request): boolean {
  try {
    return (r.postDataJSON() as { operationName?: string } | null)?.operationName === 'IntrospectionQuery';
  } catch {
    return false; // not a JSON body
  }
}

/** Focuses a GraphiQL (CodeMirror) editor, selects everything and types the new text over it. */
async function replaceEditorText(
  page: Page,
  editor: ReturnType<Page['locator']>,
  text: string,
): Promise<void> {
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  // insertText skips CodeMirror's bracket auto-closing, which reacts to single key presses.
  await page.keyboard.insertText(text);
}
