import { displayNameOf } from '../clients/client.entity';
import { Membership } from './membership.entity';
import { MembershipStatus } from './membership-status';

/** Columns every membership read selects: the row plus what the display name needs. */
export const MEMBERSHIP_COLUMNS = `m.id, m.clinic_id, m.group_id, m.client_id, m.status, m.status_reason, m.period_start, m.period_end,
  m.waitlisted_at, m.agreement_version_accepted, m.agreement_accepted_at, m.created_at, m.updated_at,
  c.given_name, c.family_name, c.preferred_name`;

export interface MembershipRow {
  id: string;
  clinic_id: string;
  group_id: string;
  client_id: string;
  status: MembershipStatus;
  status_reason: string | null;
  period_start: string | null;
  period_end: string | null;
  waitlisted_at: Date | null;
  agreement_version_accepted: number | null;
  agreement_accepted_at: Date | null;
  created_at: Date;
  updated_at: Date;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
}

export function membershipFromRow(r: MembershipRow): Membership {
  return Object.assign(new Membership(), {
    id: r.id,
    clinicId: r.clinic_id,
    groupId: r.group_id,
    clientId: r.client_id,
    status: r.status,
    statusReason: r.status_reason,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    waitlistedAt: r.waitlisted_at,
    agreementVersionAccepted: r.agreement_version_accepted,
    agreementAcceptedAt: r.agreement_accepted_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    displayName: displayNameOf({ givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name }),
  });
}
