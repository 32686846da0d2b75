import type { ClusterModuleOptions } from '@app/cluster';
import type { MuninnConfig } from '@app/config';
import type { CoreDbOptions } from '@app/core-db';

/** Maps validated configuration to the options of the libraries the management node loads. */
export function coreDbOptions(config: MuninnConfig): CoreDbOptions {
  return {
    ...config.coreDb,
    migrations: 'run',
    version: config.version,
    applicationName: 'muninn-management',
  };
}

export function clusterOptions(config: MuninnConfig): ClusterModuleOptions {
  return {
    role: 'management',
    version: config.version,
    ...config.cluster,
    nodeName: 'management',
    drainDelayMs: config.server.drainDelayMs,
  };
}
