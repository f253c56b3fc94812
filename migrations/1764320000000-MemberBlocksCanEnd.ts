import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables the backfill reads or writes hold their tenant policy for the owner too (FORCE), and the
 * owner role that runs migrations does not bypass RLS: lifted around the backfill, or it sees no row.
 */
const BACKFILLED = ['member_blocks', 'connections', 'encouragements', 'accountability_partnerships', 'memberships'];

/**
 * A block can be lifted (`unblockMember`): each block is a period, from `created_at` until
 * `ended_at`, and a member may block the same member again later (a new row); at most one standing
 * block per pair (`member_blocks_standing_key`). The server may set `ended_at`, and no longer
 * deletes blocks.
 *
 * What the blocked member did while a block stood stays held from the blocker for good. That is
 * recorded on the thing itself when it is written (`held_by_block` on a contact request, an
 * encouragement, a partnership proposal), under the same snapshot that decides it, never
 * reconstructed from timestamps: each transaction's `now()` is its start, which need not follow
 * the order in which a block and a request committed. Existing rows are backfilled with the rule
 * they were read with until now (a request held from a member who blocks its sender; anything
 * sent or proposed since the block).
 *
 * Down: refused while any block has been lifted. The code before this migration reads held-ness
 * from standing blocks, so a lifted block cannot be represented: deleted, what was done during it
 * would show to the blocker; standing again, what the two did after the lift (an accepted
 * connection, an active partnership) would stand under a block that code never expects.
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
    await q.query(`REVOKE DELETE ON member_blocks FROM kinship_app`);
    await q.query(`GRANT UPDATE (ended_at) ON member_blocks TO kinship_app`);

    await q.query(`ALTER TABLE connections ADD COLUMN held_by_block boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE encouragements ADD COLUMN held_by_block boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE accountability_partnerships ADD COLUMN held_by_block boolean NOT NULL DEFAULT false`);
    for (const table of BACKFILLED) await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    await q.query(`UPDATE connections x SET held_by_block = true
      WHERE x.held_from_recipient AND EXISTS (SELECT 1 FROM member_blocks b WHERE b.blocker_client_id = x.recipient_client_id AND b.blocked_client_id = x.requester_client_id)`);
    await q.query(`UPDATE encouragements e SET held_by_block = true
      WHERE EXISTS (SELECT 1 FROM member_blocks b WHERE b.blocker_client_id = e.recipient_client_id AND b.blocked_client_id = e.sender_client_id AND b.created_at <= e.sent_at)`);
    await q.query(`UPDATE accountability_partnerships p SET held_by_block = true
      FROM memberships pm, memberships am
      WHERE pm.id = p.proposer_membership_id AND am.id = p.partner_membership_id
        AND EXISTS (SELECT 1 FROM member_blocks b WHERE b.blocker_client_id = am.client_id AND b.blocked_client_id = pm.client_id AND b.created_at <= p.created_at)`);
    for (const table of BACKFILLED) await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of BACKFILLED) await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    const [{ lifted }] = await q.query(`SELECT count(*)::int AS lifted FROM member_blocks WHERE ended_at IS NOT NULL`);
    for (const table of BACKFILLED) await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
    if (lifted > 0) {
      throw new Error(`MemberBlocksCanEnd cannot be reverted: ${lifted} block(s) have been lifted, which the schema before it cannot hold without showing what was held`);
    }
    await q.query(`ALTER TABLE accountability_partnerships DROP COLUMN held_by_block`);
    await q.query(`ALTER TABLE encouragements DROP COLUMN held_by_block`);
    await q.query(`ALTER TABLE connections DROP COLUMN held_by_block`);
    await q.query(`REVOKE UPDATE (ended_at) ON member_blocks FROM kinship_app`);
    await q.query(`GRANT DELETE ON member_blocks TO kinship_app`);
    await q.query(`DROP INDEX member_blocks_standing_key`);
    await q.query(`ALTER TABLE member_blocks DROP CONSTRAINT member_blocks_pkey`);
    await q.query(`ALTER TABLE member_blocks ADD PRIMARY KEY (clinic_id, blocker_client_id, blocked_client_id)`);
    await q.query(`ALTER TABLE member_blocks DROP CONSTRAINT member_blocks_ends_after_start`);
    await q.query(`ALTER TABLE member_blocks DROP COLUMN ended_at`);
    await q.query(`ALTER TABLE member_blocks DROP COLUMN id`);
  }
}
