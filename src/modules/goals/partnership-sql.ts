import { seesPeersSql } from '../groups/sees-peers-sql';
import { blockStandsSql } from '../after-group/block-sql';

/**
 * The partnerships of the clients `clientCondition` picks (a condition on their memberships `m`,
 * e.g. `m.client_id = $1`: SQL, never a value), each with its status and the other side's
 * membership. Each side is found through its own index: an OR across both sides' clients read
 * every partnership of the clinic. One text for the partner facts of the goal rule, the member's
 * partnership list and the compiled member home.
 */
export const partnershipsOfClients = (clientCondition: string): string =>
  `SELECT x.id, x.status, x.partner_membership_id AS other
     FROM memberships m JOIN accountability_partnerships x ON x.proposer_membership_id = m.id WHERE ${clientCondition}
   UNION ALL
   SELECT x.id, x.status, x.proposer_membership_id
     FROM memberships m JOIN accountability_partnerships x ON x.partner_membership_id = m.id WHERE ${clientCondition}`;

/**
 * Whether proposal `p` is held from its partner for good, in every status, and recorded about its
 * proposer alone (`held_by_block`): made while the partner blocked its proposer (set as it was
 * written), or ended while it awaited the partner's group agreement (set by the ending). One made
 * before a block shows to the partner once closed, and again once the block is lifted.
 */
export const HELD_FOR_GOOD_SQL = 'p.held_by_block';

/**
 * A proposal (`p` over PARTNERSHIP_SIDES) held from the viewer (`viewer`, SQL; null for staff):
 * made while the viewer, its partner (`partner`, SQL: `am.client_id` unless given), blocked its
 * proposer; or still pending while they block the proposer now. Its proposer sees it pending, as
 * with contact requests (a block is silent).
 */
export const blockedProposalSql = (viewer: string, partner = 'am.client_id') =>
  `((${HELD_FOR_GOOD_SQL} AND coalesce(${partner} = ${viewer}, false)) OR (p.status = 'PROPOSED' AND ${blockStandsSql(viewer, 'pm.client_id')}))`;

/**
 * A proposal (`p` over PARTNERSHIP_SIDES) still pending for the viewer (`viewer`, SQL; null for
 * staff), its partner, while either side does not see the group's peers (its agreement not
 * accepted at the current version, or the GROUP_AGREEMENT consent not active, as
 * `memberSeesPeers` asks): held from the partner until both do. The partner's side, since it
 * names its proposer; the proposer's, since accepting would open the partner's goals to a member
 * who has stepped back from the group's sharing. Its proposer sees it pending. One that ends
 * while held stays held for good (`HELD_FOR_GOOD_SQL`, marked by the ending): it is never shown
 * later with its message and end reason. `seatedAlso` (SQL, uuid[]) names memberships judged as
 * still seated: those whose ending is being written, judged as they stood before it.
 */
export const awaitingAgreementSql = (viewer: string, seatedAlso?: string) =>
  `(p.status = 'PROPOSED' AND coalesce(am.client_id = ${viewer}, false)
    AND NOT (${seesPeersSql('am', seatedAlso)} AND ${seesPeersSql('pm', seatedAlso)}))`;

/**
 * Whether partnership `p` (over PARTNERSHIP_SIDES) is held from its partner for good once it ends
 * now (the `held_by_block` an ending writes): held for good already, or a proposal awaiting either
 * side's group agreement. `seatedAlso` as for `awaitingAgreementSql`.
 */
export const heldOnceEndedSql = (seatedAlso?: string) => `(${HELD_FOR_GOOD_SQL} OR ${awaitingAgreementSql('am.client_id', seatedAlso)})`;

/** A proposal the viewer (`viewer`, SQL) is not shown: held by a block, or awaiting their agreement. */
export const hiddenProposalSql = (viewer: string) => `(${blockedProposalSql(viewer)} OR ${awaitingAgreementSql(viewer)})`;

/**
 * Whether proposal `p` (over PARTNERSHIP_SIDES) is held from its partner (`hiddenProposalSql` as
 * the partner sees it). Records about it name its proposer alone.
 */
export const heldFromPartnerSql = hiddenProposalSql('am.client_id');

/** A partnership `p` with each side's membership and client: the proposer `pm`/`pc`, the partner `am`/`ac`. */
export const PARTNERSHIP_SIDES = `accountability_partnerships p
   JOIN memberships pm ON pm.id = p.proposer_membership_id JOIN clients pc ON pc.id = pm.client_id
   JOIN memberships am ON am.id = p.partner_membership_id JOIN clients ac ON ac.id = am.client_id`;
