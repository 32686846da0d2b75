/** The work node's data API over the engine: HTTP endpoints and the schema-apply step. */
export * from './data-api.module.js';
export * from './engine.applier.js';
