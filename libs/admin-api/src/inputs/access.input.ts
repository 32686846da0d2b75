import { Field, InputType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';

@InputType()
export class RoleInput {
  @Field() name: string;
  @Field({ nullable: true }) description?: string;
  @Field({ nullable: true }) disabled?: boolean;
  @Field({ nullable: true }) canImpersonate?: boolean;
}

@InputType({ description: 'Fields of a role to change; omitted fields keep their value.' })
export class RoleUpdateInput {
  @Field({ nullable: true }) description?: string;
  @Field({ nullable: true }) disabled?: boolean;
  @Field({ nullable: true }) canImpersonate?: boolean;
}

@InputType({
  description:
    'A permission row, upserted by (role, typeName, fieldName); omitted flags are false, omitted filter/data null.',
})
export class PermissionInput {
  @Field() role: string;
  @Field({
    description:
      'A GraphQL type name, `Query`, `Mutation`, `*`, or `data-object:query|insert|update|delete`.',
  })
  typeName: string;
  @Field({ description: 'A field name or `*` (for `data-object:*`: a data object type name or `*`).' })
  fieldName: string;
  @Field({ nullable: true }) hidden?: boolean;
  @Field({ nullable: true }) disabled?: boolean;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A filter object, or null.' })
  filter?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'An object of mutation input values, or null.' })
  data?: unknown;
}

@InputType()
export class ApiKeyInput {
  @Field() name: string;
  @Field({ description: 'An existing role.' }) defaultRole: string;
  @Field({ nullable: true }) description?: string;
  @Field(() => Date, { nullable: true, description: 'When the key stops working; must be in the future.' })
  expiresAt?: Date;
  @Field(() => GraphQLJSON, { nullable: true, description: 'An object; `role`, when set, must name a role.' })
  claims?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'An object, or null.' })
  headers?: unknown;
}
