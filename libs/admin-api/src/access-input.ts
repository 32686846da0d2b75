import { QueryFailedError } from 'typeorm';
import { AdminError } from './admin.errors.js';

/** Names of roles and API keys: what a JWT claim or a config file would carry, nothing exotic. */
const ACCESS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,127}$/;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,254}$/;
const DATA_OBJECT_RULE = /^data-object:(query|insert|update|delete)$/;

export function checkAccessName(what: string, name: string): void {
  if (!name?.trim()) throw new AdminError('BAD_USER_INPUT', `${what} must not be empty`);
  if (!ACCESS_NAME.test(name))
    throw new AdminError(
      'BAD_USER_INPUT',
      `${what} "${name}" must start with a letter, digit or _ and use letters, digits and _ . : @ - (max 128)`,
    );
}

/**
 * A permission's (typeName, fieldName): a GraphQL type name (Query, Mutation, an object type) or
 * `*`, or a table rule `data-object:query|insert|update|delete`; the field a GraphQL name or `*`
 * (for a table rule: the data object's type name or `*`).
 */
export function checkPermissionTarget(typeName: string, fieldName: string): void {
  if (!typeName?.trim()) throw new AdminError('BAD_USER_INPUT', 'typeName must not be empty');
  if (!fieldName?.trim()) throw new AdminError('BAD_USER_INPUT', 'fieldName must not be empty');
  if (typeName !== '*' && !GRAPHQL_NAME.test(typeName) && !DATA_OBJECT_RULE.test(typeName))
    throw new AdminError(
      'BAD_USER_INPUT',
      `typeName "${typeName}" must be a GraphQL type name, "*", or data-object:query|insert|update|delete`,
    );
  if (fieldName !== '*' && !GRAPHQL_NAME.test(fieldName))
    throw new AdminError(
      'BAD_USER_INPUT',
      DATA_OBJECT_RULE.test(typeName)
        ? `fieldName "${fieldName}" must be a data object type name or "*"`
        : `fieldName "${fieldName}" must be a GraphQL field name or "*"`,
    );
}

/** A JSON argument that must be an object (or absent/null). */
export function jsonObjectOrNull(what: string, value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new AdminError('BAD_USER_INPUT', `${what} must be a JSON object or null`);
  return value as Record<string, unknown>;
}

/** PostgreSQL's answer to a concurrent duplicate (23505) or a vanished reference (23503). */
export function sqlState(err: unknown): string | undefined {
  if (!(err instanceof QueryFailedError)) return undefined;
  return (err.driverError as { code?: string } | undefined)?.code;
}
