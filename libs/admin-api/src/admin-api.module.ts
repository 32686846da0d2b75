import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { StorageCipher } from '@app/storage';
import { ADMIN_AUTH_OPTIONS, type AdminAuthOptions, AdminAuthService } from './admin-auth.js';
import { formatAdminError } from './admin.errors.js';
import { AccessResolver } from './access.resolver.js';
import { AdminResolver } from './admin.resolver.js';
import { ApiKeysService } from './api-keys.service.js';
import { ClusterChangeService } from './cluster-change.service.js';
import { ClusterService } from './cluster.service.js';
import { CoreForwardController } from './core-forward.controller.js';
import { CoreForwardService } from './core-forward.service.js';
import { DataSourcesService } from './data-sources.service.js';
import { RolesService } from './roles.service.js';
import { StorageResolver } from './storage.resolver.js';
import { ADMIN_STORAGE_CIPHER, StoragesService } from './storages.service.js';

export interface AdminApiOptions extends AdminAuthOptions {
  /** Write the generated SDL here (tests check the committed file for drift); default in memory. */
  schemaFile?: string;
  /** Key material of storage credentials (STORAGE_ENCRYPTION_KEY, else CLUSTER_SECRET). */
  storageEncryptionKey?: string;
}

type Headers = Record<string, string | string[] | undefined>;

/** Holds the admin credential check, so that the GraphQL module's factory can inject it. */
@Module({})
class AdminAuthModule {}

/** The management GraphQL API (SPEC §9.4): Apollo Server, code first, Sandbox landing page. */
@Module({})
export class AdminApiModule {
  static forRoot(options: AdminApiOptions): DynamicModule {
    const logger = new Logger('AdminApi');
    const auth = {
      module: AdminAuthModule,
      providers: [{ provide: ADMIN_AUTH_OPTIONS, useValue: options }, AdminAuthService],
      exports: [AdminAuthService],
    };
    return {
      module: AdminApiModule,
      imports: [
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [auth],
          inject: [AdminAuthService],
          useFactory: (admin: AdminAuthService) => ({
            path: '/graphql',
            autoSchemaFile: options.schemaFile ?? true,
            sortSchema: true,
            playground: false,
            introspection: true,
            plugins: [ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })],
            // Runs for every operation (not for the landing page): no admin credential, no GraphQL.
            context: async (first: { headers?: Headers; req?: { headers: Headers } }) => {
              await admin.check(first.headers ?? first.req?.headers ?? {});
              return {};
            },
            formatError: (formatted, error) =>
              formatAdminError(
                formatted,
                (e) => logger.error(`unexpected error: ${(e as Error)?.message}`, (e as Error)?.stack),
                error,
              ),
          }),
        }),
      ],
      controllers: [CoreForwardController],
      providers: [
        AdminResolver,
        AccessResolver,
        StorageResolver,
        StoragesService,
        {
          provide: ADMIN_STORAGE_CIPHER,
          useFactory: () =>
            options.storageEncryptionKey ? new StorageCipher(options.storageEncryptionKey) : undefined,
        },
        ClusterService,
        DataSourcesService,
        RolesService,
        ApiKeysService,
        ClusterChangeService,
        CoreForwardService,
      ],
    };
  }
}
