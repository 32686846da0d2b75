import { Field, InputType } from '@nestjs/graphql';
import { CatalogType } from '../models/data-source.model.js';

@InputType({
  description: 'A catalog attached to a data source; TEXT needs `sdl`, LOCAL_FS and URI need `path`.',
})
export class CatalogSourceInput {
  @Field() name: string;
  @Field(() => CatalogType) type: CatalogType;
  @Field({ nullable: true }) path?: string;
  @Field({ nullable: true }) sdl?: string;
  @Field({ nullable: true }) description?: string;
}

@InputType()
export class DataSourceInput {
  @Field() name: string;
  @Field() type: string;
  @Field({
    nullable: true,
    description: "Prefix of generated type names; defaults to the name, '' for none.",
  })
  prefix?: string;
  @Field({ nullable: true }) asModule?: boolean;
  @Field() path: string;
  @Field({ nullable: true }) readOnly?: boolean;
  @Field({ nullable: true }) disabled?: boolean;
  @Field({ nullable: true }) selfDefined?: boolean;
  @Field({ nullable: true }) description?: string;
  @Field(() => [CatalogSourceInput], { nullable: true }) catalogs?: CatalogSourceInput[];
}

@InputType({ description: 'Fields to change; `catalogs`, when given, replaces the list.' })
export class DataSourceUpdateInput {
  @Field({ nullable: true }) type?: string;
  @Field({ nullable: true }) prefix?: string;
  @Field({ nullable: true }) asModule?: boolean;
  @Field({ nullable: true }) path?: string;
  @Field({ nullable: true }) readOnly?: boolean;
  @Field({ nullable: true }) disabled?: boolean;
  @Field({ nullable: true }) selfDefined?: boolean;
  @Field({ nullable: true }) description?: string;
  @Field(() => [CatalogSourceInput], { nullable: true }) catalogs?: CatalogSourceInput[];
}
