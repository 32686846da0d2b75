import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NodeRegistry } from '@app/cluster';
import {
  CatalogSourceEntity,
  type CatalogSourceType,
  CoreDb,
  DataSourceCatalogEntity,
  type DataSourceDefinition,
  DataSourceEntity,
  readDefinitions,
  readSchemaVersion,
  servedDataSources,
} from '@app/core-db';
import { formatProblem, validateCatalogs } from '@app/engine';
import { AdminError } from './admin.errors.js';
import { ClusterChangeService } from './cluster-change.service.js';
import type {
  CatalogSourceInput,
  DataSourceInput,
  DataSourceUpdateInput,
} from './inputs/data-source.input.js';
import type { ClusterOperationResult } from './models/cluster.model.js';
import {
  type CatalogSource,
  CatalogType,
  type CatalogValidation,
  type DataSource,
} from './models/data-source.model.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const TYPES = ['postgres', 'duckdb', 'mysql', 'http', 'extension'];
const CATALOG_TYPES: Record<CatalogType, CatalogSourceType> = {
  [CatalogType.TEXT]: 'text',
  [CatalogType.LOCAL_FS]: 'localFS',
  [CatalogType.URI]: 'uri',
};

function toCatalog(c: {
  name: string;
  type: CatalogSourceType;
  description: string;
  path: string;
}): CatalogSource {
  const type = (Object.keys(CATALOG_TYPES) as CatalogType[]).find((k) => CATALOG_TYPES[k] === c.type)!;
  const text = type === CatalogType.TEXT;
  return {
    name: c.name,
    type,
    description: c.description,
    path: text ? null : c.path,
    sdl: text ? c.path : null,
  };
}

/** What `catalog_sources.path` stores: the SDL for TEXT (as Hugr does), the path or URL otherwise. */
function storedPath(c: CatalogSourceInput): string | undefined {
  return c.type === CatalogType.TEXT ? c.sdl : c.path;
}

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) {
    throw new AdminError(
      'BAD_USER_INPUT',
      `${what} "${name}" must start with a letter or _ and use letters, digits and _ (max 128)`,
    );
  }
}

/** '' = no prefix (Hugr's default); otherwise no leading `_` (generated names would start with `__`). */
function checkPrefix(prefix: string | undefined): void {
  if (prefix === undefined || prefix === '') return;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(prefix))
    throw new AdminError(
      'BAD_USER_INPUT',
      `prefix "${prefix}" must start with a letter and use letters, digits and _ (max 64), or be empty`,
    );
}

function checkType(type: string): void {
  if (!TYPES.includes(type))
    throw new AdminError('BAD_USER_INPUT', `unknown data source type "${type}" (one of ${TYPES.join(', ')})`);
}

/** Data source and catalog definitions: validation, storage and cluster-wide lifecycle. */
@Injectable()
export class DataSourcesService {
  constructor(
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(ClusterChangeService) private readonly changes: ClusterChangeService,
    @Inject(NodeRegistry) private readonly registry: NodeRegistry,
  ) {}

  async list(): Promise<DataSource[]> {
    const [snapshot, nodes] = await Promise.all([
      this.coreDb.snapshot((m) => readDefinitions(m)),
      this.registry.list(),
    ]);
    return snapshot.dataSources.map((ds) => this.present(ds, snapshot.schemaVersion, nodes));
  }

  async get(name: string): Promise<DataSource | null> {
    return (await this.list()).find((ds) => ds.name === name) ?? null;
  }

  async catalogs(): Promise<CatalogSource[]> {
    const rows = await this.coreDb.dataSource
      .getRepository(CatalogSourceEntity)
      .find({ order: { name: 'ASC' } });
    return rows.map(toCatalog);
  }

  async create(input: DataSourceInput): Promise<DataSource> {
    checkName('data source name', input.name);
    checkType(input.type);
    checkPrefix(input.prefix);
    await this.changes.apply(`create data source ${input.name}`, async (m) => {
      if (await m.getRepository(DataSourceEntity).existsBy({ name: input.name })) {
        throw new AdminError('CONFLICT', `data source "${input.name}" already exists`);
      }
      await m.getRepository(DataSourceEntity).insert({
        name: input.name,
        type: input.type,
        prefix: input.prefix ?? input.name,
        asModule: input.asModule ?? false,
        path: input.path,
        readOnly: input.readOnly ?? false,
        disabled: input.disabled ?? false,
        selfDefined: input.selfDefined ?? false,
        description: input.description ?? '',
        loaded: false,
      });
      await this.replaceCatalogs(m, input.name, input.catalogs ?? []);
      await this.checkCompiles(m, input.name);
    });
    return (await this.get(input.name))!;
  }

  async update(name: string, input: DataSourceUpdateInput): Promise<DataSource> {
    if (input.type !== undefined) checkType(input.type);
    checkPrefix(input.prefix);
    await this.changes.apply(`update data source ${name}`, async (m) => {
      await this.mustExist(m, name);
      const { catalogs, ...fields } = input;
      const patch = Object.fromEntries(
        Object.entries(fields).filter(([, v]) => v !== undefined && v !== null),
      );
      if (Object.keys(patch).length) await m.getRepository(DataSourceEntity).update({ name }, patch);
      if (catalogs) await this.replaceCatalogs(m, name, catalogs);
      await this.checkCompiles(m, name);
    });
    return (await this.get(name))!;
  }

  async remove(name: string): Promise<ClusterOperationResult> {
    const { operation } = await this.changes.apply(`delete data source ${name}`, async (m) => {
      await this.mustExist(m, name);
      await m.getRepository(DataSourceEntity).delete({ name });
      await this.dropOrphanCatalogs(m);
    });
    return operation;
  }

  async setLoaded(name: string, loaded: boolean): Promise<ClusterOperationResult> {
    const { operation } = await this.changes.apply(
      `${loaded ? 'load' : 'unload'} data source ${name}`,
      async (m) => {
        await this.mustExist(m, name);
        await m.getRepository(DataSourceEntity).update({ name }, { loaded });
        if (loaded) await this.checkCompiles(m, name);
      },
    );
    return operation;
  }

  /** Bumps the version with the definition unchanged: every node rebuilds the source. */
  async reload(name: string): Promise<ClusterOperationResult> {
    const { operation } = await this.changes.apply(`reload data source ${name}`, async (m) => {
      const ds = await this.mustExist(m, name);
      if (!ds.loaded)
        throw new AdminError('BAD_USER_INPUT', `data source "${name}" is not loaded; use loadDataSource`);
      await m.getRepository(DataSourceEntity).update({ name }, { updatedAt: new Date() });
    });
    return operation;
  }

  /** Compiles one SDL document on its own (no prefix, not a module); commits nothing. */
  async validate(sdl: string): Promise<CatalogValidation> {
    const result = await validateCatalogs([
      {
        name: 'catalog',
        type: 'postgres',
        prefix: '',
        asModule: false,
        readOnly: false,
        catalogs: [{ name: 'catalog', type: 'text', path: sdl }],
      },
    ]);
    return {
      valid: result.valid,
      errors: result.problems.map((p) => ({
        catalog: p.catalog,
        message: p.message,
        line: p.line ?? null,
        column: p.column ?? null,
      })),
      schema: result.sdl ?? null,
    };
  }

  /**
   * Management compiles what the nodes would serve after this change (plus the changed source,
   * loaded or not) inside the change's transaction: a catalog that does not compile is refused
   * before anything is committed. Catalogs readable only on the nodes (LOCAL_FS) are skipped here.
   */
  private async checkCompiles(m: EntityManager, changed: string): Promise<void> {
    const snapshot = await readDefinitions(m);
    const served = servedDataSources(snapshot);
    const extra = snapshot.dataSources.filter((ds) => ds.name === changed && !served.includes(ds));
    const result = await validateCatalogs([...served, ...extra], { skipUnreadable: true });
    if (!result.valid)
      throw new AdminError(
        'BAD_USER_INPUT',
        `the catalogs do not compile; nothing was changed:\n${result.problems.map(formatProblem).join('\n')}`,
      );
  }

  async schemaVersion(): Promise<number> {
    return readSchemaVersion(this.coreDb.dataSource.manager);
  }

  private async mustExist(m: EntityManager, name: string): Promise<DataSourceEntity> {
    const ds = await m.getRepository(DataSourceEntity).findOneBy({ name });
    if (!ds) throw new AdminError('NOT_FOUND', `data source "${name}" does not exist`);
    return ds;
  }

  private async replaceCatalogs(
    m: EntityManager,
    dataSource: string,
    catalogs: CatalogSourceInput[],
  ): Promise<void> {
    const seen = new Set<string>();
    for (const c of catalogs) {
      checkName('catalog name', c.name);
      if (seen.has(c.name)) throw new AdminError('BAD_USER_INPUT', `catalog "${c.name}" is listed twice`);
      seen.add(c.name);
      if (!storedPath(c)?.trim()) {
        const field = c.type === CatalogType.TEXT ? 'sdl' : 'path';
        throw new AdminError(
          'BAD_USER_INPUT',
          `catalog "${c.name}": ${field} is required for type ${c.type}`,
        );
      }
    }
    await m.getRepository(DataSourceCatalogEntity).delete({ dataSourceName: dataSource });
    for (const c of catalogs) {
      await m.getRepository(CatalogSourceEntity).save({
        name: c.name,
        type: CATALOG_TYPES[c.type],
        description: c.description ?? '',
        path: storedPath(c)!,
      });
      await m
        .getRepository(DataSourceCatalogEntity)
        .insert({ dataSourceName: dataSource, catalogName: c.name });
    }
    await this.dropOrphanCatalogs(m);
  }

  private async dropOrphanCatalogs(m: EntityManager): Promise<void> {
    await m.query(
      `DELETE FROM catalog_sources c WHERE NOT EXISTS (SELECT 1 FROM data_source_catalogs l WHERE l.catalog_name = c.name)`,
    );
  }

  private present(
    ds: DataSourceDefinition,
    schemaVersion: number,
    nodes: Awaited<ReturnType<NodeRegistry['list']>>,
  ): DataSource {
    return {
      ...ds,
      catalogs: ds.catalogs.map(toCatalog),
      nodes: nodes.map((n) => {
        const upToDate = n.schemaVersion >= schemaVersion;
        const status = this.registry.sourceStatus(n.name, ds.name);
        return {
          node: n.name,
          upToDate,
          loaded: ds.loaded && !ds.disabled && upToDate && n.status === 'HEALTHY' && (status?.ok ?? true),
          error: status?.ok === false ? (status.error ?? 'failed to load') : null,
          schemaVersion: n.schemaVersion,
        };
      }),
    };
  }
}
