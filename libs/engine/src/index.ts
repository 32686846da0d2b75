/**
 * The query engine (SPEC §4–§6): catalog loading and compilation, the generated GraphQL schema,
 * the planner that compiles a request into one SQL statement per root field, and data-source
 * drivers. Framework-free by design: nothing here imports Nest or another Muninn library.
 */
export * from './engine.types.js';
export { Engine, describeSource, validateCatalogs } from './engine.js';
export type { CatalogValidation } from './engine.js';
export { CatalogError, EngineError, formatProblem } from './errors.js';
export type { CatalogProblem } from './errors.js';
