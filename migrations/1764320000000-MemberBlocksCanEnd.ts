import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A block can be lifted (`unblockMember`): each block is a period, from `created_at` until
 * `ended_at`, and a member may block the same member again later (a new row). What the blocked
 * member did while a block stood stays held from the blocker for good, so the period is kept,
 * not deleted. At most one standing block per pair (`member_blocks_standing_key`); the server may
 * set `ended_at` and nothing else.
 *
 * Down: ended blocks are history the old table cannot hold; they are deleted (those members are
 * unblocked), and the standing ones keep the old key.
 */
export class MemberBlocksCanEnd1764320000000 implements MigrationInterface {
  name = 'MemberBlocksCanEnd1764320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE member_blocks ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid()`);
    await q.query(`ALTER TABLE member_blocks ADD COLUMN ended_at timestamptz`);
    await q.query(`ALTER TABLE member_blocks ADD CONSTRAINT member_blocks_ends_after_start CHECK (ended_at IS NULL OR ended_at >= created_at)`);
    await q.query(`ALTER TABLE member_blocks DROP CONSTRAINT member_blocks_pkey`);
    await q.query(`ALTER TABLE member_blocks ADD PRIMARY KEY (clinic_id, id)`);
    await q.query(`CREATE UNIQUE INDEX member_blocks_standing_key ON member_blocks (clinic_id, blocker_client_id, blocked_client_id) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX member_blocks_pair_idx ON member_blocks (clinic_id, blocker_client_id, blocked_client_id, created_at)`);
    await q.query(`GRANT UPDATE (ended_at) ON member_blocks TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE UPDATE (ended_at) ON member_blocks FROM kinship_app`);
    await q.query(`ALTER TABLE member_blocks NO FORCE ROW LEVEL SECURITY`);
    await q.query(`DELETE FROM member_blocks WHERE ended_at IS NOT NULL`);
    await q.query(`ALTER TABLE member_blocks FORCE ROW LEVEL SECURITY`);
    await q.query(`DROP INDEX member_blocks_pair_idx`);
    await q.query(`DROP INDEX member_blocks_standing_key`);
    await q.query(`ALTER TABLE member_blocks DROP CONSTRAINT member_blocks_pkey`);
    await q.query(`ALTER TABLE member_blocks ADD PRIMARY KEY (clinic_id, blocker_client_id, blocked_client_id)`);
    await q.query(`ALTER TABLE member_blocks DROP CONSTRAINT member_blocks_ends_after_start`);
    await q.query(`ALTER TABLE member_blocks DROP COLUMN ended_at`);
    await q.query(`ALTER TABLE member_blocks DROP COLUMN id`);
  }
}
