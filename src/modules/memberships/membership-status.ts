import { registerEnumType } from 'type-graphql';

export enum MembershipStatus {
  REFERRED = 'REFERRED',
  SCREENING = 'SCREENING',
  WAITLISTED = 'WAITLISTED',
  ACTIVE = 'ACTIVE',
  ON_HOLD = 'ON_HOLD',
  COMPLETED = 'COMPLETED',
  WITHDRAWN = 'WITHDRAWN',
  DISCHARGED = 'DISCHARGED',
}
registerEnumType(MembershipStatus, {
  name: 'MembershipStatus',
  description: 'Where a client stands in a group. See `allowedTransitions` on a membership.',
  valuesConfig: {
    REFERRED: { description: 'Referred to the group, not yet screened.' },
    SCREENING: { description: 'Being assessed for fit.' },
    WAITLISTED: { description: 'Waiting for a seat; promoted in order when one frees (OPEN and ROLLING groups).' },
    ACTIVE: { description: 'A seated member attending the group.' },
    ON_HOLD: { description: 'Temporarily not attending; keeps the seat.' },
    COMPLETED: { description: 'Finished the group. Final.' },
    WITHDRAWN: { description: 'Left before completing (own choice or roster sync). Final.' },
    DISCHARGED: { description: 'Ended by the clinic. Final.' },
  },
});

/** The membership state machine; every other move is a CONFLICT. */
export const MEMBERSHIP_TRANSITIONS: Readonly<Record<MembershipStatus, readonly MembershipStatus[]>> = {
  REFERRED: [MembershipStatus.SCREENING, MembershipStatus.WITHDRAWN],
  SCREENING: [MembershipStatus.WAITLISTED, MembershipStatus.ACTIVE, MembershipStatus.WITHDRAWN],
  WAITLISTED: [MembershipStatus.ACTIVE, MembershipStatus.WITHDRAWN],
  ACTIVE: [MembershipStatus.ON_HOLD, MembershipStatus.COMPLETED, MembershipStatus.WITHDRAWN, MembershipStatus.DISCHARGED],
  ON_HOLD: [MembershipStatus.ACTIVE, MembershipStatus.COMPLETED, MembershipStatus.WITHDRAWN, MembershipStatus.DISCHARGED],
  COMPLETED: [],
  WITHDRAWN: [],
  DISCHARGED: [],
};

/** Statuses that hold one of the group's seats. */
export const SEATED: readonly MembershipStatus[] = [MembershipStatus.ACTIVE, MembershipStatus.ON_HOLD];
/** Statuses after which the membership is over. */
export const ENDED: readonly MembershipStatus[] = [MembershipStatus.COMPLETED, MembershipStatus.WITHDRAWN, MembershipStatus.DISCHARGED];

export const canTransition = (from: MembershipStatus, to: MembershipStatus) => MEMBERSHIP_TRANSITIONS[from].includes(to);
export const isSeated = (s: MembershipStatus) => SEATED.includes(s);
export const isEnded = (s: MembershipStatus) => ENDED.includes(s);

/** The steps a membership may take in a group of this status: a CONCLUDED group's only close, an ARCHIVED group's none. */
export function transitionsIn(groupStatus: string, from: MembershipStatus): readonly MembershipStatus[] {
  if (groupStatus === 'ARCHIVED') return [];
  return groupStatus === 'CONCLUDED' ? MEMBERSHIP_TRANSITIONS[from].filter(isEnded) : MEMBERSHIP_TRANSITIONS[from];
}
