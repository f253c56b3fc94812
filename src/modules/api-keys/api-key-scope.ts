import { registerEnumType } from 'type-graphql';

/** Enum names are GraphQL-friendly; values are the scope strings stored on the key. */
export enum ApiKeyScopeEnum {
  ROSTER_READ = 'roster:read',
  ROSTER_WRITE = 'roster:write',
  GOALS_READ = 'goals:read',
  CONSENT_READ = 'consent:read',
  SESSIONS_READ = 'sessions:read',
  CHANGES_READ = 'changes:read',
}
registerEnumType(ApiKeyScopeEnum, {
  name: 'ApiKeyScope',
  description: 'What an integration\'s API key may do.',
  valuesConfig: {
    ROSTER_READ: { description: '`roster:read` — every group of the clinic with all its details (location and video link included), memberships, clients\' names and demographics (date of birth, email, phone), staff names and work emails, session schedules.' },
    ROSTER_WRITE: { description: '`roster:write` — create and update clients, enrol, change membership status, sync rosters; and it reads what roster:read reads of the records it writes (groups with their facilitators\' names and work emails, clients, memberships, session schedules), not the staff directory.' },
    GOALS_READ: { description: '`goals:read` — goals and check-ins of clients who granted PARTNER_DATA_SHARING to this integration.' },
    CONSENT_READ: { description: '`consent:read` — the PARTNER_DATA_SHARING consents that name this integration, by node(id:), for partner apps that gate their own features.' },
    SESSIONS_READ: { description: '`sessions:read` — with roster:read or roster:write, session schedule and attendance (never note bodies); alone it reaches no group.' },
    CHANGES_READ: { description: '`changes:read` — the clinic change feed.' },
  },
});
