import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every audited read writes one row per record it showed (a roster page: ~40). The foreign key to
 * `clinics` ran a lookup and took a key-share lock on the clinic's row for each of them — the
 * largest part of an audited read's cost in the database. The clinic id is the transaction's own
 * tenant setting (the RLS WITH CHECK already pins it), clinics are never deleted, and an append-only
 * trail must not stop a clinic row from changing, so the key added nothing but cost.
 */
export class AuditEventsWithoutClinicKey1764230000000 implements MigrationInterface {
  name = 'AuditEventsWithoutClinicKey1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_clinic_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD CONSTRAINT audit_events_clinic_id_fkey FOREIGN KEY (clinic_id) REFERENCES clinics(id)`);
  }
}
