/**
 * A member's access report shows who read their record and every release to an integration.
 * Its lists hold the newest entries; `accessHistory` and `disclosureHistory` page through all
 * of them, so nothing recorded about a member is out of their reach however long they stay.
 */
import { ownerQuery } from '../support/factories';
import { expectError, gql, testNoteCipher } from '../support/test-app';
import { activeGroup, createGoal, grantConsent, ok } from '../goals/goal-fixtures';

const REPORT = `query($first: Int!, $accessesAfter: String, $disclosuresAfter: String) { myAccessReport(first: $first) {
  accesses { occurredAt action resourceType actor { kind name } }
  accessHistory(first: $first, after: $accessesAfter) { edges { cursor node { occurredAt action resourceType actor { kind name } } } pageInfo { hasNextPage endCursor } }
  disclosureHistory(first: $first, after: $disclosuresAfter) { edges { node { dataClass resourceType integrationName consentId } } pageInfo { hasNextPage endCursor } }
} }`;

describe('access report history', () => {
  it('pages through every access and every disclosure about the member, newest first, beyond the report\'s own lists', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: 'Walk daily' });
    const key = await w.clinic.addApiKey(['goals:read'], 'Coach App');
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    // Reads of Kim's record by her clinician and by the integration; and of Lee's, which her report never shows.
    for (let i = 0; i < 3; i++) {
      ok(await gql(w.lead.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: kim.client.gid }));
      ok(await gql(key.auth, `{ goals(first: 10) { edges { node { title } } } }`));
      ok(await gql(w.lead.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: lee.client.gid }));
    }

    const stored = await ownerQuery<{ action: string; resource_type: string }>(
      `SELECT action, resource_type FROM audit_events
        WHERE clinic_id = $1 AND subject_client_id = $2 AND NOT (actor_type = 'CLIENT' AND actor_id = $2)
        ORDER BY batch_id DESC, position DESC`,
      [w.clinic.id, kim.client.id],
    );
    const ledger = await ownerQuery<{ id: string }>(`SELECT id FROM disclosures WHERE client_id = $1 ORDER BY id DESC`, [kim.client.id]);
    expect(stored.length).toBeGreaterThan(6);
    expect(ledger.length).toBe(3);

    /** Every page of one history, following endCursor. */
    async function pages(field: 'accessHistory' | 'disclosureHistory', variable: 'accessesAfter' | 'disclosuresAfter') {
      const nodes: any[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const history: any = ok(await gql(kim.auth, REPORT, { first: 2, [variable]: after })).myAccessReport[field];
        nodes.push(...history.edges.map((e: { node: unknown }) => e.node));
        if (!history.pageInfo.hasNextPage) return nodes;
        after = history.pageInfo.endCursor;
      }
      throw new Error('paging did not end');
    }
    const accesses = await pages('accessHistory', 'accessesAfter');
    const disclosures = await pages('disclosureHistory', 'disclosuresAfter');
    const first: any = ok(await gql(kim.auth, REPORT, { first: 2 })).myAccessReport;
    // The report's list is the history's first page.
    expect(first.accesses).toEqual(first.accessHistory.edges.map((e: { node: unknown }) => e.node));
    // Every access except the report productions themselves, which are recorded as Kim's own actions.
    expect(accesses.map((a) => [a.action, a.resourceType])).toEqual(stored.map((s) => [s.action, s.resource_type]));
    expect(disclosures).toHaveLength(3);
    expect(disclosures.every((d) => d.dataClass === 'goals')).toBe(true);
  });

  it('refuses a cursor no page returned, and answers a sealed one holding extreme values without an internal error', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    // Cursors are sealed (session 13): a readable one, as they once were, is no cursor of ours.
    for (const after of ['bm90LWEtY3Vyc29y', Buffer.from(JSON.stringify(['1', 'x'])).toString('base64url'), Buffer.from(JSON.stringify([1, 2])).toString('base64url')]) {
      expectError(await gql(kim.auth, `query($a: String) { myAccessReport { accessHistory(after: $a) { edges { cursor } } } }`, { a: after }), 'BAD_USER_INPUT');
    }
    // Positions past any int: compared as bigint, not cast into an overflow.
    const res = await gql(kim.auth, `query($a: String, $d: String) { myAccessReport { accessHistory(after: $a) { edges { cursor } } disclosureHistory(after: $d) { edges { cursor } } } }`, {
      a: testNoteCipher.seal(`access history ${kim.client.id}`, [1, 99999999999]), d: testNoteCipher.seal(`disclosure history ${kim.client.id}`, [Number.MAX_SAFE_INTEGER]),
    });
    expect(res.codes).toEqual([]);
    expect(res.data.myAccessReport.accessHistory.edges).toEqual([]);
  });

  it('seals its cursors: they tell nothing of the records around an access, and serve only the report they came from (session 13)', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    // Staff read both members' records, so each report has history.
    for (const m of [kim, lee]) ok(await gql(w.lead.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: m.client.gid }));
    ok(await gql(w.lead.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: kim.client.gid }));
    const HISTORY = `query($a: String) { myAccessReport { accessHistory(first: 1, after: $a) { edges { cursor } pageInfo { endCursor } } } }`;
    const cursor = ok(await gql(kim.auth, HISTORY)).myAccessReport.accessHistory.pageInfo.endCursor as string;
    const [batch] = await ownerQuery<{ b: string }>(`SELECT max(batch_id)::text AS b FROM audit_events WHERE subject_client_id = $1`, [kim.client.id]);
    // Nothing readable: not the batch id, not JSON.
    expect(cursor).not.toContain(batch.b);
    expect(() => JSON.parse(Buffer.from(cursor.split('.').pop()!, 'base64url').toString('utf8'))).toThrow();
    // It pages Kim's history, and no one else's.
    ok(await gql(kim.auth, HISTORY, { a: cursor }));
    expectError(await gql(lee.auth, HISTORY, { a: cursor }), 'BAD_USER_INPUT');
    // Every cursor has one length, whatever its values' digits.
    expect(new Set([[1, 5], [1234567, 15], [9007199254740991, 9007199254740991]].map((v) => testNoteCipher.seal('x', v).length)).size).toBe(1);
    // Altered by one character, it is refused.
    const altered = cursor.slice(0, -2) + (cursor.at(-2) === 'A' ? 'B' : 'A') + cursor.at(-1);
    expectError(await gql(kim.auth, HISTORY, { a: altered }), 'BAD_USER_INPUT');
  });
});
