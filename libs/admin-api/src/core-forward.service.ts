import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CORE_CATALOG_SDL, CORE_SCHEMA_TABLES, CoreDb } from '@app/core-db';
import { Engine, type QueryRequest, type QueryResponse } from '@app/engine';
import { AdminError } from './admin.errors.js';
import { ClusterChangeService } from './cluster-change.service.js';
import { DataSourcesService } from './data-sources.service.js';

interface ForwardContext {
  written: string[];
}

export interface LifecycleResult {
  success: boolean;
  affected_rows: number;
  last_id: null;
  message: string;
}

/**
 * What work nodes forward from Hugr's `core` module: writes to the core tables (run here on an
 * engine over the core DB, then a version bump and push when they change what nodes serve) and
 * data-source lifecycle calls (the same path as the admin API's load/unload/reload).
 */
@Injectable()
export class CoreForwardService implements OnModuleDestroy {
  private engine: Promise<Engine> | undefined;

  constructor(
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(ClusterChangeService) private readonly changes: ClusterChangeService,
    @Inject(DataSourcesService) private readonly sources: DataSourcesService,
  ) {}

  async mutation(request: QueryRequest): Promise<QueryResponse> {
    const engine = await (this.engine ??= this.openEngine());
    const context: ForwardContext = { written: [] };
    const res = await engine.execute(request, context);
    if (context.written.some((t) => CORE_SCHEMA_TABLES.includes(t)))
      await this.changes.apply(`core module change (${context.written.join(', ')})`, async () => undefined);
    return res;
  }

  async lifecycle(action: 'load' | 'unload' | 'reload', name: string): Promise<LifecycleResult> {
    try {
      const op =
        action === 'reload'
          ? await this.sources.reload(name)
          : await this.sources.setLoaded(name, action === 'load');
      const failed = op.nodes.filter((n) => !n.success).map((n) => `${n.node}: ${n.message ?? 'failed'}`);
      return {
        success: op.success,
        affected_rows: 1,
        last_id: null,
        message: failed.length ? `${op.message}; ${failed.join('; ')}` : op.message,
      };
    } catch (err) {
      if (err instanceof AdminError)
        return { success: false, affected_rows: 0, last_id: null, message: err.message };
      throw err;
    }
  }

  private async openEngine(): Promise<Engine> {
    const engine = await Engine.create(
      [
        {
          name: 'core',
          type: 'postgres',
          prefix: 'core',
          asModule: true,
          path: this.coreDb.url,
          readOnly: false,
          catalogs: [{ name: 'core', type: 'text', path: CORE_CATALOG_SDL }],
        },
      ],
      {
        poolSize: 2,
        onMutation: (event, context) => {
          (context as ForwardContext).written.push(...event.objects);
        },
      },
    );
    const failed = engine.statuses.find((s) => !s.ok);
    if (failed) {
      await engine.close();
      this.engine = undefined;
      throw new Error(`core module unavailable on management: ${failed.error}`);
    }
    return engine;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.engine) await (await this.engine.catch(() => undefined))?.close();
  }
}
