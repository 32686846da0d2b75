/**
 * What a work node's cache offers the cluster protocol: drop the entries carrying any of `tags`
 * (every entry, L1 included, when `tags` is undefined) and answer how many were dropped.
 * Provided by the worker app (`ClusterModule.forRoot({ cacheInvalidator })`); when absent, the
 * worker's invalidation endpoint answers `{ dropped: 0 }`.
 */
export interface CacheInvalidator {
  invalidate(tags: string[] | undefined): Promise<number>;
}

export const CACHE_INVALIDATOR = Symbol('CACHE_INVALIDATOR');

/** Tags of a request as the invalidator takes them: none (or an empty list) means everything. */
export function invalidationTags(tags: readonly string[] | null | undefined): string[] | undefined {
  return tags?.length ? [...tags] : undefined;
}

/** For log lines: "everything" or the first few tags. */
export function describeTags(tags: readonly string[] | null | undefined): string {
  if (!tags?.length) return 'everything';
  const shown = tags.slice(0, 5).join(', ');
  return tags.length > 5 ? `tags ${shown} (+${tags.length - 5} more)` : `tags ${shown}`;
}
