import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batch ids for audit records kept apart from their request (a psychotherapy note's, which name no
 * member and carry no request id): a sequence of their own, far above the main one. Taken from the
 * main sequence, an apart batch was nearly always the id right after its request's batch, so the
 * gap an admin saw after "READ Membership of X" told that the request touched a psychotherapy
 * note. `audit_batches.id`'s CHECK allows ids up to 922337203685476, so event numbers
 * (id × 10,000 + position) stay within bigint.
 */
export class AuditApartBatchIds1764330000000 implements MigrationInterface {
  name = 'AuditApartBatchIds1764330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE audit_apart_batch_ids AS bigint START WITH 900000000000000 MINVALUE 900000000000000 MAXVALUE 922337203685476 NO CYCLE`);
    await q.query(`GRANT USAGE ON SEQUENCE audit_apart_batch_ids TO kinship_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Batches written with these ids cannot move back into the main sequence (the trail is
    // append-only), and the code before this migration would list them as the newest events.
    const [{ used }] = await q.query(`SELECT is_called AS used FROM audit_apart_batch_ids`);
    if (used) throw new Error('AuditApartBatchIds cannot be reverted: audit batches have been written with its ids');
    await q.query(`DROP SEQUENCE audit_apart_batch_ids`);
  }
}
