import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_TABLES = ['therapy_groups', 'group_facilitators', 'memberships', 'membership_events'];
const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;

export class CreateGroupsAndMemberships1764160000000 implements MigrationInterface {
  name = 'CreateGroupsAndMemberships1764160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE therapy_groups (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      description text,
      modality text NOT NULL,
      format text NOT NULL CHECK (format IN ('CLOSED', 'OPEN', 'ROLLING')),
      capacity integer NOT NULL CHECK (capacity BETWEEN 1 AND 100),
      status text NOT NULL DEFAULT 'FORMING' CHECK (status IN ('FORMING', 'ACTIVE', 'PAUSED', 'CONCLUDED', 'ARCHIVED')),
      schedule_description text,
      location text,
      video_link text,
      start_date date,
      end_date date,
      agreement_text text,
      agreement_version integer NOT NULL DEFAULT 1 CHECK (agreement_version >= 1),
      peer_contact_policy text NOT NULL DEFAULT 'AFTER_COMPLETION' CHECK (peer_contact_policy IN ('ANYTIME', 'AFTER_COMPLETION', 'NEVER')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
    )`);
    await q.query(`CREATE INDEX therapy_groups_clinic_name_idx ON therapy_groups (clinic_id, name, id)`);

    await q.query(`CREATE TABLE group_facilitators (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      group_id uuid NOT NULL,
      staff_member_id uuid NOT NULL,
      role text NOT NULL CHECK (role IN ('LEAD', 'CO')),
      period_start date NOT NULL DEFAULT current_date,
      period_end date,
      created_at timestamptz NOT NULL DEFAULT now(),
      ended_at timestamptz,
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id),
      FOREIGN KEY (clinic_id, staff_member_id) REFERENCES staff_members (clinic_id, id)
    )`);
    // One open assignment per person per group; history rows keep ended_at.
    await q.query(`CREATE UNIQUE INDEX group_facilitators_open_key ON group_facilitators (group_id, staff_member_id) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX group_facilitators_staff_idx ON group_facilitators (clinic_id, staff_member_id) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX group_facilitators_group_idx ON group_facilitators (clinic_id, group_id)`);

    await q.query(`CREATE TABLE memberships (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      group_id uuid NOT NULL,
      client_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('REFERRED', 'SCREENING', 'WAITLISTED', 'ACTIVE', 'ON_HOLD', 'COMPLETED', 'WITHDRAWN', 'DISCHARGED')),
      status_reason text,
      period_start date,
      period_end date,
      waitlisted_at timestamptz,
      agreement_version_accepted integer,
      agreement_accepted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id),
      FOREIGN KEY (clinic_id, client_id) REFERENCES clients (clinic_id, id)
    )`);
    await q.query(`CREATE UNIQUE INDEX memberships_open_key ON memberships (group_id, client_id)
      WHERE status NOT IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED')`);
    await q.query(`CREATE INDEX memberships_group_idx ON memberships (clinic_id, group_id, status)`);
    await q.query(`CREATE INDEX memberships_client_idx ON memberships (clinic_id, client_id)`);

    await q.query(`CREATE TABLE membership_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      membership_id uuid NOT NULL,
      from_status text,
      to_status text NOT NULL,
      reason text,
      actor_type text NOT NULL,
      actor_id uuid,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX membership_events_membership_idx ON membership_events (clinic_id, membership_id, id)`);

    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`,
      );
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE ON therapy_groups, group_facilitators, memberships TO kinship_app`);
    // Membership history is append-only.
    await q.query(`GRANT SELECT, INSERT ON membership_events TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE membership_events, memberships, group_facilitators, therapy_groups`);
  }
}
