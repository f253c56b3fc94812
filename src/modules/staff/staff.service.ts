import { AuditAction } from '../../audit/audit-action';
import { StaffViewer } from '../../auth/viewer';
import { decodeCursor, Page, pageOf } from '../../common/connection';
import { uuidOf } from '../../common/global-id';
import type { RequestContext } from '../../context';
import { conflict, forbidden, notFound } from '../../errors/domain-error';
import { isUniqueViolation } from '../../db/pg-errors';
import { StaffMember } from './staff-member.entity';
import { CreateStaffMemberInput, UpdateStaffMemberInput } from './staff.inputs';
import { isSelfLockout } from './staff.policy';
import { canFacilitate } from '../groups/group.policy';
import { facilitatingSql, otherActiveLeadSql } from '../groups/facilitator-sql';
import { staffLoaders } from './staff.loaders';

export async function listStaff(ctx: RequestContext, first: number, after?: string | null): Promise<Page<StaffMember>> {
  const cursor = decodeCursor(after, ['text', 'uuid']);
  const qb = ctx.db.manager.createQueryBuilder(StaffMember, 's').orderBy('s.name', 'ASC').addOrderBy('s.id', 'ASC').limit(first + 1);
  if (cursor) qb.where('(s.name, s.id) > (:name, :id)', { name: cursor[0], id: cursor[1] });
  const rows = await qb.getMany();
  return pageOf(rows, first, (s) => [s.name, s.id]);
}

export async function createStaffMember(ctx: RequestContext, input: CreateStaffMemberInput): Promise<StaffMember> {
  try {
    const [row] = await ctx.db.query<{ id: string }>(
      `INSERT INTO staff_members (clinic_id, name, email, role, credentials) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [ctx.db.clinicId, input.name.trim(), input.email.trim(), input.role, input.credentials ?? null],
    );
    ctx.audit.record({ action: AuditAction.CREATE, resourceType: 'StaffMember', resourceId: row.id });
    return (await ctx.loaders.of(staffLoaders).byId.load(row.id))!;
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('A staff member with this email already exists', { field: 'email' });
    throw error;
  }
}

export async function updateStaffMember(ctx: RequestContext & { viewer: StaffViewer }, input: UpdateStaffMemberInput) {
  const id = uuidOf(input.id, 'StaffMember');
  const existing = id ? await ctx.loaders.of(staffLoaders).byId.load(id) : null;
  if (!id || !existing) throw notFound('StaffMember');
  if (isSelfLockout(ctx.viewer, id, input)) throw forbidden('You cannot demote or deactivate yourself');
  const changes: Partial<StaffMember> = {};
  if (input.name !== undefined && input.name !== null) changes.name = input.name.trim();
  if (input.email !== undefined && input.email !== null) changes.email = input.email.trim();
  if (input.role !== undefined && input.role !== null) changes.role = input.role;
  if (input.credentials !== undefined) changes.credentials = input.credentials;
  if (input.active !== undefined && input.active !== null) changes.active = input.active;
  await keepAnAdmin(ctx, id, existing, changes);
  await keepFacilitationValid(ctx, id, existing, changes);
  if (changes.active === false && existing.active) await endAssignmentsOf(ctx, id);
  if (Object.keys(changes).length > 0) {
    try {
      await ctx.db.manager.update(StaffMember, { id }, { ...changes, updatedAt: () => 'now()' } as never);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('A staff member with this email already exists', { field: 'email' });
      throw error;
    }
    ctx.audit.record({ action: AuditAction.UPDATE, resourceType: 'StaffMember', resourceId: id });
  }
  const loader = ctx.loaders.of(staffLoaders).byId;
  loader.clear(id);
  return (await loader.load(id))!;
}

/**
 * A deactivated staff member's assignments to groups that still meet end with it, as
 * removeFacilitator ends one (their days so far kept, for the record of who ran each meeting):
 * reactivated months later, they would otherwise open those rosters and records again unasked.
 * Those of CONCLUDED and ARCHIVED groups stay: no one can be assigned to them again, and a
 * clinician back from leave finishes the notes of a group that has ended. Each ending is audited.
 */
async function endAssignmentsOf(ctx: RequestContext, staffId: string) {
  const ended = await ctx.db.query<{ id: string }>(
    `UPDATE group_facilitators f SET ended_at = now(), period_end = LEAST(COALESCE(f.period_end, clinic_today()), clinic_today())
       FROM therapy_groups g
      WHERE f.staff_member_id = $1 AND f.ended_at IS NULL AND g.id = f.group_id AND g.status NOT IN ('CONCLUDED', 'ARCHIVED')
      RETURNING f.id`,
    [staffId],
  );
  ctx.audit.recordMany(ended.map((f) => ({ action: AuditAction.UPDATE, resourceType: 'GroupFacilitator', resourceId: f.id })));
  if (ended.length) ctx.loaders.forgetAll();
}

/**
 * A change that takes an admin away (demoted or deactivated) leaves another active admin. The
 * clinic's active admins are locked first, so two admins changing each other at once run one
 * after the other, and the second is judged with the first's change committed (isSelfLockout
 * covers only one's own account).
 */
async function keepAnAdmin(ctx: RequestContext, id: string, existing: StaffMember, changes: Partial<StaffMember>) {
  const removesAdmin = existing.role === 'ADMIN' && ((changes.role !== undefined && changes.role !== 'ADMIN') || changes.active === false);
  if (!removesAdmin) return;
  const admins = await ctx.db.query<{ id: string }>(`SELECT id FROM staff_members WHERE role = 'ADMIN' AND active ORDER BY id FOR UPDATE`);
  if (!admins.some((a) => a.id !== id)) throw conflict('The clinic keeps at least one active admin', { reason: 'LAST_ADMIN' });
}

/**
 * A role or active change may not leave a group with a facilitator it could not be given
 * (facilitators are clinicians or supervisors) or an ACTIVE group without an active lead.
 */
async function keepFacilitationValid(ctx: RequestContext, id: string, existing: StaffMember, changes: Partial<StaffMember>) {
  const takesFacilitation = changes.role !== undefined && !canFacilitate(changes.role) && canFacilitate(existing.role);
  const deactivates = changes.active === false && existing.active;
  if (deactivates) {
    // The groups they lead, locked as removeFacilitator and changeGroupStatus lock them (groups
    // before staff rows, as assignFacilitator takes them): two leads of one group deactivated at
    // once are judged one after the other.
    await ctx.db.query(
      `SELECT g.id FROM therapy_groups g WHERE g.id IN (SELECT f.group_id FROM group_facilitators f WHERE f.staff_member_id = $1 AND f.role = 'LEAD' AND f.ended_at IS NULL)
        ORDER BY g.id FOR UPDATE`,
      [id],
    );
  }
  // Their row, locked before their assignments are read: assignFacilitator share-locks it as it
  // reads their role, so an assignment made meanwhile is seen here, or is judged by this change.
  // NO KEY UPDATE: rows that reference them (a note they author) are not held up.
  if (takesFacilitation || deactivates) await ctx.db.query(`SELECT 1 FROM staff_members WHERE id = $1 FOR NO KEY UPDATE`, [id]);
  if (takesFacilitation) {
    const [facilitating] = await ctx.db.query(`SELECT 1 FROM group_facilitators WHERE staff_member_id = $1 AND ended_at IS NULL LIMIT 1`, [id]);
    if (facilitating) throw conflict('Facilitators are clinicians or supervisors: end their facilitator assignments first', { field: 'role', reason: 'FACILITATES_GROUPS' });
  }
  if (deactivates) {
    const [led] = await ctx.db.query(
      `SELECT 1 FROM group_facilitators f JOIN therapy_groups g ON g.id = f.group_id
        WHERE f.staff_member_id = $1 AND f.role = 'LEAD' AND ${facilitatingSql('f')} AND g.status = 'ACTIVE'
          AND NOT ${otherActiveLeadSql('g.id', 'f.id')}
        LIMIT 1`,
      [id],
    );
    if (led) throw conflict('They are the only lead of an ACTIVE group: assign another lead first', { field: 'active', reason: 'LEAD_FACILITATOR_REQUIRED' });
  }
}
