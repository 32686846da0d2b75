import {
  type ConstDirectiveNode,
  type FieldDefinitionNode,
  type InputObjectTypeDefinitionNode,
  Kind,
  type ObjectTypeDefinitionNode,
  Source,
  type TypeNode,
  type ASTNode,
  parse,
  valueFromASTUntyped,
} from 'graphql';
import { type CatalogProblem, CatalogError } from '../errors.js';
import type { CatalogDocument } from './load-catalog.js';
import {
  type CacheSpec,
  type CompiledCatalog,
  type CompiledSource,
  type DataObject,
  type FunctionDef,
  type ObjectField,
  type ScalarField,
  type ScalarName,
  type StructType,
  type ViewArg,
  SCALARS,
} from './model.js';

export interface SourceSpec {
  name: string;
  type: string;
  prefix: string;
  asModule: boolean;
  readOnly: boolean;
}

interface Located<T> {
  node: T;
  catalog: string;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

class Problems {
  readonly list: CatalogProblem[] = [];
  add(catalog: string, node: ASTNode | undefined, message: string): void {
    const tok = node?.loc?.startToken;
    this.list.push({ catalog, message, line: tok?.line, column: tok?.column });
  }
}

function directive(node: { directives?: readonly ConstDirectiveNode[] }, name: string) {
  return node.directives?.find((d) => d.name.value === name);
}

function directives(node: { directives?: readonly ConstDirectiveNode[] }, name: string) {
  return node.directives?.filter((d) => d.name.value === name) ?? [];
}

function args(d: ConstDirectiveNode | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of d?.arguments ?? []) out[a.name.value] = valueFromASTUntyped(a.value);
  return out;
}

function unwrap(t: TypeNode): { name: string; list: boolean; nonNull: boolean } {
  let list = false;
  let nonNull = false;
  let cur = t;
  if (cur.kind === Kind.NON_NULL_TYPE) {
    nonNull = true;
    cur = cur.type;
  }
  if (cur.kind === Kind.LIST_TYPE) {
    list = true;
    cur = cur.type;
    if (cur.kind === Kind.NON_NULL_TYPE) cur = cur.type;
  }
  if (cur.kind !== Kind.NAMED_TYPE) return { name: '', list, nonNull };
  return { name: cur.name.value, list, nonNull };
}

function typeText(t: TypeNode, rename: (n: string) => string): string {
  switch (t.kind) {
    case Kind.NON_NULL_TYPE:
      return `${typeText(t.type, rename)}!`;
    case Kind.LIST_TYPE:
      return `[${typeText(t.type, rename)}]`;
    default:
      return rename(t.name.value);
  }
}

/** `@cache(ttl, key, tags)` of a catalog type (or undefined without the directive). */
function cacheSpec(d: ConstDirectiveNode | undefined): CacheSpec | undefined {
  if (!d) return undefined;
  const a = args(d);
  return {
    ttl: typeof a.ttl === 'number' && a.ttl > 0 ? a.ttl : undefined,
    key: str(a.key),
    tags: strList(a.tags),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/**
 * Compiles the SDL documents of every source into one model. Deterministic: the same
 * definitions give the same model on every node. Throws CatalogError listing every problem.
 */
export function compileCatalogs(
  inputs: Array<{ spec: SourceSpec; documents: CatalogDocument[] }>,
): CompiledCatalog {
  const problems = new Problems();
  const sources = inputs.map(({ spec, documents }) => compileSource(spec, documents, problems));
  const objects = new Map<string, DataObject>();
  const structs = new Map<string, StructType>();
  const owner = new Map<string, string>();
  for (const src of sources) {
    for (const o of src.objects) {
      const other = owner.get(o.name);
      if (other)
        problems.add(
          src.name,
          undefined,
          `type ${o.name} is also defined by data source ${other}; set a prefix`,
        );
      owner.set(o.name, src.name);
      objects.set(o.name, o);
    }
    for (const s of src.structs) structs.set(s.name, s);
  }
  const functions = sources.flatMap((src) => src.functions);
  const seen = new Map<string, string>();
  for (const fn of functions) {
    const key = `${fn.mutation ? 'mutation' : 'query'}:${fn.module}.${fn.name}`;
    const other = seen.get(key);
    if (other && other !== fn.source)
      problems.add(fn.source, undefined, `function ${fn.name} is also defined by data source ${other}`);
    seen.set(key, fn.source);
  }
  if (problems.list.length) throw new CatalogError(problems.list);
  return { sources, objects, structs, functions };
}

function compileSource(spec: SourceSpec, documents: CatalogDocument[], problems: Problems): CompiledSource {
  const objectDefs: Located<ObjectTypeDefinitionNode>[] = [];
  const functionDefs: Array<Located<FieldDefinitionNode> & { mutation: boolean }> = [];
  const inputDefs: Located<InputObjectTypeDefinitionNode>[] = [];
  for (const doc of documents) {
    let parsed;
    try {
      parsed = parse(new Source(doc.sdl, doc.name));
    } catch (err) {
      const e = err as { message: string; locations?: Array<{ line: number; column: number }> };
      const loc = e.locations?.[0];
      problems.list.push({
        catalog: doc.name,
        message: e.message.replace(/^Syntax Error: /, 'syntax error: '),
        line: loc?.line,
        column: loc?.column,
      });
      continue;
    }
    for (const def of parsed.definitions) {
      if (def.kind === Kind.OBJECT_TYPE_DEFINITION) objectDefs.push({ node: def, catalog: doc.name });
      else if (def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION)
        inputDefs.push({ node: def, catalog: doc.name });
      else if (
        def.kind === Kind.OBJECT_TYPE_EXTENSION &&
        ['Function', 'MutationFunction'].includes(def.name.value)
      ) {
        for (const f of def.fields ?? [])
          functionDefs.push({ node: f, catalog: doc.name, mutation: def.name.value === 'MutationFunction' });
      } else if (def.kind === Kind.DIRECTIVE_DEFINITION || def.kind === Kind.SCALAR_TYPE_DEFINITION) {
        continue;
      } else {
        problems.add(
          doc.name,
          def,
          `unsupported definition (${def.kind}); catalogs declare object and input types`,
        );
      }
    }
  }

  const prefixed = (n: string) => (spec.prefix ? `${spec.prefix}_${n}` : n);
  const dataNames = new Set(
    objectDefs
      .filter((d) => directive(d.node, 'table') || directive(d.node, 'view'))
      .map((d) => d.node.name.value),
  );
  const structNames = new Set(objectDefs.map((d) => d.node.name.value).filter((n) => !dataNames.has(n)));
  const inputNames = new Set(inputDefs.map((d) => d.node.name.value));
  const rename = (n: string) =>
    dataNames.has(n) || structNames.has(n) || inputNames.has(n) ? prefixed(n) : n;

  const inputs = inputDefs.map(({ node }) => ({
    name: prefixed(node.name.value),
    fields: (node.fields ?? []).map((f) => ({ name: f.name.value, type: typeText(f.type, rename) })),
  }));
  const inputByOriginal = new Map(inputDefs.map((d, i) => [d.node.name.value, inputs[i]]));

  const structs: StructType[] = objectDefs
    .filter((d) => structNames.has(d.node.name.value))
    .map(({ node, catalog }) => ({
      name: prefixed(node.name.value),
      description: node.description?.value,
      fields: new Map(
        (node.fields ?? []).map((f) => {
          const t = unwrap(f.type);
          if (!SCALARS.has(t.name) && !structNames.has(t.name))
            problems.add(catalog, f, `field ${node.name.value}.${f.name.value}: unknown type ${t.name}`);
          return [
            f.name.value,
            { name: f.name.value, typeName: rename(t.name), list: t.list, nonNull: t.nonNull },
          ];
        }),
      ),
    }));

  const objects: DataObject[] = [];
  const located = new Map<string, Located<ObjectTypeDefinitionNode>>();
  for (const def of objectDefs) {
    if (!dataNames.has(def.node.name.value)) continue;
    const obj = compileObject(spec, def, prefixed, structNames, inputByOriginal, problems);
    located.set(obj.name, def);
    objects.push(obj);
  }
  linkRelations(objects, located, problems);
  const functions = functionDefs.map((d) =>
    compileFunction(spec, d, rename, dataNames, structNames, problems),
  );
  return {
    name: spec.name,
    type: spec.type,
    readOnly: spec.readOnly,
    objects,
    structs,
    inputs,
    // A read-only source has no mutations, mutation functions included.
    functions: functions.filter((f): f is FunctionDef => f !== undefined && !(f.mutation && spec.readOnly)),
  };
}

function compileObject(
  spec: SourceSpec,
  { node, catalog }: Located<ObjectTypeDefinitionNode>,
  prefixed: (n: string) => string,
  structNames: Set<string>,
  inputs: Map<string, { name: string; fields: ViewArg[] }>,
  problems: Problems,
): DataObject {
  const original = node.name.value;
  const table = directive(node, 'table');
  const view = directive(node, 'view');
  const tArgs = args(table ?? view);
  const modArg = str(args(directive(node, 'module')).name);
  const module = spec.asModule ? [spec.name, modArg].filter(Boolean).join('.') : (modArg ?? '');
  const name = prefixed(original);
  const obj: DataObject = {
    name,
    originalName: original,
    source: spec.name,
    kind: table ? 'table' : 'view',
    table: str(tArgs.name) ?? (view && tArgs.sql ? undefined : original),
    sql: view ? str(tArgs.sql) : undefined,
    isM2M: tArgs.is_m2m === true,
    softDelete:
      table && tArgs.soft_delete === true && str(tArgs.soft_delete_set)
        ? { cond: str(tArgs.soft_delete_cond) ?? 'true', set: str(tArgs.soft_delete_set)! }
        : undefined,
    writable: !!table && !spec.readOnly,
    module,
    queryName: spec.asModule ? original : name,
    fields: new Map(),
    pk: [],
    uniques: [],
    description: node.description?.value,
    cache: directive(node, 'no_cache') ? 'never' : cacheSpec(directive(node, 'cache')),
  };
  if (table && view) problems.add(catalog, node, `type ${original}: @table and @view cannot be combined`);
  if (table && tArgs.soft_delete === true && !str(tArgs.soft_delete_set))
    problems.add(
      catalog,
      table,
      `type ${original}: soft_delete needs soft_delete_set (e.g. "deleted_at = now()")`,
    );

  const argsDir = directive(node, 'args');
  if (argsDir) {
    const a = args(argsDir);
    const input = inputs.get(String(a.name ?? ''));
    if (!input)
      problems.add(catalog, argsDir, `type ${original}: @args names unknown input type "${String(a.name)}"`);
    else
      obj.args = {
        typeName: input.name,
        fields: input.fields,
        required:
          typeof a.required === 'boolean' ? a.required : input.fields.some((f) => f.type.endsWith('!')),
      };
  }

  for (const f of node.fields ?? []) compileField(obj, f, catalog, structNames, prefixed, problems);

  for (const u of directives(node, 'unique')) {
    const a = args(u);
    const fields = strList(a.fields);
    for (const f of fields)
      if (obj.fields.get(f)?.kind !== 'scalar')
        problems.add(catalog, u, `type ${original}: @unique field "${f}" is not a scalar field of the type`);
    obj.uniques.push({ suffix: str(a.query_suffix) ?? `by_${fields.join('_')}`, fields });
  }
  if (!obj.table && !obj.sql) problems.add(catalog, node, `type ${original}: @view needs a name or sql`);
  return obj;
}

function compileField(
  obj: DataObject,
  f: FieldDefinitionNode,
  catalog: string,
  structNames: Set<string>,
  prefixed: (n: string) => string,
  problems: Problems,
): void {
  const t = unwrap(f.type);
  const name = f.name.value;
  const where = `field ${obj.originalName}.${name}`;
  if (!NAME.test(name) || name.startsWith('__')) problems.add(catalog, f, `${where}: invalid field name`);
  if (f.arguments?.length) problems.add(catalog, f, `${where}: fields of data objects take no arguments`);
  const column = str(args(directive(f, 'field_source')).field) ?? name;
  const description = f.description?.value;
  let field: ObjectField;
  if (SCALARS.has(t.name)) {
    const sql = str(args(directive(f, 'sql')).exp);
    field = {
      kind: 'scalar',
      name,
      scalar: t.name as ScalarName,
      list: t.list,
      nonNull: t.nonNull,
      column: sql ? undefined : column,
      sql,
      pk: !!directive(f, 'pk'),
      default: defaultOf(directive(f, 'default')),
      description,
    };
    if (field.pk) obj.pk.push(name);
    if (directive(f, 'unique')) obj.uniques.push({ suffix: `by_${name}`, fields: [name] });
  } else if (structNames.has(t.name)) {
    field = {
      kind: 'struct',
      name,
      typeName: prefixed(t.name),
      list: t.list,
      nonNull: t.nonNull,
      column,
      description,
    };
  } else {
    problems.add(
      catalog,
      f.type,
      `${where}: unknown or unsupported type ${t.name || '?'} (relations are declared with @field_references or @references)`,
    );
    return;
  }
  if (obj.fields.has(name)) problems.add(catalog, f, `${where}: declared twice`);
  obj.fields.set(name, field);
}

function compileFunction(
  spec: SourceSpec,
  { node, catalog, mutation }: Located<FieldDefinitionNode> & { mutation: boolean },
  rename: (n: string) => string,
  dataNames: Set<string>,
  structNames: Set<string>,
  problems: Problems,
): FunctionDef | undefined {
  const d = directive(node, 'function');
  const where = `function ${node.name.value}`;
  if (!d) {
    problems.add(
      catalog,
      node,
      `${where}: fields of Function/MutationFunction need @function(name:) or @function(sql:)`,
    );
    return undefined;
  }
  const a = args(d);
  const t = unwrap(node.type);
  const kind = SCALARS.has(t.name)
    ? 'scalar'
    : dataNames.has(t.name)
      ? 'object'
      : structNames.has(t.name)
        ? 'struct'
        : undefined;
  if (!kind) {
    problems.add(catalog, node.type, `${where}: unknown return type ${t.name}`);
    return undefined;
  }
  if (!str(a.name) && !str(a.sql)) problems.add(catalog, d, `${where}: @function needs name or sql`);
  const modArg = str(args(directive(node, 'module')).name);
  return {
    name: node.name.value,
    source: spec.name,
    module: spec.asModule ? [spec.name, modArg].filter(Boolean).join('.') : (modArg ?? ''),
    mutation,
    sqlName: str(a.sql) ? undefined : str(a.name),
    sql: str(a.sql),
    args: (node.arguments ?? []).map((arg) => ({ name: arg.name.value, type: typeText(arg.type, rename) })),
    returns: { typeName: rename(t.name), list: t.list, nonNull: t.nonNull, kind },
    description: node.description?.value,
  };
}

function defaultOf(d: ConstDirectiveNode | undefined): ScalarField['default'] {
  if (!d) return undefined;
  const a = args(d);
  return {
    value: a.value,
    sequence: str(a.sequence),
    insertExp: str(a.insert_exp),
    updateExp: str(a.update_exp),
  };
}

interface Reference {
  from: DataObject;
  catalog: string;
  node: ASTNode;
  target: string;
  sourceFields: string[];
  targetFields: string[];
  query?: string;
  referencesQuery?: string;
}

/** Turns @field_references / @references into relation fields on both ends (m2m through junctions). */
function linkRelations(
  objects: DataObject[],
  located: Map<string, Located<ObjectTypeDefinitionNode>>,
  problems: Problems,
): void {
  const byOriginal = new Map(objects.map((o) => [o.originalName, o]));
  const refs: Reference[] = [];
  for (const obj of objects) {
    const { node, catalog } = located.get(obj.name)!;
    const reference = (d: ConstDirectiveNode, sourceFields: string[], targetFields: string[]): Reference => {
      const a = args(d);
      return {
        from: obj,
        catalog,
        node: d,
        target: String(a.references_name ?? ''),
        sourceFields,
        targetFields,
        query: str(a.query),
        referencesQuery: str(a.references_query),
      };
    };
    for (const d of directives(node, 'references'))
      refs.push(reference(d, strList(args(d).source_fields), strList(args(d).references_fields)));
    for (const f of node.fields ?? [])
      for (const d of directives(f, 'field_references'))
        refs.push(reference(d, [f.name.value], [str(args(d).field) ?? '']));
  }

  const addField = (obj: DataObject, field: ObjectField, r: Reference) => {
    if (obj.fields.has(field.name))
      problems.add(
        r.catalog,
        r.node,
        `relation field ${obj.originalName}.${field.name} clashes with an existing field`,
      );
    else obj.fields.set(field.name, field);
  };

  const valid: Array<Reference & { targetObj: DataObject }> = [];
  for (const r of refs) {
    const targetObj = byOriginal.get(r.target);
    const label = `type ${r.from.originalName}: reference to "${r.target}"`;
    if (!targetObj) {
      problems.add(r.catalog, r.node, `${label}: no @table or @view of that name in this data source`);
      continue;
    }
    if (!r.sourceFields.length || r.sourceFields.length !== r.targetFields.length) {
      problems.add(
        r.catalog,
        r.node,
        `${label}: source and referenced field lists must be non-empty and equal in length`,
      );
      continue;
    }
    const bad =
      r.sourceFields.find((f) => r.from.fields.get(f)?.kind !== 'scalar') ??
      r.targetFields.find((f) => targetObj.fields.get(f)?.kind !== 'scalar');
    if (bad !== undefined) {
      problems.add(r.catalog, r.node, `${label}: field "${bad}" is not a scalar field`);
      continue;
    }
    valid.push({ ...r, targetObj });
  }

  for (const r of valid.filter((v) => !v.from.isM2M)) {
    const on = r.sourceFields.map((s, i) => [s, r.targetFields[i]] as [string, string]);
    addField(
      r.from,
      {
        kind: 'relation',
        name: r.query ?? r.targetObj.originalName,
        direction: 'forward',
        target: r.targetObj.name,
        on,
      },
      r,
    );
    addField(
      r.targetObj,
      {
        kind: 'relation',
        name: r.referencesQuery ?? r.from.originalName,
        direction: 'back',
        target: r.from.name,
        on: on.map(([a, b]) => [b, a]),
      },
      r,
    );
  }

  const junctions = new Map<DataObject, Array<Reference & { targetObj: DataObject }>>();
  for (const r of valid.filter((v) => v.from.isM2M))
    junctions.set(r.from, [...(junctions.get(r.from) ?? []), r]);
  for (const [junction, pair] of junctions) {
    if (pair.length !== 2) {
      const { node, catalog } = located.get(junction.name)!;
      problems.add(
        catalog,
        node,
        `type ${junction.originalName}: an is_m2m table needs exactly two references (has ${pair.length})`,
      );
      continue;
    }
    for (const [a, b] of [pair, [pair[1], pair[0]]]) {
      // a: junction → A, b: junction → B; A gets a list of B named by a's references_query.
      addField(
        a.targetObj,
        {
          kind: 'relation',
          name: a.referencesQuery ?? b.targetObj.originalName,
          direction: 'm2m',
          target: b.targetObj.name,
          on: a.targetFields.map((t, i) => [t, a.sourceFields[i]]),
          junction: junction.name,
          junctionOn: b.sourceFields.map((s, i) => [s, b.targetFields[i]]),
        },
        a,
      );
    }
  }
}
