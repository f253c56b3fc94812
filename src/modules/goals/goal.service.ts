import { byDisplayName } from '../clients/client.entity';
import { SqlParts } from '../../db/sql-parts';
import { AuditAction } from '../../audit/audit-action';
import { auditRefusedRead, refusedWrite, stateConflict } from '../../audit/denied-subject';
import { actorOf } from '../../auth/viewer';
import { decodeCursor, keysetPage, Page } from '../../common/connection';
import { uuidOf } from '../../common/global-id';
import { toSqlDate } from '../../common/scalars';
import type { AuthedContext } from '../../context';
import { badInput, forbidden, notFound } from '../../errors/domain-error';
import { groupLoaders } from '../groups/group.loaders';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { membershipLoaders } from '../memberships/membership.loaders';
import { isEnded } from '../memberships/membership-status';
import { GoalLifecycleStatus, GoalMeasureKind, GoalVisibility } from './goal.enums';
import { CreateGoalInput, RecordCheckInInput, UpdateGoalInput } from './goal.inputs';
import { CHECK_IN_COLUMNS, checkInFromRow, CheckInRow, goalLoaders, GoalRow, mayShowMemberSql, SELECT_GOALS } from './goal.loaders';
import { consentAnswerSql } from '../consent/consent-check';
import { canWriteGoal } from './goal.policy';
import { valueFits } from './goal-progress';
import { refreshStreakSummary } from './streak-summary';
import { withIdempotency } from '../idempotency/idempotency.service';
import { Goal, GoalCheckIn } from './goal.types';

const GOAL = 'Goal';

export interface GoalFilter {
  clientId?: string | null;
  groupId?: string | null;
  lifecycleStatus?: GoalLifecycleStatus[] | null;
  visibility?: GoalVisibility[] | null;
}

export async function getGoal(ctx: AuthedContext, globalId: string): Promise<Goal> {
  const id = uuidOf(globalId, GOAL);
  const goal = id ? await ctx.loaders.of(goalLoaders).visibleById.load(id) : null;
  if (!goal) {
    await auditRefusedRead(ctx, GOAL, id);
    throw notFound(GOAL);
  }
  return goal;
}

/**
 * Goals the viewer may see, oldest first. The SQL narrows to candidates (the member's groups,
 * a clinician's groups, a whole clinic for supervisors and integrations); the goal rule decides.
 */
export async function listGoals(ctx: AuthedContext, filter: GoalFilter, first: number, after?: string | null): Promise<Page<Goal>> {
  const viewer = ctx.viewer;
  if (viewer.kind === 'STAFF' && viewer.role === 'ADMIN') throw forbidden('Goals are clinical data: admins do not read them');
  const cursor = decodeCursor(after, ['timestamp', 'uuid']);
  const q = new SqlParts();
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  if (viewer.kind === 'MEMBER') {
    q.and(`g.group_id = ANY(${q.param([...facts.ownMemberships.keys()])})`);
    q.and(mayShowMemberSql(`${q.param(viewer.clientId)}::uuid`));
  }
  // An integration's page is chosen among the clients whose consent names it (the rule's only test
  // for integrations), so its pages are full and never stall on goals it may not see.
  if (viewer.kind === 'INTEGRATION') {
    q.and(`${consentAnswerSql('g.client_id', `'PARTNER_DATA_SHARING'`, `'INTEGRATION'`, `${q.param(viewer.apiKeyId)}::uuid`, `'goals'`)} IS NOT NULL`);
  }
  if (viewer.kind === 'STAFF' && viewer.role === 'CLINICIAN') q.and(`g.group_id = ANY(${q.param([...facts.facilitatedGroupIds])})`);
  if (filter.clientId) q.and(`g.client_id = ${q.param(uuidOf(filter.clientId, 'Client') ?? '00000000-0000-0000-0000-000000000000')}`);
  if (filter.groupId) q.and(`g.group_id = ${q.param(uuidOf(filter.groupId, 'TherapyGroup') ?? '00000000-0000-0000-0000-000000000000')}`);
  if (filter.lifecycleStatus?.length) q.and(`g.lifecycle_status = ANY(${q.param(filter.lifecycleStatus)})`);
  if (filter.visibility?.length) q.and(`g.visibility = ANY(${q.param(filter.visibility)})`);
  if (cursor) q.and(`(g.created_at, g.id) > (${q.param(cursor[0])}::timestamptz, ${q.param(cursor[1])}::uuid)`);
  const limit = q.param(first + 1);
  // The page is chosen on `goals` alone (its index walk stops at the limit), then joined.
  const rows = await ctx.db.query<GoalRow & { created_key: string }>(
    `${SELECT_GOALS.replace('SELECT ', 'SELECT g.created_at::text AS created_key, ')}
      WHERE g.id IN (SELECT g.id FROM goals g ${q.where} ORDER BY g.created_at, g.id LIMIT ${limit})
      ORDER BY g.created_at, g.id`,
    q.params,
  );
  // Only the returned page goes through the rule (and so the audit); the extra row tells hasNextPage.
  const goals = await ctx.loaders.of(goalLoaders).fromRows(rows.slice(0, first));
  return keysetPage(rows, first, goals.filter((g): g is Goal => g instanceof Goal), (r) => [r.created_key, r.id]);
}

/** The membership a goal is written for, and whether the viewer may write goals there. */
async function writableMembership(ctx: AuthedContext, membershipGlobalId: string) {
  const id = uuidOf(membershipGlobalId, 'Membership');
  const membership = id ? await ctx.loaders.of(membershipLoaders).visibleById.load(id) : null;
  if (!id || !membership || membership.peerView) throw await refusedWrite(ctx, 'Membership', id, notFound('Membership'));
  const viewer = ctx.viewer;
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  const own = viewer.kind === 'MEMBER' && membership.clientId === viewer.clientId;
  const clinical =
    viewer.kind === 'STAFF' && (viewer.role === 'SUPERVISOR' || (viewer.role === 'CLINICIAN' && facts.facilitatedGroupIds.has(membership.groupId)));
  if (!own && !clinical) throw await refusedWrite(ctx, 'Membership', id, forbidden('Only the member or a clinician of the group may set goals'));
  if (isEnded(membership.status)) {
    throw stateConflict(ctx, { resourceType: 'Membership', resourceId: membership.id, subjectClientId: membership.clientId }, 'This membership has ended', { status: membership.status });
  }
  return membership;
}

function checkMeasure(kind: GoalMeasureKind, target: number | null | undefined) {
  if (kind === GoalMeasureKind.BOOLEAN) return null;
  if (target === null || target === undefined) throw badInput(`${kind} goals need a target`, { field: 'target' });
  if (kind === GoalMeasureKind.SCALE && target > 10) throw badInput('SCALE targets are 0–10', { field: 'target' });
  if (kind === GoalMeasureKind.COUNT && (!Number.isInteger(target) || target < 1)) throw badInput('COUNT targets are whole numbers from 1', { field: 'target' });
  return target;
}

export async function createGoal(ctx: AuthedContext, input: CreateGoalInput): Promise<Goal> {
  const membership = await writableMembership(ctx, input.membershipId);
  const target = checkMeasure(input.measureKind, input.target);
  if (![GoalLifecycleStatus.PROPOSED, GoalLifecycleStatus.ACTIVE].includes(input.lifecycleStatus)) {
    throw badInput('A new goal is PROPOSED or ACTIVE', { field: 'lifecycleStatus' });
  }
  const due = toSqlDate(input.dueDate) ?? null;
  // A due date alone is checked against the start it gets (the clinic's today) before the insert,
  // which the table's CHECK would otherwise refuse as an internal error.
  let start = toSqlDate(input.startDate) ?? null;
  if (due && !start) [{ start }] = await ctx.db.query<{ start: string }>(`SELECT clinic_today()::text AS start`);
  if (start && due && due < start) throw badInput('dueDate is before startDate', { field: 'dueDate' });
  const actor = actorOf(ctx.viewer);
  const [row] = await ctx.db.query<{ id: string }>(
    `INSERT INTO goals (clinic_id, membership_id, client_id, group_id, title, description, measure_kind, measure_period, target,
                        start_date, due_date, lifecycle_status, visibility, created_by_type, created_by_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
             COALESCE($10::date, clinic_today()), $11, $12, $13, $14, $15)
     RETURNING id`,
    [ctx.db.clinicId, membership.id, membership.clientId, membership.groupId, input.title.trim(), input.description ?? null,
      input.measureKind, input.measurePeriod, target, start, due, input.lifecycleStatus, input.visibility, actor.actorType, actor.actorId],
  );
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: GOAL, resourceId: row.id, subjectClientId: membership.clientId });
  return (await ctx.loaders.of(goalLoaders).visibleById.load(row.id))!;
}

async function writableGoal(ctx: AuthedContext, globalId: string): Promise<Goal> {
  const goal = await getGoal(ctx, globalId);
  if (!canWriteGoal(goal.audience)) throw await refusedWrite(ctx, GOAL, goal.id, forbidden('Only the member or a clinician of the group may change this goal'));
  return goal;
}

export async function updateGoal(ctx: AuthedContext, input: UpdateGoalInput): Promise<Goal> {
  const goal = await writableGoal(ctx, input.id);
  const set: Record<string, unknown> = {};
  if (input.title != null) set.title = input.title.trim();
  if (input.description !== undefined) set.description = input.description;
  if (input.target !== undefined) set.target = checkMeasure(goal.measure.kind as GoalMeasureKind, input.target);
  if (input.dueDate !== undefined) {
    const due = toSqlDate(input.dueDate) ?? null;
    if (due && due < goal.startDate) throw badInput('dueDate is before startDate', { field: 'dueDate' });
    set.due_date = due;
  }
  if (input.visibility != null) set.visibility = input.visibility;
  if (input.lifecycleStatus != null) set.lifecycle_status = input.lifecycleStatus;
  if (input.achievementStatus != null) set.achievement_status = input.achievementStatus;
  const columns = Object.keys(set);
  if (columns.length) {
    await ctx.db.query(
      `UPDATE goals SET ${columns.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
      [goal.id, ...columns.map((c) => set[c])],
    );
    ctx.audit.record({ action: AuditAction.UPDATE, resourceType: GOAL, resourceId: goal.id, subjectClientId: goal.clientId });
  }
  const loader = ctx.loaders.of(goalLoaders).visibleById;
  loader.clear(goal.id);
  // A summary read earlier in this request was reckoned with the old target.
  ctx.loaders.of(goalLoaders).streakFacts.clear(goal.id);
  return (await loader.load(goal.id))!;
}

/** Goal statuses that take check-ins. */
const TAKES_CHECK_INS: readonly GoalLifecycleStatus[] = [GoalLifecycleStatus.ACTIVE, GoalLifecycleStatus.ON_HOLD];

/** Memberships that ended badly: their episode is closed, and its goals take no more check-ins (a COMPLETED one's may, for partnerships that go on). */
const CLOSED_EPISODES: readonly string[] = ['WITHDRAWN', 'DISCHARGED'];

/** Refuses a check-in on a goal whose membership's episode closed, or whose status takes none (CONFLICT, audited). */
function refuseUnlessTakesCheckIns(ctx: AuthedContext, goal: Goal, membershipStatus: string, lifecycleStatus: GoalLifecycleStatus): void {
  const about = { resourceType: GOAL, resourceId: goal.id, subjectClientId: goal.clientId };
  if (CLOSED_EPISODES.includes(membershipStatus)) {
    throw stateConflict(ctx, about, `The goal's membership is ${membershipStatus}: it takes no more check-ins`, { membershipStatus });
  }
  if (!TAKES_CHECK_INS.includes(lifecycleStatus)) {
    throw stateConflict(ctx, about, `Check-ins go on ACTIVE or ON_HOLD goals; this one is ${lifecycleStatus}`, { lifecycleStatus });
  }
}

/**
 * A check-in the viewer may see, with its goal's audience (what `node(id:)` answers), or null.
 * Found through its goal, so the goal's rules decide.
 */
export async function visibleCheckIn(ctx: AuthedContext, id: string): Promise<GoalCheckIn | null> {
  const [row] = await ctx.db.query<{ goal_id: string }>(`SELECT goal_id FROM goal_check_ins WHERE id = $1`, [id]);
  const goal = row ? await ctx.loaders.of(goalLoaders).visibleById.load(row.goal_id) : null;
  const checkIn = goal ? (await ctx.loaders.of(goalLoaders).checkIns.load(goal.id)).find((c) => c.id === id) : undefined;
  return goal && checkIn ? Object.assign(checkIn, { audience: goal.audience }) : null;
}

/** Records a check-in once per idempotency key: a member app retrying after a timeout counts it once. */
export function recordCheckIn(ctx: AuthedContext, input: RecordCheckInInput): Promise<GoalCheckIn> {
  return withIdempotency(ctx, 'recordCheckIn', input.idempotencyKey, input, () => insertCheckIn(ctx, input), {
    save: (c: GoalCheckIn) => ({ id: c.id }),
    load: async (saved) => (await visibleCheckIn(ctx, (saved as { id: string }).id)) ?? Promise.reject(notFound('GoalCheckIn')),
  });
}

async function insertCheckIn(ctx: AuthedContext, input: RecordCheckInInput): Promise<GoalCheckIn> {
  const goal = await writableGoal(ctx, input.goalId);
  refuseUnlessTakesCheckIns(ctx, goal, goal.ownerMembershipStatus, goal.lifecycleStatus);
  if (!valueFits(goal.measure.kind, input.value)) {
    throw badInput(`value ${input.value} does not fit a ${goal.measure.kind} goal`, {
      field: 'value',
      expected: goal.measure.kind === 'BOOLEAN' ? '0 or 1' : goal.measure.kind === 'COUNT' ? 'whole number 0–1000' : '0–10',
    });
  }
  const actor = actorOf(ctx.viewer);
  // The goal row is locked (FOR NO KEY UPDATE: inserts only take key-share locks on it), so
  // concurrent check-ins on one goal write its streak summary one after the other, each summary
  // read after the other's check-in committed; its status is checked again under the lock (a
  // concurrent updateGoal may have just completed or cancelled it), and so is its membership's,
  // share-locked first (a discharge earlier in the document, or committing meanwhile, closes the
  // episode; a document that changed the membership already holds that lock, so takes it first too).
  const rows = await ctx.db.query<CheckInRow>(
    `WITH goal AS (SELECT g.id FROM memberships m JOIN goals g ON g.membership_id = m.id
                    WHERE g.id = $2 AND g.lifecycle_status = ANY($10::text[]) AND m.status <> ALL($11::text[])
                    FOR SHARE OF m FOR NO KEY UPDATE OF g)
     INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, note, mood, recorded_at, recorded_by_type, recorded_by_id)
     SELECT $1, goal.id, $3, $4, $5, $6, COALESCE($7::timestamptz, now()), $8, $9 FROM goal
      WHERE $7::timestamptz IS NULL OR ($7::timestamptz <= now() + interval '5 minutes' AND $7::timestamptz >= now() - interval '7 days')
     RETURNING ${CHECK_IN_COLUMNS}`,
    [ctx.db.clinicId, goal.id, goal.clientId, input.value, input.note ?? null, input.mood ?? null, input.recordedAt ?? null, actor.actorType, actor.actorId, [...TAKES_CHECK_INS], [...CLOSED_EPISODES]],
  );
  if (rows.length === 0) {
    const [now] = await ctx.db.query<{ lifecycle_status: GoalLifecycleStatus; membership_status: string }>(
      `SELECT g.lifecycle_status, m.status AS membership_status FROM goals g JOIN memberships m ON m.id = g.membership_id WHERE g.id = $1`,
      [goal.id],
    );
    if (now) refuseUnlessTakesCheckIns(ctx, goal, now.membership_status, now.lifecycle_status);
    throw badInput('recordedAt must be within the last 7 days and not in the future', { field: 'recordedAt' });
  }
  const history = await refreshStreakSummary((sql, params) => ctx.db.query(sql, params), goal.id);
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: 'GoalCheckIn', resourceId: rows[0].id, subjectClientId: goal.clientId });
  // Histories loaded earlier in this request no longer hold; the new row is answered as inserted.
  ctx.loaders.of(goalLoaders).checkIns.clear(goal.id);
  ctx.loaders.of(goalLoaders).checkInPoints.clear(goal.id).prime(goal.id, history);
  ctx.loaders.of(goalLoaders).streakFacts.clear(goal.id).prime(goal.id, { history });
  ctx.loaders.of(goalLoaders).recentCheckIns.clearAll();
  return Object.assign(checkInFromRow(rows[0]), { audience: goal.audience });
}

/** The group's accountability board: peers who share GROUP goals, as this viewer may see them. */
export async function accountabilityBoard(ctx: AuthedContext, groupId: string) {
  const visible = await ctx.loaders.of(groupLoaders).visibleById.load(groupId);
  if (!visible || visible.access === 'DIRECTORY') return [];
  const goals = await ctx.loaders.of(goalLoaders).boardByGroup.load(groupId);
  const byOwner = new Map<string, { clientId: string; displayName: string; goals: Goal[] }>();
  for (const g of goals) {
    if (ctx.viewer.kind === 'MEMBER' && g.clientId === ctx.viewer.clientId) continue;
    // Named to everyone the board shows to (it needs access to the group, and so a roster scope for keys).
    const entry = byOwner.get(g.clientId) ?? { clientId: g.clientId, displayName: g.ownerDisplayName ?? '', goals: [] };
    entry.goals.push(g);
    byOwner.set(g.clientId, entry);
  }
  return [...byOwner.values()].sort(byDisplayName);
}
