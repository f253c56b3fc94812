/**
 * What a session write is judged by: the session and its group as they stand under their locks,
 * never an earlier read. A session is HELD only once it has started, attendance stays with the
 * date it was judged against, a concurrent move is never written back over, and an ARCHIVED
 * group's sessions are history.
 */
import { Client as PgClient } from 'pg';
import { testEnv } from '../support/test-env';
import {
  CANCEL_SESSION,
  createNote,
  expectRefused,
  gql,
  minutesFromNow,
  neighbourClinic,
  ok,
  RECORD_ATTENDANCE,
  recordAttendance,
  schedule,
  sessionRow,
  sessionWorld,
  UPDATE_SESSION,
  World,
  concludeAndArchive,
} from './session-fixtures';
import { ownerQuery } from '../support/factories';

let neighbour: World;
beforeAll(async () => {
  neighbour = await neighbourClinic();
});

const NEXT_SESSION = `query($id: ID!) { group(id: $id) { nextSession { id status } } }`;

describe('a session that has not started', () => {
  it('takes no one\'s attendance (CONFLICT, nothing stored, still SCHEDULED and still next); an absence may be excused ahead of it', async () => {
    const world = await sessionWorld({ members: 2, firstStart: minutesFromNow(60 * 24) });
    const [a, b] = world.members;
    const clinics = [world.clinic.id, neighbour.clinic.id];
    for (const status of ['PRESENT', 'LATE', 'LEFT_EARLY']) {
      const refused = await expectRefused('CONFLICT', clinics, () =>
        gql(world.lead.auth, RECORD_ATTENDANCE, { input: { sessionId: world.session.gid, records: [{ membershipId: a.gid, status }] } }),
      );
      expect(refused.errors![0].extensions).toMatchObject({ reason: 'SESSION_NOT_STARTED' });
    }
    expect((await sessionRow(world.session.id)).status).toBe('SCHEDULED');

    const excused = await recordAttendance(world.lead.auth, world.session, [{ membershipId: b.gid, status: 'ABSENT_EXCUSED' }]);
    expect(excused.session.status).toBe('SCHEDULED');
    expect(ok(await gql(world.lead.auth, NEXT_SESSION, { id: world.group.gid })).group.nextSession).toEqual({ id: world.session.gid, status: 'SCHEDULED' });
  });

  it('cannot be marked HELD, nor moved into the future once HELD; a session members attended does not go back to SCHEDULED', async () => {
    const world = await sessionWorld({ members: 1 });
    const [later] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(60 * 24 * 7) });
    const clinics = [world.clinic.id, neighbour.clinic.id];
    const update = (sessionId: string, input: Record<string, unknown>) => gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId, ...input } });

    const early = await expectRefused('CONFLICT', clinics, () => update(later.gid, { status: 'HELD' }));
    expect(early.errors![0].extensions).toMatchObject({ reason: 'SESSION_NOT_STARTED' });

    // The past session, attended: HELD, and it stays HELD and where it was.
    expect((await recordAttendance(world.lead.auth, world.session, [{ membershipId: world.members[0].gid, status: 'PRESENT' }])).session.status).toBe('HELD');
    const back = await expectRefused('CONFLICT', clinics, () => update(world.session.gid, { status: 'SCHEDULED' }));
    expect(back.errors![0].extensions).toMatchObject({ reason: 'ATTENDANCE_RECORDED' });
    const moved = await expectRefused('CONFLICT', clinics, () => update(world.session.gid, { scheduledStart: minutesFromNow(60 * 24 * 3) }));
    expect(moved.errors![0].extensions).toMatchObject({ reason: 'ATTENDANCE_RECORDED' });
    // Its topic and length may still change.
    const renamed = ok(await update(world.session.gid, { topic: 'Radical acceptance', durationMinutes: 100 })).updateSession.session;
    expect(renamed).toMatchObject({ status: 'HELD', topic: 'Radical acceptance', durationMinutes: 100, scheduledStart: world.session.scheduledStart });
  });
});

describe('concurrent session writes', () => {
  it('a topic change committed after a concurrent move keeps the move: what it does not change is read under the session\'s lock', async () => {
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(60 * 24) });
    const movedTo = minutesFromNow(60 * 48);
    // The move: another transaction holds the session's row while the topic change is sent.
    const mover = new PgClient({ connectionString: testEnv().ownerUrl });
    await mover.connect();
    try {
      await mover.query('BEGIN');
      await mover.query(`SELECT 1 FROM group_sessions WHERE id = $1 FOR UPDATE`, [world.session.id]);
      const topic = gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, topic: 'Mindfulness' } });
      // Let the request reach the lock (it waits there whatever the code reads before it).
      await new Promise((resolve) => setTimeout(resolve, 300));
      await mover.query(`UPDATE group_sessions SET scheduled_start = $2, scheduled_end = $2::timestamptz + interval '90 minutes' WHERE id = $1`, [world.session.id, movedTo]);
      await mover.query('COMMIT');
      const updated = ok(await topic).updateSession.session;
      expect(updated).toMatchObject({ topic: 'Mindfulness', scheduledStart: movedTo });
    } finally {
      await mover.end();
    }
    const row = await sessionRow(world.session.id);
    expect(row.topic).toBe('Mindfulness');
    expect(new Date(row.scheduled_start).toISOString()).toBe(movedTo);
  });
});

describe('an ARCHIVED group', () => {
  it('keeps its sessions as history: no update, cancellation or attendance (CONFLICT, nothing changed)', async () => {
    const world = await sessionWorld({ members: 1 });
    await concludeAndArchive(world);
    const clinics = [world.clinic.id, neighbour.clinic.id];
    const attempts = [
      () => gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, topic: 'Rewritten' } }),
      () => gql(world.clinic.admin.auth, CANCEL_SESSION, { input: { sessionId: world.session.gid, reason: 'Tidying up' } }),
      () => gql(world.lead.auth, RECORD_ATTENDANCE, { input: { sessionId: world.session.gid, records: [{ membershipId: world.members[0].gid, status: 'PRESENT' }] } }),
    ];
    for (const attempt of attempts) {
      const res = await expectRefused('CONFLICT', clinics, attempt);
      expect(res.errors![0].extensions).toMatchObject({ groupStatus: 'ARCHIVED' });
    }
  });
});

describe('what pins a session, and what one document reads after a session write (session 11)', () => {
  it('a note pins the session to its date, as attendance does: CONFLICT NOTES_RECORDED, nothing changed; its topic may still change', async () => {
    // Started an hour ago: a session is written up once it has started (session 14).
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(-60) });
    await createNote(world, { kind: 'PROGRESS', body: 'Prepared the worksheet together.', member: world.members[0] });
    const clinics = [world.clinic.id, neighbour.clinic.id];
    const moved = await expectRefused('CONFLICT', clinics, () =>
      gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, scheduledStart: minutesFromNow(-60 * 24 * 30) } }),
    );
    expect(moved.errors![0].extensions).toMatchObject({ reason: 'NOTES_RECORDED' });
    expect(ok(await gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, topic: 'Worksheets' } })).updateSession.session).toMatchObject({
      topic: 'Worksheets', scheduledStart: world.session.scheduledStart,
    });
  });

  it('what pins a session is read after its lock: attendance committed while a move waited for the session still pins it', async () => {
    const world = await sessionWorld({ members: 1 });
    const { Client } = await import('pg');
    const { testEnv } = await import('../support/test-env');
    const holder = new Client({ connectionString: testEnv().ownerUrl, application_name: 'kinship-test-owner' });
    await holder.connect();
    let moved: Awaited<ReturnType<typeof gql>>;
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM group_sessions WHERE id = $1 FOR SHARE`, [world.session.id]);
      const [m] = (await holder.query(`SELECT clinic_id, client_id FROM memberships WHERE id = $1`, [world.members[0].id])).rows;
      await holder.query(
        `INSERT INTO attendance (clinic_id, session_id, membership_id, client_id, status, minutes) VALUES ($1, $2, $3, $4, 'PRESENT', 90)`,
        [m.clinic_id, world.session.id, world.members[0].id, m.client_id],
      );
      const move = gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, scheduledStart: minutesFromNow(-60 * 24 * 3) } });
      const { waitForLockWaiters } = await import('../sync/sync-fixtures');
      await waitForLockWaiters(1);
      await holder.query('COMMIT');
      moved = await move;
    } finally {
      await holder.end();
    }
    expect(moved.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ATTENDANCE_RECORDED' });
    expect((await sessionRow(world.session.id)).scheduled_start.toISOString()).toBe(world.session.scheduledStart);
  });

  it('another clinician\'s psychotherapy note neither pins the session nor tells that it exists', async () => {
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(-60) });
    const co = await world.clinic.addStaff('CLINICIAN', 'Casey Co');
    // Assigned from 2020, as the lead: a clinician writes up days their assignment covered, and an hour ago may be yesterday.
    ok(await gql(world.clinic.admin.auth, `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { __typename } }`, {
      input: { groupId: world.group.gid, staffMemberId: co.gid, role: 'CO', periodStart: '2020-01-01' },
    }));
    await createNote(world, { kind: 'PSYCHOTHERAPY', body: 'Private process note.', member: world.members[0] }, co.auth);
    const later = minutesFromNow(60 * 48);
    expect(ok(await gql(world.lead.auth, UPDATE_SESSION, { input: { sessionId: world.session.gid, scheduledStart: later } })).updateSession.session.scheduledStart)
      .toBe(new Date(later).toISOString());
  });

  it('later fields of one document see a session moved or cancelled by an earlier one', async () => {
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(60 * 24) });
    const [after] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(60 * 24 * 7) });
    const doc = `mutation($id: ID!) {
      a: updateSession(input: { sessionId: $id, topic: "First" }) { session { group { nextSession { id status } } } }
      b: cancelSession(input: { sessionId: $id, reason: "Snow" }) { session { group { nextSession { id status } } } }
    }`;
    const data = ok(await gql(world.lead.auth, doc, { id: world.session.gid }));
    expect(data.a.session.group.nextSession).toEqual({ id: world.session.gid, status: 'SCHEDULED' });
    expect(data.b.session.group.nextSession).toEqual({ id: after.gid, status: 'SCHEDULED' });
  });

  it('one attendance record per member: a member seated under two memberships that day is refused the second (BAD_USER_INPUT, nothing written)', async () => {
    const world = await sessionWorld({ members: 2 });
    const [kim, lee] = world.members;
    // Kim finished and rejoined: a second membership, also seated on the session's date.
    await ownerQuery(`UPDATE memberships SET status = 'COMPLETED', period_end = current_date WHERE id = $1`, [kim.id]);
    const [again] = await ownerQuery<{ id: string }>(
      `INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start, status_reason)
       SELECT clinic_id, group_id, client_id, 'ACTIVE', current_date - 1, 'Rejoined' FROM memberships WHERE id = $1 RETURNING id`,
      [kim.id],
    );
    const { toGlobalId } = await import('../../src/common/global-id');
    const againGid = toGlobalId('Membership', again.id);
    const clinics = [world.clinic.id, neighbour.clinic.id];
    const both = await expectRefused('BAD_USER_INPUT', clinics, () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, { input: { sessionId: world.session.gid, records: [
        { membershipId: kim.gid, status: 'PRESENT' }, { membershipId: lee.gid, status: 'PRESENT' }, { membershipId: againGid, status: 'PRESENT' },
      ] } }),
    );
    expect(both.errors![0].extensions).toMatchObject({ field: 'records', indexes: [2] });
    // Recorded under one, the other is refused later too; re-recording the same membership replaces.
    await recordAttendance(world.lead.auth, world.session, [{ membershipId: kim.gid, status: 'PRESENT' }]);
    const later = await expectRefused('BAD_USER_INPUT', clinics, () =>
      gql(world.lead.auth, RECORD_ATTENDANCE, { input: { sessionId: world.session.gid, records: [{ membershipId: againGid, status: 'LATE' }] } }),
    );
    expect(later.errors![0].extensions).toMatchObject({ indexes: [0] });
    expect((await recordAttendance(world.lead.auth, world.session, [{ membershipId: kim.gid, status: 'LATE' }])).attendance.map((a: { status: string }) => a.status)).toEqual(['LATE']);
  });
});
