/**
 * Fixtures for test/sync: a clinic with an ACTIVE group, an integration key, a neighbouring
 * group and clinic; the syncRoster and change feed operations; roster rows; and the stored
 * state read past RLS, to prove what a sync wrote — or that it wrote nothing.
 */
import { Client as PgClient } from 'pg';
import { clinicState, GroupFixture, groupWithMembers, ok, uuidOf } from '../groups/group-fixtures';
import { ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { gql, GqlResult } from '../support/test-app';
import { testEnv } from '../support/test-env';

export { ok, uuidOf };

// ---- operations -------------------------------------------------------------------------------

export const SYNC_PAYLOAD = `applied dryRun mode requiresConfirmation unchangedCount waitlistedForCapacity
  clientsCreated { index externalId fields }
  clientsUpdated { index externalId fields }
  membershipsEnrolled { index externalId from to }
  statusChanges { index externalId membershipId from to }
  membershipsEnded { index externalId from to }
  errors { index externalId field code message }`;
export const SYNC_ROSTER = `mutation($input: SyncRosterInput!) { syncRoster(input: $input) { ${SYNC_PAYLOAD} } }`;
export const SYNC_RUNS = `query($first: Int! = 100, $after: String, $filter: SyncRunFilter) { syncRuns(first: $first, after: $after, filter: $filter) {
  edges { cursor node { id createdAt actorType actorName mode dryRun applied rowCount errorCount counts group { id } } } pageInfo { hasNextPage endCursor } } }`;
/** The runs of a `syncRuns` answer, as a list. */
export const runsOf = (data: any) => data.syncRuns.edges.map((e: { node: unknown }) => e.node);
export const CHANGES = `query($after: String, $first: Int! = 100) { changes(after: $after, first: $first) {
  entries { cursor entityType entityId operation changedFields occurredAt } endCursor hasMore } }`;
export const CREATE_CLIENT = `mutation($input: CreateClientInput!) { createClient(input: $input) {
  client { id givenName familyName email externalIds { system value } } } }`;
export const UPDATE_CLIENT = `mutation($input: UpdateClientInput!) { updateClient(input: $input) { client { id email } } }`;
export const ENROLL = `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id status statusReason } } }`;
export const CHANGE_MEMBERSHIP_STATUS = `mutation($input: ChangeMembershipStatusInput!) {
  changeMembershipStatus(input: $input) { membership { id status statusReason } } }`;

// ---- roster rows ------------------------------------------------------------------------------

export const EHR = 'urn:ehr:patients';

export const extId = (n: number) => ({ system: EHR, value: `P-${String(n).padStart(4, '0')}` });
export const extKey = (n: number) => `${EHR}|P-${String(n).padStart(4, '0')}`;

/** One roster row for person `n` of the outside system. */
export function rosterRow(n: number, extra: Record<string, unknown> = {}) {
  return { externalId: extId(n), givenName: `Given${n}`, familyName: `Family${n}`, ...extra };
}

/** Rows for persons `from` … `from + count - 1`. */
export const rosterRows = (from: number, count: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: count }, (_, i) => rosterRow(from + i, extra));

export function syncRoster(auth: string | undefined, group: { gid: string } | { externalId: { system: string; value: string } }, members: unknown[], options: Record<string, unknown> = {}) {
  const ref = 'gid' in group ? { id: group.gid } : { externalId: group.externalId };
  return gql(auth, SYNC_ROSTER, { input: { group: ref, members, ...options } });
}

/** The payload of a sync that must have answered without a GraphQL error. */
export const synced = async (res: Promise<GqlResult> | GqlResult) => ok(await res).syncRoster;

// ---- the world --------------------------------------------------------------------------------

export interface SyncWorld {
  clinic: ClinicFixture;
  neighbour: ClinicFixture;
  /** The group the tests sync: ACTIVE, OPEN, empty. */
  group: GroupFixture;
  /** Another group of the same clinic, with two members a sync of `group` must never touch. */
  otherGroup: GroupFixture;
  /** A group of the neighbouring clinic, with two members. */
  neighbourGroup: GroupFixture;
  /** An integration key with `roster:write` (and `roster:read`). */
  writer: { id: string; gid: string; auth: string };
}

export async function syncWorld(groupInput: Record<string, unknown> = {}): Promise<SyncWorld> {
  const clinic = await createClinic('Sync Clinic');
  const neighbour = await createClinic('Neighbour Clinic');
  const { group } = await groupWithMembers(clinic, { capacity: 100, ...groupInput });
  const { group: otherGroup } = await groupWithMembers(clinic, { members: 2 });
  const { group: neighbourGroup } = await groupWithMembers(neighbour, { members: 2 });
  const writer = await clinic.addApiKey(['roster:read', 'roster:write'], 'EHR roster sync');
  return { clinic, neighbour, group, otherGroup, neighbourGroup, writer };
}

// ---- stored state -----------------------------------------------------------------------------

/** How many rows of each table a sync can write, in one clinic. */
export async function tableCounts(clinicId: string) {
  const [row] = await ownerQuery(
    `SELECT (SELECT count(*)::int FROM clients WHERE clinic_id = $1) AS clients,
            (SELECT count(*)::int FROM memberships WHERE clinic_id = $1) AS memberships,
            (SELECT count(*)::int FROM external_identifiers WHERE clinic_id = $1) AS external_identifiers,
            (SELECT count(*)::int FROM membership_events WHERE clinic_id = $1) AS membership_events,
            (SELECT count(*)::int FROM change_log WHERE clinic_id = $1) AS change_log,
            (SELECT count(*)::int FROM sync_runs WHERE clinic_id = $1) AS sync_runs,
            (SELECT count(*)::int FROM idempotency_keys WHERE clinic_id = $1) AS idempotency_keys`,
    [clinicId],
  );
  return row as Record<'clients' | 'memberships' | 'external_identifiers' | 'membership_events' | 'change_log' | 'sync_runs' | 'idempotency_keys', number>;
}

/** Everything stored for a clinic: its rows (clinicState) plus the feed, runs and keys counts. */
export const fullState = async (clinicId: string) => ({ ...(await clinicState(clinicId)), counts: await tableCounts(clinicId) });

/** What a sync of `world.group` must leave alone: the other group and the neighbouring clinic. */
export async function neighbours(world: SyncWorld) {
  const [other] = await ownerQuery(
    `SELECT (SELECT json_agg(m ORDER BY m.id) FROM memberships m WHERE m.group_id = $1) AS memberships,
            (SELECT json_agg(e ORDER BY e.id) FROM membership_events e JOIN memberships m ON m.id = e.membership_id WHERE m.group_id = $1) AS events,
            (SELECT json_agg(c ORDER BY c.id) FROM clients c JOIN memberships m ON m.client_id = c.id WHERE m.group_id = $1) AS clients,
            (SELECT json_agg(g) FROM therapy_groups g WHERE g.id = $1) AS grp`,
    [world.otherGroup.id],
  );
  return { other, neighbour: await fullState(world.neighbour.id) };
}

export interface RosterEntry {
  value: string;
  status: string;
  status_reason: string | null;
  period_start: string | null;
  period_end: string | null;
  membership_id: string;
  client_id: string;
}

/** The group's memberships keyed by the client's external identifier value (open and ended). */
export async function rosterOf(groupId: string): Promise<RosterEntry[]> {
  return ownerQuery<RosterEntry>(
    `SELECT e.value, m.status, m.status_reason, m.period_start, m.period_end, m.id AS membership_id, m.client_id
       FROM memberships m
       LEFT JOIN external_identifiers e ON e.resource_id = m.client_id AND e.resource_type = 'Client' AND e.system = $2
      WHERE m.group_id = $1 ORDER BY e.value, m.created_at, m.id`,
    [groupId, EHR],
  );
}

/** External identifier values of the group's open (not ended) memberships, sorted. */
export async function openRoster(groupId: string): Promise<string[]> {
  return (await rosterOf(groupId)).filter((r) => !['COMPLETED', 'WITHDRAWN', 'DISCHARGED'].includes(r.status)).map((r) => r.value);
}

/** The clinic's today, which is what membership periods are stamped with (near midnight UTC it is not the server's date). */
export const today = async (clinicId: string) =>
  (await ownerQuery<{ d: string }>(`SELECT (now() AT TIME ZONE timezone)::date::text AS d FROM clinics WHERE id = $1`, [clinicId]))[0].d;

// ---- holding locks and finding the server's backends ------------------------------------------

/** A dedicated owner connection, for holding a transaction open while the API works. */
export async function ownerConnection(): Promise<PgClient> {
  const client = new PgClient({ connectionString: testEnv().ownerUrl, application_name: 'kinship-test-owner' });
  await client.connect();
  return client;
}

/** Pids of the API's backends in this database that wait on a lock, oldest wait first. */
export async function lockWaiters(): Promise<number[]> {
  const rows = await ownerQuery<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'kinship-api'
        AND state IN ('active', 'idle in transaction') AND wait_event_type = 'Lock'
      ORDER BY state_change, pid`,
  );
  return rows.map((r) => r.pid);
}

/** Waits until at least `n` API backends wait on a lock; returns their pids. */
export async function waitForLockWaiters(n: number, timeoutMs = 15000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = await lockWaiters();
    if (pids.length >= n) return pids;
    if (Date.now() > deadline) throw new Error(`expected ${n} API backends waiting on a lock, saw ${pids.length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The statement an API backend is running (or waiting in). */
export async function statementOf(pid: number): Promise<string> {
  const [row] = await ownerQuery<{ query: string }>(`SELECT query FROM pg_stat_activity WHERE pid = $1`, [pid]);
  return row?.query ?? '';
}

/**
 * Marks the key as just used. Authentication refreshes `last_used_at` at most once a minute, beside
 * the request's transaction; tests that race two requests of one key warm it first so that the
 * requests meet where the test means them to (the group lock, the idempotency claim).
 */
export const warmKey = (apiKeyId: string) => ownerQuery(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [apiKeyId]);
