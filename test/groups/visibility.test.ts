import { ClientFixture, ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';
import {
  acceptAgreement,
  changeMembershipStatus,
  enrol,
  GroupFixture,
  groupWithMembers,
  MembershipFixture,
  ok,
  UPDATE_GROUP,
} from './group-fixtures';

const MEMBER_FIELDS = `id displayName status statusReason periodStart periodEnd createdAt agreementVersionAccepted agreementAcceptedAt
  waitlistPosition allowedTransitions externalIds { value } events { toStatus reason } group { id }
  client { id givenName familyName email phone }`;
const GROUP_WITH_MEMBERS = `query($id: ID!, $first: Int! = 20) { group(id: $id) { id name
  members(first: $first) { totalCount pageInfo { hasNextPage } edges { cursor node { ${MEMBER_FIELDS} } } } } }`;
const GROUP = `query($id: ID!) { group(id: $id) { id name } }`;
const NODE = `query($id: ID!) { node(id: $id) { id
  ... on TherapyGroup { name }
  ... on Membership { displayName status statusReason periodStart createdAt client { id email phone givenName familyName } events { toStatus } }
  ... on Client { givenName familyName email phone } } }`;
const CLIENT = `query($id: ID!) { client(id: $id) { id givenName familyName email phone memberships { id group { id } } } }`;
const GROUPS = `query($filter: GroupFilter) { groups(first: 50, filter: $filter) { edges { node { id name } } } }`;

type Node = Record<string, any>;
const membersOf = (res: GqlResult): Node[] => ok(res).group.members.edges.map((e: { node: Node }) => e.node);
const groupIds = (res: GqlResult) => ok(res).groups.edges.map((e: { node: { id: string } }) => e.node.id);

/** Proves none of a client's private details appear anywhere in a response body. */
function expectNothingOf(res: GqlResult, client: ClientFixture & { email: string; phone: string }) {
  const body = JSON.stringify(res.body);
  expect(body).not.toContain(client.email);
  expect(body).not.toContain(client.phone);
  expect(body).not.toContain(client.familyName);
  expect(body).not.toContain(client.gid);
}

interface Cohort {
  clinic: ClinicFixture;
  group: GroupFixture;
  other: GroupFixture;
  me: MembershipFixture;
  peer: MembershipFixture;
  peer2: MembershipFixture;
  waiting: MembershipFixture;
  referred: MembershipFixture;
  stranger: MembershipFixture;
  people: Record<'me' | 'peer' | 'peer2' | 'waiting' | 'referred' | 'stranger', ClientFixture & { email: string; phone: string }>;
}

/**
 * An ACTIVE OPEN group of capacity 3 led by the clinic's clinician: me, two ACTIVE peers, one
 * WAITLISTED and one REFERRED client; and another group (led by someone else) with a stranger.
 */
async function cohort(): Promise<Cohort> {
  const clinic = await createClinic();
  const person = async (givenName: string, familyName: string, preferredName: string | null, phone: string) => {
    const email = `${givenName.toLowerCase()}.${familyName.toLowerCase()}@private.test`;
    const c = await clinic.addClient({ givenName, familyName, preferredName, email, phone });
    return { ...c, email, phone };
  };
  const people = {
    me: await person('Margaret', 'Quill', 'Meg', '+15550100001'),
    peer: await person('Robert', 'Vanterpool', 'Bobby', '+15550100002'),
    peer2: await person('Caroline', 'Oyelaran', null, '+15550100003'),
    waiting: await person('Desmond', 'Harrowgate', null, '+15550100004'),
    referred: await person('Eleanor', 'Brightwater', null, '+15550100005'),
    stranger: await person('Franklin', 'Ashcombe', null, '+15550100006'),
  };
  const { group } = await groupWithMembers(clinic, {
    format: 'OPEN',
    capacity: 3,
    name: 'Tuesday Group',
    scheduleDescription: 'Tuesdays 6pm',
    location: 'Room 9',
    videoLink: 'https://video.example/tue',
    agreementText: 'v1',
    externalIds: [{ system: 'urn:ehr', value: 'TUE' }],
  });
  const me = await enrol(clinic, group, people.me);
  const peer = await enrol(clinic, group, people.peer);
  const peer2 = await enrol(clinic, group, people.peer2);
  const waiting = await enrol(clinic, group, people.waiting);
  const referred = await enrol(clinic, group, people.referred, { initialStatus: 'REFERRED' });
  expect([me, peer, peer2, waiting, referred].map((m) => m.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE', 'WAITLISTED', 'REFERRED']);
  const otherLead = await clinic.addStaff('CLINICIAN');
  const { group: other } = await groupWithMembers(clinic, { lead: otherLead, name: 'Thursday Group' });
  const stranger = await enrol(clinic, other, people.stranger);
  return { clinic, group, other, me, peer, peer2, waiting, referred, stranger, people };
}

describe('what a member sees of groups', () => {
  it('lists only the groups the member belongs to; any other group answers NOT_FOUND through group(id:) and node(id:)', async () => {
    const { group, other, people } = await cohort();
    const me = people.me;
    expect(groupIds(await gql(me.auth, GROUPS))).toEqual([group.gid]);
    expect(groupIds(await gql(me.auth, GROUPS, { filter: { search: 'Thursday' } }))).toEqual([]);
    expect(ok(await gql(me.auth, GROUP, { id: group.gid })).group.name).toBe('Tuesday Group');
    expectError(await gql(me.auth, GROUP, { id: other.gid }), 'NOT_FOUND');
    expectError(await gql(me.auth, NODE, { id: other.gid }), 'NOT_FOUND');
    // a client with no membership sees no groups at all
    const { clinic } = await cohort();
    const loner = await clinic.addClient();
    expect(groupIds(await gql(loner.auth, GROUPS))).toEqual([]);
  });

  it('shows a member, before they accept the group agreement, only their own membership', async () => {
    const { group, me, people } = await cohort();
    const res = await gql(me.client.auth, GROUP_WITH_MEMBERS, { id: group.gid });
    const members = membersOf(res);
    expect(members.map((m) => m.id)).toEqual([me.gid]);
    expect(members[0]).toMatchObject({ displayName: 'Meg Q.', status: 'ACTIVE', client: { id: people.me.gid, email: people.me.email } });
    expect(ok(res).group.members.totalCount).toBeNull();
    for (const p of [people.peer, people.peer2, people.waiting, people.referred]) expectNothingOf(res, p);
    expect(JSON.stringify(res.body)).not.toContain('Bobby');
  });

  it('hides a peer\'s membership from node(id:) until the member accepts the agreement', async () => {
    const { group, peer, people } = await cohort();
    const before = await gql(people.me.auth, NODE, { id: peer.gid });
    expectError(before, 'NOT_FOUND');
    expectNothingOf(before, people.peer);
    await acceptAgreement(group, people.me);
    expect(ok(await gql(people.me.auth, NODE, { id: peer.gid })).node).toMatchObject({ displayName: 'Bobby V.', client: null });
  });

  it('ignores a member\'s status filter on members: WAITLISTED and REFERRED peers stay hidden', async () => {
    const { group, me, peer, peer2, people } = await cohort();
    await acceptAgreement(group, people.me);
    const query = `query($id: ID!, $status: [MembershipStatus!]) { group(id: $id) { members(status: $status) { totalCount edges { node { id displayName } } } } }`;
    for (const status of [['WAITLISTED'], ['REFERRED', 'WAITLISTED', 'COMPLETED']]) {
      const res = await gql(people.me.auth, query, { id: group.gid, status });
      expect(ok(res).group.members.totalCount).toBeNull();
      expect(membersOf(res).map((m) => m.id)).toEqual([me.gid, peer.gid, peer2.gid]);
      for (const p of [people.waiting, people.referred]) expectNothingOf(res, p);
    }
  });

  it('shows a member who has not accepted only themself even when others enrolled before them fill the first page', async () => {
    const { group, peer2 } = await cohort();
    // peer2 enrolled third; the first page of one holds someone else
    const res = await gql(peer2.client.auth, GROUP_WITH_MEMBERS, { id: group.gid, first: 1 });
    expect(membersOf(res).map((m) => m.id)).toEqual([peer2.gid]);
  });

  it('after the member accepts the agreement, shows ACTIVE peers by display name and status only', async () => {
    const { group, me, peer, peer2, people } = await cohort();
    await acceptAgreement(group, people.me);
    const res = await gql(me.client.auth, GROUP_WITH_MEMBERS, { id: group.gid });
    const members = membersOf(res);
    expect(members.map((m) => m.id)).toEqual([me.gid, peer.gid, peer2.gid]);

    const nulls = {
      statusReason: null,
      periodStart: null,
      periodEnd: null,
      createdAt: null,
      agreementVersionAccepted: null,
      agreementAcceptedAt: null,
      waitlistPosition: null,
      allowedTransitions: null,
      externalIds: null,
      events: null,
      client: null,
    };
    expect(members[1]).toEqual({ id: peer.gid, displayName: 'Bobby V.', status: 'ACTIVE', group: { id: group.gid }, ...nulls });
    expect(members[2]).toEqual({ id: peer2.gid, displayName: 'Caroline O.', status: 'ACTIVE', group: { id: group.gid }, ...nulls });
    // the member's own membership stays theirs in full (minus staff-only history)
    expect(members[0]).toMatchObject({ displayName: 'Meg Q.', agreementVersionAccepted: 1, client: { id: people.me.gid }, events: null });
    expect(ok(res).group.members.totalCount).toBeNull();

    for (const p of [people.peer, people.peer2, people.waiting, people.referred, people.stranger]) expectNothingOf(res, p);
    expect(JSON.stringify(res.body)).not.toContain('Desmond');
    expect(JSON.stringify(res.body)).not.toContain('Eleanor');
    // reading peers does not release (or audit) any peer's client record
    const audited = await ownerQuery(`SELECT 1 FROM audit_events WHERE request_id = $1 AND subject_client_id = ANY($2)`, [
      res.body.extensions!.requestId,
      [people.peer.id, people.peer2.id],
    ]);
    expect(audited).toHaveLength(0);
  });

  it('does not reveal when a peer enrolled through the members cursor', async () => {
    const { group, peer, people } = await cohort();
    await acceptAgreement(group, people.me);
    const res = await gql(people.me.auth, GROUP_WITH_MEMBERS, { id: group.gid });
    const edge = ok(res).group.members.edges.find((e: { node: { id: string } }) => e.node.id === peer.gid);
    const [stored] = await ownerQuery<{ created: string; day: string }>(
      `SELECT created_at::text AS created, to_char(created_at, 'YYYY-MM-DD') AS day FROM memberships WHERE id = $1`,
      [peer.id],
    );
    const decoded = Buffer.from(edge.cursor, 'base64url').toString('utf8');
    expect(decoded).not.toContain(stored.created);
    expect(decoded).not.toContain(stored.day);
  });

  it('keeps a peer\'s email, phone and legal name unreachable through node(id:) and client(id:)', async () => {
    const { group, peer, waiting, stranger, people } = await cohort();
    await acceptAgreement(group, people.me);
    const me = people.me;

    // the peer's membership by id: the same redacted copy as in the roster
    const viaMembership = await gql(me.auth, NODE, { id: peer.gid });
    expect(ok(viaMembership).node).toEqual({
      id: peer.gid,
      displayName: 'Bobby V.',
      status: 'ACTIVE',
      statusReason: null,
      periodStart: null,
      createdAt: null,
      client: null,
      events: null,
    });
    expectNothingOf(viaMembership, people.peer);

    // hidden memberships are not there at all
    for (const m of [waiting, stranger]) expectError(await gql(me.auth, NODE, { id: m.gid }), 'NOT_FOUND');

    // the peer's client record by id, directly or as a node
    for (const p of [people.peer, people.waiting, people.stranger]) {
      for (const query of [CLIENT, NODE]) {
        const res = await gql(me.auth, query, { id: p.gid });
        expectError(res, 'NOT_FOUND');
        expectNothingOf(res, p);
      }
    }
    // client lists and external-id lookups are not for members at all
    expectError(await gql(me.auth, `{ clients(first: 100) { edges { node { id email } } } }`), 'FORBIDDEN');
    expectError(await gql(me.auth, `{ clientByExternalId(identifier: { system: "urn:ehr", value: "x" }) { id } }`), 'FORBIDDEN');
    // the member's own record is theirs, and lists only their own memberships
    const own = ok(await gql(me.auth, CLIENT, { id: me.gid })).client;
    expect(own).toMatchObject({ email: me.email, memberships: [{ group: { id: group.gid } }] });
  });

  it('keeps peers\' details out of every nested path: viewer → client → memberships → group → members, facilitators → group → members', async () => {
    const { group, people } = await cohort();
    await acceptAgreement(group, people.me);
    const nested = `{
      viewer { client { memberships { group { members { edges { node { displayName client { email phone familyName } } } } } } } }
      groups { edges { node { facilitators { group { members { edges { node { displayName client { email phone familyName } } } } } } } } }
    }`;
    const res = await gql(people.me.auth, nested);
    expect(res.errors).toBeUndefined();
    const viaViewer = res.data.viewer.client.memberships[0].group.members.edges.map((e: { node: Node }) => e.node);
    expect(viaViewer).toEqual([
      { displayName: 'Meg Q.', client: { email: people.me.email, phone: people.me.phone, familyName: 'Quill' } },
      { displayName: 'Bobby V.', client: null },
      { displayName: 'Caroline O.', client: null },
    ]);
    for (const p of [people.peer, people.peer2, people.waiting, people.referred, people.stranger]) expectNothingOf(res, p);
  });

  it('hides peers again when the agreement changes, until the member accepts the new version', async () => {
    const { clinic, group, me, people } = await cohort();
    await acceptAgreement(group, people.me);
    expect(membersOf(await gql(me.client.auth, GROUP_WITH_MEMBERS, { id: group.gid }))).toHaveLength(3);

    ok(await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, agreementText: 'v2: new rules' } }));
    const hidden = await gql(me.client.auth, GROUP_WITH_MEMBERS, { id: group.gid });
    expect(membersOf(hidden).map((m) => m.id)).toEqual([me.gid]);
    expectNothingOf(hidden, people.peer);

    const accepted = await acceptAgreement(group, people.me);
    expect(accepted.agreementVersionAccepted).toBe(2);
    expect(membersOf(await gql(me.client.auth, GROUP_WITH_MEMBERS, { id: group.gid }))).toHaveLength(3);
  });

  it('stops showing peers to a member whose membership ended', async () => {
    const { group, me, peer, people } = await cohort();
    await acceptAgreement(group, people.me);
    for (const status of ['COMPLETED', 'WITHDRAWN', 'DISCHARGED']) {
      await ownerQuery(`UPDATE memberships SET status = $2, period_end = current_date WHERE id = $1`, [me.id, status]);
      const res = await gql(me.client.auth, GROUP_WITH_MEMBERS, { id: group.gid });
      expect(membersOf(res).map((m) => m.id)).toEqual([me.gid]);
      for (const p of [people.peer, people.peer2]) expectNothingOf(res, p);
      expectError(await gql(me.client.auth, NODE, { id: peer.gid }), 'NOT_FOUND');
    }
  });

  it('shows a member who is ON_HOLD and has accepted the agreement both themself and their ACTIVE peers', async () => {
    const { clinic, group, me, peer, peer2, people } = await cohort();
    await acceptAgreement(group, people.me);
    await changeMembershipStatus(clinic, me, 'ON_HOLD', 'travelling');
    const res = await gql(me.client.auth, GROUP_WITH_MEMBERS, { id: group.gid });
    expect(membersOf(res).map((m) => [m.id, m.status])).toEqual([
      [me.gid, 'ON_HOLD'],
      [peer.gid, 'ACTIVE'],
      [peer2.gid, 'ACTIVE'],
    ]);
  });

  it('stops giving a former member the group\'s video link and location', async () => {
    const { group, me, people } = await cohort();
    const query = `query($id: ID!) { group(id: $id) { name videoLink location } }`;
    expect(ok(await gql(me.client.auth, query, { id: group.gid })).group.videoLink).toBe('https://video.example/tue');
    await ownerQuery(`UPDATE memberships SET status = 'DISCHARGED', period_end = current_date WHERE id = $1`, [me.id]);
    const res = await gql(people.me.auth, query, { id: group.gid });
    expect(JSON.stringify(res.body)).not.toContain('https://video.example/tue');
    expect(JSON.stringify(res.body)).not.toContain('Room 9');
  });

  it('shows no peers to a member who is waitlisted, even after accepting the agreement', async () => {
    const { group, waiting, people } = await cohort();
    await acceptAgreement(group, people.waiting);
    const res = await gql(people.waiting.auth, GROUP_WITH_MEMBERS, { id: group.gid });
    expect(membersOf(res).map((m) => m.id)).toEqual([waiting.gid]);
    expect(membersOf(res)[0]).toMatchObject({ status: 'WAITLISTED', waitlistPosition: 1 });
    for (const p of [people.me, people.peer, people.peer2]) expectNothingOf(res, p);
  });
});

describe('what staff see', () => {
  const FULL_GROUP = `query($id: ID!) { group(id: $id) { id name scheduleDescription location videoLink agreementText
    externalIds { value } members { totalCount edges { node { id client { id email } } } } } }`;

  it('shows a clinician who does not facilitate a group its name and schedule only, and none of its members\' records', async () => {
    const { clinic, group, me, peer, people } = await cohort();
    const outsider = await clinic.addStaff('CLINICIAN');

    const res = await gql(outsider.auth, FULL_GROUP, { id: group.gid });
    expect(ok(res).group).toEqual({
      id: group.gid,
      name: 'Tuesday Group',
      scheduleDescription: 'Tuesdays 6pm',
      location: null,
      videoLink: null,
      agreementText: null,
      externalIds: null,
      members: null,
    });
    expect(groupIds(await gql(outsider.auth, GROUPS))).toContain(group.gid);
    for (const p of [people.me, people.peer]) {
      expectError(await gql(outsider.auth, CLIENT, { id: p.gid }), 'NOT_FOUND');
      expectError(await gql(outsider.auth, NODE, { id: p.gid }), 'NOT_FOUND');
    }
    for (const m of [me, peer]) expectError(await gql(outsider.auth, NODE, { id: m.gid }), 'NOT_FOUND');
    const list = ok(await gql(outsider.auth, `{ clients(first: 100) { edges { node { id } } } }`)).clients.edges;
    expect(list).toEqual([]);
    const viaFacilitators = await gql(outsider.auth, `{ groups { edges { node { facilitators { group { members { totalCount } } } } } } }`);
    expect(JSON.stringify(viaFacilitators.body)).not.toMatch(/"totalCount":\d/);
  });

  it('shows the facilitating clinician the full roster and their group\'s clients, but not other groups\' clients', async () => {
    const { clinic, group, other, people } = await cohort();
    const res = await gql(clinic.clinician.auth, FULL_GROUP, { id: group.gid });
    const g = ok(res).group;
    expect(g).toMatchObject({ location: 'Room 9', videoLink: 'https://video.example/tue', agreementText: 'v1', externalIds: [{ value: 'TUE' }] });
    expect(g.members.totalCount).toBe(5);
    expect(g.members.edges.map((e: { node: Node }) => e.node.client.email)).toEqual(
      [people.me, people.peer, people.peer2, people.waiting, people.referred].map((p) => p.email),
    );
    expect(ok(await gql(clinic.clinician.auth, CLIENT, { id: people.waiting.gid })).client.email).toBe(people.waiting.email);

    const clients = ok(await gql(clinic.clinician.auth, `{ clients(first: 100) { edges { node { id } } } }`)).clients.edges.map((e: { node: Node }) => e.node.id);
    expect(clients.sort()).toEqual([people.me, people.peer, people.peer2, people.waiting, people.referred].map((p) => p.gid).sort());
    expectError(await gql(clinic.clinician.auth, CLIENT, { id: people.stranger.gid }), 'NOT_FOUND');
    expect(ok(await gql(clinic.clinician.auth, FULL_GROUP, { id: other.gid })).group.members).toBeNull();
  });

  it('lists, on a client shared by two groups, only the memberships of groups the clinician facilitates', async () => {
    const { clinic, group, other, me, people } = await cohort();
    // `me` also joins the other group, led by someone else
    await enrol(clinic, other, people.me);
    const memberships = ok(await gql(clinic.clinician.auth, CLIENT, { id: people.me.gid })).client.memberships;
    expect(memberships).toEqual([{ id: me.gid, group: { id: group.gid } }]);
    // while the admin sees both
    expect(ok(await gql(clinic.admin.auth, CLIENT, { id: people.me.gid })).client.memberships).toHaveLength(2);
  });

  it('shows supervisors and admins every group\'s full roster', async () => {
    const { clinic, group, other, people } = await cohort();
    for (const staff of [clinic.supervisor, clinic.admin]) {
      expect(ok(await gql(staff.auth, FULL_GROUP, { id: group.gid })).group.members.totalCount).toBe(5);
      const o = ok(await gql(staff.auth, FULL_GROUP, { id: other.gid })).group;
      expect(o.members.edges.map((e: { node: Node }) => e.node.client.email)).toEqual([people.stranger.email]);
      expect(ok(await gql(staff.auth, CLIENT, { id: people.stranger.gid })).client.email).toBe(people.stranger.email);
    }
  });
});

describe('what integrations see', () => {
  it('shows an integration with roster:read every group and membership with its client', async () => {
    const { clinic, group, other, peer, people } = await cohort();
    const key = await clinic.addApiKey(['roster:read']);
    expect(groupIds(await gql(key.auth, GROUPS)).sort()).toEqual([group.gid, other.gid].sort());
    const g = ok(await gql(key.auth, GROUP_WITH_MEMBERS, { id: group.gid })).group;
    expect(g.members.totalCount).toBe(5);
    expect(g.members.edges[1].node).toMatchObject({ id: peer.gid, client: { email: people.peer.email }, events: [{ toStatus: 'ACTIVE' }] });
    expect(ok(await gql(key.auth, NODE, { id: peer.gid })).node.client.email).toBe(people.peer.email);
  });

  it('shows an integration without roster scopes nothing of groups', async () => {
    const { clinic, group, peer } = await cohort();
    const key = await clinic.addApiKey(['goals:read']);
    expectError(await gql(key.auth, GROUPS), 'FORBIDDEN');
    expectError(await gql(key.auth, GROUP, { id: group.gid }), 'FORBIDDEN');
    expectError(await gql(key.auth, NODE, { id: group.gid }), 'NOT_FOUND');
    expectError(await gql(key.auth, NODE, { id: peer.gid }), 'NOT_FOUND');
  });
});

describe('auditing roster reads', () => {
  it('writes a READ audit row for each client whose record is read through a roster', async () => {
    const { clinic, group, people } = await cohort();
    const res = await gql(clinic.supervisor.auth, `query($id: ID!) { group(id: $id) { members { edges { node { client { email } } } } } }`, {
      id: group.gid,
    });
    expect(res.errors).toBeUndefined();
    const rows = await ownerQuery<{ subject_client_id: string; resource_type: string; actor_id: string; action: string }>(
      `SELECT action, resource_type, subject_client_id, actor_id FROM audit_events WHERE request_id = $1 AND resource_type = 'Client' ORDER BY subject_client_id`,
      [res.body.extensions!.requestId],
    );
    const expected = [people.me, people.peer, people.peer2, people.waiting, people.referred].map((p) => p.id).sort();
    expect(rows.map((r) => r.subject_client_id)).toEqual(expected);
    expect(rows.every((r) => r.action === 'READ' && r.actor_id === clinic.supervisor.id)).toBe(true);
    expect(rows.map((r) => r.subject_client_id)).not.toContain(people.stranger.id);
  });
});
