/** SQL text helpers: identifiers are always quoted, values always travel as bind parameters. */

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table` → `"schema"."table"`. */
export function quoteTable(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/** A string literal for text that comes from the compiled catalog only (type names), never from a request. */
export function catalogLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * A JSON object from (key, SQL value) pairs, keys in order. json_build_object takes at most 100
 * arguments: wider objects are merged from chunks (jsonb, so keys past the 50th lose their order).
 */
export function buildObject(pairs: Array<[string, string]>): string {
  const chunks: string[] = [];
  for (let i = 0; i < pairs.length; i += 50)
    chunks.push(
      `json_build_object(${pairs
        .slice(i, i + 50)
        .map(([k, v]) => `${catalogLiteral(k)}, ${v}`)
        .join(', ')})`,
    );
  if (chunks.length <= 1) return chunks[0] ?? 'json_build_object()';
  return `(${chunks.map((c) => `${c}::jsonb`).join(' || ')})::json`;
}
