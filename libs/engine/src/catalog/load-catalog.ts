import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogInput } from '../engine.types.js';
import { CatalogError } from '../errors.js';

/** One SDL document and the name its errors are reported under. */
export interface CatalogDocument {
  name: string;
  sdl: string;
}

const SDL_FILE = /\.(graphql|graphqls|gql)$/i;

/** Reads a catalog's SDL: inline text, a file or directory on this node, or a URL. */
export async function loadCatalog(catalog: CatalogInput, timeoutMs = 10_000): Promise<CatalogDocument[]> {
  try {
    switch (catalog.type) {
      case 'text':
        return [{ name: catalog.name, sdl: catalog.path }];
      case 'localFS':
        return await readLocal(catalog);
      case 'uri':
        return [{ name: catalog.name, sdl: await readUri(catalog.path, timeoutMs) }];
      default:
        throw new Error(`unknown catalog type "${String(catalog.type)}" (expected text, localFS or uri)`);
    }
  } catch (err) {
    if (err instanceof CatalogError) throw err;
    throw new CatalogError([{ catalog: catalog.name, message: (err as Error).message }]);
  }
}

async function readLocal(catalog: CatalogInput): Promise<CatalogDocument[]> {
  const info = await stat(catalog.path).catch(() => {
    throw new Error(`cannot read ${catalog.path}: no such file or directory on this node`);
  });
  if (!info.isDirectory()) return [{ name: catalog.name, sdl: await readFile(catalog.path, 'utf8') }];
  const files = (await readdir(catalog.path, { recursive: true })).filter((f) => SDL_FILE.test(f)).sort();
  if (files.length === 0) throw new Error(`directory ${catalog.path} holds no .graphql files`);
  return Promise.all(
    files.map(async (f) => ({
      name: `${catalog.name}/${f}`,
      sdl: await readFile(join(catalog.path, f), 'utf8'),
    })),
  );
}

async function readUri(uri: string, timeoutMs: number): Promise<string> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(`"${uri}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported URL scheme ${url.protocol} (http and https are supported)`);
  }
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url.origin}${url.pathname} answered ${res.status}`);
  return res.text();
}
