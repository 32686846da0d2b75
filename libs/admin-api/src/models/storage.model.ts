import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';

export enum UrlStyleEnum {
  PATH = 'PATH',
  VIRTUAL_HOST = 'VIRTUAL_HOST',
}
registerEnumType(UrlStyleEnum, {
  name: 'UrlStyle',
  description:
    'How objects are addressed: `endpoint/bucket/key` (PATH) or `bucket.endpoint/key` (VIRTUAL_HOST).',
});

@ObjectType({
  description:
    'An S3-compatible object storage. Its credentials are stored encrypted and never shown: only `hasCredentials`.',
})
export class Storage {
  @Field() name: string;
  @Field({ description: 'Storage type; `s3` (S3-compatible: AWS, MinIO, R2, GCS interoperability).' })
  type: string;
  @Field({ description: 'URL prefix this storage serves: `s3://bucket` or `s3://bucket/prefix`.' })
  scope: string;
  @Field({ description: "`host[:port]`; '' = AWS's endpoint of the region." }) endpoint: string;
  @Field() region: string;
  @Field({ description: 'HTTPS (true) or plain HTTP (false) to the endpoint.' }) useSsl: boolean;
  @Field(() => UrlStyleEnum) urlStyle: UrlStyleEnum;
  @Field({ description: 'A key and secret are stored (encrypted); false = anonymous requests.' })
  hasCredentials: boolean;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Extra settings (Hugr: url_compatibility, kms_key_id, account_id); stored in clear.',
  })
  parameters: Record<string, unknown> | null;
  @Field() createdAt: Date;
}
