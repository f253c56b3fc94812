/**
 * Writes are set-based: the number of SQL statements a sync runs depends on what kinds of
 * change it makes, never on how many members it carries.
 */
import { ownerQuery } from '../support/factories';
import { rosterRow, rosterRows, synced, syncRoster, syncWorld } from './sync-fixtures';
import { ok } from '../groups/group-fixtures';

async function newRosterSync(size: number) {
  const w = await syncWorld();
  const started = Date.now();
  const res = await syncRoster(w.writer.auth, w.group, rosterRows(1, size));
  const ms = Date.now() - started;
  const p = ok(res).syncRoster;
  expect(p.applied).toBe(true);
  expect(p.clientsCreated).toHaveLength(size);
  const [{ n }] = await ownerQuery(`SELECT count(*)::int AS n FROM memberships WHERE group_id = $1`, [w.group.id]);
  expect(n).toBe(size);
  return { statements: res.sqlStatements, ms };
}

/** A REPLACE over an existing roster of `size` that updates, changes status, ends and adds. */
async function mixedResync(size: number) {
  const w = await syncWorld({ capacity: 100 });
  await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, size)));
  const tenth = size / 10;
  const rows = [
    ...rosterRows(1, 3 * tenth).map((r, i) => ({ ...r, email: `m${i}@example.org` })),
    ...rosterRows(3 * tenth + 1, tenth, { status: 'ON_HOLD' }),
    ...rosterRows(4 * tenth + 1, 5 * tenth),
    ...Array.from({ length: tenth }, (_, i) => rosterRow(size + 1 + i)),
  ]; // members 9·tenth+1 … size are missing: ended
  const res = await syncRoster(w.writer.auth, w.group, rows, { mode: 'REPLACE' });
  const p = ok(res).syncRoster;
  expect(p).toMatchObject({ applied: true, unchangedCount: 5 * tenth });
  expect([p.clientsUpdated.length, p.statusChanges.length, p.membershipsEnded.length, p.clientsCreated.length]).toEqual([3 * tenth, tenth, tenth, tenth]);
  return res.sqlStatements;
}

describe('statement count of a roster sync', () => {
  it('is the same for 1,000 members as for 10, and 1,000 complete in one request', async () => {
    const small = await newRosterSync(10);
    const large = await newRosterSync(1000);
    console.log(`syncRoster new roster: 10 members → ${small.statements} SQL statements (${small.ms} ms); 1,000 members → ${large.statements} SQL statements (${large.ms} ms)`);
    expect(typeof small.statements).toBe('number');
    expect(large.statements).toBe(small.statements);
  });

  it('is the same for a mixed REPLACE of 100 members as of 10', async () => {
    const small = await mixedResync(10);
    const large = await mixedResync(100);
    console.log(`syncRoster mixed REPLACE: 10 members → ${small} SQL statements; 100 members → ${large} SQL statements`);
    expect(large).toBe(small);
  });
});
