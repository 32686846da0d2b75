/**
 * The subaggregation suite (subaggregation.e2e-spec.ts) on a `mysql` source: the same fixture copied into a MariaDB database,
 * the same catalog (one PostgreSQL cast removed from a view) and the same expected answers.
 * Cases MariaDB does not serve are skipped by name in the suite with the documented limitation
 * (docs/data-sources.md).
 */
import { useConformanceKind } from './support.js';

useConformanceKind('mysql');
await import('./subaggregation.e2e-spec.js');
