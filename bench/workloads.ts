import { signDevToken, TokenSettings } from '../src/auth/tokens';
import { toGlobalId } from '../src/common/global-id';
import { CLINICIANS_PER_CLINIC, ids, memberOf, Scale, seededRandom } from './dataset';

/**
 * `postgraphile-rls` is the same PostGraphile with the tenant isolation a clinic deployment needs
 * (bench/postgraphile-rls.cjs): the caller's JWT, transactions as the RLS-bound role.
 */
export type ServerKind = 'ours' | 'postgraphile' | 'postgraphile-rls' | 'raw';

export interface BenchRequest {
  headers: Record<string, string>;
  body: string;
}

export interface Workload {
  name: string;
  description: string;
  servers: ServerKind[];
  concurrency: number;
  /** A request with fresh random ids. */
  make(server: ServerKind, rand: () => number): BenchRequest;
  /** Throws when a response is not the expected shape (checked once per server before loading). */
  check(server: ServerKind, body: { data?: unknown; errors?: unknown[] }): void;
}

const ROSTER_OURS = `query Roster($id: ID!) { group(id: $id) { name members(first: 10) { edges { node { status client { displayName }
  goals { title checkIns(last: 3) { value recordedAt } } } } } } }`;

const ROSTER_PEER = `query Roster($id: UUID!) { therapyGroupByRowId(rowId: $id) { name membershipsByClinicIdAndGroupId(first: 10, orderBy: [PRIMARY_KEY_ASC]) {
  nodes { status clientByClinicIdAndClientId { givenName familyName preferredName }
  goalsByClinicIdAndMembershipId { nodes { title goalCheckInsByClinicIdAndGoalId(first: 3, orderBy: [RECORDED_AT_DESC]) { nodes { value recordedAt } } } } } } } }`;

// The member's groups and next sessions, own goals with streaks, partnerships with the partner's shared goals.
// PostGraphile's query below is comparable, not identical: with no rules to apply it follows the partnerships
// the member proposed, reads all of the partner's goals and the latest session, and returns 30 raw check-ins
// per goal where we return streaks.
const HOME_OURS = `query MemberHome { viewer { client { displayName memberships { status group { name nextSession { scheduledStart topic } }
  goals { title currentStreak longestStreak lastCheckInAt } } } }
  myPartnerships { status partnerDisplayName proposerDisplayName partnerGoals { title visibility currentStreak } } }`;

// Session 1's member home, ours only: instead of the partner's goals, every goal the member may see
// in their groups (peers' shared goals too), 20 with streaks — more work than the peer's query.
const HOME_LIST_OURS = `query MemberHomeList { viewer { client { displayName memberships { status group { name nextSession { scheduledStart topic } }
  goals { title currentStreak longestStreak lastCheckInAt } } } }
  myPartnerships { status partnerDisplayName proposerDisplayName }
  goals(first: 20, filter: { lifecycleStatus: [ACTIVE] }) { edges { node { title ownerDisplayName visibility currentStreak } } } }`;

const HOME_PEER = `query MemberHome($id: UUID!) { clientByRowId(rowId: $id) { givenName familyName preferredName
  membershipsByClinicIdAndClientId { nodes { status
    therapyGroupByClinicIdAndGroupId { name groupSessionsByClinicIdAndGroupId(first: 1, orderBy: [SCHEDULED_START_DESC]) { nodes { scheduledStart topic } } }
    goalsByClinicIdAndMembershipId { nodes { title goalCheckInsByClinicIdAndGoalId(first: 30, orderBy: [RECORDED_AT_DESC]) { nodes { value recordedAt } } } }
    accountabilityPartnershipsByClinicIdAndProposerMembershipId { nodes { status membershipByClinicIdAndPartnerMembershipId {
      goalsByClinicIdAndMembershipId { nodes { title visibility goalCheckInsByClinicIdAndGoalId(first: 30, orderBy: [RECORDED_AT_DESC]) { nodes { value recordedAt } } } } } } } } } } }`;

const SESSION_OURS = `query SessionView($id: ID!) { groupSession(id: $id) { scheduledStart status topic
  attendance { status minutes membership { client { displayName } } } notes { kind status author { name } } } }`;

const INTEGRATION_OURS = `query PartnerGoals { goals(first: 100) { edges { node { title ownerDisplayName currentStreak checkIns(last: 3) { value recordedAt } } } } }`;

const CHECK_IN = `mutation CheckIn($input: RecordCheckInInput!) { recordCheckIn(input: $input) { checkIn { id value } goal { currentStreak } } }`;

const SYNC = `mutation Sync($input: SyncRosterInput!) { syncRoster(input: $input) { applied unchangedCount clientsCreated { index } clientsUpdated { index }
  membershipsEnded { to } errors { index code } } }`;

const json = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });
const pick = (rand: () => number, n: number) => Math.floor(rand() * n);

function expectData(body: { data?: unknown; errors?: unknown[] }, path: string[]) {
  if (body.errors?.length) throw new Error(`errors: ${JSON.stringify(body.errors).slice(0, 300)}`);
  let cur: unknown = body.data;
  for (const p of path) cur = (cur as Record<string, unknown> | undefined)?.[p];
  if (cur === undefined || cur === null) throw new Error(`missing ${path.join('.')}: ${JSON.stringify(body).slice(0, 300)}`);
}

/**
 * Builds the workloads with real credentials: clinicians' and members' JWTs are signed up front
 * (a pool of members), integrations use each clinic's key.
 */
export async function buildWorkloads(scale: Scale, tokens: TokenSettings, memberPool = 2000): Promise<Workload[]> {
  const clinicianAuth = new Map<string, string>();
  for (let c = 0; c < scale.clinics; c++) {
    for (let k = 0; k < CLINICIANS_PER_CLINIC; k++) {
      clinicianAuth.set(`${c}.${k}`, `Bearer ${await signDevToken(tokens, { sub: ids.clinician(c, k), clinicId: ids.clinic(c), role: 'CLINICIAN' }, '6h')}`);
    }
  }
  // Seated members: (clinic, group, slot j < capacity); their client index is memberOf(g, j).
  const members: { c: number; g: number; j: number; n: number; auth: string }[] = [];
  const det = seededRandom(12345);
  const seen = new Set<string>();
  const poolSize = Math.min(memberPool, scale.clinics * scale.groupsPerClinic * scale.capacity);
  while (members.length < poolSize) {
    const c = pick(det, scale.clinics), g = pick(det, scale.groupsPerClinic), j = pick(det, scale.capacity);
    const key = `${c}.${g}.${j}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const n = memberOf(scale, g, j);
    members.push({ c, g, j, n, auth: `Bearer ${await signDevToken(tokens, { sub: ids.client(c, n), clinicId: ids.clinic(c), role: 'MEMBER' }, '6h')}` });
  }
  const group = (rand: () => number) => {
    const c = pick(rand, scale.clinics), g = pick(rand, scale.groupsPerClinic);
    return { c, g, auth: clinicianAuth.get(`${c}.${g % CLINICIANS_PER_CLINIC}`)! };
  };
  const ours = (auth: string) => ({ 'content-type': 'application/json', authorization: auth });
  const plain = { 'content-type': 'application/json' };
  let syncRound = 0;

  return [
    {
      name: 'roster',
      description: 'group(id) { name members(first: 10) { status client { displayName } goals { title checkIns(last: 3) } } } as the group\'s clinician',
      servers: ['ours', 'postgraphile', 'postgraphile-rls', 'raw'],
      concurrency: 16,
      make(server, rand) {
        const { c, g, auth } = group(rand);
        const id = ids.group(c, g);
        if (server === 'ours') return { headers: ours(auth), body: json(ROSTER_OURS, { id: toGlobalId('TherapyGroup', id) }) };
        if (server === 'postgraphile-rls') return { headers: ours(auth), body: json(ROSTER_PEER, { id }) };
        return { headers: plain, body: json(server === 'raw' ? '' : ROSTER_PEER, { id }) };
      },
      check(server, body) {
        expectData(body, server.startsWith('postgraphile') ? ['therapyGroupByRowId', 'name'] : ['group', 'name']);
      },
    },
    {
      name: 'member home',
      description: 'a member\'s groups, next sessions, own goals with streaks, partnerships and the partner\'s shared goals',
      servers: ['ours', 'postgraphile', 'postgraphile-rls'],
      concurrency: 16,
      make(server, rand) {
        const m = members[pick(rand, members.length)];
        if (server === 'ours') return { headers: ours(m.auth), body: json(HOME_OURS) };
        return { headers: server === 'postgraphile-rls' ? ours(m.auth) : plain, body: json(HOME_PEER, { id: ids.client(m.c, m.n) }) };
      },
      check(server, body) {
        expectData(body, server === 'ours' ? ['viewer', 'client', 'displayName'] : ['clientByRowId', 'givenName']);
      },
    },
    {
      name: 'member home list',
      description: 'the member home with every goal the member may see in their groups (20, with streaks) instead of the partner\'s',
      servers: ['ours'],
      concurrency: 16,
      make(_server, rand) {
        return { headers: ours(members[pick(rand, members.length)].auth), body: json(HOME_LIST_OURS) };
      },
      check(_server, body) {
        expectData(body, ['goals', 'edges']);
      },
    },
    {
      name: 'session view',
      description: 'groupSession(id) { attendance { membership { client { displayName } } status } notes { kind status author { name } } } as the facilitator',
      servers: ['ours'],
      concurrency: 16,
      make(_server, rand) {
        const { c, g, auth } = group(rand);
        const w = pick(rand, Math.max(1, Math.floor(scale.sessionsPerGroup / 2)));
        return { headers: ours(auth), body: json(SESSION_OURS, { id: toGlobalId('GroupSession', ids.session(c, g, w)) }) };
      },
      check(_server, body) {
        expectData(body, ['groupSession', 'status']);
      },
    },
    {
      name: 'integration read',
      description: 'goals(first: 100) with check-ins as a goals:read integration (consent-gated, disclosures written)',
      servers: ['ours'],
      concurrency: 8,
      make(_server, rand) {
        return { headers: ours(`Bearer ${ids.apiKeySecret(pick(rand, scale.clinics))}`), body: json(INTEGRATION_OURS) };
      },
      check(_server, body) {
        expectData(body, ['goals', 'edges']);
      },
    },
    {
      name: 'check-in write',
      description: 'recordCheckIn on the member\'s own goal, concurrency 8',
      servers: ['ours'],
      concurrency: 8,
      make(_server, rand) {
        const m = members[pick(rand, members.length)];
        return { headers: ours(m.auth), body: json(CHECK_IN, { input: { goalId: toGlobalId('Goal', ids.goal(m.c, m.g, m.j)), value: 1, mood: 4 } }) };
      },
      check(_server, body) {
        expectData(body, ['recordCheckIn', 'checkIn', 'id']);
      },
    },
    {
      name: 'roster sync',
      description: 'syncRoster of 500 members, alternating MERGE (with changes) and REPLACE, as a roster:write integration',
      servers: ['ours'],
      concurrency: 2,
      make(_server, rand) {
        const c = pick(rand, scale.clinics), g = pick(rand, scale.groupsPerClinic);
        const round = syncRound++;
        const replace = round % 2 === 1;
        const rows = Array.from({ length: 500 }, (_, i) => ({
          externalId: { system: 'urn:bench:ehr', value: `${c}-${g}-${i}` },
          givenName: `Synced${i}`,
          familyName: `Member${i % 50}`,
          preferredName: i % 10 === round % 10 ? `P${round}` : null,
          email: `synced${i}.${c}.${g}@bench.test`,
          status: 'ACTIVE',
        })).filter((_, i) => !replace || i % 10 !== round % 10);
        return {
          headers: ours(`Bearer ${ids.apiKeySecret(c)}`),
          body: json(SYNC, { input: { group: { id: toGlobalId('TherapyGroup', ids.group(c, g)) }, mode: replace ? 'REPLACE' : 'MERGE', members: rows, confirmLargeChange: true } }),
        };
      },
      check(_server, body) {
        expectData(body, ['syncRoster']);
      },
    },
  ];
}
