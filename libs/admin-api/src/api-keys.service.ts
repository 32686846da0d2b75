import { Inject, Injectable } from '@nestjs/common';
import { generateApiKey } from '@app/auth';
import { ApiKeyEntity, CoreDb } from '@app/core-db';
import { checkAccessName, jsonObjectOrNull, sqlState } from './access-input.js';
import { AdminError } from './admin.errors.js';
import { ClusterChangeService } from './cluster-change.service.js';
import type { ApiKeyInput } from './inputs/access.input.js';
import type { ApiKey, CreatedApiKey } from './models/access.model.js';
import type { ClusterOperationResult } from './models/cluster.model.js';

/** Every column but `key` (the hash): neither the key nor its hash ever leaves the core DB. */
const LISTED = {
  name: true,
  keyPrefix: true,
  description: true,
  defaultRole: true,
  disabled: true,
  isTemporal: true,
  expiresAt: true,
  claims: true,
  headers: true,
  createdAt: true,
} as const;

/**
 * Managed API keys (SPEC §3, §7): stored as a SHA-256 hash and a short display prefix; the key is
 * shown once, at creation. Writes bump the schema version, since nodes cache key lookups per
 * version: a deleted or disabled key stops working on every node once the push is applied.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(ClusterChangeService) private readonly changes: ClusterChangeService,
  ) {}

  async list(): Promise<ApiKey[]> {
    const rows = await this.coreDb.dataSource
      .getRepository(ApiKeyEntity)
      .find({ select: LISTED, order: { name: 'ASC' } });
    return rows.map((k) => ({
      name: k.name,
      keyPrefix: k.keyPrefix,
      description: k.description,
      defaultRole: k.defaultRole,
      disabled: k.disabled,
      isTemporal: k.isTemporal,
      expiresAt: k.expiresAt,
      claims: (k.claims as Record<string, unknown> | null) ?? null,
      headers: (k.headers as Record<string, unknown> | null) ?? null,
      createdAt: k.createdAt,
    }));
  }

  async create(input: ApiKeyInput): Promise<CreatedApiKey> {
    checkAccessName('API key name', input.name);
    if (!input.defaultRole?.trim()) throw new AdminError('BAD_USER_INPUT', 'defaultRole must not be empty');
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && Number.isNaN(expiresAt.getTime()))
      throw new AdminError('BAD_USER_INPUT', 'expiresAt is not a valid date-time');
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw new AdminError('BAD_USER_INPUT', `expiresAt ${expiresAt.toISOString()} is in the past`);
    const claims = jsonObjectOrNull('claims', input.claims);
    const headers = jsonObjectOrNull('headers', input.headers);
    const claimedRole = claims?.role;
    if (claimedRole !== undefined && (typeof claimedRole !== 'string' || !claimedRole))
      throw new AdminError('BAD_USER_INPUT', 'claims.role must be the name of a role');

    const { key, hash, prefix } = generateApiKey();
    await this.changes.apply(`create API key ${input.name}`, async (m) => {
      // Share locks: a concurrent deleteRole waits for this key (and then refuses), or wins first.
      for (const role of new Set([input.defaultRole, ...(claimedRole ? [claimedRole as string] : [])])) {
        const rows: unknown[] = await m.query(`SELECT 1 FROM roles WHERE name = $1 FOR SHARE`, [role]);
        if (!rows.length) throw new AdminError('BAD_USER_INPUT', `role "${role}" does not exist`);
      }
      if (await m.getRepository(ApiKeyEntity).existsBy({ name: input.name }))
        throw new AdminError('CONFLICT', `API key "${input.name}" already exists`);
      await m
        .getRepository(ApiKeyEntity)
        .insert({
          name: input.name,
          key: hash,
          keyPrefix: prefix,
          description: input.description ?? '',
          defaultRole: input.defaultRole,
          disabled: false,
          isTemporal: expiresAt !== null,
          expiresAt,
          // Omitted = NULL (TypeORM types jsonb columns without null).
          claims: claims ?? undefined,
          headers: headers ?? undefined,
        })
        .catch((err: unknown) => {
          if (sqlState(err) === '23505')
            throw new AdminError('CONFLICT', `API key "${input.name}" already exists`);
          throw err;
        });
    });
    return { name: input.name, key, keyPrefix: prefix };
  }

  async remove(name: string): Promise<ClusterOperationResult> {
    const { operation } = await this.changes.apply(`delete API key ${name}`, async (m) => {
      const res = await m.getRepository(ApiKeyEntity).delete({ name });
      if (!res.affected) throw new AdminError('NOT_FOUND', `API key "${name}" does not exist`);
    });
    return operation;
  }

  async setDisabled(name: string, disabled: boolean): Promise<ClusterOperationResult> {
    const { operation } = await this.changes.apply(
      `${disabled ? 'disable' : 'enable'} API key ${name}`,
      async (m) => {
        const res = await m.getRepository(ApiKeyEntity).update({ name }, { disabled });
        if (!res.affected) throw new AdminError('NOT_FOUND', `API key "${name}" does not exist`);
      },
    );
    return operation;
  }
}
