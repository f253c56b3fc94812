/**
 * Consent is checked for a whole batch of clients in one statement: an integration reading
 * the goals of 5 or of 50 consenting clients issues the same number of SQL statements.
 */
import { ownerQuery } from '../support/factories';
import { gql } from '../support/test-app';
import { activeGroup, bulkGoalsWithCheckIns, bulkMembers, ok } from '../goals/goal-fixtures';

const GOALS = `{ goals(first: 100) { edges { node { id title checkIns { id value } } } } }`;

/** A clinic with `n` clients in one group, each with one goal and one check-in, all sharing with one integration. */
async function integrationWithConsentingClients(n: number) {
  const { clinic, group } = await activeGroup({ members: 0, capacity: 100 });
  const key = await clinic.addApiKey(['roster:read', 'goals:read'], `Partner app for ${n}`);
  const memberships = await bulkMembers(clinic, group, n, { share: false });
  await bulkGoalsWithCheckIns(clinic, memberships, group, 1, 1);
  await ownerQuery(
    `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_api_key_id, provision, method, recorded_by_type, recorded_by_id)
     SELECT $1, c, 'PARTNER_DATA_SHARING', 'INTEGRATION', $2, 'PERMIT', 'ELECTRONIC', 'CLIENT', c FROM unnest($3::uuid[]) c`,
    [clinic.id, key.id, memberships.map((m) => m.client_id)],
  );
  return { clinic, key };
}

describe('consent checks are batched', () => {
  it('reads the goals of 50 consenting clients with as many SQL statements as for 5', async () => {
    const counts: Record<number, number> = {};
    for (const n of [5, 50]) {
      const { clinic, key } = await integrationWithConsentingClients(n);
      // Warm the app (connection, schema) outside the measurement.
      ok(await gql(key.auth, `{ viewer { kind } }`));
      const res = await gql(key.auth, GOALS);
      const edges = ok(res).goals.edges;
      expect(edges).toHaveLength(n);
      expect(edges.every((e: any) => e.node.checkIns.length === 1)).toBe(true);
      counts[n] = res.sqlStatements;
      // Every release was ledgered: one goal row and one check-in row per client.
      const [{ goals, checkIns }] = await ownerQuery(
        `SELECT count(*) FILTER (WHERE data_class = 'goals')::int AS goals, count(*) FILTER (WHERE data_class = 'check-ins')::int AS "checkIns"
           FROM disclosures WHERE clinic_id = $1 AND request_id = $2`,
        [clinic.id, res.body.extensions!.requestId],
      );
      expect({ goals, checkIns }).toEqual({ goals: n, checkIns: n });
    }
    console.log(`integration goals(first: 100) with consent checks: ${counts[5]} SQL statements for 5 clients, ${counts[50]} for 50`);
    expect(counts[50]).toBe(counts[5]);
  });

  it('answers 50 clients who did not consent with as many statements as 5, and releases nothing', async () => {
    const counts: Record<number, number> = {};
    for (const n of [5, 50]) {
      const { clinic, group } = await activeGroup({ members: 0, capacity: 100 });
      const key = await clinic.addApiKey(['goals:read']);
      const memberships = await bulkMembers(clinic, group, n, { share: false });
      await bulkGoalsWithCheckIns(clinic, memberships, group, 1, 1);
      const res = await gql(key.auth, GOALS);
      expect(ok(res).goals.edges).toEqual([]);
      counts[n] = res.sqlStatements;
      expect(await ownerQuery(`SELECT 1 FROM disclosures WHERE clinic_id = $1`, [clinic.id])).toEqual([]);
    }
    console.log(`integration goals(first: 100) without consent: ${counts[5]} SQL statements for 5 clients, ${counts[50]} for 50`);
    expect(counts[50]).toBe(counts[5]);
  });
});
