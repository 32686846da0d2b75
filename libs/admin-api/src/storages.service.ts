import { Inject, Injectable } from '@nestjs/common';
import { CoreDb, StorageEntity } from '@app/core-db';
import { StorageCipher, credentialAad, normaliseScope } from '@app/storage';
import { AdminError } from './admin.errors.js';
import { ClusterChangeService } from './cluster-change.service.js';
import type { StorageInput } from './inputs/storage.input.js';
import type { ClusterOperationResult } from './models/cluster.model.js';
import { type Storage, UrlStyleEnum } from './models/storage.model.js';
import { checkStorageInput } from './storage-input.js';

/** The cipher of storage credentials on management (undefined: no key material configured). */
export const ADMIN_STORAGE_CIPHER = Symbol('ADMIN_STORAGE_CIPHER');

function toStorage(s: StorageEntity): Storage {
  return {
    name: s.name,
    type: s.type,
    scope: s.scope,
    endpoint: s.endpoint,
    region: s.region,
    useSsl: s.useSsl,
    urlStyle: s.urlStyle === 'vhost' ? UrlStyleEnum.VIRTUAL_HOST : UrlStyleEnum.PATH,
    hasCredentials: s.keyEncrypted !== '' || s.secretEncrypted !== '',
    parameters: (s.parameters as Record<string, unknown> | null) ?? null,
    createdAt: s.createdAt,
  };
}

/**
 * Object-storage registrations (SPEC §9.4). Credentials are encrypted here, before anything is
 * written, and leave management only inside the definitions snapshot that nodes decrypt. Every
 * write bumps the schema version and is pushed, so every node learns it through the normal sync.
 */
@Injectable()
export class StoragesService {
  constructor(
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(ClusterChangeService) private readonly changes: ClusterChangeService,
    @Inject(ADMIN_STORAGE_CIPHER) private readonly cipher: StorageCipher | undefined,
  ) {}

  async list(): Promise<Storage[]> {
    const rows = await this.coreDb.dataSource.manager
      .getRepository(StorageEntity)
      .find({ order: { name: 'ASC' } });
    return rows.map(toStorage);
  }

  /** Upsert by name: an existing storage is replaced as given (credentials kept when omitted). */
  async register(input: StorageInput): Promise<ClusterOperationResult> {
    const checked = checkStorageInput(input);
    const creds = checked.credentials;
    let encrypted: { keyEncrypted: string; secretEncrypted: string } | undefined;
    if (creds.kind === 'set') {
      if (!this.cipher)
        throw new AdminError(
          'BAD_USER_INPUT',
          'credentials cannot be stored: management has no storage encryption key',
        );
      encrypted = {
        keyEncrypted: this.cipher.encrypt(creds.key, credentialAad(checked.name, 'key')),
        secretEncrypted: this.cipher.encrypt(creds.secret, credentialAad(checked.name, 'secret')),
      };
    } else if (creds.kind === 'none') encrypted = { keyEncrypted: '', secretEncrypted: '' };
    const { operation } = await this.changes.apply(`register storage ${checked.name}`, async (m) => {
      // Serialises registrations, so two concurrent ones cannot take the same scope.
      await m.query('LOCK TABLE storages IN SHARE ROW EXCLUSIVE MODE');
      const repo = m.getRepository(StorageEntity);
      const all = await repo.find();
      const taken = all.find((s) => s.name !== checked.name && sameScope(s.scope, checked.matchScope));
      if (taken)
        throw new AdminError(
          'CONFLICT',
          `scope ${checked.scope} is already served by storage "${taken.name}"`,
        );
      const row = {
        type: checked.type,
        scope: checked.scope,
        endpoint: checked.endpoint,
        region: checked.region,
        useSsl: checked.useSsl,
        urlStyle: checked.urlStyle,
        parameters: checked.parameters ?? (() => 'NULL'),
        ...(encrypted ?? {}),
      };
      if (all.some((s) => s.name === checked.name)) await repo.update({ name: checked.name }, row);
      else await repo.insert({ name: checked.name, keyEncrypted: '', secretEncrypted: '', ...row });
    });
    return operation;
  }

  async unregister(name: string): Promise<ClusterOperationResult> {
    const { operation } = await this.changes.apply(`unregister storage ${name}`, async (m) => {
      const res = await m.getRepository(StorageEntity).delete({ name });
      if (!res.affected) throw new AdminError('NOT_FOUND', `storage "${name}" does not exist`);
    });
    return operation;
  }
}

function sameScope(stored: string, normalised: string): boolean {
  try {
    return normaliseScope(stored) === normalised;
  } catch {
    return false;
  }
}
