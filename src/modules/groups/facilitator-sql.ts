import type { Viewer } from '../../auth/viewer';
import type { RequestDb } from '../../db/request-db';

/**
 * Whether facilitator assignment `f` (an alias) is in force today, in the clinic's calendar: not
 * ended, begun (`period_start`), and not past its last day (`period_end`). Access to a group's
 * records follows it: an assignment made ahead of its start, or one whose planned end has
 * passed, opens nothing. `today` is `clinic_today()` unless a hot statement has a cheaper form
 * (`clinic_today()` is called for every row compared).
 */
export const facilitatingSql = (f: string, today = 'clinic_today()') => `(${f}.ended_at IS NULL AND ${assignedOnSql(f, today)})`;

/**
 * Whether assignment `f` covers day `day` (SQL date): begun by then and not past its last day. An
 * ended assignment kept its last day (`period_end`), so this judges past days too, as the record of
 * who facilitated a session asks.
 */
export const assignedOnSql = (f: string, day: string) => `(${f}.period_start <= ${day} AND (${f}.period_end IS NULL OR ${f}.period_end >= ${day}))`;

/**
 * Those of `staffIds` assigned to the group on the clinic-calendar day of instant `at`
 * (`assignedOnSql`): who may be recorded as having run a session, and who may write it up.
 */
export async function assignedOnDayOf(db: RequestDb, groupId: string, staffIds: readonly string[], at: Date): Promise<Set<string>> {
  const rows = await db.query<{ id: string }>(
    `SELECT DISTINCT f.staff_member_id AS id FROM group_facilitators f JOIN clinics c ON c.id = f.clinic_id
      WHERE f.group_id = $1 AND f.staff_member_id = ANY($2::uuid[]) AND ${assignedOnSql('f', '($3::timestamptz AT TIME ZONE c.timezone)::date')}`,
    [groupId, staffIds, at],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Whether `viewer` is a clinician not assigned to the group on the clinic-calendar day of `at`:
 * one who does not keep that meeting's record (its notes, attendance, the session itself), as one
 * assigned in March did not run January's. Supervisors and admins oversee every group.
 */
export async function unassignedClinicianOn(db: RequestDb, viewer: Viewer, groupId: string, at: Date): Promise<boolean> {
  if (viewer.kind !== 'STAFF' || viewer.role !== 'CLINICIAN') return false;
  return !(await assignedOnDayOf(db, groupId, [viewer.staffId], at)).has(viewer.staffId);
}

/**
 * Whether group `group` has an active lead facilitator other than assignment `except` (SQL
 * expressions; `except` may be NULL), in force today (`facilitatingSql`): an ACTIVE group must
 * always have one who can open its records.
 */
export const otherActiveLeadSql = (group: string, except: string) =>
  `EXISTS (SELECT 1 FROM group_facilitators other_lead JOIN staff_members lead_staff ON lead_staff.id = other_lead.staff_member_id
            WHERE other_lead.group_id = ${group} AND other_lead.role = 'LEAD' AND ${facilitatingSql('other_lead')} AND lead_staff.active
              AND other_lead.id IS DISTINCT FROM ${except})`;
