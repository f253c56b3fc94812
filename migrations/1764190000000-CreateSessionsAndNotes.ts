import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_TABLES = ['group_sessions', 'attendance', 'session_notes', 'note_addenda'];
const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;

export class CreateSessionsAndNotes1764190000000 implements MigrationInterface {
  name = 'CreateSessionsAndNotes1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE group_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      group_id uuid NOT NULL,
      scheduled_start timestamptz NOT NULL,
      scheduled_end timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'SCHEDULED' CHECK (status IN ('SCHEDULED', 'HELD', 'CANCELLED')),
      topic text,
      facilitators_present uuid[] NOT NULL DEFAULT '{}',
      recurrence_id uuid,
      cancel_reason text,
      cancelled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id),
      CHECK (scheduled_end > scheduled_start)
    )`);
    await q.query(`CREATE INDEX group_sessions_group_start_idx ON group_sessions (clinic_id, group_id, scheduled_start, id)`);

    await q.query(`CREATE TABLE attendance (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      session_id uuid NOT NULL,
      membership_id uuid NOT NULL,
      client_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('PRESENT', 'LATE', 'LEFT_EARLY', 'ABSENT_EXCUSED', 'ABSENT', 'NO_SHOW')),
      joined_at timestamptz,
      left_at timestamptz,
      minutes integer CHECK (minutes IS NULL OR minutes BETWEEN 0 AND 1440),
      recorded_by_id uuid,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (session_id, membership_id),
      FOREIGN KEY (clinic_id, session_id) REFERENCES group_sessions (clinic_id, id),
      FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id),
      CHECK (left_at IS NULL OR joined_at IS NULL OR left_at >= joined_at)
    )`);
    await q.query(`CREATE INDEX attendance_membership_idx ON attendance (clinic_id, membership_id)`);

    await q.query(`CREATE TABLE session_notes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      session_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('GROUP', 'PROGRESS', 'PSYCHOTHERAPY')),
      membership_id uuid,
      client_id uuid,
      author_staff_id uuid NOT NULL,
      status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SIGNED')),
      version integer NOT NULL DEFAULT 1,
      body bytea NOT NULL,
      key_id text NOT NULL,
      shared_with_client boolean NOT NULL DEFAULT false,
      content_hash text,
      signed_at timestamptz,
      signed_by_staff_id uuid,
      cosigned_at timestamptz,
      cosigned_by_staff_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, session_id) REFERENCES group_sessions (clinic_id, id),
      FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id),
      FOREIGN KEY (clinic_id, author_staff_id) REFERENCES staff_members (clinic_id, id),
      CHECK ((kind = 'GROUP') = (membership_id IS NULL)),
      CHECK (status = 'DRAFT' OR (signed_at IS NOT NULL AND content_hash IS NOT NULL))
    )`);
    await q.query(`CREATE UNIQUE INDEX session_notes_group_key ON session_notes (session_id) WHERE kind = 'GROUP'`);
    await q.query(`CREATE UNIQUE INDEX session_notes_progress_key ON session_notes (session_id, membership_id) WHERE kind = 'PROGRESS'`);
    await q.query(`CREATE INDEX session_notes_session_idx ON session_notes (clinic_id, session_id)`);
    await q.query(`CREATE INDEX session_notes_client_idx ON session_notes (clinic_id, client_id)`);

    // Signed notes are immutable, whoever asks: only a first co-signature may still be added.
    await q.query(`CREATE FUNCTION session_notes_lock() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'session notes are never deleted' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.status = 'SIGNED' AND (
             OLD.cosigned_at IS NOT NULL
             OR (to_jsonb(NEW) - ARRAY['cosigned_at', 'cosigned_by_staff_id']) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['cosigned_at', 'cosigned_by_staff_id'])) THEN
          RAISE EXCEPTION 'signed note % is locked', OLD.id USING ERRCODE = 'P0001', HINT = 'NOTE_LOCKED';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER session_notes_lock BEFORE UPDATE OR DELETE ON session_notes FOR EACH ROW EXECUTE FUNCTION session_notes_lock()`);

    await q.query(`CREATE TABLE note_addenda (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      note_id uuid NOT NULL,
      author_staff_id uuid NOT NULL,
      body bytea NOT NULL,
      key_id text NOT NULL,
      content_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (clinic_id, note_id) REFERENCES session_notes (clinic_id, id),
      FOREIGN KEY (clinic_id, author_staff_id) REFERENCES staff_members (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX note_addenda_note_idx ON note_addenda (clinic_id, note_id, created_at)`);

    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`,
      );
    }
    // Second wall for psychotherapy notes: the database shows them to their author alone.
    await q.query(`CREATE POLICY psychotherapy_author_only ON session_notes AS RESTRICTIVE
      USING (kind <> 'PSYCHOTHERAPY' OR author_staff_id = NULLIF(current_setting('app.staff_id', true), '')::uuid)
      WITH CHECK (kind <> 'PSYCHOTHERAPY' OR author_staff_id = NULLIF(current_setting('app.staff_id', true), '')::uuid)`);

    await q.query(`GRANT SELECT, INSERT, UPDATE ON group_sessions, attendance, session_notes TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT ON note_addenda TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE note_addenda, session_notes, attendance, group_sessions`);
    await q.query(`DROP FUNCTION session_notes_lock()`);
  }
}
