/**
 * The query engine (SPEC §4–§6): catalog compiler, generated schema, planner, SQL, drivers.
 * Framework-free by design: nothing here imports Nest or another Muninn library.
 * It arrives with the "Query engine, read path" issue; the work node's schema-apply step
 * (libs/cluster `SchemaApplier`) is where it plugs in.
 */
export const ENGINE_VERSION = '0.0.0-placeholder';
