import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SchemaPusher } from '@app/cluster';
import { CoreDb, bumpSchemaVersion } from '@app/core-db';
import type { ClusterOperationResult } from './models/cluster.model.js';

/**
 * Every change to what nodes serve goes through here: the change and the schema-version bump
 * commit in one transaction, then the new version is pushed to every healthy node in parallel.
 */
@Injectable()
export class ClusterChangeService {
  private readonly logger = new Logger('ClusterChange');

  constructor(
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(SchemaPusher) private readonly pusher: SchemaPusher,
  ) {}

  async apply<T>(
    what: string,
    work: (m: EntityManager) => Promise<T>,
  ): Promise<{ result: T; operation: ClusterOperationResult }> {
    const { result, version } = await this.coreDb.write(what, async (m) => {
      const result = await work(m);
      return { result, version: await bumpSchemaVersion(m) };
    });
    const nodes = await this.pusher.pushToHealthy(version);
    const failed = nodes.filter((n) => !n.success);
    const message =
      `${what}: schema version ${version}; applied on ${nodes.length - failed.length} of ${nodes.length} healthy node(s)` +
      (failed.length ? `; failed on ${failed.map((n) => n.node).join(', ')}` : '');
    this.logger.log(message);
    return { result, operation: { success: failed.length === 0, message, schemaVersion: version, nodes } };
  }
}
