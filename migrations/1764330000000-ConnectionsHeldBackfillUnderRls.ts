import { MigrationInterface, QueryRunner } from 'typeorm';

const ENDED = `('COMPLETED', 'WITHDRAWN', 'DISCHARGED')`;
/** Every table the backfill reads: each has forced RLS on the tenant setting, which a migration does not set. */
const TABLES = ['connections', 'member_blocks', 'therapy_groups', 'memberships'];

/**
 * `1764320000000`'s backfill, again, with row-level security lifted on every table it reads: it
 * lifted it on `connections` alone, so run by an owner that is not superuser its conditions on
 * blocks, groups and memberships saw no rows and held nothing. Holding what was already held
 * changes nothing, so this is safe wherever that one did work.
 */
export class ConnectionsHeldBackfillUnderRls1764330000000 implements MigrationInterface {
  name = 'ConnectionsHeldBackfillUnderRls1764330000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    await q.query(`UPDATE connections x SET held_from_recipient = true
      WHERE x.status = 'REQUESTED' AND NOT x.held_from_recipient AND (
        EXISTS (SELECT 1 FROM member_blocks b WHERE b.blocker_client_id = x.recipient_client_id AND b.blocked_client_id = x.requester_client_id)
        OR (EXISTS (SELECT 1 FROM therapy_groups g WHERE g.id = x.group_id AND g.peer_contact_policy = 'AFTER_COMPLETION')
            AND EXISTS (SELECT 1 FROM unnest(ARRAY[x.requester_client_id, x.recipient_client_id]) AS side(client_id)
                         WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = x.group_id AND m.client_id = side.client_id AND m.status NOT IN ${ENDED})
                            OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = x.group_id AND m.client_id = side.client_id))))`);
    for (const table of TABLES) await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  }

  async down(): Promise<void> {
    // Nothing to undo: the rows it held are held as `1764320000000` meant (its down restores the old key; `1764310000000`'s drops the column).
  }
}
