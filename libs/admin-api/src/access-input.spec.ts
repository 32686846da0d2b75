import { checkAccessName, checkPermissionTarget, jsonObjectOrNull } from './access-input.js';

const fails = (fn: () => unknown, message: RegExp) => expect(fn).toThrow(message);

describe('management API access input checks', () => {
  it('accepts role and key names as JWT claims carry them', () => {
    for (const name of ['admin', 'data-reader', 'team.sales', 'svc:etl', 'ops@corp', '_x', '9lives']) {
      expect(() => checkAccessName('role name', name)).not.toThrow();
    }
    fails(() => checkAccessName('role name', ''), /role name must not be empty/);
    fails(() => checkAccessName('role name', '  '), /must not be empty/);
    fails(() => checkAccessName('role name', 'a b'), /must start with/);
    fails(() => checkAccessName('role name', '-x'), /must start with/);
    fails(() => checkAccessName('role name', 'x'.repeat(129)), /max 128/);
  });

  it('accepts GraphQL names, `*` and data-object rules as permission targets', () => {
    for (const [type, field] of [
      ['*', '*'],
      ['Query', '*'],
      ['Mutation', 'insert_orders'],
      ['shop_orders', 'total'],
      ['data-object:query', 'shop_orders'],
      ['data-object:delete', '*'],
    ]) {
      expect(() => checkPermissionTarget(type, field)).not.toThrow();
    }
    fails(() => checkPermissionTarget('', '*'), /typeName must not be empty/);
    fails(() => checkPermissionTarget('Query', ''), /fieldName must not be empty/);
    fails(() => checkPermissionTarget('data-object:upsert', '*'), /typeName "data-object:upsert"/);
    fails(() => checkPermissionTarget('a.b', '*'), /must be a GraphQL type name/);
    fails(() => checkPermissionTarget('data-object:query', 'x y'), /must be a data object type name/);
    fails(() => checkPermissionTarget('Query', 'x-y'), /must be a GraphQL field name/);
  });

  it('takes JSON objects or null for filter and data', () => {
    expect(jsonObjectOrNull('filter', undefined)).toBeNull();
    expect(jsonObjectOrNull('filter', null)).toBeNull();
    expect(jsonObjectOrNull('filter', { id: { eq: 1 } })).toEqual({ id: { eq: 1 } });
    for (const bad of [[1], 'x', 3, true])
      fails(() => jsonObjectOrNull('filter', bad), /filter must be a JSON object or null/);
  });
});
