import { Column, CreateDateColumn, Entity, OneToMany, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { DataSourceCatalogEntity } from './data-source-catalog.entity.js';

/** A data source definition (Hugr's `data_sources`). `loaded` is the cluster-wide load state. */
@Entity('data_sources')
export class DataSourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 128 })
  prefix: string;

  @Column({ name: 'as_module', type: 'boolean', default: false })
  asModule: boolean;

  @Column({ type: 'text' })
  path: string;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'self_defined', type: 'boolean', default: false })
  selfDefined: boolean;

  @Column({ name: 'read_only', type: 'boolean', default: false })
  readOnly: boolean;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'boolean', default: false })
  loaded: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany('DataSourceCatalogEntity', (link: DataSourceCatalogEntity) => link.dataSource)
  catalogLinks?: DataSourceCatalogEntity[];
}
