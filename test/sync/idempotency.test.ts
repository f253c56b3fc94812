/**
 * Idempotency keys: an integrator may retry any write it is unsure about. The same key with the
 * same input returns the stored result without writing again; with another input it answers
 * IDEMPOTENCY_KEY_REUSED; keys belong to one API key and are kept 24 hours.
 */
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { enrol, groupWithMembers } from '../groups/group-fixtures';
import {
  CHANGE_MEMBERSHIP_STATUS,
  CREATE_CLIENT,
  ENROLL,
  fullState,
  neighbours,
  ok,
  ownerConnection,
  rosterOf,
  rosterRow,
  rosterRows,
  statementOf,
  synced,
  syncRoster,
  syncWorld,
  tableCounts,
  uuidOf,
  waitForLockWaiters,
  warmKey,
} from './sync-fixtures';

const keyRows = (clinicId: string) =>
  ownerQuery(`SELECT owner_id, key, operation, response IS NOT NULL AS answered, created_at, expires_at FROM idempotency_keys WHERE clinic_id = $1 ORDER BY created_at, key`, [clinicId]);

describe('syncRoster with an idempotencyKey', () => {
  it('returns the stored payload for a retry with the same input, writing nothing new', async () => {
    const w = await syncWorld();
    const first = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 4), { idempotencyKey: 'roster-2025-06-15' }));
    expect(first.applied).toBe(true);
    const [key] = await keyRows(w.clinic.id);
    expect(key).toMatchObject({ owner_id: w.writer.id, key: 'roster-2025-06-15', operation: 'syncRoster', answered: true });
    expect(key.expires_at.getTime() - key.created_at.getTime()).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    const before = [await fullState(w.clinic.id), await neighbours(w)];

    const retry = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 4), { idempotencyKey: 'roster-2025-06-15' }));

    // Without the key this input would now be "4 unchanged"; the retry answers what the first call did.
    expect(retry).toEqual(first);
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
  });

  it('counts a key\'s length in characters, as documented: 200 emoji are a key, 201 are not (session 12)', async () => {
    const w = await syncWorld();
    const longest = '\u{1F600}'.repeat(200);
    const first = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { idempotencyKey: longest }));
    expect(first.applied).toBe(true);
    expect((await keyRows(w.clinic.id)).map((k: any) => [...k.key].length)).toEqual([200]);
    expect(await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { idempotencyKey: longest }))).toEqual(first);
    const before = await fullState(w.clinic.id);
    expectError(await syncRoster(w.writer.auth, w.group, rosterRows(3, 2), { idempotencyKey: `${longest}\u{1F600}` }), 'BAD_USER_INPUT');
    expect(await fullState(w.clinic.id)).toEqual(before);
  });

  it('records a retry\'s release as the run\'s: the same reads of stored clients and memberships, about the same members', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3)));
    const reads = async (requestId: string) =>
      ownerQuery(`SELECT action, resource_type, resource_id, subject_client_id FROM audit_events WHERE request_id = $1 AND action = 'READ' ORDER BY resource_type, resource_id`, [requestId]);
    // A dry run telling which stored names differ, and its retry.
    const rows = rosterRows(1, 3).map((r, i) => (i === 0 ? { ...r, givenName: 'Renamed' } : r));
    const dry = await syncRoster(w.writer.auth, w.group, rows, { dryRun: true, idempotencyKey: 'dry-1' });
    const retry = await syncRoster(w.writer.auth, w.group, rows, { dryRun: true, idempotencyKey: 'dry-1' });
    expect(ok(retry).syncRoster).toEqual(ok(dry).syncRoster);
    const first = await reads(dry.body.extensions!.requestId);
    expect(first.map((r) => r.resource_type)).toEqual(['Client', 'Client', 'Client', 'Membership', 'Membership', 'Membership']);
    expect(await reads(retry.body.extensions!.requestId)).toEqual(first);

    // A key stored before the reads were kept with it (its response the bare payload) still replays.
    await ownerQuery(`UPDATE idempotency_keys SET response = response -> 'payload' WHERE owner_id = $1 AND key = 'dry-1'`, [w.writer.id]);
    const legacy = await syncRoster(w.writer.auth, w.group, rows, { dryRun: true, idempotencyKey: 'dry-1' });
    expect(ok(legacy).syncRoster).toEqual(ok(dry).syncRoster);
    expect(await reads(legacy.body.extensions!.requestId)).toEqual([]);
  });

  it('records a retry of an applied run as reading what it created too: each new client and membership, about its member (session 14)', async () => {
    // Before: the created records were recorded as CREATE by the run and not at all by its
    // retries, whose answer names them (external id, the status each was enrolled with).
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2)));
    const rows = rosterRows(1, 4);
    const first = await syncRoster(w.writer.auth, w.group, rows, { idempotencyKey: 'apply-1' });
    expect(ok(first).syncRoster.clientsCreated).toHaveLength(2);
    const retry = await syncRoster(w.writer.auth, w.group, rows, { idempotencyKey: 'apply-1' });
    expect(ok(retry).syncRoster).toEqual(ok(first).syncRoster);
    const events = (requestId: string) =>
      ownerQuery<{ action: string; resource_type: string; resource_id: string; subject_client_id: string }>(
        `SELECT action, resource_type, resource_id, subject_client_id FROM audit_events WHERE request_id = $1 AND action IN ('CREATE', 'READ') ORDER BY action, resource_type, resource_id`,
        [requestId],
      );
    const firstEvents = await events(first.body.extensions!.requestId);
    const created = firstEvents.filter((e) => e.action === 'CREATE').map((e) => ({ ...e, action: 'READ' }));
    expect(created.map((e) => e.resource_type)).toEqual(['Client', 'Client', 'Membership', 'Membership']);
    const read = firstEvents.filter((e) => e.action === 'READ');
    expect(read.map((e) => e.resource_type)).toEqual(['Client', 'Client', 'Membership', 'Membership']);
    const byResource = (a: { resource_type: string; resource_id: string }, b: { resource_type: string; resource_id: string }) =>
      `${a.resource_type}${a.resource_id}`.localeCompare(`${b.resource_type}${b.resource_id}`);
    expect((await events(retry.body.extensions!.requestId)).sort(byResource)).toEqual([...read, ...created].sort(byResource));
  });

  it('answers IDEMPOTENCY_KEY_REUSED for the same key with another input (a dry run\'s key cannot apply), writing nothing', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { idempotencyKey: 'k1', dryRun: true }));
    const before = [await fullState(w.clinic.id), await neighbours(w)];

    for (const options of [{ dryRun: false }, { dryRun: true, mode: 'REPLACE' }]) {
      const res = await syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { idempotencyKey: 'k1', ...options });
      expectError(res, 'IDEMPOTENCY_KEY_REUSED');
      expect(res.data).toBeNull();
    }
    const res = await syncRoster(w.writer.auth, w.group, [rosterRow(1), rosterRow(2, { email: 'changed@example.org' })], { idempotencyKey: 'k1', dryRun: true });
    expectError(res, 'IDEMPOTENCY_KEY_REUSED');
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
  });

  it('lets exactly one of two concurrent requests with the same key write; the other gets the same result or CONFLICT', async () => {
    const w = await syncWorld();
    const before = await tableCounts(w.clinic.id);
    await warmKey(w.writer.id);
    // Hold the group so both requests are in flight at once before either can finish.
    const holder = await ownerConnection();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM therapy_groups WHERE id = $1 FOR UPDATE', [w.group.id]);
      const a = syncRoster(w.writer.auth, w.group, rosterRows(1, 50), { idempotencyKey: 'same' });
      const [first] = await waitForLockWaiters(1);
      expect(await statementOf(first)).toMatch(/FROM "therapy_groups".*FOR UPDATE/s); // claimed the key, waits for the group
      const b = syncRoster(w.writer.auth, w.group, rosterRows(1, 50), { idempotencyKey: 'same' });
      const waiters = await waitForLockWaiters(2);
      const second = waiters.find((pid) => pid !== first)!;
      expect(await statementOf(second)).toMatch(/INSERT INTO idempotency_keys/); // waits on the first one's claim
      await holder.query('ROLLBACK');
      const results = await Promise.all([a, b]);

      const applied = results.filter((r) => !r.errors);
      expect(applied.length).toBeGreaterThanOrEqual(1);
      for (const r of results) {
        if (r.errors) expectError(r, 'CONFLICT');
        else expect(r.data.syncRoster).toEqual(applied[0].data.syncRoster);
      }
      expect(applied[0].data.syncRoster).toMatchObject({ applied: true, unchangedCount: 0 });
      expect(applied[0].data.syncRoster.clientsCreated).toHaveLength(50);
    } finally {
      await holder.end();
    }
    const after = await tableCounts(w.clinic.id);
    expect({
      clients: after.clients - before.clients,
      memberships: after.memberships - before.memberships,
      sync_runs: after.sync_runs - before.sync_runs,
      idempotency_keys: after.idempotency_keys - before.idempotency_keys,
    }).toEqual({ clients: 50, memberships: 50, sync_runs: 1, idempotency_keys: 1 });
    expect(await rosterOf(w.group.id)).toHaveLength(50);
  });

  it('scopes keys to the API key: another key (or an admin) may use the same string for its own request', async () => {
    const w = await syncWorld();
    const second = await w.clinic.addApiKey(['roster:write'], 'Second integration');
    const first = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3), { idempotencyKey: 'nightly' }));
    const other = await synced(syncRoster(second.auth, w.group, rosterRows(1, 3), { idempotencyKey: 'nightly' }));
    const admin = await synced(syncRoster(w.clinic.admin.auth, w.group, rosterRows(1, 3), { idempotencyKey: 'nightly' }));

    expect(first.clientsCreated).toHaveLength(3);
    // The others really ran (against the roster the first one wrote), rather than replaying its answer.
    expect(other).toMatchObject({ applied: true, clientsCreated: [], unchangedCount: 3 });
    expect(admin).toMatchObject({ applied: true, clientsCreated: [], unchangedCount: 3 });
    expect((await keyRows(w.clinic.id)).map((k) => k.owner_id).sort()).toEqual([w.writer.id, second.id, w.clinic.admin.id].sort());
    expect((await tableCounts(w.clinic.id)).sync_runs).toBe(3);
  });

  it('does not burn the key of a refused request: nothing is kept, so a corrected retry may use it', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 5)));
    const refused = await syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { mode: 'REPLACE', idempotencyKey: 'replace' });
    expectError(refused, 'CONFLICT');
    expect(await keyRows(w.clinic.id)).toEqual([]);
    const confirmed = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { mode: 'REPLACE', confirmLargeChange: true, idempotencyKey: 'replace' }));
    expect(confirmed.applied).toBe(true);
  });

  it('does not burn the key of a run its row errors kept from applying: the corrected roster may use it, and is then kept', async () => {
    const w = await syncWorld();
    const rows = rosterRows(1, 3);
    const failed = await synced(syncRoster(w.writer.auth, w.group, [rows[0], { ...rows[1], email: 'not-an-email' }, rows[2]], { idempotencyKey: 'nightly-2026-11-27' }));
    expect(failed).toMatchObject({ applied: false, errors: [expect.objectContaining({ index: 1, field: 'email' })] });
    expect(await keyRows(w.clinic.id)).toEqual([]);
    expect(await rosterOf(w.group.id)).toEqual([]);

    const fixed = await synced(syncRoster(w.writer.auth, w.group, rows, { idempotencyKey: 'nightly-2026-11-27' }));
    expect(fixed).toMatchObject({ applied: true, errors: [] });
    expect(fixed.clientsCreated).toHaveLength(3);
    // Kept now: its retry replays it (nothing runs again), and another input is refused.
    const runs = (await tableCounts(w.clinic.id)).sync_runs;
    expect(await synced(syncRoster(w.writer.auth, w.group, rows, { idempotencyKey: 'nightly-2026-11-27' }))).toEqual(fixed);
    expect((await tableCounts(w.clinic.id)).sync_runs).toBe(runs);
    expectError(await syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { idempotencyKey: 'nightly-2026-11-27' }), 'IDEMPOTENCY_KEY_REUSED');
    // A dry run with errors is kept all the same: it is a report, and its retry expects the same one.
    await synced(syncRoster(w.writer.auth, w.group, [{ ...rows[0], email: 'bad' }], { dryRun: true, idempotencyKey: 'dry' }));
    expect((await keyRows(w.clinic.id)).map((k) => k.key).sort()).toEqual(['dry', 'nightly-2026-11-27']);
  });

  it('forgets a key after 24 hours', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2), { idempotencyKey: 'old' }));
    await ownerQuery(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour' WHERE clinic_id = $1`, [w.clinic.id]);

    // Another input with the expired key is a new request, not IDEMPOTENCY_KEY_REUSED.
    const p = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3), { idempotencyKey: 'old' }));
    expect(p).toMatchObject({ applied: true, unchangedCount: 2, clientsCreated: [{ index: 2 }] });
    const keys = await keyRows(w.clinic.id);
    expect(keys).toHaveLength(1);
    expect(keys[0].expires_at.getTime()).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
  });
});

describe('createClient with an idempotencyKey', () => {
  const input = { givenName: 'Ana', familyName: 'Lima', email: 'ana@example.org', idempotencyKey: 'intake-17' };

  it('creates once, returns the same client on retry, and refuses the key with another input', async () => {
    const w = await syncWorld();
    const first = ok(await gql(w.writer.auth, CREATE_CLIENT, { input })).createClient.client;
    const before = [await fullState(w.clinic.id), await neighbours(w)];

    const retry = ok(await gql(w.writer.auth, CREATE_CLIENT, { input })).createClient.client;
    expect(retry).toEqual(first);
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);

    const reused = await gql(w.writer.auth, CREATE_CLIENT, { input: { ...input, email: 'other@example.org' } });
    expectError(reused, 'IDEMPOTENCY_KEY_REUSED');
    expect(reused.data).toBeNull();
    // The key names one request of any kind: enrolling with it is another request.
    const enrolWithKey = await gql(w.writer.auth, ENROLL, { input: { groupId: w.group.gid, clientId: first.id, idempotencyKey: 'intake-17' } });
    expectError(enrolWithKey, 'IDEMPOTENCY_KEY_REUSED');
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);

    // Another integration's identical key is its own.
    const second = await w.clinic.addApiKey(['roster:write'], 'Second integration');
    const theirs = ok(await gql(second.auth, CREATE_CLIENT, { input })).createClient.client;
    expect(theirs.id).not.toBe(first.id);
    expect((await tableCounts(w.clinic.id)).clients).toBe(before[0].counts.clients + 1);
  });

  it('creates one client for two concurrent requests with the same key', async () => {
    const w = await syncWorld();
    const before = await tableCounts(w.clinic.id);
    const results = await Promise.all([0, 1, 2].map(() => gql(w.writer.auth, CREATE_CLIENT, { input })));
    const ids = new Set<string>();
    for (const r of results) {
      if (r.errors) expectError(r, 'CONFLICT');
      else ids.add(r.data.createClient.client.id);
    }
    expect(ids.size).toBe(1);
    expect((await tableCounts(w.clinic.id)).clients).toBe(before.clients + 1);
  });

  it('forgets the key after 24 hours', async () => {
    const w = await syncWorld();
    const first = ok(await gql(w.writer.auth, CREATE_CLIENT, { input })).createClient.client;
    await ownerQuery(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE clinic_id = $1`, [w.clinic.id]);
    const again = ok(await gql(w.writer.auth, CREATE_CLIENT, { input })).createClient.client;
    expect(again.id).not.toBe(first.id);
  });
});

describe('enrollClient with an idempotencyKey', () => {
  it('enrols once, returns the same membership on retry, and refuses the key with another input', async () => {
    const w = await syncWorld();
    const [ana, ben] = [await w.clinic.addClient(), await w.clinic.addClient()];
    const input = { groupId: w.group.gid, clientId: ana.gid, reason: 'Referred by Dr. Ko', idempotencyKey: 'enrol-ana' };
    const first = ok(await gql(w.writer.auth, ENROLL, { input })).enrollClient.membership;
    expect(first).toMatchObject({ status: 'ACTIVE', statusReason: 'Referred by Dr. Ko' });
    const before = [await fullState(w.clinic.id), await neighbours(w)];

    // Without the key a second enrolment would be a CONFLICT (already enrolled): the retry succeeds.
    expect(ok(await gql(w.writer.auth, ENROLL, { input })).enrollClient.membership).toEqual(first);
    for (const other of [{ clientId: ben.gid }, { reason: 'Another reason' }]) {
      expectError(await gql(w.writer.auth, ENROLL, { input: { ...input, ...other } }), 'IDEMPOTENCY_KEY_REUSED');
    }
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
    expect((await rosterOf(w.group.id)).map((m) => m.client_id)).toEqual([ana.id]);
  });
});

describe('changeMembershipStatus with an idempotencyKey', () => {
  it('changes once, returns the same membership on retry, and refuses the key with another input', async () => {
    const w = await syncWorld();
    const { group, members } = await groupWithMembers(w.clinic, { members: 1 });
    const membership = members[0];
    const input = { membershipId: membership.gid, status: 'ON_HOLD', reason: 'Travelling', idempotencyKey: 'hold-1' };
    const first = ok(await gql(w.writer.auth, CHANGE_MEMBERSHIP_STATUS, { input })).changeMembershipStatus.membership;
    expect(first).toMatchObject({ id: membership.gid, status: 'ON_HOLD', statusReason: 'Travelling' });
    const before = [await fullState(w.clinic.id), await neighbours(w)];

    // Without the key ON_HOLD → ON_HOLD would be a CONFLICT: the retry answers the first result.
    expect(ok(await gql(w.writer.auth, CHANGE_MEMBERSHIP_STATUS, { input })).changeMembershipStatus.membership).toEqual(first);
    expectError(await gql(w.writer.auth, CHANGE_MEMBERSHIP_STATUS, { input: { ...input, status: 'WITHDRAWN' } }), 'IDEMPOTENCY_KEY_REUSED');
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
    const events = await ownerQuery(`SELECT to_status FROM membership_events WHERE membership_id = $1 ORDER BY id`, [membership.id]);
    expect(events.map((e) => e.to_status)).toEqual(['ACTIVE', 'ON_HOLD']);

    // A second membership change with a fresh key is an ordinary request.
    const other = await enrol(w.clinic, group, await w.clinic.addClient());
    const res = ok(await gql(w.writer.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: other.gid, status: 'ON_HOLD', reason: 'x', idempotencyKey: 'hold-2' } }));
    expect(uuidOf(res.changeMembershipStatus.membership.id)).toBe(other.id);
  });
});
