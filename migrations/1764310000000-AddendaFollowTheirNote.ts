import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An addendum is visible, and may be written, only where its note is: the second wall for
 * psychotherapy notes (`psychotherapy_author_only` on `session_notes`, author only) covered the
 * notes and not their addenda, so a connection as `kinship_app` with another staff id could list
 * a psychotherapy note's addenda (author, time, hash) and add one. The subquery is itself under
 * `session_notes`' policies.
 */
export class AddendaFollowTheirNote1764310000000 implements MigrationInterface {
  name = 'AddendaFollowTheirNote1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE POLICY addenda_follow_their_note ON note_addenda AS RESTRICTIVE
      USING (EXISTS (SELECT 1 FROM session_notes n WHERE n.id = note_id))
      WITH CHECK (EXISTS (SELECT 1 FROM session_notes n WHERE n.id = note_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY addenda_follow_their_note ON note_addenda`);
  }
}
