import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consent that lapses on an event (DESIGN §5: "expires at or on event"): `expires_on`
 * names the event, `MEMBERSHIP_ENDS`; when it happens the API brings `expires_at` forward to that
 * moment, once, and records a LAPSED event in the consent's history. The append-only trigger allows that
 * one change besides a revocation; `expires_at` may now equal `granted_at` (a consent granted and
 * lapsed in one transaction).
 */
const APPEND_ONLY = (lapse: boolean) => `CREATE OR REPLACE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'consent records are append-only' USING ERRCODE = 'insufficient_privilege';
        END IF;${
          lapse
            ? `
        -- A consent still in force lapsing on its event: expires_at brought forward to the moment
        -- it happens (the transaction's, or the grant's if that came later), once, nothing else.
        IF OLD.revoked_at IS NULL AND OLD.expires_on IS NOT NULL AND NEW.expires_at = GREATEST(now(), OLD.granted_at)
           AND (OLD.expires_at IS NULL OR (OLD.expires_at > statement_timestamp() AND OLD.expires_at > NEW.expires_at))
           AND (to_jsonb(NEW) - 'expires_at') IS NOT DISTINCT FROM (to_jsonb(OLD) - 'expires_at') THEN
          RETURN NEW;
        END IF;`
            : ''
        }
        IF OLD.revoked_at IS NOT NULL
           OR (to_jsonb(NEW) - ARRAY['revoked_at', 'revoked_by_type', 'revoked_by_id', 'revocation_reason'])
              IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['revoked_at', 'revoked_by_type', 'revoked_by_id', 'revocation_reason']) THEN
          RAISE EXCEPTION 'consent records are append-only: only an unrevoked consent may be revoked' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`;

/** The name PostgreSQL gave a table's CHECK constraint, found by its text. */
async function checkNamed(q: QueryRunner, table: string, text: string): Promise<string> {
  const rows: { conname: string }[] = await q.query(
    `SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE $2`,
    [table, `%${text}%`],
  );
  if (rows.length !== 1) throw new Error(`expected one CHECK on ${table} like ${text}, found ${rows.length}`);
  return rows[0].conname;
}

export class ConsentLapsesOnMembershipEnd1764350000000 implements MigrationInterface {
  name = 'ConsentLapsesOnMembershipEnd1764350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE consent_records ADD COLUMN expires_on text CHECK (expires_on IN ('MEMBERSHIP_ENDS'))`);
    await q.query(`ALTER TABLE consent_records DROP CONSTRAINT ${await checkNamed(q, 'consent_records', 'expires_at > granted_at')}`);
    await q.query(`ALTER TABLE consent_records ADD CONSTRAINT consent_records_period_check CHECK (expires_at IS NULL OR expires_at >= granted_at)`);
    await q.query(`ALTER TABLE consent_events DROP CONSTRAINT ${await checkNamed(q, 'consent_events', 'GRANTED')}`);
    await q.query(`ALTER TABLE consent_events ADD CONSTRAINT consent_events_event_check CHECK (event IN ('GRANTED', 'REVOKED', 'LAPSED'))`);
    await q.query(APPEND_ONLY(true));
  }

  async down(q: QueryRunner): Promise<void> {
    // A consent given until an event would come back open-ended: sharing its member limited. (The
    // tenant policy holds for a non-superuser owner too: lifted to count every clinic's.)
    await q.query(`ALTER TABLE consent_records NO FORCE ROW LEVEL SECURITY`);
    const [{ n }] = await q.query(`SELECT count(*)::int AS n FROM consent_records WHERE expires_on IS NOT NULL`);
    await q.query(`ALTER TABLE consent_records FORCE ROW LEVEL SECURITY`);
    if (n > 0) throw new Error(`ConsentLapsesOnMembershipEnd cannot be reverted: ${n} consent(s) lapse on an event`);
    await q.query(APPEND_ONLY(false));
    await q.query(`ALTER TABLE consent_events DROP CONSTRAINT consent_events_event_check`);
    await q.query(`ALTER TABLE consent_events ADD CONSTRAINT consent_events_event_check CHECK (event IN ('GRANTED', 'REVOKED'))`);
    await q.query(`ALTER TABLE consent_records DROP CONSTRAINT consent_records_period_check`);
    await q.query(`ALTER TABLE consent_records ADD CONSTRAINT consent_records_check2 CHECK (expires_at IS NULL OR expires_at > granted_at)`);
    await q.query(`ALTER TABLE consent_records DROP COLUMN expires_on`);
  }
}
