import type { EntityManager } from 'typeorm';
import type { CatalogSourceType } from './entities/index.js';
import { CatalogSourceEntity, DataSourceEntity, StorageEntity } from './entities/index.js';

export interface CatalogDefinition {
  name: string;
  type: CatalogSourceType;
  description: string;
  /** SDL text for `text` catalogs, a path or URL otherwise. */
  path: string;
}

export interface DataSourceDefinition {
  name: string;
  type: string;
  prefix: string;
  asModule: boolean;
  path: string;
  disabled: boolean;
  selfDefined: boolean;
  readOnly: boolean;
  description: string;
  loaded: boolean;
  /** When the row last changed (ISO 8601); reloadDataSource bumps it to make nodes rebuild the source. */
  updatedAt: string;
  catalogs: CatalogDefinition[];
}

/** An object-storage registration; the credentials stay encrypted until the node decrypts them. */
export interface StorageDefinition {
  name: string;
  type: string;
  /** `s3://bucket` or `s3://bucket/prefix`. */
  scope: string;
  /** `host[:port]`, or '' for the provider's default endpoint. */
  endpoint: string;
  region: string;
  useSsl: boolean;
  /** `path` or `vhost`. */
  urlStyle: string;
  keyEncrypted: string;
  secretEncrypted: string;
  parameters: Record<string, unknown> | null;
}

/** Everything a work node serves at one schema version, read in one snapshot. */
export interface DefinitionsSnapshot {
  schemaVersion: number;
  dataSources: DataSourceDefinition[];
  storages: StorageDefinition[];
}

const SCHEMA_VERSION_KEY = 'schema_version';

export async function readSchemaVersion(m: EntityManager): Promise<number> {
  const rows: { value: string }[] = await m.query(`SELECT value FROM settings WHERE key = $1`, [
    SCHEMA_VERSION_KEY,
  ]);
  return rows.length ? Number(rows[0].value) : 0;
}

/** Increments the schema version inside the caller's transaction (the row lock serialises bumps). */
export async function bumpSchemaVersion(m: EntityManager): Promise<number> {
  // TypeORM answers an UPDATE … RETURNING on PostgreSQL with [rows, affectedCount].
  const [rows]: [{ value: string }[], number] = await m.query(
    `UPDATE settings SET value = (value::integer + 1)::text WHERE key = $1 RETURNING value`,
    [SCHEMA_VERSION_KEY],
  );
  if (!rows?.length) throw new Error('settings.schema_version is missing from the core DB');
  return Number(rows[0].value);
}

export async function readDefinitions(m: EntityManager): Promise<DefinitionsSnapshot> {
  const schemaVersion = await readSchemaVersion(m);
  const sources = await m.getRepository(DataSourceEntity).find({
    relations: { catalogLinks: { catalog: true } },
    order: { name: 'ASC' },
  });
  const storages = await m.getRepository(StorageEntity).find({ order: { name: 'ASC' } });
  return {
    schemaVersion,
    storages: storages.map((s) => ({
      name: s.name,
      type: s.type,
      scope: s.scope,
      endpoint: s.endpoint,
      region: s.region,
      useSsl: s.useSsl,
      urlStyle: s.urlStyle,
      keyEncrypted: s.keyEncrypted,
      secretEncrypted: s.secretEncrypted,
      parameters: (s.parameters as Record<string, unknown> | null) ?? null,
    })),
    dataSources: sources.map((ds) => ({
      name: ds.name,
      type: ds.type,
      prefix: ds.prefix,
      asModule: ds.asModule,
      path: ds.path,
      disabled: ds.disabled,
      selfDefined: ds.selfDefined,
      readOnly: ds.readOnly,
      description: ds.description,
      loaded: ds.loaded,
      updatedAt: ds.updatedAt.toISOString(),
      catalogs: (ds.catalogLinks ?? [])
        .map((l) => l.catalog)
        .filter((c): c is CatalogSourceEntity => c !== undefined)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((c) => ({ name: c.name, type: c.type, description: c.description, path: c.path })),
    })),
  };
}

/** The data sources a version serves: loaded and not disabled. */
export function servedDataSources(snapshot: DefinitionsSnapshot): DataSourceDefinition[] {
  return snapshot.dataSources.filter((ds) => ds.loaded && !ds.disabled);
}
