import { ClinicFixture, createClinic, ownerQuery, tokenFor } from '../support/factories';
import { toGlobalId } from '../../src/common/global-id';
import { gql, GqlResult } from '../support/test-app';
import { ACCEPT_AGREEMENT, ok } from './group-fixtures';

/** The roster query of the acceptance list, exactly as written there. */
const ROSTER_QUERY = `{ groups(first: 50) { edges { node { name facilitators { staffMember { name } } members(first: 20) { edges { node { client { displayName } } } } } } } }`;
/** The same selection with the page sizes as variables (graphql-armor prices literal `first` only). */
const ROSTER_QUERY_VARS = `query($groups: Int!, $members: Int!) { groups(first: $groups) { edges { node { name facilitators { staffMember { name } } members(first: $members) { edges { node { client { displayName } } } } } } } }`;
const ROSTER_VARS = { groups: 50, members: 20 };
const MEMBERS_PER_GROUP = 3;

/**
 * A clinic with `n` ACTIVE groups, each led by the clinic's clinician with its supervisor as
 * co-facilitator and `MEMBERS_PER_GROUP` ACTIVE members, arranged in a few bulk statements.
 */
async function clinicWithGroups(n: number): Promise<ClinicFixture> {
  const clinic = await createClinic();
  await ownerQuery(
    `WITH g AS (
       INSERT INTO therapy_groups (clinic_id, name, modality, format, capacity, status)
       SELECT $1, 'Group ' || lpad(i::text, 3, '0'), 'CBT', 'OPEN', 8, 'ACTIVE' FROM generate_series(1, $2::int) AS i
       RETURNING id)
     INSERT INTO group_facilitators (clinic_id, group_id, staff_member_id, role)
     SELECT $1, g.id, f.staff_id, f.role FROM g CROSS JOIN (VALUES ($3::uuid, 'LEAD'), ($4::uuid, 'CO')) AS f(staff_id, role)`,
    [clinic.id, n, clinic.clinician.id, clinic.supervisor.id],
  );
  await ownerQuery(
    `INSERT INTO clients (clinic_id, given_name, family_name, email)
     SELECT $1, 'Given' || lpad(i::text, 4, '0'), 'Family' || i, 'c' || i || '@example.test' FROM generate_series(1, $2::int) AS i`,
    [clinic.id, n * MEMBERS_PER_GROUP],
  );
  await ownerQuery(
    `WITH gs AS (SELECT id, row_number() OVER (ORDER BY name, id) AS gn FROM therapy_groups WHERE clinic_id = $1),
          cs AS (SELECT id, (row_number() OVER (ORDER BY given_name, id) - 1) / $2::int + 1 AS gn FROM clients WHERE clinic_id = $1)
     INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start)
     SELECT $1, gs.id, cs.id, 'ACTIVE', current_date FROM gs JOIN cs USING (gn)`,
    [clinic.id, MEMBERS_PER_GROUP],
  );
  const [counts] = await ownerQuery(
    `SELECT (SELECT count(*) FROM therapy_groups WHERE clinic_id = $1)::int AS groups,
            (SELECT count(*) FROM memberships WHERE clinic_id = $1)::int AS memberships`,
    [clinic.id],
  );
  expect(counts).toEqual({ groups: n, memberships: n * MEMBERS_PER_GROUP });
  return clinic;
}

/** Asserts the roster answered in full: `n` groups, each with both facilitators and its members' names. */
function expectFullRoster(res: GqlResult, n: number) {
  const edges = ok(res).groups.edges;
  expect(edges).toHaveLength(n);
  for (const { node } of edges) {
    expect(node.facilitators).toHaveLength(2);
    expect(node.facilitators.every((f: { staffMember: { name: string } }) => typeof f.staffMember.name === 'string')).toBe(true);
    expect(node.members.edges).toHaveLength(MEMBERS_PER_GROUP);
    expect(node.members.edges.every((e: { node: { client: { displayName: string } } }) => /^Given\d+ F\.$/.test(e.node.client.displayName))).toBe(
      true,
    );
  }
}

describe('SQL statements of the roster query', () => {
  let small: ClinicFixture;
  let large: ClinicFixture;

  beforeAll(async () => {
    small = await clinicWithGroups(5);
    large = await clinicWithGroups(50);
  });

  it('admits the roster query exactly as the issue writes it (literal first: 50 and first: 20)', async () => {
    expectFullRoster(await gql(small.admin.auth, ROSTER_QUERY), 5);
    expectFullRoster(await gql(large.clinician.auth, ROSTER_QUERY), 50);
  });

  it('issues the same number of statements for 5 groups as for 50 (admin)', async () => {
    const few = await gql(small.admin.auth, ROSTER_QUERY_VARS, ROSTER_VARS);
    const many = await gql(large.admin.auth, ROSTER_QUERY_VARS, ROSTER_VARS);
    expectFullRoster(few, 5);
    expectFullRoster(many, 50);
    console.log(`roster query as admin: ${few.sqlStatements} SQL statements for 5 groups, ${many.sqlStatements} for 50 groups`);
    expect(few.sqlStatements).toBeGreaterThan(0);
    expect(many.sqlStatements).toBe(few.sqlStatements);
  });

  it('issues the same number of statements for 5 groups as for 50 (a clinician who facilitates them all)', async () => {
    const few = await gql(small.clinician.auth, ROSTER_QUERY_VARS, ROSTER_VARS);
    const many = await gql(large.clinician.auth, ROSTER_QUERY_VARS, ROSTER_VARS);
    expectFullRoster(few, 5);
    expectFullRoster(many, 50);
    console.log(`roster query as facilitating clinician: ${few.sqlStatements} SQL statements for 5 groups, ${many.sqlStatements} for 50 groups`);
    expect(few.sqlStatements).toBeGreaterThan(0);
    expect(many.sqlStatements).toBe(few.sqlStatements);
  });

  it('issues the same number of statements for a member\'s peer list in a 5-group clinic as in a 50-group one', async () => {
    const memberOf = async (clinic: ClinicFixture) => {
      const [row] = await ownerQuery<{ client_id: string; group_id: string }>(
        `SELECT m.client_id, m.group_id FROM memberships m JOIN clients c ON c.id = m.client_id WHERE m.clinic_id = $1 ORDER BY c.given_name LIMIT 1`,
        [clinic.id],
      );
      const auth = await tokenFor(clinic.id, row.client_id, 'MEMBER');
      ok(await gql(auth, ACCEPT_AGREEMENT, { input: { groupId: toGlobalId('TherapyGroup', row.group_id) } }));
      return auth;
    };
    const peers = `query($groups: Int!, $members: Int!) { groups(first: $groups) { edges { node { name facilitators { staffMember { name } } members(first: $members) { edges { node { displayName } } } } } } }`;
    const few = await gql(await memberOf(small), peers, ROSTER_VARS);
    const many = await gql(await memberOf(large), peers, ROSTER_VARS);
    for (const res of [few, many]) {
      expect(ok(res).groups.edges).toHaveLength(1);
      expect(res.data.groups.edges[0].node.members.edges).toHaveLength(MEMBERS_PER_GROUP);
    }
    console.log(`peer query as member: ${few.sqlStatements} SQL statements (5-group clinic), ${many.sqlStatements} (50-group clinic)`);
    expect(many.sqlStatements).toBe(few.sqlStatements);
  });
});
