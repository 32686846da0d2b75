import { Column, Entity, PrimaryColumn } from 'typeorm';

export type CatalogSourceType = 'text' | 'localFS' | 'uri';

/** A catalog (SDL document). For `text` catalogs `path` holds the SDL itself, as in Hugr. */
@Entity('catalog_sources')
export class CatalogSourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  type: CatalogSourceType;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'text' })
  path: string;
}
