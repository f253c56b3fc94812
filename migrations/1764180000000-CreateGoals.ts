import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_TABLES = ['goals', 'goal_check_ins', 'accountability_partnerships', 'encouragements', 'encouragement_mutes'];
const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;

export class CreateGoals1764180000000 implements MigrationInterface {
  name = 'CreateGoals1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE goals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      membership_id uuid NOT NULL,
      client_id uuid NOT NULL,
      group_id uuid NOT NULL,
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      description text,
      measure_kind text NOT NULL CHECK (measure_kind IN ('BOOLEAN', 'COUNT', 'SCALE')),
      measure_period text NOT NULL CHECK (measure_period IN ('DAILY', 'WEEKLY')),
      target numeric CHECK (target IS NULL OR target >= 0),
      start_date date NOT NULL DEFAULT current_date,
      due_date date,
      lifecycle_status text NOT NULL CHECK (lifecycle_status IN ('PROPOSED', 'ACTIVE', 'ON_HOLD', 'COMPLETED', 'CANCELLED')),
      achievement_status text NOT NULL DEFAULT 'IN_PROGRESS' CHECK (achievement_status IN ('IN_PROGRESS', 'IMPROVING', 'WORSENING',
        'NO_CHANGE', 'ACHIEVED', 'SUSTAINING', 'NOT_ACHIEVED', 'NO_PROGRESS')),
      visibility text NOT NULL CHECK (visibility IN ('PRIVATE', 'PARTNERS', 'GROUP')),
      created_by_type text NOT NULL,
      created_by_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, membership_id) REFERENCES memberships (clinic_id, id),
      FOREIGN KEY (clinic_id, client_id) REFERENCES clients (clinic_id, id),
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id),
      CHECK (due_date IS NULL OR due_date >= start_date)
    )`);
    await q.query(`CREATE INDEX goals_membership_idx ON goals (clinic_id, membership_id)`);
    await q.query(`CREATE INDEX goals_client_idx ON goals (clinic_id, client_id, created_at, id)`);
    await q.query(`CREATE INDEX goals_group_idx ON goals (clinic_id, group_id, visibility)`);

    await q.query(`CREATE TABLE goal_check_ins (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      goal_id uuid NOT NULL,
      client_id uuid NOT NULL,
      value numeric NOT NULL,
      note text CHECK (note IS NULL OR length(note) <= 1000),
      mood smallint CHECK (mood IS NULL OR mood BETWEEN 1 AND 5),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by_type text NOT NULL,
      recorded_by_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, goal_id) REFERENCES goals (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX goal_check_ins_goal_idx ON goal_check_ins (clinic_id, goal_id, recorded_at DESC, id DESC)`);

    await q.query(`CREATE TABLE accountability_partnerships (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      group_id uuid NOT NULL,
      proposer_membership_id uuid NOT NULL,
      partner_membership_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('PROPOSED', 'ACTIVE', 'DECLINED', 'ENDED')),
      proposer_continues_after_group boolean NOT NULL DEFAULT false,
      partner_continues_after_group boolean NOT NULL DEFAULT false,
      message text,
      responded_at timestamptz,
      ended_at timestamptz,
      end_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, group_id) REFERENCES therapy_groups (clinic_id, id),
      FOREIGN KEY (clinic_id, proposer_membership_id) REFERENCES memberships (clinic_id, id),
      FOREIGN KEY (clinic_id, partner_membership_id) REFERENCES memberships (clinic_id, id),
      CHECK (proposer_membership_id <> partner_membership_id)
    )`);
    // At most one proposed-or-active partnership per pair, whichever side proposed.
    await q.query(`CREATE UNIQUE INDEX accountability_partnerships_open_pair_key ON accountability_partnerships
      (LEAST(proposer_membership_id, partner_membership_id), GREATEST(proposer_membership_id, partner_membership_id))
      WHERE status IN ('PROPOSED', 'ACTIVE')`);
    await q.query(`CREATE INDEX accountability_partnerships_proposer_idx ON accountability_partnerships (clinic_id, proposer_membership_id)`);
    await q.query(`CREATE INDEX accountability_partnerships_partner_idx ON accountability_partnerships (clinic_id, partner_membership_id)`);

    await q.query(`CREATE TABLE encouragements (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      sender_client_id uuid NOT NULL,
      recipient_client_id uuid NOT NULL,
      goal_id uuid NOT NULL,
      check_in_id uuid,
      message text NOT NULL CHECK (length(message) BETWEEN 1 AND 500),
      sent_at timestamptz NOT NULL DEFAULT now(),
      read_at timestamptz,
      FOREIGN KEY (clinic_id, sender_client_id) REFERENCES clients (clinic_id, id),
      FOREIGN KEY (clinic_id, recipient_client_id) REFERENCES clients (clinic_id, id),
      FOREIGN KEY (clinic_id, goal_id) REFERENCES goals (clinic_id, id),
      FOREIGN KEY (clinic_id, check_in_id) REFERENCES goal_check_ins (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX encouragements_recipient_idx ON encouragements (clinic_id, recipient_client_id, sent_at DESC)`);
    await q.query(`CREATE INDEX encouragements_sender_idx ON encouragements (clinic_id, sender_client_id, sent_at DESC)`);

    await q.query(`CREATE TABLE encouragement_mutes (
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      recipient_client_id uuid NOT NULL,
      sender_client_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (clinic_id, recipient_client_id, sender_client_id)
    )`);

    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`,
      );
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE ON goals, accountability_partnerships, encouragements TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT ON goal_check_ins TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT, DELETE ON encouragement_mutes TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE encouragement_mutes, encouragements, accountability_partnerships, goal_check_ins, goals`);
  }
}
