import type { Viewer } from '../../auth/viewer';
import { GroupAccess } from '../groups/group.policy';
import { Membership } from './membership.entity';
import { MembershipStatus } from './membership-status';

/** FULL: everything; PEER: display name and status only; HIDDEN: not there at all. */
export type MembershipView = 'FULL' | 'PEER' | 'HIDDEN';

export function membershipView(
  viewer: Viewer,
  membership: Pick<Membership, 'clientId' | 'status'>,
  access: GroupAccess,
  seesPeers: boolean,
): MembershipView {
  if (access === 'ROSTER') return 'FULL';
  if ((access !== 'MEMBER' && access !== 'ALUMNI' && access !== 'APPLICANT') || viewer.kind !== 'MEMBER') return 'HIDDEN';
  if (membership.clientId === viewer.clientId) return 'FULL';
  if (access !== 'MEMBER') return 'HIDDEN';
  return seesPeers && membership.status === MembershipStatus.ACTIVE ? 'PEER' : 'HIDDEN';
}

/** The copy of a membership a peer receives: the nulls are the rule, not missing data. */
export function redactForPeer(m: Membership): Membership {
  return Object.assign(new Membership(), {
    id: m.id,
    clinicId: m.clinicId,
    groupId: m.groupId,
    clientId: m.clientId,
    status: m.status,
    displayName: m.displayName,
    statusReason: null,
    periodStart: null,
    periodEnd: null,
    waitlistedAt: null,
    agreementVersionAccepted: null,
    agreementAcceptedAt: null,
    createdAt: null,
    peerView: true,
  });
}

/** History, transitions and external ids of a membership: staff and integrations only, never peers or members. */
export const seesMembershipAdministration = (viewer: Viewer, m: Pick<Membership, 'peerView'>) => !m.peerView && viewer.kind !== 'MEMBER';
