import type { FieldNode, GraphQLSchema } from 'graphql';
import type { CompiledCatalog, DataObject, FunctionDef, RelationField } from '../catalog/model.js';
import type { TransactionRun } from '../drivers/driver.js';
import type { AccessRule } from '../engine.types.js';
import { EngineError } from '../errors.js';
import { Access } from '../plan/access.js';
import { type Dialect, postgresDialect } from '../plan/dialect.js';
import { type Args, QueryBuilder } from '../plan/query-builder.js';
import { type SelectionScope, project } from '../plan/selection.js';
import { quoteIdent, quoteTable } from '../plan/sql.js';
import { insertReturnsRow } from '../schema/build-schema.js';

/** A stored row, keyed by column. */
type Row = Record<string, unknown>;

/** A JSON value the database built, as text (drivers answer text, a Buffer or a parsed value). */
function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return Buffer.isBuffer(value) ? value.toString('utf8') : JSON.stringify(value);
}

/**
 * Runs the mutation fields of one request inside the transaction the executor opened: nested
 * inserts in dependency order (forward targets first, then the row, then back and many-to-many
 * rows), updates and deletes as one statement each. Values are bind parameters throughout.
 */
export class MutationRunner {
  /** Objects written so far (for cache invalidation after the commit). */
  readonly written = new Set<string>();

  constructor(
    private readonly catalog: CompiledCatalog,
    private readonly schema: GraphQLSchema,
    private readonly scope: SelectionScope,
    private readonly run: TransactionRun,
    private readonly access: Access = Access.open,
    private readonly dialect: Dialect = postgresDialect,
  ) {}

  /** One mutation field → its JSON text. */
  async field(
    target: { op: 'insert' | 'update' | 'delete'; object: DataObject } | { op: 'function'; fn: FunctionDef },
    nodes: readonly FieldNode[],
    parentType: string,
  ): Promise<string> {
    const qb = this.builder();
    if (target.op === 'function') {
      const [out] = await this.run(qb.rootFunction(target.fn, nodes, parentType), qb.params.values);
      return (Object.values(out ?? {})[0] as string | null | undefined) ?? 'null';
    }
    const { op, object: obj } = target;
    const args = qb.argsOf(parentType, nodes[0]);
    // The rule of the mutation field itself (e.g. `Mutation.insert_orders`): its data is stamped
    // over the input, its filter ANDed into the WHERE of updates and deletes.
    const fieldRule = this.access.rule(parentType, nodes[0].name.value);
    if (op === 'insert') {
      const data = { ...this.userData(obj, args.data), ...this.access.dataOf(fieldRule) };
      const row = await this.insert(obj, data);
      if (!insertReturnsRow(obj))
        return this.result(nodes, 1, `1 row inserted into ${obj.name}`, row[this.col(obj, obj.pk[0] ?? '')]);
      const keys = Object.fromEntries(obj.pk.map((k) => [k, row[this.col(obj, k)]]));
      const reader = this.builder();
      const sql = reader.rowByKeys(obj, keys, nodes);
      const [out] = await this.run(sql, reader.params.values);
      return jsonText(out?.json) ?? 'null';
    }
    const affected =
      op === 'update'
        ? await this.update(qb, obj, args, fieldRule)
        : await this.delete(qb, obj, args, fieldRule);
    const verb = op === 'update' ? 'updated' : obj.softDelete ? 'marked deleted' : 'deleted';
    return this.result(nodes, affected, `${affected} row${affected === 1 ? '' : 's'} ${verb}`);
  }

  private builder(): QueryBuilder {
    return new QueryBuilder(this.catalog, this.schema, this.scope, this.access, this.dialect);
  }

  /** The caller's input, with every field it sets checked against the caller's field rules. */
  private userData(obj: DataObject, data: unknown): Args {
    const out = (data ?? {}) as Args;
    for (const name of Object.keys(out)) this.access.checkField(obj.name, name);
    return out;
  }

  private col(obj: DataObject, field: string): string {
    const f = obj.fields.get(field);
    return f?.kind === 'scalar' && f.column ? f.column : field;
  }

  /** Inserts one row with its nested relations; returns the row as stored. */
  private async insert(obj: DataObject, input: Args): Promise<Row> {
    // `data-object:insert` applies to every row of the table, nested ones included.
    const data = { ...input, ...this.access.dataOf(this.access.objectRule('insert', obj.name)) };
    const values = new Map<string, unknown>();
    const related: Array<[RelationField, Args[]]> = [];
    for (const [name, value] of Object.entries(data)) {
      if (value === undefined) continue;
      const f = obj.fields.get(name);
      if (!f) throw new EngineError('BAD_USER_INPUT', `${obj.name}: unknown field "${name}"`);
      if (f.kind === 'scalar')
        values.set(
          name,
          f.scalar === 'JSON' && value !== null
            ? JSON.stringify(value)
            : this.dialect.mutation.writeValue(f.scalar, value),
        );
      else if (f.kind === 'struct') values.set(name, value === null ? null : JSON.stringify(value));
      else if (f.direction === 'forward') {
        if (value === null) continue;
        const target = this.catalog.objects.get(f.target)!;
        const parent = await this.insert(target, this.userData(target, value));
        for (const [mine, theirs] of f.on) values.set(mine, parent[this.col(target, theirs)]);
      } else if (value !== null) related.push([f, value as Args[]]);
    }
    const row = await this.insertRow(obj, values);
    for (const [f, items] of related) {
      const target = this.catalog.objects.get(f.target)!;
      for (const item of items) {
        if (f.direction === 'back') {
          const child = { ...this.userData(target, item) };
          for (const [mine, theirs] of f.on) child[theirs] = row[this.col(obj, mine)];
          await this.insert(target, child);
          continue;
        }
        const other = await this.insert(target, this.userData(target, item));
        const junction = this.catalog.objects.get(f.junction!)!;
        const link = new Map<string, unknown>();
        for (const [mine, j] of f.on) link.set(j, row[this.col(obj, mine)]);
        for (const [j, theirs] of f.junctionOn!) link.set(j, other[this.col(target, theirs)]);
        await this.insertRow(junction, link);
      }
    }
    return row;
  }

  /** One INSERT … RETURNING; absent fields take their `@default`. */
  private async insertRow(obj: DataObject, values: Map<string, unknown>): Promise<Row> {
    const sql = this.dialect.mutation;
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const cols: string[] = [];
    const exprs: string[] = [];
    const columns: string[] = [];
    for (const f of obj.fields.values()) {
      if (f.kind === 'relation' || (f.kind === 'scalar' && f.sql)) continue;
      const column = f.column!;
      columns.push(column);
      if (values.has(f.name)) {
        cols.push(quoteIdent(column));
        exprs.push(p(values.get(f.name)));
        continue;
      }
      const d = f.kind === 'scalar' ? f.default : undefined;
      if (!d) continue;
      if (d.value !== undefined)
        exprs.push(p(typeof d.value === 'object' ? JSON.stringify(d.value) : d.value));
      else if (d.sequence) exprs.push(sql.nextval(d.sequence, p));
      else if (d.insertExp) exprs.push(`(${d.insertExp})`);
      else continue;
      cols.push(quoteIdent(column));
    }
    const [out] = await this.run(sql.insert(quoteTable(obj.table!), cols, exprs, columns), params);
    this.written.add(obj.name);
    return JSON.parse(jsonText(out.row)!) as Row;
  }

  private async update(
    qb: QueryBuilder,
    obj: DataObject,
    args: Args,
    fieldRule: AccessRule | undefined,
  ): Promise<number> {
    const alias = qb.alias();
    const sets: string[] = [];
    const objectRule = this.access.objectRule('update', obj.name);
    const data = {
      ...this.userData(obj, args.data),
      ...this.access.dataOf(objectRule),
      ...this.access.dataOf(fieldRule),
    };
    for (const [name, value] of Object.entries(data)) {
      if (value === undefined) continue;
      const f = obj.fields.get(name);
      if (!f || f.kind === 'relation' || (f.kind === 'scalar' && f.sql))
        throw new EngineError('BAD_USER_INPUT', `${obj.name}: "${name}" cannot be updated`);
      const json = f.kind === 'struct' || f.scalar === 'JSON';
      const stored =
        json && value !== null
          ? JSON.stringify(value)
          : f.kind === 'scalar'
            ? this.dialect.mutation.writeValue(f.scalar, value)
            : value;
      sets.push(`${quoteIdent(f.column!)} = ${qb.params.add(stored)}`);
    }
    if (!sets.length)
      throw new EngineError('BAD_USER_INPUT', `update_${obj.queryName}: data has no fields to set`);
    for (const f of obj.fields.values())
      if (f.kind === 'scalar' && f.default?.updateExp && !(f.name in data))
        sets.push(`${quoteIdent(f.column!)} = (${f.default.updateExp})`);
    const where = this.where(qb, obj, alias, args, objectRule, fieldRule);
    this.written.add(obj.name);
    return this.count(
      `UPDATE ${quoteTable(obj.table!)} AS ${alias} SET ${sets.join(', ')}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
      qb.params.values,
    );
  }

  private async delete(
    qb: QueryBuilder,
    obj: DataObject,
    args: Args,
    fieldRule: AccessRule | undefined,
  ): Promise<number> {
    const alias = qb.alias();
    const objectRule = this.access.objectRule('delete', obj.name);
    const where = this.where(qb, obj, alias, args, objectRule, fieldRule);
    this.written.add(obj.name);
    const table = quoteTable(obj.table!);
    if (obj.softDelete) {
      // Already-deleted rows are left alone, so affected_rows counts the rows this call marked.
      const conds = [...where, `(${obj.softDelete.cond})`];
      return this.count(
        `UPDATE ${table} AS ${alias} SET ${obj.softDelete.set} WHERE ${conds.join(' AND ')}`,
        qb.params.values,
      );
    }
    return this.count(
      `${this.dialect.mutation.deleteFrom(table, alias)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
      qb.params.values,
    );
  }

  /** The caller's filter AND the permission filters of the table and of the mutation field. */
  private where(
    qb: QueryBuilder,
    obj: DataObject,
    alias: string,
    args: Args,
    objectRule: AccessRule | undefined,
    fieldRule: AccessRule | undefined,
  ): string[] {
    return [
      ...qb.filterList(obj, alias, args.filter),
      ...qb.trustedFilter(obj, alias, this.access.filterOf(objectRule)),
      ...qb.trustedFilter(obj, alias, this.access.filterOf(fieldRule)),
    ];
  }

  /** Runs an UPDATE/DELETE; answers its affected row count. */
  private async count(sql: string, params: readonly unknown[]): Promise<number> {
    const m = this.dialect.mutation;
    return m.affected(await this.run(m.counted(sql), params));
  }

  /** `OperationResult` with the selected fields only, keys in selection order. */
  private result(nodes: readonly FieldNode[], affected: number, message: string, lastId?: unknown): string {
    const value = {
      success: true,
      affected_rows: affected,
      last_id: typeof lastId === 'number' ? lastId : null,
      message,
    };
    return JSON.stringify(project(this.schema, this.scope, value, 'OperationResult', nodes));
  }
}
