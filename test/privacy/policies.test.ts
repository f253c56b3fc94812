/**
 * The privacy rules are pure functions (DESIGN §4: each decision made in one place); these unit
 * tests pin their decisions case by case, beside the HTTP tests that prove every path asks them.
 */
import type { ApiKeyScope, IntegrationViewer, MemberViewer, StaffRole, StaffViewer } from '../../src/auth/viewer';
import { contactAllowed, isInvited, revealsContact, seesFellowAttendees, statusShown } from '../../src/modules/after-group/after-group.policy';
import { EventAudience } from '../../src/modules/after-group/after-group.types';
import { canReadClient } from '../../src/modules/clients/client.policy';
import { GoalLifecycleStatus as L, GoalVisibility as V } from '../../src/modules/goals/goal.enums';
import { GoalFacts, goalAudience, GoalRuleFacts, namesCheckInRecorder, staffGoalAudience } from '../../src/modules/goals/goal.policy';
import { PeerContactPolicy } from '../../src/modules/groups/group.enums';
import { groupAccess, memberSeesPeers } from '../../src/modules/groups/group.policy';
import type { ViewerFacts } from '../../src/modules/groups/viewer-facts';
import { canTransition, MembershipStatus as S } from '../../src/modules/memberships/membership-status';

const GROUP = 'group-1';
const staff = (role: StaffRole, facilitates: string[] = []): StaffViewer => ({
  kind: 'STAFF', clinicId: 'c', staffId: 's', role, facilitatedGroupIds: new Set(facilitates),
});
const member = (clientId = 'me'): MemberViewer => ({ kind: 'MEMBER', clinicId: 'c', clientId, ownMemberships: [] });
const integration = (...scopes: ApiKeyScope[]): IntegrationViewer => ({ kind: 'INTEGRATION', clinicId: 'c', apiKeyId: 'k', scopes: new Set(scopes) });
const facts = (own: { status: S; accepted?: number } | undefined, agreementConsent = true, facilitated: string[] = []): ViewerFacts => ({
  facilitatedGroupIds: new Set(facilitated),
  ownMemberships: new Map(own ? [[GROUP, { membershipId: 'm-me', groupId: GROUP, status: own.status, agreementVersionAccepted: own.accepted ?? 1 }]] : []),
  agreementConsentGroupIds: new Set(agreementConsent ? [GROUP] : []),
});

describe('groupAccess', () => {
  it('gives staff the roster by role and facilitation, members by the state of their own membership, integrations by scope', () => {
    const staffAccess = (v: StaffViewer) => groupAccess(v, GROUP, facts(undefined, false, [...v.facilitatedGroupIds]));
    expect([staff('ADMIN'), staff('SUPERVISOR'), staff('CLINICIAN', [GROUP]), staff('CLINICIAN', ['another group'])].map(staffAccess)).toEqual([
      'ROSTER', 'ROSTER', 'ROSTER', 'DIRECTORY',
    ]);
    const access = (status: S | undefined) => groupAccess(member(), GROUP, facts(status && { status }));
    expect([S.ACTIVE, S.ON_HOLD, S.REFERRED, S.SCREENING, S.WAITLISTED, S.COMPLETED, S.WITHDRAWN, S.DISCHARGED, undefined].map(access)).toEqual([
      'MEMBER', 'MEMBER', 'APPLICANT', 'APPLICANT', 'APPLICANT', 'ALUMNI', 'ALUMNI', 'ALUMNI', 'NONE',
    ]);
    expect([integration('roster:read'), integration('roster:write'), integration('goals:read', 'changes:read')].map((v) => groupAccess(v, GROUP, facts(undefined)))).toEqual([
      'ROSTER', 'ROSTER', 'NONE',
    ]);
  });
});

describe('memberSeesPeers', () => {
  const group = { id: GROUP, agreementVersion: 2 };
  it('needs an open membership, the current agreement version accepted and the agreement consent held', () => {
    expect(memberSeesPeers(member(), group, facts({ status: S.ACTIVE, accepted: 2 }))).toBe(true);
    expect(memberSeesPeers(member(), group, facts({ status: S.ON_HOLD, accepted: 2 }))).toBe(true);
    expect(memberSeesPeers(member(), group, facts({ status: S.ACTIVE, accepted: 1 }))).toBe(false);
    expect(memberSeesPeers(member(), group, facts({ status: S.ACTIVE, accepted: 2 }, false))).toBe(false);
    for (const status of [S.WAITLISTED, S.SCREENING, S.COMPLETED, S.WITHDRAWN]) expect(memberSeesPeers(member(), group, facts({ status, accepted: 2 }))).toBe(false);
    expect(memberSeesPeers(staff('SUPERVISOR'), group, facts({ status: S.ACTIVE, accepted: 2 }))).toBe(false);
  });
});

describe('goalAudience', () => {
  const goal = (over: Partial<GoalFacts> = {}): GoalFacts => ({
    ownerMembershipStatus: S.ACTIVE, clientId: 'peer', membershipId: 'm-peer', groupId: GROUP, visibility: V.GROUP, lifecycleStatus: L.ACTIVE, ...over,
  });
  const rule = (over: Partial<GoalRuleFacts> = {}): GoalRuleFacts => ({
    viewer: facts({ status: S.ACTIVE }), partnerMembershipIds: new Set(), seesPeersIn: () => true, ownerSharesGoals: true, partnerDataConsentId: null, ...over,
  });

  it('shows a member their own goals whatever their state, and a peer\'s only when shared, GROUP-visible, shown and the owner ACTIVE', () => {
    expect(goalAudience(member('peer'), goal({ visibility: V.PRIVATE, lifecycleStatus: L.PROPOSED }), rule())).toBe('OWNER');
    expect(goalAudience(member(), goal(), rule())).toBe('PEER');
    expect(goalAudience(member(), goal(), rule({ ownerSharesGoals: false }))).toBeNull();
    expect(goalAudience(member(), goal(), rule({ seesPeersIn: () => false }))).toBeNull();
    expect(goalAudience(member(), goal({ ownerMembershipStatus: S.ON_HOLD }), rule())).toBeNull();
    expect(goalAudience(member(), goal({ visibility: V.PARTNERS }), rule())).toBeNull();
    expect(goalAudience(member(), goal({ visibility: V.PRIVATE }), rule())).toBeNull();
    for (const lifecycleStatus of [L.PROPOSED, L.CANCELLED]) expect(goalAudience(member(), goal({ lifecycleStatus }), rule())).toBeNull();
    for (const lifecycleStatus of [L.ON_HOLD, L.COMPLETED]) expect(goalAudience(member(), goal({ lifecycleStatus }), rule())).toBe('PEER');
  });

  it('shows an active partner PARTNERS and GROUP goals without the sharing consent, never PRIVATE or PROPOSED ones, nor while the owner is on hold', () => {
    const partner = rule({ partnerMembershipIds: new Set(['m-peer']), ownerSharesGoals: false, seesPeersIn: () => false });
    expect(goalAudience(member(), goal({ visibility: V.PARTNERS }), partner)).toBe('PARTNER');
    expect(goalAudience(member(), goal({ visibility: V.GROUP, ownerMembershipStatus: S.COMPLETED }), partner)).toBe('PARTNER');
    // A hold withdraws the owner's goals from their partner too (and a peer's view needs the owner ACTIVE).
    expect(goalAudience(member(), goal({ visibility: V.PARTNERS, ownerMembershipStatus: S.ON_HOLD }), partner)).toBeNull();
    expect(goalAudience(member(), goal({ visibility: V.GROUP, ownerMembershipStatus: S.ON_HOLD }), rule({ partnerMembershipIds: new Set(['m-peer']) }))).toBeNull();
    expect(goalAudience(member(), goal({ visibility: V.PRIVATE }), partner)).toBeNull();
    expect(goalAudience(member(), goal({ visibility: V.PARTNERS, lifecycleStatus: L.PROPOSED }), partner)).toBeNull();
  });

  it('gives staff clinical access by role and facilitation (admins never), integrations only with goals:read and the owner\'s consent', () => {
    expect(staffGoalAudience('SUPERVISOR', false)).toBe('CLINICAL');
    expect(staffGoalAudience('CLINICIAN', true)).toBe('CLINICAL');
    expect(staffGoalAudience('CLINICIAN', false)).toBeNull();
    expect(staffGoalAudience('ADMIN', true)).toBeNull();
    expect(goalAudience(staff('CLINICIAN', [GROUP]), goal({ visibility: V.PRIVATE }), rule({ viewer: facts(undefined, false, [GROUP]) }))).toBe('CLINICAL');
    expect(goalAudience(staff('CLINICIAN'), goal(), rule({ viewer: facts(undefined, false) }))).toBeNull();
    expect(goalAudience(integration('goals:read'), goal({ visibility: V.PRIVATE }), rule({ partnerDataConsentId: 'consent' }))).toBe('INTEGRATION');
    expect(goalAudience(integration('goals:read'), goal(), rule({ partnerDataConsentId: null }))).toBeNull();
    expect(goalAudience(integration('roster:read'), goal(), rule({ partnerDataConsentId: 'consent' }))).toBeNull();
  });

  it('names who recorded a check-in: the member to all who see it, staff only to the member and clinicians, no one to integrations', () => {
    const audiences = ['OWNER', 'CLINICAL', 'PARTNER', 'PEER', 'INTEGRATION'] as const;
    expect(audiences.map((a) => namesCheckInRecorder(a, 'CLIENT'))).toEqual([true, true, true, true, false]);
    expect(audiences.map((a) => namesCheckInRecorder(a, 'STAFF'))).toEqual([true, true, false, false, false]);
  });
});

describe('canReadClient', () => {
  it('lets admins, supervisors, the client\'s clinicians, roster integrations and the client themself read the record; peers never', () => {
    const facilitated = new Set(['peer']);
    expect(canReadClient(staff('ADMIN'), 'peer', new Set())).toBe(true);
    expect(canReadClient(staff('SUPERVISOR'), 'peer', new Set())).toBe(true);
    expect(canReadClient(staff('CLINICIAN'), 'peer', facilitated)).toBe(true);
    expect(canReadClient(staff('CLINICIAN'), 'peer', new Set())).toBe(false);
    expect(canReadClient(member('peer'), 'peer', new Set())).toBe(true);
    expect(canReadClient(member('me'), 'peer', facilitated)).toBe(false);
    expect([integration('roster:read'), integration('roster:write'), integration('goals:read')].map((v) => canReadClient(v, 'peer', new Set()))).toEqual([true, true, false]);
  });
});

describe('after the group', () => {
  it('asks the peer-contact policy with both memberships\' states', () => {
    expect(contactAllowed(PeerContactPolicy.NEVER, true, true)).toBe('NEVER');
    expect(contactAllowed(PeerContactPolicy.AFTER_COMPLETION, true, false)).toBe('NOT_YET');
    expect(contactAllowed(PeerContactPolicy.AFTER_COMPLETION, true, true)).toBe('ALLOWED');
    expect(contactAllowed(PeerContactPolicy.ANYTIME, false, false)).toBe('ALLOWED');
  });

  it('reveals contact details only while accepted, both consenting, and the policy allowing it now', () => {
    expect(revealsContact('ACCEPTED', true, true, 'ALLOWED')).toBe(true);
    expect(revealsContact('ACCEPTED', true, true, 'NEVER')).toBe(false);
    expect(revealsContact('ACCEPTED', true, true, 'NOT_YET')).toBe(false);
    expect(revealsContact('ACCEPTED', true, false, 'ALLOWED')).toBe(false);
    for (const status of ['REQUESTED', 'DECLINED', 'WITHDRAWN', 'BLOCKED']) expect(revealsContact(status, true, true, 'ALLOWED')).toBe(false);
    // A block shows as what it looks like; nothing else is rewritten.
    expect(statusShown('BLOCKED', 'DECLINED')).toBe('DECLINED');
    expect(statusShown('BLOCKED', 'WITHDRAWN')).toBe('WITHDRAWN');
    for (const status of ['REQUESTED', 'ACCEPTED', 'DECLINED', 'WITHDRAWN']) expect(statusShown(status, null)).toBe(status);
  });

  it('invites by audience and names fellow attendees only to those who consent to being seen too', () => {
    expect([S.ACTIVE, S.ON_HOLD, S.COMPLETED, S.WITHDRAWN].map((s) => isInvited(EventAudience.MEMBERS, s))).toEqual([true, true, false, false]);
    expect([S.ACTIVE, S.COMPLETED, S.WITHDRAWN].map((s) => isInvited(EventAudience.ALUMNI, s))).toEqual([false, true, false]);
    expect([S.ACTIVE, S.COMPLETED, S.DISCHARGED].map((s) => isInvited(EventAudience.BOTH, s))).toEqual([true, true, false]);
    expect(seesFellowAttendees(S.COMPLETED, true, false)).toBe(true);
    expect(seesFellowAttendees(S.COMPLETED, false, true)).toBe(false);
    expect(seesFellowAttendees(S.ACTIVE, false, true)).toBe(true);
    expect(seesFellowAttendees(S.ACTIVE, true, false)).toBe(false);
    expect(seesFellowAttendees(S.WAITLISTED, true, true)).toBe(false);
    expect(seesFellowAttendees(undefined, true, true)).toBe(false);
  });
});

describe('membership transitions', () => {
  it('let an ended membership change no more and keep every other step DESIGN names', () => {
    for (const ended of [S.COMPLETED, S.WITHDRAWN, S.DISCHARGED]) for (const to of Object.values(S)) expect(canTransition(ended, to)).toBe(false);
    expect(canTransition(S.ACTIVE, S.ON_HOLD)).toBe(true);
    expect(canTransition(S.ON_HOLD, S.ACTIVE)).toBe(true);
    expect(canTransition(S.WAITLISTED, S.ACTIVE)).toBe(true);
    expect(canTransition(S.REFERRED, S.ACTIVE)).toBe(false);
  });
});
