import { GroupStatus } from './group.enums';

/**
 * FORMING → ACTIVE ⇄ PAUSED, FORMING, ACTIVE or PAUSED → CONCLUDED → ARCHIVED; anything else is a
 * CONFLICT. A group that never started, or is paused, can be concluded as it stands (resuming it
 * first would need a lead in force only to close it).
 */
export const GROUP_TRANSITIONS: Readonly<Record<GroupStatus, readonly GroupStatus[]>> = {
  FORMING: [GroupStatus.ACTIVE, GroupStatus.CONCLUDED],
  ACTIVE: [GroupStatus.PAUSED, GroupStatus.CONCLUDED],
  PAUSED: [GroupStatus.ACTIVE, GroupStatus.CONCLUDED],
  CONCLUDED: [GroupStatus.ARCHIVED],
  ARCHIVED: [],
};

export const canChangeGroupStatus = (from: GroupStatus, to: GroupStatus) => GROUP_TRANSITIONS[from].includes(to);

/** Groups that still take enrolments. */
export const acceptsEnrolment = (s: GroupStatus) => s === GroupStatus.FORMING || s === GroupStatus.ACTIVE || s === GroupStatus.PAUSED;
