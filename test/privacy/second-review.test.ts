/**
 * Regression tests for what a second privacy review of the whole API found (session 7): each
 * was reproduced against the code before its fix. The event, contact-card and consent-grant
 * findings are tested beside their features (events, connections, consent tests) as well.
 */
import { toGlobalId } from '../../src/common/global-id';
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import {
  activateGroup, activeGroup, checkIn, createGoal, createGroup, enrolNew, acceptAgreement, expectRefused, grantConsent, GRANT_CONSENT, ok,
} from '../goals/goal-fixtures';
import { auditRowsOf, createNote, recordAttendance, sessionWorld, signNote, ADD_ADDENDUM, attendanceRowsOf } from '../sessions/session-fixtures';

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
