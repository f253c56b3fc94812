import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The disclosure ledger writes a row per record released to an integration (a goals read: ~200).
 * As with `audit_events`, the key to `clinics` added a lookup and a key-share lock on the clinic
 * row per row and nothing else: RLS already pins the row to the transaction's tenant, and the
 * composite keys to the API key, the client and the consent (which carry the clinic id) stay.
 */
export class DisclosuresWithoutClinicKey1764250000000 implements MigrationInterface {
  name = 'DisclosuresWithoutClinicKey1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE disclosures DROP CONSTRAINT disclosures_clinic_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE disclosures ADD CONSTRAINT disclosures_clinic_id_fkey FOREIGN KEY (clinic_id) REFERENCES clinics(id)`);
  }
}
