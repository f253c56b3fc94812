import { MigrationInterface, QueryRunner } from 'typeorm';

const ENDED = `('COMPLETED', 'WITHDRAWN', 'DISCHARGED')`;

/**
 * Held requests (`held_from_recipient`) stand apart from a pair's open connection: one open,
 * visible connection per pair as before, and at most one held request per asker and recipient.
 * With held rows under the pair key, a member asking someone who had a request held from them
 * was answered "already pending", which told them of it.
 *
 * The backfill holds what `1764300000000`'s code already hid from recipients at read time
 * (pending requests from a member the recipient blocked, and those an AFTER_COMPLETION group did
 * not allow yet), which `1764310000000` left shown.
 */
export class ConnectionsHeldPairKeys1764320000000 implements MigrationInterface {
  name = 'ConnectionsHeldPairKeys1764320000000';

  async up(q: QueryRunner): Promise<void> {
    // The policies are lifted for the backfill: a migration role that owns the tables but is not superuser would see no rows.
    await q.query(`ALTER TABLE connections NO FORCE ROW LEVEL SECURITY`);
    await q.query(`UPDATE connections x SET held_from_recipient = true
      WHERE x.status = 'REQUESTED' AND NOT x.held_from_recipient AND (
        EXISTS (SELECT 1 FROM member_blocks b WHERE b.blocker_client_id = x.recipient_client_id AND b.blocked_client_id = x.requester_client_id)
        OR (EXISTS (SELECT 1 FROM therapy_groups g WHERE g.id = x.group_id AND g.peer_contact_policy = 'AFTER_COMPLETION')
            AND EXISTS (SELECT 1 FROM unnest(ARRAY[x.requester_client_id, x.recipient_client_id]) AS side(client_id)
                         WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = x.group_id AND m.client_id = side.client_id AND m.status NOT IN ${ENDED})
                            OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = x.group_id AND m.client_id = side.client_id))))`);
    await q.query(`ALTER TABLE connections FORCE ROW LEVEL SECURITY`);
    await q.query(`DROP INDEX connections_open_pair_key`);
    await q.query(`CREATE UNIQUE INDEX connections_open_pair_key ON connections
      (LEAST(requester_client_id, recipient_client_id), GREATEST(requester_client_id, recipient_client_id))
      WHERE status IN ('REQUESTED', 'ACCEPTED') AND NOT held_from_recipient`);
    await q.query(`CREATE UNIQUE INDEX connections_held_request_key ON connections (requester_client_id, recipient_client_id)
      WHERE status = 'REQUESTED' AND held_from_recipient`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX connections_held_request_key`);
    await q.query(`DROP INDEX connections_open_pair_key`);
    // The old key covers held rows too: a held request beside its pair's open connection is withdrawn first.
    await q.query(`ALTER TABLE connections NO FORCE ROW LEVEL SECURITY`);
    await q.query(`UPDATE connections x SET status = 'WITHDRAWN', closed_at = now()
      WHERE x.held_from_recipient AND x.status = 'REQUESTED' AND EXISTS (
        SELECT 1 FROM connections o WHERE o.id <> x.id AND o.status IN ('REQUESTED', 'ACCEPTED')
          AND LEAST(o.requester_client_id, o.recipient_client_id) = LEAST(x.requester_client_id, x.recipient_client_id)
          AND GREATEST(o.requester_client_id, o.recipient_client_id) = GREATEST(x.requester_client_id, x.recipient_client_id)
          AND (NOT o.held_from_recipient OR o.id < x.id))`);
    await q.query(`ALTER TABLE connections FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE UNIQUE INDEX connections_open_pair_key ON connections
      (LEAST(requester_client_id, recipient_client_id), GREATEST(requester_client_id, recipient_client_id))
      WHERE status IN ('REQUESTED', 'ACCEPTED')`);
  }
}
