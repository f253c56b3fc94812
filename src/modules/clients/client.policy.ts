import { isEmail } from 'class-validator';
import { hasRosterScope, hasScope, Viewer } from '../../auth/viewer';
import { EmailAddress } from '../../common/scalars';

/**
 * Who may read a client's record (legal name, contact details, date of birth):
 * admins and supervisors of the clinic, clinicians of a group the client belongs to,
 * roster integrations, and the client themself. Peers never: they see a display name
 * through the group roster, not a Client.
 */
export function canReadClient(viewer: Viewer, clientId: string, facilitatedClientIds: ReadonlySet<string>): boolean {
  switch (viewer.kind) {
    case 'STAFF':
      return viewer.role !== 'CLINICIAN' || facilitatedClientIds.has(clientId);
    case 'MEMBER':
      return viewer.clientId === clientId;
    case 'INTEGRATION':
      return hasRosterScope(viewer);
  }
}

/** Whether the list query sees the whole clinic, a clinician's facilitated clients, or nothing. */
export function clientListScope(viewer: Viewer): 'ALL' | 'FACILITATED' | 'NONE' {
  if (viewer.kind === 'STAFF') return viewer.role === 'CLINICIAN' ? 'FACILITATED' : 'ALL';
  if (viewer.kind === 'INTEGRATION') return canReadClient(viewer, '', new Set()) ? 'ALL' : 'NONE';
  return 'NONE';
}

/** Intake and demographic changes: admins and roster-writing integrations. */
export const canWriteClients = (viewer: Viewer) =>
  (viewer.kind === 'STAFF' && viewer.role === 'ADMIN') || hasScope(viewer, 'roster:write');

/** Whether this viewer needs the facilitation facts to decide client reads. */
export const needsFacilitationFacts = (viewer: Viewer) => viewer.kind === 'STAFF' && viewer.role === 'CLINICIAN';

/**
 * A birth date a clinic's record may hold, the same for `createClient`, `updateClient` and a
 * roster sync (YYYY-MM-DD strings): from 1900-01-01 through the clinic's today.
 */
export const isPlausibleBirthDate = (day: string, clinicToday: string): boolean => day >= '1900-01-01' && day <= clinicToday;

/** A phone number as stored: E.164, `+` and 7–15 digits. One rule for createClient, updateClient and roster sync. */
export const E164_PHONE = /^\+[1-9]\d{6,14}$/;
export const E164_MESSAGE = 'phone must be E.164, e.g. +14155550123';

/**
 * An email address as createClient takes it (the EmailAddress scalar and `isEmail`): a roster sync
 * row is judged by the same rule, so no address stored by one path is refused by the other.
 */
export function isEmailAddress(value: string): boolean {
  try {
    EmailAddress.parseValue(value);
  } catch {
    return false;
  }
  return isEmail(value);
}
