import { SqlParts, sqlList } from '../../db/sql-parts';
import { currentClinic, settingsOf } from '../clinic/clinic.service';
import { AuditAction } from '../../audit/audit-action';
import { decodeCursor, Page, pageOf } from '../../common/connection';
import { uuidOf } from '../../common/global-id';
import { toSqlDate } from '../../common/scalars';
import type { AuthedContext, RequestContext } from '../../context';
import { badInput, conflict, notFound } from '../../errors/domain-error';
import { isUniqueViolation } from '../../db/pg-errors';
import { attachExternalIds } from '../external-ids/external-id.service';
import { promoteFromWaitlist } from '../memberships/membership.service';
import { ENDED } from '../memberships/membership-status';
import { GroupFacilitator } from './group-facilitator.entity';
import { FacilitatorRole, GroupStatus, Modality } from './group.enums';
import { ChangeGroupStatusInput, CreateGroupInput, UpdateGroupInput, AssignFacilitatorInput } from './group.inputs';
import { groupLoaders, VisibleGroup } from './group.loaders';
import { canChangeGroupStatus, GROUP_TRANSITIONS } from './group-status';
import { canFacilitate } from './group.policy';
import { facilitatingSql, otherActiveLeadSql } from './facilitator-sql';
import { TherapyGroup } from './therapy-group.entity';
import { viewerFactsLoader } from './viewer-facts';

export const GROUP = 'TherapyGroup';

export interface GroupFilter {
  status?: GroupStatus[] | null;
  modality?: Modality[] | null;
  facilitatorId?: string | null;
  search?: string | null;
}

export async function getGroup(ctx: AuthedContext, globalId: string): Promise<VisibleGroup> {
  const id = uuidOf(globalId, GROUP);
  const visible = id ? await ctx.loaders.of(groupLoaders).visibleById.load(id) : null;
  if (!visible) {
    ctx.audit.denied({ resourceType: GROUP, resourceId: id ?? null, code: 'NOT_FOUND' });
    throw notFound('Group');
  }
  return visible;
}

export async function listGroups(ctx: AuthedContext, filter: GroupFilter, first: number, after?: string | null): Promise<Page<VisibleGroup>> {
  const cursor = decodeCursor(after, ['text', 'uuid']);
  const q = new SqlParts();
  if (ctx.viewer.kind === 'MEMBER') {
    const facts = await ctx.loaders.of(viewerFactsLoader).get();
    q.and(`g.id = ANY(${q.param([...facts.ownMemberships.keys()])})`);
  }
  if (filter.status?.length) q.and(`g.status = ANY(${q.param(filter.status)})`);
  if (filter.modality?.length) q.and(`g.modality = ANY(${q.param(filter.modality)})`);
  if (filter.facilitatorId !== undefined && filter.facilitatorId !== null) {
    const staffId = uuidOf(filter.facilitatorId, 'StaffMember') ?? '00000000-0000-0000-0000-000000000000';
    q.and(`EXISTS (SELECT 1 FROM group_facilitators f WHERE f.group_id = g.id AND ${facilitatingSql('f')} AND f.staff_member_id = ${q.param(staffId)})`);
  }
  if (filter.search) q.and(`g.name ILIKE ${q.param(`%${filter.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`)}`);
  if (cursor) q.and(`(g.name, g.id) > (${q.param(cursor[0])}, ${q.param(cursor[1])}::uuid)`);
  const limit = q.param(first + 1);
  const rows = await ctx.db.query<{ id: string }>(
    `SELECT g.id FROM therapy_groups g ${q.where}
      ORDER BY g.name, g.id LIMIT ${limit}`,
    q.params,
  );
  const visible = (await ctx.loaders.of(groupLoaders).visibleById.loadMany(rows.map((r) => r.id))).filter(
    (v): v is VisibleGroup => v !== null && !(v instanceof Error),
  );
  return pageOf(visible, first, (v) => [v.group.name, v.group.id]);
}

function checkDates(start: string | null | undefined, end: string | null | undefined) {
  if (start && end && end < start) throw badInput('endDate is before startDate', { field: 'endDate' });
}

export async function createGroup(ctx: AuthedContext, input: CreateGroupInput): Promise<VisibleGroup> {
  const startDate = toSqlDate(input.startDate) ?? null;
  const endDate = toSqlDate(input.endDate) ?? null;
  checkDates(startDate, endDate);
  const [row] = await ctx.db.query<{ id: string }>(
    `INSERT INTO therapy_groups (clinic_id, name, description, modality, format, capacity, schedule_description, location,
                                 video_link, start_date, end_date, agreement_text, peer_contact_policy)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    [ctx.db.clinicId, input.name.trim(), input.description ?? null, input.modality, input.format, input.capacity,
      input.scheduleDescription ?? null, input.location ?? null, input.videoLink ?? null, startDate, endDate,
      // Without its own policy a group takes the clinic's default, read through the same check as `clinic.settings`.
      input.agreementText ?? null, input.peerContactPolicy ?? settingsOf(await currentClinic(ctx)).defaultPeerContactPolicy],
  );
  await attachExternalIds(ctx, GROUP, row.id, input.externalIds);
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: GROUP, resourceId: row.id });
  return (await ctx.loaders.of(groupLoaders).visibleById.load(row.id))!;
}

/** Locks the group row for the rest of the transaction: seat accounting and status changes serialize on it. */
export async function lockGroup(ctx: AuthedContext, groupId: string): Promise<TherapyGroup> {
  const group = await ctx.db.manager
    .createQueryBuilder(TherapyGroup, 'g')
    .where('g.id = :id', { id: groupId })
    .setLock('pessimistic_write')
    .getOne();
  if (!group) throw notFound('Group');
  return group;
}

export async function updateGroup(ctx: AuthedContext, input: UpdateGroupInput): Promise<VisibleGroup> {
  const id = uuidOf(input.id, GROUP);
  if (!id) throw notFound('Group');
  const group = await lockGroup(ctx, id);
  if (group.status === GroupStatus.ARCHIVED) throw conflict('An ARCHIVED group is read-only history', { groupStatus: group.status });
  const set: Record<string, unknown> = {};
  const assign = (column: string, value: unknown) => {
    if (value !== undefined) set[column] = value;
  };
  assign('name', input.name?.trim());
  assign('description', input.description);
  assign('modality', input.modality ?? undefined);
  assign('format', input.format ?? undefined);
  assign('capacity', input.capacity ?? undefined);
  assign('schedule_description', input.scheduleDescription);
  assign('location', input.location);
  assign('video_link', input.videoLink);
  assign('start_date', toSqlDate(input.startDate));
  assign('end_date', toSqlDate(input.endDate));
  assign('peer_contact_policy', input.peerContactPolicy ?? undefined);
  if (input.agreementText !== undefined && input.agreementText !== group.agreementText) {
    set.agreement_text = input.agreementText;
    set.agreement_version = group.agreementVersion + 1;
  }
  checkDates(
    'start_date' in set ? (set.start_date as string | null) : group.startDate,
    'end_date' in set ? (set.end_date as string | null) : group.endDate,
  );
  if (input.capacity !== undefined && input.capacity !== null) {
    // Counted now, under the group's lock: a count read earlier in this request may be stale.
    const counts = await ctx.loaders.of(groupLoaders).counts.clear(id).load(id);
    if (input.capacity < counts.seated) {
      throw conflict(`Capacity ${input.capacity} is below the ${counts.seated} seated members`, { field: 'capacity', seated: counts.seated });
    }
  }
  const columns = Object.keys(set);
  if (columns.length) {
    await ctx.db.query(
      `UPDATE therapy_groups SET ${columns.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
      [id, ...columns.map((c) => set[c])],
    );
    ctx.audit.record({ action: AuditAction.UPDATE, resourceType: GROUP, resourceId: id });
  }
  await attachExternalIds(ctx, GROUP, id, input.externalIds, { existing: true });
  const loaders = ctx.loaders.of(groupLoaders);
  loaders.rowById.clear(id);
  loaders.visibleById.clear(id);
  loaders.counts.clear(id);
  // More seats, or a format whose waitlist moves up (a CLOSED group's waits for the next cohort):
  // the earliest waiting members take the free seats before anyone new can.
  const moreSeats = set.capacity !== undefined && set.capacity !== group.capacity;
  if (moreSeats || (set.format !== undefined && set.format !== group.format)) await promoteFromWaitlist(ctx, id);
  if (set.peer_contact_policy !== undefined && set.peer_contact_policy !== group.peerContactPolicy) {
    for (const hook of peerContactPolicyChangedHooks) await hook(ctx, id);
  }
  return (await loaders.visibleById.load(id))!;
}

/** Modules that react to a group's peer-contact policy changing (held contact requests) register here. */
export const peerContactPolicyChangedHooks: ((ctx: RequestContext, groupId: string) => Promise<void>)[] = [];

/** Modules that react to a group concluding (its future sessions) register here. */
export const groupConcludedHooks: ((ctx: AuthedContext, groupId: string) => Promise<void>)[] = [];

async function hasCurrentLead(ctx: AuthedContext, groupId: string, except?: string): Promise<boolean> {
  const [row] = await ctx.db.query<{ led: boolean }>(`SELECT ${otherActiveLeadSql('$1::uuid', '$2::uuid')} AS led`, [groupId, except ?? null]);
  return row.led;
}

export async function changeGroupStatus(ctx: AuthedContext, input: ChangeGroupStatusInput): Promise<VisibleGroup> {
  const id = uuidOf(input.groupId, GROUP);
  if (!id) throw notFound('Group');
  const group = await lockGroup(ctx, id);
  if (!canChangeGroupStatus(group.status, input.status)) {
    throw conflict(`A ${group.status} group cannot become ${input.status}`, {
      from: group.status,
      to: input.status,
      allowedTransitions: GROUP_TRANSITIONS[group.status],
    });
  }
  if (input.status === GroupStatus.ACTIVE && !(await hasCurrentLead(ctx, id))) {
    throw conflict('A group needs a lead facilitator to be ACTIVE', { reason: 'LEAD_FACILITATOR_REQUIRED' });
  }
  if (input.status === GroupStatus.ARCHIVED) {
    // An archived roster is frozen: a membership left open would stay so for good (its member kept
    // the group's schedule and peers, and never became an alumnus). Memberships change under the
    // group lock held here, so none opens meanwhile.
    const [open] = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM memberships WHERE group_id = $1 AND status NOT IN (${sqlList(ENDED)})`,
      [id],
    );
    if (open.n > 0) {
      throw conflict(`Close the group's ${open.n} open membership(s) before archiving it`, { reason: 'OPEN_MEMBERSHIPS', openMemberships: open.n });
    }
  }
  await ctx.db.query(`UPDATE therapy_groups SET status = $2, updated_at = now() WHERE id = $1`, [id, input.status]);
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: GROUP, resourceId: id });
  if (input.status === GroupStatus.CONCLUDED) for (const hook of groupConcludedHooks) await hook(ctx, id);
  const loaders = ctx.loaders.of(groupLoaders);
  loaders.rowById.clear(id);
  loaders.visibleById.clear(id);
  return (await loaders.visibleById.load(id))!;
}

export async function assignFacilitator(ctx: AuthedContext, input: AssignFacilitatorInput): Promise<GroupFacilitator> {
  const groupId = uuidOf(input.groupId, GROUP);
  const staffId = uuidOf(input.staffMemberId, 'StaffMember');
  if (!groupId) throw notFound('Group');
  const group = await lockGroup(ctx, groupId);
  if (group.status === GroupStatus.ARCHIVED || group.status === GroupStatus.CONCLUDED) {
    throw conflict(`A ${group.status} group takes no new facilitators`);
  }
  const [staff] = staffId
    ? await ctx.db.query<{ role: string; active: boolean }>(`SELECT role, active FROM staff_members WHERE id = $1 FOR SHARE`, [staffId])
    : [];
  if (!staff) throw notFound('StaffMember');
  if (!staff.active) throw conflict('This staff member is inactive', { field: 'staffMemberId' });
  if (!canFacilitate(staff.role)) throw badInput('Facilitators are clinicians or supervisors', { field: 'staffMemberId' });
  const periodStart = toSqlDate(input.periodStart) ?? null;
  const periodEnd = toSqlDate(input.periodEnd) ?? null;
  if (periodEnd) {
    // Against the start it will have: today's, when none is given.
    const [{ before }] = await ctx.db.query<{ before: boolean }>(`SELECT $2::date < COALESCE($1::date, clinic_today()) AS before`, [periodStart, periodEnd]);
    if (before) throw badInput('periodEnd is before periodStart', { field: 'periodEnd' });
  }
  // An earlier assignment of theirs whose last day has passed (never removed) is history: ended now,
  // as removeFacilitator would end it, so it does not stand in the way of the new one. One still in
  // force, or ahead, does (CONFLICT).
  const lapsed = await ctx.db.query<{ id: string }>(
    `UPDATE group_facilitators SET ended_at = now()
      WHERE group_id = $1 AND staff_member_id = $2 AND ended_at IS NULL AND period_end < clinic_today() RETURNING id`,
    [groupId, staffId],
  );
  for (const { id } of lapsed) ctx.audit.record({ action: AuditAction.UPDATE, resourceType: 'GroupFacilitator', resourceId: id });
  try {
    const [row] = await ctx.db.query<{ id: string }>(
      `INSERT INTO group_facilitators (clinic_id, group_id, staff_member_id, role, period_start, period_end)
       VALUES ($1, $2, $3, $4, COALESCE($5::date, clinic_today()), $6) RETURNING id`,
      [ctx.db.clinicId, groupId, staffId, input.role, periodStart, periodEnd],
    );
    ctx.audit.record({ action: AuditAction.CREATE, resourceType: 'GroupFacilitator', resourceId: row.id });
    return ctx.db.manager.findOneByOrFail(GroupFacilitator, { id: row.id });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('This staff member already facilitates the group', { field: 'staffMemberId' });
    throw error;
  }
}

export async function removeFacilitator(ctx: AuthedContext, facilitatorGlobalId: string): Promise<GroupFacilitator> {
  const id = uuidOf(facilitatorGlobalId, 'GroupFacilitator');
  const existing = id ? await ctx.db.manager.findOneBy(GroupFacilitator, { id }) : null;
  if (!id || !existing) throw notFound('GroupFacilitator');
  const group = await lockGroup(ctx, existing.groupId);
  if (group.status === GroupStatus.ARCHIVED) throw conflict('An ARCHIVED group is read-only history', { groupStatus: group.status });
  // Read again under the group's lock: a removal that committed meanwhile has ended it.
  const [now] = await ctx.db.query<{ ended: boolean; in_force: boolean }>(
    `SELECT f.ended_at IS NOT NULL AS ended, ${facilitatingSql('f')} AS in_force FROM group_facilitators f WHERE f.id = $1`,
    [id],
  );
  if (existing.endedAt || now?.ended) throw conflict('This assignment has already ended');
  // Only a lead in force keeps the group led: ending one whose period has lapsed (or not begun) changes nothing.
  if (existing.role === FacilitatorRole.LEAD && now?.in_force && group.status === GroupStatus.ACTIVE && !(await hasCurrentLead(ctx, group.id, id))) {
    throw conflict('An ACTIVE group cannot be left without a lead facilitator: assign another lead first', {
      reason: 'LEAD_FACILITATOR_REQUIRED',
    });
  }
  await ctx.db.query(
    `UPDATE group_facilitators SET ended_at = now(), period_end = LEAST(COALESCE(period_end, clinic_today()), clinic_today()) WHERE id = $1`,
    [id],
  );
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: 'GroupFacilitator', resourceId: id });
  return ctx.db.manager.findOneByOrFail(GroupFacilitator, { id });
}
