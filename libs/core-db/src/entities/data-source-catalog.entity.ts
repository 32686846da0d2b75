import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CatalogSourceEntity } from './catalog-source.entity.js';
import type { DataSourceEntity } from './data-source.entity.js';

@Entity('data_source_catalogs')
export class DataSourceCatalogEntity {
  @PrimaryColumn({ name: 'data_source_name', type: 'varchar', length: 128 })
  dataSourceName: string;

  @PrimaryColumn({ name: 'catalog_name', type: 'varchar', length: 128 })
  catalogName: string;

  @ManyToOne('DataSourceEntity', (ds: DataSourceEntity) => ds.catalogLinks, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'data_source_name' })
  dataSource?: DataSourceEntity;

  @ManyToOne('CatalogSourceEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'catalog_name' })
  catalog?: CatalogSourceEntity;
}
