/**
 * syncRoster: an integrator pushes a group's roster from its EHR. Every test builds its own
 * clinic, checks the answer and the stored rows, and that the clinic's other group and the
 * neighbouring clinic were left alone.
 */
import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { changeGroupStatus, groupWithMembers } from '../groups/group-fixtures';
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import {
  CHANGE_MEMBERSHIP_STATUS,
  CREATE_CLIENT,
  EHR,
  extId,
  extKey,
  fullState,
  neighbours,
  ok,
  openRoster,
  rosterOf,
  rosterRow,
  rosterRows,
  SYNC_RUNS,
  runsOf,
  synced,
  syncRoster,
  syncWorld,
  tableCounts,
  today,
  uuidOf,
} from './sync-fixtures';

const eventsOf = (groupId: string) =>
  ownerQuery<{ value: string; from_status: string | null; to_status: string; reason: string; actor_type: string; actor_id: string | null }>(
    `SELECT x.value, e.from_status, e.to_status, e.reason, e.actor_type, e.actor_id
       FROM membership_events e JOIN memberships m ON m.id = e.membership_id
       LEFT JOIN external_identifiers x ON x.resource_id = m.client_id AND x.resource_type = 'Client'
      WHERE m.group_id = $1 ORDER BY e.id`,
    [groupId],
  );

const clientOf = async (clinicId: string, value: string) =>
  (
    await ownerQuery(
      `SELECT c.* FROM clients c JOIN external_identifiers x ON x.resource_id = c.id AND x.resource_type = 'Client'
        WHERE c.clinic_id = $1 AND x.system = $2 AND x.value = $3`,
      [clinicId, EHR, value],
    )
  )[0];

const value = (n: number) => extId(n).value;

describe('syncing a new roster', () => {
  it('creates the clients with their external identifiers and enrols them ACTIVE, recording ROSTER_SYNC events', async () => {
    const w = await syncWorld();
    // The neighbouring clinic already knows a client by the same identifier: it is not ours to match.
    const theirs = ok(await gql(w.neighbour.admin.auth, CREATE_CLIENT, { input: { givenName: 'Other', familyName: 'Person', externalIds: [extId(1)] } }));
    const before = await neighbours(w);

    const p = await synced(
      syncRoster(w.writer.auth, w.group, [
        rosterRow(1, { preferredName: 'Ana', email: 'ana@example.org', phone: '+14155550101', dateOfBirth: '1990-04-01' }),
        rosterRow(2, { email: 'ben@example.org' }),
        rosterRow(3),
      ]),
    );

    expect(p).toEqual({
      applied: true,
      dryRun: false,
      mode: 'MERGE',
      requiresConfirmation: false,
      unchangedCount: 0,
      waitlistedForCapacity: 0,
      clientsCreated: [
        { index: 0, externalId: extKey(1), fields: ['givenName', 'familyName', 'preferredName', 'email', 'phone', 'dateOfBirth'] },
        { index: 1, externalId: extKey(2), fields: ['givenName', 'familyName', 'email'] },
        { index: 2, externalId: extKey(3), fields: ['givenName', 'familyName'] },
      ],
      clientsUpdated: [],
      membershipsEnrolled: [1, 2, 3].map((n, index) => ({ index, externalId: extKey(n), from: null, to: 'ACTIVE' })),
      statusChanges: [],
      membershipsEnded: [],
      errors: [],
    });

    const ana = await clientOf(w.clinic.id, value(1));
    expect(ana).toMatchObject({ given_name: 'Given1', family_name: 'Family1', preferred_name: 'Ana', email: 'ana@example.org', phone: '+14155550101', date_of_birth: '1990-04-01' });
    expect(await clientOf(w.clinic.id, value(3))).toMatchObject({ email: null, phone: null, date_of_birth: null });
    expect(ana.id).not.toBe(uuidOf(theirs.createClient.client.id));

    const roster = await rosterOf(w.group.id);
    expect(roster.map((r) => [r.value, r.status, r.status_reason, r.period_start, r.period_end])).toEqual(
      [1, 2, 3].map((n) => [value(n), 'ACTIVE', 'ROSTER_SYNC', expect.any(String), null]),
    );
    expect(roster[0].period_start).toBe(await today(w.clinic.id));
    expect(await eventsOf(w.group.id)).toEqual(
      [1, 2, 3].map((n) => ({ value: value(n), from_status: null, to_status: 'ACTIVE', reason: 'ROSTER_SYNC', actor_type: 'INTEGRATION', actor_id: w.writer.id })),
    );
    // The integration can now address the client by its identifier.
    const found = ok(await gql(w.writer.auth, `query($i: ExternalIdentifierInput!) { clientByExternalId(identifier: $i) { id givenName } }`, { i: extId(1) }));
    expect(found.clientByExternalId).toEqual({ id: toGlobalId('Client', ana.id), givenName: 'Given1' });

    expect(await neighbours(w)).toEqual(before);
  });

  it('finds the group by its external identifier, in the caller\'s clinic only', async () => {
    const w = await syncWorld();
    const groupExtId = { system: 'urn:ehr:groups', value: 'G-7' };
    const { group } = await groupWithMembers(w.clinic, { externalIds: [groupExtId] });
    const { group: theirs } = await groupWithMembers(w.neighbour, { externalIds: [groupExtId], members: 1 });
    const before = await neighbours(w);
    const theirsBefore = await rosterOf(theirs.id);

    const p = await synced(syncRoster(w.writer.auth, { externalId: groupExtId }, rosterRows(1, 2)));

    expect(p.applied).toBe(true);
    expect(await openRoster(group.id)).toEqual([value(1), value(2)]);
    expect(await rosterOf(w.group.id)).toEqual([]);
    expect(await rosterOf(theirs.id)).toEqual(theirsBefore);
    expect(await neighbours(w)).toEqual(before);
  });

  it('matches existing clients by external identifier instead of creating them again', async () => {
    const w = await syncWorld();
    const created = ok(
      await gql(w.writer.auth, CREATE_CLIENT, { input: { givenName: 'Given1', familyName: 'Family1', email: 'g1@example.org', externalIds: [extId(1)] } }),
    ).createClient.client;
    const counts = await tableCounts(w.clinic.id);

    const p = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1, { email: 'g1@example.org' })]));

    expect(p).toMatchObject({ applied: true, clientsCreated: [], clientsUpdated: [], membershipsEnrolled: [{ index: 0, externalId: extKey(1), from: null, to: 'ACTIVE' }] });
    const [m] = await rosterOf(w.group.id);
    expect(m.client_id).toBe(uuidOf(created.id));
    const after = await tableCounts(w.clinic.id);
    expect([after.clients, after.external_identifiers, after.memberships]).toEqual([counts.clients, counts.external_identifiers, counts.memberships + 1]);
  });
});

describe('the ids of what a sync wrote (session 15)', () => {
  const IDS = `mutation($input: SyncRosterInput!) { syncRoster(input: $input) { applied
    clientsCreated { index externalId clientId } clientsUpdated { index externalId clientId }
    membershipsEnrolled { index externalId membershipId to } } }`;
  const run = (auth: string, groupGid: string, members: unknown[], options: Record<string, unknown> = {}) =>
    gql(auth, IDS, { input: { group: { id: groupGid }, members, ...options } });

  it('are in the answer once applied, for new and matched clients and new memberships; a dry run names none, and a retry answers the same ids', async () => {
    const w = await syncWorld();
    const matched = ok(await gql(w.writer.auth, CREATE_CLIENT, { input: { givenName: 'Given1', familyName: 'Family1', externalIds: [extId(1)] } })).createClient.client;
    const rows = [rosterRow(1, { email: 'one@example.org' }), rosterRow(2), rosterRow(3)];
    const before = await neighbours(w);

    const dry = ok(await run(w.writer.auth, w.group.gid, rows, { dryRun: true })).syncRoster;
    expect(dry).toEqual({
      applied: false,
      clientsCreated: [{ index: 1, externalId: extKey(2), clientId: null }, { index: 2, externalId: extKey(3), clientId: null }],
      // A matched client exists already: even a dry run may name it.
      clientsUpdated: [{ index: 0, externalId: extKey(1), clientId: matched.id }],
      membershipsEnrolled: [1, 2, 3].map((n, index) => ({ index, externalId: extKey(n), membershipId: null, to: 'ACTIVE' })),
    });

    const applied = ok(await run(w.writer.auth, w.group.gid, rows, { idempotencyKey: 'ids-1' })).syncRoster;
    const roster = await rosterOf(w.group.id);
    const stored = new Map(roster.map((r) => [r.value, r]));
    const clientOfRow = async (n: number) => toGlobalId('Client', (await clientOf(w.clinic.id, value(n))).id);
    expect(applied).toEqual({
      applied: true,
      clientsCreated: [{ index: 1, externalId: extKey(2), clientId: await clientOfRow(2) }, { index: 2, externalId: extKey(3), clientId: await clientOfRow(3) }],
      clientsUpdated: [{ index: 0, externalId: extKey(1), clientId: matched.id }],
      membershipsEnrolled: [1, 2, 3].map((n, index) => ({ index, externalId: extKey(n), membershipId: toGlobalId('Membership', stored.get(value(n))!.membership_id), to: 'ACTIVE' })),
    });
    // The ids address the records the integration may read.
    const client = ok(await gql(w.writer.auth, `query($id: ID!) { client(id: $id) { id givenName } }`, { id: applied.clientsCreated[0].clientId })).client;
    expect(client).toEqual({ id: applied.clientsCreated[0].clientId, givenName: 'Given2' });

    const retry = ok(await run(w.writer.auth, w.group.gid, rows, { idempotencyKey: 'ids-1' })).syncRoster;
    expect(retry).toEqual(applied);
    expect(await rosterOf(w.group.id)).toEqual(roster);
    expect(await neighbours(w)).toEqual(before);
  });

  it('are null when a row error against the stored roster keeps the sync from applying, and nothing is written', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1)]));
    const before = await fullState(w.clinic.id);
    // Row 0 asks a step its membership cannot make; row 1 alone would create a client and enrol it.
    const p = ok(await run(w.writer.auth, w.group.gid, [rosterRow(1, { status: 'REFERRED' }), rosterRow(2)])).syncRoster;
    expect(p).toEqual({
      applied: false,
      clientsCreated: [{ index: 1, externalId: extKey(2), clientId: null }],
      clientsUpdated: [],
      membershipsEnrolled: [{ index: 1, externalId: extKey(2), membershipId: null, to: 'ACTIVE' }],
    });
    const after = await fullState(w.clinic.id);
    expect({ ...after, counts: { ...after.counts, sync_runs: 0 } }).toEqual({ ...before, counts: { ...before.counts, sync_runs: 0 } });
  });
});

describe('who may sync which group', () => {
  it('answers NOT_FOUND for an unknown group, another clinic\'s group or a non-group id, storing nothing', async () => {
    const w = await syncWorld();
    const intruder = await w.neighbour.addApiKey(['roster:write'], 'Neighbour EHR');
    const attempts: [string, { gid: string } | { externalId: { system: string; value: string } }][] = [
      [w.writer.auth, { gid: toGlobalId('TherapyGroup', randomUUID()) }],
      [w.writer.auth, { gid: w.neighbourGroup.gid }],
      [w.writer.auth, { gid: toGlobalId('Client', w.group.id) }],
      [w.writer.auth, { gid: 'not-a-global-id' }],
      [w.writer.auth, { externalId: { system: 'urn:ehr:groups', value: 'nope' } }],
      [intruder.auth, { gid: w.group.gid }],
      [w.clinic.admin.auth, { gid: w.neighbourGroup.gid }],
    ];
    for (const [auth, ref] of attempts) {
      const before = [await fullState(w.clinic.id), await neighbours(w)];
      const res = await syncRoster(auth, ref, rosterRows(1, 3), { idempotencyKey: `k-${randomUUID()}` });
      expectError(res, 'NOT_FOUND');
      expect(res.data).toBeNull();
      expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
    }
  });

  it('answers BAD_USER_INPUT when the group is given both or neither way', async () => {
    const w = await syncWorld();
    const before = await fullState(w.clinic.id);
    for (const group of [{ id: w.group.gid, externalId: { system: 'urn:ehr:groups', value: 'G' } }, {}]) {
      const res = await gql(w.writer.auth, `mutation($input: SyncRosterInput!) { syncRoster(input: $input) { applied } }`, { input: { group, members: rosterRows(1, 1) } });
      expectError(res, 'BAD_USER_INPUT');
    }
    expect(await fullState(w.clinic.id)).toEqual(before);
  });

  it('answers NOT_FOUND, not a server error, for an empty group id (session 13)', async () => {
    const w = await syncWorld();
    const before = await fullState(w.clinic.id);
    const res = await gql(w.writer.auth, `mutation($input: SyncRosterInput!) { syncRoster(input: $input) { applied } }`, { input: { group: { id: '' }, members: rosterRows(1, 1) } });
    expectError(res, 'NOT_FOUND');
    expect(await fullState(w.clinic.id)).toEqual(before);
  });

  it('refuses read-only integrations and staff other than admins with FORBIDDEN, storing nothing', async () => {
    const w = await syncWorld();
    const reader = await w.clinic.addApiKey(['roster:read'], 'Read-only');
    const feed = await w.clinic.addApiKey(['changes:read', 'sessions:read'], 'Feed');
    const member = await w.clinic.addClient();
    for (const auth of [reader.auth, feed.auth, w.clinic.supervisor.auth, w.clinic.clinician.auth, member.auth]) {
      const before = [await fullState(w.clinic.id), await neighbours(w)];
      const res = await syncRoster(auth, w.group, rosterRows(1, 3));
      expectError(res, 'FORBIDDEN');
      expect(res.data).toBeNull();
      expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
    }
    expectError(await syncRoster(undefined, w.group, rosterRows(1, 1)), 'UNAUTHENTICATED');
  });
});

describe('dry runs', () => {
  it('write nothing and return exactly the plan that applying then performs', async () => {
    const w = await syncWorld({ capacity: 5 });
    // 1–5 seated, 6 waitlisted because the group is full.
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 6)));
    const input = {
      mode: 'REPLACE',
      confirmLargeChange: true,
      members: [
        rosterRow(1), // unchanged
        rosterRow(2, { email: 'two@example.org' }), // updated
        rosterRow(3, { status: 'ON_HOLD' }), // status change, keeps the seat
        rosterRow(6), // waitlisted → ACTIVE into a seat the ends free
        rosterRow(7), // new, seated
        rosterRow(8), // new, no seat left: waitlisted
      ], // 4 and 5 are missing: ended
    };
    const before = [await fullState(w.clinic.id), await neighbours(w)];
    const runsBefore = (await tableCounts(w.clinic.id)).sync_runs;

    const { members, ...options } = input;
    const dry = await synced(syncRoster(w.writer.auth, w.group, members, { ...options, dryRun: true }));

    const expectedPlan = {
      mode: 'REPLACE',
      requiresConfirmation: true,
      unchangedCount: 1,
      waitlistedForCapacity: 1,
      clientsCreated: [
        { index: 4, externalId: extKey(7), fields: ['givenName', 'familyName'] },
        { index: 5, externalId: extKey(8), fields: ['givenName', 'familyName'] },
      ],
      clientsUpdated: [{ index: 1, externalId: extKey(2), fields: ['email'] }],
      membershipsEnrolled: [
        { index: 4, externalId: extKey(7), from: null, to: 'ACTIVE' },
        { index: 5, externalId: extKey(8), from: null, to: 'WAITLISTED' },
      ],
      statusChanges: [
        { index: 2, externalId: extKey(3), membershipId: expect.any(String), from: 'ACTIVE', to: 'ON_HOLD' },
        { index: 3, externalId: extKey(6), membershipId: expect.any(String), from: 'WAITLISTED', to: 'ACTIVE' },
      ],
      membershipsEnded: [
        { index: null, externalId: null, from: 'ACTIVE', to: 'WITHDRAWN' },
        { index: null, externalId: null, from: 'ACTIVE', to: 'WITHDRAWN' },
      ],
      errors: [],
    };
    expect(dry).toEqual({ ...expectedPlan, applied: false, dryRun: true });
    const afterDry = [await fullState(w.clinic.id), await neighbours(w)];
    // Only the run itself is recorded.
    expect((afterDry[0] as any).counts.sync_runs).toBe(runsBefore + 1);
    (afterDry[0] as any).counts.sync_runs = runsBefore;
    expect(afterDry).toEqual(before);

    const countsBefore = await tableCounts(w.clinic.id);
    const applied = await synced(syncRoster(w.writer.auth, w.group, members, { ...options, dryRun: false }));
    const { applied: a, dryRun: d, ...appliedPlan } = applied;
    const { applied: a2, dryRun: d2, ...dryPlan } = dry;
    expect([a, d, a2, d2]).toEqual([true, false, false, true]);
    expect(appliedPlan).toEqual(dryPlan);

    // …and the stored state is that plan, no more, no less.
    const roster = Object.fromEntries((await rosterOf(w.group.id)).map((r) => [r.value, [r.status, r.status_reason]]));
    expect(roster).toEqual({
      [value(1)]: ['ACTIVE', 'ROSTER_SYNC'],
      [value(2)]: ['ACTIVE', 'ROSTER_SYNC'],
      [value(3)]: ['ON_HOLD', 'ROSTER_SYNC'],
      [value(4)]: ['WITHDRAWN', 'ROSTER_SYNC'],
      [value(5)]: ['WITHDRAWN', 'ROSTER_SYNC'],
      [value(6)]: ['ACTIVE', 'ROSTER_SYNC'],
      [value(7)]: ['ACTIVE', 'ROSTER_SYNC'],
      [value(8)]: ['WAITLISTED', 'ROSTER_SYNC'],
    });
    expect((await clientOf(w.clinic.id, value(2))).email).toBe('two@example.org');
    const countsAfter = await tableCounts(w.clinic.id);
    expect({
      clients: countsAfter.clients - countsBefore.clients,
      external_identifiers: countsAfter.external_identifiers - countsBefore.external_identifiers,
      memberships: countsAfter.memberships - countsBefore.memberships,
      membership_events: countsAfter.membership_events - countsBefore.membership_events, // 2 ends + 2 changes + 2 enrolments
    }).toEqual({ clients: 2, external_identifiers: 2, memberships: 2, membership_events: 6 });
    expect(await neighbours(w)).toEqual(before[1]);
  });

  it('seat a newcomer listed before the member whose row frees the seat, and the earliest waitlisted one first (session 13)', async () => {
    const w = await syncWorld({ capacity: 2 });
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2))); // 1, 2 ACTIVE
    const around = await neighbours(w);
    const applied = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(9), rosterRow(1, { status: 'COMPLETED' })]));
    expect(applied.membershipsEnrolled).toEqual([{ index: 0, externalId: `${EHR}|P-0009`, from: null, to: 'ACTIVE' }]);
    expect(applied.waitlistedForCapacity).toBe(0);
    expect(Object.fromEntries((await rosterOf(w.group.id)).map((r) => [r.value, r.status]))).toEqual({ 'P-0001': 'COMPLETED', 'P-0002': 'ACTIVE', 'P-0009': 'ACTIVE' });

    // Full again, two waiting (3 before 4): 2 completes, and 4's row comes after that one.
    await synced(syncRoster(w.writer.auth, w.group, [rosterRow(3)]));
    await synced(syncRoster(w.writer.auth, w.group, [rosterRow(4)]));
    const next = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(2, { status: 'COMPLETED' }), rosterRow(4)]));
    expect(next.errors).toEqual([]);
    expect(Object.fromEntries((await rosterOf(w.group.id)).map((r) => [r.value, r.status]))).toMatchObject({ 'P-0002': 'COMPLETED', 'P-0003': 'ACTIVE', 'P-0004': 'WAITLISTED' });
    expect(await neighbours(w)).toEqual(around);
  });

  it('perform exactly the plan even when a seat the sync frees would go to someone on the waitlist', async () => {
    const w = await syncWorld({ capacity: 2 });
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3))); // 1, 2 ACTIVE; 3 WAITLISTED
    const members = [rosterRow(1, { status: 'COMPLETED' })];
    const plan = await synced(syncRoster(w.writer.auth, w.group, members, { dryRun: true }));
    const before = Object.fromEntries((await rosterOf(w.group.id)).map((r) => [r.value, r.status]));
    await synced(syncRoster(w.writer.auth, w.group, members));

    // What the plan says will happen to each membership…
    const predicted = { ...before };
    // Promotions into freed seats come from no row: they name the membership instead of an identifier.
    const valueOfMembership = Object.fromEntries((await rosterOf(w.group.id)).map((r) => [toGlobalId('Membership', r.membership_id), r.value]));
    for (const c of [...plan.statusChanges, ...plan.membershipsEnrolled]) {
      predicted[c.externalId ? c.externalId.split('|')[1] : valueOfMembership[c.membershipId]] = c.to;
    }
    // …is what happened: a promotion the plan does not show would surprise the integrator who previewed it.
    const after = Object.fromEntries((await rosterOf(w.group.id)).map((r) => [r.value, r.status]));
    expect(after).toEqual(predicted);
    // The promotion is the system's, recorded as promoteFromWaitlist records one (session 12); the row's change is the integration's.
    const promoted = (await rosterOf(w.group.id)).find((r) => r.value === 'P-0003')!;
    expect(await ownerQuery(`SELECT status_reason FROM memberships WHERE id = $1`, [promoted.membership_id])).toEqual([{ status_reason: 'Promoted from waitlist' }]);
    expect(await ownerQuery(`SELECT to_status, reason, actor_type, actor_id FROM membership_events WHERE membership_id = $1 ORDER BY id DESC LIMIT 1`, [promoted.membership_id]))
      .toEqual([{ to_status: 'ACTIVE', reason: 'Promoted from waitlist: a seat freed', actor_type: 'SYSTEM', actor_id: null }]);
    const completed = (await rosterOf(w.group.id)).find((r) => r.value === 'P-0001')!;
    expect(await ownerQuery(`SELECT actor_type FROM membership_events WHERE membership_id = $1 ORDER BY id DESC LIMIT 1`, [completed.membership_id])).toEqual([{ actor_type: 'INTEGRATION' }]);
  });
});

describe('MERGE', () => {
  it('a row without a status asks for ACTIVE, but a hold stands and a REFERRED membership stays referred instead of failing the sync', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1), rosterRow(2, { status: 'REFERRED' }), rosterRow(3, { status: 'SCREENING' })]));
    const [one] = (await rosterOf(w.group.id)).filter((r) => r.value === 'P-0001');
    ok(await gql(w.clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: toGlobalId('Membership', one.membership_id), status: 'ON_HOLD', reason: 'Hospital stay' } }));
    const before = await neighbours(w);
    // The next nightly roster carries new emails and no statuses, plus one new person.
    const res = await synced(syncRoster(w.writer.auth, w.group, [1, 2, 3].map((n) => rosterRow(n, { email: `p${n}@example.org` })).concat(rosterRow(4))));
    expect(res.errors).toEqual([]);
    expect(res.statusChanges).toEqual([{ index: 2, externalId: extKey(3), membershipId: expect.any(String), from: 'SCREENING', to: 'ACTIVE' }]);
    expect(res.clientsUpdated.map((u: { externalId: string }) => u.externalId)).toEqual([extKey(1), extKey(2), extKey(3)]);
    expect(res.membershipsEnrolled).toEqual([{ index: 3, externalId: extKey(4), from: null, to: 'ACTIVE' }]);
    expect((await rosterOf(w.group.id)).map((r) => [r.value, r.status])).toEqual([
      ['P-0001', 'ON_HOLD'], ['P-0002', 'REFERRED'], ['P-0003', 'ACTIVE'], ['P-0004', 'ACTIVE'],
    ]);
    expect(await neighbours(w)).toEqual(before);
  });

  it('updates only the fields that changed, reports them, and leaves unlisted members alone', async () => {
    const w = await syncWorld();
    await synced(
      syncRoster(w.writer.auth, w.group, [
        rosterRow(1, { email: 'one@example.org', phone: '+14155550101', dateOfBirth: '1980-01-01' }),
        rosterRow(2, { email: 'two@example.org' }),
        rosterRow(3),
      ]),
    );
    const one = await clientOf(w.clinic.id, value(1));
    await ownerQuery(`UPDATE clients SET pronouns = 'she/her' WHERE id = $1`, [one.id]);
    const [two, three] = [await clientOf(w.clinic.id, value(2)), await clientOf(w.clinic.id, value(3))];
    const rosterBefore = await rosterOf(w.group.id);
    const feedBefore = (await tableCounts(w.clinic.id)).change_log;
    const before = await neighbours(w);

    const p = await synced(
      syncRoster(w.writer.auth, w.group, [
        rosterRow(1, { email: 'one@new.example.org', phone: '+14155550199', dateOfBirth: '1980-01-01' }),
        rosterRow(2, { email: 'two@example.org' }),
      ]),
    );

    expect(p).toMatchObject({
      applied: true,
      mode: 'MERGE',
      clientsCreated: [],
      clientsUpdated: [{ index: 0, externalId: extKey(1), fields: ['email', 'phone'] }],
      membershipsEnrolled: [],
      statusChanges: [],
      membershipsEnded: [],
      unchangedCount: 1,
    });
    expect(await clientOf(w.clinic.id, value(1))).toMatchObject({
      given_name: 'Given1',
      family_name: 'Family1',
      email: 'one@new.example.org',
      phone: '+14155550199',
      date_of_birth: '1980-01-01',
      pronouns: 'she/her',
    });
    expect(await clientOf(w.clinic.id, value(2))).toEqual(two);
    expect(await clientOf(w.clinic.id, value(3))).toEqual(three);
    expect(await rosterOf(w.group.id)).toEqual(rosterBefore);
    // One feed entry: the client update, naming the changed columns only.
    const feed = await ownerQuery(`SELECT entity_type, entity_id, operation, changed_fields FROM change_log WHERE clinic_id = $1 ORDER BY id OFFSET $2`, [w.clinic.id, feedBefore]);
    expect(feed).toEqual([{ entity_type: 'Client', entity_id: one.id, operation: 'UPDATE', changed_fields: ['email', 'phone'] }]);
    expect(await neighbours(w)).toEqual(before);
  });
});

describe('REPLACE', () => {
  it('ends missing members as WITHDRAWN with reason ROSTER_SYNC and deletes nothing', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 5)));
    const counts = await tableCounts(w.clinic.id);
    const before = await neighbours(w);

    // Ending 1 of 5 ACTIVE memberships is exactly 20%: no confirmation needed.
    const p = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 4), { mode: 'REPLACE' }));

    expect(p).toMatchObject({
      applied: true,
      requiresConfirmation: false,
      unchangedCount: 4,
      clientsCreated: [],
      membershipsEnrolled: [],
      membershipsEnded: [{ index: null, externalId: null, from: 'ACTIVE', to: 'WITHDRAWN' }],
    });
    const five = (await rosterOf(w.group.id)).find((r) => r.value === value(5))!;
    expect(five).toMatchObject({ status: 'WITHDRAWN', status_reason: 'ROSTER_SYNC', period_end: await today(w.clinic.id) });
    expect(await openRoster(w.group.id)).toEqual([1, 2, 3, 4].map(value));
    expect(await clientOf(w.clinic.id, value(5))).toBeDefined();
    const after = await tableCounts(w.clinic.id);
    expect([after.clients, after.memberships, after.external_identifiers, after.membership_events]).toEqual([
      counts.clients,
      counts.memberships,
      counts.external_identifiers,
      counts.membership_events + 1,
    ]);
    expect((await eventsOf(w.group.id)).slice(-1)).toEqual([
      { value: value(5), from_status: 'ACTIVE', to_status: 'WITHDRAWN', reason: 'ROSTER_SYNC', actor_type: 'INTEGRATION', actor_id: w.writer.id },
    ]);
    expect(await neighbours(w)).toEqual(before);
  });

  it('needs confirmLargeChange to end more than 20% of ACTIVE memberships: CONFLICT and nothing written without it', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 5)));
    const before = [await fullState(w.clinic.id), await neighbours(w)];

    const refused = await syncRoster(w.writer.auth, w.group, rosterRows(1, 3), { mode: 'REPLACE', idempotencyKey: 'replace-1' });
    expectError(refused, 'CONFLICT');
    expect(refused.errors![0].extensions).toMatchObject({ reason: 'LARGE_CHANGE_REQUIRES_CONFIRMATION', wouldEnd: 2, active: 5 });
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);

    // A dry run shows the need without refusing.
    const dry = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3), { mode: 'REPLACE', dryRun: true }));
    expect(dry).toMatchObject({ applied: false, requiresConfirmation: true, errors: [] });
    expect(dry.membershipsEnded).toHaveLength(2);

    const confirmed = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3), { mode: 'REPLACE', confirmLargeChange: true, idempotencyKey: 'replace-2' }));
    expect(confirmed).toMatchObject({ applied: true, requiresConfirmation: true });
    expect(await openRoster(w.group.id)).toEqual([1, 2, 3].map(value));
    expect(await neighbours(w)).toEqual(before[1]);
  });

  it('needs confirmLargeChange to end more than 20% of the waiting (referred, screening, waitlisted) memberships too, and for an empty REPLACE of a waitlist (session 14)', async () => {
    // Before: only seated memberships were counted, so a REPLACE cut short or sent to the wrong
    // group withdrew a whole waitlist, or every referral of a group no one sat in yet, unasked.
    const w = await syncWorld({ capacity: 2 });
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 7)));
    expect((await rosterOf(w.group.id)).filter((r) => r.status === 'WAITLISTED')).toHaveLength(5);
    const before = [await fullState(w.clinic.id), await neighbours(w)];
    for (const members of [rosterRows(1, 4), []]) {
      const refused = await syncRoster(w.writer.auth, w.group, members, { mode: 'REPLACE' });
      expectError(refused, 'CONFLICT');
      expect(refused.errors![0].extensions).toMatchObject({ reason: 'LARGE_CHANGE_REQUIRES_CONFIRMATION', waiting: 5, wouldEndWaiting: members.length ? 3 : 5 });
    }
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
    // One of five waiting, and none seated, ends unconfirmed.
    const small = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 6), { mode: 'REPLACE' }));
    expect(small).toMatchObject({ applied: true, requiresConfirmation: false });
    expect(small.membershipsEnded).toHaveLength(1);
  });

  it('ends a removed member\'s accountability partnership, as any other ending of the membership does', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 5)));
    const roster = await rosterOf(w.group.id);
    const [partnership] = await ownerQuery<{ id: string }>(
      `INSERT INTO accountability_partnerships (clinic_id, group_id, proposer_membership_id, partner_membership_id, status, responded_at)
       VALUES ($1, $2, $3, $4, 'ACTIVE', now()) RETURNING id`,
      [w.clinic.id, w.group.id, roster[0].membership_id, roster[4].membership_id],
    );

    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 4), { mode: 'REPLACE' }));

    const [stored] = await ownerQuery(`SELECT status, ended_at FROM accountability_partnerships WHERE id = $1`, [partnership.id]);
    expect(stored.status).toBe('ENDED');
    expect(stored.ended_at).not.toBeNull();
  });
});

describe('all or nothing', () => {
  it('reports every bad row at once (index, externalId, field, code) and writes nothing', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2)));
    const before = [await fullState(w.clinic.id), await neighbours(w)];
    const runs = (await tableCounts(w.clinic.id)).sync_runs;

    const p = await synced(
      syncRoster(w.writer.auth, w.group, [
        rosterRow(10),
        rosterRow(11, { email: 'not-an-email' }),
        rosterRow(12),
        rosterRow(13, { phone: '555-0100', dateOfBirth: '2023-02-30' }),
        rosterRow(14, { givenName: 'Nu\u0000l' }),
        rosterRow(10),
        rosterRow(15, { dateOfBirth: '2999-01-01' }),
        rosterRow(1, { email: '' }),
      ]),
    );

    expect(p.applied).toBe(false);
    expect(p.errors.map(({ index, externalId, field, code }: any) => ({ index, externalId, field, code }))).toEqual([
      { index: 1, externalId: extKey(11), field: 'email', code: 'INVALID_EMAIL' },
      { index: 3, externalId: extKey(13), field: 'phone', code: 'INVALID_PHONE' },
      { index: 3, externalId: extKey(13), field: 'dateOfBirth', code: 'INVALID_DATE' },
      { index: 4, externalId: extKey(14), field: 'givenName', code: 'INVALID_TEXT' },
      { index: 5, externalId: extKey(10), field: 'externalId', code: 'DUPLICATE' },
      { index: 6, externalId: extKey(15), field: 'dateOfBirth', code: 'INVALID_DATE' },
    ]);
    expect([p.clientsCreated, p.clientsUpdated, p.membershipsEnrolled, p.statusChanges, p.membershipsEnded]).toEqual([[], [], [], [], []]);

    const after = [await fullState(w.clinic.id), await neighbours(w)];
    expect((after[0] as any).counts.sync_runs).toBe(runs + 1);
    (after[0] as any).counts.sync_runs = runs;
    expect(after).toEqual(before);
    const [run] = await ownerQuery(`SELECT applied, dry_run, row_count, error_count FROM sync_runs WHERE clinic_id = $1 ORDER BY created_at DESC LIMIT 1`, [w.clinic.id]);
    expect(run).toEqual({ applied: false, dry_run: false, row_count: 8, error_count: 6 });
  });

  it('refuses a status change the membership cannot make as a row error, and writes none of the valid rows', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2)));
    const before = await fullState(w.clinic.id);

    const p = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1, { status: 'REFERRED' }), rosterRow(2, { status: 'ON_HOLD' }), rosterRow(3)]));

    expect(p.applied).toBe(false);
    expect(p.errors).toEqual([{ index: 0, externalId: extKey(1), field: 'status', code: 'CONFLICT', message: expect.stringContaining('ACTIVE membership cannot become REFERRED') }]);
    const after = await fullState(w.clinic.id);
    expect({ ...after, counts: { ...after.counts, sync_runs: 0 } }).toEqual({ ...before, counts: { ...before.counts, sync_runs: 0 } });
  });

  it('reports duplicate external identifiers in one input as row errors', async () => {
    const w = await syncWorld();
    const before = await fullState(w.clinic.id);
    const p = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1), rosterRow(2), rosterRow(1, { givenName: 'Again' }), rosterRow(2)]));
    expect(p.applied).toBe(false);
    expect(p.errors.map((e: any) => [e.index, e.externalId, e.field, e.code])).toEqual([
      [2, extKey(1), 'externalId', 'DUPLICATE'],
      [3, extKey(2), 'externalId', 'DUPLICATE'],
    ]);
    const after = await fullState(w.clinic.id);
    expect(after.clients).toEqual(before.clients);
    expect(after.memberships).toEqual(before.memberships);
  });

  it('reports two rows that name the same client by different identifiers as a row error, not a server error', async () => {
    const w = await syncWorld();
    const pms = { system: 'urn:pms:clients', value: 'X-1' };
    ok(await gql(w.writer.auth, CREATE_CLIENT, { input: { givenName: 'Given1', familyName: 'Family1', externalIds: [extId(1), pms] } }));
    const before = [await fullState(w.clinic.id), await neighbours(w)];

    const res = await syncRoster(w.writer.auth, w.group, [rosterRow(1), { externalId: pms, givenName: 'Given1', familyName: 'Family1' }, rosterRow(2)]);

    expect(res.codes).toEqual([]);
    const p = res.data.syncRoster;
    expect(p.applied).toBe(false);
    expect(p.errors.map((e: any) => e.index)).toEqual([1]);
    expect(['DUPLICATE', 'CONFLICT']).toContain(p.errors[0].code);
    const after = [await fullState(w.clinic.id), await neighbours(w)];
    (after[0] as any).counts.sync_runs = (before[0] as any).counts.sync_runs;
    expect(after).toEqual(before);
  });

  it('refuses 1,001 members with BAD_USER_INPUT and stores nothing', async () => {
    const w = await syncWorld();
    const before = [await fullState(w.clinic.id), await neighbours(w)];
    const res = await syncRoster(w.writer.auth, w.group, rosterRows(1, 1001), { idempotencyKey: 'too-many' });
    expectError(res, 'BAD_USER_INPUT');
    expect(res.errors![0].message).toMatch(/1000/);
    expect([await fullState(w.clinic.id), await neighbours(w)]).toEqual(before);
  });
});

describe('capacity', () => {
  it('waitlists the rows beyond the group\'s capacity, in row order, and counts them', async () => {
    const w = await syncWorld({ capacity: 3 });
    const p = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 5)));
    expect(p.waitlistedForCapacity).toBe(2);
    expect(p.membershipsEnrolled.map((e: any) => [e.index, e.to])).toEqual([
      [0, 'ACTIVE'],
      [1, 'ACTIVE'],
      [2, 'ACTIVE'],
      [3, 'WAITLISTED'],
      [4, 'WAITLISTED'],
    ]);
    const roster = await rosterOf(w.group.id);
    expect(roster.map((r) => [r.value, r.status])).toEqual([
      [value(1), 'ACTIVE'],
      [value(2), 'ACTIVE'],
      [value(3), 'ACTIVE'],
      [value(4), 'WAITLISTED'],
      [value(5), 'WAITLISTED'],
    ]);
    const waitlisted = await ownerQuery(`SELECT waitlisted_at, period_start FROM memberships WHERE group_id = $1 AND status = 'WAITLISTED'`, [w.group.id]);
    for (const m of waitlisted) expect(m).toEqual({ waitlisted_at: expect.any(Date), period_start: null });
    expect((await eventsOf(w.group.id)).map((e) => [e.value, e.to_status, e.reason])).toEqual([
      [value(1), 'ACTIVE', 'ROSTER_SYNC'],
      [value(2), 'ACTIVE', 'ROSTER_SYNC'],
      [value(3), 'ACTIVE', 'ROSTER_SYNC'],
      [value(4), 'WAITLISTED', 'ROSTER_SYNC: group full, waitlisted'],
      [value(5), 'WAITLISTED', 'ROSTER_SYNC: group full, waitlisted'],
    ]);
  });
});

describe('a sync waiting for another of its clinic (session 14)', () => {
  it('waits a few seconds, then answers a retryable CONFLICT with nothing written; the retry applies', async () => {
    // Before: it waited until the 15 s statement timeout, holding a pooled connection, and answered an internal error.
    const w = await syncWorld();
    const { Client } = await import('pg');
    const { testEnv } = await import('../support/test-env');
    const holder = new Client({ connectionString: testEnv().ownerUrl, application_name: 'kinship-test-owner' });
    await holder.connect();
    const before = await fullState(w.clinic.id);
    let res: Awaited<ReturnType<typeof syncRoster>>;
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtext('roster-sync:' || $1))`, [w.clinic.id]);
      res = await syncRoster(w.writer.auth, w.group, rosterRows(1, 3));
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(res.errors).toEqual([expect.objectContaining({ extensions: { code: 'CONFLICT', retryable: true } })]);
    expect(res.data).toBeNull();
    const after = await fullState(w.clinic.id);
    expect(after).toEqual(before);
    expect((await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3)))).applied).toBe(true);
  });
});

describe('a concluded group through a sync (session 14)', () => {
  it('closes its memberships but moves no one along the pipeline: a row asking for SCREENING or ON_HOLD is a row error, nothing written', async () => {
    // Before: only seating was refused, so a nightly roster could screen referrals or hold members of a group that would not meet again.
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1), rosterRow(2, { status: 'REFERRED' }), rosterRow(3)]));
    await changeGroupStatus(w.clinic, w.group, 'CONCLUDED');
    // The run log records each refused run; nothing else changes.
    const state = async () => {
      const s = await fullState(w.clinic.id);
      return [{ ...s, counts: { ...s.counts, sync_runs: 0 } }, await neighbours(w)];
    };
    const before = await state();
    for (const rows of [[rosterRow(2, { status: 'SCREENING' })], [rosterRow(1, { status: 'ON_HOLD' })]]) {
      const refused = await synced(syncRoster(w.writer.auth, w.group, rows));
      expect(refused.applied).toBe(false);
      expect(refused.errors).toEqual([expect.objectContaining({ index: 0, field: 'status', code: 'CONFLICT', message: expect.stringContaining('concluded') })]);
    }
    expect(await state()).toEqual(before);
    // Rows without a status keep what stands; closing goes through.
    const closed = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1, { status: 'COMPLETED' }), rosterRow(2), rosterRow(3)]));
    expect(closed.applied).toBe(true);
    expect(closed.statusChanges.map((c: any) => [c.index, c.from, c.to])).toEqual([[0, 'ACTIVE', 'COMPLETED']]);
    expect((await rosterOf(w.group.id)).map((r) => [r.value, r.status])).toEqual([[value(1), 'COMPLETED'], [value(2), 'REFERRED'], [value(3), 'ACTIVE']]);
  });
});

describe('the waitlist\'s order through a sync (session 14)', () => {
  it('promotes the earliest waitlisted member even when several joined within one millisecond', async () => {
    // Before: the plan compared waitlisted_at as JavaScript Dates (milliseconds) and broke ties by
    // random membership ids, while staff were shown positions in PostgreSQL's microsecond order.
    const w = await syncWorld({ capacity: 1 });
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 4)));
    const waiting = (await rosterOf(w.group.id)).filter((r) => r.status === 'WAITLISTED');
    expect(waiting).toHaveLength(3);
    // One millisecond, microseconds apart, queued against the ids' order: the largest id first.
    const queue = [...waiting].sort((a, b) => (a.membership_id < b.membership_id ? 1 : -1));
    await ownerQuery(
      `UPDATE memberships m SET waitlisted_at = timestamptz '2026-01-05 10:00:00.123' + make_interval(secs => x.n * 0.000001)
         FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, n) WHERE m.id = x.id`,
      [queue.map((q) => q.membership_id)],
    );
    const positions = ok(await gql(w.clinic.admin.auth, `query($id: ID!) { group(id: $id) { members(first: 10, status: [WAITLISTED]) { edges { node { id waitlistPosition } } } } }`, { id: w.group.gid }));
    const first = positions.group.members.edges.find((e: any) => e.node.waitlistPosition === 1).node.id;
    expect(uuidOf(first)).toBe(queue[0].membership_id);

    const p = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1, { status: 'COMPLETED' })]));
    expect(p.statusChanges.filter((c: any) => c.index === null)).toEqual([expect.objectContaining({ membershipId: first, from: 'WAITLISTED', to: 'ACTIVE' })]);
    const after = await rosterOf(w.group.id);
    expect(after.filter((r) => r.status === 'ACTIVE').map((r) => r.membership_id)).toEqual([queue[0].membership_id]);
    expect(after.filter((r) => r.status === 'WAITLISTED').map((r) => r.membership_id).sort()).toEqual([queue[1].membership_id, queue[2].membership_id].sort());
  });
});

describe('external identifiers', () => {
  it('are stored exactly as sent, even when the system contains a "|"', async () => {
    const w = await syncWorld();
    const odd = { system: 'urn:ehr|eu', value: 'P-1' };
    await synced(syncRoster(w.writer.auth, w.group, [{ externalId: odd, givenName: 'Odd', familyName: 'System' }]));
    const stored = await ownerQuery(`SELECT system, value FROM external_identifiers WHERE clinic_id = $1 AND resource_type = 'Client'`, [w.clinic.id]);
    expect(stored).toEqual([odd]);
    // …so the next sync recognises the client.
    const again = await synced(syncRoster(w.writer.auth, w.group, [{ externalId: odd, givenName: 'Odd', familyName: 'System' }]));
    expect(again).toMatchObject({ clientsCreated: [], membershipsEnrolled: [], unchangedCount: 1 });
  });
});

describe('sync runs', () => {
  it('are recorded for dry and applied runs and listed for admins only, newest first', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3), { dryRun: true }));
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3)));
    await synced(syncRoster(w.clinic.admin.auth, w.group, [rosterRow(1), rosterRow(2, { email: 'bad' })], { mode: 'REPLACE' }));

    const runs = runsOf(ok(await gql(w.clinic.admin.auth, SYNC_RUNS)));
    expect(runs.map(({ id, createdAt, counts, group, ...r }: any) => r)).toEqual([
      { actorType: 'STAFF', actorName: w.clinic.admin.name, mode: 'REPLACE', dryRun: false, applied: false, rowCount: 2, errorCount: 1 },
      { actorType: 'INTEGRATION', actorName: 'EHR roster sync', mode: 'MERGE', dryRun: false, applied: true, rowCount: 3, errorCount: 0 },
      { actorType: 'INTEGRATION', actorName: 'EHR roster sync', mode: 'MERGE', dryRun: true, applied: false, rowCount: 3, errorCount: 0 },
    ]);
    const counts = { clientsCreated: 3, clientsUpdated: 0, membershipsEnrolled: 3, statusChanges: 0, membershipsEnded: 0, unchanged: 0, waitlistedForCapacity: 0 };
    expect(JSON.parse(runs[1].counts)).toEqual(counts);
    expect(JSON.parse(runs[2].counts)).toEqual(counts);
    expect(new Date(runs[0].createdAt) >= new Date(runs[1].createdAt)).toBe(true);

    expect(runs.map((r: any) => r.group)).toEqual([{ id: w.group.gid }, { id: w.group.gid }, { id: w.group.gid }]);
    expect(runsOf(ok(await gql(w.neighbour.admin.auth, SYNC_RUNS)))).toEqual([]);
    for (const auth of [w.writer.auth, w.clinic.supervisor.auth, w.clinic.clinician.auth]) expectError(await gql(auth, SYNC_RUNS), 'FORBIDDEN');
  });

  it('page newest first with keyset cursors, filtered by group; a group id that is no group answers an empty page', async () => {
    const w = await syncWorld();
    for (let n = 1; n <= 3; n++) await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, n), { dryRun: true }));
    await synced(syncRoster(w.writer.auth, w.otherGroup, [], { dryRun: true }));
    const all = runsOf(ok(await gql(w.clinic.admin.auth, SYNC_RUNS))).map((r: { id: string }) => r.id);
    expect(all).toHaveLength(4);
    const first = ok(await gql(w.clinic.admin.auth, SYNC_RUNS, { first: 3 }));
    expect(first.syncRuns.pageInfo.hasNextPage).toBe(true);
    const rest = ok(await gql(w.clinic.admin.auth, SYNC_RUNS, { first: 3, after: first.syncRuns.pageInfo.endCursor }));
    expect([...runsOf(first), ...runsOf(rest)].map((r: { id: string }) => r.id)).toEqual(all);
    expect(rest.syncRuns.pageInfo.hasNextPage).toBe(false);
    const ofGroup = runsOf(ok(await gql(w.clinic.admin.auth, SYNC_RUNS, { filter: { groupId: w.group.gid } })));
    expect(ofGroup.map((r: { rowCount: number }) => r.rowCount)).toEqual([3, 2, 1]);
    expect(runsOf(ok(await gql(w.clinic.admin.auth, SYNC_RUNS, { filter: { groupId: w.otherGroup.gid } })))).toHaveLength(1);
    // Another clinic's group, and an id of something else, both find nothing.
    for (const groupId of [w.neighbourGroup.gid, w.writer.gid]) expect(runsOf(ok(await gql(w.clinic.admin.auth, SYNC_RUNS, { filter: { groupId } })))).toEqual([]);
    expectError(await gql(w.clinic.admin.auth, SYNC_RUNS, { after: 'nope' }), 'BAD_USER_INPUT');
  });
});

describe('a CLOSED group that has started (session 10)', () => {
  it('seats no one new from its waitlist through a sync, even with a seat free: a row error, nothing written', async () => {
    const w = await syncWorld({ format: 'CLOSED', capacity: 1, activate: false });
    const formed = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2)));
    expect(formed.waitlistedForCapacity).toBe(1);
    await changeGroupStatus(w.clinic, w.group, 'ACTIVE');
    const before = await rosterOf(w.group.id);
    const rows = rosterRows(1, 2);
    const res = await synced(syncRoster(w.writer.auth, w.group, [{ ...rows[0], status: 'COMPLETED' }, { ...rows[1], status: 'ACTIVE' }]));
    expect(res).toMatchObject({ applied: false, errors: [expect.objectContaining({ index: 1, field: 'status', code: 'CONFLICT' })] });
    expect(await rosterOf(w.group.id)).toEqual(before);
  });
});
