import { hasScope, Viewer } from '../../auth/viewer';
import { canSeeRoster, GroupAccess } from '../groups/group.policy';
import { ConsentMethod, ConsentType } from './consent.enums';

/** Consents that share a client's data with others: peers (goals), connections (contact details), an integration. */
export const SHARING_TYPES: ReadonlySet<ConsentType> = new Set([ConsentType.GOAL_SHARING, ConsentType.CONTACT_SHARING, ConsentType.PARTNER_DATA_SHARING]);

/**
 * Consent records are the client's own: they, staff who may read the client's record, and an
 * integration reading only PARTNER_DATA_SHARING consents that name itself (`consent:read`).
 */
export function canReadConsent(
  viewer: Viewer,
  consent: { clientId: string; type: ConsentType; scopeApiKeyId: string | null },
  staffMayReadClient: boolean,
): boolean {
  switch (viewer.kind) {
    case 'MEMBER':
      return viewer.clientId === consent.clientId;
    case 'STAFF':
      return staffMayReadClient;
    case 'INTEGRATION':
      return hasScope(viewer, 'consent:read') && consent.type === ConsentType.PARTNER_DATA_SHARING && consent.scopeApiKeyId === viewer.apiKeyId;
  }
}

/** Members grant and revoke for themselves; staff record on a client's behalf when they may read the client. */
export function canGrantOrRevokeFor(viewer: Viewer, clientId: string, staffMayReadClient: boolean): boolean {
  if (viewer.kind === 'MEMBER') return viewer.clientId === clientId;
  return viewer.kind === 'STAFF' && staffMayReadClient;
}

/**
 * A group-scoped decision is recorded by the member, or by staff with the group's roster (a
 * clinician only for groups they facilitate): one for a group they cannot see would change what
 * its peers see of the client, and its answer would tell the client's other groups.
 */
export const mayRecordForGroup = (viewer: Viewer, access: GroupAccess) => viewer.kind !== 'STAFF' || canSeeRoster(access);

/**
 * Whether staff may record (or revoke) a sharing decision that is not scoped to one group: clinic-
 * wide or for an integration, it takes effect in every group of the client. Decided by role
 * alone, so a refusal tells nothing of the client's other groups:
 * - a clinician decides group by group, for groups they facilitate (`mayRecordForGroup`): one
 *   beyond them would change what the client shares in groups they cannot see;
 * - an admin does not widen what an integration receives (`widens`: a PERMIT granted, a DENY
 *   revoked): admins create the keys and never read goals, and a permit for their own key would
 *   hand them the client's goals;
 * - a supervisor (clinical oversight of every group) may; so may the member, always.
 * Every other type (treatment, recording, research) is recorded by whoever may read the client.
 */
export function mayRecordBeyondOneGroup(viewer: Viewer, type: ConsentType, widens: boolean): 'YES' | 'GROUP_BY_GROUP' | 'NOT_FOR_INTEGRATIONS' {
  if (viewer.kind !== 'STAFF' || !SHARING_TYPES.has(type)) return 'YES';
  if (viewer.role === 'CLINICIAN') return 'GROUP_BY_GROUP';
  if (viewer.role === 'ADMIN' && type === ConsentType.PARTNER_DATA_SHARING && widens) return 'NOT_FOR_INTEGRATIONS';
  return 'YES';
}

/** A member consents in the app; staff record a signed form or a verbal consent. */
export function allowedMethods(viewer: Viewer): ConsentMethod[] {
  return viewer.kind === 'MEMBER' ? [ConsentMethod.ELECTRONIC] : [ConsentMethod.SIGNED_FORM, ConsentMethod.VERBAL];
}
