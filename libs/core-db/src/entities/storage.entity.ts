import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Object-storage registration. Credentials are stored encrypted (`*_encrypted`), never in clear. */
@Entity('storages')
export class StorageEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'varchar', length: 32, default: 's3' })
  type: string;

  @Column({ type: 'text', default: '' })
  scope: string;

  @Column({ type: 'text', default: '' })
  endpoint: string;

  @Column({ type: 'varchar', length: 64, default: '' })
  region: string;

  @Column({ name: 'use_ssl', type: 'boolean', default: true })
  useSsl: boolean;

  @Column({ name: 'url_style', type: 'varchar', length: 16, default: 'path' })
  urlStyle: string;

  @Column({ name: 'key_encrypted', type: 'text', default: '' })
  keyEncrypted: string;

  @Column({ name: 'secret_encrypted', type: 'text', default: '' })
  secretEncrypted: string;

  @Column({ type: 'jsonb', nullable: true })
  parameters: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
