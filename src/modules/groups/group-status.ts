import { GroupFormat, GroupStatus } from './group.enums';

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

type Seating = { format: GroupFormat; status: GroupStatus };

/** A CLOSED group whose cohort has started seats no one new (a return from a hold is not a new seat). */
export const cohortClosed = (g: Seating) => g.format === GroupFormat.CLOSED && g.status !== GroupStatus.FORMING;

/** Groups that fill freed seats from their waitlist, where the waitlist goes first: OPEN and ROLLING ones still taking members (CLOSED groups keep theirs for the next cohort). */
export const promotesWaitlist = (g: Seating) => g.format !== GroupFormat.CLOSED && acceptsEnrolment(g.status);
