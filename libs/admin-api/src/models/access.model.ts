import { Field, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';

@ObjectType({
  description:
    'A permission row (Hugr model): the most specific row of a role wins (type.field > type.* > *.field > *.*); no row = allowed.',
})
export class Permission {
  @Field() role: string;
  @Field({
    description:
      'A GraphQL type name (`Query`, `Mutation`, an object type), `*`, or `data-object:query|insert|update|delete` for table rules.',
  })
  typeName: string;
  @Field({ description: 'A field name or `*`; for `data-object:*` rules, a data object type name or `*`.' })
  fieldName: string;
  @Field({ description: 'Left out of introspection.' }) hidden: boolean;
  @Field({ description: 'Forbidden.' }) disabled: boolean;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Filter ANDed into every query of the type; `[$auth.user_id]`-style placeholders allowed.',
  })
  filter: Record<string, unknown> | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Values stamped over mutation input.' })
  data: Record<string, unknown> | null;
}

@ObjectType({ description: 'A role with its permissions.' })
export class Role {
  @Field() name: string;
  @Field() description: string;
  @Field({ description: 'A disabled role is forbidden everything.' }) disabled: boolean;
  @Field({ description: 'Callers with this role may use the x-hugr-impersonated-* headers.' })
  canImpersonate: boolean;
  @Field(() => [Permission]) permissions: Permission[];
}

@ObjectType({
  description: 'A managed API key (header x-hugr-api-key). The key itself is never shown again.',
})
export class ApiKey {
  @Field() name: string;
  @Field({ description: 'The first characters of the key, to recognise it.' }) keyPrefix: string;
  @Field() description: string;
  @Field({ description: 'Role of requests with this key, unless `claims.role` names another.' })
  defaultRole: string;
  @Field() disabled: boolean;
  @Field({ description: 'The key expires (expiresAt is set).' }) isTemporal: boolean;
  @Field(() => Date, { nullable: true }) expiresAt: Date | null;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Claims of requests with this key, usable as `[$auth.<claim>]`.',
  })
  claims: Record<string, unknown> | null;
  @Field(() => GraphQLJSON, { nullable: true }) headers: Record<string, unknown> | null;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A new API key: the only time the key is shown. Only its hash is stored.' })
export class CreatedApiKey {
  @Field() name: string;
  @Field({ description: 'The key, for header x-hugr-api-key. Store it now: it cannot be shown again.' })
  key: string;
  @Field({ description: 'The first characters of the key, as `apiKeys` shows them.' }) keyPrefix: string;
}
