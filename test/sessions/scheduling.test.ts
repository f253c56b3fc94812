import { randomUUID } from 'node:crypto';
import { createClinic, ownerQuery } from '../support/factories';
import {
  activeGroup,
  attendanceRowsOf,
  auditRowsOf,
  CANCEL_SESSION,
  createNote,
  CREATE_NOTE,
  expectError,
  expectRefused,
  gql,
  GROUP_SESSION,
  GROUP_SESSIONS,
  minutesFromNow,
  neighbourClinic,
  noteRowsOf,
  ok,
  recordAttendance,
  schedule,
  SCHEDULE,
  sessionGid,
  sessionRow,
  sessionRowsOf,
  sessionState,
  sessionWorld,
  UPDATE_SESSION,
  uuidOf,
  World,
} from './session-fixtures';

let neighbour: World;
beforeAll(async () => {
  neighbour = await neighbourClinic();
});

/** Local wall-clock times ("YYYY-MM-DD HH24:MI") of a group's stored sessions, in `zone`. */
const localTimes = async (groupId: string, zone: string) =>
  (
    await ownerQuery<{ local: string }>(
      `SELECT to_char(scheduled_start AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI') AS local FROM group_sessions WHERE group_id = $1 ORDER BY scheduled_start`,
      [groupId, zone],
    )
  ).map((r) => r.local);

describe('scheduling sessions', () => {
  it('schedules a single session with its topic, stored as given and audited', async () => {
    const clinic = await createClinic();
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    const neighbourBefore = await sessionState(neighbour.clinic.id);

    const res = await gql(lead.auth, SCHEDULE, {
      input: { groupId: group.gid, firstStart: '2026-12-03T23:00:00.000Z', durationMinutes: 75, topic: 'Opposite action' },
    });
    const [session] = ok(res).scheduleSessions.sessions;
    expect(ok(res).scheduleSessions.sessions).toHaveLength(1);
    expect(session).toMatchObject({
      scheduledStart: '2026-12-03T23:00:00.000Z',
      scheduledEnd: '2026-12-04T00:15:00.000Z',
      durationMinutes: 75,
      status: 'SCHEDULED',
      topic: 'Opposite action',
      cancelReason: null,
    });

    const rows = await sessionRowsOf(group.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: uuidOf(session.id), clinic_id: clinic.id, status: 'SCHEDULED', topic: 'Opposite action', recurrence_id: null });
    expect(rows[0].scheduled_start.toISOString()).toBe('2026-12-03T23:00:00.000Z');
    expect(rows[0].scheduled_end.toISOString()).toBe('2026-12-04T00:15:00.000Z');
    expect(await auditRowsOf(rows[0].id)).toEqual([
      expect.objectContaining({ action: 'CREATE', resource_type: 'GroupSession', actor_type: 'STAFF', actor_id: lead.id }),
    ]);
    expect(await sessionState(neighbour.clinic.id)).toEqual(neighbourBefore);
  });

  it('schedules a weekly series by count, one recurrence, a week apart', async () => {
    const clinic = await createClinic();
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    const sessions = await schedule(lead.auth, group, { firstStart: '2027-01-05T15:00:00.000Z', durationMinutes: 60, weekly: { count: 6 } });
    expect(sessions.map((s) => s.scheduledStart)).toEqual([
      '2027-01-05T15:00:00.000Z',
      '2027-01-12T15:00:00.000Z',
      '2027-01-19T15:00:00.000Z',
      '2027-01-26T15:00:00.000Z',
      '2027-02-02T15:00:00.000Z',
      '2027-02-09T15:00:00.000Z',
    ]);
    const rows = await sessionRowsOf(group.id);
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.recurrence_id)).size).toBe(1);
    expect(rows[0].recurrence_id).not.toBeNull();
    expect(rows.every((r) => r.scheduled_end.getTime() - r.scheduled_start.getTime() === 60 * 60000)).toBe(true);
  });

  it('schedules a weekly series until a local date, inclusive, reckoned in the clinic\'s time zone', async () => {
    const clinic = await createClinic();
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    // 23:30 in New York is already the next day in UTC: "until" counts local days.
    const sessions = await schedule(lead.auth, group, { firstStart: '2026-12-02T04:30:00.000Z', durationMinutes: 45, weekly: { until: '2026-12-15' } });
    expect(sessions.map((s) => s.scheduledStart)).toEqual(['2026-12-02T04:30:00.000Z', '2026-12-09T04:30:00.000Z', '2026-12-16T04:30:00.000Z']);
    expect(await localTimes(group.id, 'America/New_York')).toEqual(['2026-12-01 23:30', '2026-12-08 23:30', '2026-12-15 23:30']);
  });

  it('keeps 18:00 in New York across the end of daylight saving time (2026-11-01)', async () => {
    const clinic = await createClinic('NY Clinic', 'America/New_York');
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    const sessions = await schedule(lead.auth, group, { firstStart: '2026-10-20T22:00:00Z', durationMinutes: 90, weekly: { count: 4 } });
    expect(sessions.map((s) => s.scheduledStart)).toEqual([
      '2026-10-20T22:00:00.000Z',
      '2026-10-27T22:00:00.000Z',
      '2026-11-03T23:00:00.000Z',
      '2026-11-10T23:00:00.000Z',
    ]);
    expect(await localTimes(group.id, 'America/New_York')).toEqual(['2026-10-20 18:00', '2026-10-27 18:00', '2026-11-03 18:00', '2026-11-10 18:00']);
    // Lengths stay 90 minutes on both sides of the change.
    const rows = await sessionRowsOf(group.id);
    expect(rows.map((r) => (r.scheduled_end.getTime() - r.scheduled_start.getTime()) / 60000)).toEqual([90, 90, 90, 90]);
  });

  it('keeps the same series by until-date across the change, too', async () => {
    const clinic = await createClinic('NY Clinic', 'America/New_York');
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    const sessions = await schedule(lead.auth, group, { firstStart: '2026-10-20T22:00:00Z', weekly: { until: '2026-11-10' } });
    expect(sessions.map((s) => s.scheduledStart)).toEqual([
      '2026-10-20T22:00:00.000Z',
      '2026-10-27T22:00:00.000Z',
      '2026-11-03T23:00:00.000Z',
      '2026-11-10T23:00:00.000Z',
    ]);
  });

  it('keeps 18:00 in Berlin across the start of summer time (2026-03-29)', async () => {
    const clinic = await createClinic('Berlin Clinic', 'Europe/Berlin');
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    const sessions = await schedule(lead.auth, group, { firstStart: '2026-03-17T17:00:00Z', durationMinutes: 90, weekly: { count: 4 } });
    expect(sessions.map((s) => s.scheduledStart)).toEqual([
      '2026-03-17T17:00:00.000Z',
      '2026-03-24T17:00:00.000Z',
      '2026-03-31T16:00:00.000Z',
      '2026-04-07T16:00:00.000Z',
    ]);
    expect(await localTimes(group.id, 'Europe/Berlin')).toEqual(['2026-03-17 18:00', '2026-03-24 18:00', '2026-03-31 18:00', '2026-04-07 18:00']);
  });

  it('schedules a series by until-date of up to 104 sessions; an until past the 104th is refused, not cut short (session 14)', async () => {
    // Before, until 2031 quietly scheduled 104 sessions, through 2028: the caller believed the group met until 2031.
    const clinic = await createClinic();
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    for (const until of ['2031-01-01', '2029-01-01']) {
      const refused = await expectRefused('BAD_USER_INPUT', [clinic.id, neighbour.clinic.id], () =>
        gql(lead.auth, SCHEDULE, { input: { groupId: group.gid, firstStart: '2027-01-04T14:00:00Z', durationMinutes: 60, weekly: { until } } }),
      );
      expect(refused.errors![0].extensions).toMatchObject({ field: 'weekly.until' });
      expect(await sessionRowsOf(group.id)).toHaveLength(0);
    }
    // The 104th falls on 2028-12-25.
    const sessions = await schedule(lead.auth, group, { firstStart: '2027-01-04T14:00:00Z', weekly: { until: '2028-12-31' } });
    expect(sessions).toHaveLength(104);
    expect(await sessionRowsOf(group.id)).toHaveLength(104);
  });

  it.each([
    ['count and until together', { durationMinutes: 60, weekly: { count: 3, until: '2027-03-01' } }],
    ['neither count nor until', { durationMinutes: 60, weekly: {} }],
    ['a duration of 10 minutes', { durationMinutes: 10 }],
    ['a duration over 8 hours', { durationMinutes: 481 }],
    ['a count of 105', { durationMinutes: 60, weekly: { count: 105 } }],
    ['an until before the first session', { durationMinutes: 60, weekly: { until: '2027-01-01' } }],
    ['a topic with a NUL byte', { durationMinutes: 60, topic: 'Skills\u0000' }],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_what, input) => {
    const clinic = await createClinic();
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    await expectRefused('BAD_USER_INPUT', [clinic.id, neighbour.clinic.id], () =>
      gql(lead.auth, SCHEDULE, { input: { groupId: group.gid, firstStart: '2027-01-05T15:00:00Z', ...input } }),
    );
    expect(await sessionRowsOf(group.id)).toHaveLength(0);
  });
});

describe('who schedules', () => {
  it('lets admins and supervisors schedule, but refuses a clinician who does not facilitate the group (FORBIDDEN)', async () => {
    const clinic = await createClinic();
    const { group } = await activeGroup(clinic, { members: 1 });
    const outsider = await clinic.addStaff('CLINICIAN');
    await expectRefused('FORBIDDEN', [clinic.id, neighbour.clinic.id], () =>
      gql(outsider.auth, SCHEDULE, { input: { groupId: group.gid, firstStart: '2027-01-05T15:00:00Z', durationMinutes: 60 } }),
    );
    expect(await schedule(clinic.admin.auth, group, { firstStart: '2027-01-05T15:00:00Z' })).toHaveLength(1);
    expect(await schedule(clinic.supervisor.auth, group, { firstStart: '2027-01-12T15:00:00Z' })).toHaveLength(1);
    expect(await sessionRowsOf(group.id)).toHaveLength(2);
  });

  it('refuses new sessions for a CONCLUDED group (CONFLICT)', async () => {
    const clinic = await createClinic();
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    ok(await gql(clinic.admin.auth, `mutation($input: ChangeGroupStatusInput!) { changeGroupStatus(input: $input) { group { status } } }`, {
      input: { groupId: group.gid, status: 'CONCLUDED' },
    }));
    await expectRefused('CONFLICT', [clinic.id, neighbour.clinic.id], () =>
      gql(lead.auth, SCHEDULE, { input: { groupId: group.gid, firstStart: '2027-01-05T15:00:00Z', durationMinutes: 60 } }),
    );
    expect(await sessionRowsOf(group.id)).toHaveLength(0);
  });

  it('refuses members (FORBIDDEN) and another clinic\'s staff (NOT_FOUND)', async () => {
    const clinic = await createClinic();
    const { group, members } = await activeGroup(clinic, { members: 1 });
    const input = { groupId: group.gid, firstStart: '2027-01-05T15:00:00Z', durationMinutes: 60 };
    await expectRefused('FORBIDDEN', [clinic.id, neighbour.clinic.id], () => gql(members[0].auth, SCHEDULE, { input }));
    await expectRefused('NOT_FOUND', [clinic.id, neighbour.clinic.id], () => gql(neighbour.clinic.admin.auth, SCHEDULE, { input }));
    expect(await sessionRowsOf(group.id)).toHaveLength(0);
  });

  it('refuses a non-facilitating clinician\'s updateSession and cancelSession (FORBIDDEN), session unchanged', async () => {
    const world = await sessionWorld({ members: 1 });
    const outsider = await world.clinic.addStaff('CLINICIAN');
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () =>
      gql(outsider.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, topic: 'Hijacked' } }),
    );
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () =>
      gql(outsider.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: 'Not mine to cancel' } }),
    );
    expect(await sessionRow(world.session.id)).toMatchObject({ status: 'SCHEDULED', topic: 'Distress tolerance', cancel_reason: null });
  });
});

describe('changing and cancelling sessions', () => {
  it('moves, retitles and records facilitators of a session', async () => {
    const world = await sessionWorld({ members: 1 });
    const res = await gql(world.lead.auth, UPDATE_SESSION, {
      input: {
        sessionId: world.session.gid,
        scheduledStart: '2027-02-02T16:00:00.000Z',
        durationMinutes: 120,
        topic: 'Interpersonal effectiveness',
        facilitatorsPresent: [world.lead.gid],
      },
    });
    const session = ok(res).updateSession.session;
    expect(session).toMatchObject({
      scheduledStart: '2027-02-02T16:00:00.000Z',
      scheduledEnd: '2027-02-02T18:00:00.000Z',
      durationMinutes: 120,
      topic: 'Interpersonal effectiveness',
      status: 'SCHEDULED',
      facilitatorsPresent: [{ id: world.lead.gid }],
    });
    const row = await sessionRow(world.session.id);
    expect(row.scheduled_start.toISOString()).toBe('2027-02-02T16:00:00.000Z');
    expect(row.scheduled_end.toISOString()).toBe('2027-02-02T18:00:00.000Z');
    expect(row).toMatchObject({ topic: 'Interpersonal effectiveness', facilitators_present: [world.lead.id] });
    expect((await auditRowsOf(world.session.id)).map((a) => a.action)).toEqual(['CREATE', 'UPDATE']);
  });

  it('refuses facilitatorsPresent naming staff who do not facilitate the group (BAD_USER_INPUT)', async () => {
    const world = await sessionWorld({ members: 1 });
    await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, facilitatorsPresent: [world.clinic.supervisor.gid] } }),
    );
  });

  it('refuses sessions that would end past what a DateTime carries (year 9999): a series, a long one, a move (session 12)', async () => {
    const world = await sessionWorld({ members: 1 });
    const attempts = [
      { groupId: world.group.gid, firstStart: '9999-06-01T18:00:00Z', durationMinutes: 60, weekly: { count: 52 } },
      { groupId: world.group.gid, firstStart: '9999-12-03T21:00:00Z', durationMinutes: 60, weekly: { until: '9999-12-31' } },
      { groupId: world.group.gid, firstStart: '9999-12-31T23:00:00Z', durationMinutes: 480 },
    ];
    for (const input of attempts) {
      const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () => gql(world.lead.auth, SCHEDULE, { input }));
      expect(res.errors![0].extensions).toMatchObject({ field: input.weekly ? 'weekly' : 'durationMinutes' });
    }
    const moved = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, scheduledStart: '9999-12-31T22:30:00Z' } }),
    );
    expect(moved.errors![0].extensions).toMatchObject({ field: 'scheduledStart' });
    // Late in year 9999 is still a date: a series ending well before it is scheduled, by count or until.
    const late = ok(await gql(world.lead.auth, SCHEDULE, { input: { groupId: world.group.gid, firstStart: '9999-12-01T18:00:00Z', durationMinutes: 60, weekly: { count: 4 } } }));
    expect(late.scheduleSessions.sessions).toHaveLength(4);
    const untilEnd = ok(await gql(world.lead.auth, SCHEDULE, { input: { groupId: world.group.gid, firstStart: '9999-12-01T18:00:00Z', durationMinutes: 60, weekly: { until: '9999-12-31' } } }));
    expect(untilEnd.scheduleSessions.sessions).toHaveLength(5);
  });

  it('cancels with a reason, keeping absences excused ahead of it; a session members attended or one with notes is not cancelled (session 14)', async () => {
    // Before session 14 a session with PRESENT attendance and a signed note could be cancelled:
    // the clinical record then hung off a session marked as never held.
    const world = await sessionWorld({ members: 2, firstStart: minutesFromNow(60 * 24) });
    await recordAttendance(world.lead.auth, world.session, [{ membershipId: world.members[1].gid, status: 'ABSENT_EXCUSED' }]);
    const attendanceBefore = await attendanceRowsOf(world.session.id);
    const neighbourBefore = await sessionState(neighbour.clinic.id);

    const res = await gql(world.lead.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: '  Facilitator ill  ' } });
    expect(ok(res).cancelSession.session).toMatchObject({ id: world.session.gid, status: 'CANCELLED', cancelReason: 'Facilitator ill' });
    const row = await sessionRow(world.session.id);
    expect(row).toMatchObject({ status: 'CANCELLED', cancel_reason: 'Facilitator ill' });
    expect(row.cancelled_at).toBeInstanceOf(Date);
    expect(await attendanceRowsOf(world.session.id)).toEqual(attendanceBefore);
    expect(attendanceBefore).toHaveLength(1);
    expect(await sessionState(neighbour.clinic.id)).toEqual(neighbourBefore);
    // A cancelled session takes no notes.
    const note = await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, CREATE_NOTE, { input: { sessionId: world.session.gid, kind: 'GROUP', body: 'Nothing happened.' } }),
    );
    expect(note.errors![0].extensions).toMatchObject({ status: 'CANCELLED' });
    expect(await noteRowsOf(world.session.id)).toEqual([]);

    const attended = await sessionWorld({ members: 1 });
    await recordAttendance(attended.lead.auth, attended.session, [{ membershipId: attended.members[0].gid, status: 'PRESENT' }]);
    const written = await sessionWorld({ members: 1 });
    await createNote(written, { kind: 'GROUP', body: 'Practised paced breathing.' });
    for (const [w, reason] of [[attended, 'ATTENDANCE_RECORDED'], [written, 'NOTES_RECORDED']] as const) {
      const before = await sessionRow(w.session.id);
      const refused = await expectRefused('CONFLICT', [w.clinic.id, neighbour.clinic.id], () =>
        gql(w.lead.auth, CANCEL_SESSION, { input: { sessionId: w.session.gid, reason: 'Facilitator ill' } }),
      );
      expect(refused.errors![0].extensions).toMatchObject({ reason });
      expect(await sessionRow(w.session.id)).toEqual(before);
      expect(before).toMatchObject({ cancel_reason: null, cancelled_at: null });
    }
  });

  it('answers CONFLICT to cancelling twice, keeping the first reason and time', async () => {
    const world = await sessionWorld({ members: 1 });
    ok(await gql(world.lead.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: 'Snow day' } }));
    const first = await sessionRow(world.session.id);
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: 'Again' } }),
    );
    expect(await sessionRow(world.session.id)).toEqual(first);
    expect(first).toMatchObject({ status: 'CANCELLED', cancel_reason: 'Snow day' });
    // Only the real cancellation is in the audit trail.
    expect((await auditRowsOf(world.session.id)).filter((a) => a.action === 'UPDATE')).toHaveLength(1);
  });

  it('answers CONFLICT to updating a cancelled session, and changes nothing', async () => {
    const world = await sessionWorld({ members: 1 });
    ok(await gql(world.lead.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: 'Snow day' } }));
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, topic: 'Rescheduled?' } }),
    );
    expect(await sessionRow(world.session.id)).toMatchObject({ status: 'CANCELLED', cancel_reason: 'Snow day' });
  });

  it('refuses cancelling with an empty reason (BAD_USER_INPUT)', async () => {
    const world = await sessionWorld({ members: 1 });
    await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: '   ' } }),
    );
  });
});

describe('reading sessions', () => {
  it('lists a group\'s sessions in a range and answers its next scheduled session', async () => {
    const clinic = await createClinic();
    const { group, lead } = await activeGroup(clinic, { members: 1 });
    const [past] = await schedule(lead.auth, group, { firstStart: minutesFromNow(-3 * 24 * 60) });
    const series = await schedule(lead.auth, group, { firstStart: minutesFromNow(24 * 60), weekly: { count: 3 } });
    ok(await gql(lead.auth, CANCEL_SESSION, { input: { sessionId: series[0].gid, reason: 'Holiday' } }));

    const all = ok(await gql(lead.auth, GROUP_SESSIONS, { id: group.gid })).group;
    expect(all.sessions.map((s: any) => s.id)).toEqual([past.gid, ...series.map((s) => s.gid)]);
    expect(all.sessions.map((s: any) => s.status)).toEqual(['SCHEDULED', 'CANCELLED', 'SCHEDULED', 'SCHEDULED']);
    // The next session is the first SCHEDULED one that has not ended: not the past one, not the cancelled one.
    expect(all.nextSession).toMatchObject({ id: series[1].gid, status: 'SCHEDULED' });

    const ranged = ok(await gql(lead.auth, GROUP_SESSIONS, { id: group.gid, from: minutesFromNow(0), to: minutesFromNow(10 * 24 * 60) })).group;
    expect(ranged.sessions.map((s: any) => s.id)).toEqual([series[0].gid, series[1].gid]);
    // `to` is exclusive: a range ending at a session's start leaves it out.
    const upTo = ok(await gql(lead.auth, GROUP_SESSIONS, { id: group.gid, from: past.scheduledStart, to: series[0].scheduledStart })).group;
    expect(upTo.sessions.map((s: any) => s.id)).toEqual([past.gid]);
  });

  it('answers the session in progress as the next one, also once attendance made it HELD, on the member home as on the group (session 15)', async () => {
    // Before: taking attendance during the meeting made the member's app show next week's session.
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(-30), durationMinutes: 90 });
    const [later] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(7 * 24 * 60) });
    const member = world.members[0];
    // The shape the compiled member home answers (nextSession { id scheduledStart topic }).
    const HOME = `{ viewer { client { memberships { group { nextSession { id topic } } } } } }`;
    const homeNext = async () => ok(await gql(member.auth, HOME)).viewer.client.memberships[0].group.nextSession.id;
    const groupNext = async () => ok(await gql(member.auth, GROUP_SESSIONS, { id: world.group.gid })).group.nextSession;
    expect(await homeNext()).toBe(world.session.gid);
    await recordAttendance(world.lead.auth, world.session, [{ membershipId: member.gid, status: 'PRESENT' }]);
    expect(await homeNext()).toBe(world.session.gid);
    expect(await groupNext()).toMatchObject({ id: world.session.gid, status: 'HELD' });
    // Once it has ended, the next one.
    await ownerQuery(`UPDATE group_sessions SET scheduled_start = now() - interval '2 hours', scheduled_end = now() - interval '1 minute' WHERE id = $1`, [world.session.id]);
    expect(await homeNext()).toBe(later.gid);
  });

  it('answers no next session when none is scheduled ahead', async () => {
    const world = await sessionWorld({ members: 1 });
    const group = ok(await gql(world.lead.auth, GROUP_SESSIONS, { id: world.group.gid })).group;
    expect(group.sessions).toHaveLength(1);
    expect(group.nextSession).toBeNull();
  });

  it('shows a group\'s sessions to its members, and NOT_FOUND to a member of another group', async () => {
    const world = await sessionWorld({ members: 1 });
    const member = world.members[0];
    const [upcoming] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(2 * 24 * 60) });

    const seen = ok(await gql(member.auth, GROUP_SESSION, { id: world.session.gid })).groupSession;
    expect(seen).toMatchObject({ id: world.session.gid, status: 'SCHEDULED', topic: 'Distress tolerance', group: { id: world.group.gid } });
    const group = ok(await gql(member.auth, GROUP_SESSIONS, { id: world.group.gid })).group;
    expect(group.sessions.map((s: any) => s.id)).toEqual([world.session.gid, upcoming.gid]);
    expect(group.nextSession.id).toBe(upcoming.gid);

    // A member of another group of the same clinic.
    const other = await activeGroup(world.clinic, { members: 1 });
    const outsider = other.members[0];
    const denied = await gql(outsider.auth, GROUP_SESSION, { id: world.session.gid });
    expectError(denied, 'NOT_FOUND');
    expect(denied.data).toBeNull();
    const missing = await gql(outsider.auth, GROUP_SESSION, { id: sessionGid(randomUUID()) });
    expect(denied.body.errors).toEqual(missing.body.errors);
    expectError(await gql(outsider.auth, `query($id: ID!) { node(id: $id) { id } }`, { id: world.session.gid }), 'NOT_FOUND');
    const denials = await ownerQuery(
      `SELECT action, code, actor_id FROM audit_events WHERE resource_id = $1 AND action = 'DENIED'`,
      [world.session.id],
    );
    expect(denials).toEqual(expect.arrayContaining([{ action: 'DENIED', code: 'NOT_FOUND', actor_id: outsider.client.id }]));

    // And another clinic's staff see nothing either.
    expectError(await gql(neighbour.clinic.supervisor.auth, GROUP_SESSION, { id: world.session.gid }), 'NOT_FOUND');
  });

});
