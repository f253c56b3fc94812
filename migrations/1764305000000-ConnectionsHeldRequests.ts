import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contact requests tell no one's state (`blocked_shown_as`, the block's half, is
 * ConnectionsBlockedShownAs1764300000000).
 *
 * - `held_from_recipient`: a request its recipient may not see yet (the group's policy did not
 *   allow it on their side when it was made) or ever (its sender is someone they blocked). Set
 *   when the request is made and cleared only when the policy comes to allow it, so whether a row
 *   reached its recipient does not depend on its later status. No existing row is held: until now
 *   such requests were refused, not stored.
 * - Held requests stand apart from the pair's open connection (one open, visible connection per
 *   pair as before; at most one held request per asker and recipient): under the pair key, a
 *   member asking someone who had a request held from them would be told "already pending".
 *
 * Databases migrated by session 9's landing ran this together with the block's half as
 * ConnectionsSilentBlocksAndHeldRequests1764300000000: `runMigrations` records both halves for them.
 */
export class ConnectionsHeldRequests1764305000000 implements MigrationInterface {
  name = 'ConnectionsHeldRequests1764305000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connections ADD COLUMN held_from_recipient boolean NOT NULL DEFAULT false`);
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
    // The old key covers every open row: a held request beside another open row of its pair is withdrawn first.
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
    await q.query(`ALTER TABLE connections DROP COLUMN held_from_recipient`);
  }
}
