import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A contact request its recipient may not see yet, or ever (`held_from_recipient`): one the
 * group's peer-contact policy did not allow on the recipient's side when it was made (an
 * AFTER_COMPLETION group they are still in), until the policy allows it, and one from a member
 * the recipient blocked, for good. Set when the request is made and cleared when its group's
 * policy or a membership changes, so whether a row ever reached its recipient does not depend on
 * its later status (a held request withdrawn never surfaces). Existing rows were all shown.
 */
export class ConnectionsHeldFromRecipient1764310000000 implements MigrationInterface {
  name = 'ConnectionsHeldFromRecipient1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connections ADD COLUMN held_from_recipient boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connections DROP COLUMN held_from_recipient`);
  }
}
