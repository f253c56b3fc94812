import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each goal keeps a summary of its streaks, rewritten with every check-in: the longest run, the
 * latest met period (a day number in clinic time) with the run ending there, and the latest
 * check-in. A member's home screen then reads a few columns instead of whole histories.
 * The summary names the time zone and target it was reckoned with; readers use it only while
 * both still match (and fall back to the history otherwise), so changing either needs no rewrite.
 * All columns are null until the goal's next check-in. Any other change to a goal's check-ins
 * (an import, a correction by hand, a check-in moved between goals, TRUNCATE) clears the
 * summary's time zone, so it stops holding until the next check-in rewrites it: a summary can be
 * missing, never stale — except after loads with triggers off (session_replication_role =
 * replica), which must clear or backfill the summaries themselves.
 */
export class GoalStreakSummaries1764270000000 implements MigrationInterface {
  name = 'GoalStreakSummaries1764270000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE goals
      ADD COLUMN streak_time_zone text,
      ADD COLUMN streak_target numeric,
      ADD COLUMN streak_longest integer,
      ADD COLUMN streak_last_met_day integer,
      ADD COLUMN streak_last_run integer,
      ADD COLUMN streak_last_check_in_at timestamptz,
      ADD CONSTRAINT goals_streak_summary_check CHECK (
        streak_time_zone IS NULL
        OR (streak_longest IS NOT NULL AND streak_last_run IS NOT NULL AND streak_last_run >= 0 AND streak_longest >= streak_last_run
            AND (streak_last_met_day IS NULL) = (streak_last_run = 0)))`);
    await q.query(`CREATE FUNCTION goal_check_ins_clear_streak_summary() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE goals SET streak_time_zone = NULL
         WHERE id IN (NEW.goal_id, OLD.goal_id) AND streak_time_zone IS NOT NULL;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER goal_check_ins_clear_streak_summary AFTER INSERT OR UPDATE OR DELETE ON goal_check_ins
      FOR EACH ROW EXECUTE FUNCTION goal_check_ins_clear_streak_summary()`);
    await q.query(`CREATE FUNCTION goal_check_ins_clear_streak_summaries() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE goals SET streak_time_zone = NULL WHERE streak_time_zone IS NOT NULL;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER goal_check_ins_clear_streak_summaries AFTER TRUNCATE ON goal_check_ins
      FOR EACH STATEMENT EXECUTE FUNCTION goal_check_ins_clear_streak_summaries()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER goal_check_ins_clear_streak_summaries ON goal_check_ins`);
    await q.query(`DROP FUNCTION goal_check_ins_clear_streak_summaries()`);
    await q.query(`DROP TRIGGER goal_check_ins_clear_streak_summary ON goal_check_ins`);
    await q.query(`DROP FUNCTION goal_check_ins_clear_streak_summary()`);
    await q.query(`ALTER TABLE goals
      DROP CONSTRAINT goals_streak_summary_check,
      DROP COLUMN streak_time_zone,
      DROP COLUMN streak_target,
      DROP COLUMN streak_longest,
      DROP COLUMN streak_last_met_day,
      DROP COLUMN streak_last_run,
      DROP COLUMN streak_last_check_in_at`);
  }
}
