/**
 * The roster screen is answered from one statement (src/modules/groups/compiled-roster.ts). These
 * tests run every operation twice — on the app as deployed and on one with compiled reads off —
 * and require the same data, the same errors and the same audit rows, for every kind of viewer;
 * and that the compiled path really answered (2 round trips: its statement rides in the first)
 * where it should.
 */
import { toGlobalId } from '../../src/common/global-id';
import { SessionStatement } from '../../src/db/request-db';
import type { CompiledRead } from '../../src/http/compiled-reads';
import { ClinicFixture, createClinic, ownerQuery, StaffFixture } from '../support/factories';
import { auditOf, differential } from '../support/differential';
import { getTestApp, gql, TestApp } from '../support/test-app';
import { createGroup, GroupFixture, groupWithMembers, MembershipFixture } from './group-fixtures';

const BENCH_SHAPE = `query Roster($id: ID!) { group(id: $id) { name members(first: 10) { edges { node { status client { displayName }
  goals { title checkIns(last: 3) { value recordedAt } } } } } } }`;
const EVERYTHING = `query($id: ID!, $first: Int, $last: Int) { __typename group(id: $id) { __typename id name
  members(first: $first) { __typename totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor node { __typename id status client { __typename id displayName }
      goals { __typename id title checkIns(last: $last) { __typename id value recordedAt } } } } } } }`;
const ALIASED = `query($id: ID!) { g: group(id: $id) { label: name roster: members(first: 4) { total: totalCount list: edges { m: node {
  state: status who: client { name: displayName } mine: goals { t: title recent: checkIns(last: 2) { v: value at: recordedAt } } also: goals { id } } } } } }`;
const DEFAULTS = `query($id: ID!) { group(id: $id) { members { totalCount edges { node { id goals { checkIns { id recordedAt } } } } } } }`;

let generic: TestApp;
let clinic: ClinicFixture;
let group: GroupFixture;
let members: MembershipFixture[];
let otherGroup: GroupFixture;
let bystander: StaffFixture;
let neighbourGroup: GroupFixture;

const both = differential(() => generic);

beforeAll(async () => {
  generic = await getTestApp({ compiledReads: false });
  clinic = await createClinic('Compiled Roster Clinic', 'Europe/Berlin');
  ({ group, members } = await groupWithMembers(clinic, {
    capacity: 5,
    members: 7,
    clientNames: [
      { givenName: 'Ana María', familyName: 'de la Cruz', preferredName: 'Nana' },
      { givenName: 'Björn', familyName: 'Ölund' },
      { givenName: 'Li', familyName: 'ß' },
      ...Array.from({ length: 4 }, (_, i) => ({ givenName: `Given${i}`, familyName: `Family${i}` })),
    ],
  }));
  // Goals in every state and visibility, with check-ins at microsecond times and fractional values.
  const kinds = [
    ['ACTIVE', 'GROUP'],
    ['PROPOSED', 'PRIVATE'],
    ['CANCELLED', 'PARTNERS'],
    ['COMPLETED', 'GROUP'],
  ];
  for (const [i, m] of members.slice(0, 6).entries()) {
    for (let k = 0; k < 1 + (i % 3); k++) {
      const [lifecycle, visibility] = kinds[(i + k) % kinds.length];
      await ownerQuery(
        `WITH g AS (
           INSERT INTO goals (clinic_id, membership_id, client_id, group_id, title, measure_kind, measure_period, target, start_date, lifecycle_status, visibility, created_by_type, created_by_id, created_at)
           SELECT m.clinic_id, m.id, m.client_id, m.group_id, $2, 'SCALE', 'DAILY', 6, current_date - 30, $3, $4, 'CLIENT', m.client_id, now() + make_interval(secs => $5)
             FROM memberships m WHERE m.id = $1 RETURNING id, clinic_id, client_id)
         INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, recorded_at, recorded_by_type, recorded_by_id)
         SELECT g.clinic_id, g.id, g.client_id, (d % 11) + 0.5, now() - make_interval(days => d) - make_interval(secs => 0.123456 * d), 'CLIENT', g.client_id
           FROM g, generate_series(0, $6) d`,
        [m.id, `Goal ${i}.${k} — “quoted”`, lifecycle, visibility, k, 2 + i],
      );
    }
  }
  otherGroup = await createGroup(clinic, {});
  bystander = await clinic.addStaff('CLINICIAN', 'Not Facilitating');
  const neighbour = await createClinic('Neighbour Clinic');
  neighbourGroup = (await groupWithMembers(neighbour, { members: 2 })).group;
});

afterAll(async () => {
  await generic.close();
});

describe('the compiled roster answers exactly as the resolvers do', () => {
  it('the benchmark\'s shape, as the facilitating clinician, in two round trips with every record audited', async () => {
    const { compiled, resolvers } = await both(clinic.clinician.auth, BENCH_SHAPE, { id: group.gid });
    expect(compiled.statements).toBe(2);
    expect(resolvers.statements).toBeGreaterThan(3);
    const roster = (compiled.data as any).group.members.edges;
    expect(roster).toHaveLength(7);
    expect(roster[0].node.client.displayName).toBe('Nana D.');
    expect(roster.flatMap((e: any) => e.node.goals).length).toBeGreaterThan(6);
    expect(roster[5].node.goals[0].checkIns).toHaveLength(3);
    // Memberships, clients and goals shown: one READ each.
    expect(compiled.audit.filter((l) => l.includes('|READ|Membership|'))).toHaveLength(7);
    expect(compiled.audit.filter((l) => l.includes('|READ|Client|'))).toHaveLength(7);
  });

  it.each([
    ['supervisor', () => clinic.supervisor],
    ['admin (no goals: minimum necessary)', () => clinic.admin],
    ['facilitating clinician', () => clinic.clinician],
  ])('every supported field, page sizes and defaults, as the %s', async (_label, who) => {
    for (const [first, last] of [[2, 1], [7, 100], [100, 5]]) {
      const { compiled } = await both(who().auth, EVERYTHING, { id: group.gid, first, last });
      expect(compiled.statements).toBe(2);
    }
    expect((await both(who().auth, ALIASED, { id: group.gid })).compiled.statements).toBe(2);
    expect((await both(who().auth, DEFAULTS, { id: group.gid })).compiled.statements).toBe(2);
  });

  it('audits the memberships a page shows, not the look-ahead row read for hasNextPage, on both paths', async () => {
    const query = `query($id: ID!) { group(id: $id) { members(first: 2) { pageInfo { hasNextPage } edges { node { id status } } } } }`;
    const { compiled } = await both(clinic.supervisor.auth, query, { id: group.gid });
    expect((compiled.data as any).group.members.pageInfo.hasNextPage).toBe(true);
    const audited = compiled.audit.filter((l) => l.includes('|READ|Membership|'));
    expect(audited).toHaveLength(2);
    for (const m of members.slice(0, 2)) expect(audited.some((l) => l.includes(m.id))).toBe(true);
    expect(audited.some((l) => l.includes(members[2].id))).toBe(false);
  });

  it('hands out cursors the resolvers continue from', async () => {
    const first: any = (await both(clinic.supervisor.auth, EVERYTHING, { id: group.gid, first: 3, last: 1 })).compiled.data;
    const next = await gql(clinic.supervisor.auth, `query($id: ID!, $after: String) { group(id: $id) { members(first: 3, after: $after) { edges { node { id } } } } }`, {
      id: group.gid,
      after: first.group.members.pageInfo.endCursor,
    });
    expect(next.data.group.members.edges.map((e: any) => e.node.id)).toEqual(members.slice(3, 6).map((m) => m.gid));
  });
});

describe('everything else goes to the resolvers, with the same answers', () => {
  it('a clinician who does not facilitate the group (directory access): no roster', async () => {
    const { compiled } = await both(bystander.auth, EVERYTHING, { id: group.gid, first: 5, last: 2 });
    expect((compiled.data as any).group.members).toBeNull();
    expect(compiled.audit.filter((l) => l.includes('|READ|'))).toEqual([]);
  });

  it('another clinic\'s group, a missing one and a malformed id: NOT_FOUND, with the denial audited alike', async () => {
    for (const id of [neighbourGroup.gid, toGlobalId('TherapyGroup', '00000000-0000-4000-8000-000000000000'), 'not-an-id', members[0].gid]) {
      const { compiled } = await both(clinic.supervisor.auth, BENCH_SHAPE, { id });
      expect(compiled.codes).toEqual(['NOT_FOUND']);
      expect(compiled.data).toBeNull();
    }
  });

  it('members of the group (their own view and peers) and a group they are not in', async () => {
    const client = await clinic.addClient();
    const member = (await ownerQuery(`SELECT client_id FROM memberships WHERE id = $1`, [members[1].id]))[0].client_id as string;
    const { tokenFor } = await import('../support/factories');
    const auth = await tokenFor(clinic.id, member, 'MEMBER');
    await both(auth, BENCH_SHAPE, { id: group.gid });
    await both(client.auth, BENCH_SHAPE, { id: group.gid });
    await both(auth, BENCH_SHAPE, { id: otherGroup.gid });
  });

  it('fields, arguments, fragments, directives and other root fields outside the compiled shape', async () => {
    const outside = [
      `query($id: ID!) { group(id: $id) { name members(first: 3) { edges { node { status waitlistPosition } } } } }`,
      `query($id: ID!) { group(id: $id) { members(first: 3, status: [WAITLISTED]) { edges { node { id } } } } }`,
      `query($id: ID!) { group(id: $id) { members(first: 3) { edges { node { ... on Membership { id status } } } } } }`,
      `query($id: ID!, $skip: Boolean = true) { group(id: $id) { members(first: 3) { edges { node { id client @skip(if: $skip) { id } } } } } }`,
      `query($id: ID!) { group(id: $id) { name } viewer { kind } }`,
      `query($id: ID!) { group(id: $id) { name } }`,
    ];
    for (const query of outside) {
      const { compiled, resolvers } = await both(clinic.clinician.auth, query, { id: group.gid });
      expect(compiled.statements).toBe(resolvers.statements);
    }
  });

  it('repeated response keys, which GraphQL merges, go to the resolvers', async () => {
    const repeated = [
      `query($id: ID!) { group(id: $id) { members(first: 3) { edges { node { client { id } client { displayName } } } } } }`,
      `query($id: ID!) { group(id: $id) { members(first: 3) { pageInfo { hasNextPage } pageInfo { endCursor } } } }`,
      `query($id: ID!) { group(id: $id) { members(first: 3) { edges { node { goals { id } goals { title } } } } } }`,
      `query($id: ID!) { group(id: $id) { name name members(first: 1) { totalCount } } }`,
    ];
    for (const query of repeated) {
      const { compiled, resolvers } = await both(clinic.supervisor.auth, query, { id: group.gid });
      expect(compiled.statements).toBe(resolvers.statements);
      expect(compiled.codes).toEqual([]);
    }
  });

  it('variables are taken as execution takes them: missing, out of range or mistyped ones are the resolvers\' 400s', async () => {
    const strict = `query($id: ID!, $first: Int!, $last: Int!) { group(id: $id) { members(first: $first) { edges { node { goals { checkIns(last: $last) { id } } } } } } }`;
    for (const variables of [{ id: group.gid, last: 2 }, { id: group.gid, first: 3000000000, last: 2 }, { id: group.gid, first: 2, last: -3000000000 }, { id: group.gid, first: '2', last: 2 }]) {
      const { compiled } = await both(clinic.supervisor.auth, strict, variables);
      expect(compiled.status).toBe(400);
      expect(compiled.audit).toEqual([]);
    }
    // Defaults declared on the operation apply, as in execution.
    const defaulted = `query($id: ID!, $first: Int = 2, $last: Int = 1) { group(id: $id) { members(first: $first) { edges { node { goals { checkIns(last: $last) { id } } } } } } }`;
    const { compiled } = await both(clinic.supervisor.auth, defaulted, { id: group.gid });
    expect(compiled.statements).toBe(2);
    expect((compiled.data as any).group.members.edges).toHaveLength(2);
  });

  it('a compiled read that fails answers INTERNAL_SERVER_ERROR with a request id, rolls back and audits nothing', async () => {
    const failing = await getTestApp({
      compiledReads: [
        {
          shape: { group: { args: ['id'], fields: { name: {} } } },
          run: async (ctx) => {
            await ctx.db.query(`SELECT 1 / 0`);
            return new Map();
          },
        },
      ],
    });
    try {
      const res = await gql(clinic.supervisor.auth, `query($id: ID!) { group(id: $id) { name } }`, { id: group.gid }, failing);
      expect(res.status).toBe(200);
      expect(res.data).toBeNull();
      expect(res.codes).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(res.errors![0].message).toMatch(/^Internal server error \(request [0-9a-f-]{36}\)$/);
      expect(JSON.stringify(res.body)).not.toMatch(/division|SELECT/i);
      expect(await auditOf(res.body.extensions!.requestId)).toEqual([]);
      // The connection went back to the pool clean: the next request on that app answers.
      const next = await gql(clinic.supervisor.auth, `{ viewer { kind } }`, {}, failing);
      expect(next.data.viewer.kind).toBe('STAFF');
    } finally {
      await failing.close();
    }
  });

  it('bad argument values are the resolvers\' errors', async () => {
    for (const variables of [{ id: group.gid, first: 'ten', last: 2 }, { id: 42, first: 2, last: 2 }, { id: group.gid, first: 2.5 }, { id: group.gid, first: -4, last: 0 }]) {
      const { compiled } = await both(clinic.clinician.auth, EVERYTHING, variables);
      expect(compiled.status === 400 || compiled.codes.length > 0 || compiled.statements === 2).toBe(true);
    }
  });
});

describe('the speculative first round trip', () => {
  it('a token whose staff member was deactivated or demoted since: UNAUTHENTICATED, and the roster read with the lookup is neither released nor audited', async () => {
    const leaving = await clinic.addStaff('SUPERVISOR', 'Leaving Supervisor');
    const demoted = await clinic.addStaff('SUPERVISOR', 'Demoted Supervisor');
    const before = await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE actor_id = ANY($1)`, [[leaving.id, demoted.id]]);
    await ownerQuery(`UPDATE staff_members SET active = false WHERE id = $1`, [leaving.id]);
    await ownerQuery(`UPDATE staff_members SET role = 'CLINICIAN' WHERE id = $1`, [demoted.id]);
    for (const who of [leaving, demoted]) {
      const { compiled } = await both(who.auth, BENCH_SHAPE, { id: group.gid });
      expect(compiled.codes).toEqual(['UNAUTHENTICATED']);
      expect(compiled.data).toBeNull();
      expect(compiled.audit).toEqual([]);
    }
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE actor_id = ANY($1)`, [[leaving.id, demoted.id]])).toEqual(before);
  });

  it('a document speculation skips (over 4 kB) is still answered by the compiled read, its statement run in a round trip of its own', async () => {
    const long = `${BENCH_SHAPE}\n# ${'padding '.repeat(600)}`;
    expect(long.length).toBeGreaterThan(4096);
    const { compiled } = await both(clinic.clinician.auth, long, { id: group.gid });
    expect(compiled.statements).toBe(3);
    expect((compiled.data as any).group.members.edges.length).toBeGreaterThan(0);
  });

  it('speculated rows answer only the very call the confirmed viewer asks; any other call runs itself', async () => {
    const speculated = new SessionStatement('kinship_test_speculated', ['text'], `SELECT $1::text AS v, 'speculated' AS source`, { onDemand: true });
    const read = (speculateWith: string): CompiledRead => ({
      shape: { group: { args: ['id'], fields: { name: {} } } },
      speculate: () => speculated.execute([speculateWith]),
      run: async (ctx, fields) => {
        const [row] = await ctx.db.execute<{ v: string }>(speculated.execute([ctx.viewer.kind]));
        return new Map([[fields[0], { name: row.v }]]);
      },
    });
    const matching = await getTestApp({ compiledReads: [read('STAFF')] });
    const other = await getTestApp({ compiledReads: [read('MEMBER')] });
    try {
      const query = `query($id: ID!) { group(id: $id) { name } }`;
      const used = await gql(clinic.supervisor.auth, query, { id: group.gid }, matching);
      expect(used.data.group.name).toBe('STAFF');
      expect(used.sqlStatements).toBe(2); // opening (with the read) + COMMIT
      const ranItself = await gql(clinic.supervisor.auth, query, { id: group.gid }, other);
      expect(ranItself.data.group.name).toBe('STAFF');
      expect(ranItself.sqlStatements).toBe(3); // opening, the read's own call, COMMIT
    } finally {
      await matching.close();
      await other.close();
    }
  });

  it('a failing speculative statement costs a round trip, not the request; run again by the read, it is the read\'s internal error', async () => {
    const failing = new SessionStatement('kinship_test_failing_read', ['uuid'], `SELECT 1 / (CASE WHEN $1 IS NULL THEN 1 ELSE 0 END) AS x`, { onDemand: true });
    const reads = (runs: boolean): CompiledRead[] => [
      {
        shape: { group: { args: ['id'], fields: { name: {} } } },
        speculate: () => failing.execute([group.id]),
        run: async (ctx) => (runs ? (await ctx.db.execute(failing.execute([group.id])), new Map()) : undefined),
      },
    ];
    const declining = await getTestApp({ compiledReads: reads(false) });
    const running = await getTestApp({ compiledReads: reads(true) });
    try {
      const declined = await gql(clinic.supervisor.auth, `query($id: ID!) { group(id: $id) { name } }`, { id: group.gid }, declining);
      expect(declined.errors).toBeUndefined();
      expect(declined.data.group.name).toBe(group.name);
      expect(declined.sqlStatements).toBeGreaterThanOrEqual(3); // the failed opening, its rollback, the opening again, the group
      const failed = await gql(clinic.supervisor.auth, `query($id: ID!) { group(id: $id) { name } }`, { id: group.gid }, running);
      expect(failed.data).toBeNull();
      expect(failed.codes).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(failed.body)).not.toMatch(/division|SELECT/i);
      expect(await auditOf(failed.body.extensions!.requestId)).toEqual([]);
      // Both apps' connections went back clean.
      expect((await gql(clinic.supervisor.auth, `{ viewer { kind } }`, {}, running)).data.viewer.kind).toBe('STAFF');
      expect((await gql(clinic.supervisor.auth, `{ viewer { kind } }`, {}, declining)).data.viewer.kind).toBe('STAFF');
    } finally {
      await declining.close();
      await running.close();
    }
  });
});
