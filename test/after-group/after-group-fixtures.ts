/**
 * Fixtures for life after the group: groups with a peer-contact policy, members who completed
 * (alumni), the consents that govern the directory and contact exchange, and the stored state
 * of connections, blocks, contact preferences, events and RSVPs (read past RLS).
 */
import { ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';
import {
  acceptAgreement,
  activateGroup,
  CHANGE_MEMBERSHIP_STATUS,
  ConsentRef,
  createGroup,
  enrolNew,
  grantConsent,
  GroupRef,
  GroupWorld,
  Member,
  ok,
  uuidOf,
} from '../goals/goal-fixtures';

export { ok, uuidOf, revokeConsent, agreementConsentOf } from '../goals/goal-fixtures';
export type { Member, GroupRef, GroupWorld, ConsentRef } from '../goals/goal-fixtures';

export type PeerContactPolicy = 'ANYTIME' | 'AFTER_COMPLETION' | 'NEVER';

// ---- operations -------------------------------------------------------------------------------

export const ALUMNI = `query($id: ID!) { group(id: $id) { id alumni { displayName membershipId } } }`;
export const ALUMNI_NODE = `query($id: ID!) { node(id: $id) { id ... on TherapyGroup { alumni { displayName membershipId } } } }`;

export const CONNECTION_FIELDS = `id status direction otherDisplayName message createdAt respondedAt groupName contact { email phone handle }`;
export const REQUEST = `mutation($input: RequestConnectionInput!) { requestConnection(input: $input) { connection { ${CONNECTION_FIELDS} } } }`;
export const RESPOND = `mutation($input: RespondToConnectionInput!) { respondToConnection(input: $input) { connection { ${CONNECTION_FIELDS} } } }`;
export const WITHDRAW = `mutation($input: ConnectionRefInput!) { withdrawConnection(input: $input) { connection { ${CONNECTION_FIELDS} } } }`;
export const BLOCK = `mutation($input: ConnectionRefInput!) { blockMember(input: $input) { connection { ${CONNECTION_FIELDS} } } }`;
export const CONNECTIONS = `query($first: Int! = 100, $after: String, $filter: ConnectionFilter) {
  connections(first: $first, after: $after, filter: $filter) { edges { cursor node { ${CONNECTION_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
export const CONNECTION_NODE = `query($id: ID!) { node(id: $id) { id ... on Connection { ${CONNECTION_FIELDS} } } }`;
export const UPDATE_CONTACT_PREFS = `mutation($input: ContactPreferencesInput!) {
  updateContactPreferences(input: $input) { contactPreferences { shareEmail sharePhone handle } } }`;

export const EVENT_FIELDS = `id kind audience title description startsAt endsAt location videoLink groupName myRsvp counts { going maybe } attendees`;
export const CREATE_EVENT = `mutation($input: CreateGroupEventInput!) { createGroupEvent(input: $input) { event { ${EVENT_FIELDS} } } }`;
export const RSVP = `mutation($input: RsvpGroupEventInput!) { rsvpGroupEvent(input: $input) { event { id myRsvp counts { going maybe } } } }`;
export const GROUP_EVENTS = `query($filter: GroupEventFilter, $first: Int! = 100, $after: String) {
  groupEvents(filter: $filter, first: $first, after: $after) { edges { cursor node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
export const EVENT_NODE = `query($id: ID!) { node(id: $id) { id ... on GroupEvent { ${EVENT_FIELDS} } } }`;

// ---- people -------------------------------------------------------------------------------------

/** How the API shows a member: preferred (else given) first name + last initial. */
export const displayName = (m: Member) => `${m.client.givenName} ${m.client.familyName[0]}.`;

/**
 * A fresh clinic with an ACTIVE group (led by the clinic's clinician) whose peer-contact policy
 * is `policy`, and one member per entry of `people`, enrolled and agreement accepted.
 */
export async function groupWith(
  policy: PeerContactPolicy,
  people: Parameters<ClinicFixture['addClient']>[0][] | number,
  options: { clinic?: ClinicFixture } = {},
): Promise<GroupWorld> {
  const clinic = options.clinic ?? (await createClinic('After-group Clinic'));
  const lead = clinic.clinician;
  const group = await createGroup(clinic, lead, 40);
  await setPolicy(clinic, group, policy);
  const list = typeof people === 'number' ? Array.from({ length: people }, () => ({})) : people;
  const members: Member[] = [];
  for (const fields of list) members.push(await enrolNew(clinic, group, fields));
  await activateGroup(clinic, group);
  for (const m of members) await acceptAgreement(m, group);
  return { clinic, group, lead, members };
}

/**
 * A second group of `clinic`, ANYTIME, that `members` also join (agreement accepted): each of
 * them as a member of it, so the pair can connect there whatever the first group allows.
 */
export async function sharedAnytimeGroup(clinic: ClinicFixture, members: Member[]): Promise<{ group: GroupRef; members: Member[] }> {
  const group = await createGroup(clinic, clinic.clinician, 10);
  await setPolicy(clinic, group, 'ANYTIME');
  const joined: Member[] = [];
  for (const m of members) {
    const res = ok(await gql(clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id } } }`, {
      input: { groupId: group.gid, clientId: m.client.gid },
    })).enrollClient.membership;
    joined.push({ ...m, membershipGid: res.id, membershipId: uuidOf(res.id) });
  }
  await activateGroup(clinic, group);
  for (const m of members) await acceptAgreement(m, group);
  return { group, members: joined };
}

export async function setPolicy(clinic: ClinicFixture, group: GroupRef, policy: PeerContactPolicy) {
  const g = ok(
    await gql(clinic.admin.auth, `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { id peerContactPolicy } } }`, {
      input: { id: group.gid, peerContactPolicy: policy },
    }),
  ).updateGroup.group;
  expect(g.peerContactPolicy).toBe(policy);
}

/** Moves the member's membership to `status` (COMPLETED by default) as the clinic admin. */
export async function endMembership(clinic: ClinicFixture, member: Member, status: 'COMPLETED' | 'WITHDRAWN' | 'DISCHARGED' = 'COMPLETED') {
  const m = ok(
    await gql(clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: member.membershipGid, status, reason: 'Finished the programme' } }),
  ).changeMembershipStatus.membership;
  expect(m.status).toBe(status);
}

/** The member opts into the group's alumni directory (ALUMNI_DIRECTORY for the group). */
export const joinDirectory = (member: Member, group: GroupRef) => grantConsent(member.auth, { type: 'ALUMNI_DIRECTORY', groupId: group.gid });

/** The member allows accepted connections to see their contact details (CONTACT_SHARING, clinic-wide). */
export const allowContactSharing = (member: Member) => grantConsent(member.auth, { type: 'CONTACT_SHARING' });

/** Completes the membership and joins the directory: an opted-in alumnus. */
export async function graduate(world: GroupWorld, member: Member): Promise<ConsentRef> {
  await endMembership(world.clinic, member);
  return joinDirectory(member, world.group);
}

export async function setContactPrefs(member: Member, prefs: { shareEmail: boolean; sharePhone: boolean; handle?: string | null }) {
  return ok(await gql(member.auth, UPDATE_CONTACT_PREFS, { input: { handle: null, ...prefs } })).updateContactPreferences.contactPreferences;
}

// ---- connections ----------------------------------------------------------------------------

export const request = (from: Member, to: Member | string, message?: string) =>
  gql(from.auth, REQUEST, { input: { peerMembershipId: typeof to === 'string' ? to : to.membershipGid, ...(message ? { message } : {}) } });

export const respond = (as: Member, connectionId: string, accept: boolean) =>
  gql(as.auth, RESPOND, { input: { connectionId, accept } });

/** `from` asks `to`; returns the connection as `from` sees it. */
export async function requested(from: Member, to: Member, message?: string) {
  return ok(await request(from, to, message)).requestConnection.connection;
}

/** `from` asks, `to` accepts: an ACCEPTED connection's global id. */
export async function connect(from: Member, to: Member): Promise<string> {
  const c = await requested(from, to);
  const accepted = ok(await respond(to, c.id, true)).respondToConnection.connection;
  expect(accepted.status).toBe('ACCEPTED');
  return c.id;
}

/** The viewer's connections list. */
/** A member's whole list (one page of 100), as nodes. */
export const connectionsOf = async (m: Member, filter?: Record<string, unknown>) =>
  ok(await gql(m.auth, CONNECTIONS, { filter })).connections.edges.map((e: { node: unknown }) => e.node);

/** The one connection `id` as `m` sees it in `connections`. */
export async function connectionAs(m: Member, id: string) {
  const found = (await connectionsOf(m)).find((c: any) => c.id === id);
  expect(found).toBeDefined();
  return found;
}

export const connectionRows = (clinicId: string) => ownerQuery(`SELECT * FROM connections WHERE clinic_id = $1 ORDER BY created_at, id`, [clinicId]);

// ---- events -----------------------------------------------------------------------------------

export const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

export async function createEvent(auth: string, group: GroupRef, input: Record<string, unknown> = {}) {
  return ok(
    await gql(auth, CREATE_EVENT, {
      input: { groupId: group.gid, kind: 'OUTING', audience: 'MEMBERS', title: 'Picnic in the park', startsAt: inDays(7), ...input },
    }),
  ).createGroupEvent.event;
}

export const rsvp = (m: Member, eventId: string, response: 'GOING' | 'MAYBE' | 'NOT_GOING') =>
  gql(m.auth, RSVP, { input: { eventId, response } });

export async function rsvped(m: Member, eventId: string, response: 'GOING' | 'MAYBE' | 'NOT_GOING') {
  return ok(await rsvp(m, eventId, response)).rsvpGroupEvent.event;
}

/** The events `auth` gets from `groupEvents`, by id. */
export async function eventsFor(auth: string, group?: GroupRef): Promise<Map<string, any>> {
  const events = ok(await gql(auth, GROUP_EVENTS, { filter: { groupId: group?.gid ?? null } })).groupEvents;
  return new Map(events.edges.map((e: any) => [e.node.id, e.node]));
}

export const eventRows = (clinicId: string) => ownerQuery(`SELECT * FROM group_events WHERE clinic_id = $1 ORDER BY created_at, id`, [clinicId]);
export const rsvpRows = (clinicId: string) =>
  ownerQuery(`SELECT event_id, client_id, response FROM event_rsvps WHERE clinic_id = $1 ORDER BY event_id, client_id`, [clinicId]);

// ---- stored state -----------------------------------------------------------------------------

/**
 * Every row an after-group mutation (or a consent or membership change) could write in a clinic,
 * audit rows excepted (refusals are audited on purpose): a refusal must leave all of it as it was.
 */
export async function afterGroupState(clinicId: string) {
  const [row] = await ownerQuery(
    `SELECT (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM connections x WHERE x.clinic_id = $1) AS connections,
            (SELECT coalesce(json_agg(x ORDER BY x.blocker_client_id, x.blocked_client_id), '[]') FROM member_blocks x WHERE x.clinic_id = $1) AS blocks,
            (SELECT coalesce(json_agg(x ORDER BY x.client_id), '[]') FROM contact_preferences x WHERE x.clinic_id = $1) AS contact_preferences,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM group_events x WHERE x.clinic_id = $1) AS events,
            (SELECT coalesce(json_agg(x ORDER BY x.event_id, x.client_id), '[]') FROM event_rsvps x WHERE x.clinic_id = $1) AS rsvps,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM consent_records x WHERE x.clinic_id = $1) AS consents,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM memberships x WHERE x.clinic_id = $1) AS memberships`,
    [clinicId],
  );
  return row;
}

/**
 * Runs `attempt`, expects exactly the error `code` and no data, and proves that none of the
 * given clinics' after-group, consent or membership rows changed.
 */
export async function expectRefused(code: string, clinicIds: string[], attempt: () => Promise<GqlResult>): Promise<GqlResult> {
  const before = await Promise.all(clinicIds.map(afterGroupState));
  const res = await attempt();
  expectError(res, code);
  expect(res.data ?? null).toBeNull();
  expect(await Promise.all(clinicIds.map(afterGroupState))).toEqual(before);
  return res;
}

/** An error as a client sees it, without the per-request id: two refusals must look the same. */
export const errorShape = (res: GqlResult) =>
  (res.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code, extensions: withoutRequestId(e.extensions ?? {}) }));

function withoutRequestId(ext: Record<string, any>) {
  const { requestId: _r, stacktrace: _s, ...rest } = ext;
  return rest;
}
