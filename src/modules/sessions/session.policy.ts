import { hasScope, Viewer } from '../../auth/viewer';
import type { GroupAccess } from '../groups/group.policy';

/**
 * Sessions (their times, topic and status: the schedule that is part of a group's details) are
 * visible to everyone who sees the group, applicants and other clinicians included; not to former
 * members, whose group's schedule is no longer theirs. Attendance follows `attendanceScope`.
 */
export const canSeeSessions = (access: GroupAccess | null) => access !== null && access !== 'NONE' && access !== 'ALUMNI';

/**
 * Attendance: staff with roster access to the group and integrations with `sessions:read`
 * see everyone's; a member sees only their own; other clinicians see none.
 */
export function attendanceScope(viewer: Viewer, access: GroupAccess): 'ALL' | 'OWN' | 'NONE' {
  if (viewer.kind === 'MEMBER') return access === 'MEMBER' || access === 'ALUMNI' || access === 'APPLICANT' ? 'OWN' : 'NONE';
  if (viewer.kind === 'INTEGRATION') return access === 'ROSTER' && hasScope(viewer, 'sessions:read') ? 'ALL' : 'NONE';
  return access === 'ROSTER' ? 'ALL' : 'NONE';
}

/** Scheduling and attendance: admins, supervisors and the group's facilitators. */
export const canManageSessions = (viewer: Viewer, access: GroupAccess) => viewer.kind === 'STAFF' && access === 'ROSTER';
