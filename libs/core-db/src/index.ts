export * from './entities/index.js';
export * from './core-db.js';
export * from './core-db.options.js';
export * from './core-db.module.js';
export * from './core-db.health.js';
export * from './definitions.js';
export * from './embedded-core-db.js';
export * from './migrator.js';
export { CORE_DB_MIGRATION_NAMES } from './migrations/index.js';
