/**
 * What a session 13 review of the contract found, as a clinic would meet it: a group that can be
 * concluded and archived as it stands, the waitlist first for every way of seating someone, and an
 * attendance rate that cancelled sessions do not move. Each failed against the code before its fix.
 */
import { createClinic, ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import {
  CHANGE_GROUP_STATUS,
  CHANGE_MEMBERSHIP_STATUS,
  changeGroupStatus,
  changeMembershipStatus,
  clinicState,
  createGroup,
  enrol,
  groupRow,
  groupWithMembers,
  membershipRowsOf,
  ok,
  uuidOf,
} from '../groups/group-fixtures';
import { activeGroup as goalGroup, createGoal, RECORD_CHECK_IN } from '../goals/goal-fixtures';
import { CANCEL_SESSION, RECORD_ATTENDANCE, schedule, sessionWorld, minutesFromNow } from '../sessions/session-fixtures';

describe('a group\'s end (session 13)', () => {
  it('concludes from FORMING or PAUSED as it stands, and archives only once every membership is closed', async () => {
    const clinic = await createClinic('Conclude Clinic');
    const neighbour = await createClinic('Conclude Neighbour');
    const { group: there, members: theirs } = await groupWithMembers(neighbour, { members: 1 });
    const neighbourBefore = await clinicState(neighbour.id);

    const never = await createGroup(clinic);
    await changeGroupStatus(clinic, never, 'CONCLUDED');
    expect((await groupRow(never.id)).status).toBe('CONCLUDED');

    const { group, members } = await groupWithMembers(clinic, { members: 2 });
    await changeGroupStatus(clinic, group, 'PAUSED');
    await changeGroupStatus(clinic, group, 'CONCLUDED');
    // Two members still ACTIVE: archiving would freeze them so.
    const refused = await gql(clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status: 'ARCHIVED' } });
    expectError(refused, 'CONFLICT');
    expect(refused.errors![0].extensions).toMatchObject({ reason: 'OPEN_MEMBERSHIPS', openMemberships: 2 });
    expect((await groupRow(group.id)).status).toBe('CONCLUDED');
    for (const m of members) await changeMembershipStatus(clinic, m, 'COMPLETED', 'Finished the programme');
    await changeGroupStatus(clinic, group, 'ARCHIVED');
    expect((await groupRow(group.id)).status).toBe('ARCHIVED');
    expect((await membershipRowsOf(group.id)).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED']);
    // The neighbouring clinic's group and member are untouched.
    expect(await clinicState(neighbour.id)).toEqual(neighbourBefore);
    expect(theirs).toHaveLength(1);
    expect((await groupRow(there.id)).status).toBe('ACTIVE');
  });
});

describe('the waitlist goes first for a screened member too (session 13)', () => {
  it('refuses seating a screened member in a seat others are waiting for (CAPACITY_REACHED, nothing changed); staff may seat a waiting one', async () => {
    const clinic = await createClinic('Waitlist Clinic');
    const { group, members } = await groupWithMembers(clinic, { members: 1, capacity: 2 });
    const waiting = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'WAITLISTED' });
    const screened = await enrol(clinic, group, await clinic.addClient(), { initialStatus: 'SCREENING' });
    const before = await membershipRowsOf(group.id);
    const res = await gql(clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: screened.gid, status: 'ACTIVE', reason: 'Screened in' } });
    expectError(res, 'CAPACITY_REACHED');
    expect(res.errors![0].extensions).toMatchObject({ capacity: 2, waiting: 1 });
    expect(await membershipRowsOf(group.id)).toEqual(before);
    // The waiting member takes the seat; the group is then full for anyone.
    expect((await changeMembershipStatus(clinic, waiting, 'ACTIVE', 'Seat offered')).status).toBe('ACTIVE');
    expectError(await gql(clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: screened.gid, status: 'ACTIVE', reason: 'Screened in' } }), 'CAPACITY_REACHED');
    expect(members[0].status).toBe('ACTIVE');
  });
});

describe('attendance rate (session 13)', () => {
  it('leaves out a session cancelled after its attendance was recorded; the record stays', async () => {
    const world = await sessionWorld({ members: 2 });
    const [kim, lee] = world.members;
    const [later] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-60 * 24 * 3) });
    for (const s of [world.session, later]) {
      // Only absences on the session cancelled: one members attended is not cancelled (session 14).
      ok(await gql(world.lead.auth, RECORD_ATTENDANCE, { input: { sessionId: s.gid, records: [{ membershipId: kim.gid, status: s === later ? 'ABSENT_EXCUSED' : 'PRESENT' }, { membershipId: lee.gid, status: s === later ? 'ABSENT' : 'PRESENT' }] } }));
    }
    const RATE = `query($id: ID!) { node(id: $id) { ... on Membership { attendanceRate attendance { status } } } }`;
    const seen = async (gid: string) => ok(await gql(world.lead.auth, RATE, { id: gid })).node;
    expect((await seen(kim.gid)).attendanceRate).toBe(0.5);
    ok(await gql(world.lead.auth, CANCEL_SESSION, { input: { sessionId: later.gid, reason: 'Facilitator ill' } }));
    const after = await seen(kim.gid);
    expect(after.attendanceRate).toBe(1);
    expect(after.attendance.map((a: any) => a.status).sort()).toEqual(['ABSENT_EXCUSED', 'PRESENT']);
    expect((await seen(lee.gid)).attendanceRate).toBe(1);
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM attendance WHERE session_id = $1`, [later.id])).toEqual([{ n: 2 }]);

    // Recorded and cancelled in one document: the later field reads the rate without it.
    const [third] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-60 * 24 * 5) });
    const doc = await gql(world.lead.auth, `mutation($s: ID!, $m: ID!) {
      a: recordAttendance(input: { sessionId: $s, records: [{ membershipId: $m, status: ABSENT }] }) { attendance { membership { attendanceRate } } }
      b: cancelSession(input: { sessionId: $s, reason: "Room flooded" }) { session { attendance { membership { attendanceRate } } } } }`, { s: third.gid, m: kim.gid });
    expect(ok(doc).a.attendance[0].membership.attendanceRate).toBe(0.5);
    expect(ok(doc).b.session.attendance[0].membership.attendanceRate).toBe(1);
  });
});

describe('a check-in retried with its idempotency key (session 13)', () => {
  it('is recorded once: the retry answers the first check-in, and a COUNT goal counts it once; another input with the key is refused', async () => {
    const w = await goalGroup({ members: 2 });
    const [kim, lee] = w.members;
    const goal = await createGoal(kim, { visibility: 'PRIVATE', measureKind: 'COUNT', target: 3 });
    const neighbourGoal = await createGoal(lee, { visibility: 'PRIVATE' });
    const input = { goalId: goal.gid, value: 2, note: 'two walks', idempotencyKey: 'app-7f3a' };
    const first = ok(await gql(kim.auth, RECORD_CHECK_IN, { input })).recordCheckIn.checkIn;
    const retried = ok(await gql(kim.auth, RECORD_CHECK_IN, { input })).recordCheckIn.checkIn;
    expect(retried.id).toBe(first.id);
    expect(await ownerQuery(`SELECT count(*)::int AS n, sum(value)::int AS total FROM goal_check_ins WHERE goal_id = $1`, [goal.id])).toEqual([{ n: 1, total: 2 }]);
    const reused = await gql(kim.auth, RECORD_CHECK_IN, { input: { ...input, value: 3 } });
    expectError(reused, 'IDEMPOTENCY_KEY_REUSED');
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM goal_check_ins WHERE goal_id = ANY($1)`, [[goal.id, neighbourGoal.id]])).toEqual([{ n: 1 }]);
    // Keys are per caller: Lee's same key is his own.
    ok(await gql(lee.auth, RECORD_CHECK_IN, { input: { goalId: neighbourGoal.gid, value: 1, idempotencyKey: 'app-7f3a' } }));
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM goal_check_ins WHERE goal_id = $1`, [neighbourGoal.id])).toEqual([{ n: 1 }]);
  });
});

describe('a group\'s sessions when it ends, and who ran them (session 13)', () => {
  it('concluding cancels the sessions still to come, and leaves held ones and other groups\' alone', async () => {
    const world = await sessionWorld({ members: 1 });
    const other = await sessionWorld({ clinic: world.clinic, members: 1 });
    const future = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(60 * 24), weekly: { count: 3 } });
    const theirs = await schedule(other.lead.auth, other.group, { firstStart: minutesFromNow(60 * 24) });
    ok(await gql(world.lead.auth, RECORD_ATTENDANCE, { input: { sessionId: world.session.gid, records: [{ membershipId: world.members[0].gid, status: 'PRESENT' }] } }));
    ok(await gql(world.clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: world.group.gid, status: 'CONCLUDED' } }));
    const statuses = (ids: string[]) =>
      ownerQuery<{ status: string; cancel_reason: string | null }>(`SELECT status, cancel_reason FROM group_sessions WHERE id = ANY($1) ORDER BY scheduled_start`, [ids]);
    expect(await statuses([world.session.id, ...future.map((s) => s.id)])).toEqual([
      { status: 'HELD', cancel_reason: null },
      ...future.map(() => ({ status: 'CANCELLED', cancel_reason: 'The group concluded' })),
    ]);
    expect(await statuses([theirs[0].id, other.session.id])).toEqual([{ status: 'SCHEDULED', cancel_reason: null }, { status: 'SCHEDULED', cancel_reason: null }]);
    const next = ok(await gql(world.clinic.admin.auth, `query($id: ID!) { group(id: $id) { nextSession { id } } }`, { id: world.group.gid }));
    expect(next.group.nextSession).toBeNull();
  });

  it('facilitatorsPresent names only staff assigned to the group on the session\'s date (BAD_USER_INPUT, nothing changed)', async () => {
    const world = await sessionWorld({ members: 1 });
    const [{ day }] = await ownerQuery<{ day: string }>(`SELECT to_char(clinic_today(), 'YYYY-MM-DD') AS day FROM clinics WHERE id = $1`, [world.clinic.id]);
    const shift = (days: number) => { const d = new Date(`${day}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + days); return d.toISOString().slice(0, 10); };
    const gone = await world.clinic.addStaff('CLINICIAN', 'Rotated Off');
    const soon = await world.clinic.addStaff('CLINICIAN', 'Starting Soon');
    const ASSIGN = `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`;
    ok(await gql(world.clinic.admin.auth, ASSIGN, { input: { groupId: world.group.gid, staffMemberId: gone.gid, role: 'CO', periodStart: shift(-60), periodEnd: shift(-1) } }));
    ok(await gql(world.clinic.admin.auth, ASSIGN, { input: { groupId: world.group.gid, staffMemberId: soon.gid, role: 'CO', periodStart: shift(7) } }));
    const UPDATE = `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { session { facilitatorsPresent { id } } } }`;
    const stored = () => ownerQuery(`SELECT facilitators_present, updated_at FROM group_sessions WHERE id = $1`, [world.session.id]);
    const before = await stored();
    for (const staff of [gone, soon]) {
      expectError(await gql(world.clinic.supervisor.auth, UPDATE, { input: { sessionId: world.session.gid, facilitatorsPresent: [world.lead.gid, staff.gid] } }), 'BAD_USER_INPUT');
    }
    // Session 14: the same person twice was stored twice, and listed twice in the record of who ran the meeting.
    const twice = await gql(world.clinic.supervisor.auth, UPDATE, { input: { sessionId: world.session.gid, facilitatorsPresent: [world.lead.gid, world.lead.gid] } });
    expectError(twice, 'BAD_USER_INPUT');
    expect(twice.errors![0].message).toBe('A facilitator is listed twice');
    expect(await stored()).toEqual(before);
    const done = ok(await gql(world.clinic.supervisor.auth, UPDATE, { input: { sessionId: world.session.gid, facilitatorsPresent: [world.lead.gid] } }));
    expect(done.updateSession.session.facilitatorsPresent).toEqual([{ id: world.lead.gid }]);
  });
});

describe('a facilitator assigned again after their assignment lapsed (session 13)', () => {
  it('is assigned anew: the lapsed assignment ends as history instead of answering "already facilitates"', async () => {
    const clinic = await createClinic('Rotation Clinic');
    const { group } = await groupWithMembers(clinic, { members: 1 });
    const [{ day }] = await ownerQuery<{ day: string }>(`SELECT to_char(clinic_today(), 'YYYY-MM-DD') AS day FROM clinics WHERE id = $1`, [clinic.id]);
    const shift = (days: number) => { const d = new Date(`${day}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + days); return d.toISOString().slice(0, 10); };
    const back = await clinic.addStaff('CLINICIAN', 'Back Again');
    const ASSIGN = `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id role current periodStart periodEnd } } }`;
    const first = ok(await gql(clinic.admin.auth, ASSIGN, { input: { groupId: group.gid, staffMemberId: back.gid, role: 'CO', periodStart: shift(-60), periodEnd: shift(-1) } })).assignFacilitator.facilitator;
    const again = ok(await gql(clinic.admin.auth, ASSIGN, { input: { groupId: group.gid, staffMemberId: back.gid, role: 'LEAD' } })).assignFacilitator.facilitator;
    expect(again).toMatchObject({ role: 'LEAD', current: true, periodStart: day, periodEnd: null });
    const rows = await ownerQuery<{ id: string; ended: boolean; period_end: string | null }>(
      `SELECT id, ended_at IS NOT NULL AS ended, to_char(period_end, 'YYYY-MM-DD') AS period_end FROM group_facilitators WHERE staff_member_id = $1 ORDER BY period_start`, [back.id]);
    expect(rows).toEqual([{ id: uuidOf(first.id), ended: true, period_end: shift(-1) }, { id: uuidOf(again.id), ended: false, period_end: null }]);
    // One still in force stands in the way, as before.
    expectError(await gql(clinic.admin.auth, ASSIGN, { input: { groupId: group.gid, staffMemberId: back.gid, role: 'CO' } }), 'CONFLICT');
  });
});

describe('moving a session (session 13)', () => {
  const UPDATE = `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { session { scheduledStart topic facilitatorsPresent { id } } } }`;
  const stored = (id: string) => ownerQuery(`SELECT scheduled_start, topic, facilitators_present, status FROM group_sessions WHERE id = $1`, [id]);

  it('a CONCLUDED group\'s sessions are not moved (CONFLICT, nothing changed); retitled, they may be', async () => {
    const world = await sessionWorld({ members: 1 });
    ok(await gql(world.clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: world.group.gid, status: 'CONCLUDED' } }));
    const before = await stored(world.session.id);
    const res = await gql(world.lead.auth, UPDATE, { input: { sessionId: world.session.gid, scheduledStart: minutesFromNow(60 * 24 * 7) } });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ groupStatus: 'CONCLUDED' });
    expect(await stored(world.session.id)).toEqual(before);
    expect(ok(await gql(world.lead.auth, UPDATE, { input: { sessionId: world.session.gid, topic: 'Last meeting' } })).updateSession.session.topic).toBe('Last meeting');
  });

  it('judges the facilitators already recorded against the date it moves to (BAD_USER_INPUT, nothing changed)', async () => {
    const world = await sessionWorld({ members: 1 });
    const [{ day }] = await ownerQuery<{ day: string }>(`SELECT to_char(clinic_today(), 'YYYY-MM-DD') AS day FROM clinics WHERE id = $1`, [world.clinic.id]);
    const shift = (days: number) => { const d = new Date(`${day}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + days); return d.toISOString().slice(0, 10); };
    const cover = await world.clinic.addStaff('CLINICIAN', 'Covering This Month');
    ok(await gql(world.clinic.admin.auth, `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`, {
      input: { groupId: world.group.gid, staffMemberId: cover.gid, role: 'CO', periodStart: shift(-10), periodEnd: shift(10) },
    }));
    ok(await gql(world.lead.auth, UPDATE, { input: { sessionId: world.session.gid, facilitatorsPresent: [world.lead.gid, cover.gid] } }));
    const before = await stored(world.session.id);
    expectError(await gql(world.lead.auth, UPDATE, { input: { sessionId: world.session.gid, scheduledStart: minutesFromNow(60 * 24 * 30) } }), 'BAD_USER_INPUT');
    expect(await stored(world.session.id)).toEqual(before);
    // Moved within the cover's month, it stands.
    ok(await gql(world.lead.auth, UPDATE, { input: { sessionId: world.session.gid, scheduledStart: minutesFromNow(60 * 24 * 2) } }));
  });
});
