import { Lexer, Source, type Token, TokenKind } from 'graphql';
import type { QueryResponse } from '@app/engine';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/** What metrics and the request log say about a request: bounded type, and a GraphQL name or nothing. */
export interface OperationInfo {
  type: OperationType;
  name?: string;
}

const OPERATION_KEYWORDS = new Set(['query', 'mutation', 'subscription']);
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const MAX_NAME_LENGTH = 100;
/** Documents up to this size are remembered; most traffic repeats a few documents. */
const MAX_CACHED_LENGTH = 16_384;
const MAX_CACHED = 500;

/** operationName ('' for none) → document → info. Keyed by the request's own strings: no key is built. */
const cache = new Map<string, Map<string, OperationInfo>>();
let cached = 0;

/**
 * The type and name of the operation a request runs, from a token scan of the top level of the
 * document (no AST is built; the engine parses and validates on its own). A document that does
 * not scan, or that names no single operation, is `unknown`.
 */
export function describeOperation(query: unknown, operationName: unknown): OperationInfo {
  const wanted = typeof operationName === 'string' && operationName !== '' ? operationName : undefined;
  if (typeof query !== 'string') return { type: 'unknown', name: safeName(wanted) };
  const byName = cache.get(wanted ?? '');
  const hit = byName?.get(query);
  if (hit) return hit;
  const info = pick(scanOperations(query), wanted);
  if (query.length <= MAX_CACHED_LENGTH) {
    if (cached >= MAX_CACHED) {
      cache.clear();
      cached = 0;
    }
    const map = cache.get(wanted ?? '') ?? new Map<string, OperationInfo>();
    cache.set(wanted ?? '', map);
    map.set(query, info);
    cached++;
  }
  return info;
}

function pick(operations: OperationInfo[] | undefined, wanted: string | undefined): OperationInfo {
  if (!operations) return { type: 'unknown', name: safeName(wanted) };
  const op = wanted
    ? operations.find((o) => o.name === wanted)
    : operations.length === 1
      ? operations[0]
      : undefined;
  return op ? { type: op.type, name: safeName(op.name) } : { type: 'unknown', name: safeName(wanted) };
}

/** A name fit for a log line: GraphQL name syntax, bounded length. */
function safeName(name: string | undefined): string | undefined {
  return name !== undefined && name.length <= MAX_NAME_LENGTH && NAME.test(name) ? name : undefined;
}

/** Operations of the document in order, or undefined when it does not scan as GraphQL. */
function scanOperations(query: string): OperationInfo[] | undefined {
  const operations: OperationInfo[] = [];
  try {
    const lexer = new Lexer(new Source(query));
    let depth = 0; // selection-set braces
    let parens = 0; // variable definitions and directive arguments at the top level
    let atDefinition = true;
    for (let token: Token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (depth === 0 && parens === 0 && atDefinition) {
        atDefinition = false;
        if (token.kind === TokenKind.BRACE_L) {
          operations.push({ type: 'query' });
          depth = 1;
        } else if (token.kind === TokenKind.NAME && OPERATION_KEYWORDS.has(token.value)) {
          const next = lexer.lookahead();
          operations.push({
            type: token.value as OperationType,
            name: next.kind === TokenKind.NAME ? next.value : undefined,
          });
        } else if (!(token.kind === TokenKind.NAME && token.value === 'fragment')) {
          return undefined;
        }
        continue;
      }
      if (token.kind === TokenKind.PAREN_L && depth === 0) parens++;
      else if (token.kind === TokenKind.PAREN_R && depth === 0) parens--;
      else if (parens > 0)
        continue; // object values in top-level arguments have braces too
      else if (token.kind === TokenKind.BRACE_L) depth++;
      else if (token.kind === TokenKind.BRACE_R && --depth === 0) atDefinition = true;
    }
  } catch {
    return undefined; // a syntax error: the engine reports it; for metrics the type is unknown
  }
  return operations;
}

/**
 * `errors` when the answer carries GraphQL errors. The engine writes `errors` first
 * (`{"errors":[…],"data":…}`), so the check never scans a result.
 */
export function outcomeOf(res: QueryResponse): 'ok' | 'errors' {
  return res.status === 200 && !res.body.startsWith('{"errors"') ? 'ok' : 'errors';
}
