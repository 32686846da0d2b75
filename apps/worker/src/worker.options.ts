import { CACHE } from '@app/cache';
import type { ClusterModuleOptions } from '@app/cluster';
import type { MuninnConfig } from '@app/config';
import type { CoreDbOptions } from '@app/core-db';
import { EngineApplier } from '@app/data-api';

/**
 * A clustered worker never migrates (management owns the core DB); a standalone worker is a
 * complete single-node server and migrates its own core DB unless it is read-only.
 */
export function coreDbOptions(config: MuninnConfig): CoreDbOptions {
  const standalone = config.cluster.managementUrl === undefined;
  return {
    ...config.coreDb,
    migrations: standalone ? 'run' : 'verify',
    version: config.version,
    applicationName: `muninn-worker-${config.cluster.nodeName}`,
  };
}

export function clusterOptions(config: MuninnConfig): ClusterModuleOptions {
  return {
    role: 'worker',
    version: config.version,
    ...config.cluster,
    drainDelayMs: config.server.drainDelayMs,
    applier: EngineApplier,
    // Management's fan-out drops this node's entries (L1, and the L2 epochs of the tags).
    cacheInvalidator: CACHE,
  };
}
