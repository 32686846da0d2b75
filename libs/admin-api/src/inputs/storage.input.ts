import { Field, InputType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UrlStyleEnum } from '../models/storage.model.js';

@InputType({
  description:
    'An object storage, upserted by name: registering an existing name replaces its settings (and rotates its credentials).',
})
export class StorageInput {
  @Field() name: string;
  @Field({ nullable: true, description: 'Default `s3`.' }) type?: string;
  @Field({ description: '`s3://bucket` or `s3://bucket/prefix`; the longest matching scope serves a URL.' })
  scope: string;
  @Field({
    nullable: true,
    description: "`host[:port]` or `http(s)://host[:port]`; omitted or '' = AWS's endpoint of the region.",
  })
  endpoint?: string;
  @Field({ nullable: true, description: 'Default `us-east-1`.' }) region?: string;
  @Field({ nullable: true, description: 'Default true, or the scheme of `endpoint` when it has one.' })
  useSsl?: boolean;
  @Field(() => UrlStyleEnum, {
    nullable: true,
    description: 'Default VIRTUAL_HOST on AWS (no endpoint), PATH with an endpoint.',
  })
  urlStyle?: UrlStyleEnum;
  @Field({
    nullable: true,
    description:
      'Access key id; with `secret`. Omitted on an existing storage: kept. Both empty strings: anonymous access.',
  })
  key?: string;
  @Field({ nullable: true, description: 'Secret access key; stored encrypted, never shown or logged.' })
  secret?: string;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'An object of extra settings, or null; stored in clear.',
  })
  parameters?: unknown;
}
