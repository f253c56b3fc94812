import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { ownerQuery, StaffFixture, tokenFor } from '../support/factories';
import { testEnv } from '../support/test-env';
import {
  ADD_ADDENDUM,
  createNote,
  expectError,
  gql,
  Member,
  minutesFromNow,
  MY_NOTES,
  neighbourClinic,
  NOTE_NODE,
  noteGid,
  NoteRef,
  ok,
  SESSION_NOTE,
  schedule,
  SESSION_NOTES,
  sessionState,
  sessionWorld,
  signNote,
  World,
} from '../sessions/session-fixtures';

let neighbour: World;
beforeAll(async () => {
  neighbour = await neighbourClinic();
});

const GROUP_SESSION_NOTES = `query($id: ID!) { group(id: $id) { sessions { id notes { id kind body } } } }`;
const ASSIGN_FACILITATOR = `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`;
const MY_ACCESS_REPORT = `{ myAccessReport { subjectDisplayName accesses { action resourceType occurredAt actor { kind name role } } } }`;

interface PrivacyWorld extends World {
  a: Member;
  b: Member;
  coFacilitator: StaffFixture;
  groupNote: NoteRef;
  progressA: NoteRef;
  progressB: NoteRef;
  psychotherapyB: NoteRef;
}

/**
 * A group with members A and B, a CO facilitator, and every kind of note, all signed: the GROUP
 * note, a PROGRESS note for each member shared with them, and the lead's PSYCHOTHERAPY note about B.
 */
async function privacyWorld(): Promise<PrivacyWorld> {
  const world = await sessionWorld({ members: 2 });
  const [a, b] = world.members;
  const coFacilitator = await world.clinic.addStaff('CLINICIAN');
  // Assigned from long before the session, as the lead is: a clinician writes up days their assignment covered.
  ok(await gql(world.clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: world.group.gid, staffMemberId: coFacilitator.gid, role: 'CO', periodStart: '2020-01-01' } }));
  const groupNote = await createNote(world, { kind: 'GROUP', body: 'Group note: themes of grief.' });
  const progressA = await createNote(world, { kind: 'PROGRESS', body: 'Progress A: steady.', member: a, sharedWithClient: true });
  const progressB = await createNote(world, { kind: 'PROGRESS', body: 'Progress B: disclosed relapse.', member: b, sharedWithClient: true });
  const psychotherapyB = await createNote(world, { kind: 'PSYCHOTHERAPY', body: 'Process: countertransference with B.', member: b });
  for (const note of [groupNote, progressA, progressB, psychotherapyB]) await signNote(world, note);
  return { ...world, a, b, coFacilitator, groupNote, progressA, progressB, psychotherapyB };
}

/** The ids of the notes `auth` gets in `groupSession.notes`. */
const listedNotes = async (auth: string, session: { gid: string }): Promise<string[]> =>
  ok(await gql(auth, SESSION_NOTES, { id: session.gid })).groupSession.notes.map((n: any) => n.id);

/** Proves `auth` cannot fetch the note by `sessionNote` or `node`: NOT_FOUND, exactly as for a missing id. */
async function expectHidden(auth: string, note: NoteRef) {
  const missing = noteGid(randomUUID());
  const direct = await gql(auth, SESSION_NOTE, { id: note.gid });
  expectError(direct, 'NOT_FOUND');
  expect(direct.data).toBeNull();
  expect(direct.body.errors).toEqual((await gql(auth, SESSION_NOTE, { id: missing })).body.errors);
  const node = await gql(auth, NOTE_NODE, { id: note.gid });
  expectError(node, 'NOT_FOUND');
  expect(node.data).toBeNull();
  expect(node.body.errors).toEqual((await gql(auth, NOTE_NODE, { id: missing })).body.errors);
}

/** Runs `run` as the server's own role in a transaction with this clinic and staff id set, then rolls it back. */
async function asStaff<T>(clinicId: string, staffId: string | null, run: (db: PgClient) => Promise<T>): Promise<T> {
  const db = new PgClient({ connectionString: testEnv().appUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(`SELECT set_config('app.clinic_id', $1, true)`, [clinicId]);
    if (staffId) await db.query(`SELECT set_config('app.staff_id', $1, true)`, [staffId]);
    return await run(db);
  } finally {
    await db.query('ROLLBACK').catch(() => undefined);
    await db.end();
  }
}

describe('members and notes', () => {
  it('never lets member A read member B\'s progress note: not by sessionNote, node, groupSession.notes, group.sessions or myNotes', async () => {
    const world = await privacyWorld();
    const before = await sessionState(world.clinic.id);
    await expectHidden(world.a.auth, world.progressB);
    expect(await listedNotes(world.a.auth, world.session)).not.toContain(world.progressB.gid);
    const viaGroup = ok(await gql(world.a.auth, GROUP_SESSION_NOTES, { id: world.group.gid })).group.sessions;
    expect(viaGroup.flatMap((s: any) => s.notes.map((n: any) => n.id))).not.toContain(world.progressB.gid);
    const mine = ok(await gql(world.a.auth, MY_NOTES)).myNotes;
    expect(mine.map((n: any) => n.id)).not.toContain(world.progressB.gid);
    // Nothing of B's text reached A by any of these paths.
    const everything = JSON.stringify([viaGroup, mine, await gql(world.a.auth, SESSION_NOTES, { id: world.session.gid })]);
    expect(everything).not.toContain('relapse');
    expect(everything).not.toContain('countertransference');
    expect(await sessionState(world.clinic.id)).toEqual(before);
  });

  it('tells a former member the date of service of their shared note, though its session is no longer theirs to see (session 14)', async () => {
    // Before: `session` is null for alumni, and nothing else on the note said when the meeting was.
    const world = await privacyWorld();
    ok(await gql(world.clinic.admin.auth, `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { status } } }`, {
      input: { membershipId: world.a.gid, status: 'COMPLETED', reason: 'Finished the group' },
    }));
    const mine = ok(await gql(world.a.auth, `{ myNotes { id meetingStart session { id } } }`)).myNotes;
    expect(mine).toEqual([{ id: world.progressA.gid, meetingStart: world.session.scheduledStart, session: null }]);
  });

  it('hides a member\'s own PROGRESS note while it is signed but not shared, or shared but still a draft', async () => {
    const world = await sessionWorld({ members: 1 });
    const [member] = world.members;
    const [second] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-24 * 60) });
    const signedNotShared = await createNote(world, { kind: 'PROGRESS', body: 'Signed, not shared.', member });
    await signNote(world, signedNotShared);
    const sharedDraft = await createNote({ lead: world.lead, session: second }, { kind: 'PROGRESS', body: 'Shared, unsigned.', member, sharedWithClient: true });
    for (const note of [signedNotShared, sharedDraft]) await expectHidden(member.auth, note);
    expect(ok(await gql(member.auth, MY_NOTES)).myNotes).toEqual([]);
    expect(await listedNotes(member.auth, world.session)).toEqual([]);
    expect(await listedNotes(member.auth, second)).toEqual([]);
  });

  it('shows a member their signed, shared PROGRESS note by every path, and never while it is a draft', async () => {
    const world = await sessionWorld({ members: 1 });
    const [member] = world.members;
    const text = 'You practised the skill twice this week.';
    const draft = await createNote(world, { kind: 'PROGRESS', body: text, member, sharedWithClient: true });
    await expectHidden(member.auth, draft);
    expect(ok(await gql(member.auth, MY_NOTES)).myNotes).toEqual([]);
    expect(await listedNotes(member.auth, world.session)).toEqual([]);

    await signNote(world, draft);
    expect(ok(await gql(member.auth, SESSION_NOTE, { id: draft.gid })).sessionNote).toMatchObject({ id: draft.gid, kind: 'PROGRESS', status: 'SIGNED', body: text });
    expect(ok(await gql(member.auth, NOTE_NODE, { id: draft.gid })).node).toMatchObject({ id: draft.gid, body: text });
    expect(ok(await gql(member.auth, MY_NOTES)).myNotes).toEqual([{ id: draft.gid, kind: 'PROGRESS', status: 'SIGNED', body: text }]);
    expect(await listedNotes(member.auth, world.session)).toEqual([draft.gid]);
  });

  it('never shows members a GROUP note, nor a PSYCHOTHERAPY note about them', async () => {
    const world = await privacyWorld();
    for (const member of [world.a, world.b]) {
      await expectHidden(member.auth, world.groupNote);
      await expectHidden(member.auth, world.psychotherapyB);
      const listed = await listedNotes(member.auth, world.session);
      expect(listed).not.toContain(world.groupNote.gid);
      expect(listed).not.toContain(world.psychotherapyB.gid);
    }
    // Each member sees exactly their own shared progress note.
    expect(await listedNotes(world.a.auth, world.session)).toEqual([world.progressA.gid]);
    expect((ok(await gql(world.b.auth, MY_NOTES)).myNotes as any[]).map((n) => n.id)).toEqual([world.progressB.gid]);
  });
});

describe('staff and notes', () => {
  it('shows admins note metadata with a null body, and writes no body read for them', async () => {
    const world = await privacyWorld();
    ok(await gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: world.progressB.gid, body: 'Addendum text.' } }));
    const res = await gql(world.clinic.admin.auth, `query($id: ID!) { sessionNote(id: $id) { id kind status contentHash body addenda { body contentHash } author { id } } }`, {
      id: world.progressB.gid,
    });
    const note = ok(res).sessionNote;
    expect(note).toMatchObject({ id: world.progressB.gid, kind: 'PROGRESS', status: 'SIGNED', body: null, author: { id: world.lead.gid } });
    // No hash of the body either: a plain SHA-256 of a short note would confirm a guess.
    expect(note.contentHash).toBeNull();
    expect(note.addenda).toEqual([{ body: null, contentHash: null }]);
    expect((await ownerQuery(`SELECT content_hash FROM session_notes WHERE id = $1`, [world.progressB.id]))[0].content_hash).toMatch(/^[0-9a-f]{64}$/);
    const listed = ok(await gql(world.clinic.admin.auth, SESSION_NOTES, { id: world.session.gid })).groupSession.notes;
    expect(listed.map((n: any) => n.id).sort()).toEqual([world.groupNote.gid, world.progressA.gid, world.progressB.gid].sort());
    expect(listed.every((n: any) => n.body === null)).toBe(true);
    const adminReads = await ownerQuery(`SELECT 1 FROM audit_events WHERE actor_id = $1 AND action = 'READ' AND resource_type IN ('SessionNote', 'NoteAddendum')`, [
      world.clinic.admin.id,
    ]);
    expect(adminReads).toEqual([]);
  });

  it('lets the group\'s facilitators and any supervisor read GROUP and PROGRESS bodies, but not a clinician outside the group', async () => {
    const world = await privacyWorld();
    for (const staff of [world.lead, world.coFacilitator, world.clinic.supervisor]) {
      const note = ok(await gql(staff.auth, SESSION_NOTE, { id: world.progressB.gid })).sessionNote;
      expect(note.body).toBe('Progress B: disclosed relapse.');
      const listed = ok(await gql(staff.auth, SESSION_NOTES, { id: world.session.gid })).groupSession.notes;
      expect(listed.filter((n: any) => n.kind !== 'PSYCHOTHERAPY').map((n: any) => n.body).sort()).toEqual(
        ['Group note: themes of grief.', 'Progress A: steady.', 'Progress B: disclosed relapse.'].sort(),
      );
    }
    const outsider = await world.clinic.addStaff('CLINICIAN');
    for (const note of [world.groupNote, world.progressB, world.psychotherapyB]) await expectHidden(outsider.auth, note);
    expect(await listedNotes(outsider.auth, world.session)).toEqual([]);
    // Another clinic's supervisor sees nothing at all.
    await expectHidden(neighbour.clinic.supervisor.auth, world.progressB);
  });
});

describe('psychotherapy notes: the author alone', () => {
  it('hides a psychotherapy note from a supervisor, an admin and a co-facilitator by every path, and shows it to its author', async () => {
    const world = await privacyWorld();
    for (const staff of [world.clinic.supervisor, world.clinic.admin, world.coFacilitator]) {
      await expectHidden(staff.auth, world.psychotherapyB);
      expect(await listedNotes(staff.auth, world.session)).not.toContain(world.psychotherapyB.gid);
      const viaGroup = ok(await gql(staff.auth, GROUP_SESSION_NOTES, { id: world.group.gid })).group.sessions;
      expect(JSON.stringify(viaGroup)).not.toContain(world.psychotherapyB.gid);
      // Admins write no notes at all (FORBIDDEN by role); note writers cannot find it (NOT_FOUND).
      const addendum = await gql(staff.auth, ADD_ADDENDUM, { input: { noteId: world.psychotherapyB.gid, body: 'Sneaky.' } });
      expectError(addendum, staff === world.clinic.admin ? 'FORBIDDEN' : 'NOT_FOUND');
    }
    const own = ok(await gql(world.lead.auth, SESSION_NOTE, { id: world.psychotherapyB.gid })).sessionNote;
    expect(own).toMatchObject({ kind: 'PSYCHOTHERAPY', body: 'Process: countertransference with B.' });
    expect(ok(await gql(world.lead.auth, NOTE_NODE, { id: world.psychotherapyB.gid })).node.body).toBe('Process: countertransference with B.');
    expect(await listedNotes(world.lead.auth, world.session)).toContain(world.psychotherapyB.gid);
    expect(await ownerQuery(`SELECT 1 FROM note_addenda WHERE note_id = $1`, [world.psychotherapyB.id])).toEqual([]);
  });

  it('hides a co-facilitator\'s psychotherapy note from the lead too', async () => {
    const world = await privacyWorld();
    const coNote = await createNote(world, { kind: 'PSYCHOTHERAPY', body: 'Co-facilitator process note.', member: world.a }, world.coFacilitator.auth);
    await expectHidden(world.lead.auth, coNote);
    expect(await listedNotes(world.lead.auth, world.session)).not.toContain(coNote.gid);
    expect(ok(await gql(world.coFacilitator.auth, SESSION_NOTE, { id: coNote.gid })).sessionNote.body).toBe('Co-facilitator process note.');
  });

  it('is not read by its author once made an admin: admins read no note bodies (session 12)', async () => {
    const world = await privacyWorld();
    const note = await createNote(world, { kind: 'PSYCHOTHERAPY', body: 'Supervisor process note.', member: world.a }, world.clinic.supervisor.auth);
    expect(ok(await gql(world.clinic.supervisor.auth, SESSION_NOTE, { id: note.gid })).sessionNote.body).toBe('Supervisor process note.');
    ok(await gql(world.clinic.admin.auth, `mutation($input: UpdateStaffMemberInput!) { updateStaffMember(input: $input) { staffMember { role } } }`, {
      input: { id: world.clinic.supervisor.gid, role: 'ADMIN' },
    }));
    const asAdmin = await tokenFor(world.clinic.id, world.clinic.supervisor.id, 'ADMIN');
    await expectHidden(asAdmin, note);
    expect(await listedNotes(asAdmin, world.session)).not.toContain(note.gid);
  });

  it('returns no psychotherapy row to a direct SELECT as the server\'s role unless app.staff_id is the author', async () => {
    const world = await privacyWorld();
    const countAs = (staffId: string | null) =>
      asStaff(world.clinic.id, staffId, async (db) => {
        const { rows } = await db.query(`SELECT kind, count(*)::int AS n FROM session_notes WHERE session_id = $1 GROUP BY kind ORDER BY kind`, [
          world.session.id,
        ]);
        return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
      });
    for (const other of [world.clinic.supervisor.id, world.clinic.admin.id, world.coFacilitator.id, null]) {
      expect(await countAs(other)).toEqual({ GROUP: 1, PROGRESS: 2 });
    }
    expect(await countAs(world.lead.id)).toEqual({ GROUP: 1, PROGRESS: 2, PSYCHOTHERAPY: 1 });
  });

  it('hides a psychotherapy note\'s addenda the same way, and refuses one written as anyone but the author', async () => {
    const world = await privacyWorld();
    ok(await gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: world.psychotherapyB.gid, body: 'Later reflection.' } }));
    const countAs = (staffId: string | null) =>
      asStaff(world.clinic.id, staffId, async (db) => (await db.query(`SELECT count(*)::int AS n FROM note_addenda WHERE note_id = $1`, [world.psychotherapyB.id])).rows[0].n);
    for (const other of [world.clinic.supervisor.id, world.clinic.admin.id, world.coFacilitator.id, null]) expect(await countAs(other)).toBe(0);
    expect(await countAs(world.lead.id)).toBe(1);
    const stored = await ownerQuery(`SELECT id FROM note_addenda WHERE note_id = $1`, [world.psychotherapyB.id]);
    const insert = asStaff(world.clinic.id, world.clinic.supervisor.id, (db) =>
      db.query(
        `INSERT INTO note_addenda (clinic_id, note_id, author_staff_id, body, key_id, content_hash) VALUES ($3, $1, $2, '\\x00'::bytea, 'k', 'h')`,
        [world.psychotherapyB.id, world.clinic.supervisor.id, world.clinic.id],
      ),
    );
    await expect(insert).rejects.toMatchObject({ code: '42501' });
    expect(await ownerQuery(`SELECT id FROM note_addenda WHERE note_id = $1`, [world.psychotherapyB.id])).toEqual(stored);
  });
});

describe('psychotherapy notes in access reports', () => {
  const CLIENT_ACCESS_REPORT = `query($id: ID!) { clientAccessReport(clientId: $id) { accesses { action resourceType actor { kind name role } } } }`;

  it('leaves a psychotherapy note out of the member\'s and the supervisor\'s access reports', async () => {
    // B has a psychotherapy note and no other note: any SessionNote entry would reveal it.
    const world = await sessionWorld({ members: 1 });
    const [b] = world.members;
    const note = await createNote(world, { kind: 'PSYCHOTHERAPY', body: 'Process note about B.', member: b });
    await signNote(world, note);
    ok(await gql(world.lead.auth, SESSION_NOTE, { id: note.gid }));

    const own = ok(await gql(b.auth, MY_ACCESS_REPORT)).myAccessReport.accesses;
    expect(own.filter((x: any) => x.resourceType === 'SessionNote')).toEqual([]);
    const supervisors = ok(await gql(world.clinic.supervisor.auth, CLIENT_ACCESS_REPORT, { id: b.client.gid })).clientAccessReport.accesses;
    expect(supervisors.filter((x: any) => x.resourceType === 'SessionNote')).toEqual([]);
  });
});

describe('psychotherapy notes in the audit trail', () => {
  const AUDIT_EVENTS = `query($filter: AuditEventFilter) { auditEvents(first: 100, filter: $filter) { edges { node { resourceType resourceId requestId subjectClientId } } } }`;
  const READ_WITH_MEMBER = `query($id: ID!) { sessionNote(id: $id) { body membership { id displayName } addenda { body } } }`;

  it('writes a psychotherapy note\'s records apart from the request\'s others, and lists them to no admin', async () => {
    const world = await privacyWorld();
    ok(await gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: world.progressB.gid, body: 'Correction: a week, not a month.' } }));
    const addendum = ok(await gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: world.psychotherapyB.gid, body: 'Later reflection.' } }));
    expect(addendum.addNoteAddendum.addendum.body).toBe('Later reflection.');
    // The author reads the note with the member it is about, as a clinician's app would.
    const read = await gql(world.lead.auth, READ_WITH_MEMBER, { id: world.psychotherapyB.gid });
    expect(ok(read).sessionNote).toMatchObject({ body: 'Process: countertransference with B.', membership: { id: world.b.gid } });
    const requestId = read.body.extensions!.requestId;

    // The request's own batch names B (the membership), and nothing of the note.
    const inRequest = await ownerQuery<{ resource_type: string; subject_client_id: string | null }>(
      `SELECT resource_type, subject_client_id FROM audit_events WHERE request_id = $1 ORDER BY position`,
      [requestId],
    );
    expect(inRequest).toEqual([{ resource_type: 'Membership', subject_client_id: world.b.client.id }]);
    // The note's records (created, signed, its addendum, read) are all kept, in batches with no request id and no subject.
    const addendumId = (await ownerQuery<{ id: string }>(`SELECT id FROM note_addenda WHERE note_id = $1`, [world.psychotherapyB.id]))[0].id;
    const apart = await ownerQuery<{ action: string; resource_type: string; request_id: string | null; subject_client_id: string | null }>(
      `SELECT action, resource_type, request_id, subject_client_id FROM audit_events WHERE resource_id IN ($1, $2) ORDER BY batch_id, position`,
      [world.psychotherapyB.id, addendumId],
    );
    expect(apart.map((r) => `${r.action} ${r.resource_type}`)).toEqual([
      'CREATE SessionNote', 'READ SessionNote', // created, its body read back in the payload
      'SIGN SessionNote',
      'CREATE NoteAddendum', 'READ NoteAddendum',
      'READ SessionNote', 'READ NoteAddendum',
    ]);
    expect(apart.every((r) => r.request_id === null && r.subject_client_id === null)).toBe(true);
    // Numbered from a sequence of their own: no gap in the main sequence after the request's batch tells of them.
    const batchIds = async (where: string, param: unknown[]) =>
      (await ownerQuery<{ b: string }>(`SELECT DISTINCT batch_id::text AS b FROM audit_events WHERE ${where}`, param)).map((r) => BigInt(r.b));
    expect((await batchIds(`resource_id IN ($1, $2)`, [world.psychotherapyB.id, addendumId])).every((b) => b >= 900000000000000n)).toBe(true);
    expect((await batchIds(`request_id = $1`, [requestId])).every((b) => b < 900000000000000n)).toBe(true);

    // An admin's trail shows none of them, by type or by the author's other records; the other notes' records show.
    const adminSees = async (filter: Record<string, unknown>) =>
      ok(await gql(world.clinic.admin.auth, AUDIT_EVENTS, { filter })).auditEvents.edges.map((e: any) => e.node);
    const notes = await adminSees({ resourceType: 'SessionNote' });
    expect(notes.map((n: any) => n.resourceId)).toEqual(expect.arrayContaining([world.groupNote.id, world.progressA.id, world.progressB.id]));
    for (const listed of [notes, await adminSees({ resourceType: 'NoteAddendum' }), await adminSees({ actorId: world.lead.gid }), await adminSees({})]) {
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.map((n: any) => n.resourceId)).not.toContain(world.psychotherapyB.id);
      expect(listed.map((n: any) => n.resourceId)).not.toContain(addendumId);
      expect(listed.filter((n: any) => n.requestId === null && ['SessionNote', 'NoteAddendum'].includes(n.resourceType))).toEqual([]);
    }
    // The request shows whole to the admin: its one record, nothing missing beside it.
    expect((await adminSees({ actorId: world.lead.gid })).filter((n: any) => n.requestId === requestId)).toEqual([
      { resourceType: 'Membership', resourceId: world.b.id, requestId, subjectClientId: world.b.client.id },
    ]);
  });
});

describe('integrations and notes', () => {
  it('never shows an integration a note: not in groupSession.notes, not by node, and sessionNote is refused', async () => {
    const world = await privacyWorld();
    const key = await world.clinic.addApiKey(['roster:read', 'sessions:read', 'goals:read', 'consent:read']);
    const session = ok(await gql(key.auth, SESSION_NOTES, { id: world.session.gid })).groupSession;
    expect(session).toEqual({ id: world.session.gid, notes: [] });
    for (const note of [world.groupNote, world.progressB, world.psychotherapyB]) {
      expectError(await gql(key.auth, NOTE_NODE, { id: note.gid }), 'NOT_FOUND');
      const direct = await gql(key.auth, SESSION_NOTE, { id: note.gid });
      expectError(direct, 'FORBIDDEN');
      expect(direct.data).toBeNull();
    }
    const reads = await ownerQuery(`SELECT 1 FROM audit_events WHERE actor_id = $1 AND action = 'READ' AND resource_type = 'SessionNote'`, [key.id]);
    expect(reads).toEqual([]);
  });
});

describe('the audit trail of note reads', () => {
  it('writes a READ row for every note body read, in the same request', async () => {
    const world = await privacyWorld();
    const single = await gql(world.clinic.supervisor.auth, SESSION_NOTE, { id: world.progressB.gid });
    ok(single);
    const requestId = single.body.extensions!.requestId;
    expect(await ownerQuery(`SELECT action, resource_type, resource_id, subject_client_id, actor_id FROM audit_events WHERE request_id = $1 AND resource_type = 'SessionNote'`, [requestId])).toEqual([
      { action: 'READ', resource_type: 'SessionNote', resource_id: world.progressB.id, subject_client_id: world.b.client.id, actor_id: world.clinic.supervisor.id },
    ]);

    // An addendum's body is a read of its own, about the same member.
    ok(await gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: world.progressB.gid, body: 'Addendum.' } }));
    const withAddendum = await gql(world.clinic.supervisor.auth, SESSION_NOTE, { id: world.progressB.gid });
    expect(ok(withAddendum).sessionNote.addenda.map((a: any) => a.body)).toEqual(['Addendum.']);
    const [addendum] = await ownerQuery(`SELECT id FROM note_addenda WHERE note_id = $1`, [world.progressB.id]);
    const addendumReads = await ownerQuery(
      `SELECT resource_type, resource_id, subject_client_id FROM audit_events WHERE request_id = $1 AND action = 'READ' AND resource_type IN ('SessionNote', 'NoteAddendum') ORDER BY resource_type`,
      [withAddendum.body.extensions!.requestId],
    );
    expect(addendumReads).toEqual([
      { resource_type: 'NoteAddendum', resource_id: addendum.id, subject_client_id: world.b.client.id },
      { resource_type: 'SessionNote', resource_id: world.progressB.id, subject_client_id: world.b.client.id },
    ]);

    const list = await gql(world.lead.auth, SESSION_NOTES, { id: world.session.gid });
    expect(ok(list).groupSession.notes).toHaveLength(4);
    const listReads = await ownerQuery(`SELECT resource_id FROM audit_events WHERE request_id = $1 AND action = 'READ' AND resource_type = 'SessionNote'`, [
      list.body.extensions!.requestId,
    ]);
    expect(listReads.map((r) => r.resource_id).sort()).toEqual([world.groupNote.id, world.progressA.id, world.progressB.id].sort());
    // The psychotherapy note's read is kept too, apart from the request (below, "in the audit trail").
    const psychotherapyReads = await ownerQuery(`SELECT DISTINCT request_id FROM audit_events WHERE resource_id = $1 AND action = 'READ'`, [world.psychotherapyB.id]);
    expect(psychotherapyReads).toEqual([{ request_id: null }]);

    const byNode = await gql(world.b.auth, NOTE_NODE, { id: world.progressB.gid });
    ok(byNode);
    expect(await ownerQuery(`SELECT action, actor_type, actor_id FROM audit_events WHERE request_id = $1 AND resource_id = $2`, [
      byNode.body.extensions!.requestId,
      world.progressB.id,
    ])).toEqual([{ action: 'READ', actor_type: 'CLIENT', actor_id: world.b.client.id }]);
  });

  it('writes a DENIED row for each refused sessionNote attempt', async () => {
    const world = await privacyWorld();
    const attempts = [
      [world.a.auth, world.a.client.id, world.progressB],
      [world.a.auth, world.a.client.id, world.groupNote],
      [world.clinic.supervisor.auth, world.clinic.supervisor.id, world.psychotherapyB],
      [world.clinic.admin.auth, world.clinic.admin.id, world.psychotherapyB],
    ] as const;
    for (const [auth, actorId, note] of attempts) {
      const res = await gql(auth, SESSION_NOTE, { id: note.gid });
      expectError(res, 'NOT_FOUND');
      const rows = await ownerQuery(`SELECT action, resource_type, resource_id, actor_id, code FROM audit_events WHERE request_id = $1`, [
        res.body.extensions!.requestId,
      ]);
      expect(rows).toEqual([{ action: 'DENIED', resource_type: 'SessionNote', resource_id: note.id, actor_id: actorId, code: 'NOT_FOUND' }]);
    }
    // node(id:) refusals are audited the same way.
    const byNode = await gql(world.a.auth, NOTE_NODE, { id: world.progressB.gid });
    expectError(byNode, 'NOT_FOUND');
    expect(await ownerQuery(`SELECT action, resource_type, resource_id, code FROM audit_events WHERE request_id = $1`, [byNode.body.extensions!.requestId])).toEqual([
      { action: 'DENIED', resource_type: 'SessionNote', resource_id: world.progressB.id, code: 'NOT_FOUND' },
    ]);
    // The same refusal again is another row: A's three attempts at B's note (sessionNote twice, node once).
    await gql(world.a.auth, SESSION_NOTE, { id: world.progressB.gid });
    const denials = await ownerQuery(`SELECT 1 FROM audit_events WHERE resource_id = $1 AND actor_id = $2 AND action = 'DENIED'`, [
      world.progressB.id,
      world.a.client.id,
    ]);
    expect(denials).toHaveLength(3);
  });

  it('shows the member, in myAccessReport, the clinician\'s read of their progress note', async () => {
    const world = await privacyWorld();
    ok(await gql(world.coFacilitator.auth, SESSION_NOTE, { id: world.progressB.gid }));
    const report = ok(await gql(world.b.auth, MY_ACCESS_REPORT)).myAccessReport;
    const noteReads = report.accesses.filter((x: any) => x.resourceType === 'SessionNote' && x.action === 'READ');
    expect(noteReads).toEqual(
      expect.arrayContaining([{ action: 'READ', resourceType: 'SessionNote', occurredAt: expect.any(String), actor: { kind: 'STAFF', name: world.coFacilitator.name, role: 'CLINICIAN' } }]),
    );
    // A's report holds nothing about B's note: the co-facilitator never read A's.
    const reportA = ok(await gql(world.a.auth, MY_ACCESS_REPORT)).myAccessReport;
    expect(reportA.accesses.filter((x: any) => x.resourceType === 'SessionNote' && x.actor.name === world.coFacilitator.name)).toEqual([]);
  });

  it('shows the member, in myAccessReport, a refused attempt at their progress note (DENIED)', async () => {
    const world = await privacyWorld();
    const outsider = await world.clinic.addStaff('CLINICIAN', 'Curious Clinician');
    expectError(await gql(outsider.auth, SESSION_NOTE, { id: world.progressB.gid }), 'NOT_FOUND');
    const report = ok(await gql(world.b.auth, MY_ACCESS_REPORT)).myAccessReport;
    expect(report.accesses).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'DENIED', resourceType: 'SessionNote', actor: { kind: 'STAFF', name: 'Curious Clinician', role: 'CLINICIAN' } })]),
    );
  });
});
