import { registerEnumType } from 'type-graphql';

export enum GoalMeasureKind {
  BOOLEAN = 'BOOLEAN',
  COUNT = 'COUNT',
  SCALE = 'SCALE',
}
registerEnumType(GoalMeasureKind, {
  name: 'GoalMeasureKind',
  description: 'How progress on a goal is measured.',
  valuesConfig: {
    BOOLEAN: { description: 'Did it or not: check-in value 1 (yes) or 0 (no).' },
    COUNT: { description: 'How many times, a whole number 0–1000; the period is met when the sum reaches the target.' },
    SCALE: { description: 'A rating 0–10; the period is met when its last rating reaches the target.' },
  },
});

export enum MeasurePeriod {
  DAILY = 'DAILY',
  WEEKLY = 'WEEKLY',
}
registerEnumType(MeasurePeriod, {
  name: 'MeasurePeriod',
  description: 'The period streaks count in, reckoned in the clinic\'s time zone.',
  valuesConfig: {
    DAILY: { description: 'Each local calendar day.' },
    WEEKLY: { description: 'Each ISO week, Monday to Sunday.' },
  },
});

export enum GoalLifecycleStatus {
  PROPOSED = 'PROPOSED',
  ACTIVE = 'ACTIVE',
  ON_HOLD = 'ON_HOLD',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(GoalLifecycleStatus, {
  name: 'GoalLifecycleStatus',
  description: 'Lifecycle of a goal (FHIR Goal.lifecycleStatus).',
  valuesConfig: {
    PROPOSED: { description: 'Suggested, not yet taken on.' },
    ACTIVE: { description: 'Being worked on.' },
    ON_HOLD: { description: 'Paused.' },
    COMPLETED: { description: 'Finished.' },
    CANCELLED: { description: 'Abandoned.' },
  },
});

export enum GoalAchievementStatus {
  IN_PROGRESS = 'IN_PROGRESS',
  IMPROVING = 'IMPROVING',
  WORSENING = 'WORSENING',
  NO_CHANGE = 'NO_CHANGE',
  ACHIEVED = 'ACHIEVED',
  SUSTAINING = 'SUSTAINING',
  NOT_ACHIEVED = 'NOT_ACHIEVED',
  NO_PROGRESS = 'NO_PROGRESS',
}
registerEnumType(GoalAchievementStatus, {
  name: 'GoalAchievementStatus',
  description: 'Progress towards a goal (FHIR Goal.achievementStatus).',
  valuesConfig: {
    IN_PROGRESS: { description: 'Under way, too early to judge.' },
    IMPROVING: { description: 'Getting closer.' },
    WORSENING: { description: 'Moving away.' },
    NO_CHANGE: { description: 'Holding steady.' },
    ACHIEVED: { description: 'Reached.' },
    SUSTAINING: { description: 'Reached and kept up.' },
    NOT_ACHIEVED: { description: 'Not reached.' },
    NO_PROGRESS: { description: 'No check-ins yet.' },
  },
});

export enum GoalVisibility {
  PRIVATE = 'PRIVATE',
  PARTNERS = 'PARTNERS',
  GROUP = 'GROUP',
}
registerEnumType(GoalVisibility, {
  name: 'GoalVisibility',
  description: 'Who besides the member and their clinicians may see a goal, among people. A partner integration (an app the member granted PARTNER_DATA_SHARING) is not one of them: it receives every goal of the member, whatever its visibility, while that consent stands.',
  valuesConfig: {
    PRIVATE: { description: 'Not peers or accountability partners: the member, the group\'s clinicians and supervisors (and a partner integration the member granted PARTNER_DATA_SHARING).' },
    PARTNERS: { description: 'Also active accountability partners.' },
    GROUP: { description: 'Also peers in the group, while both are ACTIVE members (not on hold) and the member holds GOAL_SHARING consent for it; and active accountability partners.' },
  },
});

export enum PartnershipStatus {
  PROPOSED = 'PROPOSED',
  ACTIVE = 'ACTIVE',
  DECLINED = 'DECLINED',
  ENDED = 'ENDED',
}
registerEnumType(PartnershipStatus, {
  name: 'PartnershipStatus',
  description: 'Lifecycle of an accountability partnership.',
  valuesConfig: {
    PROPOSED: { description: 'Waiting for the other member.' },
    ACTIVE: { description: 'Both accepted.' },
    DECLINED: { description: 'The other member said no.' },
    ENDED: { description: 'Ended by either member, or because a membership ended.' },
  },
});
