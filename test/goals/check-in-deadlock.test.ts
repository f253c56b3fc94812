/**
 * A check-in locks its goal row (to rewrite the goal's streak summary), so two transactions that
 * lock the same two goals in opposite order deadlock and PostgreSQL rolls one back. The request
 * that loses answers a retryable CONFLICT, keeps nothing of its writes and is safe to resend.
 */
import { Client as PgClient } from 'pg';
import { auditOf } from '../support/differential';
import { testEnv } from '../support/test-env';
import { activeGroup, checkIn, clinicState, createGoal, ok } from './goal-fixtures';
import { gql } from '../support/test-app';

const TWO_CHECK_INS = `mutation($first: RecordCheckInInput!, $second: RecordCheckInInput!) {
  a: recordCheckIn(input: $first) { checkIn { id } goal { currentStreak } }
  b: recordCheckIn(input: $second) { checkIn { id } goal { currentStreak } } }`;

it('the request PostgreSQL rolls back in a deadlock answers a retryable CONFLICT, writes nothing, and succeeds when resent', async () => {
  const { clinic, members } = await activeGroup({ members: 2 });
  const [kim, neighbour] = members;
  const [g1, g2] = [await createGoal(kim), await createGoal(kim)];
  const other = await createGoal(neighbour);
  await checkIn(neighbour.auth, other);
  const before = await clinicState(clinic.id);

  // Another transaction holds the second goal; the request locks the first, then waits for the second.
  const blocker = new PgClient({ connectionString: testEnv().ownerUrl });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM goals WHERE id = $1 FOR NO KEY UPDATE`, [g2.id]);
    const pending = gql(kim.auth, TWO_CHECK_INS, { first: { goalId: g1.gid, value: 1 }, second: { goalId: g2.gid, value: 1 } });
    // Waiting for the request to block on the second goal, then closing the cycle: the request
    // waited first, so its deadlock check fires first and PostgreSQL rolls it back.
    for (let i = 0; i < 50; i++) {
      const [{ n }] = (await blocker.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`)).rows;
      if (n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const blocked = blocker.query(`SELECT 1 FROM goals WHERE id = $1 FOR NO KEY UPDATE`, [g1.id]);
    const res = await pending;
    await blocked;
    await blocker.query('ROLLBACK');

    expect(res.status).toBe(200);
    expect(res.data).toBeNull();
    expect(res.body.errors).toEqual([
      { message: expect.stringMatching(/nothing was written\. Retry/), extensions: { code: 'CONFLICT', retryable: true } },
    ]);
    // Nothing of it was kept, nothing audited as created; the neighbour's goal and check-in untouched.
    expect(await clinicState(clinic.id)).toEqual(before);
    const requestId = res.body.extensions?.requestId as string;
    expect(requestId).toEqual(expect.any(String));
    expect((await auditOf(requestId)).filter((l) => l.includes('|CREATE|'))).toEqual([]);
  } finally {
    await blocker.end();
  }

  const resent = ok(await gql(kim.auth, TWO_CHECK_INS, { first: { goalId: g1.gid, value: 1 }, second: { goalId: g2.gid, value: 1 } }));
  expect([resent.a.goal.currentStreak, resent.b.goal.currentStreak]).toEqual([1, 1]);
});
