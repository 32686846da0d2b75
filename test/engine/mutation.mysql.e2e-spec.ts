/**
 * The mutation suite (mutation.e2e-spec.ts) on a `mysql` source: the conformance fixture copied
 * into a MariaDB database plus fixture/mut.mysql.sql (the mutation tables in MariaDB's DDL, with
 * PostgreSQL's constraint names), the same catalogs and the same expected answers. Cross-checks
 * run on MariaDB.
 */
import { useConformanceKind } from './support.js';

useConformanceKind('mysql');
await import('./mutation.e2e-spec.js');
