import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type OperationDefinitionNode,
  Kind,
  type SelectionSetNode,
  Source,
  defaultFieldResolver,
  execute,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import type { CacheSpec, CompiledCatalog, DataObject, FunctionDef } from '../catalog/model.js';
import type { SourceDriver } from '../drivers/driver.js';
import { refusal } from '../plan/dialect.js';
import { createHash } from 'node:crypto';
import type {
  AccessPolicy,
  EngineCacheOptions,
  EngineLogger,
  QueryRequest,
  QueryResponse,
} from '../engine.types.js';
import { Access } from '../plan/access.js';
import { EngineError } from '../errors.js';
import { QueryBuilder } from '../plan/query-builder.js';
import {
  type FieldGroups,
  type SelectionScope,
  argumentsOf,
  collectFields,
  project,
  subFields,
} from '../plan/selection.js';
import type { GeneratedSchema } from '../schema/build-schema.js';
import { Lru } from './lru.js';
import { MutationRunner } from './mutation-runner.js';

type PlanNode =
  | { key: string; kind: 'const'; json: string }
  | { key: string; kind: 'object'; children: PlanNode[] }
  | {
      key: string;
      kind: 'sql';
      source: string;
      sql: string;
      params: unknown[];
      path: string[];
      nodes: FieldNode[];
      cache?: CachePlan;
    }
  | { key: string; kind: 'error'; error: GraphQLError }
  | { key: string; kind: 'introspection' }
  | HostCall
  | MutationStep;

/** A call of a host function (`HostFunction.run`), its result projected onto the selection. */
interface HostCall {
  key: string;
  kind: 'host';
  fn: FunctionDef;
  args: Record<string, unknown>;
  nodes: FieldNode[];
  path: string[];
}

interface MutationStep {
  key: string;
  kind: 'mutation';
  /** A table mutation, or a mutation function (`mutation { function { … } }`). */
  target: { op: 'insert' | 'update' | 'delete'; object: DataObject } | { op: 'function'; fn: FunctionDef };
  source: string;
  nodes: FieldNode[];
  parentType: string;
  path: string[];
}

/** How a root field's result is cached: decided at plan time, keyed per caller at run time. */
interface CachePlan {
  /** The custom `key`, or a digest of the statement and its values. */
  key: string;
  ttlMs: number;
  tags: string[];
  /** `@invalidate_cache`: read from the database and replace the cached value. */
  refresh: boolean;
}

/** A planned query with what running it needs: reused for every request of the same plan key. */
interface QueryPlan {
  nodes: PlanNode[];
  document: DocumentNode;
  /** Fragments and coerced variables of the request the plan was made for. */
  scope: SelectionScope;
  /** The document selects `__schema`/`__type`. */
  introspection: boolean;
}

interface Prepared {
  document?: DocumentNode;
  errors?: readonly GraphQLError[];
  fragments: Record<string, FragmentDefinitionNode>;
  hasIntrospection: boolean;
}

export interface ExecutorOptions {
  maxDepth: number;
  /** 0 = no limit. */
  maxRootFields: number;
  cacheSize: number;
  logger?: EngineLogger;
  /** After a mutation commits: the objects it wrote (cache invalidation hooks in here). */
  onMutation?: (event: { source: string; objects: string[] }, context: unknown) => void | Promise<void>;
  remoteMutations?: Record<string, (request: QueryRequest, context: unknown) => Promise<QueryResponse>>;
  authorize?: (source: string, context: unknown) => string | undefined;
  cache?: EngineCacheOptions;
}

const INTROSPECTION = new Set(['__schema', '__type']);

/** Documents (and plans) of longer queries are not cached: they are parsed and planned per request. */
const MAX_CACHED_QUERY_LENGTH = 64 * 1024;
/** Characters of query text (plus variables, for plans) behind each of the two caches together. */
const CACHED_TEXT_BUDGET = 2 * 1024 * 1024;

/** Deepest nesting of arrays/objects accepted in variables (deeper input is refused, not recursed). */
const MAX_VARIABLE_DEPTH = 64;

/** Nesting depth of a JSON value, computed without recursion (hostile input can be very deep). */
function nestingDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > max) max = depth;
    if (max > MAX_VARIABLE_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

export function badRequest(message: string, status = 400): QueryResponse {
  return { status, body: JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }) };
}

/** Parse → validate → plan (all cached per schema) → one statement per root field → JSON passthrough. */
export class Executor {
  private readonly documents: Lru<string, Prepared>;
  private readonly plans: Lru<string, QueryPlan>;

  constructor(
    private readonly generated: GeneratedSchema,
    private readonly catalog: CompiledCatalog,
    private readonly sources: ReadonlyMap<string, SourceDriver>,
    private readonly opts: ExecutorOptions,
  ) {
    // Bounded by the text they were made from as well as by count: a parsed document takes about
    // 90 bytes of heap per character of query, so 1000 entries of 1 MB documents would be ~90 GB.
    const weights = {
      maxWeight: CACHED_TEXT_BUDGET,
      maxEntryWeight: MAX_CACHED_QUERY_LENGTH,
      weigh: (key: string) => key.length,
    };
    this.documents = new Lru(opts.cacheSize, weights);
    this.plans = new Lru(opts.cacheSize, weights);
  }

  async execute(req: QueryRequest, context?: unknown, policy?: AccessPolicy): Promise<QueryResponse> {
    if (typeof req.query !== 'string' || req.query.trim() === '')
      return badRequest('the request has no query (send {"query": "…"})');
    if (req.variables != null && (typeof req.variables !== 'object' || Array.isArray(req.variables)))
      return badRequest('variables must be a JSON object');
    if (req.operationName != null && typeof req.operationName !== 'string')
      return badRequest('operationName must be a string');
    if (req.variables != null && nestingDepth(req.variables) > MAX_VARIABLE_DEPTH)
      return badRequest(`variables are nested deeper than ${MAX_VARIABLE_DEPTH} levels`);

    const variables = req.variables ?? {};
    // Plans hold the permission filters and their bound values: one plan per policy key. A
    // request seen before (same policy, operation, variables and text) skips parse, validation,
    // variable coercion and planning: all of them depend on nothing else.
    const planKey = `${policy?.key ?? ''}\u0000${req.operationName ?? ''}\u0000${JSON.stringify(variables)}\u0000${req.query}`;
    const access = policy ? new Access(policy) : Access.open;
    const known = this.plans.get(planKey);
    if (known) return this.run(known, req, context, access);

    const prepared = this.prepare(req.query);
    if (prepared.errors) return errorsOnly(prepared.errors);
    const document = prepared.document!;
    const operation = getOperationAST(document, req.operationName ?? undefined);
    if (!operation)
      return errorsOnly([
        withCode(
          new GraphQLError(
            req.operationName
              ? `unknown operation "${req.operationName}"`
              : 'the document has several operations: set operationName',
          ),
          'OPERATION_RESOLUTION_FAILURE',
        ),
      ]);
    if (operation.operation === 'subscription')
      return errorsOnly([
        withCode(
          new GraphQLError('subscriptions are not served', { nodes: operation }),
          'GRAPHQL_VALIDATION_FAILED',
        ),
      ]);
    // graphql-js validation does not check that the schema has a mutation root.
    if (operation.operation === 'mutation' && !this.generated.schema.getMutationType())
      return errorsOnly([
        withCode(
          new GraphQLError('this schema has no mutations: every loaded table is read-only', {
            nodes: operation,
          }),
          'GRAPHQL_VALIDATION_FAILED',
        ),
      ]);

    const coerced = getVariableValues(this.generated.schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors) return errorsOnly(coerced.errors.map((e) => withCode(e, 'BAD_USER_INPUT')));

    const scope: SelectionScope = { fragments: prepared.fragments, variables: coerced.coerced };
    const rootType = operation.operation === 'mutation' ? 'Mutation' : 'Query';
    const groups = collectFields(scope, rootType, [operation.selectionSet]);
    const tooBroad = this.checkRootFields(scope, rootType, groups, operation);
    if (tooBroad) return errorsOnly([tooBroad]);
    if (operation.operation === 'mutation') return this.mutate(scope, groups, req, context, access);

    const plan: QueryPlan = {
      nodes: this.planObject(scope, 'Query', groups, [], access),
      document,
      scope,
      introspection: prepared.hasIntrospection,
    };
    this.plans.set(planKey, plan);
    return this.run(plan, req, context, access);
  }

  private prepare(query: string): Prepared {
    let prepared = this.documents.get(query);
    if (prepared) return prepared;
    const fragments: Record<string, FragmentDefinitionNode> = {};
    try {
      const document = parse(new Source(query, 'request'));
      for (const def of document.definitions)
        if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
      let errors: readonly GraphQLError[] = validate(this.generated.schema, document, specifiedRules);
      if (!errors.length) errors = this.checkDepth(document, fragments);
      prepared = {
        document,
        fragments,
        errors: errors.length ? errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) : undefined,
        hasIntrospection: /__schema|__type\b/.test(query),
      };
    } catch (err) {
      prepared = {
        fragments,
        errors: [withCode(err as GraphQLError, 'GRAPHQL_PARSE_FAILED')],
        hasIntrospection: false,
      };
    }
    this.documents.set(query, prepared);
    return prepared;
  }

  private checkDepth(
    document: DocumentNode,
    fragments: Record<string, FragmentDefinitionNode>,
  ): GraphQLError[] {
    const errors: GraphQLError[] = [];
    // Validation has refused fragment cycles, so a fragment's depth does not depend on where it is
    // spread: each is measured once (a document spreading fragments many times over, level after
    // level, would otherwise be walked exponentially often).
    const fragmentDepth = new Map<string, number>();
    const depthOf = (set: SelectionSetNode | undefined): number => {
      let max = 0;
      for (const sel of set?.selections ?? []) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue;
          max = Math.max(max, 1 + depthOf(sel.selectionSet));
        } else if (sel.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, depthOf(sel.selectionSet));
        else {
          const name = sel.name.value;
          let depth = fragmentDepth.get(name);
          if (depth === undefined) {
            depth = fragments[name] ? depthOf(fragments[name].selectionSet) : 0;
            fragmentDepth.set(name, depth);
          }
          max = Math.max(max, depth);
        }
      }
      return max;
    };
    for (const def of document.definitions) {
      if (def.kind !== Kind.OPERATION_DEFINITION) continue;
      const depth = depthOf(def.selectionSet);
      if (depth > this.opts.maxDepth)
        errors.push(
          new GraphQLError(
            `query depth ${depth} exceeds the maximum depth ${this.opts.maxDepth} (MAX_DEPTH)`,
            { nodes: def },
          ),
        );
    }
    return errors;
  }

  /**
   * MAX_ROOT_FIELDS: every data field at the root (or inside modules) is a statement of its own,
   * so their number is bounded before anything is planned or sent.
   */
  private checkRootFields(
    scope: SelectionScope,
    typeName: string,
    groups: FieldGroups,
    operation: OperationDefinitionNode,
  ): GraphQLError | undefined {
    const max = this.opts.maxRootFields;
    if (!(max > 0)) return undefined;
    const count = (type: string, fieldGroups: FieldGroups): number => {
      const fields = this.generated.roots.get(type);
      let n = 0;
      for (const nodes of fieldGroups.values()) {
        const rf = fields?.get(nodes[0].name.value);
        if (!rf) continue;
        n += rf.kind === 'module' ? count(rf.typeName, subFields(scope, rf.typeName, nodes)) : 1;
        if (n > max) break;
      }
      return n;
    };
    const n = count(typeName, groups);
    if (n <= max) return undefined;
    return withCode(
      new GraphQLError(
        `the request selects more than ${max} data fields at the root (MAX_ROOT_FIELDS); split it into several requests`,
        { nodes: operation },
      ),
      'GRAPHQL_VALIDATION_FAILED',
    );
  }

  private planObject(
    scope: SelectionScope,
    typeName: string,
    groups: FieldGroups,
    path: string[],
    access: Access,
  ): PlanNode[] {
    const fields = this.generated.roots.get(typeName);
    const out: PlanNode[] = [];
    for (const [key, nodes] of groups) {
      const name = nodes[0].name.value;
      if (name === '__typename') {
        out.push({ key, kind: 'const', json: JSON.stringify(typeName) });
        continue;
      }
      if (typeName === 'Query' && INTROSPECTION.has(name)) {
        out.push({ key, kind: 'introspection' });
        continue;
      }
      const rf = fields?.get(name);
      if (!rf) {
        out.push({ key, kind: 'const', json: 'null' });
        continue;
      }
      try {
        access.checkField(typeName, name);
      } catch (err) {
        out.push({ key, kind: 'error', error: this.fieldError(err, nodes, [...path, key]) });
        continue;
      }
      if (rf.kind === 'module') {
        const groups = subFields(scope, rf.typeName, nodes);
        const children = this.planObject(scope, rf.typeName, groups, [...path, key], access);
        out.push({ key, kind: 'object', children });
        continue;
      }
      if (rf.kind === 'function' && rf.fn.host) {
        try {
          const args = argumentsOf(this.generated.schema, typeName, nodes[0], scope.variables);
          out.push({ key, kind: 'host', fn: rf.fn, args, nodes, path: [...path, key] });
        } catch (err) {
          out.push({ key, kind: 'error', error: this.fieldError(err, nodes, [...path, key]) });
        }
        continue;
      }
      try {
        if (rf.kind === 'mutation') throw new EngineError('BAD_USER_INPUT', `${name} is a mutation`);
        const source = rf.kind === 'function' ? rf.fn.source : rf.object.source;
        const dialect = this.sources.get(source)?.dialect;
        const builder = new QueryBuilder(this.catalog, this.generated.schema, scope, access, dialect);
        const sql =
          rf.kind === 'function'
            ? builder.rootFunction(rf.fn, nodes, typeName)
            : rf.kind === 'select'
              ? builder.rootList(rf.object, nodes[0], nodes, typeName)
              : rf.kind === 'select_one'
                ? builder.rootOne(rf.object, rf.keys, nodes[0], nodes, typeName)
                : builder.rootAggregate(rf.object, nodes, typeName, rf.kind === 'bucket');
        const params = builder.params.values;
        const cache = this.cachePlan(
          nodes[0],
          rf.kind === 'function' ? undefined : rf.object,
          source,
          sql,
          params,
          [...builder.read],
          scope.variables,
        );
        out.push({ key, kind: 'sql', source, sql, params, path: [...path, key], nodes, cache });
      } catch (err) {
        out.push({ key, kind: 'error', error: this.fieldError(err, nodes, [...path, key]) });
      }
    }
    return out;
  }

  /**
   * A mutation request: its fields run in order in ONE transaction on ONE data source; a request
   * that touches two sources is refused before anything runs. Any failure rolls everything back.
   */
  private async mutate(
    scope: SelectionScope,
    groups: FieldGroups,
    req: QueryRequest,
    context: unknown,
    access: Access,
  ): Promise<QueryResponse> {
    const steps: MutationStep[] = [];
    const hostCalls: HostCall[] = [];
    let plan: PlanNode[];
    try {
      plan = this.planMutation(scope, 'Mutation', groups, [], steps, hostCalls, access);
    } catch (err) {
      return errorsOnly([this.fieldError(err, [], [])]);
    }
    const sources = [...new Set(steps.map((s) => s.source))];
    if (sources.length > 1)
      return errorsOnly([
        new GraphQLError(
          `the mutations of one request must use one data source (one transaction); this request uses ${sources.join(', ')}`,
          { extensions: { code: 'BAD_USER_INPUT' } },
        ),
      ]);
    const refused = steps.find((s) => this.sources.get(s.source)?.dialect.unsupported.has('mutations'));
    if (refused) {
      const err = refusal(this.sources.get(refused.source)!.dialect, 'mutations', refused.source);
      return errorsOnly([this.fieldError(err, refused.nodes, refused.path)]);
    }
    if (sources.length && hostCalls.length)
      return errorsOnly([
        new GraphQLError(
          `${hostCalls.map((h) => h.fn.name).join(', ')} cannot run in the same request as data mutations (no shared transaction)`,
          { extensions: { code: 'BAD_USER_INPUT' } },
        ),
      ]);
    try {
      for (const source of sources) this.checkAccess(source, context);
    } catch (err) {
      return errorsOnly([this.fieldError(err, steps[0].nodes, steps[0].path)]);
    }
    const remote = sources.length === 1 ? this.opts.remoteMutations?.[sources[0]] : undefined;
    if (remote) return remote(req, context);
    if (hostCalls.length) {
      const values = new Map<PlanNode, string>();
      const errors: GraphQLError[] = [];
      for (const call of hostCalls) await this.runHost(call, values, errors, scope, context);
      return respond(writeObject(plan, values), errors);
    }
    const values = new Map<PlanNode, string>();
    const errors: GraphQLError[] = [];
    if (sources.length) {
      const driver = this.sources.get(sources[0]);
      let current: MutationStep | undefined;
      try {
        if (!driver)
          throw new EngineError('DATA_SOURCE_UNAVAILABLE', `data source ${sources[0]} is not loaded`);
        const written = await driver.transaction(async (run) => {
          const runner = new MutationRunner(
            this.catalog,
            this.generated.schema,
            scope,
            run,
            access,
            driver.dialect,
          );
          for (const node of steps) {
            current = node;
            values.set(node, await runner.field(node.target, node.nodes, node.parentType));
          }
          return runner.written;
        });
        if (written.size)
          await this.opts.onMutation?.({ source: sources[0], objects: [...written] }, context);
      } catch (err) {
        values.clear();
        const failed = current ?? steps[0];
        errors.push(this.fieldError(err, failed.nodes, failed.path));
        if (steps.length > 1)
          errors.push(
            new GraphQLError('the transaction was rolled back: no mutation of this request was applied', {
              extensions: { code: 'ROLLED_BACK' },
            }),
          );
      }
    }
    return respond(writeObject(plan, values), errors);
  }

  private planMutation(
    scope: SelectionScope,
    typeName: string,
    groups: FieldGroups,
    path: string[],
    steps: MutationStep[],
    hostCalls: HostCall[],
    access: Access,
  ): PlanNode[] {
    const fields = this.generated.roots.get(typeName);
    const out: PlanNode[] = [];
    for (const [key, nodes] of groups) {
      const name = nodes[0].name.value;
      const rf = fields?.get(name);
      // A disabled mutation field refuses the whole request: nothing runs.
      if (rf) access.checkField(typeName, name);
      if (name === '__typename') out.push({ key, kind: 'const', json: JSON.stringify(typeName) });
      else if (rf?.kind === 'module')
        out.push({
          key,
          kind: 'object',
          children: this.planMutation(
            scope,
            rf.typeName,
            subFields(scope, rf.typeName, nodes),
            [...path, key],
            steps,
            hostCalls,
            access,
          ),
        });
      else if (rf?.kind === 'function' && rf.fn.host) {
        const args = argumentsOf(this.generated.schema, typeName, nodes[0], scope.variables);
        const call: HostCall = { key, kind: 'host', fn: rf.fn, args, nodes, path: [...path, key] };
        hostCalls.push(call);
        out.push(call);
      } else if (rf?.kind === 'mutation' || rf?.kind === 'function') {
        const node: MutationStep = {
          key,
          kind: 'mutation',
          target: rf.kind === 'function' ? { op: 'function', fn: rf.fn } : { op: rf.op, object: rf.object },
          source: rf.kind === 'function' ? rf.fn.source : rf.object.source,
          nodes,
          parentType: typeName,
          path: [...path, key],
        };
        steps.push(node);
        out.push(node);
      } else out.push({ key, kind: 'const', json: 'null' });
    }
    return out;
  }

  private fieldError(err: unknown, nodes: readonly FieldNode[], path: string[]): GraphQLError {
    if (err instanceof EngineError)
      return new GraphQLError(err.message, { nodes, path, extensions: { code: err.code } });
    this.opts.logger?.error(
      { err: (err as Error).message, stack: (err as Error).stack, path },
      'query failed',
    );
    return new GraphQLError('internal error', { nodes, path, extensions: { code: 'INTERNAL_ERROR' } });
  }

  private async run(
    plan: QueryPlan,
    req: QueryRequest,
    context: unknown,
    access: Access,
  ): Promise<QueryResponse> {
    const { nodes, scope } = plan;
    const errors: GraphQLError[] = [];
    const values = new Map<PlanNode, string>();
    const pending: Array<Promise<void>> = [];
    const visit = (list: PlanNode[]) => {
      for (const n of list) {
        if (n.kind === 'object') visit(n.children);
        else if (n.kind === 'error') errors.push(n.error);
        else if (n.kind === 'sql') pending.push(this.runSql(n, values, errors, context));
        else if (n.kind === 'host') pending.push(this.runHost(n, values, errors, scope, context));
      }
    };
    visit(nodes);
    let introspection: Record<string, unknown> | undefined;
    if (plan.introspection && nodes.some((n) => n.kind === 'introspection')) {
      const result = await execute({
        schema: this.generated.schema,
        document: access.introspectionDocument(plan.document, this.generated.schema),
        operationName: req.operationName ?? undefined,
        variableValues: req.variables ?? undefined,
        rootValue: {},
        // Data fields are served by SQL; here only the introspection fields resolve.
        fieldResolver: (source, args, ctx, info) =>
          info.parentType === this.generated.schema.getQueryType()
            ? null
            : defaultFieldResolver(source, args, ctx, info),
      });
      introspection = access.hideInIntrospection(result.data ?? {}) as Record<string, unknown>;
      if (result.errors) errors.push(...result.errors);
    }
    await Promise.all(pending);
    return respond(writeObject(nodes, values, introspection), errors);
  }

  /**
   * Whether and how a root field is cached: `@no_cache` on the field wins, then `@cache` on the
   * field, then the catalog type's `@cache` / `@no_cache`. Tags: the directive's, plus every
   * object the statement reads (a mutation of any of them invalidates the entry).
   */
  private cachePlan(
    node: FieldNode,
    obj: DataObject | undefined,
    source: string,
    sql: string,
    params: readonly unknown[],
    read: string[],
    variables: Record<string, unknown>,
  ): CachePlan | undefined {
    const cache = this.opts.cache;
    if (!cache) return undefined;
    const has = (name: string) => node.directives?.some((d) => d.name.value === name);
    if (has('no_cache')) return undefined;
    const asked = getDirectiveValues(this.generated.schema.getDirective('cache')!, node, variables);
    const spec: CacheSpec | undefined = asked
      ? {
          ttl: typeof asked.ttl === 'number' && asked.ttl > 0 ? asked.ttl : undefined,
          key: typeof asked.key === 'string' && asked.key ? asked.key : undefined,
          tags: Array.isArray(asked.tags) ? (asked.tags as string[]) : [],
        }
      : obj?.cache === 'never'
        ? undefined
        : obj?.cache;
    const refresh = !!has('invalidate_cache');
    if (!spec && !refresh) return undefined;
    const key =
      spec?.key ??
      createHash('sha256')
        .update(`${source}\u0000${sql}\u0000${JSON.stringify(params)}`)
        .digest('base64url');
    return {
      key,
      ttlMs: spec?.ttl ? spec.ttl * 1000 : cache.defaultTtlMs,
      tags: [...new Set([...(spec?.tags ?? []), ...read])],
      refresh,
    };
  }

  private checkAccess(source: string, context: unknown): void {
    const denied = this.opts.authorize?.(source, context);
    if (denied) throw new EngineError('FORBIDDEN', denied);
  }

  private async runHost(
    n: HostCall,
    values: Map<PlanNode, string>,
    errors: GraphQLError[],
    scope: SelectionScope,
    context: unknown,
  ): Promise<void> {
    try {
      const result = await n.fn.host!.run(n.args, context);
      values.set(
        n,
        JSON.stringify(project(this.generated.schema, scope, result, n.fn.returns.typeName, n.nodes)),
      );
    } catch (err) {
      errors.push(this.fieldError(err, n.nodes, n.path));
    }
  }

  private async runSql(
    n: Extract<PlanNode, { kind: 'sql' }>,
    values: Map<PlanNode, string>,
    errors: GraphQLError[],
    context: unknown,
  ): Promise<void> {
    const source = this.sources.get(n.source);
    try {
      this.checkAccess(n.source, context);
      if (!source) throw new EngineError('DATA_SOURCE_UNAVAILABLE', `data source ${n.source} is not loaded`);
      this.opts.logger?.debug({ source: n.source, sql: n.sql, params: n.params.length }, 'sql');
      const query = async () => (await source.queryText(n.sql, n.params)) ?? 'null';
      const cache = this.opts.cache;
      if (!n.cache || !cache) {
        values.set(n, await query());
        return;
      }
      // Keys carry the definitions' generation and the caller: users never share entries.
      const key = `${cache.epoch}\u0000${cache.scope(context)}\u0000${n.cache.key}`;
      const opts = { ttlMs: n.cache.ttlMs, tags: n.cache.tags };
      if (n.cache.refresh) {
        const text = await query();
        await cache.store.set(key, text, opts);
        values.set(n, text);
        return;
      }
      const got = await cache.store.wrap(key, async () => ({ value: await query(), store: true }), opts);
      values.set(n, got.value);
    } catch (err) {
      errors.push(this.fieldError(err, n.nodes, n.path));
    }
  }
}

function writeObject(
  nodes: PlanNode[],
  values: Map<PlanNode, string>,
  introspection?: Record<string, unknown>,
): string {
  const parts: string[] = [];
  for (const n of nodes) {
    let v: string;
    switch (n.kind) {
      case 'const':
        v = n.json;
        break;
      case 'object':
        v = writeObject(n.children, values, introspection);
        break;
      case 'introspection':
        v = JSON.stringify(introspection?.[n.key] ?? null);
        break;
      default:
        v = values.get(n) ?? 'null';
    }
    parts.push(`${JSON.stringify(n.key)}:${v}`);
  }
  return `{${parts.join(',')}}`;
}

function withCode(err: GraphQLError, code: string): GraphQLError {
  if (!(err instanceof GraphQLError)) return new GraphQLError(String(err), { extensions: { code } });
  return new GraphQLError(err.message, {
    nodes: err.nodes,
    source: err.source,
    positions: err.positions,
    extensions: { ...err.extensions, code },
  });
}

function respond(data: string, errors: readonly GraphQLError[]): QueryResponse {
  const body = errors.length
    ? `{"errors":${JSON.stringify(errors.map((e) => e.toJSON()))},"data":${data}}`
    : `{"data":${data}}`;
  return { status: 200, body };
}

function errorsOnly(errors: readonly GraphQLError[]): QueryResponse {
  return { status: 200, body: JSON.stringify({ errors: errors.map((e) => e.toJSON()) }) };
}
