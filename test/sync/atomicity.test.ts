/**
 * A sync is one transaction: a connection killed in the middle leaves nothing applied, and two
 * syncs of the same group run one after the other, never interleaved. Races are made
 * deterministic by holding a lock from an owner connection until every request waits on it.
 */
import { groupWithMembers } from '../groups/group-fixtures';
import { ownerQuery } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';
import {
  EHR,
  extId,
  extKey,
  fullState,
  neighbours,
  openRoster,
  ownerConnection,
  rosterRow,
  rosterRows,
  statementOf,
  synced,
  syncRoster,
  syncWorld,
  waitForLockWaiters,
  warmKey,
} from './sync-fixtures';

const value = (n: number) => extId(n).value;

/** A masked failure: INTERNAL_SERVER_ERROR with the request id, and nothing about SQL. */
function expectMaskedFailure(res: GqlResult) {
  expectError(res, 'INTERNAL_SERVER_ERROR');
  expect(res.data ?? null).toBeNull();
  const error = res.errors![0];
  const requestId = error.extensions!.requestId;
  expect(requestId).toEqual(expect.any(String));
  expect(requestId).toBe(res.body.extensions!.requestId);
  expect(error.message).toContain(requestId);
  expect(JSON.stringify(res.errors)).not.toMatch(/insert|select|update|terminat|pg_|relation|column|constraint|stack/i);
}

describe('a connection killed mid-sync', () => {
  it('leaves nothing applied when the backend dies while the sync waits for the group', async () => {
    const w = await syncWorld();
    const before = [await fullState(w.clinic.id), await neighbours(w)];
    const holder = await ownerConnection();
    let res: GqlResult;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM therapy_groups WHERE id = $1 FOR UPDATE', [w.group.id]);
      const pending = syncRoster(w.writer.auth, w.group, rosterRows(1, 1000), { idempotencyKey: 'big-sync' });
      const [pid] = await waitForLockWaiters(1);
      // It has claimed its idempotency key and now waits for the group.
      expect(await statementOf(pid)).toMatch(/FROM "therapy_groups".*FOR UPDATE/s);
      const [{ terminated }] = await ownerQuery<{ terminated: boolean }>('SELECT pg_terminate_backend($1) AS terminated', [pid]);
      expect(terminated).toBe(true);
      await holder.query('ROLLBACK');
      res = await pending;
    } finally {
      await holder.end();
    }

    expectMaskedFailure(res);
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);

    // The server recovers, and the key was not kept: the retry applies the whole roster.
    const retry = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 1000), { idempotencyKey: 'big-sync' }));
    expect(retry.applied).toBe(true);
    expect(retry.clientsCreated).toHaveLength(1000);
  });

  it('leaves nothing applied when the backend dies after the sync has already inserted its clients', async () => {
    const w = await syncWorld();
    const before = [await fullState(w.clinic.id), await neighbours(w)];
    const holder = await ownerConnection();
    let res: GqlResult;
    try {
      // An uncommitted identifier equal to row 500's: the sync's bulk insert of identifiers
      // (which follows its bulk insert of clients) must wait for this transaction.
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', gen_random_uuid(), $2, $3)`,
        [w.clinic.id, EHR, value(500)],
      );
      const pending = syncRoster(w.writer.auth, w.group, rosterRows(1, 1000));
      const [pid] = await waitForLockWaiters(1);
      const [waiting] = await ownerQuery<{ query: string }>(`SELECT query FROM pg_stat_activity WHERE pid = $1`, [pid]);
      expect(waiting.query).toMatch(/^\s*INSERT INTO external_identifiers/);
      await ownerQuery('SELECT pg_terminate_backend($1)', [pid]);
      res = await pending;
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }

    expectMaskedFailure(res);
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
    const [leftovers] = await ownerQuery(
      `SELECT (SELECT count(*)::int FROM clients c JOIN external_identifiers x ON x.resource_id = c.id WHERE c.clinic_id = $1 AND x.system = $2) AS clients,
              (SELECT count(*)::int FROM memberships WHERE group_id = $3) AS memberships,
              (SELECT count(*)::int FROM change_log l JOIN memberships m ON m.id = l.entity_id WHERE m.group_id = $3) AS feed`,
      [w.clinic.id, EHR, w.group.id],
    );
    expect(leftovers).toEqual({ clients: 0, memberships: 0, feed: 0 });
  });
});

describe('concurrent syncs of one group', () => {
  // Persons 1–4 are on the roster; A and B are two different rosters that both add person 9.
  const A = [1, 2, 5, 9];
  const B = [3, 4, 6, 9];
  const replace = (persons: number[]) => persons.map((n) => rosterRow(n));
  const options = { mode: 'REPLACE', confirmLargeChange: true };

  it('run one after the other: the final roster is the second one applied to the first one\'s result', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 4)));
    const before = await neighbours(w);
    await warmKey(w.writer.id);
    const holder = await ownerConnection();
    let results: GqlResult[];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM therapy_groups WHERE id = $1 FOR UPDATE', [w.group.id]);
      const a = syncRoster(w.writer.auth, w.group, replace(A), options);
      await waitForLockWaiters(1);
      const b = syncRoster(w.writer.auth, w.group, replace(B), options);
      const waiters = await waitForLockWaiters(2);
      // Syncs of one clinic queue on the clinic's sync lock, then on the group's row lock.
      for (const pid of waiters) expect(await statementOf(pid)).toMatch(/FROM "therapy_groups".*FOR UPDATE|pg_advisory_xact_lock\(hashtext\('roster-sync:'/s);
      await holder.query('ROLLBACK');
      results = await Promise.all([a, b]);
    } finally {
      await holder.end();
    }
    const [pa, pb] = await Promise.all(results.map((r) => synced(r)));

    // A ran against 1–4.
    expect(pa).toMatchObject({
      applied: true,
      clientsCreated: [{ externalId: extKey(5) }, { externalId: extKey(9) }],
      membershipsEnrolled: [{ externalId: extKey(5) }, { externalId: extKey(9) }],
      unchangedCount: 2,
    });
    expect(pa.membershipsEnded).toHaveLength(2);
    // B ran against A's result: person 9 already existed and was already a member.
    expect(pb).toMatchObject({
      applied: true,
      clientsCreated: [{ externalId: extKey(6) }],
      membershipsEnrolled: [{ externalId: extKey(3) }, { externalId: extKey(4) }, { externalId: extKey(6) }],
      unchangedCount: 1,
    });
    expect(pb.membershipsEnded).toHaveLength(3);

    expect(await openRoster(w.group.id)).toEqual(B.map(value));
    const [{ n }] = await ownerQuery(`SELECT count(*)::int AS n FROM external_identifiers WHERE clinic_id = $1 AND value = $2`, [w.clinic.id, value(9)]);
    expect(n).toBe(1);
    expect(await neighbours(w)).toEqual(before);
  });

  it('started at the same moment, end in exactly one of the two rosters, never a mixture', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 4)));
    await warmKey(w.writer.id);
    const [pa, pb] = await Promise.all([syncRoster(w.writer.auth, w.group, replace(A), options), syncRoster(w.writer.auth, w.group, replace(B), options)].map((r) => synced(r)));

    const final = await openRoster(w.group.id);
    const second = final.join() === B.map(value).join() ? pb : pa;
    expect([A.map(value), B.map(value)]).toContainEqual(final);
    // Whichever ran second found person 9 already created and enrolled by the first.
    expect(second.clientsCreated.map((c: any) => c.externalId)).not.toContain(extKey(9));
    expect(second.unchangedCount).toBe(1);
    const [{ n }] = await ownerQuery(`SELECT count(*)::int AS n FROM clients c JOIN external_identifiers x ON x.resource_id = c.id WHERE c.clinic_id = $1 AND x.value = $2`, [w.clinic.id, value(9)]);
    expect(n).toBe(1);
  });
});

describe('concurrent syncs of different groups', () => {
  it('that both add the same new person create one client and neither fails with a server error', async () => {
    const w = await syncWorld();
    const { group: second } = await groupWithMembers(w.clinic, { capacity: 100 });
    await warmKey(w.writer.id);
    const holder = await ownerConnection();
    let results: GqlResult[];
    try {
      // Another transaction is inserting person 1's identifier: both syncs plan to create person 1
      // and reach their identifier insert before either can commit.
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', gen_random_uuid(), $2, $3)`,
        [w.clinic.id, EHR, value(1)],
      );
      const a = syncRoster(w.writer.auth, w.group, [rosterRow(1), rosterRow(2)]);
      const b = syncRoster(w.writer.auth, second, [rosterRow(1), rosterRow(3)]);
      const waiters = await waitForLockWaiters(2);
      // The first waits on the held identifier; the second queues behind it on the clinic's sync lock.
      for (const pid of waiters) expect(await statementOf(pid)).toMatch(/INSERT INTO external_identifiers|pg_advisory_xact_lock\(hashtext\('roster-sync:'/);
      await holder.query('ROLLBACK');
      results = await Promise.all([a, b]);
    } finally {
      await holder.end();
    }

    for (const r of results) expect(r.codes).not.toContain('INTERNAL_SERVER_ERROR');
    const [{ n }] = await ownerQuery(
      `SELECT count(*)::int AS n FROM clients c JOIN external_identifiers x ON x.resource_id = c.id WHERE c.clinic_id = $1 AND x.value = $2`,
      [w.clinic.id, value(1)],
    );
    expect(n).toBe(1);
  });
});

describe('while a sync is in flight', () => {
  it('the same integration\'s other requests are not held up behind it', async () => {
    const w = await syncWorld();
    await ownerQuery(`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [w.writer.id]);
    const holder = await ownerConnection();
    let outcome: unknown;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM therapy_groups WHERE id = $1 FOR UPDATE', [w.group.id]);
      const sync = syncRoster(w.writer.auth, w.group, rosterRows(1, 10));
      await waitForLockWaiters(1);
      // A read by the same key while the sync waits for the group.
      const read = gql(w.writer.auth, `{ clinic { name } }`);
      outcome = await Promise.race([read.then((r) => r.data), new Promise((r) => setTimeout(() => r('still waiting after 3 s'), 3000))]);
      await holder.query('ROLLBACK');
      await Promise.all([sync, read]);
    } finally {
      await holder.end();
    }
    expect(outcome).toEqual({ clinic: { name: 'Sync Clinic' } });
  });
});

describe('a client changed while a sync reads it (session 11)', () => {
  it('keeps the change: a field the roster omits is read as the committed update, never written back over', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1, { phone: '+15550100001' })]));
    const [client] = await ownerQuery<{ id: string }>(
      `SELECT resource_id AS id FROM external_identifiers WHERE clinic_id = $1 AND system = $2 AND value = $3`,
      [w.clinic.id, EHR, value(1)],
    );
    const holder = await ownerConnection();
    let payload: any;
    try {
      // An admin's change to the phone, not yet committed when the sync reads the client.
      await holder.query('BEGIN');
      await holder.query(`UPDATE clients SET phone = '+15550100002' WHERE id = $1`, [client.id]);
      const sync = syncRoster(w.writer.auth, w.group, [rosterRow(1, { familyName: 'Renamed' })]);
      await waitForLockWaiters(1);
      await holder.query('COMMIT');
      payload = await synced(sync);
    } finally {
      await holder.end();
    }
    expect(payload.clientsUpdated.map((c: { fields: string[] }) => c.fields)).toEqual([['familyName']]);
    expect(await ownerQuery(`SELECT family_name, phone FROM clients WHERE id = $1`, [client.id])).toEqual([{ family_name: 'Renamed', phone: '+15550100002' }]);
  });
});
