import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('roles')
export class RoleEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'can_impersonate', type: 'boolean', default: false })
  canImpersonate: boolean;
}
