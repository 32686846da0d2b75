import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CoreDb, PermissionEntity, RoleEntity } from '@app/core-db';
import { checkAccessName, checkPermissionTarget, jsonObjectOrNull, sqlState } from './access-input.js';
import { AdminError } from './admin.errors.js';
import { ClusterChangeService } from './cluster-change.service.js';
import type { PermissionInput, RoleInput, RoleUpdateInput } from './inputs/access.input.js';
import type { Permission, Role } from './models/access.model.js';
import type { ClusterOperationResult } from './models/cluster.model.js';

/** Built in (SPEC §7): callers with this role manage the cluster and bypass permission rows. */
const ADMIN_ROLE = 'admin';

function toPermission(p: PermissionEntity): Permission {
  return {
    role: p.role,
    typeName: p.typeName,
    fieldName: p.fieldName,
    hidden: p.hidden,
    disabled: p.disabled,
    filter: (p.filter as Record<string, unknown> | null) ?? null,
    data: (p.data as Record<string, unknown> | null) ?? null,
  };
}

/**
 * Roles and their permissions. Every write bumps the schema version and is pushed: nodes cache
 * role permissions per schema version, so the bump is what makes a change reach every node.
 */
@Injectable()
export class RolesService {
  constructor(
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(ClusterChangeService) private readonly changes: ClusterChangeService,
  ) {}

  async list(): Promise<Role[]> {
    return this.read(this.coreDb.dataSource.manager);
  }

  async get(name: string): Promise<Role | undefined> {
    return (await this.read(this.coreDb.dataSource.manager, name))[0];
  }

  async create(input: RoleInput): Promise<Role> {
    checkAccessName('role name', input.name);
    await this.changes.apply(`create role ${input.name}`, async (m) => {
      if (await m.getRepository(RoleEntity).existsBy({ name: input.name }))
        throw new AdminError('CONFLICT', `role "${input.name}" already exists`);
      await m
        .getRepository(RoleEntity)
        .insert({
          name: input.name,
          description: input.description ?? '',
          disabled: input.disabled ?? false,
          canImpersonate: input.canImpersonate ?? false,
        })
        .catch((err: unknown) => {
          if (sqlState(err) === '23505')
            throw new AdminError('CONFLICT', `role "${input.name}" already exists`);
          throw err;
        });
    });
    return (await this.get(input.name))!;
  }

  async update(name: string, input: RoleUpdateInput): Promise<Role> {
    if (name === ADMIN_ROLE && input.disabled === true)
      throw new AdminError(
        'CONFLICT',
        'the admin role cannot be disabled: admin API keys and tokens are how the cluster is managed',
      );
    await this.changes.apply(`update role ${name}`, async (m) => {
      await this.lockRole(m, name, 'UPDATE', 'NOT_FOUND');
      const patch = Object.fromEntries(
        Object.entries(input).filter(([, v]) => v !== undefined && v !== null),
      );
      if (Object.keys(patch).length) await m.getRepository(RoleEntity).update({ name }, patch);
    });
    return (await this.get(name))!;
  }

  /**
   * Deletes the role and its permissions; refused while an API key still uses the role, and for
   * the built-in admin role.
   */
  async remove(name: string): Promise<ClusterOperationResult> {
    if (name === ADMIN_ROLE)
      throw new AdminError(
        'CONFLICT',
        'the admin role cannot be deleted: admin API keys and tokens are how the cluster is managed',
      );
    const { operation } = await this.changes.apply(`delete role ${name}`, async (m) => {
      // The row lock orders this against createApiKey, which takes a share lock on its role.
      await this.lockRole(m, name, 'UPDATE', 'NOT_FOUND');
      const keys: { name: string }[] = await m.query(
        `SELECT name FROM api_keys WHERE default_role = $1 OR claims->>'role' = $1 ORDER BY name`,
        [name],
      );
      if (keys.length)
        throw new AdminError(
          'CONFLICT',
          `role "${name}" is used by API key(s) ${keys.map((k) => `"${k.name}"`).join(', ')}; delete them or give them another role first`,
        );
      await m.getRepository(PermissionEntity).delete({ role: name });
      await m.getRepository(RoleEntity).delete({ name });
    });
    return operation;
  }

  /** Upserts the row (role, typeName, fieldName): the row is replaced as given. */
  async setPermission(input: PermissionInput): Promise<Permission> {
    if (!input.role?.trim()) throw new AdminError('BAD_USER_INPUT', 'role must not be empty');
    checkPermissionTarget(input.typeName, input.fieldName);
    const row = {
      role: input.role,
      typeName: input.typeName,
      fieldName: input.fieldName,
      hidden: input.hidden ?? false,
      disabled: input.disabled ?? false,
      filter: jsonObjectOrNull('filter', input.filter),
      data: jsonObjectOrNull('data', input.data),
    };
    const target = `${input.role}: ${input.typeName}.${input.fieldName}`;
    const { result } = await this.changes.apply(`set permission ${target}`, async (m) => {
      await this.lockRole(m, input.role, 'SHARE', 'BAD_USER_INPUT');
      await m.query(
        `INSERT INTO permissions (role, type_name, field_name, hidden, disabled, filter, data)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
         ON CONFLICT (role, type_name, field_name) DO UPDATE SET hidden = EXCLUDED.hidden,
           disabled = EXCLUDED.disabled, filter = EXCLUDED.filter, data = EXCLUDED.data`,
        [
          row.role,
          row.typeName,
          row.fieldName,
          row.hidden,
          row.disabled,
          row.filter && JSON.stringify(row.filter),
          row.data && JSON.stringify(row.data),
        ],
      );
      return m.getRepository(PermissionEntity).findOneByOrFail({
        role: row.role,
        typeName: row.typeName,
        fieldName: row.fieldName,
      });
    });
    return toPermission(result);
  }

  async removePermission(role: string, typeName: string, fieldName: string): Promise<ClusterOperationResult> {
    const target = `${role}: ${typeName}.${fieldName}`;
    const { operation } = await this.changes.apply(`remove permission ${target}`, async (m) => {
      const res = await m.getRepository(PermissionEntity).delete({ role, typeName, fieldName });
      if (!res.affected) throw new AdminError('NOT_FOUND', `permission ${target} does not exist`);
    });
    return operation;
  }

  /** Locks the role row for the transaction; an unknown role is an error with `code`. */
  private async lockRole(
    m: EntityManager,
    name: string,
    mode: 'SHARE' | 'UPDATE',
    code: 'NOT_FOUND' | 'BAD_USER_INPUT',
  ): Promise<void> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM roles WHERE name = $1 FOR ${mode}`, [name]);
    if (!rows.length) throw new AdminError(code, `role "${name}" does not exist`);
  }

  private async read(m: EntityManager, name?: string): Promise<Role[]> {
    const where = name === undefined ? {} : { name };
    const roleWhere = name === undefined ? {} : { role: name };
    const [roles, permissions] = await Promise.all([
      m.getRepository(RoleEntity).find({ where, order: { name: 'ASC' } }),
      m.getRepository(PermissionEntity).find({
        where: roleWhere,
        order: { role: 'ASC', typeName: 'ASC', fieldName: 'ASC' },
      }),
    ]);
    const byRole = new Map<string, Permission[]>();
    for (const p of permissions) {
      const list = byRole.get(p.role) ?? [];
      list.push(toPermission(p));
      byRole.set(p.role, list);
    }
    return roles.map((r) => ({
      name: r.name,
      description: r.description,
      disabled: r.disabled,
      canImpersonate: r.canImpersonate,
      permissions: byRole.get(r.name) ?? [],
    }));
  }
}
