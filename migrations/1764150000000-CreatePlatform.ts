import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables that belong to one clinic; each gets RLS on `clinic_id` (clinics itself on `id`). */
const TENANT_TABLES = ['staff_members', 'clients', 'external_identifiers', 'api_keys', 'audit_events'];
const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;

export class CreatePlatform1764150000000 implements MigrationInterface {
  name = 'CreatePlatform1764150000000';

  async up(q: QueryRunner): Promise<void> {
    // The server's login role is created by whoever provisions the cluster; this only makes sure
    // grants have a target. It is cluster-wide, so `down` leaves it in place.
    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kinship_app') THEN
        CREATE ROLE kinship_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
      END IF;
    END $$`);
    await q.query(`GRANT USAGE ON SCHEMA public TO kinship_app`);

    await q.query(`CREATE TABLE clinics (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      timezone text NOT NULL DEFAULT 'UTC',
      settings jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);

    await q.query(`CREATE TABLE staff_members (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      email text NOT NULL,
      role text NOT NULL CHECK (role IN ('ADMIN', 'SUPERVISOR', 'CLINICIAN')),
      credentials text,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id)
    )`);
    await q.query(`CREATE UNIQUE INDEX staff_members_clinic_email_key ON staff_members (clinic_id, lower(email))`);
    await q.query(`CREATE INDEX staff_members_clinic_name_idx ON staff_members (clinic_id, name, id)`);

    await q.query(`CREATE TABLE clients (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      given_name text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
      family_name text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
      preferred_name text,
      pronouns text,
      email text,
      phone text,
      date_of_birth date,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX clients_clinic_name_idx ON clients (clinic_id, family_name, given_name, id)`);

    await q.query(`CREATE TABLE external_identifiers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      resource_type text NOT NULL,
      resource_id uuid NOT NULL,
      system text NOT NULL CHECK (length(system) BETWEEN 1 AND 200),
      value text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (clinic_id, resource_type, system, value)
    )`);
    await q.query(`CREATE INDEX external_identifiers_resource_idx ON external_identifiers (clinic_id, resource_id)`);

    await q.query(`CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      key_prefix text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      scopes text[] NOT NULL,
      created_by_staff_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      revoked_by_staff_id uuid,
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, created_by_staff_id) REFERENCES staff_members (clinic_id, id),
      FOREIGN KEY (clinic_id, revoked_by_staff_id) REFERENCES staff_members (clinic_id, id)
    )`);

    await q.query(`CREATE TABLE audit_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      occurred_at timestamptz NOT NULL DEFAULT now(),
      actor_type text NOT NULL CHECK (actor_type IN ('STAFF', 'CLIENT', 'INTEGRATION', 'SYSTEM')),
      actor_id uuid,
      action text NOT NULL,
      resource_type text NOT NULL,
      resource_id uuid,
      subject_client_id uuid,
      request_id text,
      code text
    )`);
    await q.query(`CREATE INDEX audit_events_clinic_time_idx ON audit_events (clinic_id, id DESC)`);
    await q.query(`CREATE INDEX audit_events_subject_idx ON audit_events (clinic_id, subject_client_id, id DESC)`);

    await q.query(`ALTER TABLE clinics ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE clinics FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON clinics USING (id = ${CURRENT_CLINIC}) WITH CHECK (id = ${CURRENT_CLINIC})`);
    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`,
      );
    }
    // A presented API key is resolved before its clinic is known: only a caller holding the
    // key (and so its hash) can see that one row.
    await q.query(`CREATE POLICY api_key_lookup ON api_keys FOR SELECT
      USING (key_hash = NULLIF(current_setting('app.api_key_hash', true), ''))`);

    await q.query(`GRANT SELECT, UPDATE ON clinics TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON staff_members, clients, api_keys TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON external_identifiers TO kinship_app`);
    // /readyz compares applied migrations with the code's list.
    await q.query(`GRANT SELECT ON migrations TO kinship_app`);
    // Audit is append-only for the server: no UPDATE, no DELETE.
    await q.query(`GRANT SELECT, INSERT ON audit_events TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events, api_keys, external_identifiers, clients, staff_members, clinics`);
    await q.query(`REVOKE USAGE ON SCHEMA public FROM kinship_app`);
  }
}
