import {
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { AccessPolicy, AccessRule } from '../engine.types.js';
import { EngineError } from '../errors.js';

/** Table operations that `data-object:<op>` permission rows govern on every path. */
export type DataObjectOp = 'query' | 'insert' | 'update' | 'delete';

const PLACEHOLDER = /\[\$auth\.([A-Za-z_][A-Za-z0-9_]*)\]/g;
/** Private aliases under which introspection asks every `__Type` and `__Field` for its name. */
const TYPE_NAME_ALIAS = '_muninn_type_';
const FIELD_NAME_ALIAS = '_muninn_field_';
const WHOLE_PLACEHOLDER = /^\[\$auth\.([A-Za-z_][A-Za-z0-9_]*)\]$/;

/** Key under which a permission filter travels in a field's arguments (GraphQL names never start with `__`). */
export const PERMISSION_FILTER = '__permission';

/**
 * The permission rules of one request, as the planner asks for them (SPEC §7). Without a policy
 * (the secret-key admin, internal calls) everything is allowed and nothing is filtered.
 */
export class Access {
  static readonly open = new Access(undefined);

  constructor(private readonly policy: AccessPolicy | undefined) {}

  get active(): boolean {
    return this.policy !== undefined;
  }

  rule(typeName: string, fieldName: string): AccessRule | undefined {
    return this.policy?.rule(typeName, fieldName);
  }

  /** Refuses a disabled field (`<type>.<field>`). */
  checkField(typeName: string, fieldName: string): void {
    if (this.policy && this.policy.rule(typeName, fieldName)?.disabled)
      throw new EngineError(
        'FORBIDDEN',
        `${typeName}.${fieldName} is not allowed for ${this.policy.subject}`,
      );
  }

  hidden(typeName: string, fieldName: string): boolean {
    return this.policy?.rule(typeName, fieldName)?.hidden === true;
  }

  /** The `data-object:<op>` rule of an object; refuses the operation when it is disabled. */
  objectRule(op: DataObjectOp, objectName: string): AccessRule | undefined {
    if (!this.policy) return undefined;
    const rule = this.policy.rule(`data-object:${op}`, objectName);
    if (rule?.disabled)
      throw new EngineError('FORBIDDEN', `${op} on ${objectName} is not allowed for ${this.policy.subject}`);
    return rule;
  }

  /** The filter of a rule with its `[$auth.*]` placeholders resolved (values become bind parameters later). */
  filterOf(rule: AccessRule | undefined): Record<string, unknown> | undefined {
    if (!rule?.filter || typeof rule.filter !== 'object') return undefined;
    return this.resolve(rule.filter) as Record<string, unknown>;
  }

  /** The stamped `data` of a rule, placeholders resolved. */
  dataOf(rule: AccessRule | undefined): Record<string, unknown> | undefined {
    if (!rule?.data || typeof rule.data !== 'object' || Array.isArray(rule.data)) return undefined;
    return this.resolve(rule.data) as Record<string, unknown>;
  }

  /** Replaces `[$auth.<name>]`: a whole-string placeholder keeps the value's type, an embedded one is text. */
  private resolve(value: unknown): unknown {
    if (typeof value === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(value);
      if (whole) return this.policy!.authValue(whole[1]) ?? null;
      return value.replace(PLACEHOLDER, (_m, name: string) => String(this.policy!.authValue(name) ?? ''));
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
    return value;
  }

  /**
   * Introspection for this caller: the document is executed with every `__Type` selection also
   * asking for the type's name (under a private alias), so that hidden fields can be removed from
   * `fields` afterwards whatever the client selected.
   */
  introspectionDocument(document: DocumentNode, schema: GraphQLSchema): DocumentNode {
    if (!this.policy) return document;
    const typeInfo = new TypeInfo(schema);
    return visit(
      document,
      visitWithTypeInfo(typeInfo, {
        SelectionSet: {
          leave: (node) => {
            const parent = typeInfo.getParentType()?.name;
            const alias =
              parent === '__Type' ? TYPE_NAME_ALIAS : parent === '__Field' ? FIELD_NAME_ALIAS : '';
            if (!alias) return undefined;
            const tag: FieldNode = {
              kind: Kind.FIELD,
              alias: { kind: Kind.NAME, value: alias },
              name: { kind: Kind.NAME, value: 'name' },
            };
            return { ...node, selections: [...node.selections, tag] };
          },
        },
      }),
    );
  }

  /** Removes hidden fields (and the private aliases) from a result of `introspectionDocument`. */
  hideInIntrospection(value: unknown): unknown {
    if (!this.policy) return value;
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) {
        for (const item of v) walk(item);
        return;
      }
      if (!v || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      const typeName = o[TYPE_NAME_ALIAS];
      delete o[TYPE_NAME_ALIAS];
      if (typeof typeName === 'string')
        for (const [key, child] of Object.entries(o)) {
          if (!Array.isArray(child)) continue;
          // `fields` (under any alias): the fields the caller's rules hide are dropped.
          o[key] = child.filter((f: unknown) => {
            const name = (f as Record<string, unknown> | null)?.[FIELD_NAME_ALIAS];
            return typeof name !== 'string' || !this.hidden(typeName, name);
          });
        }
      for (const child of Object.values(o)) walk(child);
      delete o[FIELD_NAME_ALIAS];
    };
    walk(value);
    return value;
  }
}
