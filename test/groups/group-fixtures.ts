import { fromGlobalId } from '../../src/common/global-id';
import { ClientFixture, ClinicFixture, ownerQuery, StaffFixture } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';

/** Every scalar field of a group, for asserting what a mutation answered. */
export const GROUP_FIELDS = `id name description modality format capacity status scheduleDescription location videoLink
  startDate endDate agreementText agreementVersion peerContactPolicy activeMemberCount openSeats waitlistCount
  externalIds { system value }`;

export const MEMBERSHIP_FIELDS = `id status statusReason periodStart periodEnd waitlistPosition displayName allowedTransitions
  agreementVersionAccepted client { id } group { id }`;

export const CREATE_GROUP = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { ${GROUP_FIELDS} } } }`;
export const UPDATE_GROUP = `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { ${GROUP_FIELDS} } } }`;
export const CHANGE_GROUP_STATUS = `mutation($input: ChangeGroupStatusInput!) { changeGroupStatus(input: $input) { group { id status } } }`;
export const ASSIGN_FACILITATOR = `mutation($input: AssignFacilitatorInput!) {
  assignFacilitator(input: $input) { facilitator { id role current periodStart periodEnd staffMember { id name } group { id } } } }`;
export const REMOVE_FACILITATOR = `mutation($input: RemoveFacilitatorInput!) {
  removeFacilitator(input: $input) { facilitator { id role current periodStart periodEnd staffMember { id } } } }`;
export const ENROLL = `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { ${MEMBERSHIP_FIELDS} } } }`;
export const CHANGE_MEMBERSHIP_STATUS = `mutation($input: ChangeMembershipStatusInput!) {
  changeMembershipStatus(input: $input) { membership { ${MEMBERSHIP_FIELDS} events { fromStatus toStatus reason actorType } } } }`;
export const ACCEPT_AGREEMENT = `mutation($input: AcceptGroupAgreementInput!) {
  acceptGroupAgreement(input: $input) { membership { id status agreementVersionAccepted } } }`;

export const uuidOf = (gid: string) => fromGlobalId(gid)!.id;

/** The response's data, after asserting the operation answered without errors. */
export function ok<T = any>(res: GqlResult<T>): T {
  if (res.errors) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  expect(res.status).toBe(200);
  return res.data;
}

export interface GroupFixture {
  id: string;
  gid: string;
  name: string;
  capacity: number;
  format: string;
}

export interface MembershipFixture {
  id: string;
  gid: string;
  status: string;
  client: ClientFixture;
}

let seq = 0;

/** Creates a FORMING group through the API as the clinic's admin. */
export async function createGroup(clinic: ClinicFixture, input: Record<string, unknown> = {}): Promise<GroupFixture> {
  const name = (input.name as string | undefined) ?? `Group ${String(++seq).padStart(4, '0')}`;
  const res = await gql(clinic.admin.auth, CREATE_GROUP, {
    input: { name, modality: 'CBT', format: 'OPEN', capacity: 8, agreementText: 'What is said here stays here.', ...input },
  });
  const group = ok(res).createGroup.group;
  return { id: uuidOf(group.id), gid: group.id, name: group.name, capacity: group.capacity, format: group.format };
}

/** Assigns a facilitator through the API as the clinic's admin; returns the assignment's ids. */
export async function assignFacilitator(clinic: ClinicFixture, group: GroupFixture, staff: StaffFixture, role: 'LEAD' | 'CO' = 'LEAD') {
  const res = await gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: staff.gid, role } });
  const f = ok(res).assignFacilitator.facilitator;
  return { id: uuidOf(f.id), gid: f.id as string };
}

export async function changeGroupStatus(clinic: ClinicFixture, group: GroupFixture, status: string) {
  ok(await gql(clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status } }));
}

/** Enrols a client through the API (as the admin unless `auth` is given). */
export async function enrol(
  clinic: ClinicFixture,
  group: GroupFixture,
  client: ClientFixture,
  options: { auth?: string; initialStatus?: string; reason?: string } = {},
): Promise<MembershipFixture> {
  const res = await gql(options.auth ?? clinic.admin.auth, ENROLL, {
    input: { groupId: group.gid, clientId: client.gid, initialStatus: options.initialStatus, reason: options.reason },
  });
  const m = ok(res).enrollClient.membership;
  return { id: uuidOf(m.id), gid: m.id, status: m.status, client };
}

export async function changeMembershipStatus(clinic: ClinicFixture, membership: MembershipFixture, status: string, reason = 'test') {
  return ok(await gql(clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: membership.gid, status, reason } }))
    .changeMembershipStatus.membership;
}

export async function acceptAgreement(group: GroupFixture, member: ClientFixture) {
  return ok(await gql(member.auth, ACCEPT_AGREEMENT, { input: { groupId: group.gid } })).acceptGroupAgreement.membership;
}

export interface GroupSetup {
  group: GroupFixture;
  lead: StaffFixture;
  leadAssignment: { id: string; gid: string };
  members: MembershipFixture[];
}

/**
 * A group created by the admin, with `lead` (default: the clinic's clinician) as LEAD, enrolled
 * with `members` new clients while FORMING, then (unless `activate: false`) made ACTIVE.
 */
export async function groupWithMembers(
  clinic: ClinicFixture,
  options: { members?: number; lead?: StaffFixture; activate?: boolean; clientNames?: { givenName: string; familyName: string; preferredName?: string | null }[] } & Record<string, unknown> = {},
): Promise<GroupSetup> {
  const { members = 0, lead = clinic.clinician, activate = true, clientNames, ...input } = options;
  const group = await createGroup(clinic, input);
  const leadAssignment = await assignFacilitator(clinic, group, lead, 'LEAD');
  const memberships: MembershipFixture[] = [];
  const count = clientNames?.length ?? members;
  for (let i = 0; i < count; i++) {
    const client = await clinic.addClient(clientNames?.[i] ?? {});
    memberships.push(await enrol(clinic, group, client));
  }
  if (activate) await changeGroupStatus(clinic, group, 'ACTIVE');
  return { group, lead, leadAssignment, members: memberships };
}

// ---- stored state, read past RLS -------------------------------------------------------------

export const groupRow = async (id: string) => (await ownerQuery(`SELECT * FROM therapy_groups WHERE id = $1`, [id]))[0];
export const membershipRow = async (id: string) => (await ownerQuery(`SELECT * FROM memberships WHERE id = $1`, [id]))[0];
export const membershipRowsOf = (groupId: string) =>
  ownerQuery(`SELECT * FROM memberships WHERE group_id = $1 ORDER BY created_at, id`, [groupId]);
export const eventRowsOf = (membershipId: string) =>
  ownerQuery(
    `SELECT from_status, to_status, reason, actor_type, actor_id FROM membership_events WHERE membership_id = $1 ORDER BY id`,
    [membershipId],
  );
export const facilitatorRowsOf = (groupId: string) =>
  ownerQuery(`SELECT * FROM group_facilitators WHERE group_id = $1 ORDER BY created_at, id`, [groupId]);
export const statusCounts = async (groupId: string): Promise<Record<string, number>> => {
  const rows = await ownerQuery<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM memberships WHERE group_id = $1 GROUP BY status`,
    [groupId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};

/**
 * Every row a group, facilitator or membership mutation could write in a clinic (audit rows
 * excepted: refusals are audited on purpose; consent rows included: accepting an agreement
 * records a GROUP_AGREEMENT consent), to prove a refusal changed nothing.
 */
export async function clinicState(clinicId: string) {
  const [row] = await ownerQuery(
    `SELECT (SELECT coalesce(json_agg(g ORDER BY g.id), '[]') FROM therapy_groups g WHERE g.clinic_id = $1) AS groups,
            (SELECT coalesce(json_agg(f ORDER BY f.id), '[]') FROM group_facilitators f WHERE f.clinic_id = $1) AS facilitators,
            (SELECT coalesce(json_agg(m ORDER BY m.id), '[]') FROM memberships m WHERE m.clinic_id = $1) AS memberships,
            (SELECT coalesce(json_agg(e ORDER BY e.id), '[]') FROM membership_events e WHERE e.clinic_id = $1) AS events,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM external_identifiers x WHERE x.clinic_id = $1) AS external_ids,
            (SELECT coalesce(json_agg(c ORDER BY c.id), '[]') FROM clients c WHERE c.clinic_id = $1) AS clients,
            (SELECT coalesce(json_agg(r ORDER BY r.id), '[]') FROM consent_records r WHERE r.clinic_id = $1) AS consents`,
    [clinicId],
  );
  return row;
}

/**
 * Runs `attempt`, expects exactly the error `code` with no data, and proves that neither the
 * clinic's nor its neighbour's group, facilitator, membership, event, identifier or client rows changed.
 */
export async function expectRefused(clinic: ClinicFixture, neighbour: ClinicFixture, code: string, attempt: () => Promise<GqlResult>) {
  const before = [await clinicState(clinic.id), await clinicState(neighbour.id)];
  const res = await attempt();
  expectError(res, code);
  expect(res.data ?? null).toBeNull();
  expect([await clinicState(clinic.id), await clinicState(neighbour.id)]).toEqual(before);
  return res;
}
