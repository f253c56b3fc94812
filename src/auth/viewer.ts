import type { MembershipStatus } from '../modules/memberships/membership-status';
export type StaffRole = 'ADMIN' | 'SUPERVISOR' | 'CLINICIAN';
export type TokenRole = StaffRole | 'MEMBER';

export const API_KEY_SCOPES = [
  'roster:read',
  'roster:write',
  'goals:read',
  'consent:read',
  'sessions:read',
  'changes:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface StaffViewer {
  kind: 'STAFF';
  clinicId: string;
  staffId: string;
  role: StaffRole;
  /** Groups they facilitate now, read when the request authenticated. */
  facilitatedGroupIds: ReadonlySet<string>;
}
/** A member's membership per group (the open one, else the latest), as the group rules read it. */
export interface OwnMembershipRow {
  id: string;
  group_id: string;
  status: MembershipStatus;
  agreement_version_accepted: number | null;
}

export interface MemberViewer {
  kind: 'MEMBER';
  clinicId: string;
  clientId: string;
  /** Read when the request authenticated. */
  ownMemberships: readonly OwnMembershipRow[];
}
export interface IntegrationViewer {
  kind: 'INTEGRATION';
  clinicId: string;
  apiKeyId: string;
  scopes: ReadonlySet<ApiKeyScope>;
}
export type Viewer = StaffViewer | MemberViewer | IntegrationViewer;

/** The names `@Authorized(...)` uses: staff roles, MEMBER, or `scope:<name>` for integrations. */
export const Rule = {
  ADMIN: 'ADMIN',
  SUPERVISOR: 'SUPERVISOR',
  CLINICIAN: 'CLINICIAN',
  MEMBER: 'MEMBER',
  STAFF: ['ADMIN', 'SUPERVISOR', 'CLINICIAN'],
  scope: (scope: ApiKeyScope) => `scope:${scope}`,
} as const;

export const isStaff = (v: Viewer | undefined): v is StaffViewer => v?.kind === 'STAFF';
export const isIntegration = (v: Viewer | undefined): v is IntegrationViewer => v?.kind === 'INTEGRATION';
export const hasScope = (v: Viewer | undefined, scope: ApiKeyScope) => isIntegration(v) && v.scopes.has(scope);

/** An integration with either roster scope (reading or writing the roster). */
export const hasRosterScope = (v: Viewer | undefined) => hasScope(v, 'roster:read') || hasScope(v, 'roster:write');

/**
 * Whether people are named to this viewer (members' display names, staff names): to people, and
 * to integrations only with a roster scope, since names are roster data. A `goals:read` or
 * `consent:read` key learns what its consent releases, not who it concerns or who recorded it.
 */
export const namesPeopleTo = (v: Viewer | undefined) => !isIntegration(v) || hasRosterScope(v);

/** Whether a viewer satisfies any of the rule names an operation declared. */
export function satisfiesRule(viewer: Viewer, rules: readonly string[]): boolean {
  if (rules.length === 0) return true; // `@Authorized()` = any authenticated viewer
  return rules.some((rule) => {
    if (rule.startsWith('scope:')) return isIntegration(viewer) && viewer.scopes.has(rule.slice(6) as ApiKeyScope);
    if (viewer.kind === 'STAFF') return viewer.role === rule;
    return viewer.kind === 'MEMBER' && rule === 'MEMBER';
  });
}

/** What the audit trail records as the actor. */
export function actorOf(viewer: Viewer): { actorType: 'STAFF' | 'CLIENT' | 'INTEGRATION'; actorId: string } {
  switch (viewer.kind) {
    case 'STAFF':
      return { actorType: 'STAFF', actorId: viewer.staffId };
    case 'MEMBER':
      return { actorType: 'CLIENT', actorId: viewer.clientId };
    case 'INTEGRATION':
      return { actorType: 'INTEGRATION', actorId: viewer.apiKeyId };
  }
}
