/** Coded errors of the engine; the transport maps them to GraphQL errors once. */
export type EngineErrorCode =
  | 'CATALOG_INVALID'
  | 'BAD_USER_INPUT'
  | 'FORBIDDEN'
  | 'DATA_SOURCE_ERROR'
  | 'DATA_SOURCE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export interface CatalogProblem {
  catalog: string;
  message: string;
  line?: number;
  column?: number;
}

/** A catalog that does not compile; every problem carries the catalog name and, when known, the line. */
export class CatalogError extends EngineError {
  constructor(readonly problems: CatalogProblem[]) {
    super('CATALOG_INVALID', problems.map(formatProblem).join('\n'));
    this.name = 'CatalogError';
  }
}

export function formatProblem(p: CatalogProblem): string {
  const where = p.line ? `${p.catalog}:${p.line}:${p.column ?? 1}` : p.catalog;
  return `${where}: ${p.message}`;
}
