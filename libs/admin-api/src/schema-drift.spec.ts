import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { AccessResolver } from './access.resolver.js';
import { AdminResolver } from './admin.resolver.js';
import { StorageResolver } from './storage.resolver.js';

const SCHEMA_FILE = 'apps/management/schema.gql';

/** The management API's SDL is committed; this fails when the code-first schema drifts from it. */
describe('management GraphQL schema', () => {
  it(`matches the committed ${SCHEMA_FILE} (UPDATE_SCHEMA=1 rewrites it)`, async () => {
    const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
    try {
      const schema = await app
        .get(GraphQLSchemaFactory)
        .create([AdminResolver, AccessResolver, StorageResolver]);
      const sdl = `${printSchema(lexicographicSortSchema(schema))}\n`;
      if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, sdl);
      expect(sdl).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
      for (const field of [
        'nodes',
        'cluster',
        'dataSources',
        'dataSource',
        'catalogSources',
        'roles',
        'apiKeys',
        'storages',
      ]) {
        expect(schema.getQueryType()!.getFields()).toHaveProperty(field);
      }
      for (const field of [
        'createDataSource',
        'updateDataSource',
        'deleteDataSource',
        'loadDataSource',
        'unloadDataSource',
        'reloadDataSource',
        'removeNode',
        'createRole',
        'deleteRole',
        'setPermission',
        'removePermission',
        'createApiKey',
        'deleteApiKey',
        'setApiKeyDisabled',
        'invalidateCache',
        'registerStorage',
        'unregisterStorage',
      ]) {
        expect(schema.getMutationType()!.getFields()).toHaveProperty(field);
      }
    } finally {
      await app.close();
    }
  });
});
