import {
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  isObjectType,
  type FragmentDefinitionNode,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type SelectionSetNode,
  getDirectiveValues,
} from 'graphql';

export type FieldGroups = Map<string, FieldNode[]>;

export interface SelectionScope {
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

function included(scope: SelectionScope, node: Parameters<typeof getDirectiveValues>[1]): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node, scope.variables);
  if (skip?.if === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, node, scope.variables);
  return include?.if !== false;
}

/**
 * Groups the fields of a selection set by response key, expanding fragments whose type condition
 * is the object type and applying @skip/@include (the catalog has no interfaces or unions).
 */
export function collectFields(
  scope: SelectionScope,
  typeName: string,
  sets: ReadonlyArray<SelectionSetNode | undefined>,
  into: FieldGroups = new Map(),
  visited: Set<string> = new Set(),
): FieldGroups {
  for (const set of sets) {
    if (!set) continue;
    for (const sel of set.selections) {
      if (!included(scope, sel)) continue;
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        const group = into.get(key);
        if (group) group.push(sel);
        else into.set(key, [sel]);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (!sel.typeCondition || sel.typeCondition.name.value === typeName)
          collectFields(scope, typeName, [sel.selectionSet], into, visited);
      } else {
        const name = sel.name.value;
        const frag = scope.fragments[name];
        if (!frag || visited.has(name) || frag.typeCondition.name.value !== typeName) continue;
        // Collected once per selection (as graphql-js does): spreading it again adds the same
        // fields, and re-walking repeated spreads level after level would be exponential.
        visited.add(name);
        collectFields(scope, typeName, [frag.selectionSet], into, visited);
      }
    }
  }
  return into;
}

/** The fields selected under every node of a group, merged. */
export function subFields(scope: SelectionScope, typeName: string, nodes: readonly FieldNode[]): FieldGroups {
  return collectFields(
    scope,
    typeName,
    nodes.map((n) => n.selectionSet),
  );
}

/** The coerced arguments of a field of `typeName` (defaults applied, variables substituted). */
export function argumentsOf(
  schema: GraphQLSchema,
  typeName: string,
  node: FieldNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  const def = (schema.getType(typeName) as GraphQLObjectType).getFields()[node.name.value];
  return getArgumentValues(def, node, variables);
}

/** A JS value shaped like the selection (aliases, sub-selections, __typename): host results, OperationResult. */
export function project(
  schema: GraphQLSchema,
  scope: SelectionScope,
  value: unknown,
  typeName: string,
  nodes: readonly FieldNode[],
): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => project(schema, scope, v, typeName, nodes));
  const type = schema.getType(typeName);
  if (!isObjectType(type)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, group] of subFields(scope, type.name, nodes)) {
    const name = group[0].name.value;
    if (name === '__typename') out[key] = type.name;
    else {
      const field = type.getFields()[name];
      out[key] = project(
        schema,
        scope,
        (value as Record<string, unknown>)[name],
        getNamedType(field.type).name,
        group,
      );
    }
  }
  return out;
}
