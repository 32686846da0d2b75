import type { Identity } from '@app/auth';
import { CORE_CATALOG_SDL } from '@app/core-db';
import {
  EngineError,
  type HostFunction,
  type QueryRequest,
  type QueryResponse,
  type SourceInput,
} from '@app/engine';

/** What the data API knows about the caller; the engine hands it to host functions and guards. */
export interface RequestContext {
  /** The caller has the `admin` role (the secret key, or an admin API key / token). */
  admin: boolean;
  identity?: Identity;
  /** The schema version whose roles and permissions apply to the request (cached results are kept per version). */
  version?: number;
}

export type LifecycleAction = 'load' | 'unload' | 'reload';

export interface OperationResultValue {
  success: boolean;
  affected_rows: number;
  last_id: null;
  message: string;
}

/** Runs a data-source lifecycle call: through management in a cluster, locally when standalone. */
export interface CoreLifecycle {
  run(action: LifecycleAction, name: string): Promise<OperationResultValue>;
}

/** Cluster-wide cache invalidation by tags (undefined = everything); answers entries dropped here. */
export type InvalidateCache = (tags: string[] | undefined) => Promise<number>;

export interface CoreModuleOptions {
  coreDbUrl: string;
  info: { version: string; clusterMode: boolean; nodeRole: string; nodeName: string };
  lifecycle: CoreLifecycle;
  /** Cluster mode: writes to `core` tables go to management whole. */
  forward?: (request: QueryRequest) => Promise<QueryResponse>;
  invalidateCache: InvalidateCache;
  /**
   * The SDL `self_defined: true` generates for a defined data source (loaded or not), read from
   * its database now; `undefined` when no source has that name.
   */
  describeSource: (name: string, opts: { allSchemas: boolean }) => Promise<string | undefined>;
}

export const CORE_SOURCE = 'core';

const HOST_TYPES = `type core_info {
  version: String
  cluster_mode: Boolean
  node_role: String
  node_name: String
}
type core_auth_info {
  user_id: String
  user_name: String
  role: String
  auth_type: String
  auth_provider: String
  impersonated_by_user_id: String
  impersonated_by_user_name: String
  impersonated_by_user_role: String
}
`;

const ADMIN_ONLY = 'the core module needs the admin role';

function requireAdmin(context: unknown): void {
  if (!(context as RequestContext | undefined)?.admin) throw new EngineError('FORBIDDEN', ADMIN_ONLY);
}

/**
 * Hugr's built-in `core` module on a work node: the core tables as a source (`core { data_sources
 * { … } }`), `function { core { info … load_data_source … } }` and
 * `mutation { function { core { cluster { load_source … } } } }`.
 */
export function coreModule(opts: CoreModuleOptions) {
  const source: SourceInput = {
    name: CORE_SOURCE,
    type: 'postgres',
    prefix: 'core',
    asModule: true,
    path: opts.coreDbUrl,
    // In a cluster the node never writes the core DB: writes are forwarded (remoteMutations).
    readOnly: false,
    catalogs: [{ name: 'core', type: 'text', path: CORE_CATALOG_SDL }],
  };
  const lifecycle = (
    action: LifecycleAction,
    module: string,
    name: string,
    mutation: boolean,
  ): HostFunction => ({
    module,
    name,
    mutation,
    args: [{ name: 'name', type: 'String!' }],
    returns: 'OperationResult',
    description: `${action[0].toUpperCase()}${action.slice(1)}s a data source on every node and waits for them.`,
    run: async (args, context) => {
      requireAdmin(context);
      return opts.lifecycle.run(action, String(args.name));
    },
  });
  const invalidate = (mutation: boolean): HostFunction => ({
    module: 'core.cache',
    name: 'invalidate',
    mutation,
    args: [{ name: 'tags', type: '[String!]' }],
    returns: 'OperationResult',
    description: 'Invalidates cached results with any of these tags (none = all) on every node.',
    run: async (args, context) => {
      requireAdmin(context);
      const tags = Array.isArray(args.tags) && args.tags.length ? (args.tags as string[]) : undefined;
      const dropped = await opts.invalidateCache(tags);
      return {
        success: true,
        affected_rows: dropped,
        last_id: null,
        message: `cache invalidated (${tags ? `tags ${tags.join(', ')}` : 'everything'}) on every node`,
      };
    },
  });
  const hostFunctions: HostFunction[] = [
    {
      module: 'core',
      name: 'info',
      mutation: false,
      args: [],
      returns: 'core_info',
      description: 'This node: Muninn version, cluster mode, role and name.',
      run: async () => ({
        version: opts.info.version,
        cluster_mode: opts.info.clusterMode,
        node_role: opts.info.nodeRole,
        node_name: opts.info.nodeName,
      }),
    },
    {
      module: 'core.auth',
      name: 'me',
      mutation: false,
      args: [],
      returns: 'core_auth_info',
      description: 'Who the request is authenticated as.',
      run: async (_args, context) => {
        const id = (context as RequestContext | undefined)?.identity;
        if (!id) return null;
        return {
          user_id: id.userId,
          user_name: id.userName,
          role: id.role,
          auth_type: hugrAuthType(id),
          auth_provider: id.provider,
          impersonated_by_user_id: id.impersonator?.userId ?? null,
          impersonated_by_user_name: id.impersonator?.userName ?? null,
          impersonated_by_user_role: id.impersonator?.role ?? null,
        };
      },
    },
    {
      module: 'core',
      name: 'describe_data_source_schema',
      mutation: false,
      // Hugr's arguments; `self` and `log` are accepted, the answer is always the generated SDL.
      args: [
        { name: 'name', type: 'String!' },
        { name: 'self', type: 'Boolean = false' },
        { name: 'log', type: 'Boolean = false' },
        { name: 'all_schemas', type: 'Boolean = false' },
      ],
      returns: 'String',
      description:
        "The catalog SDL generated from the data source's own tables and views (as self_defined does); all_schemas: every non-system schema, not only public/main.",
      run: async (args, context) => {
        requireAdmin(context);
        const name = String(args.name);
        const sdl = await opts.describeSource(name, { allSchemas: args.all_schemas === true });
        if (sdl === undefined)
          throw new EngineError('BAD_USER_INPUT', `data source "${name}" does not exist`);
        return sdl;
      },
    },
    invalidate(false),
    invalidate(true),
    lifecycle('load', 'core', 'load_data_source', false),
    lifecycle('unload', 'core', 'unload_data_source', false),
    lifecycle('load', 'core.cluster', 'load_source', true),
    lifecycle('reload', 'core.cluster', 'reload_source', true),
    lifecycle('unload', 'core.cluster', 'unload_source', true),
  ];
  return {
    source,
    hostFunctions,
    hostTypes: HOST_TYPES,
    authorize: (name: string, context: unknown) =>
      name === CORE_SOURCE && !(context as RequestContext | undefined)?.admin ? ADMIN_ONLY : undefined,
    remoteMutations: opts.forward ? { [CORE_SOURCE]: (req: QueryRequest) => opts.forward!(req) } : undefined,
  };
}

/** Hugr's `auth_type` values: apiKey, db-api-key, jwt, oidc, anonymous, impersonation. */
function hugrAuthType(id: Identity): string {
  if (id.impersonator) return 'impersonation';
  if (id.authType === 'secret') return 'apiKey';
  if (id.authType === 'apikey') return id.provider === 'managed-api-key' ? 'db-api-key' : 'apiKey';
  if (id.authType === 'jwt' && id.provider === 'oidc') return 'oidc';
  return id.authType;
}
