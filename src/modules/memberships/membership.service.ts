import { AuditAction } from '../../audit/audit-action';
import { refusedWrite, stateConflict } from '../../audit/denied-subject';
import { attachExternalIds } from '../external-ids/external-id.service';
import { actorOf } from '../../auth/viewer';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext, RequestContext } from '../../context';
import { DomainError, badInput, conflict, forbidden, notFound } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-codes';
import { clientLoaders } from '../clients/client.loaders';
import { ConsentMethod, ConsentProvision, ConsentScopeKind, ConsentType } from '../consent/consent.enums';
import { lapseConsentsOnMembershipEnd, recordConsent, supersedeConsents } from '../consent/consent.service';
import { GroupStatus } from '../groups/group.enums';
import { canManageMemberships } from '../groups/group.policy';
import { acceptsEnrolment, cohortClosed, promotesWaitlist } from '../groups/group-status';
import { groupLoaders } from '../groups/group.loaders';
import { lockGroup } from '../groups/group.service';
import { noteOwnAgreementAccepted, viewerFactsLoader } from '../groups/viewer-facts';
import { withIdempotency } from '../idempotency/idempotency.service';
import { Membership } from './membership.entity';
import { AcceptGroupAgreementInput, ChangeMembershipStatusInput, EnrollClientInput } from './membership.inputs';
import { membershipLoaders } from './membership.loaders';
import { canTransition, isEnded, isSeated, MembershipStatus, transitionsIn } from './membership-status';

const MEMBERSHIP = 'Membership';

/** Seated (ACTIVE, ON_HOLD) and waitlisted members of the group, counted as they stand now. */
async function seatsTaken(ctx: RequestContext, groupId: string): Promise<{ seated: number; waiting: number }> {
  const [row] = await ctx.db.query<{ seated: number; waiting: number }>(
    `SELECT count(*) FILTER (WHERE status IN ('ACTIVE', 'ON_HOLD'))::int AS seated, count(*) FILTER (WHERE status = 'WAITLISTED')::int AS waiting
       FROM memberships WHERE group_id = $1`,
    [groupId],
  );
  return row;
}

async function recordEvent(
  ctx: RequestContext,
  membershipId: string,
  from: MembershipStatus | null,
  to: MembershipStatus,
  reason: string | null,
  system = false,
) {
  const actor = system || !ctx.viewer ? { actorType: 'SYSTEM', actorId: null } : actorOf(ctx.viewer);
  await ctx.db.query(
    `INSERT INTO membership_events (clinic_id, membership_id, from_status, to_status, reason, actor_type, actor_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [ctx.db.clinicId, membershipId, from, to, reason, actor.actorType, actor.actorId],
  );
}

function clearMembershipCaches(ctx: RequestContext, groupId: string) {
  ctx.loaders.of(groupLoaders).counts.clear(groupId);
  const m = ctx.loaders.of(membershipLoaders);
  m.visibleById.clearAll();
  m.membersOfGroup.clearAll();
  m.byClient.clearAll();
  m.waitlistPosition.clearAll();
  m.events.clearAll();
}

async function loadVisibleMembership(ctx: RequestContext, id: string): Promise<Membership> {
  const membership = await ctx.loaders.of(membershipLoaders).visibleById.load(id);
  if (!membership) throw notFound(MEMBERSHIP);
  return membership;
}

const membershipStore = (ctx: AuthedContext) => ({
  save: (m: Membership) => ({ id: m.id }),
  load: (saved: unknown) => loadVisibleMembership(ctx, (saved as { id: string }).id),
});

export function enrollClient(ctx: AuthedContext, input: EnrollClientInput): Promise<Membership> {
  return withIdempotency(ctx, 'enrollClient', input.idempotencyKey, input, () => enrol(ctx, input), membershipStore(ctx));
}

export function changeMembershipStatus(ctx: AuthedContext, input: ChangeMembershipStatusInput): Promise<Membership> {
  return withIdempotency(ctx, 'changeMembershipStatus', input.idempotencyKey, input, () => changeStatus(ctx, input), membershipStore(ctx));
}

async function enrol(ctx: AuthedContext, input: EnrollClientInput): Promise<Membership> {
  const groupId = uuidOf(input.groupId, 'TherapyGroup');
  const clientId = uuidOf(input.clientId, 'Client');
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  // Not-yours and missing look the same.
  const visibleGroup = groupId ? await ctx.loaders.of(groupLoaders).visibleById.load(groupId) : null;
  if (!groupId || !visibleGroup) throw await refusedWrite(ctx, 'TherapyGroup', groupId, notFound('Group'));
  if (!canManageMemberships(ctx.viewer, groupId, facts)) throw await refusedWrite(ctx, 'Client', clientId, forbidden('You may not change this group\'s roster'));
  const client = clientId ? await ctx.loaders.of(clientLoaders).visibleById.load(clientId) : null;
  if (!clientId || !client) throw await refusedWrite(ctx, 'Client', clientId, notFound('Client'));
  const initial = input.initialStatus ?? MembershipStatus.ACTIVE;
  if (![MembershipStatus.REFERRED, MembershipStatus.SCREENING, MembershipStatus.ACTIVE, MembershipStatus.WAITLISTED].includes(initial)) {
    throw badInput('initialStatus must be REFERRED, SCREENING, WAITLISTED or ACTIVE', { field: 'initialStatus' });
  }

  const group = await lockGroup(ctx, groupId);
  if (!acceptsEnrolment(group.status)) throw conflict(`A ${group.status} group takes no new members`, { groupStatus: group.status });
  if (cohortClosed(group)) {
    throw conflict('This CLOSED group has started and takes no new members', { reason: 'GROUP_CLOSED' });
  }
  const [open] = await ctx.db.query(
    `SELECT 1 FROM memberships WHERE group_id = $1 AND client_id = $2 AND status NOT IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED')`,
    [groupId, clientId],
  );
  if (open) throw stateConflict(ctx, { resourceType: MEMBERSHIP, subjectClientId: clientId }, 'The client already has an open membership in this group', { reason: 'ALREADY_ENROLLED' });

  let status = initial;
  // A newcomer takes a seat only beyond everyone already waiting for one: the waitlist goes first.
  let reason: string | null = null;
  if (status === MembershipStatus.ACTIVE) {
    const { seated, waiting } = await seatsTaken(ctx, groupId);
    if (seated >= group.capacity) reason = 'Group full: waitlisted';
    else if (seated + waiting >= group.capacity) reason = 'Others are waiting for the free seats: waitlisted';
    if (reason) status = MembershipStatus.WAITLISTED;
  }
  // Why it was waitlisted instead is kept beside the caller's reason, on the membership and in its history.
  const statusReason = input.reason && reason ? `${input.reason} (${reason})` : (input.reason ?? reason);
  const [row] = await ctx.db.query<{ id: string }>(
    `INSERT INTO memberships (clinic_id, group_id, client_id, status, status_reason, period_start, waitlisted_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $4 = 'ACTIVE' THEN clinic_today() END, CASE WHEN $4 = 'WAITLISTED' THEN clock_timestamp() END)
     RETURNING id`,
    [ctx.db.clinicId, groupId, clientId, status, statusReason],
  );
  await recordEvent(ctx, row.id, null, status, statusReason);
  await attachExternalIds(ctx, MEMBERSHIP, row.id, input.externalIds);
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: MEMBERSHIP, resourceId: row.id, subjectClientId: clientId });
  clearMembershipCaches(ctx, groupId);
  return loadVisibleMembership(ctx, row.id);
}

async function changeStatus(ctx: AuthedContext, input: ChangeMembershipStatusInput): Promise<Membership> {
  const id = uuidOf(input.membershipId, MEMBERSHIP);
  const current = id ? await ctx.loaders.of(membershipLoaders).visibleById.load(id) : null;
  if (!id || !current || current.peerView) throw await refusedWrite(ctx, MEMBERSHIP, id, notFound(MEMBERSHIP));
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  if (!canManageMemberships(ctx.viewer, current.groupId, facts)) throw await refusedWrite(ctx, MEMBERSHIP, id, forbidden('You may not change this group\'s roster'));

  const group = await lockGroup(ctx, current.groupId);
  if (group.status === GroupStatus.ARCHIVED) throw conflict('An ARCHIVED group is read-only history', { groupStatus: group.status });
  // Re-read under the group lock: a concurrent change may have moved it.
  const [fresh] = await ctx.db.query<{ status: MembershipStatus }>(`SELECT status FROM memberships WHERE id = $1`, [id]);
  const from = fresh.status;
  const to = input.status;
  if (!canTransition(from, to)) {
    throw stateConflict(ctx, { resourceType: MEMBERSHIP, resourceId: id, subjectClientId: current.clientId }, `A ${from} membership cannot become ${to}`, {
      from, to, allowedTransitions: transitionsIn(group.status, from),
    });
  }
  // A CONCLUDED group's roster is final: its open memberships only close (a referral screened or a
  // waitlist grown there waits for meetings that will not come).
  if (!transitionsIn(group.status, from).includes(to)) {
    throw conflict(`A CONCLUDED group's memberships only close: COMPLETED, WITHDRAWN or DISCHARGED, not ${to}`, { groupStatus: group.status, allowedTransitions: transitionsIn(group.status, from) });
  }
  // A seat is taken only in a group that still takes members, as enrolClient says.
  if (isSeated(to) && !isSeated(from)) {
    if (!acceptsEnrolment(group.status)) throw conflict(`A ${group.status} group seats no one`, { groupStatus: group.status });
    // A CLOSED group's cohort is fixed once it has started, as enrolClient refuses newcomers: its
    // waitlist and referrals wait for the next cohort (a return from a hold is not a new seat).
    if (cohortClosed(group)) {
      throw conflict('This CLOSED group has started: its cohort takes no one new', { reason: 'GROUP_CLOSED' });
    }
    const { seated, waiting } = await seatsTaken(ctx, group.id);
    if (seated >= group.capacity) {
      throw new DomainError(ErrorCode.CAPACITY_REACHED, `The group is full (${group.capacity} seats)`, { capacity: group.capacity });
    }
    // In a group that fills its seats from the waitlist, the waitlist goes first, as for a newcomer
    // and a sync row: anyone else (a screened member) is seated only beyond those waiting. Staff
    // seating a waitlisted member choose among them.
    if (promotesWaitlist(group) && from !== MembershipStatus.WAITLISTED && seated + waiting >= group.capacity) {
      throw new DomainError(ErrorCode.CAPACITY_REACHED, `Others are waiting for the free seats (${waiting} waitlisted)`, { capacity: group.capacity, waiting });
    }
  }
  await ctx.db.query(
    `UPDATE memberships SET status = $2, status_reason = $3, updated_at = now(),
            period_start = CASE WHEN $2 = 'ACTIVE' THEN COALESCE(period_start, clinic_today()) ELSE period_start END,
            period_end = CASE WHEN $2 IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED') THEN clinic_today() ELSE period_end END,
            waitlisted_at = CASE WHEN $2 = 'WAITLISTED' THEN clock_timestamp() ELSE waitlisted_at END
      WHERE id = $1`,
    [id, to, input.reason.trim()],
  );
  await recordEvent(ctx, id, from, to, input.reason.trim());
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: MEMBERSHIP, resourceId: id, subjectClientId: current.clientId });
  clearMembershipCaches(ctx, group.id);
  if (isSeated(from) && !isSeated(to)) await promoteFromWaitlist(ctx, group.id);
  if (isEnded(to)) await onMembershipsEnded(ctx, [id]);
  return loadVisibleMembership(ctx, id);
}

/**
 * Modules that react to memberships ending (partnerships, held contact requests) register here;
 * each hook takes a batch. Consents given until the membership ends lapse after them.
 */
export const membershipEndedHooks: ((ctx: RequestContext, membershipIds: string[]) => Promise<void>)[] = [];

export async function onMembershipsEnded(ctx: RequestContext, membershipIds: string[]) {
  if (!membershipIds.length) return;
  for (const hook of membershipEndedHooks) await hook(ctx, membershipIds);
  await lapseConsentsOnMembershipEnd(ctx, membershipIds);
}

/**
 * Fills free seats of an OPEN or ROLLING group from its waitlist, earliest first. The caller
 * holds the group lock. CLOSED groups keep their waitlist for the next cohort.
 */
export async function promoteFromWaitlist(ctx: RequestContext, groupId: string): Promise<number> {
  const promoted = await ctx.db.query<{ id: string; client_id: string }>(
    `WITH g AS (
       SELECT capacity - (SELECT count(*) FROM memberships WHERE group_id = $1 AND status IN ('ACTIVE', 'ON_HOLD')) AS free
         FROM therapy_groups WHERE id = $1 AND format IN ('OPEN', 'ROLLING') AND status IN ('FORMING', 'ACTIVE', 'PAUSED')
     ), next AS (
       SELECT m.id FROM memberships m, g
        WHERE m.group_id = $1 AND m.status = 'WAITLISTED'
        ORDER BY m.waitlisted_at, m.id
        LIMIT GREATEST((SELECT free FROM g), 0)
     )
     UPDATE memberships m SET status = 'ACTIVE', status_reason = 'Promoted from waitlist', updated_at = now(),
            period_start = COALESCE(m.period_start, clinic_today())
       FROM next WHERE m.id = next.id RETURNING m.id, m.client_id`,
    [groupId],
  );
  // A change to each promoted member's membership, by this request: audited about them.
  ctx.audit.recordMany(promoted.map((p) => ({ action: AuditAction.UPDATE, resourceType: 'Membership', resourceId: p.id, subjectClientId: p.client_id })));
  if (promoted.length) {
    await ctx.db.query(
      `INSERT INTO membership_events (clinic_id, membership_id, from_status, to_status, reason, actor_type)
       SELECT $1, unnest($2::uuid[]), 'WAITLISTED', 'ACTIVE', 'Promoted from waitlist: a seat freed', 'SYSTEM'`,
      [ctx.db.clinicId, promoted.map((p) => p.id)],
    );
    clearMembershipCaches(ctx, groupId);
  }
  return promoted.length;
}

export async function acceptGroupAgreement(ctx: AuthedContext, input: AcceptGroupAgreementInput): Promise<Membership> {
  if (ctx.viewer.kind !== 'MEMBER') throw forbidden('Only the member can accept their group agreement');
  const groupId = uuidOf(input.groupId, 'TherapyGroup');
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  const own = groupId ? facts.ownMemberships.get(groupId) : undefined;
  if (!groupId || !own) throw notFound('Group');
  if (isEnded(own.status)) throw conflict('This membership has ended', { status: own.status });
  const group = await lockGroup(ctx, groupId);
  if (group.status === GroupStatus.ARCHIVED) throw conflict('An ARCHIVED group is read-only history', { groupStatus: group.status });
  if (input.version !== undefined && input.version !== null && input.version !== group.agreementVersion) {
    throw conflict(`The agreement changed: the current version is ${group.agreementVersion}`, { currentVersion: group.agreementVersion });
  }
  await ctx.db.query(
    `UPDATE memberships SET agreement_version_accepted = $2, agreement_accepted_at = now(), updated_at = now() WHERE id = $1`,
    [own.membershipId, group.agreementVersion],
  );
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: MEMBERSHIP, resourceId: own.membershipId, subjectClientId: ctx.viewer.clientId });
  // One agreement stands for the group: an earlier acceptance (of this version or an older one) is
  // superseded, so revoking the one now in force withdraws the agreement, not just its latest copy.
  await supersedeConsents(
    ctx,
    ctx.viewer.clientId,
    { type: ConsentType.GROUP_AGREEMENT, provision: ConsentProvision.PERMIT, scopeKind: ConsentScopeKind.GROUP, groupId },
    `Superseded: agreement version ${group.agreementVersion} accepted`,
  );
  await recordConsent(ctx, {
    clientId: ctx.viewer.clientId,
    type: ConsentType.GROUP_AGREEMENT,
    scopeKind: ConsentScopeKind.GROUP,
    groupId,
    provision: ConsentProvision.PERMIT,
    purpose: 'Group agreement accepted in the app',
    method: ConsentMethod.ELECTRONIC,
    documentVersion: String(group.agreementVersion),
  });
  // What the viewer may see changed: later fields of the document judge them afresh.
  noteOwnAgreementAccepted(ctx, [own.membershipId], group.agreementVersion);
  ctx.loaders.forgetAll();
  return loadVisibleMembership(ctx, own.membershipId);
}
