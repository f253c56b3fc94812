import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every reference to a client or a staff member carries the clinic (DESIGN §4: a row can never
 * reference another clinic's row). These columns were filled from rows read under RLS, so no
 * API path could cross clinics, but the database did not refuse it: a future write taking such
 * an id from its caller would store another clinic's person. Each is checked against the rows
 * there as it is added (in the migration's transaction: writes to these tables wait for it).
 *
 * Left out: `recorded_by_id` of check-ins and consents names a client, a staff member or an
 * integration by `recorded_by_type` (no single table to reference); audit rows are written from
 * the request's own viewer and batch, never from a caller, on every request's path.
 */
const REFERENCES: readonly (readonly [table: string, column: string, target: 'clients' | 'staff_members'])[] = [
  ['goal_check_ins', 'client_id', 'clients'],
  ['encouragement_mutes', 'recipient_client_id', 'clients'],
  ['encouragement_mutes', 'sender_client_id', 'clients'],
  ['attendance', 'client_id', 'clients'],
  ['attendance', 'recorded_by_id', 'staff_members'],
  ['session_notes', 'client_id', 'clients'],
  ['session_notes', 'signed_by_staff_id', 'staff_members'],
  ['session_notes', 'cosigned_by_staff_id', 'staff_members'],
  ['member_blocks', 'blocker_client_id', 'clients'],
  ['member_blocks', 'blocked_client_id', 'clients'],
  ['group_events', 'created_by_staff_id', 'staff_members'],
];

const constraintOf = (table: string, column: string) => `${table}_${column}_clinic_fkey`;

export class ReferencesCarryTheClinic1764340000000 implements MigrationInterface {
  name = 'ReferencesCarryTheClinic1764340000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, column, target] of REFERENCES) {
      await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${constraintOf(table, column)} FOREIGN KEY (clinic_id, ${column}) REFERENCES ${target} (clinic_id, id)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, column] of [...REFERENCES].reverse()) await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${constraintOf(table, column)}`);
  }
}
