import { hasScope, Viewer } from '../../auth/viewer';
import { canSeeRoster, GroupAccess } from '../groups/group.policy';
import { ConsentMethod, ConsentType } from './consent.enums';

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

/** A member consents in the app; staff record a signed form or a verbal consent. */
export function allowedMethods(viewer: Viewer): ConsentMethod[] {
  return viewer.kind === 'MEMBER' ? [ConsentMethod.ELECTRONIC] : [ConsentMethod.SIGNED_FORM, ConsentMethod.VERBAL];
}
