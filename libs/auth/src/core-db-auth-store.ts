import type { DataSource } from 'typeorm';
import type { ApiKeyStore, ManagedApiKey, PermissionRow, RoleInfo, RoleStore } from './auth.types.js';

interface ApiKeyRow {
  name: string;
  default_role: string;
  disabled: boolean;
  is_temporal: boolean;
  expires_at: Date | string | null;
  headers: unknown;
  claims: unknown;
}

interface RolePermissionRow {
  name: string;
  disabled: boolean;
  can_impersonate: boolean;
  type_name: string | null;
  field_name: string | null;
  hidden: boolean | null;
  perm_disabled: boolean | null;
  filter: unknown;
  data: unknown;
}

/**
 * Managed API keys and roles from the core DB tables `api_keys`, `roles`, `permissions`, read with
 * plain parameterised SQL (works on PostgreSQL and on embedded PGlite). Caching belongs to the caller.
 */
export class CoreDbAuthStore implements ApiKeyStore, RoleStore {
  constructor(private readonly dataSource: DataSource) {}

  async findByHash(hash: string): Promise<ManagedApiKey | undefined> {
    const rows: ApiKeyRow[] = await this.dataSource.query(
      `SELECT name, default_role, disabled, is_temporal, expires_at, headers, claims
         FROM api_keys WHERE key = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    let expiresAt = row.expires_at === null ? null : new Date(row.expires_at);
    // Hugr: a temporal key without an expiry date is refused (as expired).
    if (expiresAt === null && row.is_temporal) expiresAt = new Date(0);
    return {
      name: row.name,
      defaultRole: row.default_role,
      disabled: row.disabled,
      expiresAt,
      claims: jsonObject(row.claims),
      headers: jsonObject(row.headers),
    };
  }

  async loadRole(name: string): Promise<RoleInfo | undefined> {
    // One statement, so the role and its permissions come from one snapshot.
    const rows: RolePermissionRow[] = await this.dataSource.query(
      `SELECT r.name, r.disabled, r.can_impersonate,
              p.type_name, p.field_name, p.hidden, p.disabled AS perm_disabled, p.filter, p.data
         FROM roles r LEFT JOIN permissions p ON p.role = r.name
        WHERE r.name = $1
        ORDER BY p.type_name COLLATE "C", p.field_name COLLATE "C"`,
      [name],
    );
    const first = rows[0];
    if (!first) return undefined;
    const permissions: PermissionRow[] = rows
      .filter((r) => r.type_name !== null && r.field_name !== null)
      .map((r) => ({
        typeName: r.type_name!,
        fieldName: r.field_name!,
        hidden: r.hidden === true,
        disabled: r.perm_disabled === true,
        filter: jsonValue(r.filter),
        data: jsonValue(r.data),
      }));
    return { name: first.name, disabled: first.disabled, canImpersonate: first.can_impersonate, permissions };
  }
}

/** jsonb arrives parsed from `pg`; a driver that hands over the text gets its objects parsed here. */
function jsonValue(v: unknown): unknown {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return v; // a jsonb string scalar that merely starts like JSON
  }
}

function jsonObject(v: unknown): Record<string, unknown> | null {
  const parsed = jsonValue(v);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : null;
}
