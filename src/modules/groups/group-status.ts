import { GroupStatus } from './group.enums';

/** FORMING → ACTIVE ⇄ PAUSED, ACTIVE → CONCLUDED → ARCHIVED; anything else is a CONFLICT. */
export const GROUP_TRANSITIONS: Readonly<Record<GroupStatus, readonly GroupStatus[]>> = {
  FORMING: [GroupStatus.ACTIVE],
  ACTIVE: [GroupStatus.PAUSED, GroupStatus.CONCLUDED],
  PAUSED: [GroupStatus.ACTIVE],
  CONCLUDED: [GroupStatus.ARCHIVED],
  ARCHIVED: [],
};

export const canChangeGroupStatus = (from: GroupStatus, to: GroupStatus) => GROUP_TRANSITIONS[from].includes(to);

/** Groups that still take enrolments. */
export const acceptsEnrolment = (s: GroupStatus) => s === GroupStatus.FORMING || s === GroupStatus.ACTIVE || s === GroupStatus.PAUSED;
