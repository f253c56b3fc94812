/**
 * Fixtures shared by test/goals and test/consent: a clinic with an ACTIVE group whose members
 * have accepted the group agreement, plus helpers to create goals, check in, grant and revoke
 * consents, and read the stored state past RLS.
 */
import { fromGlobalId, toGlobalId } from '../../src/common/global-id';
import { ClientFixture, ClinicFixture, createClinic, ownerQuery, StaffFixture } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';

export const uuidOf = (gid: string) => fromGlobalId(gid)!.id;

/** The response's data, after asserting the operation answered without errors. */
export function ok<T = any>(res: GqlResult<T>): T {
  if (res.errors) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  expect(res.status).toBe(200);
  return res.data;
}

// ---- operations -------------------------------------------------------------------------------

export const GOAL_FIELDS = `id title description visibility lifecycleStatus achievementStatus ownerDisplayName startDate dueDate
  measure { kind period target }`;

export const CREATE_GOAL = `mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { ${GOAL_FIELDS} } } }`;
export const UPDATE_GOAL = `mutation($input: UpdateGoalInput!) { updateGoal(input: $input) { goal { ${GOAL_FIELDS} } } }`;
export const RECORD_CHECK_IN = `mutation($input: RecordCheckInInput!) {
  recordCheckIn(input: $input) { checkIn { id value note mood recordedAt } goal { id currentStreak longestStreak lastCheckInAt } } }`;
export const GOAL = `query($id: ID!) { goal(id: $id) { ${GOAL_FIELDS} checkIns { id value note mood } } }`;
export const GOAL_NODE = `query($id: ID!) { node(id: $id) { id ... on Goal { title visibility } } }`;
export const GOALS = `query($filter: GoalFilter, $first: Int! = 100) {
  goals(filter: $filter, first: $first) { edges { node { id title visibility checkIns { id value note mood } } } } }`;
export const MEMBERS_GOALS = `query($id: ID!) { group(id: $id) { members(first: 100) { edges { node { id displayName goals { id title } } } } } }`;
export const BOARD = `query($id: ID!) { group(id: $id) { accountabilityBoard { displayName goals { id title currentStreak longestStreak lastCheckInAt } } } }`;
export const MEMBERS = `query($id: ID!) { group(id: $id) { members(first: 100) { edges { node { id displayName } } } } }`;

export const CONSENT_FIELDS = `id type status provision scopeKind purpose dataClasses grantedAt expiresAt method documentVersion
  revokedAt revocationReason integrationName group { id } recordedBy { kind name role } revokedBy { kind name role }
  history { event reason actor { kind name role } }`;
export const GRANT_CONSENT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { ${CONSENT_FIELDS} } } }`;
export const REVOKE_CONSENT = `mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) { consent { ${CONSENT_FIELDS} } } }`;
export const MY_CONSENTS = `{ viewer { consents { ${CONSENT_FIELDS} } } }`;
export const CONSENTS_OF = `query($clientId: ID!, $first: Int! = 100, $after: String, $filter: ConsentFilter) {
  consents(clientId: $clientId, first: $first, after: $after, filter: $filter) { edges { cursor node { ${CONSENT_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
/** The consents of a `consents(clientId:)` answer, as a list. */
export const consentNodes = (data: any) => data.consents.edges.map((e: { node: unknown }) => e.node);

export const PROPOSE = `mutation($input: ProposePartnershipInput!) {
  proposePartnership(input: $input) { partnership { id status proposerDisplayName partnerDisplayName } } }`;
export const RESPOND = `mutation($input: RespondToPartnershipInput!) { respondToPartnership(input: $input) { partnership { id status respondedAt } } }`;
export const END_PARTNERSHIP = `mutation($input: EndPartnershipInput!) { endPartnership(input: $input) { partnership { id status endedAt endReason } } }`;
export const CHANGE_MEMBERSHIP_STATUS = `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { id status } } }`;

// ---- the world: a clinic with an ACTIVE group ----------------------------------------------

export interface Member {
  client: ClientFixture;
  /** Membership uuid and global id. */
  membershipId: string;
  membershipGid: string;
  /** The member's Authorization header value. */
  auth: string;
}

export interface GroupRef {
  id: string;
  gid: string;
}

export interface GroupWorld {
  clinic: ClinicFixture;
  group: GroupRef;
  lead: StaffFixture;
  members: Member[];
}

let seq = 0;

/** Creates a FORMING OPEN group as the clinic's admin, with `lead` as LEAD facilitator. */
export async function createGroup(clinic: ClinicFixture, lead: StaffFixture = clinic.clinician, capacity = 20): Promise<GroupRef> {
  const created = ok(
    await gql(clinic.admin.auth, `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }`, {
      input: { name: `Goals group ${++seq}`, modality: 'CBT', format: 'OPEN', capacity, agreementText: 'What is said here stays here.' },
    }),
  ).createGroup.group;
  const group = { id: uuidOf(created.id), gid: created.id as string };
  ok(
    await gql(clinic.admin.auth, `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`, {
      input: { groupId: group.gid, staffMemberId: lead.gid, role: 'LEAD' },
    }),
  );
  return group;
}

export async function activateGroup(clinic: ClinicFixture, group: GroupRef) {
  ok(await gql(clinic.admin.auth, `mutation($input: ChangeGroupStatusInput!) { changeGroupStatus(input: $input) { group { id } } }`, {
    input: { groupId: group.gid, status: 'ACTIVE' },
  }));
}

/** Enrols a new client of the clinic in the group (ACTIVE) as the admin. */
export async function enrolNew(clinic: ClinicFixture, group: GroupRef, fields: Parameters<ClinicFixture['addClient']>[0] = {}): Promise<Member> {
  const client = await clinic.addClient(fields);
  const m = ok(
    await gql(clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id status } } }`, {
      input: { groupId: group.gid, clientId: client.gid },
    }),
  ).enrollClient.membership;
  expect(m.status).toBe('ACTIVE');
  return { client, membershipId: uuidOf(m.id), membershipGid: m.id, auth: client.auth };
}

/** The member accepts the group's agreement (which records their GROUP_AGREEMENT consent). */
export async function acceptAgreement(member: Member, group: GroupRef) {
  ok(await gql(member.auth, `mutation($input: AcceptGroupAgreementInput!) { acceptGroupAgreement(input: $input) { membership { id } } }`, {
    input: { groupId: group.gid },
  }));
}

/**
 * A fresh clinic (unless given) with an ACTIVE OPEN group led by the clinic's clinician and
 * `members` enrolled clients who (unless `accept: false`) have accepted the agreement.
 */
export async function activeGroup(
  options: { clinic?: ClinicFixture; members?: number; accept?: boolean; lead?: StaffFixture; timezone?: string; capacity?: number } = {},
): Promise<GroupWorld> {
  const clinic = options.clinic ?? (await createClinic('Goals Clinic', options.timezone ?? 'America/New_York'));
  const lead = options.lead ?? clinic.clinician;
  const group = await createGroup(clinic, lead, options.capacity ?? 20);
  const members: Member[] = [];
  for (let i = 0; i < (options.members ?? 3); i++) members.push(await enrolNew(clinic, group));
  await activateGroup(clinic, group);
  if (options.accept !== false) for (const m of members) await acceptAgreement(m, group);
  return { clinic, group, lead, members };
}

// ---- goals and check-ins --------------------------------------------------------------------

export interface GoalRef {
  id: string;
  gid: string;
  title: string;
}

/** Creates a goal through the API (as the member unless `auth` is given). */
export async function createGoal(member: Member, input: Record<string, unknown> = {}, auth = member.auth): Promise<GoalRef> {
  const goal = ok(
    await gql(auth, CREATE_GOAL, {
      input: { membershipId: member.membershipGid, title: `Walk daily ${++seq}`, measureKind: 'BOOLEAN', visibility: 'GROUP', ...input },
    }),
  ).createGoal.goal;
  return { id: uuidOf(goal.id), gid: goal.id, title: goal.title };
}

export async function checkIn(auth: string, goal: GoalRef, input: Record<string, unknown> = {}) {
  return ok(await gql(auth, RECORD_CHECK_IN, { input: { goalId: goal.gid, value: 1, ...input } })).recordCheckIn;
}

// ---- consents -------------------------------------------------------------------------------

export interface ConsentRef {
  id: string;
  gid: string;
}

/**
 * An ACTIVE group whose one member (Kim) is also in a second group led by another clinician, its
 * agreement accepted there too: what the lead clinician must not see of Kim's other group.
 */
export async function memberInTwoGroups() {
  const w = await activeGroup({ members: 1 });
  const [kim] = w.members;
  const other = await w.clinic.addStaff('CLINICIAN', 'Other Clinician');
  const g2 = await createGroup(w.clinic, other);
  await activateGroup(w.clinic, g2);
  ok(await gql(w.clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id } } }`, { input: { groupId: g2.gid, clientId: kim.client.gid } }));
  await acceptAgreement(kim, g2);
  return { ...w, kim, other, g2 };
}

export async function grantConsent(auth: string, input: Record<string, unknown>): Promise<ConsentRef & { consent: any }> {
  const consent = ok(await gql(auth, GRANT_CONSENT, { input })).grantConsent.consent;
  return { id: uuidOf(consent.id), gid: consent.id, consent };
}

export async function revokeConsent(auth: string, consent: ConsentRef, reason = 'changed my mind') {
  return ok(await gql(auth, REVOKE_CONSENT, { input: { consentId: consent.gid, reason } })).revokeConsent.consent;
}

/** The member shares their GROUP-visible goals with the group's peers (GOAL_SHARING for the group). */
export const shareGoals = (member: Member, group: GroupRef) => grantConsent(member.auth, { type: 'GOAL_SHARING', groupId: group.gid });

/** The member's current GROUP_AGREEMENT consent for the group (recorded when they accepted). */
export async function agreementConsentOf(member: Member, group: GroupRef): Promise<ConsentRef> {
  const [row] = await ownerQuery<{ id: string }>(
    `SELECT id FROM consent_records WHERE client_id = $1 AND scope_group_id = $2 AND type = 'GROUP_AGREEMENT' AND revoked_at IS NULL
      ORDER BY granted_at DESC LIMIT 1`,
    [member.client.id, group.id],
  );
  return { id: row.id, gid: toGlobalId('ConsentRecord', row.id) };
}

/**
 * Stores a consent that was granted two days ago and expired yesterday, with its GRANTED event.
 * (The append-only trigger lets nothing but the revocation columns change, so an expired consent
 * is arranged by inserting it as such.)
 */
export async function insertExpiredConsent(
  clinicId: string,
  clientId: string,
  type: string,
  scope: { groupId?: string; apiKeyId?: string } = {},
): Promise<ConsentRef> {
  const scopeKind = scope.groupId ? 'GROUP' : scope.apiKeyId ? 'INTEGRATION' : 'CLINIC';
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, scope_api_key_id, provision, granted_at,
                                  expires_at, method, recorded_by_type, recorded_by_id)
     VALUES ($1, $2, $3, $4, $5, $6, 'PERMIT', now() - interval '2 days', now() - interval '1 day', 'ELECTRONIC', 'CLIENT', $2)
     RETURNING id`,
    [clinicId, clientId, type, scopeKind, scope.groupId ?? null, scope.apiKeyId ?? null],
  );
  await ownerQuery(
    `INSERT INTO consent_events (clinic_id, consent_id, event, actor_type, actor_id, occurred_at)
     VALUES ($1, $2, 'GRANTED', 'CLIENT', $3, now() - interval '2 days')`,
    [clinicId, row.id, clientId],
  );
  return { id: row.id, gid: toGlobalId('ConsentRecord', row.id) };
}

// ---- partnerships ---------------------------------------------------------------------------

/** `a` proposes to `b`, `b` accepts: an ACTIVE partnership. */
export async function partner(a: Member, b: Member): Promise<{ id: string; gid: string }> {
  const proposed = ok(await gql(a.auth, PROPOSE, { input: { partnerMembershipId: b.membershipGid } })).proposePartnership.partnership;
  const accepted = ok(await gql(b.auth, RESPOND, { input: { partnershipId: proposed.id, accept: true } })).respondToPartnership.partnership;
  expect(accepted.status).toBe('ACTIVE');
  return { id: uuidOf(proposed.id), gid: proposed.id };
}

// ---- what a viewer sees ---------------------------------------------------------------------

/** Ids of the goals `auth` gets from `goals`. */
export async function listedGoalIds(auth: string, filter?: Record<string, unknown>): Promise<string[]> {
  return ok(await gql(auth, GOALS, { filter })).goals.edges.map((e: any) => e.node.id);
}

/** Display names of the peers (and self) `auth` sees in `group.members`. */
export async function memberNames(auth: string, group: GroupRef): Promise<string[]> {
  return ok(await gql(auth, MEMBERS, { id: group.gid })).group.members.edges.map((e: any) => e.node.displayName).sort();
}

// ---- stored state ---------------------------------------------------------------------------

/**
 * Every row a goal, check-in, partnership, encouragement or consent mutation could write in a
 * clinic (audit rows excepted: refusals are audited on purpose), to prove a refusal changed nothing.
 */
export async function clinicState(clinicId: string) {
  const [row] = await ownerQuery(
    `SELECT (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM goals x WHERE x.clinic_id = $1) AS goals,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM goal_check_ins x WHERE x.clinic_id = $1) AS check_ins,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM accountability_partnerships x WHERE x.clinic_id = $1) AS partnerships,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM encouragements x WHERE x.clinic_id = $1) AS encouragements,
            (SELECT coalesce(json_agg(x ORDER BY x.sender_client_id), '[]') FROM encouragement_mutes x WHERE x.clinic_id = $1) AS mutes,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM consent_records x WHERE x.clinic_id = $1) AS consents,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM consent_events x WHERE x.clinic_id = $1) AS consent_events,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM disclosures x WHERE x.clinic_id = $1) AS disclosures,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM memberships x WHERE x.clinic_id = $1) AS memberships`,
    [clinicId],
  );
  return row;
}

/**
 * Runs `attempt`, expects exactly the error `code` and no data, and proves that none of the
 * given clinics' goal, check-in, partnership, encouragement, consent or disclosure rows changed.
 */
export async function expectRefused(code: string, clinicIds: string[], attempt: () => Promise<GqlResult>): Promise<GqlResult> {
  const before = await Promise.all(clinicIds.map(clinicState));
  const res = await attempt();
  expectError(res, code);
  expect(res.data ?? null).toBeNull();
  expect(await Promise.all(clinicIds.map(clinicState))).toEqual(before);
  return res;
}

export const goalRow = async (id: string) => (await ownerQuery(`SELECT * FROM goals WHERE id = $1`, [id]))[0];
export const checkInRows = (goalId: string) => ownerQuery(`SELECT * FROM goal_check_ins WHERE goal_id = $1 ORDER BY recorded_at, id`, [goalId]);
export const consentRow = async (id: string) => (await ownerQuery(`SELECT * FROM consent_records WHERE id = $1`, [id]))[0];
export const consentEventRows = (consentId: string) =>
  ownerQuery(`SELECT event, actor_type, actor_id, reason FROM consent_events WHERE consent_id = $1 ORDER BY id`, [consentId]);

// ---- bulk arrangement for statement counts --------------------------------------------------

/**
 * Adds `n` clients to the group in bulk, ACTIVE, agreement accepted with an active GROUP_AGREEMENT
 * consent and (unless `share: false`) an active GOAL_SHARING consent for the group.
 */
export async function bulkMembers(clinic: ClinicFixture, group: GroupRef, n: number, options: { share?: boolean } = {}) {
  const rows = await ownerQuery<{ client_id: string; membership_id: string }>(
    `WITH c AS (
       INSERT INTO clients (clinic_id, given_name, family_name, email)
       SELECT $1, 'Bulk' || i, 'Member' || lpad(i::text, 3, '0'), 'bulk' || i || '-' || gen_random_uuid() || '@example.test'
         FROM generate_series(1, $3::int) i
       RETURNING id
     ), m AS (
       INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start, agreement_version_accepted, agreement_accepted_at)
       SELECT $1, $2, c.id, 'ACTIVE', current_date, 1, now() FROM c
       RETURNING id, client_id
     )
     SELECT client_id, id AS membership_id FROM m`,
    [clinic.id, group.id, n],
  );
  const types = options.share === false ? ['GROUP_AGREEMENT'] : ['GROUP_AGREEMENT', 'GOAL_SHARING'];
  await ownerQuery(
    `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, provision, method, recorded_by_type, recorded_by_id)
     SELECT $1, c, t, 'GROUP', $2, 'PERMIT', 'ELECTRONIC', 'CLIENT', c FROM unnest($3::uuid[]) c, unnest($4::text[]) t`,
    [clinic.id, group.id, rows.map((r) => r.client_id), types],
  );
  return rows;
}

/**
 * Gives each membership `goalsEach` GROUP-visible daily BOOLEAN goals with one check-in at local
 * noon on each of the `days` days before today (clinic time zone): a current streak of `days`.
 */
export async function bulkGoalsWithCheckIns(clinic: ClinicFixture, memberships: { client_id: string; membership_id: string }[], group: GroupRef, goalsEach: number, days: number, timezone = 'America/New_York') {
  const goals = await ownerQuery<{ id: string }>(
    `INSERT INTO goals (clinic_id, membership_id, client_id, group_id, title, measure_kind, measure_period, start_date, lifecycle_status,
                        visibility, created_by_type, created_by_id)
     SELECT $1, m.membership_id, m.client_id, $2, 'Goal ' || g, 'BOOLEAN', 'DAILY', current_date - 60, 'ACTIVE', 'GROUP', 'CLIENT', m.client_id
       FROM unnest($3::uuid[], $4::uuid[]) AS m(membership_id, client_id), generate_series(1, $5::int) g
     RETURNING id`,
    [clinic.id, group.id, memberships.map((m) => m.membership_id), memberships.map((m) => m.client_id), goalsEach],
  );
  if (days > 0) {
    await ownerQuery(
      `INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, recorded_at, recorded_by_type, recorded_by_id)
       SELECT $1, g.id, g.client_id, 1,
              (date_trunc('day', now() AT TIME ZONE $4) - make_interval(days => d) + interval '12 hours') AT TIME ZONE $4,
              'CLIENT', g.client_id
         FROM goals g, generate_series(1, $3::int) d
        WHERE g.id = ANY($2::uuid[])`,
      [clinic.id, goals.map((g) => g.id), days, timezone],
    );
  }
  return goals;
}
