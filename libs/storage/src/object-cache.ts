import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const TMP_PREFIX = '.tmp-';

interface Entry {
  size: number;
}

/**
 * A directory of downloaded objects bounded in bytes: least recently used files are deleted
 * first. The index lives in memory; files left by an earlier run of the same node are indexed
 * at start (oldest modification first), so a restart reuses them. One process per directory.
 */
export class DiskCache {
  /** Map order is use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.totalBytes;
  }

  get count(): number {
    return this.entries.size;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const found: { name: string; size: number; mtimeMs: number }[] = [];
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      if (name.startsWith(TMP_PREFIX)) {
        // A download that an earlier run did not finish.
        await rm(path, { force: true });
        continue;
      }
      const st = await stat(path).catch(() => undefined);
      if (st?.isFile()) found.push({ name, size: st.size, mtimeMs: st.mtimeMs });
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of found) this.remember(f.name, f.size);
    await this.evict();
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Marks the file used and answers whether it is there. */
  touch(name: string): boolean {
    const entry = this.entries.get(name);
    if (!entry) return false;
    this.entries.delete(name);
    this.entries.set(name, entry);
    return true;
  }

  /** A fresh temporary path in the directory (renamed into place by `commit`). */
  tempPath(): string {
    return join(this.dir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
  }

  /** Moves a finished download into place as `name`, then evicts down to the bound; returns its size. */
  async commit(tmp: string, name: string): Promise<number> {
    const { size } = await stat(tmp);
    await rename(tmp, this.path(name));
    this.remember(name, size);
    await this.evict(name);
    return size;
  }

  async discard(tmp: string): Promise<void> {
    await rm(tmp, { force: true });
  }

  private remember(name: string, size: number): void {
    const old = this.entries.get(name);
    if (old) this.totalBytes -= old.size;
    this.entries.delete(name);
    this.entries.set(name, { size });
    this.totalBytes += size;
  }

  /** Deletes least recently used files until the total fits; `keep` (just added) goes last. */
  private async evict(keep?: string): Promise<void> {
    for (const [name, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes) return;
      if (name === keep) continue;
      this.entries.delete(name);
      this.totalBytes -= entry.size;
      await rm(this.path(name), { force: true });
    }
  }
}
