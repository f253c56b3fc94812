import { randomUUID } from 'node:crypto';
import { AuditAction } from '../../audit/audit-action';
import { refusedWrite } from '../../audit/denied-subject';
import { uuidOf } from '../../common/global-id';
import { toSqlDate } from '../../common/scalars';
import { attachExternalIds, findByExternalId } from '../external-ids/external-id.service';
import type { ExternalIdentifierInput } from '../external-ids/external-identifier.entity';
import type { AuthedContext } from '../../context';
import { badInput, conflict, forbidden, notFound } from '../../errors/domain-error';
import { groupLoaders, VisibleGroup } from '../groups/group.loaders';
import { GroupStatus } from '../groups/group.enums';
import { groupConcludedHooks } from '../groups/group.service';
import { assignedOnDayOf, unassignedClinicianOn } from '../groups/facilitator-sql';
import { CancelSessionInput, RecordAttendanceInput, ScheduleSessionsInput, UpdateSessionInput } from './session.inputs';
import { SESSION_COLUMNS, sessionFromRow, sessionLoaders } from './session.loaders';
import { canManageSessions } from './session.policy';
import { ATTENDED, Attendance, GroupSession, SessionStatus } from './session.types';

const SESSION = 'GroupSession';
export const MAX_SERIES = 104;

const WEEK_MS = 7 * 86_400_000;
/** The last instant a DateTime carries (9999-12-31T23:59:59.999Z), less 3 hours for a series' daylight-saving drift. */
const LATEST_END = Date.UTC(9999, 11, 31, 20, 59, 59, 999);

/** A session ending past what a DateTime can carry would be stored, and come back as no client can read it: refused. */
function refuseBeyondYear9999(lastStart: number, minutes: number, field: string): void {
  if (lastStart + minutes * 60_000 > LATEST_END) throw badInput('Sessions must end before 9999-12-31T21:00:00Z', { field });
}

export async function getSession(ctx: AuthedContext, globalId: string): Promise<GroupSession> {
  const id = uuidOf(globalId, SESSION);
  const session = id ? await ctx.loaders.of(sessionLoaders).visibleById.load(id) : null;
  if (!session) {
    ctx.audit.denied({ resourceType: SESSION, resourceId: id ?? null, code: 'NOT_FOUND' });
    throw notFound('Session');
  }
  return session;
}

/** The session carrying this external identifier, as `groupSession(id:)` would show it, or null. */
export async function getSessionByExternalId(ctx: AuthedContext, ref: ExternalIdentifierInput): Promise<GroupSession | null> {
  const id = await findByExternalId(ctx, SESSION, ref);
  const session = id ? await ctx.loaders.of(sessionLoaders).visibleById.load(id) : null;
  // As groupSession(id:) records it: the identifier named a session this viewer may not see.
  if (id && !session) ctx.audit.denied({ resourceType: SESSION, resourceId: id, code: 'NOT_FOUND' });
  return session;
}

async function managedGroup(ctx: AuthedContext, groupId: string): Promise<VisibleGroup> {
  const visible = await ctx.loaders.of(groupLoaders).visibleById.load(groupId);
  // Refusals are recorded (about no member: sessions are the group's).
  if (!visible) throw await refusedWrite(ctx, 'TherapyGroup', groupId, notFound('Group'));
  if (!canManageSessions(ctx.viewer, visible.access)) {
    throw await refusedWrite(ctx, 'TherapyGroup', groupId, forbidden('Only admins, supervisors and the group\'s facilitators manage its sessions'));
  }
  return visible;
}

async function managedSession(ctx: AuthedContext, globalId: string): Promise<GroupSession> {
  const session = await getSession(ctx, globalId);
  await managedGroup(ctx, session.groupId);
  return session;
}

/**
 * A clinician keeps the record of meetings held on days their assignment covered, as they write
 * them up (`unassignedClinicianOn`): attendance, and any change to a session that has started (or
 * is moved to a time past).
 */
async function refuseUnassignedClinician(ctx: AuthedContext, session: GroupSession, start: Date): Promise<void> {
  if (!(await unassignedClinicianOn(ctx.db, ctx.viewer, session.groupId, start))) return;
  throw await refusedWrite(ctx, SESSION, session.id, forbidden('You were not assigned to this group on the session\'s date: its facilitators then, a supervisor or an admin keep its record'));
}

/**
 * Minutes attended, from a record's status and times and its session's bounds (SQL expressions):
 * none for an absence; otherwise from when they joined (or the start) to when they left (or the
 * end), at most a day. Stored with the record, and worked out again when the session's length
 * changes. `$attended` is the parameter holding ATTENDED.
 */
const minutesSql = (status: string, joined: string, left: string, start: string, end: string, attended: string) =>
  `CASE WHEN ${status} = ANY(${attended}::text[])
        THEN LEAST(${MAX_ATTENDED_MINUTES}, GREATEST(0, round(extract(epoch FROM COALESCE(${left}, ${end}) - COALESCE(${joined}, ${start})) / 60)))::int
        ELSE 0 END`;

/** A session as it stands under its row lock, with what its writes are judged by. */
interface LockedSession {
  status: SessionStatus;
  scheduledStart: Date;
  durationMinutes: number;
  /** Attendance with an attended status (PRESENT, LATE, LEFT_EARLY) is recorded. */
  attended: boolean;
  /** Any attendance is recorded (an absence too). */
  hasAttendance: boolean;
  /**
   * A note the viewer may see is written for it (RLS: another clinician's psychotherapy note is not
   * seen, so it neither pins the session nor tells that it exists).
   */
  hasNotes: boolean;
  /** The database's clock, which every "has it started" question is asked against. */
  now: Date;
  /** The group's status (a CONCLUDED group meets no more: its sessions are not moved). */
  groupStatus: GroupStatus;
  /** The staff recorded as having facilitated it. */
  facilitatorsPresent: string[];
}

/**
 * Locks the group (shared: session writes of one group do not wait for each other, a status change
 * of the group waits for them, and they for it) and then the session, and reads both as they
 * stand: a write is judged by them, never by what a loader read before the locks. An ARCHIVED
 * group is read-only history.
 */
async function lockSessionForWrite(ctx: AuthedContext, session: GroupSession): Promise<LockedSession> {
  const [group] = await ctx.db.query<{ status: GroupStatus }>(`SELECT status FROM therapy_groups WHERE id = $1 FOR SHARE`, [session.groupId]);
  if (group?.status === GroupStatus.ARCHIVED) throw conflict('An ARCHIVED group is read-only history', { groupStatus: group.status });
  await ctx.db.query(`SELECT 1 FROM group_sessions WHERE id = $1 FOR NO KEY UPDATE`, [session.id]);
  // Read in a statement of its own, after the lock: a locking statement's subqueries keep the
  // snapshot it took before waiting, and would miss a note or attendance committed meanwhile.
  const [row] = await ctx.db.query<{ status: SessionStatus; scheduled_start: Date; minutes: number; attended: boolean; has_attendance: boolean; has_notes: boolean; now: Date; facilitators_present: string[] | null }>(
    `SELECT s.status, s.scheduled_start, (extract(epoch FROM s.scheduled_end - s.scheduled_start) / 60)::int AS minutes, now() AS now, s.facilitators_present,
            EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id AND a.status = ANY($2::text[])) AS attended,
            EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id) AS has_attendance,
            EXISTS (SELECT 1 FROM session_notes n WHERE n.session_id = s.id) AS has_notes
       FROM group_sessions s WHERE s.id = $1`,
    [session.id, ATTENDED],
  );
  return {
    status: row.status, scheduledStart: row.scheduled_start, durationMinutes: row.minutes, attended: row.attended, hasAttendance: row.has_attendance,
    hasNotes: row.has_notes, now: row.now, groupStatus: group.status, facilitatorsPresent: row.facilitators_present ?? [],
  };
}

/**
 * Weekly series are generated by PostgreSQL in the clinic's zone: local wall time + n weeks,
 * converted back to instants, so 18:00 stays 18:00 across daylight-saving changes.
 */
export async function scheduleSessions(ctx: AuthedContext, input: ScheduleSessionsInput): Promise<GroupSession[]> {
  const groupId = uuidOf(input.groupId, 'TherapyGroup');
  if (!groupId) throw notFound('Group');
  await managedGroup(ctx, groupId);
  // Read under a shared lock: a group concluding meanwhile either commits first or waits for these sessions.
  const [group] = await ctx.db.query<{ status: GroupStatus }>(`SELECT status FROM therapy_groups WHERE id = $1 FOR SHARE`, [groupId]);
  if (group.status === GroupStatus.CONCLUDED || group.status === GroupStatus.ARCHIVED) {
    throw conflict(`A ${group.status} group has no new sessions`, { groupStatus: group.status });
  }
  const weekly = input.weekly;
  if (weekly && input.externalIds?.length) throw badInput('externalIds name one session: add them to each session of a series with updateSession', { field: 'externalIds' });
  if (weekly && (weekly.count == null) === (weekly.until == null)) {
    throw badInput('A weekly series needs exactly one of count or until', { field: 'weekly' });
  }
  const count = weekly?.count ?? (weekly ? MAX_SERIES : 1);
  const until = toSqlDate(weekly?.until) ?? null;
  // The last start: `count` weeks on, or the last week whose local day is on or before `until`
  // (a local day ends at most 14 hours after the same UTC day).
  const first = input.firstStart.getTime();
  const weeks = until ? Math.min(count - 1, Math.max(0, Math.floor((Date.parse(`${until}T00:00:00Z`) + 38 * 3_600_000 - first) / WEEK_MS))) : count - 1;
  refuseBeyondYear9999(first + weeks * WEEK_MS, input.durationMinutes, weekly ? 'weekly' : 'durationMinutes');
  const recurrenceId = weekly ? randomUUID() : null;
  // The series runs one week past `count`: a session there on or before `until` means `until`
  // asks for more than a series holds (refused below, the insert rolled back with the mutation).
  const rows = await ctx.db.query<Parameters<typeof sessionFromRow>[0] & { beyond: boolean }>(
    `WITH tz AS (SELECT timezone FROM clinics WHERE id = $1),
     series AS (
       SELECT n, ((($3::timestamptz AT TIME ZONE tz.timezone) + make_interval(weeks => n)) AT TIME ZONE tz.timezone) AS start_at,
              (($3::timestamptz AT TIME ZONE tz.timezone) + make_interval(weeks => n))::date AS local_day
         FROM tz, generate_series(0, $4::int) AS n
     ),
     created AS (
       INSERT INTO group_sessions (clinic_id, group_id, scheduled_start, scheduled_end, topic, recurrence_id)
       SELECT $1, $2, start_at, start_at + make_interval(mins => $5), $6, $7 FROM series
        WHERE n < $4 AND ($8::date IS NULL OR local_day <= $8::date)
       RETURNING ${SESSION_COLUMNS}
     )
     SELECT created.*, EXISTS (SELECT 1 FROM series WHERE n = $4 AND local_day <= $8::date) AS beyond FROM created`,
    [ctx.db.clinicId, groupId, input.firstStart, count, input.durationMinutes, input.topic ?? null, recurrenceId, until],
  );
  if (rows.length === 0) throw badInput('until is before the first session', { field: 'weekly.until' });
  // Cut short at its limit, the series would look scheduled through `until` and end before it.
  if (rows[0].beyond) {
    throw badInput(`A weekly series holds at most ${MAX_SERIES} sessions, and until reaches a week after the ${MAX_SERIES}th: schedule the rest as another series`, { field: 'weekly.until' });
  }
  if (!weekly) await attachExternalIds(ctx, SESSION, rows[0].id, input.externalIds);
  ctx.audit.recordMany(rows.map((r) => ({ action: AuditAction.CREATE, resourceType: SESSION, resourceId: r.id })));
  return rows.map(sessionFromRow).sort((a, b) => a.scheduledStart.getTime() - b.scheduledStart.getTime());
}

export async function updateSession(ctx: AuthedContext, input: UpdateSessionInput): Promise<GroupSession> {
  const session = await managedSession(ctx, input.sessionId);
  if (input.status === SessionStatus.CANCELLED) throw badInput('Use cancelSession to cancel, with a reason', { field: 'status' });
  const locked = await lockSessionForWrite(ctx, session);
  if (locked.status === SessionStatus.CANCELLED) throw conflict('This session is cancelled', { status: locked.status });
  // What is not changed stays as it stands now: a concurrent move is never written back over.
  const start = input.scheduledStart ?? locked.scheduledStart;
  const minutes = input.durationMinutes ?? locked.durationMinutes;
  const status = input.status ?? locked.status;
  const moved = start.getTime() !== locked.scheduledStart.getTime();
  // The meeting's record as it stands, and as it would stand when moved into the past.
  if (locked.scheduledStart <= locked.now) await refuseUnassignedClinician(ctx, session, locked.scheduledStart);
  if (moved && start <= locked.now) await refuseUnassignedClinician(ctx, session, start);
  refuseBeyondYear9999(start.getTime(), minutes, input.scheduledStart ? 'scheduledStart' : 'durationMinutes');
  // Attendance was judged against the session's date (who was seated then): it stays where it was held.
  if (moved && locked.hasAttendance) throw conflict('Attendance is recorded for this session: it cannot be moved', { reason: 'ATTENDANCE_RECORDED' });
  // So was every note (about someone seated on that date): a signed record keeps its meeting's date.
  if (moved && locked.hasNotes) throw conflict('Notes are written for this session: it cannot be moved', { reason: 'NOTES_RECORDED' });
  if (status === SessionStatus.HELD && start > locked.now) throw conflict('A session is HELD only once it has started', { reason: 'SESSION_NOT_STARTED' });
  if (status === SessionStatus.SCHEDULED && locked.attended) {
    throw conflict('Members attended this session: it stays HELD', { reason: 'ATTENDANCE_RECORDED', status: locked.status });
  }
  // A concluded group meets no more: none of its sessions moves (into the future, it would become
  // a next meeting that, once the group is archived, nothing could cancel).
  if (moved && locked.groupStatus === GroupStatus.CONCLUDED) throw conflict('A CONCLUDED group meets no more: its sessions are not moved', { groupStatus: locked.groupStatus });
  const facilitators = input.facilitatorsPresent ? input.facilitatorsPresent.map((g) => uuidOf(g, 'StaffMember') ?? '') : null;
  // A record of who ran the meeting names each of them once.
  const named = facilitators?.filter((id) => id !== '') ?? [];
  if (new Set(named).size !== named.length) throw badInput('A facilitator is listed twice', { field: 'facilitatorsPresent' });
  // Those already recorded are judged against the date it moves to, as new ones are.
  const judged = facilitators ?? (moved && locked.facilitatorsPresent.length ? locked.facilitatorsPresent : null);
  if (judged) {
    // Assigned to the group on the session's date, in the clinic's calendar: not someone whose
    // assignment had ended or not yet begun (a clinical record of who ran the meeting).
    const allowed = await assignedOnDayOf(ctx.db, session.groupId, judged.filter((id) => id !== ''), start);
    if (judged.some((id) => !allowed.has(id))) {
      throw badInput('facilitatorsPresent must be facilitators of the group on the session\'s date', { field: 'facilitatorsPresent' });
    }
  }
  await ctx.db.query(
    `UPDATE group_sessions SET scheduled_start = $2, scheduled_end = $2::timestamptz + make_interval(mins => $3),
            topic = CASE WHEN $4 THEN $5 ELSE topic END, status = $6,
            facilitators_present = COALESCE($7::uuid[], facilitators_present), updated_at = now()
      WHERE id = $1`,
    [session.id, start, minutes, input.topic !== undefined, input.topic ?? null, status, facilitators],
  );
  // Minutes counted to the session's end follow its new length (a session cut short by half an
  // hour does not keep members attending past it).
  if (minutes !== locked.durationMinutes && locked.hasAttendance) {
    const changed = await ctx.db.query<{ id: string; client_id: string }>(
      `UPDATE attendance a SET minutes = x.minutes
         FROM (SELECT a2.id, ${minutesSql('a2.status', 'a2.joined_at', 'a2.left_at', 's.scheduled_start', 's.scheduled_end', '$2')} AS minutes
                 FROM attendance a2 JOIN group_sessions s ON s.id = a2.session_id WHERE a2.session_id = $1) x
        WHERE a.id = x.id AND a.minutes IS DISTINCT FROM x.minutes
        RETURNING a.id, a.client_id`,
      [session.id, ATTENDED],
    );
    ctx.audit.recordMany(changed.map((r) => ({ action: AuditAction.UPDATE, resourceType: 'Attendance', resourceId: r.id, subjectClientId: r.client_id })));
  }
  await attachExternalIds(ctx, SESSION, session.id, input.externalIds, { existing: true });
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: SESSION, resourceId: session.id });
  return reloadedAfterWrite(ctx, session);
}

export async function cancelSession(ctx: AuthedContext, input: CancelSessionInput): Promise<GroupSession> {
  const session = await managedSession(ctx, input.sessionId);
  const locked = await lockSessionForWrite(ctx, session);
  if (locked.scheduledStart <= locked.now) await refuseUnassignedClinician(ctx, session, locked.scheduledStart);
  // A meeting members attended, or one written up, happened: its clinical record does not hang
  // off a session marked as never held. (Absences excused ahead of it do not hold it.)
  if (locked.attended) throw conflict('Members attended this session: it cannot be cancelled', { reason: 'ATTENDANCE_RECORDED', status: locked.status });
  if (locked.hasNotes) throw conflict('Notes are written for this session: it cannot be cancelled', { reason: 'NOTES_RECORDED', status: locked.status });
  const updated = await ctx.db.query(
    `UPDATE group_sessions SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now(), updated_at = now()
      WHERE id = $1 AND status <> 'CANCELLED' RETURNING id`,
    [session.id, input.reason.trim()],
  );
  if (!updated.length) throw conflict('This session is already cancelled', { status: locked.status });
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: SESSION, resourceId: session.id });
  return reloadedAfterWrite(ctx, session);
}

/**
 * Drops what this request's loaders hold of a group's sessions once written (one session, or all
 * of the group's): the session, the group's session lists and next session, and attendance, whose
 * records carry whether their session was cancelled. Later fields of the same document read anew.
 */
function forgetWrittenSessions(ctx: AuthedContext, groupId: string, sessionId?: string) {
  const loaders = ctx.loaders.of(sessionLoaders);
  if (sessionId) {
    loaders.visibleById.clear(sessionId);
    loaders.attendanceBySession.clear(sessionId);
  } else {
    loaders.visibleById.clearAll();
    loaders.attendanceBySession.clearAll();
  }
  loaders.byGroup.clearAll();
  loaders.next.clear(groupId);
  loaders.attendanceByMembership.clearAll();
  loaders.attendanceById.clearAll();
}

/** The session as written (`forgetWrittenSessions`). */
async function reloadedAfterWrite(ctx: AuthedContext, session: GroupSession): Promise<GroupSession> {
  forgetWrittenSessions(ctx, session.groupId, session.id);
  return (await ctx.loaders.of(sessionLoaders).visibleById.load(session.id))!;
}

/** Minutes of attendance recorded at most: a day. */
const MAX_ATTENDED_MINUTES = 1440;

/**
 * Records many members at once, all or nothing. Each membership must belong to the session's
 * group and have been seated at the session's local date; re-recording replaces (audited).
 */
export async function recordAttendance(ctx: AuthedContext, input: RecordAttendanceInput): Promise<Attendance[]> {
  const session = await managedSession(ctx, input.sessionId);
  // Locked while attendance is written, read under the lock: a concurrent cancelSession or move
  // either commits first (and this is judged by it) or waits for this request.
  const locked = await lockSessionForWrite(ctx, session);
  const status = locked.status;
  if (status === SessionStatus.CANCELLED) throw conflict('Attendance is not recorded for a cancelled session', { status });
  await refuseUnassignedClinician(ctx, session, locked.scheduledStart);
  // Nobody has attended a session that has not begun (an absence may be excused ahead of it).
  if (locked.scheduledStart > locked.now && input.records.some((r) => ATTENDED.includes(r.status))) {
    throw conflict('Members attend a session once it has started: record absences only, until then', { reason: 'SESSION_NOT_STARTED' });
  }
  const ids = input.records.map((r) => uuidOf(r.membershipId, 'Membership') ?? '');
  // Ids that name no membership are reported below, by index, with the others not found.
  const named = ids.filter((id) => id !== '');
  if (new Set(named).size !== named.length) throw badInput('A membership is listed twice', { field: 'records' });
  input.records.forEach((r, i) => {
    if (r.joinedAt && r.leftAt && r.leftAt < r.joinedAt) throw badInput(`records[${i}]: leftAt is before joinedAt`, { field: `records.${i}.leftAt`, index: i });
    // An absent member neither joined nor left.
    const time = r.joinedAt ? 'joinedAt' : r.leftAt ? 'leftAt' : null;
    if (time && !ATTENDED.includes(r.status)) throw badInput(`records[${i}]: a ${r.status} record has no ${time}`, { field: `records.${i}.${time}`, index: i });
  });
  const eligible = await ctx.db.query<{ id: string; client_id: string; recorded_under_other: boolean }>(
    `SELECT m.id, m.client_id,
            EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id AND a.client_id = m.client_id AND a.membership_id <> ALL($2::uuid[])) AS recorded_under_other
       FROM memberships m, group_sessions s, clinics c
      WHERE s.id = $1 AND c.id = s.clinic_id AND m.id = ANY($2::uuid[]) AND m.group_id = s.group_id
        AND m.period_start IS NOT NULL AND m.period_start <= (s.scheduled_start AT TIME ZONE c.timezone)::date
        AND (m.period_end IS NULL OR m.period_end >= (s.scheduled_start AT TIME ZONE c.timezone)::date)`,
    [session.id, ids.filter((id) => id !== '')],
  );
  const clientOf = new Map(eligible.map((m) => [m.id, m.client_id]));
  const missing = ids.map((id, index) => ({ id, index })).filter(({ id }) => !clientOf.has(id));
  if (missing.length) {
    throw badInput('Some memberships were not active members of the group at the session time', {
      field: 'records',
      indexes: missing.map((m) => m.index),
    });
  }
  // One record per person: a member who finished and rejoined on one day holds two memberships
  // seated that day, and attends once (as one PROGRESS note is written per member per session).
  const taken = new Set(eligible.filter((m) => m.recorded_under_other).map((m) => m.client_id));
  const seen = new Set<string>();
  const twice = ids.map((id, index) => ({ client: clientOf.get(id)!, index })).filter(({ client }) => {
    const again = seen.has(client) || taken.has(client);
    seen.add(client);
    return again;
  });
  if (twice.length) {
    throw badInput('A member is recorded once per session: these memberships are of a member listed, or recorded, under another', {
      field: 'records',
      indexes: twice.map((t) => t.index),
    });
  }
  const staffId = ctx.viewer.kind === 'STAFF' ? ctx.viewer.staffId : null;
  const rows = await ctx.db.query<{ id: string; membership_id: string; client_id: string; replaced: boolean }>(
    `INSERT INTO attendance (clinic_id, session_id, membership_id, client_id, status, joined_at, left_at, minutes, recorded_by_id)
     SELECT $1, $2, r.membership_id, r.client_id, r.status, r.joined_at, r.left_at,
            ${minutesSql('r.status', 'r.joined_at', 'r.left_at', 's.scheduled_start', 's.scheduled_end', '$9')}, $3
       FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::timestamptz[], $8::timestamptz[])
         AS r(membership_id, client_id, status, joined_at, left_at)
       JOIN group_sessions s ON s.id = $2
     ON CONFLICT (session_id, membership_id) DO UPDATE
        SET status = EXCLUDED.status, joined_at = EXCLUDED.joined_at, left_at = EXCLUDED.left_at,
            minutes = EXCLUDED.minutes, recorded_by_id = EXCLUDED.recorded_by_id, recorded_at = now()
     RETURNING id, membership_id, client_id, (xmax <> 0) AS replaced`,
    [ctx.db.clinicId, session.id, staffId, ids, ids.map((id) => clientOf.get(id)), input.records.map((r) => r.status),
      input.records.map((r) => r.joinedAt ?? null), input.records.map((r) => r.leftAt ?? null), ATTENDED],
  );
  ctx.audit.recordMany(
    rows.map((r) => ({ action: r.replaced ? AuditAction.UPDATE : AuditAction.CREATE, resourceType: 'Attendance', resourceId: r.id, subjectClientId: r.client_id })),
  );
  if (input.records.some((r) => ATTENDED.includes(r.status)) && status === SessionStatus.SCHEDULED) {
    await ctx.db.query(`UPDATE group_sessions SET status = 'HELD', updated_at = now() WHERE id = $1`, [session.id]);
  }
  // Every attendance list of this request could hold a replaced record (by member, by id), and the
  // session may have become HELD: all dropped.
  forgetWrittenSessions(ctx, session.groupId, session.id);
  return ctx.loaders.of(sessionLoaders).attendanceBySession.load(session.id);
}


/**
 * A group that concludes meets no more: its sessions still to come are cancelled ("The group
 * concluded"), or they would stay its next session for good, and once it is archived nothing
 * could cancel them.
 */
async function cancelFutureSessions(ctx: AuthedContext, groupId: string) {
  const cancelled = await ctx.db.query<{ id: string }>(
    `UPDATE group_sessions SET status = 'CANCELLED', cancel_reason = 'The group concluded', cancelled_at = now(), updated_at = now()
      WHERE group_id = $1 AND status = 'SCHEDULED' AND scheduled_start > now() RETURNING id`,
    [groupId],
  );
  for (const { id } of cancelled) ctx.audit.record({ action: AuditAction.UPDATE, resourceType: SESSION, resourceId: id });
  forgetWrittenSessions(ctx, groupId);
}

// Registered at import: the groups module must not import sessions (sessions depend on groups).
groupConcludedHooks.push(cancelFutureSessions);
