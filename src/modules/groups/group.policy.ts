import { hasRosterScope, hasScope, Viewer } from '../../auth/viewer';
import { isEnded, isSeated } from '../memberships/membership-status';
import type { TherapyGroup } from './therapy-group.entity';
import type { ViewerFacts } from './viewer-facts';

/**
 * How much of a group a viewer may see:
 * - ROSTER: admins, supervisors, the group's facilitators, roster integrations — everything;
 * - MEMBER: a seated client (ACTIVE or ON_HOLD) — the group's details, peers by display name;
 * - APPLICANT: referred, screening or waitlisted — the group's details and agreement, their own membership;
 * - ALUMNI: a client whose membership ended — the group's details and their own membership;
 * - DIRECTORY: other clinicians — the group's details;
 * where "details" are the program's own (name, description, modality, format, status, schedule,
 * dates, capacity, agreement version, contact policy), never where it meets (location, video
 * link) nor who is in it (`redactGroupFor`; rosters by `canSeeRoster`);
 * - NONE: the group does not exist for this viewer (NOT_FOUND).
 */
export type GroupAccess = 'ROSTER' | 'MEMBER' | 'APPLICANT' | 'ALUMNI' | 'DIRECTORY' | 'NONE';

export function groupAccess(viewer: Viewer, groupId: string, facts: ViewerFacts): GroupAccess {
  switch (viewer.kind) {
    case 'STAFF':
      if (viewer.role === 'ADMIN' || viewer.role === 'SUPERVISOR') return 'ROSTER';
      return facts.facilitatedGroupIds.has(groupId) ? 'ROSTER' : 'DIRECTORY';
    case 'MEMBER': {
      const own = facts.ownMemberships.get(groupId);
      if (!own) return 'NONE';
      if (isEnded(own.status)) return 'ALUMNI';
      return isSeated(own.status) ? 'MEMBER' : 'APPLICANT';
    }
    case 'INTEGRATION':
      return hasRosterScope(viewer) ? 'ROSTER' : 'NONE';
  }
}

/** Group fields hidden below ROSTER/MEMBER access (other clinicians; former members). */
export function redactGroupFor(access: GroupAccess, group: TherapyGroup): TherapyGroup {
  if (access === 'ROSTER' || access === 'MEMBER') return group;
  return Object.assign(Object.create(Object.getPrototypeOf(group)) as TherapyGroup, group, {
    location: null,
    videoLink: null,
    // An applicant reads the agreement they are asked to accept.
    agreementText: access === 'APPLICANT' ? group.agreementText : null,
  });
}

/** Whether the viewer may see the group's roster (memberships with client references). */
export const canSeeRoster = (access: GroupAccess) => access === 'ROSTER';

/**
 * A member sees peers (display names of ACTIVE members) only while their own membership is
 * open, they have accepted the group's current agreement version, and their GROUP_AGREEMENT
 * consent for the group is still active (revoking it hides peers from the next request on).
 */
export function memberSeesPeers(viewer: Viewer, group: Pick<TherapyGroup, 'id' | 'agreementVersion'>, facts: ViewerFacts): boolean {
  if (viewer.kind !== 'MEMBER') return false;
  const own = facts.ownMemberships.get(group.id);
  if (!own) return false;
  return isSeated(own.status) && (own.agreementVersionAccepted ?? 0) >= group.agreementVersion && facts.agreementConsentGroupIds.has(group.id);
}

/** Facilitators are clinicians or supervisors: admins run the clinic, not groups. */
export const canFacilitate = (role: string) => role !== 'ADMIN';

/** Group set-up, status and facilitators: clinic admins. */
export const canManageGroups = (viewer: Viewer) => viewer.kind === 'STAFF' && viewer.role === 'ADMIN';

/** Enrolment and membership status: admins, supervisors, the group's facilitators, roster-writing integrations. */
export function canManageMemberships(viewer: Viewer, groupId: string, facts: ViewerFacts): boolean {
  if (viewer.kind === 'INTEGRATION') return hasScope(viewer, 'roster:write');
  if (viewer.kind !== 'STAFF') return false;
  return viewer.role !== 'CLINICIAN' || facts.facilitatedGroupIds.has(groupId);
}

/** Waitlist sizes are staff and roster-integration business, not members'. */
export const seesWaitlist = (viewer: Viewer) => viewer.kind !== 'MEMBER';
