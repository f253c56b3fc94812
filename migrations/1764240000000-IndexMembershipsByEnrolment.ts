import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Roster pages walk a group's memberships in enrolment order (created_at, id) and stop after
 * `first + 1`; without this index a synced 500-member group was read and sorted whole per page.
 */
export class IndexMembershipsByEnrolment1764240000000 implements MigrationInterface {
  name = 'IndexMembershipsByEnrolment1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX memberships_group_enrolment_idx ON memberships (clinic_id, group_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX memberships_group_enrolment_idx`);
  }
}
