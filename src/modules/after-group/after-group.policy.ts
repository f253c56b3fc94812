import { PeerContactPolicy } from '../groups/group.enums';
import { EventAudience } from './after-group.types';
import { isSeated, MembershipStatus } from '../memberships/membership-status';

/** The group's peer-contact policy decides whether two of its members may ask to connect now. */
export function contactAllowed(policy: PeerContactPolicy, requesterEnded: boolean, recipientEnded: boolean): 'ALLOWED' | 'NEVER' | 'NOT_YET' {
  switch (policy) {
    case PeerContactPolicy.NEVER:
      return 'NEVER';
    case PeerContactPolicy.AFTER_COMPLETION:
      return requesterEnded && recipientEnded ? 'ALLOWED' : 'NOT_YET';
    case PeerContactPolicy.ANYTIME:
      return 'ALLOWED';
  }
}

/**
 * Contact details show only while accepted, while both members hold ACTIVE CONTACT_SHARING
 * consent, and while the group's peer-contact policy (`contactAllowed`, asked now) still allows
 * the exchange: a group set to NEVER, say after a boundary problem, hides cards already shared.
 */
export const revealsContact = (status: string, requesterConsents: boolean, recipientConsents: boolean, policyNow: ReturnType<typeof contactAllowed>) =>
  status === 'ACCEPTED' && requesterConsents && recipientConsents && policyNow === 'ALLOWED';

/**
 * A block shows, to both sides, as the decline or withdrawal it looks like (chosen when it was
 * made: `blocked_shown_as`): the blocked member learns nothing more.
 */
export const statusShown = (status: string, blockedShownAs: string | null) => (status === 'BLOCKED' ? (blockedShownAs ?? 'DECLINED') : status);

/** Who an event invites: current members, alumni (COMPLETED), or both. */
export function isInvited(audience: EventAudience, membershipStatus: string | undefined): boolean {
  if (!membershipStatus) return false;
  const current = membershipStatus === 'ACTIVE' || membershipStatus === 'ON_HOLD';
  const alumnus = membershipStatus === 'COMPLETED';
  return audience === EventAudience.BOTH ? current || alumnus : audience === EventAudience.MEMBERS ? current : alumnus;
}

/**
 * Whether an attendee may see who else is going: only one who consents to being seen there too —
 * an alumnus in the group's alumni directory, a current member who sees peers (agreement
 * accepted, its consent active). Going is not consent.
 */
export function seesFellowAttendees(ownStatus: string | undefined, inAlumniDirectory: boolean, seesPeers: boolean): boolean {
  if (ownStatus === MembershipStatus.COMPLETED) return inAlumniDirectory;
  return ownStatus !== undefined && isSeated(ownStatus as MembershipStatus) && seesPeers;
}

/** Pending requests a member may have open at once. */
export const MAX_PENDING_REQUESTS = 10;
