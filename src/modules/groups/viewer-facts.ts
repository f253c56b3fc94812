import type { MemberViewer, OwnMembershipRow } from '../../auth/viewer';
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
 * What the group policies need to know about the viewer: read with the viewer at authentication
 * (plus one consent question for members), then decided in pure functions.
 */
export const viewerFactsLoader = (ctx: RequestContext) => {
  let facts: Promise<ViewerFacts> | undefined;
  return {
    get: (): Promise<ViewerFacts> => (facts ??= loadFacts(ctx)),
  };
};

async function loadFacts(ctx: RequestContext): Promise<ViewerFacts> {
  const viewer = ctx.viewer;
  // Facilitated groups and own memberships were read when the request authenticated.
  if (viewer?.kind === 'STAFF' && viewer.role !== 'ADMIN') return { ...EMPTY, facilitatedGroupIds: viewer.facilitatedGroupIds };
  if (viewer?.kind === 'MEMBER') {
    const rows = viewer.ownMemberships;
    const clientId = viewer.clientId;
    const consents = await ctx.loaders
      .of(consentCheckLoader)
      .loadMany(rows.map((r) => ({ clientId, type: ConsentType.GROUP_AGREEMENT, scope: { kind: 'GROUP' as const, groupId: r.group_id } })));
    return {
      ...EMPTY,
      agreementConsentGroupIds: new Set(rows.filter((_, i) => typeof consents[i] === 'string').map((r) => r.group_id)),
      ownMemberships: ownMembershipFacts(viewer),
    };
  }
  return EMPTY;
}

/** A member's own memberships by group, as authentication read them. */
export const ownMembershipFacts = (viewer: MemberViewer): ReadonlyMap<string, OwnMembershipFact> =>
  new Map(
    viewer.ownMemberships.map((r) => [r.group_id, { membershipId: r.id, groupId: r.group_id, status: r.status, agreementVersionAccepted: r.agreement_version_accepted }]),
  );

/**
 * Records on the viewer's own memberships as authentication read them that this request accepted
 * the group agreement's `version` on `membershipIds`, so later fields of the document judge them
 * afresh. The viewer object itself: the loaders' context and the resolvers' share it, not the
 * property. Nothing for other viewers or memberships not theirs.
 */
export function noteOwnAgreementAccepted(ctx: RequestContext, membershipIds: readonly string[], version: number): void {
  if (ctx.viewer?.kind !== 'MEMBER' || !membershipIds.length) return;
  const viewer = ctx.viewer as { ownMemberships: readonly OwnMembershipRow[] };
  viewer.ownMemberships = viewer.ownMemberships.map((m) => (membershipIds.includes(m.id) ? { ...m, agreement_version_accepted: version } : m));
}
