export const CACHE_OPTIONS = Symbol('CACHE_OPTIONS');
/** Nest token of the node's TwoLevelCache. */
export const CACHE = Symbol('CACHE');
