import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { archiveLeavingMembershipsOpen, ClientFixture, ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import {
  ACCEPT_AGREEMENT,
  CHANGE_MEMBERSHIP_STATUS,
  changeGroupStatus,
  changeMembershipStatus,
  createGroup,
  enrol,
  ENROLL,
  eventRowsOf,
  expectRefused,
  GroupFixture,
  groupWithMembers,
  MembershipFixture,
  membershipRow,
  membershipRowsOf,
  ok,
  statusCounts,
  UPDATE_GROUP,
  uuidOf,
} from './group-fixtures';

const MEMBERSHIP = `query($id: ID!) { node(id: $id) { ... on Membership { status waitlistPosition statusReason events { fromStatus toStatus reason actorType } } } }`;

const enrolAs = (auth: string, group: GroupFixture, client: ClientFixture, extra: Record<string, unknown> = {}) =>
  gql(auth, ENROLL, { input: { groupId: group.gid, clientId: client.gid, ...extra } });
const changeAs = (auth: string, membership: MembershipFixture, status: string, reason: string | undefined = 'because') =>
  gql(auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: membership.gid, status, reason } });
const membershipNode = async (clinic: ClinicFixture, m: MembershipFixture) => ok(await gql(clinic.admin.auth, MEMBERSHIP, { id: m.gid })).node;
const waitlisted = (groupId: string) =>
  ownerQuery<{ client_id: string }>(`SELECT client_id FROM memberships WHERE group_id = $1 AND status = 'WAITLISTED' ORDER BY waitlisted_at, id`, [groupId]);

describe('enrolling clients', () => {
  it('seats clients while seats are free, then waitlists them in order with positions 1, 2', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic, { capacity: 2, format: 'OPEN' });
    const other = await createGroup(clinic, { capacity: 2 });
    const clients = [await clinic.addClient(), await clinic.addClient(), await clinic.addClient(), await clinic.addClient()];

    const answers = [];
    for (const client of clients) answers.push(ok(await enrolAs(clinic.admin.auth, group, client)).enrollClient.membership);
    expect(answers.map((m) => [m.status, m.waitlistPosition])).toEqual([
      ['ACTIVE', null],
      ['ACTIVE', null],
      ['WAITLISTED', 1],
      ['WAITLISTED', 2],
    ]);
    expect(answers[0]).toMatchObject({ client: { id: clients[0].gid }, group: { id: group.gid }, displayName: expect.any(String), periodStart: expect.any(String) });
    // Session 14: why the group waitlisted them is kept on the membership (it was null).
    expect(answers[2]).toMatchObject({ statusReason: 'Group full: waitlisted', periodStart: null, allowedTransitions: ['ACTIVE', 'WITHDRAWN'] });

    const rows = await membershipRowsOf(group.id);
    expect(rows.map((r) => [r.client_id, r.status, r.clinic_id])).toEqual(clients.map((c, i) => [c.id, i < 2 ? 'ACTIVE' : 'WAITLISTED', clinic.id]));
    expect(rows[0].period_start).not.toBeNull();
    expect(rows[0].waitlisted_at).toBeNull();
    expect(rows[2].waitlisted_at).not.toBeNull();
    expect(await eventRowsOf(rows[0].id)).toEqual([{ from_status: null, to_status: 'ACTIVE', reason: null, actor_type: 'STAFF', actor_id: clinic.admin.id }]);
    expect(await eventRowsOf(rows[3].id)).toEqual([
      { from_status: null, to_status: 'WAITLISTED', reason: 'Group full: waitlisted', actor_type: 'STAFF', actor_id: clinic.admin.id },
    ]);
    expect(await membershipRowsOf(other.id)).toEqual([]);

    const counts = ok(await gql(clinic.admin.auth, `query($id: ID!) { group(id: $id) { activeMemberCount openSeats waitlistCount } }`, { id: group.gid }));
    expect(counts.group).toEqual({ activeMemberCount: 2, openSeats: 0, waitlistCount: 2 });
  });

  it('starts a membership earlier in the pipeline when asked (REFERRED, SCREENING) and refuses other initial statuses', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const referred = ok(await enrolAs(clinic.admin.auth, group, await clinic.addClient(), { initialStatus: 'REFERRED', reason: 'GP referral' }))
      .enrollClient.membership;
    expect(referred).toMatchObject({ status: 'REFERRED', statusReason: 'GP referral', periodStart: null });
    expect(await eventRowsOf(uuidOf(referred.id))).toEqual([expect.objectContaining({ from_status: null, to_status: 'REFERRED', reason: 'GP referral' })]);

    for (const initialStatus of ['ON_HOLD', 'COMPLETED', 'WITHDRAWN', 'DISCHARGED']) {
      const client = await clinic.addClient();
      await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () => enrolAs(clinic.admin.auth, group, client, { initialStatus }));
    }
  });

  it('answers CONFLICT when the client already has an open membership in the group, storing nothing; after it ends they may re-enrol', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic, { capacity: 1 });
    const seated = await enrol(clinic, group, await clinic.addClient());
    const waiting = await enrol(clinic, group, await clinic.addClient());
    const referred = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'REFERRED' });
    expect([seated.status, waiting.status, referred.status]).toEqual(['ACTIVE', 'WAITLISTED', 'REFERRED']);

    for (const m of [seated, waiting, referred]) {
      const res = await expectRefused(clinic, neighbour, 'CONFLICT', () => enrolAs(clinic.admin.auth, group, m.client));
      expect(res.errors![0].extensions).toMatchObject({ reason: 'ALREADY_ENROLLED' });
    }

    await changeMembershipStatus(clinic, referred, 'WITHDRAWN', 'moved away');
    const again = ok(await enrolAs(clinic.admin.auth, group, referred.client, { initialStatus: 'REFERRED' })).enrollClient.membership;
    expect(again.status).toBe('REFERRED');
    expect((await membershipRowsOf(group.id)).filter((r) => r.client_id === referred.client.id).map((r) => r.status)).toEqual(['WITHDRAWN', 'REFERRED']);
  });

  it('lets a CLOSED group enrol while FORMING but refuses new members with CONFLICT once ACTIVE', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group } = await groupWithMembers(clinic, { format: 'CLOSED', capacity: 6, members: 2, activate: false });
    expect(await statusCounts(group.id)).toEqual({ ACTIVE: 2 });
    await changeGroupStatus(clinic, group, 'ACTIVE');

    const latecomer = await clinic.addClient();
    for (const initialStatus of [undefined, 'REFERRED', 'WAITLISTED']) {
      const res = await expectRefused(clinic, neighbour, 'CONFLICT', () => enrolAs(clinic.admin.auth, group, latecomer, { initialStatus }));
      expect(res.errors![0].extensions).toMatchObject({ reason: 'GROUP_CLOSED' });
    }
    // an OPEN group keeps enrolling while ACTIVE
    const { group: open } = await groupWithMembers(clinic, { format: 'OPEN', capacity: 6, members: 1 });
    expect(ok(await enrolAs(clinic.admin.auth, open, latecomer)).enrollClient.membership.status).toBe('ACTIVE');
  });

  it('refuses enrolment into a CONCLUDED or ARCHIVED group with CONFLICT', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group } = await groupWithMembers(clinic, { format: 'OPEN', members: 0 });
    const client = await clinic.addClient();
    for (const status of ['CONCLUDED', 'ARCHIVED']) {
      await changeGroupStatus(clinic, group, status);
      await expectRefused(clinic, neighbour, 'CONFLICT', () => enrolAs(clinic.admin.auth, group, client));
    }
  });

  it('answers NOT_FOUND for another clinic\'s client or group (or ids that do not exist), storing nothing in either clinic', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const client = await clinic.addClient();
    const theirGroup = await createGroup(neighbour);
    const theirClient = await neighbour.addClient();

    const attempts: [string, string][] = [
      [group.gid, theirClient.gid],
      [theirGroup.gid, client.gid],
      [theirGroup.gid, theirClient.gid],
      [group.gid, toGlobalId('Client', randomUUID())],
      [toGlobalId('TherapyGroup', randomUUID()), client.gid],
      [group.gid, toGlobalId('StaffMember', clinic.clinician.id)],
    ];
    for (const [groupId, clientId] of attempts) {
      await expectRefused(clinic, neighbour, 'NOT_FOUND', () => gql(clinic.admin.auth, ENROLL, { input: { groupId, clientId } }));
    }
    expect(await ownerQuery(`SELECT 1 FROM memberships WHERE clinic_id IN ($1, $2)`, [clinic.id, neighbour.id])).toHaveLength(0);
  });
});

describe('who may enrol', () => {
  it('lets an integration with roster:write enrol and change statuses, recorded with the key as actor', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic);
    const key = await clinic.addApiKey(['roster:write']);
    const m = ok(await enrolAs(key.auth, group, await clinic.addClient())).enrollClient.membership;
    expect(m.status).toBe('ACTIVE');
    const changed = ok(await gql(key.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: m.id, status: 'ON_HOLD', reason: 'EHR sync' } }));
    expect(changed.changeMembershipStatus.membership.status).toBe('ON_HOLD');
    expect(await eventRowsOf(uuidOf(m.id))).toEqual([
      { from_status: null, to_status: 'ACTIVE', reason: null, actor_type: 'INTEGRATION', actor_id: key.id },
      { from_status: 'ACTIVE', to_status: 'ON_HOLD', reason: 'EHR sync', actor_type: 'INTEGRATION', actor_id: key.id },
    ]);
  });

  it('refuses an integration with roster:read only, and members, with FORBIDDEN, storing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 1 });
    const reader = await clinic.addApiKey(['roster:read', 'goals:read']);
    const client = await clinic.addClient();
    for (const auth of [reader.auth, client.auth, members[0].client.auth]) {
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => enrolAs(auth, group, client));
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => changeAs(auth, members[0], 'WITHDRAWN'));
    }
  });

  it('refuses a clinician who does not facilitate the group (FORBIDDEN to enrol, NOT_FOUND for its memberships), storing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const outsider = await clinic.addStaff('CLINICIAN');
    const { group, members } = await groupWithMembers(clinic, { members: 1 });
    // the outsider facilitates another group the client is also in, so the client itself is known to them
    const { group: theirs } = await groupWithMembers(clinic, { lead: outsider, members: 0 });
    await enrol(clinic, theirs, members[0].client);
    const stranger = await clinic.addClient();
    await enrol(clinic, theirs, stranger);

    await expectRefused(clinic, neighbour, 'FORBIDDEN', () => enrolAs(outsider.auth, group, stranger));
    await expectRefused(clinic, neighbour, 'NOT_FOUND', () => changeAs(outsider.auth, members[0], 'DISCHARGED'));
  });

  it('does not let a facilitating clinician enrol a client whose record they cannot read (NOT_FOUND), so enrolment opens no path to it', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group } = await groupWithMembers(clinic, { members: 1 });
    const unknown = await clinic.addClient();
    await expectRefused(clinic, neighbour, 'NOT_FOUND', () => enrolAs(clinic.clinician.auth, group, unknown));
    expectError(await gql(clinic.clinician.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: unknown.gid }), 'NOT_FOUND');
  });

  it('lets the group\'s facilitating clinician and a supervisor enrol and change statuses', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 1 });
    const client = await clinic.addClient();
    // admin refers the client first so the facilitator can see them; the facilitator then seats them
    const referred = await enrol(clinic, group, client, { initialStatus: 'REFERRED' });
    ok(await changeAs(clinic.clinician.auth, referred, 'SCREENING', 'intake booked'));
    ok(await changeAs(clinic.supervisor.auth, referred, 'ACTIVE', 'screened in'));
    const other = await clinic.addClient();
    expect(ok(await enrolAs(clinic.supervisor.auth, group, other)).enrollClient.membership.status).toBe('ACTIVE');
    expect((await eventRowsOf(referred.id)).map((e) => [e.to_status, e.actor_id])).toEqual([
      ['REFERRED', clinic.admin.id],
      ['SCREENING', clinic.clinician.id],
      ['ACTIVE', clinic.supervisor.id],
    ]);
    expect(members).toHaveLength(1);
  });
});

describe('membership status changes', () => {
  it('moves along the state machine with a reason each time, recording every MembershipEvent', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic, { capacity: 3 });
    const bystander = await enrol(clinic, group, await clinic.addClient());
    const bystanderBefore = await membershipRow(bystander.id);
    const m = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'REFERRED', reason: 'self-referral' });

    const steps: [string, string][] = [
      ['SCREENING', 'intake call booked'],
      ['ACTIVE', 'screened in'],
      ['ON_HOLD', 'surgery'],
      ['ACTIVE', 'back'],
      ['COMPLETED', 'finished all sessions'],
    ];
    for (const [status, reason] of steps) {
      const res = ok(await changeAs(clinic.admin.auth, m, status, `  ${reason}  `)).changeMembershipStatus.membership;
      expect(res).toMatchObject({ status, statusReason: reason });
      expect(await membershipRow(m.id)).toMatchObject({ status, status_reason: reason });
    }
    const row = await membershipRow(m.id);
    expect(row.period_start).not.toBeNull();
    expect(row.period_end).not.toBeNull();

    const expected = [
      { from_status: null, to_status: 'REFERRED', reason: 'self-referral' },
      { from_status: 'REFERRED', to_status: 'SCREENING', reason: 'intake call booked' },
      { from_status: 'SCREENING', to_status: 'ACTIVE', reason: 'screened in' },
      { from_status: 'ACTIVE', to_status: 'ON_HOLD', reason: 'surgery' },
      { from_status: 'ON_HOLD', to_status: 'ACTIVE', reason: 'back' },
      { from_status: 'ACTIVE', to_status: 'COMPLETED', reason: 'finished all sessions' },
    ];
    expect(await eventRowsOf(m.id)).toEqual(expected.map((e) => ({ ...e, actor_type: 'STAFF', actor_id: clinic.admin.id })));
    expect((await membershipNode(clinic, m)).events).toEqual(
      expected.map((e) => ({ fromStatus: e.from_status, toStatus: e.to_status, reason: e.reason, actorType: 'STAFF' })),
    );
    expect(await membershipRow(bystander.id)).toEqual(bystanderBefore);
    expect(await eventRowsOf(bystander.id)).toHaveLength(1);
  });

  it.each([
    ['REFERRED', 'ACTIVE', ['SCREENING', 'WITHDRAWN']],
    ['REFERRED', 'COMPLETED', ['SCREENING', 'WITHDRAWN']],
    ['WAITLISTED', 'ON_HOLD', ['ACTIVE', 'WITHDRAWN']],
    ['ACTIVE', 'REFERRED', ['ON_HOLD', 'COMPLETED', 'WITHDRAWN', 'DISCHARGED']],
    ['ACTIVE', 'ACTIVE', ['ON_HOLD', 'COMPLETED', 'WITHDRAWN', 'DISCHARGED']],
    ['ON_HOLD', 'WAITLISTED', ['ACTIVE', 'COMPLETED', 'WITHDRAWN', 'DISCHARGED']],
  ])('refuses %s → %s with CONFLICT naming the allowed transitions, changing nothing', async (from, to, allowed) => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic, { capacity: 5 });
    const initialStatus = from === 'ON_HOLD' ? 'ACTIVE' : from;
    const m = await enrol(clinic, group, await clinic.addClient(), { initialStatus });
    if (from === 'ON_HOLD') await changeMembershipStatus(clinic, m, 'ON_HOLD');
    const res = await expectRefused(clinic, neighbour, 'CONFLICT', () => changeAs(clinic.admin.auth, m, to));
    expect(res.errors![0].extensions).toMatchObject({ from, to, allowedTransitions: allowed });
  });

  it('refuses any move out of an ended membership with CONFLICT and no allowed transitions', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic, { capacity: 5 });
    const m = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'REFERRED' });
    await changeMembershipStatus(clinic, m, 'WITHDRAWN', 'declined');
    for (const to of ['ACTIVE', 'REFERRED', 'COMPLETED']) {
      const res = await expectRefused(clinic, neighbour, 'CONFLICT', () => changeAs(clinic.admin.auth, m, to));
      expect(res.errors![0].extensions).toMatchObject({ from: 'WITHDRAWN', allowedTransitions: [] });
    }
  });

  it('requires a reason: missing is a validation error, empty, blank or over 500 characters is BAD_USER_INPUT; nothing changes', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const m = await enrol(clinic, group, await clinic.addClient());

    const literal = await expectRefused(clinic, neighbour, 'GRAPHQL_VALIDATION_FAILED', () =>
      gql(clinic.admin.auth, `mutation($id: ID!) { changeMembershipStatus(input: { membershipId: $id, status: ON_HOLD }) { membership { id } } }`, {
        id: m.gid,
      }),
    );
    expect(literal.errors![0].message).toMatch(/reason/);
    const viaVariables = await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () =>
      gql(clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: m.gid, status: 'ON_HOLD' } }),
    );
    expect(viaVariables.errors![0].message).toMatch(/reason/);
    for (const reason of ['', '   ', 'r'.repeat(501), 'a\u0000b']) {
      await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () => changeAs(clinic.admin.auth, m, 'ON_HOLD', reason));
    }
    expect((await membershipRow(m.id)).status).toBe('ACTIVE');
  });

  it('answers CAPACITY_REACHED when seating a member into a full group, changing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic, { capacity: 2, format: 'CLOSED' });
    await enrol(clinic, group, await clinic.addClient());
    const onHold = await enrol(clinic, group, await clinic.addClient());
    await changeMembershipStatus(clinic, onHold, 'ON_HOLD', 'away'); // ON_HOLD keeps the seat
    const waiting = await enrol(clinic, group, await clinic.addClient());
    const screening = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'SCREENING' });
    expect(waiting.status).toBe('WAITLISTED');

    for (const m of [waiting, screening]) {
      const res = await expectRefused(clinic, neighbour, 'CAPACITY_REACHED', () => changeAs(clinic.admin.auth, m, 'ACTIVE'));
      expect(res.errors![0].extensions).toMatchObject({ capacity: 2 });
    }
    // returning from hold does not take a new seat
    expect(ok(await changeAs(clinic.admin.auth, onHold, 'ACTIVE', 'back')).changeMembershipStatus.membership.status).toBe('ACTIVE');
  });

  it('answers NOT_FOUND for another clinic\'s membership, changing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const theirGroup = await createGroup(neighbour);
    const theirs = await enrol(neighbour, theirGroup, await neighbour.addClient());
    const missing = { ...theirs, gid: toGlobalId('Membership', randomUUID()) };
    for (const m of [theirs, missing]) await expectRefused(clinic, neighbour, 'NOT_FOUND', () => changeAs(clinic.admin.auth, m, 'WITHDRAWN'));
  });
});

describe('the roster connection', () => {
  it('pages a group\'s members with first/after: each membership once, in enrolment order, with totalCount', async () => {
    const clinic = await createClinic();
    const { group } = await groupWithMembers(clinic, { capacity: 3, members: 5, activate: false });
    // two more enrolled in the same instant: the id keeps their order stable
    const extra = [await clinic.addClient(), await clinic.addClient()];
    await ownerQuery(
      `INSERT INTO memberships (clinic_id, group_id, client_id, status, created_at)
       SELECT $1, $2, c, 'REFERRED', now() FROM unnest($3::uuid[]) AS c`,
      [clinic.id, group.id, extra.map((c) => c.id)],
    );
    const expected = (await membershipRowsOf(group.id)).map((r) => r.id);
    expect(expected).toHaveLength(7);

    const query = `query($id: ID!, $after: String) { group(id: $id) { members(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: any = ok(await gql(clinic.admin.auth, query, { id: group.gid, after })).group.members;
      expect(page.totalCount).toBe(7);
      seen.push(...page.edges.map((e: { node: { id: string } }) => uuidOf(e.node.id)));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('keeps totalCount on an empty page past the end, and pages a status filter with cursors', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { capacity: 2, members: 5, activate: false });
    const all = `query($id: ID!, $after: String) { group(id: $id) { members(first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;
    const full: any = ok(await gql(clinic.admin.auth, all, { id: group.gid })).group.members;
    expect(full.pageInfo.hasNextPage).toBe(false);
    const past: any = ok(await gql(clinic.admin.auth, all, { id: group.gid, after: full.pageInfo.endCursor })).group.members;
    expect(past).toEqual({ totalCount: 5, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });

    const waiting = `query($id: ID!, $after: String) { group(id: $id) { members(first: 2, status: [WAITLISTED], after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id status } } } } }`;
    const first: any = ok(await gql(clinic.admin.auth, waiting, { id: group.gid })).group.members;
    const second: any = ok(await gql(clinic.admin.auth, waiting, { id: group.gid, after: first.pageInfo.endCursor })).group.members;
    expect([first.totalCount, second.totalCount]).toEqual([3, 3]);
    expect([...first.edges, ...second.edges].map((e: any) => e.node.id)).toEqual(members.slice(2).map((m) => m.gid));
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a cursor naming no membership of the group with BAD_USER_INPUT, failing that roster alone (session 12)', async () => {
    const clinic = await createClinic();
    const one = await groupWithMembers(clinic, { capacity: 5, members: 3, activate: false });
    const two = await groupWithMembers(clinic, { capacity: 5, members: 2, activate: false });
    const cursorOf = (id: string) => Buffer.from(JSON.stringify([id])).toString('base64url');
    const query = `query($one: ID!, $two: ID!, $after: String) {
      a: group(id: $one) { members(first: 2, after: $after) { totalCount edges { node { id } } } }
      b: group(id: $two) { members(first: 5) { totalCount edges { node { id } } } } }`;
    // Another group's membership, a membership of no group, and a text no list gave.
    for (const after of [cursorOf(two.members[0].id), cursorOf(randomUUID()), 'bm90LWEtY3Vyc29y']) {
      const res = await gql(clinic.admin.auth, query, { one: one.group.gid, two: two.group.gid, after });
      expect(res.errors!.map((e: any) => [e.extensions.code, e.path.join('.')])).toEqual([['BAD_USER_INPUT', 'a.members']]);
      expect(res.data.a).toEqual({ members: null });
      expect(res.data.b.members.edges.map((e: any) => e.node.id)).toEqual(two.members.map((m) => m.gid));
    }
    // The group's own cursor still pages.
    const page = ok(await gql(clinic.admin.auth, query, { one: one.group.gid, two: two.group.gid, after: cursorOf(one.members[0].id) }));
    expect(page.a.members.edges.map((e: any) => e.node.id)).toEqual(one.members.slice(1, 3).map((m) => m.gid));
  });

  it('filters the roster by status for staff', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { capacity: 2, members: 4, activate: false });
    const res = await gql(clinic.admin.auth, `query($id: ID!) { group(id: $id) { members(status: [WAITLISTED]) { totalCount edges { node { id waitlistPosition } } } } }`, {
      id: group.gid,
    });
    expect(ok(res).group.members).toEqual({
      totalCount: 2,
      edges: [
        { node: { id: members[2].gid, waitlistPosition: 1 } },
        { node: { id: members[3].gid, waitlistPosition: 2 } },
      ],
    });
  });
});

describe('waitlist promotion', () => {
  it.each(['OPEN', 'ROLLING'])('promotes the earliest waitlisted member of an %s group when an ACTIVE member completes, recording a SYSTEM event', async (format) => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { format, capacity: 2, members: 4 });
    const [first, , early, late] = members;
    expect(members.map((m) => m.status)).toEqual(['ACTIVE', 'ACTIVE', 'WAITLISTED', 'WAITLISTED']);
    const other = await groupWithMembers(clinic, { format, capacity: 1, members: 2 });
    const otherBefore = await membershipRowsOf(other.group.id);

    const res = await changeAs(clinic.admin.auth, first, 'COMPLETED', 'graduated');
    expect(ok(res).changeMembershipStatus.membership.status).toBe('COMPLETED');

    expect(await statusCounts(group.id)).toEqual({ ACTIVE: 2, COMPLETED: 1, WAITLISTED: 1 });
    expect((await membershipRow(early.id)).status).toBe('ACTIVE');
    expect((await membershipRow(late.id)).status).toBe('WAITLISTED');
    expect(await waitlisted(group.id)).toEqual([{ client_id: late.client.id }]);
    expect(await eventRowsOf(early.id)).toEqual([
      expect.objectContaining({ from_status: null, to_status: 'WAITLISTED' }),
      { from_status: 'WAITLISTED', to_status: 'ACTIVE', reason: expect.stringMatching(/waitlist/i), actor_type: 'SYSTEM', actor_id: null },
    ]);
    expect(await membershipNode(clinic, early)).toMatchObject({ status: 'ACTIVE', waitlistPosition: null });
    expect((await membershipNode(clinic, early)).events[1]).toMatchObject({ fromStatus: 'WAITLISTED', toStatus: 'ACTIVE', actorType: 'SYSTEM' });
    expect(await membershipNode(clinic, late)).toMatchObject({ status: 'WAITLISTED', waitlistPosition: 1 });
    expect(await membershipRowsOf(other.group.id)).toEqual(otherBefore);
  });

  it.each(['WITHDRAWN', 'DISCHARGED'])('also promotes when a seated member is %s', async (status) => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { format: 'OPEN', capacity: 1, members: 2 });
    ok(await changeAs(clinic.admin.auth, members[0], status, 'left'));
    expect(await statusCounts(group.id)).toEqual({ ACTIVE: 1, [status]: 1 });
    expect((await membershipRow(members[1].id)).status).toBe('ACTIVE');
  });

  it('promotes nobody in a CLOSED group: its waitlist waits for the next cohort', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { format: 'CLOSED', capacity: 2, members: 3 });
    expect(members.map((m) => m.status)).toEqual(['ACTIVE', 'ACTIVE', 'WAITLISTED']);
    const res = await changeAs(clinic.admin.auth, members[0], 'COMPLETED', 'graduated');
    expect(ok(res).changeMembershipStatus.membership.status).toBe('COMPLETED');
    expect(await statusCounts(group.id)).toEqual({ ACTIVE: 1, COMPLETED: 1, WAITLISTED: 1 });
    expect(await eventRowsOf(members[2].id)).toHaveLength(1);
    // Nor may staff seat the waiting member by hand, while the cohort runs (session 10): CONFLICT, nothing changed.
    const neighbour = await createClinic();
    const seated = await expectRefused(clinic, neighbour, 'CONFLICT', () => changeAs(clinic.admin.auth, members[2], 'ACTIVE', 'a seat is free'));
    expect(seated.errors![0].extensions).toMatchObject({ reason: 'GROUP_CLOSED' });
    expect(await statusCounts(group.id)).toEqual({ ACTIVE: 1, COMPLETED: 1, WAITLISTED: 1 });
  });

  it('promotes the waitlist into free seats when a CLOSED group becomes OPEN, before anyone new (session 10)', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { format: 'CLOSED', capacity: 2, members: 4 });
    expect(members.map((m) => m.status)).toEqual(['ACTIVE', 'ACTIVE', 'WAITLISTED', 'WAITLISTED']);
    ok(await changeAs(clinic.admin.auth, members[0], 'COMPLETED', 'graduated'));
    const res = await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, format: 'OPEN' } });
    expect(ok(res).updateGroup.group).toMatchObject({ openSeats: 0, waitlistCount: 1 });
    expect((await membershipRowsOf(group.id)).map((r) => r.status)).toEqual(['COMPLETED', 'ACTIVE', 'ACTIVE', 'WAITLISTED']);
  });

  it('promotes as many waitlisted members as new seats when an admin raises the capacity, earliest first', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { format: 'OPEN', capacity: 1, members: 4 });
    const res = await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, capacity: 3 } });
    expect(ok(res).updateGroup.group).toMatchObject({ capacity: 3, activeMemberCount: 3, waitlistCount: 1, openSeats: 0 });
    expect((await membershipRowsOf(group.id)).map((r) => r.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE', 'WAITLISTED']);
    for (const m of members.slice(1, 3)) {
      expect((await eventRowsOf(m.id)).at(-1)).toMatchObject({ from_status: 'WAITLISTED', to_status: 'ACTIVE', actor_type: 'SYSTEM' });
    }
  });
});

describe('the race for the last seat', () => {
  it('seats exactly one of six concurrent enrolments for the last seat; the rest are waitlisted', async () => {
    const clinic = await createClinic();
    const { group } = await groupWithMembers(clinic, { format: 'OPEN', capacity: 4, members: 3 });
    const clients = [];
    for (let i = 0; i < 6; i++) clients.push(await clinic.addClient());

    const results = await Promise.all(clients.map((c) => enrolAs(clinic.admin.auth, group, c)));
    const statuses = results.map((r) => ok(r).enrollClient.membership.status);
    expect(statuses.filter((s) => s === 'ACTIVE')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'WAITLISTED')).toHaveLength(5);
    expect(await statusCounts(group.id)).toEqual({ ACTIVE: 4, WAITLISTED: 5 });
    const seatedId = uuidOf(results.find((r) => r.data.enrollClient.membership.status === 'ACTIVE')!.data.enrollClient.membership.id);
    expect(await eventRowsOf(seatedId)).toEqual([expect.objectContaining({ from_status: null, to_status: 'ACTIVE', actor_type: 'STAFF' })]);
  });

  it('gives each racing waitlisted enrolment its own place, in the order the enrolments were made', async () => {
    const clinic = await createClinic();
    const { group } = await groupWithMembers(clinic, { format: 'OPEN', capacity: 1, members: 1 });
    const clients = [];
    for (let i = 0; i < 6; i++) clients.push(await clinic.addClient());

    const results = await Promise.all(clients.map((c) => enrolAs(clinic.admin.auth, group, c)));
    const answered = results.map((r) => ok(r).enrollClient.membership);
    expect(answered.every((m) => m.status === 'WAITLISTED')).toBe(true);
    // no two members were told the same place in line
    expect(answered.map((m) => m.waitlistPosition).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    // and the stored waitlist order is the order the enrolments were recorded (serialized on the group)
    const recorded = await ownerQuery<{ membership_id: string }>(
      `SELECT e.membership_id FROM membership_events e JOIN memberships m ON m.id = e.membership_id
        WHERE m.group_id = $1 AND e.to_status = 'WAITLISTED' ORDER BY e.id`,
      [group.id],
    );
    const line = await ownerQuery<{ id: string }>(`SELECT id FROM memberships WHERE group_id = $1 AND status = 'WAITLISTED' ORDER BY waitlisted_at, id`, [
      group.id,
    ]);
    expect(line.map((r) => r.id)).toEqual(recorded.map((r) => r.membership_id));
  });

  it('lets only one of two concurrent enrolments of the same client through; the other is CONFLICT', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic);
    const client = await clinic.addClient();
    const results = await Promise.all([enrolAs(clinic.admin.auth, group, client), enrolAs(clinic.admin.auth, group, client)]);
    expect(results.map((r) => r.codes).sort()).toEqual([[], ['CONFLICT']]);
    expect(await membershipRowsOf(group.id)).toHaveLength(1);
  });

  it('seats only one of two waitlisted members moved to ACTIVE at once into the last seat; the other gets CAPACITY_REACHED', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { format: 'CLOSED', capacity: 2, members: 1, activate: false });
    const a = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'WAITLISTED' });
    const b = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'WAITLISTED' });
    const results = await Promise.all([changeAs(clinic.admin.auth, a, 'ACTIVE', 'seat'), changeAs(clinic.admin.auth, b, 'ACTIVE', 'seat')]);
    expect(results.map((r) => r.codes).sort()).toEqual([[], ['CAPACITY_REACHED']]);
    expect(await statusCounts(group.id)).toEqual({ ACTIVE: 2, WAITLISTED: 1 });
    expect(members).toHaveLength(1);
  });
});

describe('accepting the group agreement', () => {
  it('records the current agreement version on the member\'s own membership only', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 2, agreementText: 'v1' });
    ok(await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, agreementText: 'v2' } }));
    const [me, peer] = members;
    const res = ok(await gql(me.client.auth, ACCEPT_AGREEMENT, { input: { groupId: group.gid, version: 2 } })).acceptGroupAgreement.membership;
    expect(res).toMatchObject({ id: me.gid, agreementVersionAccepted: 2 });
    expect(await membershipRow(me.id)).toMatchObject({ agreement_version_accepted: 2, agreement_accepted_at: expect.any(Date) });
    expect(await membershipRow(peer.id)).toMatchObject({ agreement_version_accepted: null, agreement_accepted_at: null });
  });

  it('answers CONFLICT for a stale version, NOT_FOUND for a group the member is not in, FORBIDDEN for staff; nothing stored', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 1, agreementText: 'v1' });
    const { group: otherGroup } = await groupWithMembers(clinic, { members: 1 });
    ok(await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, agreementText: 'v2' } }));
    const me = members[0].client;

    const stale = await expectRefused(clinic, neighbour, 'CONFLICT', () => gql(me.auth, ACCEPT_AGREEMENT, { input: { groupId: group.gid, version: 1 } }));
    expect(stale.errors![0].extensions).toMatchObject({ currentVersion: 2 });
    await expectRefused(clinic, neighbour, 'NOT_FOUND', () => gql(me.auth, ACCEPT_AGREEMENT, { input: { groupId: otherGroup.gid } }));
    for (const auth of [clinic.admin.auth, clinic.clinician.auth]) {
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => gql(auth, ACCEPT_AGREEMENT, { input: { groupId: group.gid } }));
    }
  });

  it('answers CONFLICT in an ARCHIVED group, read-only history, even for a membership left open (session 10)', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 1 });
    await changeGroupStatus(clinic, group, 'CONCLUDED');
    await archiveLeavingMembershipsOpen(group.id);
    const res = await expectRefused(clinic, neighbour, 'CONFLICT', () => gql(members[0].client.auth, ACCEPT_AGREEMENT, { input: { groupId: group.gid } }));
    expect(res.errors![0].extensions).toMatchObject({ groupStatus: 'ARCHIVED' });
  });
});

describe('memberships of a concluded group, and a waitlisting\'s reason (session 14)', () => {
  it('a CONCLUDED group\'s memberships only close: screening or waitlisting there is refused, nothing changed; closing still works', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 1 });
    const referred = await enrol(clinic, group, await clinic.addClient({ givenName: 'Rae' }), { initialStatus: 'REFERRED' });
    const screening = await enrol(clinic, group, await clinic.addClient({ givenName: 'Sol' }), { initialStatus: 'SCREENING' });
    await changeGroupStatus(clinic, group, 'CONCLUDED');
    for (const [m, status] of [[referred, 'SCREENING'], [screening, 'WAITLISTED'], [members[0], 'ON_HOLD']] as const) {
      const res = await expectRefused(clinic, neighbour, 'CONFLICT', () =>
        gql(clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: m.gid, status, reason: 'Next step' } }),
      );
      expect(res.errors![0].extensions).toMatchObject({ groupStatus: 'CONCLUDED', allowedTransitions: status === 'SCREENING' ? ['WITHDRAWN'] : expect.any(Array) });
    }
    // What the membership says it may do next follows its group.
    const NEXT = `query($id: ID!) { node(id: $id) { ... on Membership { allowedTransitions } } }`;
    expect(ok(await gql(clinic.admin.auth, NEXT, { id: referred.gid })).node.allowedTransitions).toEqual(['WITHDRAWN']);
    expect(ok(await gql(clinic.admin.auth, NEXT, { id: members[0].gid })).node.allowedTransitions).toEqual(['COMPLETED', 'WITHDRAWN', 'DISCHARGED']);
    expect((await changeMembershipStatus(clinic, referred, 'WITHDRAWN')).status).toBe('WITHDRAWN');
    expect((await changeMembershipStatus(clinic, members[0], 'COMPLETED')).status).toBe('COMPLETED');
  });

  it('a member enrolled into a full group keeps why they were waitlisted, beside the caller\'s reason', async () => {
    const clinic = await createClinic();
    const { group } = await groupWithMembers(clinic, { members: 2, capacity: 2 });
    const plain = await enrol(clinic, group, await clinic.addClient({ givenName: 'Ana' }));
    const given = await enrol(clinic, group, await clinic.addClient({ givenName: 'Ben' }), { reason: 'Referred by Dr Ortiz' });
    expect([plain.status, given.status]).toEqual(['WAITLISTED', 'WAITLISTED']);
    expect((await membershipRow(plain.id)).status_reason).toBe('Group full: waitlisted');
    expect((await membershipRow(given.id)).status_reason).toBe('Referred by Dr Ortiz (Group full: waitlisted)');
    expect((await eventRowsOf(given.id)).map((e: any) => e.reason)).toEqual(['Referred by Dr Ortiz (Group full: waitlisted)']);
  });
});

describe('the waitlist goes first (session 11)', () => {
  const positions = async (groupId: string) =>
    ownerQuery(`SELECT client_id, status FROM memberships WHERE group_id = $1 AND status = 'WAITLISTED' ORDER BY waitlisted_at, id`, [groupId]);

  it('a newcomer waits behind a waitlisted member when a seat frees in a CLOSED group still forming (no one is promoted there)', async () => {
    const clinic = await createClinic('Waitlist Clinic');
    const { group, members } = await groupWithMembers(clinic, { members: 2, capacity: 2, format: 'CLOSED', activate: false });
    const carol = await clinic.addClient({ givenName: 'Carol' });
    const waiting = await enrol(clinic, group, carol);
    expect(waiting.status).toBe('WAITLISTED');
    await changeMembershipStatus(clinic, members[0], 'WITHDRAWN');
    const dan = await clinic.addClient({ givenName: 'Dan' });
    const newcomer = await enrol(clinic, group, dan);
    expect(newcomer.status).toBe('WAITLISTED');
    expect(await positions(group.id)).toEqual([{ client_id: carol.id, status: 'WAITLISTED' }, { client_id: dan.id, status: 'WAITLISTED' }]);
    expect(await ownerQuery(`SELECT reason FROM membership_events WHERE membership_id = $1`, [newcomer.id])).toEqual([{ reason: 'Others are waiting for the free seats: waitlisted' }]);
    // Staff seat the one who waited.
    expect((await changeMembershipStatus(clinic, waiting, 'ACTIVE')).status).toBe('ACTIVE');
  });

  it('with seats free beyond those waiting, a newcomer is seated as before', async () => {
    const clinic = await createClinic('Waitlist Clinic');
    const { group } = await groupWithMembers(clinic, { members: 1, capacity: 4 });
    const early = await enrol(clinic, group, await clinic.addClient({}), { initialStatus: 'WAITLISTED' });
    expect((await enrol(clinic, group, await clinic.addClient({}))).status).toBe('ACTIVE');
    expect((await enrol(clinic, group, await clinic.addClient({}))).status).toBe('ACTIVE');
    // Three seated and one waiting fill four: the next waits behind the first.
    expect((await enrol(clinic, group, await clinic.addClient({}))).status).toBe('WAITLISTED');
    expect((await positions(group.id))[0]).toEqual({ client_id: early.client.id, status: 'WAITLISTED' });
  });
});
