import { Column, Entity, PrimaryColumn } from 'typeorm';

export type NodeStatus = 'STARTING' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING';

/** The node registry, persisted so a restarted management resumes checking the same nodes. */
@Entity('cluster_nodes')
export class ClusterNodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'varchar', length: 32, default: 'worker' })
  role: string;

  @Column({ type: 'varchar', length: 64, default: '' })
  version: string;

  @Column({ type: 'varchar', length: 16 })
  status: NodeStatus;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt: Date;

  @Column({ name: 'last_seen', type: 'timestamptz', nullable: true })
  lastSeen: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'schema_version', type: 'integer', default: 0 })
  schemaVersion: number;

  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures: number;

  @Column({ name: 'unhealthy_since', type: 'timestamptz', nullable: true })
  unhealthySince: Date | null;
}
