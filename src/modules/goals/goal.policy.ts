import { hasScope, StaffRole, Viewer } from '../../auth/viewer';
import type { ViewerFacts } from '../groups/viewer-facts';
import { GoalLifecycleStatus, GoalVisibility } from './goal.enums';
import type { GoalAudience } from './goal.types';

export interface GoalRuleFacts {
  viewer: ViewerFacts;
  /** Memberships of the viewing member's ACTIVE accountability partners. */
  partnerMembershipIds: ReadonlySet<string>;
  /** Whether the viewing member sees peers in this group (agreement accepted, consent active). */
  seesPeersIn: (groupId: string) => boolean;
  /** Whether the goal's owner holds an ACTIVE GOAL_SHARING consent for the goal's group. */
  ownerSharesGoals: boolean;
  /** For integrations: the owner's PARTNER_DATA_SHARING consent naming this integration, if any. */
  partnerDataConsentId: string | null;
}

export interface GoalFacts {
  ownerMembershipStatus: string;
  clientId: string;
  membershipId: string;
  groupId: string;
  visibility: GoalVisibility;
  lifecycleStatus: GoalLifecycleStatus;
}

export const SHOWN_TO_OTHERS: readonly GoalLifecycleStatus[] = [GoalLifecycleStatus.ACTIVE, GoalLifecycleStatus.ON_HOLD, GoalLifecycleStatus.COMPLETED];

/**
 * Who the viewer is to a goal, or null when they may not see it:
 * the member (OWNER); supervisors and the group's clinicians (CLINICAL; admins never);
 * an active partner, for PARTNERS or GROUP goals while the owner is not on hold (PARTNER); a peer who sees the group, for GROUP
 * goals while both are ACTIVE and the owner holds GOAL_SHARING consent (PEER); an integration with `goals:read`
 * under the owner's PARTNER_DATA_SHARING consent (INTEGRATION). Peers and partners never see
 * proposed or cancelled goals.
 */
export function goalAudience(viewer: Viewer, goal: GoalFacts, facts: GoalRuleFacts): GoalAudience | null {
  switch (viewer.kind) {
    case 'STAFF':
      return staffGoalAudience(viewer.role, facts.viewer.facilitatedGroupIds.has(goal.groupId));
    case 'INTEGRATION':
      return hasScope(viewer, 'goals:read') && facts.partnerDataConsentId ? 'INTEGRATION' : null;
    case 'MEMBER': {
      if (goal.clientId === viewer.clientId) return 'OWNER';
      if (!SHOWN_TO_OTHERS.includes(goal.lifecycleStatus) || goal.visibility === GoalVisibility.PRIVATE) return null;
      // A hold withdraws the member's own data from the room, partners included: holds are often
      // clinical, and the partnership resumes its view when the member is back.
      if (facts.partnerMembershipIds.has(goal.membershipId)) return goal.ownerMembershipStatus === 'ON_HOLD' ? null : 'PARTNER';
      // Peers see each other's goals only while both are ACTIVE members (DESIGN §4). A member on hold
      // keeps the group's names, not its goals: each read is recorded about the goal's owner, and
      // would name the reader in the owner's access report as someone still in the group but
      // missing from the roster, that is, on hold.
      if (
        goal.visibility === GoalVisibility.GROUP && goal.ownerMembershipStatus === 'ACTIVE' && facts.viewer.ownMemberships.get(goal.groupId)?.status === 'ACTIVE'
        && facts.seesPeersIn(goal.groupId) && facts.ownerSharesGoals
      ) {
        return 'PEER';
      }
      return null;
    }
  }
}

/** For staff the goal rule turns on role and group alone: supervisors, and clinicians of the goal's group. */
export function staffGoalAudience(role: StaffRole, facilitatesGroup: boolean): GoalAudience | null {
  return role === 'SUPERVISOR' || (role === 'CLINICIAN' && facilitatesGroup) ? 'CLINICAL' : null;
}

/** The two sides of a partnership, as `partnerGoalsMembership` needs them. */
export interface PartnershipSides {
  status: string;
  proposerClientId: string;
  partnerClientId: string;
  proposerMembershipId: string;
  partnerMembershipId: string;
}

/**
 * Whose goals a partnership's `partnerGoals` lists for this viewer: the other member's
 * membership while the partnership is ACTIVE and the viewer is one of the two; null otherwise
 * (nothing listed). Per partnership, not per pair: an ended one lists nothing even when the same
 * two members have a newer active one. The goal rule still decides each goal.
 */
export function partnerGoalsMembership(viewer: Viewer, p: PartnershipSides): string | null {
  if (viewer.kind !== 'MEMBER' || p.status !== 'ACTIVE') return null;
  if (p.proposerClientId === viewer.clientId) return p.partnerMembershipId;
  return p.partnerClientId === viewer.clientId ? p.proposerMembershipId : null;
}

/**
 * Who recorded a check-in (DESIGN: "recorded at, by whom"): the member and their clinicians see
 * who; partners and peers see the member by the display name they already know, but of a staff
 * entry only that it was staff (that a clinician entered a peer's progress, and who, is clinical
 * detail); an integration learns only the kind.
 */
export const namesCheckInRecorder = (a: GoalAudience, recorderKind: string) =>
  a === 'OWNER' || a === 'CLINICAL' || ((a === 'PARTNER' || a === 'PEER') && recorderKind === 'CLIENT');

/** Check-in notes are for the member, clinicians and partners; mood only for the member and clinicians. */
export const seesCheckInNote = (a: GoalAudience) => a === 'OWNER' || a === 'CLINICAL' || a === 'PARTNER';
export const seesMood = (a: GoalAudience) => a === 'OWNER' || a === 'CLINICAL';

/** Creating and changing goals: the member for themself, or a clinician of the group for them. */
export const canWriteGoal = (a: GoalAudience | null) => a === 'OWNER' || a === 'CLINICAL';

/** Encouragement goes from a member to another member whose goal they may see. */
export const canEncourage = (a: GoalAudience | null) => a === 'PARTNER' || a === 'PEER';
