import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { MUNINN_CONFIG, type MuninnConfig } from '@app/config';
import { ADMIN_UI_SCRIPT, ADMIN_UI_STYLE, renderAdminPage } from './admin-ui.page.js';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** Where an asset comes from: a file of an installed npm package, or text of our own. */
type AssetSource = { type: string } & ({ pkg: string; file: string } | { text: string });

/**
 * The allow-list: the only names `/admin/assets/:name` answers. Nothing else is ever read from
 * disk, whatever the request asks for. GraphiQL 4.1 is the last line with a UMD build (it still
 * uses CodeMirror 5, no web workers); React 19 has no UMD build, hence React 18.
 */
const SOURCES: Readonly<Record<string, AssetSource>> = {
  'react.production.min.js': { type: JS, pkg: 'react', file: 'umd/react.production.min.js' },
  'react-dom.production.min.js': { type: JS, pkg: 'react-dom', file: 'umd/react-dom.production.min.js' },
  'graphiql.min.js': { type: JS, pkg: 'graphiql', file: 'graphiql.min.js' },
  'graphiql.min.css': { type: CSS, pkg: 'graphiql', file: 'graphiql.min.css' },
  'admin.js': { type: JS, text: ADMIN_UI_SCRIPT },
  'admin.css': { type: CSS, text: ADMIN_UI_STYLE },
};

export const ADMIN_UI_ASSET_NAMES: readonly string[] = Object.keys(SOURCES);

export interface AdminUiAsset {
  readonly type: string;
  readonly body: Buffer;
  /** The same bytes gzip-compressed, sent when the browser accepts gzip. */
  readonly gzip: Buffer;
  /** A content hash: the asset URL's `v` parameter and (quoted) its ETag. */
  readonly version: string;
}

const gzipAsync = promisify(gzip);
const requireFromHere = createRequire(import.meta.url);

async function load(source: AssetSource): Promise<Buffer> {
  if ('text' in source) return Buffer.from(source.text, 'utf8');
  const root = dirname(requireFromHere.resolve(`${source.pkg}/package.json`));
  return readFile(join(root, source.file));
}

/**
 * The admin UI's page and assets (SPEC §10, `ADMIN_UI`). They are read into memory once at
 * start-up when the UI is on, so a missing package fails the start rather than a page load.
 */
@Injectable()
export class AdminUiAssets implements OnModuleInit {
  readonly enabled: boolean;
  private readonly assets = new Map<string, AdminUiAsset>();

  constructor(@Inject(MUNINN_CONFIG) config: MuninnConfig) {
    this.enabled = config.adminUi;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    await Promise.all(
      Object.entries(SOURCES).map(async ([name, source]) => {
        let body: Buffer;
        try {
          body = await load(source);
        } catch (err) {
          throw new Error(
            `admin UI: cannot load asset ${name} (is the npm package installed? ADMIN_UI=false turns the UI off): ${(err as Error).message}`,
            { cause: err },
          );
        }
        const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
        this.assets.set(name, { type: source.type, body, gzip: await gzipAsync(body), version });
      }),
    );
  }

  /** The asset of that exact name, or undefined for any name outside the allow-list. */
  get(name: string): AdminUiAsset | undefined {
    return this.assets.get(name);
  }

  page(styleNonce: string): string {
    return renderAdminPage(
      (name) => `/admin/assets/${name}?v=${this.assets.get(name)?.version ?? ''}`,
      styleNonce,
    );
  }
}
