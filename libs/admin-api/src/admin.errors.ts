import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export type AdminErrorCode = 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'UNAUTHENTICATED' | 'FORBIDDEN';

/** A coded domain error of the management API; its message is safe to show. */
export class AdminError extends GraphQLError {
  constructor(code: AdminErrorCode, message: string) {
    // UNAUTHENTICATED / FORBIDDEN also set the HTTP status: Apollo answers 401 / 403 when the context rejects.
    const status = code === 'UNAUTHENTICATED' ? 401 : code === 'FORBIDDEN' ? 403 : undefined;
    super(message, { extensions: status ? { code, http: { status } } : { code } });
  }
}

const SAFE_CODES = new Set([
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Errors are mapped once here: known codes pass, anything else is masked (and logged by the caller). */
export function formatAdminError(
  formatted: GraphQLFormattedError,
  onUnknown: (e: unknown) => void,
  original: unknown,
) {
  const code = formatted.extensions?.code as string | undefined;
  if (code && SAFE_CODES.has(code))
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code },
    };
  onUnknown(original);
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
