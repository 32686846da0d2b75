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
