import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_TABLES = ['consent_records', 'consent_events', 'disclosures'];
const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;

export class CreateConsent1764170000000 implements MigrationInterface {
  name = 'CreateConsent1764170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE consent_records (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      client_id uuid NOT NULL,
      type text NOT NULL CHECK (type IN ('TREATMENT', 'GROUP_AGREEMENT', 'GOAL_SHARING', 'CONTACT_SHARING', 'ALUMNI_DIRECTORY',
                                         'RECORDING', 'PARTNER_DATA_SHARING', 'RESEARCH')),
      scope_kind text NOT NULL CHECK (scope_kind IN ('CLINIC', 'GROUP', 'INTEGRATION')),
      scope_group_id uuid,
      scope_api_key_id uuid,
      provision text NOT NULL CHECK (provision IN ('PERMIT', 'DENY')),
      purpose text,
      data_classes text[] NOT NULL DEFAULT '{}',
      granted_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      method text NOT NULL CHECK (method IN ('ELECTRONIC', 'SIGNED_FORM', 'VERBAL')),
      document_version text,
      recorded_by_type text NOT NULL,
      recorded_by_id uuid,
      revoked_at timestamptz,
      revoked_by_type text,
      revoked_by_id uuid,
      revocation_reason text,
      UNIQUE (clinic_id, id),
      FOREIGN KEY (clinic_id, client_id) REFERENCES clients (clinic_id, id),
      FOREIGN KEY (clinic_id, scope_group_id) REFERENCES therapy_groups (clinic_id, id),
      FOREIGN KEY (clinic_id, scope_api_key_id) REFERENCES api_keys (clinic_id, id),
      CHECK ((scope_kind = 'GROUP') = (scope_group_id IS NOT NULL)),
      CHECK ((scope_kind = 'INTEGRATION') = (scope_api_key_id IS NOT NULL)),
      CHECK (expires_at IS NULL OR expires_at > granted_at)
    )`);
    await q.query(`CREATE INDEX consent_records_client_idx ON consent_records (clinic_id, client_id, type)`);
    await q.query(`CREATE INDEX consent_records_group_idx ON consent_records (clinic_id, scope_group_id, type) WHERE scope_group_id IS NOT NULL`);

    // Append-only: once written, a consent changes only by being revoked, once.
    await q.query(`CREATE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'consent records are append-only' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.revoked_at IS NOT NULL
           OR (to_jsonb(NEW) - ARRAY['revoked_at', 'revoked_by_type', 'revoked_by_id', 'revocation_reason'])
              IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['revoked_at', 'revoked_by_type', 'revoked_by_id', 'revocation_reason']) THEN
          RAISE EXCEPTION 'consent records are append-only: only an unrevoked consent may be revoked' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER consent_records_append_only BEFORE UPDATE OR DELETE ON consent_records
      FOR EACH ROW EXECUTE FUNCTION consent_records_append_only()`);

    await q.query(`CREATE TABLE consent_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      consent_id uuid NOT NULL,
      event text NOT NULL CHECK (event IN ('GRANTED', 'REVOKED')),
      actor_type text NOT NULL,
      actor_id uuid,
      reason text,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (clinic_id, consent_id) REFERENCES consent_records (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX consent_events_consent_idx ON consent_events (clinic_id, consent_id, id)`);

    await q.query(`CREATE TABLE disclosures (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      clinic_id uuid NOT NULL REFERENCES clinics(id),
      api_key_id uuid NOT NULL,
      client_id uuid NOT NULL,
      data_class text NOT NULL,
      resource_type text NOT NULL,
      resource_id uuid NOT NULL,
      consent_id uuid NOT NULL,
      request_id text,
      disclosed_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (clinic_id, api_key_id) REFERENCES api_keys (clinic_id, id),
      FOREIGN KEY (clinic_id, client_id) REFERENCES clients (clinic_id, id),
      FOREIGN KEY (clinic_id, consent_id) REFERENCES consent_records (clinic_id, id)
    )`);
    await q.query(`CREATE INDEX disclosures_client_idx ON disclosures (clinic_id, client_id, id DESC)`);

    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`,
      );
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE ON consent_records TO kinship_app`);
    await q.query(`GRANT SELECT, INSERT ON consent_events, disclosures TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE disclosures, consent_events, consent_records`);
    await q.query(`DROP FUNCTION consent_records_append_only()`);
  }
}
