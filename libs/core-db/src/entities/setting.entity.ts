import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Key/value settings; `schema_version` lives here. */
@Entity('settings')
export class SettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  key: string;

  @Column({ type: 'text' })
  value: string;
}
