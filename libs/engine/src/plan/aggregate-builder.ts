import type { FieldNode } from 'graphql';
import type { DataObject, RelationField, ScalarName } from '../catalog/model.js';
import { EngineError } from '../errors.js';
import type { Args, QueryBuilder } from './query-builder.js';
import type { FieldGroups, SelectionScope } from './selection.js';
import { subFields } from './selection.js';
import { PERMISSION_FILTER } from './access.js';
import { catalogLiteral } from './sql.js';
import type { JsonPathResult } from './dialect.js';

/** What aggregates are computed over: rows under `alias`, joins added for forward relations. */
interface AggContext {
  /** Extra FROM items (LEFT JOIN LATERAL for forward relations aggregated over). */
  joins: string[];
  /** `FILTER (WHERE …)` condition of the bucket's `aggregations(filter:)`. */
  filter?: string;
}

/**
 * The rows an aggregation reads: a statement (read as a CTE or derived table), or, for dialects
 * without correlated derived tables, the FROM and WHERE of a relation's rows read in place.
 */
export interface AggRows {
  alias: string;
  sql: string;
  inline?: { from: string; where: string };
}

const SIMPLE_FUNCTIONS = new Set(['count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or']);

/**
 * Aggregations (`<obj>_aggregation`, `<obj>_bucket_aggregation`, and their relation twins) as part
 * of the root field's one statement: the rows to aggregate are a CTE, the JSON is built by
 * PostgreSQL with aggregate functions, GROUP BY for buckets.
 */
export class AggregateBuilder {
  constructor(
    private readonly qb: QueryBuilder,
    private readonly scope: SelectionScope,
  ) {}

  /** An aggregation over `rowsSql` (rows of `obj`), as a scalar JSON expression. */
  single(obj: DataObject, rows: AggRows, nodes: readonly FieldNode[]): string {
    const d = this.qb.dialect;
    const fieldsOf = () => subFields(this.scope, `_${obj.name}_aggregation`, nodes);
    if (rows.inline) {
      const ctx: AggContext = { joins: [] };
      const json = this.aggObject(obj, rows.alias, undefined, fieldsOf(), ctx);
      return `(SELECT ${json} FROM ${rows.inline.from}${ctx.joins.join('')} WHERE ${rows.inline.where}${d.groupAll})`;
    }
    if (!d.correlatedDerived) {
      // A derived table (uncorrelated here), which nested aggregations may read again by its text.
      const alias = this.qb.alias();
      const ctx: AggContext = { joins: [] };
      const json = this.aggObject(obj, alias, `(${rows.sql})`, fieldsOf(), ctx);
      return `(SELECT ${json} FROM (${rows.sql}) AS ${alias}${ctx.joins.join('')}${d.groupAll})`;
    }
    const rowsSql = rows.sql;
    const cte = this.qb.cteName();
    const alias = this.qb.alias();
    const ctx: AggContext = { joins: [] };
    const json = this.aggObject(
      obj,
      alias,
      cte,
      subFields(this.scope, `_${obj.name}_aggregation`, nodes),
      ctx,
    );
    // GROUP BY (): always one row, even when only sub-aggregations (subqueries) are selected.
    return `(WITH ${cte} AS (${rowsSql}) SELECT ${json} FROM ${cte} AS ${alias}${ctx.joins.join('')}${d.groupAll})`;
  }

  /** A bucket aggregation over `rowsSql`: one `{key, aggregations}` per group, as a JSON array. */
  buckets(obj: DataObject, aggRows: AggRows, nodes: readonly FieldNode[], args: Args): string {
    const d = this.qb.dialect;
    if (aggRows.inline) throw this.qb.refuse('bucket aggregations of relations', obj);
    const rowsSql = aggRows.sql;
    const flat = !d.correlatedDerived;
    const cte = flat ? `(${rowsSql})` : this.qb.cteName();
    const alias = this.qb.alias();
    const ctx: AggContext = { joins: [] };
    const bucketType = `_${obj.name}_aggregation_bucket`;
    const keys: Array<{ path: string[]; expr: string }> = [];
    const pairs: Array<[string, string]> = [];
    for (const [key, group] of subFields(this.scope, bucketType, nodes)) {
      const name = group[0].name.value;
      if (name === '__typename') pairs.push([key, catalogLiteral(bucketType)]);
      else if (name === 'key') pairs.push([key, this.keyObject(obj, alias, group, ctx, [], keys)]);
      else {
        const aggArgs = this.qb.argsOf(bucketType, group[0]);
        const filter = this.qb.filterList(obj, alias, aggArgs.filter);
        const inner: AggContext = {
          joins: ctx.joins,
          filter: filter.length ? filter.join(' AND ') : undefined,
        };
        const fields = subFields(this.scope, `_${obj.name}_aggregation`, group);
        pairs.push([key, this.aggObject(obj, alias, cte, fields, inner, true)]);
      }
    }
    const order = this.bucketOrder(obj, alias, args.order_by, keys);
    const limit = this.qb.paging('limit', args.limit);
    const offset = this.qb.paging('offset', args.offset);
    const groupBy = keys.length ? ` GROUP BY ${keys.map((k) => k.expr).join(', ')}` : '';
    const orderBy = order.length ? ` ORDER BY ${order.join(', ')}` : '';
    // Without a kept derived-table order, buckets carry their number in that order (`_o`).
    const numbered = flat ? `, ROW_NUMBER() OVER (${orderBy.trim()}) AS _o` : '';
    const rows = `SELECT ${d.object(pairs)} AS j${numbered} FROM ${cte} AS ${alias}${ctx.joins.join('')}${groupBy}${orderBy}${d.tail(
      limit,
      offset,
    )}`;
    if (flat) return `(SELECT ${d.arrayAgg('_b', 'j')} FROM ${d.orderedRows(rows, '_b')})`;
    return `(WITH ${cte} AS (${rowsSql}) SELECT ${d.arrayAgg('_b', 'j')} FROM ${d.orderedRows(rows, '_b')})`;
  }

  /**
   * The rows an aggregation reads, and the alias they are read under. A single aggregation pages
   * rows only when `limit`/`offset` are given (their defaults are for lists); a bucket aggregation
   * orders and pages buckets, not rows.
   */
  rows(
    obj: DataObject,
    node: FieldNode,
    args: Args,
    bucket: boolean,
    related?: (alias: string) => { where: string; from: string },
  ): AggRows {
    const alias = this.qb.alias();
    const explicit = new Set(node.arguments?.map((a) => a.name.value) ?? []);
    const paging = !bucket && (explicit.has('limit') || explicit.has('offset'));
    if (related && !this.qb.dialect.correlatedDerived) {
      // Read in place: paging and distinct_on would need a correlated derived table.
      if (paging) throw this.qb.refuse('limit/offset of relation aggregations', obj);
      if (this.qb.distinctOn(obj, alias, args.distinct_on).length)
        throw this.qb.refuse('distinct_on in relation aggregations', obj);
      const join = related(alias);
      const where = [
        join.where,
        ...this.qb.filterList(obj, alias, args.filter),
        ...this.qb.trustedFilter(obj, alias, args[PERMISSION_FILTER]),
      ];
      return { alias, sql: '', inline: { from: join.from, where: where.join(' AND ') } };
    }
    const rowArgs = {
      ...args,
      limit: paging && explicit.has('limit') ? args.limit : undefined,
      order_by: bucket ? undefined : args.order_by,
    };
    const join = related?.(alias);
    const where = join ? [join.where] : [];
    return { alias, sql: this.qb.selectRows(obj, alias, rowArgs, `${alias}.*`, where, join?.from, paging) };
  }

  /** `key { … }`: grouped values, forward relations as nested objects (through lateral joins). */
  private keyObject(
    obj: DataObject,
    alias: string,
    nodes: readonly FieldNode[],
    ctx: AggContext,
    path: string[],
    keys: Array<{ path: string[]; expr: string }>,
  ): string {
    const pairs: Array<[string, string]> = [];
    for (const [key, group] of subFields(this.scope, obj.name, nodes)) {
      const name = group[0].name.value;
      if (name === '__typename') {
        pairs.push([key, catalogLiteral(obj.name)]);
        continue;
      }
      this.qb.checkField(obj.name, name);
      const f = obj.fields.get(name);
      if (f?.kind === 'relation') {
        if (f.direction !== 'forward')
          throw new EngineError(
            'BAD_USER_INPUT',
            `bucket key: "${name}" is a list relation; keys take forward relations`,
          );
        const talias = this.joinForward(obj, alias, f, ctx, false);
        const target = this.target(f);
        // A row without a related row has the key `null` (not an object of nulls).
        const found = `(${this.qb.column(target, talias, f.on[0][1])} IS NOT NULL)`;
        keys.push({ path: [...path, name, '*'], expr: found });
        const inner = this.keyObject(target, talias, group, ctx, [...path, name], keys);
        pairs.push([key, `CASE WHEN ${found} THEN ${inner} END`]);
        continue;
      }
      if (f?.kind === 'struct')
        throw new EngineError('BAD_USER_INPUT', `bucket key: "${name}" is a structured field`);
      const value = this.qb.scalarValue(obj, alias, group[0]);
      keys.push({ path: [...path, name], expr: value.expr });
      pairs.push([key, value.part ? value.expr : this.qb.format(value.scalar, value.expr)]);
    }
    return this.qb.dialect.object(pairs);
  }

  /** `order_by` of buckets: `key.<path>` (a selected key) or `aggregations.<field>.<function>`. */
  private bucketOrder(
    obj: DataObject,
    alias: string,
    value: unknown,
    keys: Array<{ path: string[]; expr: string }>,
  ): string[] {
    if (!Array.isArray(value)) return [];
    return value.map((v: { field: string; direction?: string }) => {
      const [head, ...rest] = String(v.field).split('.');
      let expr: string | undefined;
      if (head === 'key') expr = keys.find((k) => k.path.join('.') === rest.join('.'))?.expr;
      else if (head === 'aggregations') expr = this.orderAggregate(obj, alias, rest);
      if (!expr)
        throw new EngineError(
          'BAD_USER_INPUT',
          `order_by: "${v.field}" is neither a selected key field (key.<field>) nor an aggregation (aggregations.<field>.<function>)`,
        );
      return this.qb.dialect.orderTerm(expr, v.direction === 'DESC');
    });
  }

  private orderAggregate(obj: DataObject, alias: string, path: string[]): string | undefined {
    if (path.length === 1 && path[0] === '_rows_count') return this.qb.dialect.agg('count', '*');
    if (path.length !== 2) return undefined;
    this.qb.checkField(obj.name, path[0]);
    const f = obj.fields.get(path[0]);
    if (f?.kind !== 'scalar' || !SIMPLE_FUNCTIONS.has(path[1])) return undefined;
    return this.qb.dialect.agg(path[1], this.qb.column(obj, alias, f.name));
  }

  /** The JSON of one aggregation object over the rows under `alias`. */
  private aggObject(
    obj: DataObject,
    alias: string,
    /** The CTE holding the aggregated rows; undefined for rows joined through a forward relation. */
    cte: string | undefined,
    groups: FieldGroups,
    ctx: AggContext,
    grouped = false,
  ): string {
    const aggType = `_${obj.name}_aggregation`;
    const pairs: Array<[string, string]> = [];
    const where = (extra?: string) => {
      const conds = [ctx.filter, extra].filter(Boolean);
      return conds.length ? conds.join(' AND ') : undefined;
    };
    for (const [key, group] of groups) {
      const name = group[0].name.value;
      if (name === '__typename') {
        pairs.push([key, catalogLiteral(aggType)]);
        continue;
      }
      if (name === '_rows_count') {
        pairs.push([key, this.qb.dialect.agg('count', '*', where())]);
        continue;
      }
      const sub = /^(.+)_aggregation$/.exec(name);
      this.qb.checkField(obj.name, obj.fields.has(name) || !sub ? name : sub[1]);
      const f = obj.fields.get(name);
      if (f?.kind === 'relation') {
        pairs.push([key, this.relationAggregate(obj, alias, cte, f, group, ctx, grouped)]);
        continue;
      }
      const rel = !f && sub ? obj.fields.get(sub[1]) : undefined;
      if (rel?.kind === 'relation') {
        pairs.push([key, this.subAggregation(obj, this.listSource(cte, grouped, name), rel, group)]);
        continue;
      }
      const value = this.qb.scalarValue(obj, alias, group[0]);
      pairs.push([key, this.functions(value.scalar, value.expr, group, where)]);
    }
    return this.qb.dialect.object(pairs);
  }

  /** `{ count sum … }` of one value expression. */
  private functions(
    scalar: ScalarName,
    expr: string,
    nodes: readonly FieldNode[],
    where: (extra?: string) => string | undefined,
  ): string {
    const d = this.qb.dialect;
    const typeName = `${scalar}Aggregation`;
    const pairs: Array<[string, string]> = [];
    for (const [key, group] of subFields(this.scope, typeName, nodes)) {
      const fn = group[0].name.value;
      const args = group[0].arguments?.length ? this.qb.argsOf(typeName, group[0]) : {};
      const distinct = args.distinct === true ? 'DISTINCT ' : '';
      const { value, valueScalar } =
        scalar === 'JSON' ? this.jsonValue(fn, expr, args) : { value: expr, valueScalar: scalar };
      const fmt = (e: string) => this.qb.format(valueScalar, e);
      const notNull = `${value} IS NOT NULL`;
      let sql: string;
      if (fn === '__typename') sql = catalogLiteral(typeName);
      else if (fn === 'count' || fn === 'sum' || fn === 'avg') sql = d.agg(fn, value, where());
      else if (fn === 'bool_and' || fn === 'bool_or') sql = d.boolean(d.agg(fn, value, where()));
      else if (fn === 'min' || fn === 'max') sql = fmt(d.agg(fn, value, where()));
      else if (fn === 'list') sql = d.listAgg(distinct, fmt(value), where(notNull));
      else if (fn === 'any') sql = d.anyAgg(fmt(value), where(notNull)!);
      else if (fn === 'last') sql = d.lastAgg(fmt(value), where(notNull)!, d.agg('count', value, where()));
      else if (fn === 'string_agg')
        sql = d.stringAgg(distinct, value, String(args.sep ?? ''), where(), (v) => this.qb.params.add(v));
      else throw new EngineError('BAD_USER_INPUT', `unknown aggregation function "${fn}"`);
      pairs.push([key, sql]);
    }
    return this.qb.dialect.object(pairs);
  }

  /**
   * What a function of Hugr's `JSONAggregation` aggregates: the JSON values themselves, or the
   * values at `path` (`details.amount` or `$.details.amount`), taken as numbers by sum/avg/min/max
   * and as booleans by bool_and/bool_or only where the JSON value has that type (else NULL), and
   * as text by string_agg.
   */
  private jsonValue(
    fn: string,
    json: string,
    args: Record<string, unknown>,
  ): { value: string; valueScalar: ScalarName } {
    const [as, valueScalar]: [JsonPathResult, ScalarName] =
      fn === 'sum' || fn === 'avg' || fn === 'min' || fn === 'max'
        ? ['number', 'Float']
        : fn === 'bool_and' || fn === 'bool_or'
          ? ['boolean', 'Boolean']
          : fn === 'string_agg'
            ? ['text', 'String']
            : ['json', 'JSON'];
    if (args.path == null) {
      // The schema requires `path` for all but count/list/any/last.
      if (as !== 'json') throw new EngineError('BAD_USER_INPUT', `${fn} of a JSON field needs a path`);
      return { value: json, valueScalar };
    }
    const keys = jsonPathKeys(String(args.path));
    return { value: this.qb.dialect.jsonPath(json, keys, as, (v) => this.qb.params.add(v)), valueScalar };
  }

  /**
   * A relation inside an aggregation: forward → the target's fields aggregated over the joined
   * rows; back / many-to-many → the related rows of every aggregated row, aggregated together.
   */
  private relationAggregate(
    obj: DataObject,
    alias: string,
    cte: string | undefined,
    f: RelationField,
    nodes: readonly FieldNode[],
    ctx: AggContext,
    grouped: boolean,
  ): string {
    const target = this.target(f);
    const args = this.qb.argsOf(`_${obj.name}_aggregation`, nodes[0]);
    const fields = subFields(this.scope, `_${target.name}_aggregation`, nodes);
    if (f.direction === 'forward') {
      const talias = this.joinForward(obj, alias, f, ctx, args.inner === true);
      return this.aggObject(target, talias, undefined, fields, ctx, grouped);
    }
    const rowsCte = this.listSource(cte, grouped, f.name);
    // Related rows of any aggregated row: the join condition correlates them with the CTE.
    const parent = this.qb.alias();
    const talias = this.qb.alias();
    const join = this.qb.joinCond(obj, parent, f, talias);
    const rows = this.qb.selectRows(
      target,
      talias,
      args,
      `${talias}.*`,
      [`EXISTS (SELECT 1 FROM ${rowsCte} AS ${parent} WHERE ${join.where})`],
      join.from,
    );
    return this.single(target, { alias: talias, sql: rows }, nodes);
  }

  /** The CTE a list relation inside an aggregation re-reads its parent rows from. */
  private listSource(cte: string | undefined, grouped: boolean, field: string): string {
    if (grouped)
      throw new EngineError(
        'BAD_USER_INPUT',
        `${field}: list relations inside bucket aggregations are not supported yet`,
      );
    if (!cte)
      throw new EngineError(
        'BAD_USER_INPUT',
        `${field}: list relations inside an aggregated forward relation are not supported yet`,
      );
    return cte;
  }

  /**
   * `<rel>_aggregation` inside an aggregation (level 2): every function is computed per parent row
   * over its related rows, then the selected functions aggregate those per-parent values.
   */
  private subAggregation(
    obj: DataObject,
    cte: string,
    f: RelationField,
    nodes: readonly FieldNode[],
  ): string {
    const target = this.target(f);
    const args = this.qb.argsOf(`_${obj.name}_aggregation`, nodes[0]);
    const parent = this.qb.alias();
    const columns: string[] = [];
    /** A per-parent value: `inner` aggregated over the parent's related rows, as column `_p.cN`. */
    const perParent = (inner: (talias: string) => string): string => {
      const rows = this.rows(target, nodes[0], args, false, (t) => this.qb.joinCond(obj, parent, f, t));
      const name = `c${columns.length}`;
      const from = rows.inline
        ? `${rows.inline.from} WHERE ${rows.inline.where}`
        : `(${rows.sql}) AS ${rows.alias}`;
      columns.push(`(SELECT ${inner(rows.alias)} FROM ${from}) AS ${name}`);
      return `_p.${name}`;
    };
    const noFilter = () => '';
    const pairs: Array<[string, string]> = [];
    const subType = `_${target.name}_aggregation_sub_aggregation`;
    for (const [key, group] of subFields(this.scope, subType, nodes)) {
      const name = group[0].name.value;
      if (name === '__typename') {
        pairs.push([key, catalogLiteral(subType)]);
        continue;
      }
      if (name === '_rows_count') {
        pairs.push([
          key,
          this.functions(
            'BigInt',
            perParent(() => this.qb.dialect.agg('count', '*')),
            group,
            noFilter,
          ),
        ]);
        continue;
      }
      this.qb.checkField(target.name, name);
      const field = target.fields.get(name);
      if (field?.kind !== 'scalar')
        throw new EngineError('BAD_USER_INPUT', `unknown field "${name}" of ${subType}`);
      const fns: Array<[string, string]> = [];
      for (const [fnKey, fnGroup] of subFields(this.scope, `${field.scalar}SubAggregation`, group)) {
        const fn = fnGroup[0].name.value;
        if (fn === '__typename') {
          fns.push([fnKey, catalogLiteral(`${field.scalar}SubAggregation`)]);
          continue;
        }
        const valueType: ScalarName =
          fn === 'count'
            ? 'BigInt'
            : fn === 'avg'
              ? 'Float'
              : fn.startsWith('bool_')
                ? 'Boolean'
                : field.scalar;
        const value = perParent((t) => this.qb.dialect.agg(fn, this.qb.column(target, t, name)));
        fns.push([fnKey, this.functions(valueType, value, fnGroup, noFilter)]);
      }
      pairs.push([key, this.qb.dialect.object(fns)]);
    }
    if (!columns.length) return this.qb.dialect.object(pairs);
    return `(SELECT ${this.qb.dialect.object(pairs)} FROM (SELECT ${columns.join(', ')} FROM ${cte} AS ${parent}) AS _p)`;
  }

  /** Adds `LEFT JOIN LATERAL` (or `JOIN` for inner) of a forward relation; returns its alias. */
  private joinForward(
    obj: DataObject,
    alias: string,
    f: RelationField,
    ctx: AggContext,
    inner: boolean,
  ): string {
    const talias = this.qb.alias();
    const join = this.qb.joinCond(obj, alias, f, talias);
    ctx.joins.push(this.qb.dialect.forwardJoin(join.from, join.where, talias, inner));
    return talias;
  }

  private target(f: RelationField): DataObject {
    return this.qb.catalogObject(f.target);
  }
}

/** Keys of an aggregation `path`: `a.b` or `$.a.b`; keys never hold quotes, brackets or spaces. */
export function jsonPathKeys(path: string): string[] {
  const keys = path.replace(/^\$\.?/, '').split('.');
  if (!keys.length || keys.some((k) => !/^[^\s"'\\[\]]+$/.test(k)))
    throw new EngineError(
      'BAD_USER_INPUT',
      `path ${JSON.stringify(path).slice(0, 120)}: expected keys separated by dots, e.g. "details.amount" or "$.details.amount"`,
    );
  return keys;
}
