import DataLoader from 'dataloader';
import { AuditAction } from '../../audit/audit-action';
import type { AuditEntry } from '../../audit/audit-log';
import type { Viewer } from '../../auth/viewer';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext, RequestContext } from '../../context';
import { badInput, conflict, forbidden, notFound } from '../../errors/domain-error';
import { isUniqueViolation } from '../../db/pg-errors';
import { displayNameOf } from '../clients/client.entity';
import { consentCheckLoader } from '../consent/consent-check';
import { ConsentType } from '../consent/consent.enums';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { membershipLoaders } from '../memberships/membership.loaders';
import { membershipEndedHooks } from '../memberships/membership.service';
import { isSeated, MembershipStatus } from '../memberships/membership-status';
import { PartnershipStatus } from './goal.enums';
import { EndPartnershipInput, ProposePartnershipInput, RespondToPartnershipInput, SetPartnershipContinuationInput } from './goal.inputs';
import { AccountabilityPartnership } from './goal.types';
import { awaitingAgreementSql, blockedProposalSql, HELD_FOR_GOOD_SQL, heldOnceEndedSql, PARTNERSHIP_SIDES, heldFromPartnerSql, hiddenProposalSql, partnershipsOfClients } from './partnership-sql';
import { blockStandsSql } from '../after-group/block-sql';

const PARTNERSHIP = 'AccountabilityPartnership';

const SELECT_PARTNERSHIPS = `SELECT p.*, pc.given_name AS p_given, pc.family_name AS p_family, pc.preferred_name AS p_preferred, pm.client_id AS p_client,
        ac.given_name AS a_given, ac.family_name AS a_family, ac.preferred_name AS a_preferred, am.client_id AS a_client,
        ${heldFromPartnerSql} AS held_from_partner
   FROM ${PARTNERSHIP_SIDES}`;

type PartnershipRow = {
  id: string; group_id: string; proposer_membership_id: string; partner_membership_id: string; status: PartnershipStatus;
  proposer_continues_after_group: boolean; partner_continues_after_group: boolean; message: string | null; created_at: Date;
  responded_at: Date | null; ended_at: Date | null; end_reason: string | null;
  p_given: string; p_family: string; p_preferred: string | null; p_client: string;
  a_given: string; a_family: string; a_preferred: string | null; a_client: string; held_from_partner: boolean;
};

const fromRow = (r: PartnershipRow) =>
  Object.assign(new AccountabilityPartnership(), {
    id: r.id,
    groupId: r.group_id,
    proposerMembershipId: r.proposer_membership_id,
    partnerMembershipId: r.partner_membership_id,
    status: r.status,
    message: r.message,
    proposerContinuesAfterGroup: r.proposer_continues_after_group,
    partnerContinuesAfterGroup: r.partner_continues_after_group,
    createdAt: r.created_at,
    respondedAt: r.responded_at,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    proposerDisplayName: displayNameOf({ givenName: r.p_given, familyName: r.p_family, preferredName: r.p_preferred }),
    partnerDisplayName: displayNameOf({ givenName: r.a_given, familyName: r.a_family, preferredName: r.a_preferred }),
    proposerClientId: r.p_client,
    partnerClientId: r.a_client,
    heldFromPartner: r.held_from_partner,
  });

type Partnership = ReturnType<typeof fromRow>;

/**
 * The members a record about a partnership is about: both, except that a proposal held from its
 * partner by their block (`heldFromPartner`) is about its proposer alone — the blocker's access
 * report must not tell them one was made, as for a contact request held from its recipient.
 */
export const partnershipSubjects = (p: Pick<Partnership, 'proposerClientId' | 'partnerClientId' | 'heldFromPartner'>) =>
  p.heldFromPartner ? [p.proposerClientId] : [p.proposerClientId, p.partnerClientId];

/**
 * A partnership shown releases its members' names, its message and its end reason: a READ of it
 * about each member other than the viewer (a member reading their own names the partner), and a
 * held proposal read by its proposer is about them alone (`partnershipSubjects`).
 */
export function partnershipReads(viewer: Viewer | undefined, partnerships: readonly Pick<Partnership, 'id' | 'proposerClientId' | 'partnerClientId' | 'heldFromPartner'>[]): AuditEntry[] {
  const self = viewer?.kind === 'MEMBER' ? viewer.clientId : undefined;
  return partnerships.flatMap((p) => {
    const subjects = partnershipSubjects(p);
    return (p.heldFromPartner ? subjects : subjects.filter((clientId) => clientId !== self)).map((clientId) => ({
      action: AuditAction.READ, resourceType: PARTNERSHIP, resourceId: p.id, subjectClientId: clientId,
    }));
  });
}

/** Records a change to a partnership about the members it concerns (`partnershipSubjects`). */
function partnershipUpdated(ctx: RequestContext, p: Pick<Partnership, 'id' | 'proposerClientId' | 'partnerClientId' | 'heldFromPartner'>) {
  for (const clientId of partnershipSubjects(p)) ctx.audit.record({ action: AuditAction.UPDATE, resourceType: PARTNERSHIP, resourceId: p.id, subjectClientId: clientId });
}

/** Partnerships are visible to their two members and to staff with roster access to the group. */
export const partnershipLoaders = (ctx: RequestContext) => ({
  visibleById: new DataLoader<string, Partnership | null>(async (ids) => {
    const member = ctx.viewer?.kind === 'MEMBER' ? ctx.viewer.clientId : null;
    const rows = await ctx.db.query<PartnershipRow>(`${SELECT_PARTNERSHIPS} WHERE p.id = ANY($1) AND NOT ${hiddenProposalSql('$2::uuid')}`, [[...ids], member]);
    const facts = await ctx.loaders.of(viewerFactsLoader).get();
    const viewer = ctx.viewer;
    const visible = rows.map(fromRow).filter((p) => {
      if (!viewer) return false;
      if (viewer.kind === 'MEMBER') return p.proposerClientId === viewer.clientId || p.partnerClientId === viewer.clientId;
      if (viewer.kind === 'STAFF') return viewer.role !== 'CLINICIAN' || facts.facilitatedGroupIds.has(p.groupId);
      return false;
    });
    ctx.audit.recordMany(partnershipReads(viewer, visible));
    const byId = new Map(visible.map((p) => [p.id, p]));
    return ids.map((id) => byId.get(id) ?? null);
  }),
  /** The viewing member's partnerships (any status), newest first. */
  mine: new DataLoader<string, Partnership[]>(async (clientIds) => {
    const rows = await ctx.db.query<PartnershipRow>(
      `${SELECT_PARTNERSHIPS} WHERE p.id IN (SELECT id FROM (${partnershipsOfClients('m.client_id = ANY($1)')}) mine) AND NOT ${hiddenProposalSql('$2::uuid')}
        ORDER BY p.created_at DESC, p.id`,
      [[...clientIds], ctx.viewer?.kind === 'MEMBER' ? ctx.viewer.clientId : null],
    );
    const all = rows.map(fromRow);
    ctx.audit.recordMany(partnershipReads(ctx.viewer, all));
    return clientIds.map((id) => all.filter((p) => p.proposerClientId === id || p.partnerClientId === id));
  }),
});

export async function proposePartnership(ctx: AuthedContext, input: ProposePartnershipInput): Promise<Partnership> {
  const viewer = ctx.viewer;
  if (viewer.kind !== 'MEMBER') throw forbidden('Partnerships are between members');
  const partnerId = uuidOf(input.partnerMembershipId, 'Membership');
  // The peer's membership must be visible to this member (same group, agreement accepted, ACTIVE).
  const partner = partnerId ? await ctx.loaders.of(membershipLoaders).visibleById.load(partnerId) : null;
  if (!partnerId || !partner) throw notFound('Membership');
  if (partner.clientId === viewer.clientId) throw badInput('You cannot partner with yourself', { field: 'partnerMembershipId' });
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  const own = facts.ownMemberships.get(partner.groupId);
  if (!own) throw conflict('Partnerships are between ACTIVE members of the same group');
  // Both seated, asked once, under the lock that keeps them so until the partnership is written.
  await lockSeatedPair(ctx, partner.groupId, own.membershipId, partnerId);
  // A "no" holds for a while: asked again and again, a member still in the group has no block to
  // reach for (blocks follow a connection, which the group's contact policy may not allow yet).
  // The proposer sees their declined proposal already, so the refusal tells them nothing new.
  const [cooling] = await ctx.db.query<{ until: Date }>(
    `SELECT max(responded_at) + make_interval(days => $3) AS until FROM accountability_partnerships
      WHERE proposer_membership_id = $1 AND partner_membership_id = $2 AND status = 'DECLINED' AND responded_at > now() - make_interval(days => $3)
     HAVING max(responded_at) IS NOT NULL`,
    [own.membershipId, partnerId, PROPOSAL_COOLDOWN_DAYS],
  );
  if (cooling) {
    throw conflict(`They declined your proposal: you may ask them again from ${cooling.until.toISOString()}`, { reason: 'RECENTLY_DECLINED', retryAfter: cooling.until.toISOString() });
  }
  // A proposal to this member from the one they ask, hidden from them, would stand in the way, and
  // "already proposed" would tell them of it. Hidden by their block: declined now, as they would
  // have declined it. Awaiting its proposer's group agreement: ended now, as they could have ended
  // it before it was held ("Ended by a member"; not "replaced", which would tell its proposer, who
  // does not see the group's peers, of this proposal), and held from the viewer for good.
  const declined = await ctx.db.query<{ id: string; client_id: string; still_hidden: boolean }>(
    `UPDATE accountability_partnerships p
        SET status = CASE WHEN h.by_block THEN 'DECLINED' ELSE 'ENDED' END,
            responded_at = CASE WHEN h.by_block THEN now() END,
            ended_at = CASE WHEN h.by_block THEN NULL ELSE now() END,
            end_reason = CASE WHEN h.by_block THEN NULL ELSE 'Ended by a member' END,
            held_by_block = p.held_by_block OR h.awaiting
       FROM (SELECT p.id, pm.client_id, ${blockedProposalSql('$3::uuid', '$3::uuid')} AS by_block, ${awaitingAgreementSql('$3::uuid')} AS awaiting
               FROM ${PARTNERSHIP_SIDES}
              WHERE p.status = 'PROPOSED' AND p.proposer_membership_id = $2 AND p.partner_membership_id = $1) h
      WHERE p.id = h.id AND p.status = 'PROPOSED' AND (h.by_block OR h.awaiting)
      RETURNING p.id, h.client_id, ${HELD_FOR_GOOD_SQL} AS still_hidden`,
    [own.membershipId, partnerId, viewer.clientId],
  );
  // Recorded as the decline or ending it now is, about its proposer, and about the viewer too
  // when, made before the block, it shows to them once declined.
  for (const d of declined) {
    for (const clientId of d.still_hidden ? [d.client_id] : [d.client_id, viewer.clientId]) {
      ctx.audit.record({ action: AuditAction.UPDATE, resourceType: PARTNERSHIP, resourceId: d.id, subjectClientId: clientId });
    }
  }
  try {
    const [row] = await ctx.db.query<{ id: string }>(
      // Made while the partner blocks the proposer: held from the partner for good (HELD_FOR_GOOD_SQL).
      `INSERT INTO accountability_partnerships (clinic_id, group_id, proposer_membership_id, partner_membership_id, status, message,
                                                proposer_continues_after_group, held_by_block)
       VALUES ($1, $2, $3, $4, 'PROPOSED', $5, $6, ${blockStandsSql('$7::uuid', '$8::uuid')}) RETURNING id`,
      [ctx.db.clinicId, partner.groupId, own.membershipId, partnerId, input.message ?? null, input.continueAfterGroup, partner.clientId, viewer.clientId],
    );
    ctx.audit.record({ action: AuditAction.CREATE, resourceType: PARTNERSHIP, resourceId: row.id, subjectClientId: viewer.clientId });
    return (await ctx.loaders.of(partnershipLoaders).visibleById.load(row.id))!;
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('A partnership between you two is already proposed or active', { reason: 'PARTNERSHIP_EXISTS' });
    throw error;
  }
}

/**
 * The acting member's membership still ACTIVE and the other's still seated (ACTIVE or ON_HOLD),
 * share-locked until the request commits: a status change ending either waits for this
 * partnership to commit, and then its hook ends it, as it ends every open partnership of the
 * membership; one that committed first is seen here (CONFLICT). The other member may be on hold:
 * refusing then would tell a peer of the hold, which is not theirs to learn (their goals stay
 * withheld from the partner until they return).
 *
 * The group row is key-share locked first, as a status change locks the group before its
 * memberships: the partnership's insert checks its group key, and taken after the memberships'
 * locks, that check waited on a status change that waited on them (a deadlock, not a wait).
 */
async function lockSeatedPair(ctx: AuthedContext, groupId: string, ownMembershipId: string, otherMembershipId: string) {
  const status = await lockGroupAndPair(ctx, groupId, [ownMembershipId, otherMembershipId]);
  const other = status.get(otherMembershipId);
  if (status.get(ownMembershipId) !== MembershipStatus.ACTIVE || !other || !isSeated(other)) {
    throw conflict('Partnerships are between ACTIVE members of the same group', { reason: 'MEMBERSHIP_NOT_ACTIVE' });
  }
}

/**
 * The group row key-share locked, then the pair's memberships share-locked (in id order), the
 * order a status change takes them in; answers each membership's status as locked.
 */
async function lockGroupAndPair(ctx: AuthedContext, groupId: string, membershipIds: readonly string[]): Promise<Map<string, MembershipStatus>> {
  await ctx.db.query(`SELECT 1 FROM therapy_groups WHERE id = $1 FOR KEY SHARE`, [groupId]);
  const rows = await ctx.db.query<{ id: string; status: MembershipStatus }>(`SELECT id, status FROM memberships WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE`, [[...membershipIds]]);
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** How long a declined proposal keeps its proposer from asking the same member again. */
export const PROPOSAL_COOLDOWN_DAYS = 30;

async function ownPartnership(ctx: AuthedContext, globalId: string): Promise<Partnership> {
  const id = uuidOf(globalId, PARTNERSHIP);
  const p = id ? await ctx.loaders.of(partnershipLoaders).visibleById.load(id) : null;
  if (!id || !p) throw notFound(PARTNERSHIP);
  return p;
}

export async function respondToPartnership(ctx: AuthedContext, input: RespondToPartnershipInput): Promise<Partnership> {
  const viewer = ctx.viewer;
  const p = await ownPartnership(ctx, input.partnershipId);
  if (viewer.kind !== 'MEMBER' || p.partnerClientId !== viewer.clientId) throw forbidden('Only the member asked can answer');
  if (input.accept) await lockSeatedPair(ctx, p.groupId, p.partnerMembershipId, p.proposerMembershipId);
  // Judged again as it is written: a proposal held from the viewer meanwhile (its proposer's
  // consent revoked, a block) is not theirs to answer, as if it did not exist.
  const updated = await ctx.db.query(
    `UPDATE accountability_partnerships p SET status = $2, responded_at = now(), partner_continues_after_group = $3
       FROM memberships pm, memberships am
      WHERE p.id = $1 AND p.status = 'PROPOSED' AND pm.id = p.proposer_membership_id AND am.id = p.partner_membership_id
        AND NOT ${hiddenProposalSql('$4::uuid')} RETURNING p.id`,
    [p.id, input.accept ? 'ACTIVE' : 'DECLINED', input.continueAfterGroup, viewer.clientId],
  );
  if (!updated.length) {
    const [now] = await ctx.db.query<{ status: PartnershipStatus; hidden: boolean }>(
      `SELECT p.status, ${hiddenProposalSql('$2::uuid')} AS hidden FROM ${PARTNERSHIP_SIDES} WHERE p.id = $1`,
      [p.id, viewer.clientId],
    );
    // Still PROPOSED: the UPDATE found it held (a hold lifted since does not make this answer a conflict).
    if (now.hidden || now.status === PartnershipStatus.PROPOSED) throw notFound(PARTNERSHIP);
    throw conflict(`This partnership is ${now.status}, not PROPOSED`, { status: now.status });
  }
  // The answer concerns its proposer too: each one's access report shows it.
  partnershipUpdated(ctx, p);
  const loader = ctx.loaders.of(partnershipLoaders).visibleById;
  loader.clear(p.id);
  return (await loader.load(p.id))!;
}

/**
 * Changes the viewer's own choice to continue an ACTIVE partnership after the group: the pair may
 * decide late in the group, as the choice is judged only when a membership ends. Taken under the
 * group's and both memberships' locks, the order a status change takes them in, so an ending in
 * flight judges either the old choice or, after it, the new one. Recorded about both members.
 */
export async function setPartnershipContinuation(ctx: AuthedContext, input: SetPartnershipContinuationInput): Promise<Partnership> {
  const viewer = ctx.viewer;
  const p = await ownPartnership(ctx, input.partnershipId);
  if (viewer.kind !== 'MEMBER' || (p.partnerClientId !== viewer.clientId && p.proposerClientId !== viewer.clientId)) throw forbidden('Only its two members choose');
  await lockGroupAndPair(ctx, p.groupId, [p.proposerMembershipId, p.partnerMembershipId]);
  const mine = p.proposerClientId === viewer.clientId ? 'proposer_continues_after_group' : 'partner_continues_after_group';
  const updated = await ctx.db.query(`UPDATE accountability_partnerships SET ${mine} = $2 WHERE id = $1 AND status = 'ACTIVE' RETURNING id`, [p.id, input.continueAfterGroup]);
  if (!updated.length) throw conflict('Only an ACTIVE partnership is continued after the group', { reason: 'PARTNERSHIP_NOT_ACTIVE', status: p.status });
  ctx.loaders.of(partnershipLoaders).visibleById.clear(p.id);
  const changed = (await ctx.loaders.of(partnershipLoaders).visibleById.load(p.id))!;
  partnershipUpdated(ctx, changed);
  return changed;
}

export async function endPartnership(ctx: AuthedContext, input: EndPartnershipInput): Promise<Partnership> {
  const viewer = ctx.viewer;
  const p = await ownPartnership(ctx, input.partnershipId);
  const party = viewer.kind === 'MEMBER' && (p.partnerClientId === viewer.clientId || p.proposerClientId === viewer.clientId);
  if (!party && viewer.kind !== 'STAFF') throw forbidden();
  // A proposal ended while it awaited its partner's agreement stays held from them for good.
  const updated = await ctx.db.query(
    `UPDATE accountability_partnerships p SET status = 'ENDED', ended_at = now(), end_reason = $2,
            held_by_block = ${heldOnceEndedSql()}
       FROM memberships am, memberships pm
      WHERE p.id = $1 AND am.id = p.partner_membership_id AND pm.id = p.proposer_membership_id AND p.status IN ('PROPOSED', 'ACTIVE') RETURNING p.id`,
    [p.id, input.reason ?? (party ? 'Ended by a member' : 'Ended by staff')],
  );
  if (!updated.length) throw conflict(`This partnership is already ${p.status}`, { status: p.status });
  // What the two may see of each other changed (partner goals, encouragement): later fields of
  // the document judge it afresh, not from partner sets this request read before.
  ctx.loaders.forgetAll();
  const ended = (await ctx.loaders.of(partnershipLoaders).visibleById.load(p.id))!;
  // About both members (a proposal still held once ended: its proposer alone), as it stands now:
  // each one's access report shows who ended what they can see.
  partnershipUpdated(ctx, ended);
  return ended;
}

/**
 * A member who blocks another ends every partnership between them as they could end it themself:
 * an ACTIVE one (either proposed it), and a proposal of their own still waiting. The blocked
 * member sees an ending like any (ENDED, "Ended by a member"), and no longer sees the blocker's
 * partner-shared goals. A proposal from the blocked member is left as it is: already held from
 * the blocker (`blockedProposalSql`), it shows its proposer pending, as an unanswered one does.
 * Recorded about both, as an ending is.
 */
export async function endPartnershipsOnBlock(ctx: RequestContext, blockerClientId: string, blockedClientId: string): Promise<void> {
  // Read and locked before the ending; whom each ending concerns is judged as it will stand, ended.
  const ending = await ctx.db.query<{ id: string; p_client: string; a_client: string; held: boolean }>(
    `SELECT p.id, pm.client_id AS p_client, am.client_id AS a_client, ${heldOnceEndedSql()} AS held
       FROM accountability_partnerships p JOIN memberships pm ON pm.id = p.proposer_membership_id JOIN memberships am ON am.id = p.partner_membership_id
      WHERE (p.status = 'ACTIVE' AND ((pm.client_id = $1 AND am.client_id = $2) OR (pm.client_id = $2 AND am.client_id = $1)))
         OR (p.status = 'PROPOSED' AND pm.client_id = $1 AND am.client_id = $2)
      FOR NO KEY UPDATE OF p`,
    [blockerClientId, blockedClientId],
  );
  await writeEndings(ctx, ending, 'Ended by a member');
}

/**
 * Ends open partnerships read (and judged) by the caller, each held from its partner for good as
 * `held` says (`heldOnceEndedSql`), and records each about the members it concerns, as it stands
 * ended (a held proposal: its proposer alone).
 */
async function writeEndings(ctx: RequestContext, ending: { id: string; p_client: string; a_client: string; held: boolean }[], reason: string) {
  if (!ending.length) return;
  await ctx.db.query(
    `UPDATE accountability_partnerships p SET status = 'ENDED', ended_at = now(), end_reason = $3, held_by_block = p.held_by_block OR x.held
       FROM unnest($1::uuid[], $2::boolean[]) AS x(id, held) WHERE p.id = x.id AND p.status IN ('PROPOSED', 'ACTIVE')`,
    [ending.map((e) => e.id), ending.map((e) => e.held), reason],
  );
  for (const e of ending) partnershipUpdated(ctx, { id: e.id, proposerClientId: e.p_client, partnerClientId: e.a_client, heldFromPartner: e.held });
  // As endPartnership: partner sets read earlier in the request no longer hold.
  ctx.loaders.forgetAll();
}

/**
 * When a membership ends, its open partnerships end too, unless it ended COMPLETED and both
 * partners chose to continue and both hold ALUMNI_DIRECTORY consent for the group.
 */
async function endPartnershipsOfMemberships(ctx: RequestContext, membershipIds: string[]) {
  const rows = await ctx.db.query<{ id: string; group_id: string; status: string; both_continue: boolean; p_client: string; a_client: string; p_status: string; a_status: string; held: boolean }>(
    `SELECT p.id, p.group_id, p.status, (p.proposer_continues_after_group AND p.partner_continues_after_group) AS both_continue,
            pm.client_id AS p_client, am.client_id AS a_client, pm.status AS p_status, am.status AS a_status,
            -- Held once ended, judged as both stood before these endings.
            ${heldOnceEndedSql('$1::uuid[]')} AS held
       FROM accountability_partnerships p
       JOIN memberships pm ON pm.id = p.proposer_membership_id JOIN memberships am ON am.id = p.partner_membership_id
      WHERE (p.proposer_membership_id = ANY($1::uuid[]) OR p.partner_membership_id = ANY($1::uuid[])) AND p.status IN ('PROPOSED', 'ACTIVE')`,
    [membershipIds],
  );
  if (!rows.length) return;
  const questions = rows.flatMap((r) =>
    [r.p_client, r.a_client].map((clientId) => ({ clientId, type: ConsentType.ALUMNI_DIRECTORY, scope: { kind: 'GROUP' as const, groupId: r.group_id } })),
  );
  const answers = await ctx.loaders.of(consentCheckLoader).loadMany(questions);
  const toEnd = rows.filter((r, i) => {
    const bothAlumni = typeof answers[2 * i] === 'string' && typeof answers[2 * i + 1] === 'string';
    const noneLeftBadly = ![r.p_status, r.a_status].some((s) => s === 'WITHDRAWN' || s === 'DISCHARGED');
    return !(r.status === 'ACTIVE' && r.both_continue && bothAlumni && noneLeftBadly);
  });
  // An ending concerns both members, as one by either of them does (a held proposal: its proposer alone).
  await writeEndings(ctx, toEnd, 'A membership ended');
}

// Registered at import: the memberships module must not import goals (goals depend on memberships).
membershipEndedHooks.push(endPartnershipsOfMemberships);

