import { CORE_PATHS, type ClusterClient, ClusterRequestError } from '@app/cluster';
import { type CoreDb, DataSourceEntity, bumpSchemaVersion } from '@app/core-db';
import type { CoreLifecycle, LifecycleAction, OperationResultValue } from './core-module.js';

const result = (success: boolean, message: string): OperationResultValue => ({
  success,
  affected_rows: success ? 1 : 0,
  last_id: null,
  message,
});

/** Cluster mode: management runs the call (write, version bump, push to every node). */
export class ManagementLifecycle implements CoreLifecycle {
  constructor(
    private readonly client: ClusterClient,
    private readonly managementUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async run(action: LifecycleAction, name: string): Promise<OperationResultValue> {
    try {
      const res = await this.client.request<OperationResultValue>(
        this.managementUrl,
        'POST',
        CORE_PATHS.lifecycle,
        { action, name },
        this.timeoutMs,
      );
      if (res.status !== 200) return result(false, `management answered ${res.status}`);
      return res.body;
    } catch (err) {
      if (err instanceof ClusterRequestError)
        return result(false, `management is unreachable: ${err.message}`);
      throw err;
    }
  }
}

/** Standalone: this node owns the core DB; it writes, bumps the version and applies it itself. */
export class LocalLifecycle implements CoreLifecycle {
  constructor(
    private readonly coreDb: CoreDb,
    private readonly apply: (version: number) => Promise<unknown>,
  ) {}

  async run(action: LifecycleAction, name: string): Promise<OperationResultValue> {
    const version = await this.coreDb.write(`${action} data source ${name}`, async (m) => {
      const repo = m.getRepository(DataSourceEntity);
      const ds = await repo.findOneBy({ name });
      if (!ds) return undefined;
      if (action === 'reload') await repo.update({ name }, { updatedAt: new Date() });
      else await repo.update({ name }, { loaded: action === 'load' });
      return bumpSchemaVersion(m);
    });
    if (version === undefined) return result(false, `data source "${name}" does not exist`);
    await this.apply(version);
    return result(true, `${action} of ${name} applied (schema version ${version})`);
  }
}
