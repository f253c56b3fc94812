import { hasRosterScope, isStaff, StaffViewer, Viewer } from '../../auth/viewer';

/** Colleagues' work emails are for staff and roster integrations, not for members or other scopes. */
export const canSeeStaffEmail = (viewer: Viewer) => isStaff(viewer) || hasRosterScope(viewer);

export const canManageStaff = (viewer: Viewer): viewer is StaffViewer => isStaff(viewer) && viewer.role === 'ADMIN';

/** An admin may not deactivate or demote themselves: a clinic must never lock out its last admin by accident. */
export const isSelfLockout = (viewer: StaffViewer, targetId: string, change: { role?: string | null; active?: boolean | null }) =>
  viewer.staffId === targetId && ((change.role != null && change.role !== 'ADMIN') || change.active === false);
