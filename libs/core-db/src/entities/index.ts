import { ApiKeyEntity } from './api-key.entity.js';
import { CatalogSourceEntity } from './catalog-source.entity.js';
import { ClusterNodeEntity } from './cluster-node.entity.js';
import { DataSourceCatalogEntity } from './data-source-catalog.entity.js';
import { DataSourceEntity } from './data-source.entity.js';
import { PermissionEntity } from './permission.entity.js';
import { RoleEntity } from './role.entity.js';
import { SettingEntity } from './setting.entity.js';
import { StorageEntity } from './storage.entity.js';

export {
  ApiKeyEntity,
  CatalogSourceEntity,
  ClusterNodeEntity,
  DataSourceCatalogEntity,
  DataSourceEntity,
  PermissionEntity,
  RoleEntity,
  SettingEntity,
  StorageEntity,
};
export type { CatalogSourceType } from './catalog-source.entity.js';
export type { NodeStatus } from './cluster-node.entity.js';

export const CORE_DB_ENTITIES = [
  ApiKeyEntity,
  CatalogSourceEntity,
  ClusterNodeEntity,
  DataSourceCatalogEntity,
  DataSourceEntity,
  PermissionEntity,
  RoleEntity,
  SettingEntity,
  StorageEntity,
];
