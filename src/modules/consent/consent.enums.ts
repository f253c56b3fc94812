import { registerEnumType } from 'type-graphql';

export enum ConsentType {
  TREATMENT = 'TREATMENT',
  GROUP_AGREEMENT = 'GROUP_AGREEMENT',
  GOAL_SHARING = 'GOAL_SHARING',
  CONTACT_SHARING = 'CONTACT_SHARING',
  ALUMNI_DIRECTORY = 'ALUMNI_DIRECTORY',
  RECORDING = 'RECORDING',
  PARTNER_DATA_SHARING = 'PARTNER_DATA_SHARING',
  RESEARCH = 'RESEARCH',
}
registerEnumType(ConsentType, {
  name: 'ConsentType',
  description: 'What a consent is about. Each gates specific data; see the README\'s consent model.',
  valuesConfig: {
    TREATMENT: { description: 'Consent to group treatment.' },
    GROUP_AGREEMENT: { description: 'Acceptance of a group\'s agreement (scope: the group). Without it a member sees no peers.' },
    GOAL_SHARING: { description: 'Peers of the group (scope) may see the member\'s GROUP-visible goals and check-ins (PARTNERS-visible goals go to accountability partners, under the partnership itself).' },
    CONTACT_SHARING: { description: 'Contact details may be revealed to accepted connections.' },
    ALUMNI_DIRECTORY: { description: 'Listed in the group\'s (scope) alumni directory after completing.' },
    RECORDING: { description: 'Sessions may be recorded.' },
    PARTNER_DATA_SHARING: { description: 'A partner integration (scope) may receive the member\'s data beyond the roster.' },
    RESEARCH: { description: 'De-identified data may be used for research.' },
  },
});

export enum ConsentProvision {
  PERMIT = 'PERMIT',
  DENY = 'DENY',
}
registerEnumType(ConsentProvision, {
  name: 'ConsentProvision',
  description: 'Whether the consent permits or denies (FHIR Consent.provision.type). An active DENY overrides any PERMIT.',
  valuesConfig: { PERMIT: { description: 'Allows the use.' }, DENY: { description: 'Forbids the use, overriding permits.' } },
});

export enum ConsentMethod {
  ELECTRONIC = 'ELECTRONIC',
  SIGNED_FORM = 'SIGNED_FORM',
  VERBAL = 'VERBAL',
}
registerEnumType(ConsentMethod, {
  name: 'ConsentMethod',
  description: 'How the consent was given.',
  valuesConfig: {
    ELECTRONIC: { description: 'By the member in an app.' },
    SIGNED_FORM: { description: 'On a signed form, recorded by staff.' },
    VERBAL: { description: 'Verbally, recorded by staff.' },
  },
});

export enum ConsentStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}
registerEnumType(ConsentStatus, {
  name: 'ConsentStatus',
  description: 'Derived from the database clock at read time.',
  valuesConfig: {
    ACTIVE: { description: 'In force.' },
    EXPIRED: { description: 'Its expiry has passed.' },
    REVOKED: { description: 'Withdrawn.' },
  },
});

export enum ConsentScopeKind {
  CLINIC = 'CLINIC',
  GROUP = 'GROUP',
  INTEGRATION = 'INTEGRATION',
}
registerEnumType(ConsentScopeKind, {
  name: 'ConsentScopeKind',
  description: 'What a consent applies to. A clinic-wide consent covers every group or integration for its type.',
  valuesConfig: {
    CLINIC: { description: 'The whole clinic.' },
    GROUP: { description: 'One group.' },
    INTEGRATION: { description: 'One partner integration (API key).' },
  },
});

export enum ConsentExpiryEvent {
  MEMBERSHIP_ENDS = 'MEMBERSHIP_ENDS',
}
registerEnumType(ConsentExpiryEvent, {
  name: 'ConsentExpiryEvent',
  description: 'An event a consent lapses on (FHIR Consent\'s period ending on an event rather than a date).',
  valuesConfig: {
    MEMBERSHIP_ENDS: {
      description:
        'The client\'s participation ends: for a consent scoped to a group, when no membership of theirs in it stays open (COMPLETED, WITHDRAWN or DISCHARGED); clinic-wide or for an integration, when none at the clinic does.',
    },
  },
});
