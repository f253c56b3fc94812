import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Membership periods, facilitator periods and goal starts are calendar days in the clinic's
 * time zone, not the database server's: `current_date` near midnight is the wrong day.
 */
export class AddClinicToday1764220000000 implements MigrationInterface {
  name = 'AddClinicToday1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION clinic_today() RETURNS date LANGUAGE sql STABLE AS $$
      SELECT (now() AT TIME ZONE COALESCE(
        (SELECT timezone FROM clinics WHERE id = NULLIF(current_setting('app.clinic_id', true), '')::uuid), 'UTC'))::date
    $$`);
    await q.query(`GRANT EXECUTE ON FUNCTION clinic_today() TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION clinic_today()`);
  }
}
