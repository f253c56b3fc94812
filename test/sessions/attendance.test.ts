import { ownerQuery } from '../support/factories';
import {
  acceptAgreement,
  activeGroup,
  attendanceRowsOf,
  CANCEL_SESSION,
  createNote,
  enrolNew,
  expectRefused,
  gql,
  minutesFromNow,
  neighbourClinic,
  ok,
  RECORD_ATTENDANCE,
  recordAttendance,
  schedule,
  SESSION_ATTENDANCE,
  UPDATE_SESSION,
  sessionRow,
  sessionState,
  sessionWorld,
  World,
} from './session-fixtures';

let neighbour: World;
beforeAll(async () => {
  neighbour = await neighbourClinic();
});

const at = (iso: string, plusMinutes: number) => new Date(new Date(iso).getTime() + plusMinutes * 60000).toISOString();

const MEMBERSHIP_ATTENDANCE = `query($id: ID!) { node(id: $id) { id ... on Membership {
  attendanceRate attendance { status minutes session { id } } } } }`;

describe('recording attendance', () => {
  it('records many members at once, with minutes from joined/left, the session length when present, 0 when absent', async () => {
    const world = await sessionWorld({ members: 6 });
    const [a, b, c, d, e, f] = world.members;
    const start = world.session.scheduledStart;
    const neighbourBefore = await sessionState(neighbour.clinic.id);

    const payload = await recordAttendance(world.lead.auth, world.session, [
      { membershipId: a.gid, status: 'PRESENT' },
      { membershipId: b.gid, status: 'LATE', joinedAt: at(start, 10), leftAt: at(start, 90) },
      { membershipId: c.gid, status: 'LEFT_EARLY', joinedAt: start, leftAt: at(start, 45) },
      { membershipId: d.gid, status: 'ABSENT' },
      { membershipId: e.gid, status: 'ABSENT_EXCUSED' },
      { membershipId: f.gid, status: 'NO_SHOW' },
    ]);
    expect(payload.session).toEqual({ id: world.session.gid, status: 'HELD' });
    const byMembership = Object.fromEntries(payload.attendance.map((x: any) => [x.membership.id, x]));
    expect(byMembership[a.gid]).toMatchObject({ status: 'PRESENT', minutes: 90, joinedAt: null, leftAt: null });
    expect(byMembership[b.gid]).toMatchObject({ status: 'LATE', minutes: 80, joinedAt: at(start, 10), leftAt: at(start, 90) });
    expect(byMembership[c.gid]).toMatchObject({ status: 'LEFT_EARLY', minutes: 45 });
    expect(byMembership[d.gid]).toMatchObject({ status: 'ABSENT', minutes: 0 });
    expect(byMembership[e.gid]).toMatchObject({ status: 'ABSENT_EXCUSED', minutes: 0 });
    expect(byMembership[f.gid]).toMatchObject({ status: 'NO_SHOW', minutes: 0 });

    const rows = await attendanceRowsOf(world.session.id);
    expect(rows).toHaveLength(6);
    const stored = Object.fromEntries(rows.map((r) => [r.membership_id, r]));
    expect(stored[a.id]).toMatchObject({ status: 'PRESENT', minutes: 90, client_id: a.client.id, recorded_by_id: world.lead.id, clinic_id: world.clinic.id });
    expect(stored[b.id]).toMatchObject({ status: 'LATE', minutes: 80 });
    expect(stored[b.id].joined_at.toISOString()).toBe(at(start, 10));
    expect(stored[c.id]).toMatchObject({ status: 'LEFT_EARLY', minutes: 45 });
    expect([stored[d.id].minutes, stored[e.id].minutes, stored[f.id].minutes]).toEqual([0, 0, 0]);
    expect((await sessionRow(world.session.id)).status).toBe('HELD');

    // Each record is audited as created, about its member.
    const audits = await ownerQuery(
      `SELECT resource_id, subject_client_id, actor_id FROM audit_events WHERE resource_type = 'Attendance' AND action = 'CREATE' AND resource_id = ANY($1)`,
      [rows.map((r) => r.id)],
    );
    expect(audits).toHaveLength(6);
    expect(audits.every((x) => x.actor_id === world.lead.id)).toBe(true);
    expect(new Set(audits.map((x) => x.subject_client_id))).toEqual(new Set(world.members.map((m) => m.client.id)));
    expect(await sessionState(neighbour.clinic.id)).toEqual(neighbourBefore);
  });

  it('leaves a session SCHEDULED when nobody attended', async () => {
    const world = await sessionWorld({ members: 2 });
    const payload = await recordAttendance(world.lead.auth, world.session, world.members.map((m) => ({ membershipId: m.gid, status: 'ABSENT' })));
    expect(payload.session.status).toBe('SCHEDULED');
    expect((await sessionRow(world.session.id)).status).toBe('SCHEDULED');
  });

  it('replaces on re-recording: one row per member, and an UPDATE audit row for the change', async () => {
    const world = await sessionWorld({ members: 2 });
    const [a, b] = world.members;
    await recordAttendance(world.lead.auth, world.session, [
      { membershipId: a.gid, status: 'PRESENT' },
      { membershipId: b.gid, status: 'NO_SHOW' },
    ]);
    const [first] = (await attendanceRowsOf(world.session.id)).filter((r) => r.membership_id === b.id);

    const payload = await recordAttendance(world.clinic.supervisor.auth, world.session, [
      { membershipId: b.gid, status: 'LATE', joinedAt: at(world.session.scheduledStart, 30), leftAt: at(world.session.scheduledStart, 90) },
    ]);
    expect(payload.attendance).toHaveLength(2);

    const rows = await attendanceRowsOf(world.session.id);
    expect(rows).toHaveLength(2);
    const replaced = rows.find((r) => r.membership_id === b.id);
    expect(replaced).toMatchObject({ id: first.id, status: 'LATE', minutes: 60, recorded_by_id: world.clinic.supervisor.id });
    expect(rows.find((r) => r.membership_id === a.id)).toMatchObject({ status: 'PRESENT', minutes: 90 });

    const audits = await ownerQuery(`SELECT action, actor_id, subject_client_id FROM audit_events WHERE resource_id = $1 ORDER BY id`, [first.id]);
    expect(audits.filter((x) => x.action !== 'READ')).toEqual([
      { action: 'CREATE', actor_id: world.lead.id, subject_client_id: b.client.id },
      { action: 'UPDATE', actor_id: world.clinic.supervisor.id, subject_client_id: b.client.id },
    ]);
  });
});

describe('attendance that is refused, all or nothing', () => {
  it('refuses a membership of another group (BAD_USER_INPUT naming its index), storing none of the valid records', async () => {
    const world = await sessionWorld({ members: 2 });
    const other = await activeGroup(world.clinic, { members: 1 });
    const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: {
          sessionId: world.session.gid,
          records: [
            { membershipId: world.members[0].gid, status: 'PRESENT' },
            { membershipId: other.members[0].gid, status: 'PRESENT' },
            { membershipId: world.members[1].gid, status: 'PRESENT' },
          ],
        },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', indexes: [1] });
    expect(await attendanceRowsOf(world.session.id)).toEqual([]);
    expect((await sessionRow(world.session.id)).status).toBe('SCHEDULED');
  });

  it('refuses another clinic\'s membership (BAD_USER_INPUT) and stores nothing', async () => {
    const world = await sessionWorld({ members: 1 });
    const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: { sessionId: world.session.gid, records: [{ membershipId: neighbour.members[0].gid, status: 'PRESENT' }] },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ indexes: [0] });
  });

  it('refuses a WAITLISTED member (BAD_USER_INPUT) and stores nothing', async () => {
    const world = await sessionWorld({ members: 1, capacity: 1 });
    const waiting = await enrolNew(world.clinic, world.group);
    expect(waiting.status).toBe('WAITLISTED');
    const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: {
          sessionId: world.session.gid,
          records: [
            { membershipId: world.members[0].gid, status: 'PRESENT' },
            { membershipId: waiting.gid, status: 'PRESENT' },
          ],
        },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ indexes: [1] });
    expect(await attendanceRowsOf(world.session.id)).toEqual([]);
  });

  it('refuses a member who joined the group after the session took place (BAD_USER_INPUT)', async () => {
    const world = await sessionWorld({ members: 1 });
    const [lastWeek] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-7 * 24 * 60) });
    const newcomer = await enrolNew(world.clinic, world.group); // period_start: today
    const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: { sessionId: lastWeek.gid, records: [{ membershipId: newcomer.gid, status: 'PRESENT' }] },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ indexes: [0] });
    expect(await attendanceRowsOf(lastWeek.id)).toEqual([]);
  });

  it('refuses attendance for a cancelled session (CONFLICT) and stores nothing', async () => {
    const world = await sessionWorld({ members: 1 });
    ok(await gql(world.lead.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: 'Power cut' } }));
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: { sessionId: world.session.gid, records: [{ membershipId: world.members[0].gid, status: 'PRESENT' }] },
      }),
    );
    expect(await attendanceRowsOf(world.session.id)).toEqual([]);
    expect((await sessionRow(world.session.id)).status).toBe('CANCELLED');
  });

  it('refuses left-before-joined (BAD_USER_INPUT naming the record) and stores nothing', async () => {
    const world = await sessionWorld({ members: 2 });
    const start = world.session.scheduledStart;
    const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: {
          sessionId: world.session.gid,
          records: [
            { membershipId: world.members[0].gid, status: 'PRESENT' },
            { membershipId: world.members[1].gid, status: 'LATE', joinedAt: at(start, 30), leftAt: at(start, 20) },
          ],
        },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ index: 1, field: 'records.1.leftAt' });
  });

  it('refuses the same membership listed twice (BAD_USER_INPUT) and stores nothing', async () => {
    const world = await sessionWorld({ members: 1 });
    await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: {
          sessionId: world.session.gid,
          records: [
            { membershipId: world.members[0].gid, status: 'PRESENT' },
            { membershipId: world.members[0].gid, status: 'ABSENT' },
          ],
        },
      }),
    );
  });

  it('names each id that is no membership by its index, however many there are, not as one listed twice (session 12)', async () => {
    const world = await sessionWorld({ members: 1 });
    const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, {
        input: {
          sessionId: world.session.gid,
          records: [
            { membershipId: 'x', status: 'ABSENT' },
            { membershipId: world.members[0].gid, status: 'ABSENT' },
            { membershipId: world.members[0].client.gid, status: 'ABSENT' },
          ],
        },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ field: 'records', indexes: [0, 2] });
  });

  it('refuses a clinician who does not facilitate the group (FORBIDDEN) and a member (FORBIDDEN)', async () => {
    const world = await sessionWorld({ members: 1 });
    const outsider = await world.clinic.addStaff('CLINICIAN');
    const input = { sessionId: world.session.gid, records: [{ membershipId: world.members[0].gid, status: 'PRESENT' }] };
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () => gql(outsider.auth, RECORD_ATTENDANCE, { input }));
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () => gql(world.members[0].auth, RECORD_ATTENDANCE, { input }));
  });
});

describe('attendance history and who sees it', () => {
  it('gives each membership its attendance history, in session order, and its attendance rate', async () => {
    const world = await sessionWorld({ members: 2, firstStart: minutesFromNow(-3 * 7 * 24 * 60) });
    const later = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-2 * 7 * 24 * 60), weekly: { count: 2 } });
    const sessions = [world.session, ...later];
    const [a, b] = world.members;
    const statuses = ['PRESENT', 'LATE', 'ABSENT'];
    for (const [i, s] of sessions.entries()) {
      await recordAttendance(world.lead.auth, s, [
        { membershipId: a.gid, status: statuses[i] },
        { membershipId: b.gid, status: 'NO_SHOW' },
      ]);
    }

    const staffView = ok(await gql(world.lead.auth, MEMBERSHIP_ATTENDANCE, { id: a.gid })).node;
    expect(staffView.attendanceRate).toBeCloseTo(2 / 3, 10);
    expect(staffView.attendance.map((x: any) => [x.session.id, x.status, x.minutes])).toEqual([
      [sessions[0].gid, 'PRESENT', 90],
      [sessions[1].gid, 'LATE', 90],
      [sessions[2].gid, 'ABSENT', 0],
    ]);
    expect(ok(await gql(world.lead.auth, MEMBERSHIP_ATTENDANCE, { id: b.gid })).node.attendanceRate).toBe(0);

    // The member sees their own history.
    const ownView = ok(await gql(a.auth, MEMBERSHIP_ATTENDANCE, { id: a.gid })).node;
    expect(ownView).toEqual(staffView);

    // A membership with no records has no rate (null, not 0).
    const fresh = await enrolNew(world.clinic, world.group);
    expect(ok(await gql(world.lead.auth, MEMBERSHIP_ATTENDANCE, { id: fresh.gid })).node).toMatchObject({ attendanceRate: null, attendance: [] });
  });

  it('shows a member only their own attendance in groupSession.attendance, never a peer\'s', async () => {
    const world = await sessionWorld({ members: 3 });
    const [a, b, c] = world.members;
    for (const m of world.members) await acceptAgreement(m, world.group); // peers can see each other's names
    await recordAttendance(world.lead.auth, world.session, [
      { membershipId: a.gid, status: 'PRESENT' },
      { membershipId: b.gid, status: 'NO_SHOW' },
      { membershipId: c.gid, status: 'LATE' },
    ]);

    const staff = ok(await gql(world.lead.auth, SESSION_ATTENDANCE, { id: world.session.gid })).groupSession.attendance;
    expect(staff).toHaveLength(3);

    for (const m of world.members) {
      const seen = ok(await gql(m.auth, SESSION_ATTENDANCE, { id: world.session.gid })).groupSession.attendance;
      expect(seen.map((x: any) => x.membership.id)).toEqual([m.gid]);
    }

    // Through the peer's membership: name and status only, no attendance, no rate.
    const peer = await gql(a.auth, MEMBERSHIP_ATTENDANCE, { id: b.gid });
    expect(ok(peer).node).toEqual({ id: b.gid, attendanceRate: null, attendance: null });

  });

  it('shows a clinician who does not facilitate the group no attendance', async () => {
    const world = await sessionWorld({ members: 2 });
    await recordAttendance(world.lead.auth, world.session, world.members.map((m) => ({ membershipId: m.gid, status: 'PRESENT' })));
    const outsider = await world.clinic.addStaff('CLINICIAN');
    const seen = ok(await gql(outsider.auth, SESSION_ATTENDANCE, { id: world.session.gid })).groupSession;
    expect(seen).toEqual({ id: world.session.gid, attendance: [] });
  });

  it('shows attendance to an integration with sessions:read, and none to one with roster:read alone', async () => {
    const world = await sessionWorld({ members: 2 });
    await recordAttendance(world.lead.auth, world.session, world.members.map((m) => ({ membershipId: m.gid, status: 'PRESENT' })));
    const sessionsKey = await world.clinic.addApiKey(['sessions:read', 'roster:read']);
    const rosterKey = await world.clinic.addApiKey(['roster:read']);
    expect(ok(await gql(sessionsKey.auth, SESSION_ATTENDANCE, { id: world.session.gid })).groupSession.attendance).toHaveLength(2);
    expect(ok(await gql(rosterKey.auth, SESSION_ATTENDANCE, { id: world.session.gid })).groupSession.attendance).toEqual([]);
  });
});

describe('the session view runs a constant number of SQL statements', () => {
  const SESSION_VIEW = `query($id: ID!) { groupSession(id: $id) { attendance { membership { client { displayName } } status } notes { kind status author { name } } } }`;

  async function viewWith(members: number) {
    const world = await sessionWorld({ members });
    await recordAttendance(
      world.lead.auth,
      world.session,
      world.members.map((m, i) => ({ membershipId: m.gid, status: i % 3 === 2 ? 'ABSENT' : 'PRESENT' })),
    );
    await createNote(world, { kind: 'GROUP', body: 'Themes: shame, self-compassion.' });
    for (const m of world.members) await createNote(world, { kind: 'PROGRESS', body: 'Engaged; practised the skill.', member: m });
    const res = await gql(world.lead.auth, SESSION_VIEW, { id: world.session.gid });
    const view = ok(res).groupSession;
    expect(view.attendance).toHaveLength(members);
    expect(view.attendance.every((x: any) => /^Given\d+ F\.$/.test(x.membership.client.displayName))).toBe(true);
    expect(view.notes).toHaveLength(members + 1);
    expect(view.notes.every((n: any) => n.author.name === world.lead.name)).toBe(true);
    return res.sqlStatements;
  }

  it('is the same for 5 and 15 members', async () => {
    const five = await viewWith(5);
    const fifteen = await viewWith(15);
    console.log(`groupSession view as the facilitator: ${five} SQL statements with 5 members, ${fifteen} with 15`);
    expect(typeof five).toBe('number');
    expect(fifteen).toBe(five);
  });
});

describe('the attendance record a clinician keeps (session 15)', () => {
  const ASSIGN = `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`;

  it('is kept for sessions on days their assignment covered: one assigned today neither records nor overwrites an earlier meeting\'s attendance, nor marks it; a supervisor may', async () => {
    // Before: anyone facilitating the group today could replace the lead's record of a meeting from before they joined.
    const world = await sessionWorld({ members: 2, firstStart: minutesFromNow(-60 * 24 * 10) });
    const [kim, lee] = world.members;
    await recordAttendance(world.lead.auth, world.session, [{ membershipId: kim.gid, status: 'PRESENT' }]);
    const joined = await world.clinic.addStaff('CLINICIAN', 'Joined Today');
    ok(await gql(world.clinic.admin.auth, ASSIGN, { input: { groupId: world.group.gid, staffMemberId: joined.gid, role: 'CO' } }));

    const overwrite = { sessionId: world.session.gid, records: [{ membershipId: kim.gid, status: 'NO_SHOW' }] };
    const refused = await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () => gql(joined.auth, RECORD_ATTENDANCE, { input: overwrite }));
    expect(refused.errors![0].message).toMatch(/not assigned to this group on the session's date/);
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () =>
      gql(joined.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, durationMinutes: 60 } }),
    );
    // Nor cancelled: an earlier meeting with only an absence on record is not theirs to call off.
    const [excused] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-60 * 24 * 9) });
    await recordAttendance(world.lead.auth, excused, [{ membershipId: lee.gid, status: 'ABSENT_EXCUSED' }]);
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () =>
      gql(joined.auth, CANCEL_SESSION, { input: { sessionId: excused.gid, reason: 'Did not happen' } }),
    );
    expect((await attendanceRowsOf(world.session.id)).map((r) => [r.membership_id, r.status, r.recorded_by_id])).toEqual([[kim.id, 'PRESENT', world.lead.id]]);
    const denied = await ownerQuery(`SELECT action, code, actor_id FROM audit_events WHERE resource_id = ANY($1) AND action = 'DENIED'`, [[world.session.id, excused.id]]);
    expect(denied).toEqual([1, 2, 3].map(() => ({ action: 'DENIED', code: 'FORBIDDEN', actor_id: joined.id })));

    // The sessions they will run are theirs to keep, but not to move into days before they joined;
    // a supervisor oversees the earlier one.
    const [upcoming] = await schedule(joined.auth, world.group, { firstStart: minutesFromNow(60 * 24 * 3) });
    ok(await gql(joined.auth, UPDATE_SESSION, { input: { sessionId: upcoming.gid, topic: 'Planning' } }));
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () =>
      gql(joined.auth, UPDATE_SESSION, { input: { sessionId: upcoming.gid, scheduledStart: minutesFromNow(-60 * 24 * 8), status: 'HELD' } }),
    );
    await recordAttendance(world.clinic.supervisor.auth, world.session, [{ membershipId: lee.gid, status: 'LATE', joinedAt: at(world.session.scheduledStart, 30) }]);
    expect((await attendanceRowsOf(world.session.id)).map((r) => r.status).sort()).toEqual(['LATE', 'PRESENT']);
  });

  it('counts a late arrival from joining to the end and an early leaver from the start; an absence carries no times (BAD_USER_INPUT, nothing stored)', async () => {
    const world = await sessionWorld({ members: 3 });
    const [kim, lee, max] = world.members;
    const start = world.session.scheduledStart;
    // Before: a LATE with joinedAt alone counted the whole session, a NO_SHOW with times counted them.
    for (const [i, record] of [
      { membershipId: max.gid, status: 'NO_SHOW', joinedAt: start, leftAt: at(start, 90) },
      { membershipId: max.gid, status: 'ABSENT_EXCUSED', leftAt: at(start, 90) },
    ].entries()) {
      const refused = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
        gql(world.lead.auth, RECORD_ATTENDANCE, { input: { sessionId: world.session.gid, records: [{ membershipId: kim.gid, status: 'PRESENT' }, record] } }),
      );
      expect(refused.errors![0].extensions).toMatchObject({ field: i === 0 ? 'records.1.joinedAt' : 'records.1.leftAt', index: 1 });
    }

    const payload = await recordAttendance(world.lead.auth, world.session, [
      { membershipId: kim.gid, status: 'LATE', joinedAt: at(start, 40) },
      { membershipId: lee.gid, status: 'LEFT_EARLY', leftAt: at(start, 25) },
      { membershipId: max.gid, status: 'NO_SHOW' },
    ]);
    const minutes = Object.fromEntries(payload.attendance.map((x: any) => [x.membership.id, x.minutes]));
    expect(minutes).toEqual({ [kim.gid]: 50, [lee.gid]: 25, [max.gid]: 0 });
    expect(Object.fromEntries((await attendanceRowsOf(world.session.id)).map((r) => [r.membership_id, r.minutes]))).toEqual({ [kim.id]: 50, [lee.id]: 25, [max.id]: 0 });
  });

  it('follows a change of the session\'s length: minutes counted to its end are worked out again, audited, and other sessions are untouched', async () => {
    const world = await sessionWorld({ members: 4 });
    const [kim, lee, max, ned] = world.members;
    const start = world.session.scheduledStart;
    const [other] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-60 * 24 * 2) });
    await recordAttendance(world.lead.auth, other, [{ membershipId: kim.gid, status: 'PRESENT' }]);
    await recordAttendance(world.lead.auth, world.session, [
      { membershipId: kim.gid, status: 'PRESENT' },
      { membershipId: lee.gid, status: 'LATE', joinedAt: at(start, 40) },
      { membershipId: max.gid, status: 'LEFT_EARLY', joinedAt: start, leftAt: at(start, 30) },
      { membershipId: ned.gid, status: 'ABSENT' },
    ]);
    const otherBefore = await attendanceRowsOf(other.id);
    const neighbourBefore = await sessionState(neighbour.clinic.id);

    // Before: the session became 60 minutes long and kept members attending it for 90.
    ok(await gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, durationMinutes: 60 } }));

    const rows = await attendanceRowsOf(world.session.id);
    expect(Object.fromEntries(rows.map((r) => [r.membership_id, r.minutes]))).toEqual({ [kim.id]: 60, [lee.id]: 20, [max.id]: 30, [ned.id]: 0 });
    expect(rows.every((r) => r.recorded_by_id === world.lead.id)).toBe(true);
    const updates = await ownerQuery(
      `SELECT resource_id, subject_client_id FROM audit_events WHERE resource_type = 'Attendance' AND action = 'UPDATE' AND resource_id = ANY($1) ORDER BY resource_id`,
      [rows.map((r) => r.id)],
    );
    const changed = rows.filter((r) => r.membership_id === kim.id || r.membership_id === lee.id);
    expect(updates).toEqual(changed.map((r) => ({ resource_id: r.id, subject_client_id: r.client_id })).sort((a, b) => a.resource_id.localeCompare(b.resource_id)));
    expect(await attendanceRowsOf(other.id)).toEqual(otherBefore);
    expect(await sessionState(neighbour.clinic.id)).toEqual(neighbourBefore);
  });
});
