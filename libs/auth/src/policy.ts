import { createHash } from 'node:crypto';
import type { AccessPolicy, AccessRule } from '@app/engine';
import type { Identity, RoleInfo } from './index.js';

const DATA_OBJECT = 'data-object:';

/**
 * The permission rows of one role, indexed once (cache this per role and permission version).
 * The most specific row wins — `type.field` > `type.*` > `*.field` > `*.*` — and no row means
 * allowed (SPEC §7, Hugr's model). `data-object:<op>` rules match only their own type name
 * (`data-object:query.<object>` > `data-object:query.*`), so a deny-all `*.*` does not also deny
 * every table on every path.
 */
export class RoleRules {
  /** Changes whenever the rows change: part of the plan-cache key of every caller of the role. */
  readonly digest: string;
  private readonly rules = new Map<string, AccessRule>();

  constructor(readonly role: RoleInfo) {
    const rows = [...role.permissions].sort((a, b) =>
      `${a.typeName}\u0000${a.fieldName}`.localeCompare(`${b.typeName}\u0000${b.fieldName}`),
    );
    for (const p of rows)
      this.rules.set(`${p.typeName}\u0000${p.fieldName}`, {
        disabled: p.disabled,
        hidden: p.hidden,
        filter: p.filter ?? undefined,
        data: p.data ?? undefined,
      });
    this.digest = createHash('sha256')
      .update(JSON.stringify([role.name, rows]))
      .digest('base64url');
  }

  rule(typeName: string, fieldName: string): AccessRule | undefined {
    const get = (t: string, f: string) => this.rules.get(`${t}\u0000${f}`);
    if (typeName.startsWith(DATA_OBJECT)) return get(typeName, fieldName) ?? get(typeName, '*');
    return get(typeName, fieldName) ?? get(typeName, '*') ?? get('*', fieldName) ?? get('*', '*');
  }
}

/** A role's rules for one caller: adds the caller's `[$auth.*]` values. */
export class RolePolicy implements AccessPolicy {
  readonly key: string;
  readonly subject: string;
  private readonly claims: Record<string, unknown>;

  constructor(
    private readonly rules: RoleRules,
    private readonly identity: Identity,
  ) {
    this.claims = identity.claims ?? {};
    this.subject = `role "${rules.role.name}"`;
    const who = createHash('sha256')
      .update(
        JSON.stringify([
          identity.userId,
          identity.userName,
          identity.authType,
          identity.provider,
          this.claims,
        ]),
      )
      .digest('base64url');
    this.key = `${rules.digest}:${who}`;
  }

  rule(typeName: string, fieldName: string): AccessRule | undefined {
    return this.rules.rule(typeName, fieldName);
  }

  authValue(name: string): unknown {
    switch (name) {
      case 'user_id':
        return this.identity.userId;
      case 'user_id_int': {
        const n = Number.parseInt(this.identity.userId, 10);
        return Number.isFinite(n) ? n : null;
      }
      case 'user_name':
        return this.identity.userName;
      case 'role':
        return this.identity.role;
      case 'auth_type':
        return this.identity.authType;
      case 'provider':
        return this.identity.provider;
      default:
        return this.claims[name];
    }
  }
}

/** Only roles that exist and are enabled may run anything (SPEC §7). */
export function roleDenial(role: RoleInfo | undefined, name: string): string | undefined {
  if (!role) return `role "${name}" does not exist`;
  if (role.disabled) return `role "${name}" is disabled`;
  return undefined;
}
