import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_TABLES = ['contact_preferences', 'connections', 'member_blocks', 'group_events', 'event_rsvps'];
const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;

export class CreateAfterGroup1764210000000 implements MigrationInterface {
  name = 'CreateAfterGroup1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE contact_preferences (
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      client_id uuid NOT NULL,
      share_email boolean NOT NULL DEFAULT false,
      share_phone boolean NOT NULL DEFAULT false,
      handle text CHECK (handle IS NULL OR length(handle) <= 100),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (clinic_id, client_id),
      FOREIGN KEY (clinic_id, client_id) REFERENCES clients (clinic_id, id)
    )`);

    await q.query(`CREATE TABLE connections (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      group_id uuid NOT NULL,
      requester_client_id uuid NOT NULL,
      recipient_client_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('REQUESTED', 'ACCEPTED', 'DECLINED', 'WITHDRAWN', 'BLOCKED')),
      message text CHECK (message IS NULL OR length(message) <= 300),
      created_at timestamptz NOT NULL DEFAULT now(),
      responded_at timestamptz,
      closed_at timestamptz,
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id),
      FOREIGN KEY (clinic_id, requester_client_id) REFERENCES clients (clinic_id, id),
      FOREIGN KEY (clinic_id, recipient_client_id) REFERENCES clients (clinic_id, id),
      CHECK (requester_client_id <> recipient_client_id)
    )`);
    await q.query(`CREATE UNIQUE INDEX connections_open_pair_key ON connections
      (LEAST(requester_client_id, recipient_client_id), GREATEST(requester_client_id, recipient_client_id))
      WHERE status IN ('REQUESTED', 'ACCEPTED')`);
    await q.query(`CREATE INDEX connections_requester_idx ON connections (clinic_id, requester_client_id, status)`);
    await q.query(`CREATE INDEX connections_recipient_idx ON connections (clinic_id, recipient_client_id, status)`);

    await q.query(`CREATE TABLE member_blocks (
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      blocker_client_id uuid NOT NULL,
      blocked_client_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (clinic_id, blocker_client_id, blocked_client_id)
    )`);

    await q.query(`CREATE TABLE group_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      group_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('OUTING', 'REUNION', 'ALUMNI_CHECK_IN')),
      audience text NOT NULL CHECK (audience IN ('MEMBERS', 'ALUMNI', 'BOTH')),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      description text,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz,
      location text,
      video_link text,
      created_by_staff_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id),
      CHECK (ends_at IS NULL OR ends_at > starts_at)
    )`);
    await q.query(`CREATE INDEX group_events_group_idx ON group_events (clinic_id, group_id, starts_at)`);

    await q.query(`CREATE TABLE event_rsvps (
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      event_id uuid NOT NULL,
      client_id uuid NOT NULL,
      response text NOT NULL CHECK (response IN ('GOING', 'MAYBE', 'NOT_GOING')),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (clinic_id, event_id, client_id),
      FOREIGN KEY (clinic_id, event_id) REFERENCES group_events (clinic_id, id),
      FOREIGN KEY (clinic_id, client_id) REFERENCES clients (clinic_id, id)
    )`);

    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`,
      );
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE ON contact_preferences, connections, group_events, event_rsvps TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT, DELETE ON member_blocks TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_rsvps, group_events, member_blocks, connections, contact_preferences`);
  }
}
