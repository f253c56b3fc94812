import { MigrationInterface, QueryRunner } from 'typeorm';

const CURRENT_CLINIC = `NULLIF(current_setting('app.clinic_id', true), '')::uuid`;

/**
 * The per-record view of the trail: what `audit_events` was, row for row, so every reader keeps
 * working; `batch_id, position` order it (newest first: both descending) on the batches' key.
 */
const EVENTS_VIEW = `CREATE VIEW audit_events WITH (security_invoker = true) AS
  SELECT coalesce(b.legacy_number, b.id * 10000 + e.n - 1) AS id, b.clinic_id, b.occurred_at, b.actor_type, b.actor_id,
         e.action, e.resource_type, e.resource_id, e.subject_client_id, b.request_id, e.code,
         b.id AS batch_id, e.n AS position
    FROM audit_batches b
    CROSS JOIN LATERAL unnest(b.actions, b.resource_types, b.resource_ids, b.subject_client_ids, b.codes)
      WITH ORDINALITY AS e(action, resource_type, resource_id, subject_client_id, code, n)`;

/**
 * The audit trail stores one row per request (a batch) instead of one per record shown. A roster
 * page audits ~37 records: as rows, with their three indexes, they cost PostgreSQL about as much
 * as building the page (0.6 ms of ~1.9 ms per request under load) and most of the autovacuum
 * work. As one row of parallel arrays it is one heap tuple and one key, plus a small
 * `audit_subjects` row per client it names (10 for a roster page) for "who saw this client".
 *
 * Nothing recorded changes: every record still has its action, type, id, subject and code, and
 * the view `audit_events` shows them one row per record as before (security_invoker, so the
 * tenant policy of `audit_batches` applies to whoever reads it). Event number = batch id × 10,000
 * + position, so events still number upward within the clinic; a batch holds at most 10,000.
 * Events recorded before keep their numbers (`legacy_number`), both ways.
 */
export class AuditEventsOneRowPerRequest1764260000000 implements MigrationInterface {
  name = 'AuditEventsOneRowPerRequest1764260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_batches (
      id bigint GENERATED ALWAYS AS IDENTITY CHECK (id BETWEEN 1 AND 922337203685476),
      legacy_number bigint,
      clinic_id uuid NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      actor_type text NOT NULL CHECK (actor_type IN ('STAFF', 'CLIENT', 'INTEGRATION', 'SYSTEM')),
      actor_id uuid,
      request_id text,
      actions text[] NOT NULL,
      resource_types text[] NOT NULL,
      resource_ids uuid[] NOT NULL,
      subject_client_ids uuid[] NOT NULL,
      codes text[] NOT NULL,
      PRIMARY KEY (clinic_id, id),
      CHECK (cardinality(actions) BETWEEN 1 AND 10000 AND array_position(actions, NULL) IS NULL AND array_position(resource_types, NULL) IS NULL
             AND cardinality(resource_types) = cardinality(actions) AND cardinality(resource_ids) = cardinality(actions)
             AND cardinality(subject_client_ids) = cardinality(actions) AND cardinality(codes) = cardinality(actions))
    ) WITH (toast_tuple_target = 8160)`);
    // (A roster page's batch is ~2 kB: at the default 2 kB target each insert first tried to compress it.)
    // "Who saw this client's data" (the access report, the admin trail's subject filter): each
    // client a batch names, once. Not a GIN index on the array: under RLS the planner may not use
    // a non-leakproof operator such as `@>` as an index condition, while uuid equality is leakproof.
    await q.query(`CREATE TABLE audit_subjects (
      clinic_id uuid NOT NULL,
      subject_client_id uuid NOT NULL,
      batch_id bigint NOT NULL,
      PRIMARY KEY (clinic_id, subject_client_id, batch_id)
    )`);

    // Each existing record becomes a batch of one under its own number's batch id. The policies are
    // lifted for the copy: a migration role that owns the tables but is not superuser would see no rows.
    await q.query(`ALTER TABLE audit_events NO FORCE ROW LEVEL SECURITY`);
    await q.query(`INSERT INTO audit_batches (legacy_number, clinic_id, occurred_at, actor_type, actor_id, request_id, actions, resource_types, resource_ids, subject_client_ids, codes)
      SELECT id, clinic_id, occurred_at, actor_type, actor_id, request_id, ARRAY[action], ARRAY[resource_type], ARRAY[resource_id], ARRAY[subject_client_id], ARRAY[code]
        FROM audit_events ORDER BY id`);
    await q.query(`INSERT INTO audit_subjects (clinic_id, subject_client_id, batch_id)
      SELECT clinic_id, subject_client_ids[1], id FROM audit_batches WHERE subject_client_ids[1] IS NOT NULL`);
    // Existing events keep their numbers; new ones number above them (batch id × 10,000 + position).
    await q.query(`SELECT setval(pg_get_serial_sequence('audit_batches', 'id'),
      greatest((SELECT max(id) FROM audit_batches), (SELECT max(legacy_number) FROM audit_batches) / 10000 + 1, 1))`);
    await q.query(`DROP TABLE audit_events`);
    await q.query(`ALTER TABLE audit_batches ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE audit_batches FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON audit_batches USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`);
    await q.query(`ALTER TABLE audit_subjects ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE audit_subjects FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON audit_subjects USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`);
    await q.query(EVENTS_VIEW);
    // Append-only for the server, as before: no UPDATE, no DELETE.
    await q.query(`GRANT SELECT, INSERT ON audit_batches, audit_subjects TO kinship_app`);
    await q.query(`GRANT SELECT ON audit_events TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_batches NO FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE TABLE audit_events_records (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      clinic_id uuid NOT NULL,
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
    await q.query(`INSERT INTO audit_events_records (id, clinic_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, subject_client_id, request_id, code)
      OVERRIDING SYSTEM VALUE
      SELECT id, clinic_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, subject_client_id, request_id, code FROM audit_events ORDER BY id`);
    await q.query(`SELECT setval(pg_get_serial_sequence('audit_events_records', 'id'), greatest((SELECT max(id) FROM audit_events_records), 1), (SELECT max(id) IS NOT NULL FROM audit_events_records))`);
    await q.query(`DROP VIEW audit_events`);
    await q.query(`DROP TABLE audit_batches, audit_subjects`);
    await q.query(`ALTER TABLE audit_events_records RENAME TO audit_events`);
    await q.query(`ALTER INDEX audit_events_records_pkey RENAME TO audit_events_pkey`);
    await q.query(`ALTER SEQUENCE audit_events_records_id_seq RENAME TO audit_events_id_seq`);
    await q.query(`CREATE INDEX audit_events_clinic_time_idx ON audit_events (clinic_id, id DESC)`);
    await q.query(`CREATE INDEX audit_events_subject_idx ON audit_events (clinic_id, subject_client_id, id DESC)`);
    await q.query(`ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE audit_events FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON audit_events USING (clinic_id = ${CURRENT_CLINIC}) WITH CHECK (clinic_id = ${CURRENT_CLINIC})`);
    await q.query(`GRANT SELECT, INSERT ON audit_events TO kinship_app`);
  }
}
