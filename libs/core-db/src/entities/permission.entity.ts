import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Hugr permission row; the most specific (type.field > type.* > *.field > *.*) wins. */
@Entity('permissions')
export class PermissionEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  role: string;

  @PrimaryColumn({ name: 'type_name', type: 'varchar', length: 255 })
  typeName: string;

  @PrimaryColumn({ name: 'field_name', type: 'varchar', length: 255 })
  fieldName: string;

  @Column({ type: 'boolean', default: false })
  hidden: boolean;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ type: 'jsonb', nullable: true })
  filter: unknown;

  @Column({ type: 'jsonb', nullable: true })
  data: unknown;
}
