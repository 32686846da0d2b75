/**
 * The `core` module's catalog: Hugr's core tables as an SDL catalog over the core DB, served by
 * the engine like any source (asModule `core`, prefix `core`). Only definition tables appear:
 * API keys, storages and the node registry stay out of the data API.
 */
export const CORE_CATALOG_SDL = `
type data_sources @table(name: "data_sources") {
  name: String! @pk
  type: String!
  prefix: String!
  description: String @default(value: "")
  as_module: Boolean @default(value: false)
  path: String!
  disabled: Boolean @default(value: false)
  self_defined: Boolean @default(value: false)
  read_only: Boolean @default(value: false)
  "Loaded cluster-wide (load_source / unload_source)."
  loaded: Boolean @default(value: false)
}

type catalog_sources @table(name: "catalog_sources") {
  name: String! @pk
  "text, localFS or uri"
  type: String!
  description: String @default(value: "")
  "The SDL for text catalogs, a path or URL otherwise."
  path: String!
}

type data_source_catalogs @table(name: "data_source_catalogs", is_m2m: true) {
  data_source_name: String! @pk
    @field_references(references_name: "data_sources", field: "name", query: "data_source", references_query: "catalogs")
  catalog_name: String! @pk
    @field_references(references_name: "catalog_sources", field: "name", query: "catalog", references_query: "data_sources")
}

type roles @table(name: "roles") {
  name: String! @pk
  description: String @default(value: "")
  disabled: Boolean @default(value: false)
  can_impersonate: Boolean @default(value: false)
}

type permissions @table(name: "permissions") {
  role: String! @pk
    @field_references(references_name: "roles", field: "name", query: "role_info", references_query: "permissions")
  type_name: String! @pk
  field_name: String! @pk
  hidden: Boolean @default(value: false)
  disabled: Boolean @default(value: false)
  filter: JSON
  data: JSON
}
`;

/** Types whose change alters what nodes serve (or their permission cache): a write bumps the schema version. */
export const CORE_SCHEMA_TABLES = [
  'core_data_sources',
  'core_catalog_sources',
  'core_data_source_catalogs',
  'core_roles',
  'core_permissions',
];
