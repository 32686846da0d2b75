/** The work node's data API over the engine: HTTP endpoints and the schema-apply step. */
export * from './admin-ui/admin-ui.module.js';
export * from './data-api.module.js';
export * from './engine.applier.js';
