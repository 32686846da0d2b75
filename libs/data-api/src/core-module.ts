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
  /** The request carried the node's admin key (`x-hugr-secret-key` = SECRET_KEY). */
  admin: boolean;
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

export interface CoreModuleOptions {
  coreDbUrl: string;
  info: { version: string; clusterMode: boolean; nodeRole: string; nodeName: string };
  lifecycle: CoreLifecycle;
  /** Cluster mode: writes to `core` tables go to management whole. */
  forward?: (request: QueryRequest) => Promise<QueryResponse>;
}

export const CORE_SOURCE = 'core';

const ADMIN_ONLY =
  'the core module needs the admin key (x-hugr-secret-key) until roles and permissions arrive';

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
      if (!(context as RequestContext | undefined)?.admin) throw new EngineError('FORBIDDEN', ADMIN_ONLY);
      return opts.lifecycle.run(action, String(args.name));
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
    lifecycle('load', 'core', 'load_data_source', false),
    lifecycle('unload', 'core', 'unload_data_source', false),
    lifecycle('load', 'core.cluster', 'load_source', true),
    lifecycle('reload', 'core.cluster', 'reload_source', true),
    lifecycle('unload', 'core.cluster', 'unload_source', true),
  ];
  return {
    source,
    hostFunctions,
    hostTypes:
      'type core_info {\n  version: String\n  cluster_mode: Boolean\n  node_role: String\n  node_name: String\n}\n',
    authorize: (name: string, context: unknown) =>
      name === CORE_SOURCE && !(context as RequestContext | undefined)?.admin ? ADMIN_ONLY : undefined,
    remoteMutations: opts.forward ? { [CORE_SOURCE]: (req: QueryRequest) => opts.forward!(req) } : undefined,
  };
}
