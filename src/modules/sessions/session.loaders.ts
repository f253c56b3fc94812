import DataLoader from 'dataloader';
import { AuditAction } from '../../audit/audit-action';
import type { RequestContext } from '../../context';
import { groupLoaders } from '../groups/group.loaders';
import { attendanceScope, canSeeSessions } from './session.policy';
import { Attendance, GroupSession } from './session.types';

interface SessionRow {
  id: string;
  group_id: string;
  scheduled_start: Date;
  scheduled_end: Date;
  status: GroupSession['status'];
  topic: string | null;
  cancel_reason: string | null;
  facilitators_present: string[];
}

export const SESSION_COLUMNS = 'id, group_id, scheduled_start, scheduled_end, status, topic, cancel_reason, facilitators_present';

export const sessionFromRow = (r: SessionRow): GroupSession =>
  Object.assign(new GroupSession(), {
    id: r.id,
    groupId: r.group_id,
    scheduledStart: r.scheduled_start,
    scheduledEnd: r.scheduled_end,
    durationMinutes: Math.round((r.scheduled_end.getTime() - r.scheduled_start.getTime()) / 60000),
    status: r.status,
    topic: r.topic,
    cancelReason: r.cancel_reason,
    facilitatorIds: r.facilitators_present,
  });

interface AttendanceRow {
  id: string;
  session_id: string;
  membership_id: string;
  client_id: string;
  status: Attendance['status'];
  joined_at: Date | null;
  left_at: Date | null;
  minutes: number | null;
  recorded_at: Date;
}

const attendanceFromRow = (r: AttendanceRow): Attendance =>
  Object.assign(new Attendance(), {
    id: r.id,
    sessionId: r.session_id,
    membershipId: r.membership_id,
    clientId: r.client_id,
    status: r.status,
    joinedAt: r.joined_at,
    leftAt: r.left_at,
    minutes: r.minutes,
    recordedAt: r.recorded_at,
  });

async function visibleSessions(ctx: RequestContext, sessions: GroupSession[]): Promise<GroupSession[]> {
  const groups = await ctx.loaders.of(groupLoaders).visibleById.loadMany([...new Set(sessions.map((s) => s.groupId))]);
  const visibleGroups = new Set(groups.filter((g) => g && !(g instanceof Error) && canSeeSessions(g.access)).map((g) => (g as { group: { id: string } }).group.id));
  return sessions.filter((s) => visibleGroups.has(s.groupId));
}

/** Attendance rows the viewer may see, audited as reads of each member's data. */
async function visibleAttendance(ctx: RequestContext, rows: Attendance[], groupOfSession: Map<string, string>): Promise<Attendance[]> {
  const viewer = ctx.viewer;
  if (!viewer) return [];
  const groupIds = [...new Set(groupOfSession.values())];
  const groups = await ctx.loaders.of(groupLoaders).visibleById.loadMany(groupIds);
  const access = new Map(groupIds.map((id, i) => [id, groups[i]]));
  const out = rows.filter((a) => {
    const g = access.get(groupOfSession.get(a.sessionId) ?? '');
    if (!g || g instanceof Error) return false;
    const scope = attendanceScope(viewer, g.access);
    return scope === 'ALL' || (scope === 'OWN' && viewer.kind === 'MEMBER' && a.clientId === viewer.clientId);
  });
  ctx.audit.recordMany(out.map((a) => ({ action: AuditAction.READ, resourceType: 'Attendance', resourceId: a.id, subjectClientId: a.clientId })));
  return out;
}

/**
 * Attendance rows (alias `a`, session `s`) matching `condition` (SQL: a filter on $1, the keys,
 * then its order), as the viewer may see them: the one read behind every attendance loader.
 */
async function attendanceWhere(ctx: RequestContext, condition: string, keys: readonly string[]): Promise<Attendance[]> {
  const rows = await ctx.db.query<AttendanceRow & { group_id: string; session_cancelled: boolean }>(
    `SELECT a.*, s.group_id, s.status = 'CANCELLED' AS session_cancelled FROM attendance a JOIN group_sessions s ON s.id = a.session_id WHERE ${condition}`,
    [[...keys]],
  );
  const groupOf = new Map(rows.map((r) => [r.session_id, r.group_id]));
  return visibleAttendance(ctx, rows.map((r) => Object.assign(attendanceFromRow(r), { sessionCancelled: r.session_cancelled })), groupOf);
}

export const sessionLoaders = (ctx: RequestContext) => ({
  visibleById: new DataLoader<string, GroupSession | null>(async (ids) => {
    const rows = await ctx.db.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM group_sessions WHERE id = ANY($1)`, [[...ids]]);
    const visible = new Map((await visibleSessions(ctx, rows.map(sessionFromRow))).map((s) => [s.id, s]));
    return ids.map((id) => visible.get(id) ?? null);
  }),

  /** Sessions of each group in a time range (the key carries the range), in time order. */
  byGroup: new DataLoader<{ groupId: string; from: string | null; to: string | null; limit: number }, GroupSession[], string>(
    async (keys) => {
      // One statement per distinct range asked for in this request (usually one).
      const shapes = new Map<string, (typeof keys)[number][]>();
      for (const k of keys) {
        const shape = JSON.stringify([k.from, k.to, k.limit]);
        shapes.set(shape, [...(shapes.get(shape) ?? []), k]);
      }
      const results = new Map<string, GroupSession[]>();
      for (const group of shapes.values()) {
        const { from, to, limit } = group[0];
        const rows = await ctx.db.query<SessionRow & { rn: number }>(
          `SELECT * FROM (
             SELECT ${SESSION_COLUMNS}, row_number() OVER (PARTITION BY group_id ORDER BY scheduled_start, id) AS rn
               FROM group_sessions
              WHERE group_id = ANY($1) AND ($2::timestamptz IS NULL OR scheduled_start >= $2) AND ($3::timestamptz IS NULL OR scheduled_start < $3)
           ) s WHERE rn <= $4 ORDER BY scheduled_start, id`,
          [group.map((k) => k.groupId), from, to, limit],
        );
        const sessions = rows.map(sessionFromRow);
        for (const k of group) results.set(JSON.stringify(k), sessions.filter((s) => s.groupId === k.groupId));
      }
      return keys.map((k) => results.get(JSON.stringify(k)) ?? []);
    },
    { cacheKeyFn: (k) => JSON.stringify(k) },
  ),

  /**
   * The next session of each group that has not ended (database clock): one in progress too, which
   * taking attendance makes HELD while members are still in the room. Cancelled ones never.
   */
  next: new DataLoader<string, GroupSession | null>(async (groupIds) => {
    const rows = await ctx.db.query<SessionRow>(
      `SELECT DISTINCT ON (group_id) ${SESSION_COLUMNS} FROM group_sessions
        WHERE group_id = ANY($1) AND status <> 'CANCELLED' AND scheduled_end > now()
        ORDER BY group_id, scheduled_start, id`,
      [[...groupIds]],
    );
    const byGroup = new Map(rows.map((r) => [r.group_id, sessionFromRow(r)]));
    return groupIds.map((id) => byGroup.get(id) ?? null);
  }),

  attendanceBySession: new DataLoader<string, Attendance[]>(async (sessionIds) => {
    const visible = await attendanceWhere(ctx, 'a.session_id = ANY($1) ORDER BY a.recorded_at, a.id', sessionIds);
    return sessionIds.map((id) => visible.filter((a) => a.sessionId === id));
  }),

  /** Attendance records by id, as the viewer may see them (only those returned are audited). */
  attendanceById: new DataLoader<string, Attendance | null>(async (ids) => {
    const visible = new Map((await attendanceWhere(ctx, 'a.id = ANY($1)', ids)).map((a) => [a.id, a]));
    return ids.map((id) => visible.get(id) ?? null);
  }),

  attendanceByMembership: new DataLoader<string, Attendance[]>(async (membershipIds) => {
    const visible = await attendanceWhere(ctx, 'a.membership_id = ANY($1) ORDER BY s.scheduled_start, a.id', membershipIds);
    return membershipIds.map((id) => visible.filter((a) => a.membershipId === id));
  }),
});
