import { MigrationInterface, QueryRunner } from 'typeorm';

const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;
/** Tables whose changes integrators follow; note bodies and consent details never enter the feed. */
const FED_TABLES: Record<string, string> = {
  clients: 'Client',
  therapy_groups: 'TherapyGroup',
  memberships: 'Membership',
  group_sessions: 'GroupSession',
  attendance: 'Attendance',
};

export class CreateSyncAndChangeFeed1764200000000 implements MigrationInterface {
  name = 'CreateSyncAndChangeFeed1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // xid orders entries by transaction; readers stop below the oldest running transaction, so a
    // transaction that took an early number but commits late can never be skipped.
    await q.query(`CREATE TABLE change_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      entity_type text NOT NULL,
      entity_id uuid NOT NULL,
      operation text NOT NULL CHECK (operation IN ('CREATE', 'UPDATE')),
      changed_fields text[] NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX change_log_clinic_cursor_idx ON change_log (clinic_id, xid, id)`);

    await q.query(`CREATE FUNCTION change_log_capture() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        fields text[];
      BEGIN
        IF TG_OP = 'INSERT' THEN
          SELECT array_agg(k ORDER BY k) INTO fields FROM jsonb_object_keys(to_jsonb(NEW)) AS k
           WHERE k NOT IN ('id', 'clinic_id', 'created_at', 'updated_at');
        ELSE
          SELECT array_agg(n.key ORDER BY n.key) INTO fields
            FROM jsonb_each(to_jsonb(NEW)) n JOIN jsonb_each(to_jsonb(OLD)) o ON o.key = n.key
           WHERE n.value IS DISTINCT FROM o.value AND n.key NOT IN ('updated_at', 'recorded_at');
          IF fields IS NULL THEN
            RETURN NULL;
          END IF;
        END IF;
        INSERT INTO change_log (clinic_id, entity_type, entity_id, operation, changed_fields)
        VALUES (NEW.clinic_id, TG_ARGV[0], NEW.id, CASE TG_OP WHEN 'INSERT' THEN 'CREATE' ELSE 'UPDATE' END, COALESCE(fields, '{}'));
        RETURN NULL;
      END $$`);
    for (const [table, entity] of Object.entries(FED_TABLES)) {
      await q.query(`CREATE TRIGGER change_log_capture AFTER INSERT OR UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION change_log_capture('${entity}')`);
    }

    await q.query(`CREATE TABLE idempotency_keys (
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      owner_id uuid NOT NULL,
      key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
      operation text NOT NULL,
      request_hash text NOT NULL,
      response jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL DEFAULT now() + interval '24 hours',
      PRIMARY KEY (clinic_id, owner_id, key)
    )`);

    await q.query(`CREATE TABLE sync_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      group_id uuid NOT NULL,
      actor_type text NOT NULL,
      actor_id uuid,
      mode text NOT NULL CHECK (mode IN ('MERGE', 'REPLACE')),
      dry_run boolean NOT NULL,
      applied boolean NOT NULL,
      row_count integer NOT NULL,
      error_count integer NOT NULL,
      counts jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX sync_runs_clinic_idx ON sync_runs (clinic_id, created_at DESC, id)`);

    for (const table of ['change_log', 'idempotency_keys', 'sync_runs']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`,
      );
    }
    await q.query(`GRANT SELECT, INSERT ON change_log, sync_runs TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of Object.keys(FED_TABLES)) await q.query(`DROP TRIGGER change_log_capture ON ${table}`);
    await q.query(`DROP FUNCTION change_log_capture()`);
    await q.query(`DROP TABLE sync_runs, idempotency_keys, change_log`);
  }
}
