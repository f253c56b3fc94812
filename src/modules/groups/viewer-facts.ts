import type { RequestContext } from '../../context';
import { consentCheckLoader } from '../consent/consent-check';
import { ConsentType } from '../consent/consent.enums';
import { MembershipStatus } from '../memberships/membership-status';

export interface OwnMembershipFact {
  membershipId: string;
  groupId: string;
  status: MembershipStatus;
  agreementVersionAccepted: number | null;
}

export interface ViewerFacts {
  /** Groups the viewing clinician or supervisor currently facilitates. */
  facilitatedGroupIds: ReadonlySet<string>;
  /** The viewing member's own memberships, by group (the open one, else the latest). */
  ownMemberships: ReadonlyMap<string, OwnMembershipFact>;
  /** Groups where the viewing member holds an ACTIVE GROUP_AGREEMENT consent (asked of the consent service). */
  agreementConsentGroupIds: ReadonlySet<string>;
}

const EMPTY: ViewerFacts = { facilitatedGroupIds: new Set(), ownMemberships: new Map(), agreementConsentGroupIds: new Set() };

/**
 * What the group policies need to know about the viewer, loaded once per request (one
 * statement for staff and members, none for others) and then decided in pure functions.
 */
export const viewerFactsLoader = (ctx: RequestContext) => {
  let facts: Promise<ViewerFacts> | undefined;
  return {
    get: (): Promise<ViewerFacts> => (facts ??= loadFacts(ctx)),
  };
};

async function loadFacts(ctx: RequestContext): Promise<ViewerFacts> {
  const viewer = ctx.viewer;
  if (viewer?.kind === 'STAFF' && viewer.role !== 'ADMIN') {
    if (viewer.facilitatedGroupIds) return { ...EMPTY, facilitatedGroupIds: viewer.facilitatedGroupIds };
    const rows = await ctx.db.query<{ group_id: string }>(
      `SELECT group_id FROM group_facilitators WHERE staff_member_id = $1 AND ended_at IS NULL`,
      [viewer.staffId],
    );
    return { ...EMPTY, facilitatedGroupIds: new Set(rows.map((r) => r.group_id)) };
  }
  if (viewer?.kind === 'MEMBER') {
    type Row = { id: string; group_id: string; status: MembershipStatus; agreement_version_accepted: number | null };
    const rows =
      (viewer.ownMemberships as Row[] | undefined) ??
      (await ctx.db.query<Row>(
        `SELECT DISTINCT ON (group_id) id, group_id, status, agreement_version_accepted
           FROM memberships WHERE client_id = $1
          ORDER BY group_id, (status IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED')), created_at DESC`,
        [viewer.clientId],
      ));
    const clientId = viewer.clientId;
    const consents = await ctx.loaders
      .of(consentCheckLoader)
      .loadMany(rows.map((r) => ({ clientId, type: ConsentType.GROUP_AGREEMENT, scope: { kind: 'GROUP' as const, groupId: r.group_id } })));
    return {
      ...EMPTY,
      agreementConsentGroupIds: new Set(rows.filter((_, i) => typeof consents[i] === 'string').map((r) => r.group_id)),
      ownMemberships: new Map(
        rows.map((r) => [r.group_id, { membershipId: r.id, groupId: r.group_id, status: r.status, agreementVersionAccepted: r.agreement_version_accepted }]),
      ),
    };
  }
  return EMPTY;
}
