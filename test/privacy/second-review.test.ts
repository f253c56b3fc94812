/**
 * Regression tests for what a second privacy review of the whole API found (session 7): each
 * was reproduced against the code before its fix. The event, contact-card and consent-grant
 * findings are tested beside their features (events, connections, consent tests) as well.
 */
import { toGlobalId } from '../../src/common/global-id';
import { ownerQuery } from '../support/factories';
import { expectError, getTestApp, gql } from '../support/test-app';
import {
  activateGroup, activeGroup, checkIn, createGoal, partner, uuidOf, createGroup, enrolNew, acceptAgreement, expectRefused, grantConsent, GRANT_CONSENT, ok,
  shareGoals,
} from '../goals/goal-fixtures';
import { auditRowsOf, createNote, recordAttendance, sessionWorld, signNote, ADD_ADDENDUM, attendanceRowsOf } from '../sessions/session-fixtures';
import {
  EHR, extKey, fullState, openRoster, ownerConnection, rosterRow, rosterRows, synced, syncRoster, syncWorld, tableCounts, waitForLockWaiters, warmKey,
} from '../sync/sync-fixtures';

const nodeId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const cursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
const readsOf = async (resourceId: string) => (await auditRowsOf(resourceId)).filter((r) => r.action === 'READ');

describe('a mutation rolled back releases nothing', () => {
  it('an error in a nested field rolls the whole mutation back and answers no data: no note body, no attendance, no phantom success', async () => {
    const world = await sessionWorld({ members: 2 });
    await recordAttendance(world.lead.auth, world.session, world.members.map((m) => ({ membershipId: m.gid, status: 'PRESENT' })));
    const note = await createNote(world, { kind: 'GROUP', body: 'Group practised grounding skills.' });
    const notesBefore = await readsOf(note.id);
    const attendance = await attendanceRowsOf(world.session.id);
    const attendanceReadsBefore = await Promise.all(attendance.map((a) => readsOf(a.id)));

    const res = await gql(
      world.lead.auth,
      `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { session { topic notes { body } attendance { status }
         group { members(after: "!!") { totalCount } } } } }`,
      { input: { sessionId: world.session.gid, topic: 'Changed topic' } },
    );
    expectError(res, 'BAD_USER_INPUT');
    expect(res.data ?? null).toBeNull();
    expect(JSON.stringify(res)).not.toContain('grounding');
    // Nothing written, nothing read on the record.
    expect((await ownerQuery(`SELECT topic FROM group_sessions WHERE id = $1`, [world.session.id]))[0].topic).toBe('Distress tolerance');
    expect(await readsOf(note.id)).toEqual(notesBefore);
    expect(await Promise.all(attendance.map((a) => readsOf(a.id)))).toEqual(attendanceReadsBefore);

    // The same mutation without the failing field succeeds, releases the body and audits it.
    const done = ok(await gql(world.lead.auth, `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { session { topic notes { body } } } }`, {
      input: { sessionId: world.session.gid, topic: 'Changed topic' },
    }));
    expect(done.updateSession.session).toEqual({ topic: 'Changed topic', notes: [{ body: 'Group practised grounding skills.' }] });
    expect((await readsOf(note.id)).length).toBe(notesBefore.length + 1);
  });
});

describe('hostile ids and cursors answer as bad input, never as internal errors', () => {
  it('a DateTime outside years 0001–9999 (in UTC, after its offset) is refused as input, where PostgreSQL failed on it', async () => {
    const { clinic, group } = await activeGroup({ members: 1 });
    const Q = `query($from: DateTime) { clinic { name } group(id: "${group.gid}") { sessions(from: $from) { id } } }`;
    for (const from of ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:30:00-01:00']) {
      const res = await gql(clinic.admin.auth, Q, { from });
      expect([from, res.codes]).toEqual([from, ['BAD_USER_INPUT']]);
    }
    // At the edges, accepted.
    for (const from of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) expect(ok(await gql(clinic.admin.auth, Q, { from })).group.sessions).toEqual([]);
  });

  it('node(id:) with a type named after a built-in object key is NOT_FOUND', async () => {
    const { clinic } = await activeGroup({ members: 1 });
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const res = await gql(clinic.admin.auth, `query($id: ID!) { node(id: $id) { id } }`, { id: nodeId(type, '00000000-0000-0000-0000-000000000000') });
      expectError(res, 'NOT_FOUND');
    }
  });

  it('forged cursors of every keyset list are BAD_USER_INPUT, refused before they reach SQL', async () => {
    const { clinic, group } = await activeGroup({ members: 2 });
    // Admins do not read goals: the goals list is asked as the group's clinician.
    const forged: [string, string, string?][] = [
      ['members', `group(id: "${group.gid}") { members(after: "${cursor(['x'])}") { totalCount } }`],
      ['groups', `groups(after: "${cursor(['a', 'x'])}") { edges { cursor } }`],
      ['clients', `clients(after: "${cursor(['a', 'b', 'x'])}") { edges { cursor } }`],
      ['clients, NUL', `clients(after: "${cursor(['a\u0000', 'b', '00000000-0000-0000-0000-000000000000'])}") { edges { cursor } }`],
      ['goals', `goals(after: "${cursor(['yesterday', '00000000-0000-0000-0000-000000000000'])}") { edges { cursor } }`, clinic.clinician.auth],
      ['goals, impossible day', `goals(after: "${cursor(['2026-02-30 10:00:00+00', '00000000-0000-0000-0000-000000000000'])}") { edges { cursor } }`, clinic.clinician.auth],
      // PostgreSQL takes offsets up to ±15 hours: +99 failed its cast, an internal error (session 10).
      ['goals, offset +99', `goals(after: "${cursor(['2026-01-01 00:00:00+99', '00000000-0000-0000-0000-000000000000'])}") { edges { cursor } }`, clinic.clinician.auth],
      ['syncRuns, offset -16', `syncRuns(after: "${cursor(['2026-01-01 00:00:00-16', '00000000-0000-0000-0000-000000000000'])}") { edges { cursor } }`],
      ['staff', `staffMembers(after: "${cursor(['Name', 'x'])}") { edges { cursor } }`],
      ['audit', `auditEvents(after: "${cursor(['1x', 2])}") { edges { cursor } }`],
    ];
    for (const [name, field, auth = clinic.admin.auth] of forged) {
      const res = await gql(auth, `{ clinic { name } forged: ${field} }`);
      expect([name, res.codes]).toEqual([name, ['BAD_USER_INPUT']]);
    }
    // Refused before any SQL: the transaction is not aborted, so a sibling field still answers
    // (for a non-null root list the error nulls the whole response, as GraphQL says).
    const res = await gql(clinic.admin.auth, `{ clinic { name } group(id: "${group.gid}") { name members(after: "${cursor(['x'])}") { totalCount } } }`);
    expect(res.codes).toEqual(['BAD_USER_INPUT']);
    expect(res.data?.clinic?.name).toEqual(expect.any(String));
  });

  it('real cursors still page: goals by their creation time, clients by name', async () => {
    const w = await activeGroup({ members: 3 });
    for (const m of w.members) await createGoal(m, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE' });
    const page = ok(await gql(w.clinic.clinician.auth, `{ goals(first: 2) { edges { cursor node { id } } pageInfo { endCursor hasNextPage } } }`));
    expect(page.goals.pageInfo.hasNextPage).toBe(true);
    const next = ok(await gql(w.clinic.clinician.auth, `query($after: String) { goals(first: 2, after: $after) { edges { node { id } } } }`, { after: page.goals.pageInfo.endCursor }));
    expect(next.goals.edges).toHaveLength(1);
    const clients = ok(await gql(w.clinic.admin.auth, `{ clients(first: 1) { pageInfo { endCursor } } }`));
    const more = ok(await gql(w.clinic.admin.auth, `query($after: String) { clients(first: 5, after: $after) { edges { node { id } } } }`, { after: clients.clients.pageInfo.endCursor }));
    expect(more.clients.edges.length).toBeGreaterThan(0);
  });

  it('attendance spanning centuries is recorded as a day at most, not an internal error', async () => {
    const world = await sessionWorld({ members: 2 });
    const [kim, lee] = world.members;
    const payload = await recordAttendance(world.lead.auth, world.session, [
      { membershipId: kim.gid, status: 'PRESENT', joinedAt: '0001-01-01T00:00:00Z', leftAt: '9999-01-01T00:00:00Z' },
      { membershipId: lee.gid, status: 'PRESENT' },
    ]);
    expect(payload.attendance.map((a: { minutes: number }) => a.minutes).sort((a: number, b: number) => a - b)).toEqual([90, 1440]);
    expect((await attendanceRowsOf(world.session.id)).map((r) => r.minutes).sort((a: number, b: number) => a - b)).toEqual([90, 1440]);
  });
});

describe('audit rows name what was read, and whom it was about', () => {
  it('node(id:) of one attendance record audits that record only, not the whole session\'s', async () => {
    const world = await sessionWorld({ members: 3 });
    await recordAttendance(world.lead.auth, world.session, world.members.map((m) => ({ membershipId: m.gid, status: 'PRESENT' })));
    const rows = await attendanceRowsOf(world.session.id);
    const before = await Promise.all(rows.map((r) => readsOf(r.id)));
    const res = ok(await gql(world.lead.auth, `query($id: ID!) { node(id: $id) { id ... on Attendance { status } } }`, { id: toGlobalId('Attendance', rows[0].id) }));
    expect(res.node.status).toBe('PRESENT');
    const after = await Promise.all(rows.map((r) => readsOf(r.id)));
    expect(after[0].length).toBe(before[0].length + 1);
    expect(after[0].at(-1)).toMatchObject({ subject_client_id: rows[0].client_id });
    expect(after.slice(1)).toEqual(before.slice(1));
  });

  it('an addendum read back in addNoteAddendum\'s payload is audited against the note\'s client', async () => {
    const world = await sessionWorld({ members: 1 });
    const [kim] = world.members;
    const note = await createNote(world, { kind: 'PROGRESS', body: 'Kim practised opposite action.', member: kim });
    await signNote(world, note);
    ok(await gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: note.gid, body: 'Late entry: Kim left early.' } }));
    const [addendum] = await ownerQuery(`SELECT id FROM note_addenda WHERE note_id = $1`, [note.id]);
    const reads = await readsOf(addendum.id);
    expect(reads).toEqual([expect.objectContaining({ resource_type: 'NoteAddendum', subject_client_id: kim.client.id })]);
  });

  it('streaks, rates and the last check-in time given to an integration are disclosed as check-in data', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    const key = await w.clinic.addApiKey(['goals:read'], 'App');
    const g = await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: 'Walk daily' });
    await checkIn(kim.auth, g);
    await createGoal(lee, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: 'Sleep by 11' });
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const ledger = () => ownerQuery(`SELECT data_class, resource_type, resource_id, client_id FROM disclosures WHERE api_key_id = $1 ORDER BY data_class`, [key.id]);

    const res = ok(await gql(key.auth, `{ goals { edges { node { title currentStreak lastCheckInAt completionRate } } } }`));
    expect(res.goals.edges).toHaveLength(1);
    expect(res.goals.edges[0].node.lastCheckInAt).not.toBeNull();
    expect(await ledger()).toEqual([
      { data_class: 'check-ins', resource_type: 'Goal', resource_id: g.id, client_id: kim.client.id },
      { data_class: 'goals', resource_type: 'Goal', resource_id: g.id, client_id: kim.client.id },
    ]);
    // The goal alone discloses goals only.
    ok(await gql(key.auth, `{ goals { edges { node { title } } } }`));
    expect((await ledger()).map((r) => r.data_class)).toEqual(['check-ins', 'goals', 'goals']);
  });
});

describe('group-scoped consent is recorded only by those who may act for that group', () => {
  it('a clinician cannot record a consent for a group they do not facilitate: NOT_FOUND, nothing stored, whatever the payload asks', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, sam] = w.members;
    const other = await w.clinic.addStaff('CLINICIAN', 'Other Clinician');
    const g2 = await createGroup(w.clinic, other);
    await activateGroup(w.clinic, g2);
    ok(await gql(w.clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id } } }`, { input: { groupId: g2.gid, clientId: kim.client.gid } }));
    const neighbour = await activeGroup({ members: 1 });

    // Kim is in the other group, Sam is not: the clinician gets the same answer for both, so
    // learns nothing of a client's other groups; with or without the consent in the payload.
    const answers = [];
    for (const selection of ['__typename', 'consent { id }']) {
      for (const client of [kim, sam]) {
        const res = await expectRefused('NOT_FOUND', [w.clinic.id, neighbour.clinic.id], () =>
          gql(w.clinic.clinician.auth, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { ${selection} } }`, {
            input: { clientId: client.client.gid, groupId: g2.gid, type: 'GOAL_SHARING', method: 'SIGNED_FORM' },
          }),
        );
        answers.push(res.errors![0].message);
      }
    }
    expect(new Set(answers).size).toBe(1);

    // Those who may act for the group still can: its own facilitator, and an admin.
    ok(await gql(other.auth, GRANT_CONSENT, { input: { clientId: kim.client.gid, groupId: g2.gid, type: 'GOAL_SHARING', method: 'SIGNED_FORM' } }));
    ok(await gql(w.clinic.admin.auth, GRANT_CONSENT, { input: { clientId: kim.client.gid, groupId: g2.gid, type: 'ALUMNI_DIRECTORY', method: 'SIGNED_FORM' } }));
    const stored = await ownerQuery(`SELECT type, recorded_by_id FROM consent_records WHERE client_id = $1 AND scope_group_id = $2 AND type <> 'GROUP_AGREEMENT' ORDER BY type`, [kim.client.id, g2.id]);
    expect(stored).toEqual([
      { type: 'ALUMNI_DIRECTORY', recorded_by_id: w.clinic.admin.id },
      { type: 'GOAL_SHARING', recorded_by_id: other.id },
    ]);
  });

  it('a member records group-scoped decisions for their own groups only', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const g2 = await createGroup(w.clinic);
    await activateGroup(w.clinic, g2);
    const lee = await enrolNew(w.clinic, g2);
    await acceptAgreement(lee, g2);
    await expectRefused('NOT_FOUND', [w.clinic.id], () => gql(kim.auth, GRANT_CONSENT, { input: { type: 'GOAL_SHARING', groupId: g2.gid } }));
    ok(await gql(lee.auth, GRANT_CONSENT, { input: { type: 'GOAL_SHARING', groupId: g2.gid } }));
  });
});

describe('inputs PostgreSQL would refuse are refused first, as bad input', () => {
  it('a calendar date in year 0000 is BAD_USER_INPUT, nothing stored', async () => {
    const w = await activeGroup({ members: 1 });
    const before = await ownerQuery(`SELECT count(*)::int AS n FROM clients WHERE clinic_id = $1`, [w.clinic.id]);
    const res = await gql(w.clinic.admin.auth, `mutation($input: CreateClientInput!) { createClient(input: $input) { client { id } } }`, {
      input: { givenName: 'Ada', familyName: 'Year', dateOfBirth: '0000-01-01' },
    });
    expectError(res, 'BAD_USER_INPUT');
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM clients WHERE clinic_id = $1`, [w.clinic.id])).toEqual(before);
    // A birth date is judged as a roster sync judges it (session 12): from 1900-01-01 through the clinic's today.
    const CREATE = `mutation($input: CreateClientInput!) { createClient(input: $input) { client { id dateOfBirth } } }`;
    for (const dateOfBirth of ['0001-01-01', '1899-12-31', '2999-01-01']) {
      const refused = await gql(w.clinic.admin.auth, CREATE, { input: { givenName: 'Ada', familyName: 'Year', dateOfBirth } });
      expectError(refused, 'BAD_USER_INPUT');
      expect(refused.errors![0].extensions).toMatchObject({ field: 'dateOfBirth' });
    }
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM clients WHERE clinic_id = $1`, [w.clinic.id])).toEqual(before);
    const ada = ok(await gql(w.clinic.admin.auth, CREATE, { input: { givenName: 'Ada', familyName: 'Year', dateOfBirth: '1900-01-01' } })).createClient.client;
    expect(ada.dateOfBirth).toBe('1900-01-01');
    const UPDATE = `mutation($input: UpdateClientInput!) { updateClient(input: $input) { client { dateOfBirth } } }`;
    expectError(await gql(w.clinic.admin.auth, UPDATE, { input: { id: ada.id, dateOfBirth: '1890-05-01' } }), 'BAD_USER_INPUT');
    expect((await ownerQuery(`SELECT date_of_birth::text AS d FROM clients WHERE id = $1`, [uuidOf(ada.id)]))[0].d).toBe('1900-01-01');
  });

  it('a goal due before today with no start date is BAD_USER_INPUT, nothing stored', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const res = await expectRefused('BAD_USER_INPUT', [w.clinic.id], () =>
      gql(kim.auth, `mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { id } } }`, {
        input: { membershipId: kim.membershipGid, title: 'Late already', measureKind: 'BOOLEAN', dueDate: '2020-01-01' },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ field: 'dueDate' });
  });

  it('a NUL byte in the groups search is BAD_USER_INPUT', async () => {
    const w = await activeGroup({ members: 1 });
    for (const auth of [w.clinic.admin.auth, w.members[0].auth]) {
      const res = await gql(auth, `query($f: GroupFilter) { groups(filter: $f) { edges { node { id } } } }`, { f: { search: 'a\u0000b' } });
      expectError(res, 'BAD_USER_INPUT');
    }
  });

  it('completionRate over more than ten years is BAD_USER_INPUT, not minutes of work', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const g = await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE' });
    const rate = (from: string, to: string) => gql(kim.auth, `query($id: ID!, $from: Date, $to: Date) { goal(id: $id) { completionRate(from: $from, to: $to) } }`, { id: g.gid, from, to });
    expectError(await rate('0001-01-01', '9999-12-31'), 'BAD_USER_INPUT');
    expect(ok(await rate('2026-01-01', '2026-12-31')).goal.completionRate).toEqual(expect.any(Number));
  });
});

describe('roster sync', () => {
  it('an external id with a NUL byte is a row error, on a dry run and a real one, with or without an idempotency key', async () => {
    const w = await syncWorld();
    const bad = { externalId: { system: EHR, value: 'P-\u00000001' }, givenName: 'Ann', familyName: 'Lee' };
    const badEmail = rosterRow(2, { email: 'ann\u0000@example.test' });
    for (const options of [{ dryRun: true }, {}, { idempotencyKey: 'sync-nul-1' }]) {
      const before = await tableCounts(w.clinic.id);
      const payload = await synced(syncRoster(w.writer.auth, w.group, [bad, badEmail, rosterRow(3)], options));
      expect(payload.applied).toBe(false);
      expect(payload.errors.map((e: { index: number; code: string }) => [e.index, e.code])).toEqual([[0, 'INVALID_TEXT'], [1, 'INVALID_EMAIL']]);
      const after = await tableCounts(w.clinic.id);
      expect({ ...after, sync_runs: 0, idempotency_keys: 0 }).toEqual({ ...before, sync_runs: 0, idempotency_keys: 0 });
    }
    // The stored answer replays: the same key and input give the same row errors again.
    const replay = await synced(syncRoster(w.writer.auth, w.group, [bad, badEmail, rosterRow(3)], { idempotencyKey: 'sync-nul-1' }));
    expect(replay.errors.map((e: { code: string }) => e.code)).toEqual(['INVALID_TEXT', 'INVALID_EMAIL']);
  });

  it('comparing rows with stored demographics is audited as a read of each matched client, dry run included', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2)));
    const clients = await ownerQuery<{ id: string; value: string }>(
      `SELECT e.resource_id AS id, e.value FROM external_identifiers e WHERE e.clinic_id = $1 AND e.system = $2 ORDER BY e.value`, [w.clinic.id, EHR],
    );
    const reads = (id: string) => ownerQuery(`SELECT actor_type FROM audit_events WHERE resource_id = $1 AND action = 'READ' AND resource_type = 'Client'`, [id]);
    const before = await Promise.all(clients.map((c) => reads(c.id)));
    const dry = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1, { dateOfBirth: '1990-01-01' }), rosterRow(3)], { dryRun: true }));
    expect(dry.clientsUpdated).toEqual([{ index: 0, externalId: extKey(1), fields: ['dateOfBirth'] }]);
    const after = await Promise.all(clients.map((c) => reads(c.id)));
    expect(after[0]).toEqual([...before[0], { actor_type: 'INTEGRATION' }]);
    expect(after[1]).toEqual(before[1]); // not in this sync's rows
  });

  it('a REPLACE that ends most seats by explicit statuses needs confirmation too', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 5)));
    const rows = rosterRows(1, 4, { status: 'WITHDRAWN' });
    const before = await fullState(w.clinic.id);
    const res = await syncRoster(w.writer.auth, w.group, rows, { mode: 'REPLACE' });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ reason: 'LARGE_CHANGE_REQUIRES_CONFIRMATION', wouldEnd: 5, seated: 5 });
    expect(await fullState(w.clinic.id)).toEqual(before);
    const dry = await synced(syncRoster(w.writer.auth, w.group, rows, { mode: 'REPLACE', dryRun: true }));
    expect(dry.requiresConfirmation).toBe(true);
    const done = await synced(syncRoster(w.writer.auth, w.group, rows, { mode: 'REPLACE', confirmLargeChange: true }));
    expect(done.applied).toBe(true);
    expect(await openRoster(w.group.id)).toEqual([]);
  });

  it('an identifier another request adds while the sync runs is a retryable CONFLICT, nothing written; the retry matches it', async () => {
    const w = await syncWorld();
    await warmKey(w.writer.id);
    const owner = await ownerConnection();
    try {
      // Another writer holds a new client with P-0002 uncommitted: the sync's lookup cannot see it,
      // and its insert of the same identifier waits on the unique key.
      await owner.query('BEGIN');
      const [{ id }] = (await owner.query(`INSERT INTO clients (clinic_id, given_name, family_name) VALUES ($1, 'Given2', 'Family2') RETURNING id`, [w.clinic.id])).rows;
      await owner.query(`INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', $2, $3, 'P-0002')`, [w.clinic.id, id, EHR]);
      const before = await tableCounts(w.clinic.id);
      const pending = syncRoster(w.writer.auth, w.group, rosterRows(1, 3));
      await waitForLockWaiters(1);
      await owner.query('COMMIT');
      const res = await pending;
      expectError(res, 'CONFLICT');
      expect(res.errors![0].extensions).toMatchObject({ retryable: true });
      expect(await tableCounts(w.clinic.id)).toEqual({ ...before, clients: before.clients + 1, external_identifiers: before.external_identifiers + 1, change_log: expect.any(Number) });
      expect(await openRoster(w.group.id)).toEqual([]);
    } finally {
      await owner.end();
    }
    const retry = await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 3)));
    expect(retry.applied).toBe(true);
    expect(retry.clientsCreated.map((c: { externalId: string }) => c.externalId)).toEqual([extKey(1), extKey(3)]);
    expect(await openRoster(w.group.id)).toEqual(['P-0001', 'P-0002', 'P-0003']);
  });
});

describe('every read and change of what concerns a member is audited about them', () => {
  const SEND = `mutation($input: SendEncouragementInput!) { sendEncouragement(input: $input) { encouragement { id } } }`;
  const rowsAbout = (resourceId: string) =>
    ownerQuery<{ action: string; actor_type: string; subject_client_id: string | null }>(
      `SELECT action, actor_type, subject_client_id FROM audit_events WHERE resource_id = $1 ORDER BY id`, [resourceId],
    );

  it('a partnership read names the partner (a member\'s own view) or both members (staff); ending it is about both', async () => {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    const p = await partner(kim, lee);
    const before = await rowsAbout(p.id);
    ok(await gql(kim.auth, `{ myPartnerships { id partnerDisplayName proposerDisplayName } }`));
    // The compiled member home answers the same shape with the same rows.
    ok(await gql(lee.auth, `{ myPartnerships { status partnerDisplayName proposerDisplayName } }`));
    ok(await gql(w.clinic.supervisor.auth, `query($id: ID!) { node(id: $id) { ... on AccountabilityPartnership { partnerDisplayName } } }`, { id: p.gid }));
    const reads = (await rowsAbout(p.id)).slice(before.length);
    expect(reads).toEqual([
      { action: 'READ', actor_type: 'CLIENT', subject_client_id: lee.client.id },
      { action: 'READ', actor_type: 'CLIENT', subject_client_id: kim.client.id },
      { action: 'READ', actor_type: 'STAFF', subject_client_id: kim.client.id },
      { action: 'READ', actor_type: 'STAFF', subject_client_id: lee.client.id },
    ]);
    // Sam, not a party, reads nothing of it and is recorded as reading nothing.
    ok(await gql(sam.auth, `{ myPartnerships { id } }`));
    expect((await rowsAbout(p.id)).length).toBe(before.length + 4);

    ok(await gql(w.clinic.admin.auth, `mutation($input: EndPartnershipInput!) { endPartnership(input: $input) { partnership { status } } }`, { input: { partnershipId: p.gid } }));
    const ended = (await rowsAbout(p.id)).filter((r) => r.action === 'UPDATE' && r.actor_type === 'STAFF');
    expect(ended.map((r) => r.subject_client_id).sort()).toEqual([kim.client.id, lee.client.id].sort());
  });

  it('an encouragement read is about its recipient; a connection read and change name the other member', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    await partner(kim, lee);
    const g = await createGoal(kim, { visibility: 'PARTNERS', lifecycleStatus: 'ACTIVE' });
    const sent = ok(await gql(lee.auth, SEND, { input: { goalId: g.gid, message: 'Keep going' } })).sendEncouragement.encouragement;
    ok(await gql(kim.auth, `{ myEncouragements { edges { node { id senderDisplayName message } } } }`));
    // About its recipient since session 13: about its sender, reads were receipts a mute or block stopped.
    expect((await rowsAbout(uuidOf(sent.id))).filter((r) => r.action === 'READ')).toEqual([{ action: 'READ', actor_type: 'CLIENT', subject_client_id: kim.client.id }]);

    await ownerQuery(`UPDATE therapy_groups SET peer_contact_policy = 'ANYTIME' WHERE id = $1`, [w.group.id]);
    const asked = ok(await gql(kim.auth, `mutation($input: RequestConnectionInput!) { requestConnection(input: $input) { connection { id } } }`, { input: { peerMembershipId: lee.membershipGid } })).requestConnection.connection;
    ok(await gql(lee.auth, `{ connections { edges { node { id otherDisplayName message } } } }`));
    ok(await gql(lee.auth, `mutation($input: RespondToConnectionInput!) { respondToConnection(input: $input) { connection { status } } }`, { input: { connectionId: asked.id, accept: false } }));
    const rows = await rowsAbout(uuidOf(asked.id));
    expect(rows.filter((r) => r.action === 'READ' && r.actor_type === 'CLIENT').map((r) => r.subject_client_id)).toContain(kim.client.id);
    expect(rows.filter((r) => r.action === 'UPDATE').map((r) => r.subject_client_id).sort()).toEqual([kim.client.id, lee.client.id].sort());
  });

  it('a member promoted from the waitlist by someone else\'s withdrawal has the change audited about them', async () => {
    const w = await activeGroup({ members: 0 });
    const small = await createGroup(w.clinic, w.clinic.clinician, 1);
    const ann = await enrolNew(w.clinic, small);
    await activateGroup(w.clinic, small);
    const benClient = await w.clinic.addClient();
    const waiting = ok(await gql(w.clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id status } } }`, {
      input: { groupId: small.gid, clientId: benClient.gid },
    })).enrollClient.membership;
    expect(waiting.status).toBe('WAITLISTED');
    const ben = { client: benClient, membershipGid: waiting.id as string };
    ok(await gql(w.clinic.admin.auth, `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { status } } }`, {
      input: { membershipId: ann.membershipGid, status: 'WITHDRAWN', reason: 'moved away' },
    }));
    expect((await ownerQuery(`SELECT status FROM memberships WHERE id = $1`, [uuidOf(ben.membershipGid)]))[0].status).toBe('ACTIVE');
    expect((await rowsAbout(uuidOf(ben.membershipGid))).filter((r) => r.action === 'UPDATE')).toEqual([
      { action: 'UPDATE', actor_type: 'STAFF', subject_client_id: ben.client.id },
    ]);
  });

  it('a refused look at this clinic\'s client is a denial about them; another clinic\'s id names no one', async () => {
    const w = await activeGroup({ members: 1 });
    const stranger = await w.clinic.addClient();
    const neighbour = await activeGroup({ members: 1 });
    const [kim] = w.members;
    for (const target of [stranger, neighbour.members[0].client]) {
      expectError(await gql(kim.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: target.gid }), 'NOT_FOUND');
    }
    const about = (id: string) => ownerQuery(`SELECT action, code FROM audit_events WHERE subject_client_id = $1 AND clinic_id = $2 AND actor_type = 'CLIENT'`, [id, w.clinic.id]);
    expect(await about(stranger.id)).toEqual([{ action: 'DENIED', code: 'NOT_FOUND' }]);
    expect(await about(neighbour.members[0].client.id)).toEqual([]);
  });

  it('a consent:read integration gets no member\'s name through a consent\'s actors', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const key = await w.clinic.addApiKey(['consent:read'], 'Reader');
    const consent = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const res = ok(await gql(key.auth, `query($id: ID!) { node(id: $id) { ... on ConsentRecord { client { id } recordedBy { kind name } history { actor { kind name } } } } }`, { id: consent.gid }));
    expect(res.node).toEqual({ client: null, recordedBy: { kind: 'CLIENT', name: null }, history: [{ actor: { kind: 'CLIENT', name: null } }] });
    // A person still sees who recorded it: the member themself as "you".
    expect(ok(await gql(kim.auth, `query($id: ID!) { node(id: $id) { ... on ConsentRecord { recordedBy { name } } } }`, { id: consent.gid })).node.recordedBy.name).toBe('you');
  });

  it('a roster sync audits the open memberships it compared, dry run included', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, rosterRows(1, 2)));
    const [m] = await ownerQuery<{ id: string; client_id: string }>(`SELECT id, client_id FROM memberships WHERE group_id = $1 ORDER BY created_at, id LIMIT 1`, [w.group.id]);
    const before = (await rowsAbout(m.id)).filter((r) => r.action === 'READ').length;
    await synced(syncRoster(w.writer.auth, w.group, [], { mode: 'REPLACE', dryRun: true }));
    const reads = (await rowsAbout(m.id)).filter((r) => r.action === 'READ');
    expect(reads.length).toBe(before + 1);
    expect(reads.at(-1)).toEqual({ action: 'READ', actor_type: 'INTEGRATION', subject_client_id: m.client_id });
  });
});

describe('mutations keep their invariants against concurrent changes and finished states', () => {
  /** Runs `attempt` while an owner transaction holds `lock` (uncommitted SQL), commits that once the API waits, and returns the answer. */
  async function whileHeld(lock: (owner: import('pg').Client) => Promise<unknown>, attempt: () => Promise<import('../support/test-app').GqlResult>) {
    const owner = await ownerConnection();
    try {
      await owner.query('BEGIN');
      await lock(owner);
      const pending = attempt();
      await waitForLockWaiters(1);
      await owner.query('COMMIT');
      return await pending;
    } finally {
      await owner.end();
    }
  }

  it('a check-in racing a goal\'s completion is a CONFLICT, no check-in stored', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const g = await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE' });
    const res = await whileHeld(
      (owner) => owner.query(`UPDATE goals SET lifecycle_status = 'COMPLETED' WHERE id = $1`, [g.id]),
      () => gql(kim.auth, `mutation($input: RecordCheckInInput!) { recordCheckIn(input: $input) { checkIn { id } } }`, { input: { goalId: g.gid, value: 1 } }),
    );
    expectError(res, 'CONFLICT');
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM goal_check_ins WHERE goal_id = $1`, [g.id])).toEqual([{ n: 0 }]);
  });

  it('a session update or attendance racing its cancellation is a CONFLICT: the session stays cancelled, no attendance', async () => {
    const world = await sessionWorld({ members: 1 });
    const cancel = (owner: import('pg').Client) =>
      owner.query(`UPDATE group_sessions SET status = 'CANCELLED', cancel_reason = 'snow', cancelled_at = now() WHERE id = $1`, [world.session.id]);
    const update = await whileHeld(cancel, () =>
      gql(world.lead.auth, `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { session { status } } }`, { input: { sessionId: world.session.gid, status: 'HELD' } }),
    );
    expectError(update, 'CONFLICT');
    expect((await ownerQuery(`SELECT status FROM group_sessions WHERE id = $1`, [world.session.id]))[0].status).toBe('CANCELLED');

    const other = await sessionWorld({ members: 1 });
    const cancelOther = (owner: import('pg').Client) =>
      owner.query(`UPDATE group_sessions SET status = 'CANCELLED', cancel_reason = 'snow', cancelled_at = now() WHERE id = $1`, [other.session.id]);
    const attendance = await whileHeld(cancelOther, () =>
      gql(other.lead.auth, `mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { session { status } } }`, {
        input: { sessionId: other.session.gid, records: [{ membershipId: other.members[0].gid, status: 'PRESENT' }] },
      }),
    );
    expectError(attendance, 'CONFLICT');
    expect(await attendanceRowsOf(other.session.id)).toEqual([]);
    expect((await ownerQuery(`SELECT status FROM group_sessions WHERE id = $1`, [other.session.id]))[0].status).toBe('CANCELLED');
  });

  it('a partnership proposed or accepted while a membership ends is a CONFLICT, so no partnership outlives it', async () => {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    const withdraw = (membershipId: string) => (owner: import('pg').Client) => owner.query(`UPDATE memberships SET status = 'WITHDRAWN' WHERE id = $1`, [membershipId]);
    const proposed = await whileHeld(withdraw(lee.membershipId), () =>
      gql(kim.auth, `mutation($input: ProposePartnershipInput!) { proposePartnership(input: $input) { partnership { id } } }`, { input: { partnerMembershipId: lee.membershipGid } }),
    );
    expectError(proposed, 'CONFLICT');
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM accountability_partnerships WHERE group_id = $1`, [w.group.id])).toEqual([{ n: 0 }]);

    const asked = ok(await gql(kim.auth, `mutation($input: ProposePartnershipInput!) { proposePartnership(input: $input) { partnership { id } } }`, { input: { partnerMembershipId: sam.membershipGid } })).proposePartnership.partnership;
    const accepted = await whileHeld(withdraw(kim.membershipId), () =>
      gql(sam.auth, `mutation($input: RespondToPartnershipInput!) { respondToPartnership(input: $input) { partnership { status } } }`, { input: { partnershipId: asked.id, accept: true } }),
    );
    expectError(accepted, 'CONFLICT');
    expect((await ownerQuery(`SELECT status FROM accountability_partnerships WHERE id = $1`, [uuidOf(asked.id)]))[0].status).toBe('PROPOSED');
  });

  it('a concluded group seats no one, by changeMembershipStatus or by roster sync', async () => {
    const w = await syncWorld();
    await synced(syncRoster(w.writer.auth, w.group, [rosterRow(1), rosterRow(2, { status: 'SCREENING' })]));
    ok(await gql(w.clinic.admin.auth, `mutation($input: ChangeGroupStatusInput!) { changeGroupStatus(input: $input) { group { status } } }`, { input: { groupId: w.group.gid, status: 'CONCLUDED' } }));
    const [screening] = await ownerQuery<{ id: string }>(`SELECT id FROM memberships WHERE group_id = $1 AND status = 'SCREENING'`, [w.group.id]);
    const before = await fullState(w.clinic.id);
    const res = await gql(w.clinic.admin.auth, `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { status } } }`, {
      input: { membershipId: toGlobalId('Membership', screening.id), status: 'ACTIVE', reason: 'late start' },
    });
    expectError(res, 'CONFLICT');
    const payload = await synced(syncRoster(w.writer.auth, w.group, [rosterRow(2, { status: 'ACTIVE' })]));
    expect(payload.applied).toBe(false);
    expect(payload.errors.map((e: { index: number; code: string }) => [e.index, e.code])).toEqual([[0, 'CONFLICT']]);
    const after = await fullState(w.clinic.id);
    expect({ ...after, counts: { ...after.counts, sync_runs: 0 } }).toEqual({ ...before, counts: { ...before.counts, sync_runs: 0 } });
  });

  it('RSVPs close when the event is over: CONFLICT, nothing stored', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const event = ok(await gql(w.clinic.clinician.auth, `mutation($input: CreateGroupEventInput!) { createGroupEvent(input: $input) { event { id } } }`, {
      input: { groupId: w.group.gid, kind: 'OUTING', audience: 'MEMBERS', title: 'Picnic', startsAt: new Date(Date.now() + 86_400_000).toISOString() },
    })).createGroupEvent.event;
    await ownerQuery(`UPDATE group_events SET starts_at = now() - interval '2 days', ends_at = now() - interval '1 day' WHERE id = $1`, [uuidOf(event.id)]);
    const res = await gql(kim.auth, `mutation($input: RsvpGroupEventInput!) { rsvpGroupEvent(input: $input) { event { id } } }`, { input: { eventId: event.id, response: 'GOING' } });
    expectError(res, 'CONFLICT');
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM event_rsvps WHERE event_id = $1`, [uuidOf(event.id)])).toEqual([{ n: 0 }]);
  });

  it('a member\'s connection requests are serialised, so parallel ones cannot pass the pending limit together', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    await ownerQuery(`UPDATE therapy_groups SET peer_contact_policy = 'ANYTIME' WHERE id = $1`, [w.group.id]);
    const owner = await ownerConnection();
    try {
      // Holding the member's request lock makes their request wait for it: the count and insert run one request at a time.
      await owner.query(`SELECT pg_advisory_lock(hashtext('connection-request:' || $1))`, [kim.client.id]);
      const pending = gql(kim.auth, `mutation($input: RequestConnectionInput!) { requestConnection(input: $input) { connection { id } } }`, { input: { peerMembershipId: lee.membershipGid } });
      await waitForLockWaiters(1);
      await owner.query(`SELECT pg_advisory_unlock(hashtext('connection-request:' || $1))`, [kim.client.id]);
      ok(await pending);
    } finally {
      await owner.end();
    }
  });
});

describe('staff changes keep every group validly facilitated', () => {
  const UPDATE_STAFF = `mutation($input: UpdateStaffMemberInput!) { updateStaffMember(input: $input) { staffMember { role active } } }`;
  const staffRow = async (id: string) => (await ownerQuery(`SELECT role, active FROM staff_members WHERE id = $1`, [id]))[0];

  it('a facilitator is not made an ADMIN while assigned, and the only active lead of an ACTIVE group is not deactivated', async () => {
    const w = await activeGroup({ members: 1 });
    const lead = w.clinic.clinician;
    const promote = await gql(w.clinic.admin.auth, UPDATE_STAFF, { input: { id: lead.gid, role: 'ADMIN' } });
    expectError(promote, 'CONFLICT');
    expect(promote.errors![0].extensions).toMatchObject({ reason: 'FACILITATES_GROUPS' });
    const deactivate = await gql(w.clinic.admin.auth, UPDATE_STAFF, { input: { id: lead.gid, active: false } });
    expectError(deactivate, 'CONFLICT');
    expect(deactivate.errors![0].extensions).toMatchObject({ reason: 'LEAD_FACILITATOR_REQUIRED' });
    expect(await staffRow(lead.id)).toEqual({ role: 'CLINICIAN', active: true });

    // With a second, active lead the first may go; an inactive one does not count as the group's lead.
    const second = await w.clinic.addStaff('CLINICIAN', 'Second Lead');
    ok(await gql(w.clinic.admin.auth, `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`, {
      input: { groupId: w.group.gid, staffMemberId: second.gid, role: 'LEAD' },
    }));
    expect(ok(await gql(w.clinic.admin.auth, UPDATE_STAFF, { input: { id: lead.gid, active: false } })).updateStaffMember.staffMember).toEqual({ role: 'CLINICIAN', active: false });
    expectError(await gql(w.clinic.admin.auth, UPDATE_STAFF, { input: { id: second.gid, active: false } }), 'CONFLICT');
    expect(await staffRow(second.id)).toEqual({ role: 'CLINICIAN', active: true });
  });
});

describe('HTTP answers are never stored', () => {
  it('every /graphql answer says no-store and nosniff and carries no ETag: front door, Apollo, errors and refusals', async () => {
    const request = (await import('supertest')).default;
    const { app } = await getTestApp();
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const home = `{ viewer { client { displayName memberships { status group { name } } } } }`;
    const answers = [
      await request(app).post('/graphql').set('content-type', 'application/json').set('authorization', kim.auth).send({ query: home }),
      await request(app).post('/graphql').set('content-type', 'application/json').set('authorization', w.clinic.admin.auth).send({ query: '{ clinic { name } }' }),
      await request(app).post('/graphql').set('content-type', 'application/json').send({ query: '{ clinic { name } }' }),
      await request(app).post('/graphql').set('content-type', 'application/json').send('{"query": '),
      await request(app).get('/graphql').query({ query: '{ clinic { name } }' }).set('apollo-require-preflight', '1').set('authorization', w.clinic.admin.auth),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 400, 200]);
    expect(answers[0].body.data.viewer.client.displayName).toBeTruthy();
    for (const r of answers) {
      expect([r.headers['cache-control'], r.headers['x-content-type-options'], r.headers.etag]).toEqual(['no-store', 'nosniff', undefined]);
    }
  });
});

describe('goal pages are chosen among goals the viewer could see', () => {
  const PAGE = `query($first: Int!, $filter: GoalFilter) { goals(first: $first, filter: $filter) { edges { node { title } } pageInfo { hasNextPage endCursor } } }`;

  it('a member\'s page does not count peers\' private or proposed goals: hasNextPage tells nothing of them', async () => {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    for (const m of [lee, sam]) {
      await createGoal(m, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: 'Private' });
      await createGoal(m, { visibility: 'GROUP', lifecycleStatus: 'PROPOSED', title: 'Proposed' });
    }
    const hidden = ok(await gql(kim.auth, PAGE, { first: 1, filter: { visibility: ['PRIVATE'] } })).goals;
    expect(hidden).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: 'Mine' });
    const mine = ok(await gql(kim.auth, PAGE, { first: 1, filter: { visibility: ['PRIVATE'] } })).goals;
    expect(mine.edges).toEqual([{ node: { title: 'Mine' } }]);
    expect(mine.pageInfo.hasNextPage).toBe(false);
  });

  it('a member pages through exactly the goals the rule shows them: hidden peer goals neither fill nor stall a page', async () => {
    const w = await activeGroup({ members: 4 });
    const [kim, lee, sam, tom] = w.members;
    // Older than Kim's own goal: GROUP goals of peers who never shared, PARTNERS goals Kim is no partner to, and the
    // shared GROUP goal of a member now on hold.
    for (const m of [lee, sam]) for (let i = 0; i < 2; i++) await createGoal(m, { visibility: 'GROUP', lifecycleStatus: 'ACTIVE', title: `Unshared ${i}` });
    await createGoal(lee, { visibility: 'PARTNERS', lifecycleStatus: 'ACTIVE', title: 'For partners' });
    await createGoal(tom, { visibility: 'GROUP', lifecycleStatus: 'ACTIVE', title: 'On hold' });
    await shareGoals(tom, w.group);
    ok(await gql(w.clinic.admin.auth, `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { status } } }`, {
      input: { membershipId: tom.membershipGid, status: 'ON_HOLD', reason: 'Hospital stay' },
    }));
    await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: 'Mine' });
    const goalReads = async () =>
      (await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE actor_id = $1 AND action = 'READ' AND resource_type = 'Goal'`, [kim.client.id]))[0].n;
    const before = await goalReads();
    const page = ok(await gql(kim.auth, PAGE, { first: 2 })).goals;
    expect(page.edges).toEqual([{ node: { title: 'Mine' } }]);
    expect(page.pageInfo.hasNextPage).toBe(false);
    // Sam shares: Sam's goals join Kim's pages, in creation order, and each page's cursor leads to the next.
    await shareGoals(sam, w.group);
    const first = ok(await gql(kim.auth, PAGE, { first: 2 })).goals;
    expect(first.edges).toEqual([{ node: { title: 'Unshared 0' } }, { node: { title: 'Unshared 1' } }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = ok(await gql(kim.auth, `query($after: String) { goals(first: 2, after: $after) { edges { node { title ownerDisplayName } } pageInfo { hasNextPage } } }`, { after: first.pageInfo.endCursor })).goals;
    expect(next).toEqual({ edges: [{ node: { title: 'Mine', ownerDisplayName: expect.any(String) } }], pageInfo: { hasNextPage: false } });
    // Only what was shown was audited: one goal on the first page, then two and one.
    expect((await goalReads()) - before).toBe(4);
  });

  it('an integration pages through consenting clients\' goals only: no empty pages, no stall, no count of the others', async () => {
    const w = await activeGroup({ members: 4 });
    const [ann, ben, cat, dan] = w.members;
    const key = await w.clinic.addApiKey(['goals:read'], 'App');
    // Older goals of clients who never consented come first in creation order.
    for (const m of [ann, ben]) for (let i = 0; i < 3; i++) await createGoal(m, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: `Not shared ${i}` });
    for (const m of [cat, dan]) {
      await createGoal(m, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: `Shared by ${m.client.givenName}` });
      await grantConsent(m.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    }
    const first = ok(await gql(key.auth, PAGE, { first: 1 })).goals;
    expect(first.edges).toEqual([{ node: { title: `Shared by ${cat.client.givenName}` } }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = ok(await gql(key.auth, `query($after: String) { goals(first: 1, after: $after) { edges { node { title } } pageInfo { hasNextPage } } }`, { after: first.pageInfo.endCursor })).goals;
    expect(next).toEqual({ edges: [{ node: { title: `Shared by ${dan.client.givenName}` } }], pageInfo: { hasNextPage: false } });
  });
});
