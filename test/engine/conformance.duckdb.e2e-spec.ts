/**
 * The conformance suite (conformance.e2e-spec.ts) on a `duckdb` source: the same fixture exported to Parquet,
 * read through views of a read-only DuckDB file, the same catalog and the same expected answers.
 * Cases DuckDB does not serve are skipped by name in the suite with the documented limitation
 * (docs/data-sources.md).
 */
import { useConformanceKind } from './support.js';

useConformanceKind('duckdb');
await import('./conformance.e2e-spec.js');
