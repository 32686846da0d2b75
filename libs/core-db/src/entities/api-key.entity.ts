import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Managed API key. `key` holds only the SHA-256 hash; `keyPrefix` is a short display prefix. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'varchar', length: 128, unique: true })
  key: string;

  @Column({ name: 'key_prefix', type: 'varchar', length: 16 })
  keyPrefix: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ name: 'default_role', type: 'varchar', length: 128 })
  defaultRole: string;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'is_temporal', type: 'boolean', default: false })
  isTemporal: boolean;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  headers: unknown;

  @Column({ type: 'jsonb', nullable: true })
  claims: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
