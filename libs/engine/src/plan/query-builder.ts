import { type FieldNode, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type {
  CompiledCatalog,
  DataObject,
  FunctionDef,
  ObjectField,
  RelationField,
  ScalarField,
  ScalarName,
  StructType,
} from '../catalog/model.js';
import { TIME_SCALARS } from '../schema/build-schema.js';
import { EngineError } from '../errors.js';
import { type FieldGroups, type SelectionScope, argumentsOf, subFields } from './selection.js';
import { Params, catalogLiteral, quoteIdent, quoteTable } from './sql.js';
import { type Dialect, postgresDialect, refusal } from './dialect.js';
import { AggregateBuilder } from './aggregate-builder.js';
import { Access, PERMISSION_FILTER } from './access.js';

export type Args = Record<string, unknown>;

interface OrderTerm {
  expr: string;
  desc: boolean;
}

/** Builds the one SQL statement of a root field. PostgreSQL builds the JSON; values are bind parameters. */
export class QueryBuilder {
  readonly params = new Params();
  /** Objects the statement reads (cache tags of its result). */
  readonly read = new Set<string>();
  private aliasSeq = 0;
  private cteSeq = 0;
  private aggregateBuilder: AggregateBuilder | undefined;
  /** >0 while building a permission filter: its fields are not checked against the caller's rules. */
  private trusted = 0;
  /** Objects whose permission filter is being built (a filter through relations back to them stops there). */
  private readonly filtering = new Set<string>();

  constructor(
    private readonly catalog: CompiledCatalog,
    private readonly schema: GraphQLSchema,
    private readonly scope: SelectionScope,
    readonly access: Access = Access.open,
    /** The SQL dialect of the root field's data source. */
    readonly dialect: Dialect = postgresDialect,
  ) {}

  /**
   * The arguments of a root field with the permission filter of its rule (`<parent>.<field>`),
   * which `selectRows` ANDs in as a trusted condition.
   */
  rootArgs(parentType: string, node: FieldNode): Args {
    const args = this.argsOf(parentType, node);
    const filter = this.access.filterOf(this.access.rule(parentType, node.name.value));
    return filter ? { ...args, [PERMISSION_FILTER]: filter } : args;
  }

  /** Refuses a field the caller's rules disable. */
  checkField(typeName: string, fieldName: string): void {
    if (!this.trusted) this.access.checkField(typeName, fieldName);
  }

  /** A permission filter as conditions: its fields are the rule's, not the caller's, so not checked. */
  trustedFilter(obj: DataObject, alias: string, filter: unknown): string[] {
    if (!filter) return [];
    this.trusted++;
    try {
      return this.filterList(obj, alias, filter);
    } finally {
      this.trusted--;
    }
  }

  /** `[obj]` root list: the whole JSON array as one text value. */
  rootList(obj: DataObject, node: FieldNode, nodes: readonly FieldNode[], parentType: string): string {
    const args = this.rootArgs(parentType, node);
    const alias = this.alias();
    const groups = this.fields(obj, nodes);
    if (!this.dialect.correlatedDerived)
      return `SELECT ${this.flatList(obj, alias, args, groups, [], undefined, true)}`;
    const rows = this.listRows(obj, alias, args, groups, []);
    return `SELECT ${this.dialect.text(this.dialect.arrayAgg('_q', 'j'))} FROM ${this.dialect.orderedRows(rows, '_q')}`;
  }

  /** `_by_pk` / `_by_<unique>`: one object or no row (null). */
  rootOne(
    obj: DataObject,
    keys: string[],
    node: FieldNode,
    nodes: readonly FieldNode[],
    parentType: string,
  ): string {
    const args = this.rootArgs(parentType, node);
    const alias = this.alias();
    const conds = keys.map((k) => `${this.column(obj, alias, k)} = ${this.params.add(args[k])}`);
    conds.push(...this.trustedFilter(obj, alias, args[PERMISSION_FILTER]));
    const json = this.rowJson(obj, alias, this.fields(obj, nodes));
    return `SELECT ${this.dialect.text(`(${json})`)} FROM ${this.from(obj, alias, args.args as Args | undefined)} WHERE ${conds.join(' AND ')} LIMIT 1`;
  }

  /**
   * `@function` call: a database function called with the arguments in declared order, or the
   * catalog's SQL with `[$arg]` placeholders. Scalars come back as JSON values, table types as rows.
   */
  rootFunction(fn: FunctionDef, nodes: readonly FieldNode[], parentType: string): string {
    if (this.dialect.unsupported.has('functions')) throw refusal(this.dialect, 'functions', fn.source);
    const args = this.argsOf(parentType, nodes[0]);
    const from = fn.sql
      ? `(${fn.sql.replace(/\[\$([A-Za-z_][A-Za-z0-9_]*)\]/g, (_m, name: string) => this.params.add(args[name] ?? null))})`
      : `${quoteTable(fn.sqlName!)}(${fn.args.map((a) => this.params.add(args[a.name] ?? null)).join(', ')})`;
    const { kind, list, typeName } = fn.returns;
    if (kind === 'scalar') {
      if (list) return `SELECT ${this.dialect.valuesAgg('_f', 'v')}::text FROM ${from} AS _f(v)`;
      return `SELECT to_json(${fn.sql ? from : this.format(typeName as ScalarName, from)})::text`;
    }
    if (kind === 'struct') {
      const struct = this.catalog.structs.get(typeName)!;
      const base = this.dialect.recordsJson(from, '_f', list);
      return `SELECT (${this.structJson(struct, base, list, nodes)})::text`;
    }
    const obj = this.catalog.objects.get(typeName)!;
    const alias = this.alias();
    const json = this.rowJson(obj, alias, this.fields(obj, nodes));
    if (!list) return `SELECT (${json})::text FROM ${from} AS ${alias} LIMIT 1`;
    return `SELECT ${this.dialect.arrayAgg('_q', 'j')}::text FROM ${this.dialect.orderedRows(`SELECT ${json} AS j FROM ${from} AS ${alias}`, '_q')}`;
  }

  /** One row by field values (read back after an insert, in the same transaction). */
  rowByKeys(obj: DataObject, keys: Record<string, unknown>, nodes: readonly FieldNode[]): string {
    const alias = this.alias();
    const conds = Object.entries(keys).map(
      ([k, v]) => `${this.column(obj, alias, k)} = ${this.params.add(v)}`,
    );
    const json = this.rowJson(obj, alias, this.fields(obj, nodes));
    return `SELECT ${this.dialect.text(`(${json})`)} AS json FROM ${this.from(obj, alias)} WHERE ${conds.join(' AND ')} LIMIT 1`;
  }

  alias(): string {
    return `t${++this.aliasSeq}`;
  }

  catalogObject(name: string): DataObject {
    return this.catalog.objects.get(name)!;
  }

  private get aggregates(): AggregateBuilder {
    return (this.aggregateBuilder ??= new AggregateBuilder(this, this.scope));
  }

  /** Root `<obj>_aggregation` / `<obj>_bucket_aggregation`: one JSON text value. */
  rootAggregate(obj: DataObject, nodes: readonly FieldNode[], parentType: string, bucket: boolean): string {
    const args = this.rootArgs(parentType, nodes[0]);
    const rows = this.aggregates.rows(obj, nodes[0], args, bucket);
    const json = bucket
      ? this.aggregates.buckets(obj, rows, nodes, args)
      : this.aggregates.single(obj, rows, nodes);
    return `SELECT ${this.dialect.text(json)}`;
  }

  cteName(): string {
    return `_s${++this.cteSeq}`;
  }

  argsOf(typeName: string, node: FieldNode): Args {
    return argumentsOf(this.schema, typeName, node, this.scope.variables);
  }

  fields(obj: DataObject | StructType, nodes: readonly FieldNode[]): FieldGroups {
    return subFields(this.scope, obj.name, nodes);
  }

  /**
   * The rows of an object under `alias`. Every read of a table goes through here, so the
   * `data-object:query` permission (disabled, filter) applies on every path: lists, by-key,
   * aggregations, relations in both directions, filters and order paths through relations.
   */
  from(obj: DataObject, alias: string, viewArgs?: Args | null): string {
    this.read.add(obj.name);
    const base = this.baseFrom(obj, alias, viewArgs);
    if (!this.access.active || this.filtering.has(obj.name)) return base;
    const filter = this.access.filterOf(this.access.objectRule('query', obj.name));
    if (!filter) return base;
    const inner = this.alias();
    this.filtering.add(obj.name);
    try {
      const conds = this.trustedFilter(obj, inner, filter);
      if (!conds.length) return base;
      return `(SELECT ${inner}.* FROM ${this.baseFrom(obj, inner, viewArgs)} WHERE ${conds.join(' AND ')}) AS ${alias}`;
    } finally {
      this.filtering.delete(obj.name);
    }
  }

  private baseFrom(obj: DataObject, alias: string, viewArgs?: Args | null): string {
    if (obj.table && !obj.sql) return `${quoteTable(obj.table)} AS ${alias}`;
    if (obj.args?.required && !viewArgs)
      throw new EngineError('BAD_USER_INPUT', `${obj.name} is a parameterised view: pass args`);
    const sql = (obj.sql ?? '').replace(
      /\[(\$?)([A-Za-z_][A-Za-z0-9_.]*)\]/g,
      (_m, dollar: string, name: string) =>
        dollar ? this.params.add(viewArgs?.[name] ?? null) : quoteTable(name),
    );
    return `(${sql}) AS ${alias}`;
  }

  /** SQL expression of a scalar field (a column or an `@sql` expression over other fields). */
  column(obj: DataObject, alias: string, name: string, seen: Set<string> = new Set()): string {
    const f = obj.fields.get(name);
    if (!f || f.kind !== 'scalar')
      throw new EngineError('BAD_USER_INPUT', `unknown field "${name}" of ${obj.name}`);
    if (!f.sql) return `${alias}.${quoteIdent(f.column!)}`;
    if (seen.has(name))
      throw new EngineError('BAD_USER_INPUT', `@sql of ${obj.name}.${name} refers to itself`);
    seen.add(name);
    const expr = f.sql.replace(/\[([A-Za-z_][A-Za-z0-9_]*)\]/g, (_m, ref: string) => {
      const target = obj.fields.get(ref);
      return target?.kind === 'scalar' ? this.column(obj, alias, ref, seen) : `${alias}.${quoteIdent(ref)}`;
    });
    seen.delete(name);
    return `(${expr})`;
  }

  output(f: ScalarField, expr: string): string {
    return f.list ? expr : this.format(f.scalar, expr);
  }

  /**
   * A scalar field's value with its time arguments applied: `field(bucket:, bucket_interval:)`
   * truncates, `_field_part(extract:, extract_divide:)` extracts (a BigInt).
   */
  scalarValue(
    obj: DataObject,
    alias: string,
    node: FieldNode,
  ): { expr: string; scalar: ScalarName; part: boolean } {
    const name = node.name.value;
    const part = /^_(.+)_part$/.exec(name);
    const base = obj.fields.get(part ? part[1] : name);
    if (!base || base.kind !== 'scalar')
      throw new EngineError('BAD_USER_INPUT', `unknown field "${name}" of ${obj.name}`);
    if (part) this.checkField(obj.name, base.name);
    const expr = this.column(obj, alias, base.name);
    const args = node.arguments?.length ? this.argsOf(this.typeOfNode(obj, node), node) : {};
    if (part) {
      let e = this.dialect.extract(String(args.extract), expr, (v) => this.params.add(v));
      if (args.extract_divide != null) e = this.dialect.intDiv(e, this.params.add(args.extract_divide));
      return { expr: e, scalar: 'BigInt', part: true };
    }
    let e = expr;
    const add = (v: unknown) => this.params.add(v);
    if (args.bucket_interval != null) e = this.dialect.dateBin(args.bucket_interval, expr, add);
    else if (args.bucket != null) e = this.dialect.truncate(String(args.bucket), expr, add);
    if (e !== expr && base.scalar === 'Date') e = this.dialect.toDate(e);
    return { expr: e, scalar: base.scalar, part: false };
  }

  /** The GraphQL type whose field `node` is (object or its aggregation type). */
  private typeOfNode(obj: DataObject, node: FieldNode): string {
    const type = this.schema.getType(obj.name) as GraphQLObjectType;
    return type.getFields()[node.name.value] ? obj.name : `_${obj.name}_aggregation`;
  }

  /** Wire format of a scalar value built by PostgreSQL (Timestamp in UTC with `Z`). */
  format(scalar: ScalarName, expr: string): string {
    switch (scalar) {
      case 'Timestamp':
        return this.dialect.timestamp(expr);
      case 'DateTime':
        return this.dialect.dateTime(expr);
      case 'JSON':
        return this.dialect.json(expr);
      case 'Boolean':
        return this.dialect.boolean(expr);
      default:
        return expr;
    }
  }

  /** The JSON object of one row, keys in selection order. */
  rowJson(obj: DataObject, alias: string, groups: FieldGroups): string {
    const pairs: Array<[string, string]> = [];
    for (const [key, nodes] of groups) {
      const name = nodes[0].name.value;
      if (name === '__typename') {
        pairs.push([key, catalogLiteral(obj.name)]);
        continue;
      }
      this.checkField(obj.name, name);
      const f = obj.fields.get(name);
      const agg = f ? undefined : /^(.+?)(_bucket)?_aggregation$/.exec(name);
      const rel = agg ? obj.fields.get(agg[1]) : undefined;
      if (agg && rel?.kind === 'relation') {
        pairs.push([key, this.relationAggregation(obj, alias, rel, nodes, !!agg[2])]);
        continue;
      }
      if (!f || (f.kind === 'scalar' && TIME_SCALARS.has(f.scalar) && !f.list)) {
        const value = this.scalarValue(obj, alias, nodes[0]);
        pairs.push([key, value.part ? value.expr : this.format(value.scalar, value.expr)]);
        continue;
      }
      pairs.push([key, this.fieldExpr(obj, alias, f, nodes)]);
    }
    return this.dialect.object(pairs);
  }

  private fieldExpr(obj: DataObject, alias: string, f: ObjectField, nodes: readonly FieldNode[]): string {
    switch (f.kind) {
      case 'scalar':
        return this.output(f, this.column(obj, alias, f.name));
      case 'struct': {
        const struct = this.catalog.structs.get(f.typeName)!;
        return this.structJson(struct, `${alias}.${quoteIdent(f.column)}`, f.list, nodes);
      }
      case 'relation':
        return this.relationExpr(obj, alias, f, nodes);
    }
  }

  /** A structured (non-table) field: built from the JSON stored in the column. */
  structJson(struct: StructType, base: string, list: boolean, nodes: readonly FieldNode[]): string {
    const groups = this.fields(struct, nodes);
    const element = list ? '_e.v' : this.dialect.jsonValue(base);
    const pairs: Array<[string, string]> = [];
    for (const [key, group] of groups) {
      const name = group[0].name.value;
      if (name === '__typename') {
        pairs.push([key, catalogLiteral(struct.name)]);
        continue;
      }
      const sf = struct.fields.get(name)!;
      const inner = this.catalog.structs.get(sf.typeName);
      const value = this.dialect.jsonGet(element, name);
      pairs.push([key, inner ? this.structJson(inner, value, sf.list, group) : value]);
    }
    const obj = this.dialect.object(pairs);
    if (list) return this.dialect.eachElement(base, obj);
    return `CASE WHEN ${this.dialect.isObject(element)} THEN ${obj} END`;
  }

  /** Join condition of a relation from `alias` (of obj) to `target` rows under `talias`. */
  joinCond(
    obj: DataObject,
    alias: string,
    f: RelationField,
    talias: string,
  ): { from: string; where: string } {
    const target = this.catalog.objects.get(f.target)!;
    if (f.direction !== 'm2m') {
      const where = f.on
        .map(([a, b]) => `${this.column(target, talias, b)} = ${this.column(obj, alias, a)}`)
        .join(' AND ');
      return { from: this.from(target, talias), where };
    }
    const junction = this.catalog.objects.get(f.junction!)!;
    const jalias = this.alias();
    const joinOn = f.junctionOn!.map(
      ([j, t]) => `${this.column(target, talias, t)} = ${this.column(junction, jalias, j)}`,
    );
    const where = f.on.map(([a, j]) => `${this.column(junction, jalias, j)} = ${this.column(obj, alias, a)}`);
    return {
      from: `${this.from(target, talias)} JOIN ${this.from(junction, jalias)} ON ${joinOn.join(' AND ')}`,
      where: where.join(' AND '),
    };
  }

  private relationExpr(
    obj: DataObject,
    alias: string,
    f: RelationField,
    nodes: readonly FieldNode[],
  ): string {
    const target = this.catalog.objects.get(f.target)!;
    const args = this.argsOf(obj.name, nodes[0]);
    const talias = this.alias();
    const join = this.joinCond(obj, alias, f, talias);
    const groups = this.fields(target, nodes);
    if (f.direction === 'forward')
      return `(SELECT ${this.rowJson(target, talias, groups)} FROM ${join.from} WHERE ${join.where} LIMIT 1)`;
    if (!this.dialect.correlatedDerived)
      return `(SELECT ${this.flatList(target, talias, args, groups, [join.where], join.from, false)})`;
    const rows = this.listRows(target, talias, args, groups, [join.where], join.from);
    return `(SELECT ${this.dialect.arrayAgg('_q', 'j')} FROM ${this.dialect.orderedRows(rows, '_q')})`;
  }

  /** `<rel>_aggregation` / `<rel>_bucket_aggregation` on a row: over that row's related rows. */
  private relationAggregation(
    obj: DataObject,
    alias: string,
    f: RelationField,
    nodes: readonly FieldNode[],
    bucket: boolean,
  ): string {
    const target = this.catalog.objects.get(f.target)!;
    const args = this.argsOf(obj.name, nodes[0]);
    const rows = this.aggregates.rows(target, nodes[0], args, bucket, (t) => this.joinCond(obj, alias, f, t));
    return bucket
      ? this.aggregates.buckets(target, rows, nodes, args)
      : this.aggregates.single(target, rows, nodes);
  }

  /** Conditions that `inner: true` relations put on their parent rows. */
  innerConds(obj: DataObject, alias: string, groups: FieldGroups): string[] {
    const conds: string[] = [];
    for (const nodes of groups.values()) {
      const f = obj.fields.get(nodes[0].name.value);
      if (f?.kind !== 'relation') continue;
      const args = this.argsOf(obj.name, nodes[0]);
      if (args.inner !== true) continue;
      const target = this.catalog.objects.get(f.target)!;
      const talias = this.alias();
      const join = this.joinCond(obj, alias, f, talias);
      const filter = f.direction === 'forward' ? [] : this.filterList(target, talias, args.filter);
      conds.push(`EXISTS (SELECT 1 FROM ${join.from} WHERE ${[join.where, ...filter].join(' AND ')})`);
    }
    return conds;
  }

  /** Rows `(j json)` of a list: filter, order, distinct, paging, then per-parent nested paging. */
  listRows(
    obj: DataObject,
    alias: string,
    args: Args,
    groups: FieldGroups,
    extraWhere: string[],
    from?: string,
  ): string {
    const nested = this.nestedOf(obj, args);
    const where = [...extraWhere, ...this.innerConds(obj, alias, groups)];
    // Page first, then build JSON for the rows kept only (the projection has subqueries).
    const rows = this.selectRows(obj, alias, args, `${alias}.*`, where, from);
    return nested.wrap(
      `SELECT ${this.rowJson(obj, alias, groups)} AS j${nested.columns(alias)} FROM (${rows}) AS ${alias}`,
    );
  }

  /**
   * `SELECT <select> FROM <obj rows>` with the list arguments applied: filter, distinct_on,
   * order_by, limit, offset (`paging: false` leaves limit/offset out).
   */
  selectRows(
    obj: DataObject,
    alias: string,
    args: Args,
    select: string,
    extraWhere: string[],
    from?: string,
    paging = true,
  ): string {
    const where = [
      ...extraWhere,
      ...this.filterList(obj, alias, args.filter),
      ...this.trustedFilter(obj, alias, args[PERMISSION_FILTER]),
    ];
    const order = this.orderTerms(obj, alias, args.order_by);
    const limit = paging ? this.paging('limit', args.limit) : undefined;
    const offset = paging ? this.paging('offset', args.offset) : undefined;
    const distinct = this.distinctOn(obj, alias, args.distinct_on);
    const fromSql = from ?? this.from(obj, alias, args.args as Args | undefined);
    const whereSql = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const tail = this.dialect.tail(limit, offset);
    const orderSqlText = (terms: OrderTerm[]) =>
      terms.length ? ` ORDER BY ${terms.map((t) => this.orderSql(t)).join(', ')}` : '';
    if (!distinct.length) return `SELECT ${select} FROM ${fromSql}${whereSql}${orderSqlText(order)}${tail}`;
    if (!this.dialect.correlatedDerived) {
      // No DISTINCT ON: the first row per key by the order, numbered by a window.
      const inner = `SELECT ${alias}.*, ROW_NUMBER() OVER (PARTITION BY ${distinct.join(', ')}${orderSqlText(order)}) AS _dn FROM ${fromSql}${whereSql}`;
      return `SELECT ${select} FROM (${inner}) AS ${alias} WHERE ${alias}._dn = 1${orderSqlText(this.orderTerms(obj, alias, args.order_by))}${tail}`;
    }
    // DISTINCT ON keeps the first row per key by the order; the result is then ordered as asked.
    const inner = `SELECT DISTINCT ON (${distinct.join(', ')}) ${alias}.* FROM ${fromSql}${whereSql} ORDER BY ${[
      ...distinct,
      ...order.map((t) => this.orderSql(t)),
    ].join(', ')}`;
    return `SELECT ${select} FROM (${inner}) AS ${alias}${orderSqlText(this.orderTerms(obj, alias, args.order_by))}${tail}`;
  }

  orderSql(t: OrderTerm): string {
    return this.dialect.orderTerm(t.expr, t.desc);
  }

  /** A feature this source's dialect does not serve, refused before anything is sent. */
  refuse(feature: string, obj: DataObject): EngineError {
    return refusal(this.dialect, feature, obj.source);
  }

  /**
   * A list as one JSON array for dialects without correlated derived tables (MariaDB): the JSON
   * is aggregated in order with the paging inside the aggregate (`JSON_ARRAYAGG(… ORDER BY …
   * LIMIT …)`). A root list pages its rows in a derived table first (it is not correlated), so
   * JSON is built for the kept rows only.
   */
  flatList(
    obj: DataObject,
    alias: string,
    args: Args,
    groups: FieldGroups,
    extraWhere: string[],
    from: string | undefined,
    root: boolean,
  ): string {
    const specs = args.nested_order_by ? this.orderSpecs(obj, args.nested_order_by) : [];
    const nestedLimit = this.paging('nested_limit', args.nested_limit);
    const nestedOffset = this.paging('nested_offset', args.nested_offset);
    const nested = specs.length > 0 || nestedLimit !== undefined || !!nestedOffset;
    const where = [...extraWhere, ...this.innerConds(obj, alias, groups)];
    const json = (order: OrderTerm[], tail: string, src: string) =>
      `JSON_EXTRACT(coalesce(JSON_ARRAYAGG(${this.rowJson(obj, alias, groups)}${
        order.length ? ` ORDER BY ${order.map((t) => this.orderSql(t)).join(', ')}` : ''
      }${tail}), '[]'), '$') FROM ${src}`;
    const nestedOrder = () =>
      specs.map((t) => ({ expr: this.orderPathExpr(obj, alias, t.path), desc: t.desc }));
    if (root) {
      const rows = this.selectRows(obj, alias, args, `${alias}.*`, where, from);
      const order = nested ? nestedOrder() : this.orderTerms(obj, alias, args.order_by);
      return json(order, nested ? this.dialect.tail(nestedLimit, nestedOffset) : '', `(${rows}) AS ${alias}`);
    }
    if (nested) throw this.refuse('nested_order_by/nested_limit/nested_offset in relation lists', obj);
    if (this.distinctOn(obj, alias, args.distinct_on).length)
      throw this.refuse('distinct_on in relation lists', obj);
    const conds = [
      ...where,
      ...this.filterList(obj, alias, args.filter),
      ...this.trustedFilter(obj, alias, args[PERMISSION_FILTER]),
    ];
    const tail = this.dialect.tail(this.paging('limit', args.limit), this.paging('offset', args.offset));
    const src = `${from ?? this.from(obj, alias, args.args as Args | undefined)}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}`;
    return json(this.orderTerms(obj, alias, args.order_by), tail, src);
  }

  nestedOf(obj: DataObject, args: Args) {
    const terms = args.nested_order_by ? this.orderSpecs(obj, args.nested_order_by) : [];
    const limit = this.paging('nested_limit', args.nested_limit);
    const offset = this.paging('nested_offset', args.nested_offset);
    const active = terms.length > 0 || limit !== undefined || !!offset;
    return {
      columns: (alias: string) =>
        active ? terms.map((t, i) => `, ${this.orderPathExpr(obj, alias, t.path)} AS _n${i}`).join('') : '',
      wrap: (core: string) => {
        if (!active) return core;
        const order = terms.map((t, i) => this.dialect.orderTerm(`_n${i}`, t.desc));
        return `SELECT _p.j FROM (${core}) AS _p${order.length ? ` ORDER BY ${order.join(', ')}` : ''}${this.dialect.tail(
          limit,
          offset,
        )}`;
      },
    };
  }

  paging(name: string, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw new EngineError('BAD_USER_INPUT', `${name} must be a non-negative integer`);
    return this.dialect.paging(value, (v) => this.params.add(v));
  }

  distinctOn(obj: DataObject, alias: string, value: unknown): string[] {
    if (!Array.isArray(value)) return [];
    return value
      .filter((v): v is string => typeof v === 'string')
      .map((name) => {
        this.checkField(obj.name, name);
        if (obj.fields.get(name)?.kind !== 'scalar')
          throw new EngineError(
            'BAD_USER_INPUT',
            `distinct_on: "${name}" is not a scalar field of ${obj.name}`,
          );
        return this.column(obj, alias, name);
      });
  }

  orderSpecs(obj: DataObject, value: unknown): Array<{ path: string[]; desc: boolean }> {
    if (!Array.isArray(value)) return [];
    return value
      .filter((v): v is { field: string; direction?: string } => !!v && typeof v === 'object')
      .map((v) => {
        const path = String(v.field).split('.');
        this.checkOrderPath(obj, path, String(v.field));
        return { path, desc: v.direction === 'DESC' };
      });
  }

  private checkOrderPath(obj: DataObject, path: string[], full: string): void {
    let cur = obj;
    for (let i = 0; i < path.length; i++) {
      this.checkField(cur.name, path[i]);
      const f = cur.fields.get(path[i]);
      const last = i === path.length - 1;
      if (last && f?.kind === 'scalar') return;
      if (!last && f?.kind === 'relation' && f.direction === 'forward') {
        cur = this.catalog.objects.get(f.target)!;
        continue;
      }
      throw new EngineError(
        'BAD_USER_INPUT',
        `order_by: "${full}" is not a scalar field of ${obj.name} or a path through its forward relations`,
      );
    }
  }

  orderTerms(obj: DataObject, alias: string, value: unknown): OrderTerm[] {
    return this.orderSpecs(obj, value).map((s) => ({
      expr: this.orderPathExpr(obj, alias, s.path),
      desc: s.desc,
    }));
  }

  /** A scalar at the end of a dotted path through forward relations, as a scalar subquery. */
  orderPathExpr(obj: DataObject, alias: string, path: string[]): string {
    if (path.length === 1) return this.column(obj, alias, path[0]);
    const f = obj.fields.get(path[0]) as RelationField;
    const target = this.catalog.objects.get(f.target)!;
    const talias = this.alias();
    const join = this.joinCond(obj, alias, f, talias);
    return `(SELECT ${this.orderPathExpr(target, talias, path.slice(1))} FROM ${join.from} WHERE ${join.where} LIMIT 1)`;
  }

  // ---- filters ----

  /** The filter as a list of AND-ed conditions (empty = no condition). */
  filterList(obj: DataObject, alias: string, filter: unknown): string[] {
    if (!filter || typeof filter !== 'object') return [];
    const conds: string[] = [];
    for (const [key, value] of Object.entries(filter as Args)) {
      if (value === undefined || value === null) continue;
      if (key === '_and' || key === '_or') {
        const parts = (value as unknown[])
          .map((v) => this.filterExpr(obj, alias, v))
          .filter((p) => p !== 'TRUE');
        if (parts.length) conds.push(`(${parts.join(key === '_and' ? ' AND ' : ' OR ')})`);
        continue;
      }
      if (key === '_not') {
        conds.push(`NOT ${this.filterExpr(obj, alias, value)}`);
        continue;
      }
      const f = obj.fields.get(key);
      if (!f) throw new EngineError('BAD_USER_INPUT', `filter: unknown field "${key}" of ${obj.name}`);
      this.checkField(obj.name, key);
      if (f.kind === 'scalar') conds.push(...this.scalarOps(f, this.column(obj, alias, key), value as Args));
      else if (f.kind === 'relation') conds.push(...this.relationFilter(obj, alias, f, value as Args));
      // Never ignore a condition (a permission filter is not validated by GraphQL).
      else throw new EngineError('BAD_USER_INPUT', `filter: "${key}" of ${obj.name} is a structured field`);
    }
    return conds;
  }

  private filterExpr(obj: DataObject, alias: string, filter: unknown): string {
    const conds = this.filterList(obj, alias, filter);
    return conds.length ? `(${conds.join(' AND ')})` : 'TRUE';
  }

  private scalarOps(f: ScalarField, expr: string, ops: Args): string[] {
    const conds: string[] = [];
    for (const [op, value] of Object.entries(ops)) {
      if (value === undefined) continue;
      if (op === 'is_null') {
        if (value !== null) conds.push(`${expr} IS ${value ? '' : 'NOT '}NULL`);
        continue;
      }
      if (value === null) continue;
      const v =
        f.scalar !== 'Timestamp'
          ? value
          : Array.isArray(value)
            ? value.map((x) => this.dialect.timeValue(x))
            : this.dialect.timeValue(value);
      conds.push(
        f.list
          ? this.listOp(expr, op, v)
          : f.scalar === 'JSON'
            ? this.jsonOp(expr, op, v)
            : this.valueOp(expr, op, v),
      );
    }
    return conds;
  }

  private valueOp(expr: string, op: string, value: unknown): string {
    const p = () => this.params.add(value);
    switch (op) {
      case 'eq':
        return `${expr} = ${p()}`;
      case 'ne':
        return `${expr} <> ${p()}`;
      case 'gt':
        return `${expr} > ${p()}`;
      case 'gte':
        return `${expr} >= ${p()}`;
      case 'lt':
        return `${expr} < ${p()}`;
      case 'lte':
        return `${expr} <= ${p()}`;
      case 'in':
        return this.dialect.inList(expr, value as unknown[], (v) => this.params.add(v));
      case 'like':
        return this.dialect.like(expr, p(), false);
      case 'ilike':
        return this.dialect.like(expr, p(), true);
      case 'regex':
        return this.dialect.regex(expr, p());
      default:
        throw new EngineError('BAD_USER_INPUT', `unknown filter operator "${op}"`);
    }
  }

  private jsonOp(expr: string, op: string, value: unknown): string {
    if (op !== 'eq' && op !== 'contains' && op !== 'has' && op !== 'has_all')
      throw new EngineError('BAD_USER_INPUT', `unknown JSON filter operator "${op}"`);
    return this.dialect.jsonOp(expr, op, value, (v) => this.params.add(v));
  }

  private listOp(expr: string, op: string, value: unknown): string {
    if (op !== 'eq' && op !== 'contains' && op !== 'intersects')
      throw new EngineError('BAD_USER_INPUT', `unknown list filter operator "${op}"`);
    return this.dialect.listOp(expr, op, value, (v) => this.params.add(v));
  }

  private relationFilter(obj: DataObject, alias: string, f: RelationField, value: Args): string[] {
    const target = this.catalog.objects.get(f.target)!;
    /** EXISTS over the related rows of this row that satisfy `cond` (built against the target alias). */
    const exists = (cond: (talias: string) => string[]) => {
      const talias = this.alias();
      const join = this.joinCond(obj, alias, f, talias);
      return `EXISTS (SELECT 1 FROM ${join.from} WHERE ${[join.where, ...cond(talias)].join(' AND ')})`;
    };
    if (f.direction === 'forward') return [exists((t) => this.filterList(target, t, value))];
    const conds: string[] = [];
    for (const [op, sub] of Object.entries(value)) {
      if (sub === undefined || sub === null) continue;
      const match = (t: string) => this.filterExpr(target, t, sub);
      if (op === 'any_of') conds.push(exists((t) => [match(t)]));
      else if (op === 'none_of') conds.push(`NOT ${exists((t) => [match(t)])}`);
      // all_of: no related row fails the condition (a NULL result counts as failing).
      else if (op === 'all_of') conds.push(`NOT ${exists((t) => [`NOT coalesce(${match(t)}, false)`])}`);
      else throw new EngineError('BAD_USER_INPUT', `unknown relation filter operator "${op}"`);
    }
    return conds;
  }
}
