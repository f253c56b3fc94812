import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A blocked connection shows both members the status a decline or a withdrawal would have left
 * (`blocked_shown_as`), chosen when the block is made: DECLINED where the blocker was answering a
 * pending request, WITHDRAWN otherwise (an accepted connection, or a request the blocker had
 * sent). Until now every block showed DECLINED, which an accepted connection can never become any
 * other way: the blocked member could tell. Existing blocks keep what they have shown.
 */
export class ConnectionsBlockedShownAs1764300000000 implements MigrationInterface {
  name = 'ConnectionsBlockedShownAs1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connections ADD COLUMN blocked_shown_as text CHECK (blocked_shown_as IN ('DECLINED', 'WITHDRAWN'))`);
    // The policies are lifted for the backfill: a migration role that owns the table but is not superuser would see no rows.
    await q.query(`ALTER TABLE connections NO FORCE ROW LEVEL SECURITY`);
    await q.query(`UPDATE connections SET blocked_shown_as = 'DECLINED' WHERE status = 'BLOCKED'`);
    await q.query(`ALTER TABLE connections FORCE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE connections ADD CONSTRAINT connections_blocked_shown_as_when_blocked CHECK ((status = 'BLOCKED') = (blocked_shown_as IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connections DROP CONSTRAINT connections_blocked_shown_as_when_blocked`);
    await q.query(`ALTER TABLE connections DROP COLUMN blocked_shown_as`);
  }
}
