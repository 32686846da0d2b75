import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The core DB tables of SPEC §3, column names as in Hugr's core DB. */
export class InitialCoreSchema1764140000000 implements MigrationInterface {
  name = 'InitialCoreSchema1764140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_sources (
        name varchar(128) PRIMARY KEY,
        type varchar(64) NOT NULL,
        prefix varchar(128) NOT NULL,
        as_module boolean NOT NULL DEFAULT false,
        path text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        self_defined boolean NOT NULL DEFAULT false,
        read_only boolean NOT NULL DEFAULT false,
        description text NOT NULL DEFAULT '',
        loaded boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE catalog_sources (
        name varchar(128) PRIMARY KEY,
        type varchar(16) NOT NULL CHECK (type IN ('text', 'localFS', 'uri')),
        description text NOT NULL DEFAULT '',
        path text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE data_source_catalogs (
        data_source_name varchar(128) NOT NULL REFERENCES data_sources(name) ON DELETE CASCADE ON UPDATE CASCADE,
        catalog_name varchar(128) NOT NULL REFERENCES catalog_sources(name) ON DELETE CASCADE ON UPDATE CASCADE,
        PRIMARY KEY (data_source_name, catalog_name)
      )`);
    await q.query(`
      CREATE TABLE roles (
        name varchar(128) PRIMARY KEY,
        description text NOT NULL DEFAULT '',
        disabled boolean NOT NULL DEFAULT false,
        can_impersonate boolean NOT NULL DEFAULT false
      )`);
    await q.query(`
      CREATE TABLE permissions (
        role varchar(128) NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
        type_name varchar(255) NOT NULL,
        field_name varchar(255) NOT NULL,
        hidden boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        filter jsonb,
        data jsonb,
        PRIMARY KEY (role, type_name, field_name)
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        name varchar(128) PRIMARY KEY,
        key varchar(128) NOT NULL UNIQUE,
        key_prefix varchar(16) NOT NULL,
        description text NOT NULL DEFAULT '',
        default_role varchar(128) NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        is_temporal boolean NOT NULL DEFAULT false,
        expires_at timestamptz,
        headers jsonb,
        claims jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE cluster_nodes (
        name varchar(128) PRIMARY KEY,
        url text NOT NULL,
        role varchar(32) NOT NULL DEFAULT 'worker',
        version varchar(64) NOT NULL DEFAULT '',
        status varchar(16) NOT NULL CHECK (status IN ('STARTING', 'HEALTHY', 'UNHEALTHY', 'DRAINING')),
        started_at timestamptz,
        registered_at timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz,
        last_error text,
        schema_version integer NOT NULL DEFAULT 0,
        consecutive_failures integer NOT NULL DEFAULT 0,
        unhealthy_since timestamptz
      )`);
    await q.query(`
      CREATE TABLE storages (
        name varchar(128) PRIMARY KEY,
        type varchar(32) NOT NULL DEFAULT 's3',
        scope text NOT NULL DEFAULT '',
        endpoint text NOT NULL DEFAULT '',
        region varchar(64) NOT NULL DEFAULT '',
        use_ssl boolean NOT NULL DEFAULT true,
        url_style varchar(16) NOT NULL DEFAULT 'path',
        key_encrypted text NOT NULL DEFAULT '',
        secret_encrypted text NOT NULL DEFAULT '',
        parameters jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE TABLE settings (key varchar(128) PRIMARY KEY, value text NOT NULL)`);
    await q.query(`INSERT INTO settings (key, value) VALUES ('schema_version', '1')`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'settings',
      'storages',
      'cluster_nodes',
      'api_keys',
      'permissions',
      'roles',
      'data_source_catalogs',
      'catalog_sources',
      'data_sources',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
