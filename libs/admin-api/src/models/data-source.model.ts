import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum CatalogType {
  TEXT = 'TEXT',
  LOCAL_FS = 'LOCAL_FS',
  URI = 'URI',
}
registerEnumType(CatalogType, {
  name: 'CatalogType',
  description: 'TEXT: the SDL is inline; LOCAL_FS: a file or directory on each node; URI: a URL.',
});

@ObjectType({ description: 'A catalog: SDL with Hugr directives.' })
export class CatalogSource {
  @Field() name: string;
  @Field(() => CatalogType) type: CatalogType;
  @Field() description: string;
  @Field(() => String, { nullable: true, description: 'File path or URL (LOCAL_FS, URI).' }) path:
    string | null;
  @Field(() => String, { nullable: true, description: 'Inline SDL (TEXT).' }) sdl: string | null;
}

@ObjectType({ description: 'Load status of a data source on one node.' })
export class DataSourceNodeStatus {
  @Field() node: string;
  @Field({ description: 'The node serves the current schema version.' }) upToDate: boolean;
  @Field({ description: 'The source is attached and served on this node.' }) loaded: boolean;
  @Field(() => String, { nullable: true }) error: string | null;
  @Field(() => Int) schemaVersion: number;
}

@ObjectType({ description: 'A data source definition.' })
export class DataSource {
  @Field() name: string;
  @Field({ description: "Hugr's type string: postgres, duckdb, mysql, …" }) type: string;
  @Field() prefix: string;
  @Field() asModule: boolean;
  @Field({ description: 'Connection path (DSN or file); `${ENV}` references are substituted on nodes.' })
  path: string;
  @Field() readOnly: boolean;
  @Field() disabled: boolean;
  @Field() selfDefined: boolean;
  @Field() description: string;
  @Field({ description: 'Loaded cluster-wide (loadDataSource / unloadDataSource).' }) loaded: boolean;
  @Field(() => [CatalogSource]) catalogs: CatalogSource[];
  @Field(() => [DataSourceNodeStatus], { description: 'Per-node load status.' })
  nodes: DataSourceNodeStatus[];
}

@ObjectType({ description: 'One problem found while compiling a catalog.' })
export class CatalogProblemModel {
  @Field({ description: 'Catalog (or catalog file) the problem is in.' }) catalog: string;
  @Field() message: string;
  @Field(() => Int, { nullable: true }) line: number | null;
  @Field(() => Int, { nullable: true }) column: number | null;
}

@ObjectType({ description: 'Result of compiling a catalog without committing anything.' })
export class CatalogValidation {
  @Field() valid: boolean;
  @Field(() => [CatalogProblemModel]) errors: CatalogProblemModel[];
  @Field(() => String, { nullable: true, description: 'The GraphQL SDL the catalog generates (when valid).' })
  schema: string | null;
}
