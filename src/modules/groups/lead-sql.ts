/**
 * Whether group `group` has an active lead facilitator other than assignment `except` (SQL
 * expressions; `except` may be NULL): an ACTIVE group must always have one.
 */
export const otherActiveLeadSql = (group: string, except: string) =>
  `EXISTS (SELECT 1 FROM group_facilitators other_lead JOIN staff_members lead_staff ON lead_staff.id = other_lead.staff_member_id
            WHERE other_lead.group_id = ${group} AND other_lead.role = 'LEAD' AND other_lead.ended_at IS NULL AND lead_staff.active
              AND other_lead.id IS DISTINCT FROM ${except})`;
