import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hugr's default roles, seeded when absent: `admin` and `public` without permissions (no row =
 * allowed), and `readonly`, whose one permission forbids every mutation. Existing rows are kept
 * as they are: an operator may have changed them already.
 */
export class SeedDefaultRoles1795686900000 implements MigrationInterface {
  name = 'SeedDefaultRoles1795686900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO roles (name, description) VALUES
        ('admin', 'Administrators: everything is allowed'),
        ('public', 'Anonymous requests (ANONYMOUS_ROLE)'),
        ('readonly', 'Queries only: every mutation is disabled')
      ON CONFLICT DO NOTHING`);
    await q.query(`
      INSERT INTO permissions (role, type_name, field_name, hidden, disabled, filter, data)
      VALUES ('readonly', 'Mutation', '*', false, true, NULL, NULL)
      ON CONFLICT DO NOTHING`);
  }

  /**
   * Removes the seeded permission, then each seeded role that nothing else refers to any more
   * (no other permission, no API key): a role an operator has put to use is left in place.
   */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM permissions
      WHERE role = 'readonly' AND type_name = 'Mutation' AND field_name = '*'
        AND NOT hidden AND disabled AND filter IS NULL AND data IS NULL`);
    await q.query(`
      DELETE FROM roles r
      WHERE r.name IN ('admin', 'public', 'readonly')
        AND NOT EXISTS (SELECT 1 FROM permissions p WHERE p.role = r.name)
        AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.default_role = r.name)`);
  }
}
