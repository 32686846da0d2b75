export * from './cache.health.js';
export * from './cache.module.js';
export * from './cache.tokens.js';
export type * from './cache.types.js';
export { L1Store } from './l1-store.js';
export { ALL_TAG, INVALIDATION_CHANNEL, type InvalidationMessage, TwoLevelCache } from './two-level-cache.js';
