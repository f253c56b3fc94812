import { heldByBlockSql, madeWhileBlockedSql } from '../after-group/block-sql';

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
 * A proposal (`p` over PARTNERSHIP_SIDES) from a member the viewer (`viewer`, SQL) blocked: never
 * theirs to see, while its proposer sees it pending, as with contact requests (a block is silent).
 * Hidden while it is pending, and in every status once made after the block: one the proposer
 * withdrew, or the viewer's own proposal declined, was never theirs to see.
 */
export const blockedProposalSql = (viewer: string) => heldByBlockSql(viewer, 'pm.client_id', 'p.created_at', `p.status = 'PROPOSED'`);

/**
 * Whether proposal `p` (over PARTNERSHIP_SIDES) is held from its partner (`blockedProposalSql` as
 * the partner sees it). Records about it name its proposer alone.
 */
export const heldFromPartnerSql = blockedProposalSql('am.client_id');

/**
 * Whether proposal `p` stays held from its partner once it is no longer pending (ended, declined):
 * `partner` and `proposer` are their client ids (SQL).
 * made after the partner blocked its proposer. A change that closes a proposal is recorded about
 * whom it concerns afterwards: one made before the block shows to the partner once closed.
 */
export const heldOnceClosedSql = (partner: string, proposer: string) => madeWhileBlockedSql(partner, proposer, 'p.created_at');

/** A partnership `p` with each side's membership and client: the proposer `pm`/`pc`, the partner `am`/`ac`. */
export const PARTNERSHIP_SIDES = `accountability_partnerships p
   JOIN memberships pm ON pm.id = p.proposer_membership_id JOIN clients pc ON pc.id = pm.client_id
   JOIN memberships am ON am.id = p.partner_membership_id JOIN clients ac ON ac.id = am.client_id`;
