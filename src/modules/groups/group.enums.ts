import { registerEnumType } from 'type-graphql';

export enum Modality {
  CBT = 'CBT',
  DBT_SKILLS = 'DBT_SKILLS',
  ACT = 'ACT',
  PROCESS = 'PROCESS',
  PSYCHOEDUCATION = 'PSYCHOEDUCATION',
  SUPPORT = 'SUPPORT',
  MINDFULNESS = 'MINDFULNESS',
  RELAPSE_PREVENTION = 'RELAPSE_PREVENTION',
  INTERPERSONAL = 'INTERPERSONAL',
  OTHER = 'OTHER',
}
registerEnumType(Modality, {
  name: 'Modality',
  description: 'The therapeutic approach of a group.',
  valuesConfig: {
    CBT: { description: 'Cognitive behavioural therapy group.' },
    DBT_SKILLS: { description: 'Dialectical behaviour therapy skills group.' },
    ACT: { description: 'Acceptance and commitment therapy group.' },
    PROCESS: { description: 'Interpersonal process group.' },
    PSYCHOEDUCATION: { description: 'Psychoeducational group.' },
    SUPPORT: { description: 'Support group.' },
    MINDFULNESS: { description: 'Mindfulness-based group.' },
    RELAPSE_PREVENTION: { description: 'Relapse-prevention group.' },
    INTERPERSONAL: { description: 'Interpersonal psychotherapy group.' },
    OTHER: { description: 'Another approach, described in the group description.' },
  },
});

export enum GroupFormat {
  CLOSED = 'CLOSED',
  OPEN = 'OPEN',
  ROLLING = 'ROLLING',
}
registerEnumType(GroupFormat, {
  name: 'GroupFormat',
  description: 'How members join a group.',
  valuesConfig: {
    CLOSED: { description: 'A fixed cohort: no new members once the group is ACTIVE.' },
    OPEN: { description: 'Members may join at any time while seats are free.' },
    ROLLING: { description: 'Members join and complete on their own timelines; freed seats go to the waitlist.' },
  },
});

export enum GroupStatus {
  FORMING = 'FORMING',
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
  CONCLUDED = 'CONCLUDED',
  ARCHIVED = 'ARCHIVED',
}
registerEnumType(GroupStatus, {
  name: 'GroupStatus',
  description: 'Lifecycle of a group: FORMING → ACTIVE ⇄ PAUSED, FORMING, ACTIVE or PAUSED → CONCLUDED → ARCHIVED.',
  valuesConfig: {
    FORMING: { description: 'Being put together: screening and enrolling members.' },
    ACTIVE: { description: 'Meeting. Needs a lead facilitator.' },
    PAUSED: { description: 'Temporarily not meeting.' },
    CONCLUDED: { description: 'Finished meeting; records stay.' },
    ARCHIVED: { description: 'Closed for good; read-only history.' },
  },
});

export enum PeerContactPolicy {
  ANYTIME = 'ANYTIME',
  AFTER_COMPLETION = 'AFTER_COMPLETION',
  NEVER = 'NEVER',
}
registerEnumType(PeerContactPolicy, {
  name: 'PeerContactPolicy',
  description: 'When members of the group may exchange contact details (by double opt-in).',
  valuesConfig: {
    ANYTIME: { description: 'Also while the group is running.' },
    AFTER_COMPLETION: { description: 'Only once both members\' memberships have ended.' },
    NEVER: { description: 'Never through this platform.' },
  },
});

export enum FacilitatorRole {
  LEAD = 'LEAD',
  CO = 'CO',
}
registerEnumType(FacilitatorRole, {
  name: 'FacilitatorRole',
  description: 'A facilitator\'s role in a group.',
  valuesConfig: {
    LEAD: { description: 'Lead facilitator: clinically responsible for the group.' },
    CO: { description: 'Co-facilitator.' },
  },
});
