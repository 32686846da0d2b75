import { InitialCoreSchema1764140000000 } from './1764140000000-InitialCoreSchema.js';
import { SeedDefaultRoles1795686900000 } from './1795686900000-SeedDefaultRoles.js';

/** Every migration this build knows, oldest first. Work nodes refuse a core DB that has others. */
export const CORE_DB_MIGRATIONS = [InitialCoreSchema1764140000000, SeedDefaultRoles1795686900000];
export const CORE_DB_MIGRATION_NAMES: readonly string[] = CORE_DB_MIGRATIONS.map((m) => m.name);
