import { describeOperation, outcomeOf } from './operation-info.js';

describe('describeOperation', () => {
  it('reads the type and name of the single operation', () => {
    expect(describeOperation('{ items { id } }', undefined)).toEqual({ type: 'query', name: undefined });
    expect(describeOperation('query Items { items { id } }', null)).toEqual({ type: 'query', name: 'Items' });
    expect(describeOperation('mutation { insert_items(data: {id: 1}) { id } }', '')).toEqual({
      type: 'mutation',
      name: undefined,
    });
    expect(describeOperation('subscription S { x }', undefined)).toEqual({ type: 'subscription', name: 'S' });
  });

  it('picks the operation named by operationName among several, past fragments and comments', () => {
    const doc = `
      # mutation in a comment { }
      fragment F on items { id name(arg: "}") }
      query A($id: Int = 1) @dir(obj: {a: {b: 1}}) { items_by_pk(id: $id) { ...F } }
      mutation B { delete_items(filter: {id: {eq: 1}}) { affected_rows } }`;
    expect(describeOperation(doc, 'B')).toEqual({ type: 'mutation', name: 'B' });
    expect(describeOperation(doc, 'A')).toEqual({ type: 'query', name: 'A' });
    expect(describeOperation(doc, 'C')).toEqual({ type: 'unknown', name: 'C' });
    expect(describeOperation(doc, undefined)).toEqual({ type: 'unknown', name: undefined });
  });

  it('is unknown for a document that does not scan, and never logs a name that is not a GraphQL name', () => {
    expect(describeOperation('{ items { id }', undefined).type).toBe('query');
    expect(describeOperation('"unterminated', undefined)).toEqual({ type: 'unknown', name: undefined });
    expect(describeOperation('items { id }', undefined).type).toBe('unknown');
    expect(describeOperation(42, 'X')).toEqual({ type: 'unknown', name: 'X' });
    expect(describeOperation('{ a }', 'postgres://u:pw@h/db').name).toBeUndefined();
    expect(describeOperation('{ a }', 'x'.repeat(101)).name).toBeUndefined();
  });

  it('gives the same answer from its cache', () => {
    const q = 'mutation M { x }';
    expect(describeOperation(q, 'M')).toBe(describeOperation(q, 'M'));
  });
});

describe('outcomeOf', () => {
  it('is errors when the engine answered errors or a non-200 status', () => {
    expect(outcomeOf({ status: 200, body: '{"data":{"errors":[1]}}' })).toBe('ok');
    expect(outcomeOf({ status: 200, body: '{"errors":[{"message":"x"}],"data":{}}' })).toBe('errors');
    expect(outcomeOf({ status: 400, body: '{"data":null}' })).toBe('errors');
  });
});
