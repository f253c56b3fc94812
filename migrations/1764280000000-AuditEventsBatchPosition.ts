import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_events` shows each record's batch and its position in it (`batch_id`, `position`): the
 * audit list orders and pages by them (newest first: both descending) on the batches' key, and
 * the access report finds a client's batches through `audit_subjects` by `batch_id`, instead of
 * each repeating the view's unnest. New columns go last, so the view is replaced in place (its
 * grants stay); the old definition comes back on the way down.
 */
export class AuditEventsBatchPosition1764280000000 implements MigrationInterface {
  name = 'AuditEventsBatchPosition1764280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE VIEW audit_events WITH (security_invoker = true) AS
      SELECT coalesce(b.legacy_number, b.id * 10000 + e.n - 1) AS id, b.clinic_id, b.occurred_at, b.actor_type, b.actor_id,
             e.action, e.resource_type, e.resource_id, e.subject_client_id, b.request_id, e.code,
             b.id AS batch_id, e.n AS position
        FROM audit_batches b
        CROSS JOIN LATERAL unnest(b.actions, b.resource_types, b.resource_ids, b.subject_client_ids, b.codes)
          WITH ORDINALITY AS e(action, resource_type, resource_id, subject_client_id, code, n)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // A view's columns cannot be dropped in place.
    await q.query(`DROP VIEW audit_events`);
    await q.query(`CREATE VIEW audit_events WITH (security_invoker = true) AS
      SELECT coalesce(b.legacy_number, b.id * 10000 + e.n - 1) AS id, b.clinic_id, b.occurred_at, b.actor_type, b.actor_id,
             e.action, e.resource_type, e.resource_id, e.subject_client_id, b.request_id, e.code
        FROM audit_batches b
        CROSS JOIN LATERAL unnest(b.actions, b.resource_types, b.resource_ids, b.subject_client_ids, b.codes)
          WITH ORDINALITY AS e(action, resource_type, resource_id, subject_client_id, code, n)`);
    await q.query(`GRANT SELECT ON audit_events TO kinship_app`);
  }
}
