import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum NodeStatusEnum {
  HEALTHY = 'HEALTHY',
  UNHEALTHY = 'UNHEALTHY',
  DRAINING = 'DRAINING',
  STARTING = 'STARTING',
}
registerEnumType(NodeStatusEnum, {
  name: 'NodeStatus',
  description: 'Health of a registered node as management sees it.',
});

@ObjectType({ description: 'A registered work node.' })
export class ClusterNode {
  @Field({ description: 'Unique node name (CLUSTER_NODE_NAME).' }) name: string;
  @Field({ description: 'URL at which management reaches the node.' }) url: string;
  @Field() role: string;
  @Field({ description: 'Muninn version of the node.' }) version: string;
  @Field(() => NodeStatusEnum) status: NodeStatusEnum;
  @Field(() => Date, { nullable: true, description: 'Last successful contact.' }) lastSeen: Date | null;
  @Field(() => String, { nullable: true, description: 'Last health-check or push error.' }) lastError:
    string | null;
  @Field(() => Int, { description: 'Schema version the node serves.' }) schemaVersion: number;
  @Field(() => Date, { nullable: true }) startedAt: Date | null;
}

@ObjectType({ description: 'Cluster summary.' })
export class ClusterStatus {
  @Field(() => Int, { description: 'Current schema version in the core DB.' }) schemaVersion: number;
  @Field(() => Int) nodeCount: number;
  @Field(() => Int) healthyNodeCount: number;
  @Field({ description: 'Muninn version of the management node.' }) version: string;
}

@ObjectType({ description: 'What one node did with a pushed change.' })
export class NodeResult {
  @Field() node: string;
  @Field() success: boolean;
  @Field(() => String, { nullable: true }) message: string | null;
  @Field(() => Int, { nullable: true, description: 'Schema version the node serves after the push.' })
  appliedVersion: number | null;
  @Field(() => Int, { nullable: true }) durationMs: number | null;
}

@ObjectType({ description: 'Outcome of a change that nodes must apply; returned after the push.' })
export class ClusterOperationResult {
  @Field() success: boolean;
  @Field() message: string;
  @Field(() => Int, { nullable: true, description: 'Schema version written by the change.' }) schemaVersion:
    number | null;
  @Field(() => [NodeResult], { description: 'One entry per healthy node pushed to.' }) nodes: NodeResult[];
}
