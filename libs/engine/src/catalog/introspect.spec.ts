import { graphqlName, scalarOf } from './introspect.js';

describe('self-defined type mapping', () => {
  it.each([
    ['int4', 'Int'],
    ['SMALLINT', 'Int'],
    ['int8', 'BigInt'],
    ['HUGEINT', 'BigInt'],
    ['numeric', 'Float'],
    ['DECIMAL(10,2)', 'Float'],
    ['float8', 'Float'],
    ['bool', 'Boolean'],
    ['VARCHAR', 'String'],
    ['uuid', 'String'],
    ['date', 'Date'],
    ['time', 'Time'],
    ['timestamptz', 'Timestamp'],
    ['TIMESTAMP WITH TIME ZONE', 'Timestamp'],
    ['timestamp', 'DateTime'],
    ['interval', 'Interval'],
    ['jsonb', 'JSON'],
    ['bytea', undefined],
    ['STRUCT(a INTEGER)', undefined],
  ])('%s → %s', (db, scalar) => expect(scalarOf(db)).toBe(scalar));

  it('renames database names into GraphQL names as Hugr does', () => {
    expect(graphqlName('orders')).toBe('orders');
    expect(graphqlName('Display Name')).toBe('Display_Name');
    expect(graphqlName('_hidden')).toBe('db_hidden');
    expect(graphqlName('2024-sales')).toBe('db_2024_sales');
  });
});
