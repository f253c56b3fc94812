import { createHash } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { ownerQuery } from '../support/factories';
import { testNoteCipher } from '../support/test-app';
import { testEnv } from '../support/test-env';
import {
  activeGroup,
  ADD_ADDENDUM,
  addendumRowsOf,
  auditRowsOf,
  COSIGN_NOTE,
  CREATE_NOTE,
  createNote,
  enrolNew,
  expectRefused,
  gql,
  minutesFromNow,
  neighbourClinic,
  noteRow,
  noteRowsOf,
  ok,
  schedule,
  SESSION_NOTE,
  sessionState,
  sessionWorld,
  SIGN_NOTE,
  signNote,
  UPDATE_NOTE,
  uuidOf,
  World,
  concludeAndArchive,
} from '../sessions/session-fixtures';

let neighbour: World;
beforeAll(async () => {
  neighbour = await neighbourClinic();
});

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Runs `work` in a transaction as the server's own role, with the request settings a staff request would carry. */
async function asServerRole<T>(clinicId: string, staffId: string, work: (db: PgClient) => Promise<T>): Promise<T> {
  const db = new PgClient({ connectionString: testEnv().appUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(`SELECT set_config('app.clinic_id', $1, true), set_config('app.staff_id', $2, true)`, [clinicId, staffId]);
    return await work(db);
  } finally {
    await db.query('ROLLBACK').catch(() => undefined);
    await db.end();
  }
}

/** The error a statement fails with, or null if it succeeds. */
async function failureOf(run: () => Promise<unknown>): Promise<{ code?: string; message: string } | null> {
  try {
    await run();
    return null;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

describe('who writes up a session (session 14)', () => {
  it('a session is written up once it has started: CONFLICT SESSION_NOT_STARTED before, nothing stored', async () => {
    // Before: a note could be written ahead, and concluding the group then cancelled the session under it.
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(60 * 24) });
    for (const input of [
      { sessionId: world.session.gid, kind: 'GROUP', body: 'Plan for tomorrow.' },
      { sessionId: world.session.gid, kind: 'PROGRESS', membershipId: world.members[0].gid, body: 'Prepared the worksheet.' },
    ]) {
      const refused = await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () => gql(world.lead.auth, CREATE_NOTE, { input }));
      expect(refused.errors![0].extensions).toMatchObject({ reason: 'SESSION_NOT_STARTED' });
    }
    expect(await noteRowsOf(world.session.id)).toEqual([]);
  });


  it('a clinician writes notes only for sessions on days their assignment covered; a supervisor for any', async () => {
    // Before: anyone facilitating the group today could write (and sign) notes for meetings before they joined it.
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(-60 * 24 * 10) });
    const joined = await world.clinic.addStaff('CLINICIAN', 'Joined Today');
    const ASSIGN = `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`;
    ok(await gql(world.clinic.admin.auth, ASSIGN, { input: { groupId: world.group.gid, staffMemberId: joined.gid, role: 'CO' } }));
    const input = { sessionId: world.session.gid, kind: 'PROGRESS', membershipId: world.members[0].gid, body: 'Engaged well.' };
    const refused = await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () => gql(joined.auth, CREATE_NOTE, { input }));
    expect(refused.errors![0].message).toMatch(/not assigned to this group on the session's date/);
    expect(await noteRowsOf(world.session.id)).toEqual([]);
    // The lead (assigned since 2020) and a supervisor may.
    ok(await gql(world.clinic.supervisor.auth, CREATE_NOTE, { input }));
    expect(ok(await gql(world.lead.auth, CREATE_NOTE, { input: { sessionId: world.session.gid, kind: 'GROUP', body: 'Themes.' } })).createSessionNote.note.kind).toBe('GROUP');
    expect((await noteRowsOf(world.session.id)).map((n: any) => n.kind).sort()).toEqual(['GROUP', 'PROGRESS']);
  });
});

describe('creating draft notes', () => {
  it('creates a draft GROUP note: no member, version 1, encrypted at rest, audited', async () => {
    const world = await sessionWorld({ members: 2 });
    const text = 'Themes: loneliness over the holidays. Intervention: behavioural activation planning.';
    const res = await gql(world.lead.auth, CREATE_NOTE, { input: { sessionId: world.session.gid, kind: 'GROUP', body: text } });
    const note = ok(res).createSessionNote.note;
    expect(note).toMatchObject({
      kind: 'GROUP',
      status: 'DRAFT',
      version: 1,
      sharedWithClient: false,
      contentHash: null,
      signedAt: null,
      body: text,
      author: { id: world.lead.gid },
      membership: null,
      session: { id: world.session.gid },
    });
    const row = await noteRow(uuidOf(note.id));
    expect(row).toMatchObject({
      clinic_id: world.clinic.id,
      session_id: world.session.id,
      kind: 'GROUP',
      membership_id: null,
      client_id: null,
      author_staff_id: world.lead.id,
      status: 'DRAFT',
      version: 1,
      key_id: 'k1',
      content_hash: null,
      signed_at: null,
    });
    expect(Buffer.isBuffer(row.body)).toBe(true);
    expect((await auditRowsOf(row.id)).map((a) => a.action).sort()).toEqual(['CREATE', 'READ']);
  });

  it('creates a draft PROGRESS note in one member\'s chart', async () => {
    const world = await sessionWorld({ members: 2 });
    const member = world.members[1];
    const { note, id } = await createNote(world, { kind: 'PROGRESS', body: 'Reported fewer panic episodes.', member, sharedWithClient: true });
    expect(note).toMatchObject({ kind: 'PROGRESS', status: 'DRAFT', version: 1, sharedWithClient: true, membership: { id: member.gid } });
    expect(await noteRow(id)).toMatchObject({ kind: 'PROGRESS', membership_id: member.id, client_id: member.client.id, shared_with_client: true });
    const create = (await auditRowsOf(id)).find((a) => a.action === 'CREATE');
    expect(create).toMatchObject({ resource_type: 'SessionNote', subject_client_id: member.client.id, actor_id: world.lead.id });
  });

  it('answers CONFLICT to a second GROUP note for a session, and to a second PROGRESS note for a member, storing nothing', async () => {
    const world = await sessionWorld({ members: 1 });
    await createNote(world, { kind: 'GROUP', body: 'First group note.' });
    await createNote(world, { kind: 'PROGRESS', body: 'First progress note.', member: world.members[0] });
    const second = await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.clinic.supervisor.auth, CREATE_NOTE, { input: { sessionId: world.session.gid, kind: 'GROUP', body: 'Second group note.' } }),
    );
    expect(second.errors![0].extensions).toMatchObject({ reason: 'NOTE_EXISTS' });
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, CREATE_NOTE, {
        input: { sessionId: world.session.gid, kind: 'PROGRESS', membershipId: world.members[0].gid, body: 'Second progress note.' },
      }),
    );
    expect(await noteRowsOf(world.session.id)).toHaveLength(2);
  });

  it('answers NOT_FOUND to a PROGRESS note for someone not in the group, storing nothing', async () => {
    const world = await sessionWorld({ members: 1 });
    const other = await activeGroup(world.clinic, { members: 1 });
    for (const stranger of [other.members[0], neighbour.members[0]]) {
      await expectRefused('NOT_FOUND', [world.clinic.id, neighbour.clinic.id], () =>
        gql(world.lead.auth, CREATE_NOTE, { input: { sessionId: world.session.gid, kind: 'PROGRESS', membershipId: stranger.gid, body: 'Not theirs.' } }),
      );
    }
    expect(await noteRowsOf(world.session.id)).toEqual([]);
  });

  it.each([
    ['a PROGRESS note without a member', { kind: 'PROGRESS' }],
    ['a GROUP note naming a membership', { kind: 'GROUP', member: true }],
    ['a GROUP note shared with a client', { kind: 'GROUP', sharedWithClient: true }],
    ['a body over 65,536 characters', { kind: 'GROUP', body: 'a'.repeat(65537) }],
    ['a body with a NUL byte', { kind: 'GROUP', body: 'Group went well.\u0000' }],
    ['an empty body', { kind: 'GROUP', body: '   ' }],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_what, input: any) => {
    const world = await sessionWorld({ members: 1 });
    await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, CREATE_NOTE, {
        input: {
          sessionId: world.session.gid,
          kind: input.kind,
          membershipId: input.member ? world.members[0].gid : undefined,
          sharedWithClient: input.sharedWithClient,
          body: input.body ?? 'A note.',
        },
      }),
    );
    expect(await noteRowsOf(world.session.id)).toEqual([]);
  });

  it('accepts a body of exactly 65,536 characters and reads it back whole', async () => {
    const world = await sessionWorld({ members: 1 });
    const text = 'é'.repeat(65536);
    const { id, note } = await createNote(world, { kind: 'GROUP', body: text });
    expect(note.body).toBe(text);
    const row = await noteRow(id);
    expect(testNoteCipher.decrypt(row.id, row.body, row.key_id)).toBe(text);
  });

  it('refuses admins, clinicians who do not facilitate the group and members (FORBIDDEN), storing nothing', async () => {
    const world = await sessionWorld({ members: 1 });
    const outsider = await world.clinic.addStaff('CLINICIAN');
    const input = { sessionId: world.session.gid, kind: 'GROUP', body: 'A note.' };
    for (const auth of [world.clinic.admin.auth, outsider.auth, world.members[0].auth]) {
      await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () => gql(auth, CREATE_NOTE, { input }));
    }
    expect(await noteRowsOf(world.session.id)).toEqual([]);
  });
});

describe('editing drafts with an expected version', () => {
  it('updates a draft and advances its version', async () => {
    const world = await sessionWorld({ members: 1 });
    const draft = await createNote(world, { kind: 'PROGRESS', body: 'Draft one.', member: world.members[0] });
    const res = await gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body: 'Draft two.', sharedWithClient: true } });
    expect(ok(res).updateSessionNote.note).toMatchObject({ version: 2, body: 'Draft two.', sharedWithClient: true, status: 'DRAFT' });
    const row = await noteRow(draft.id);
    expect(row).toMatchObject({ version: 2, shared_with_client: true, status: 'DRAFT' });
    expect(testNoteCipher.decrypt(row.id, row.body, row.key_id)).toBe('Draft two.');
    expect((await auditRowsOf(draft.id)).filter((a) => a.action === 'UPDATE')).toHaveLength(1);
  });

  it('answers CONFLICT to a stale expectedVersion and keeps the newer text', async () => {
    const world = await sessionWorld({ members: 1 });
    const draft = await createNote(world, { kind: 'GROUP', body: 'Version one.' });
    ok(await gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body: 'Version two.' } }));
    const res = await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body: 'Stale edit.' } }),
    );
    expect(res.errors![0].extensions).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    const row = await noteRow(draft.id);
    expect(row.version).toBe(2);
    expect(testNoteCipher.decrypt(row.id, row.body, row.key_id)).toBe('Version two.');
  });

  it('lets exactly one of two concurrent edits of the same version win; the other gets CONFLICT', async () => {
    const world = await sessionWorld({ members: 1 });
    const draft = await createNote(world, { kind: 'GROUP', body: 'Original.' });
    const edits = ['Edit from the laptop.', 'Edit from the tablet.'];
    const results = await Promise.all(
      edits.map((body) => gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body } })),
    );
    const winners = results.filter((r) => !r.errors);
    const losers = results.filter((r) => r.errors);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0].codes).toEqual(['CONFLICT']);
    const row = await noteRow(draft.id);
    expect(row.version).toBe(2);
    expect(testNoteCipher.decrypt(row.id, row.body, row.key_id)).toBe(winners[0].data.updateSessionNote.note.body);
    expect((await auditRowsOf(draft.id)).filter((a) => a.action === 'UPDATE')).toHaveLength(1);
  });

  it('refuses edits by anyone but the author (FORBIDDEN), and over-long or NUL text (BAD_USER_INPUT)', async () => {
    const world = await sessionWorld({ members: 1 });
    const draft = await createNote(world, { kind: 'GROUP', body: 'Mine.' });
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.clinic.supervisor.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body: 'Supervisor rewrite.' } }),
    );
    for (const body of ['b'.repeat(65537), 'nul\u0000']) {
      await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () =>
        gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body } }),
      );
    }
    expect((await noteRow(draft.id)).version).toBe(1);
  });
});

describe('signing and locking', () => {
  it('signs a draft: SIGNED, signer, time, SHA-256 of the text, audited', async () => {
    const world = await sessionWorld({ members: 1 });
    const text = 'Member practised TIPP skills; reported distress 8 → 4.';
    const draft = await createNote(world, { kind: 'PROGRESS', body: text, member: world.members[0] });
    const res = await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid, expectedVersion: 1 } });
    const payload = ok(res).signSessionNote;
    expect(payload).toMatchObject({ signed: true, warnings: [] });
    expect(payload.note).toMatchObject({ status: 'SIGNED', contentHash: sha256(text), signedBy: { id: world.lead.gid } });
    expect(Date.parse(payload.note.signedAt)).toBeGreaterThan(Date.now() - 60000);

    const row = await noteRow(draft.id);
    expect(row).toMatchObject({ status: 'SIGNED', content_hash: sha256(text), signed_by_staff_id: world.lead.id, version: 1 });
    expect(row.signed_at).toBeInstanceOf(Date);
    expect((await auditRowsOf(draft.id)).filter((a) => a.action === 'SIGN')).toEqual([
      expect.objectContaining({ actor_id: world.lead.id, subject_client_id: world.members[0].client.id }),
    ]);
  });

  it('answers CONFLICT to signing with a stale expectedVersion, and leaves the draft unsigned', async () => {
    const world = await sessionWorld({ members: 1 });
    const draft = await createNote(world, { kind: 'GROUP', body: 'One.' });
    ok(await gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body: 'Two.' } }));
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid, expectedVersion: 1 } }),
    );
    expect(await noteRow(draft.id)).toMatchObject({ status: 'DRAFT', signed_at: null, version: 2 });
  });

  it('answers NOTE_LOCKED to updating or signing a signed note, and leaves it unchanged', async () => {
    const world = await sessionWorld({ members: 1 });
    const draft = await createNote(world, { kind: 'GROUP', body: 'Final words.' });
    await signNote(world, draft);
    const signed = await noteRow(draft.id);
    await expectRefused('NOTE_LOCKED', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, body: 'Second thoughts.' } }),
    );
    await expectRefused('NOTE_LOCKED', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, UPDATE_NOTE, { input: { noteId: draft.gid, expectedVersion: 1, sharedWithClient: false } }),
    );
    await expectRefused('NOTE_LOCKED', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid, acknowledgeWarnings: true } }),
    );
    expect(await noteRow(draft.id)).toEqual(signed);
  });

  it('refuses an UPDATE of a signed note issued directly as the server\'s role, and any DELETE', async () => {
    const world = await sessionWorld({ members: 1 });
    const signedNote = await createNote(world, { kind: 'PSYCHOTHERAPY', body: 'Process note.', member: world.members[0] });
    await signNote(world, signedNote);
    const draft = await createNote(world, { kind: 'GROUP', body: 'Still a draft.' });
    const before = await noteRow(signedNote.id);

    await asServerRole(world.clinic.id, world.lead.id, async (db) => {
      // The role sees the row (so a refusal is not RLS hiding it)...
      expect((await db.query(`SELECT id FROM session_notes WHERE id = $1`, [signedNote.id])).rowCount).toBe(1);
      const update = await failureOf(() => db.query(`UPDATE session_notes SET shared_with_client = true, updated_at = now() WHERE id = $1`, [signedNote.id]));
      expect(update).not.toBeNull();
      expect(update!.message).toMatch(/locked/);
    });
    await asServerRole(world.clinic.id, world.lead.id, async (db) => {
      const status = await failureOf(() => db.query(`UPDATE session_notes SET status = 'DRAFT' WHERE id = $1`, [signedNote.id]));
      expect(status).not.toBeNull();
    });
    await asServerRole(world.clinic.id, world.lead.id, async (db) => {
      const body = await failureOf(() => db.query(`UPDATE session_notes SET body = body || '\\x00'::bytea WHERE id = $1`, [signedNote.id]));
      expect(body).not.toBeNull();
    });
    for (const id of [signedNote.id, draft.id]) {
      await asServerRole(world.clinic.id, world.lead.id, async (db) => {
        expect(await failureOf(() => db.query(`DELETE FROM session_notes WHERE id = $1`, [id]))).not.toBeNull();
      });
    }
    // ...while the same role may still edit a draft (the refusal is the signature's doing).
    await asServerRole(world.clinic.id, world.lead.id, async (db) => {
      expect((await db.query(`UPDATE session_notes SET updated_at = now() WHERE id = $1`, [draft.id])).rowCount).toBe(1);
    });
    expect(await noteRow(signedNote.id)).toEqual(before);
    expect(await noteRowsOf(world.session.id)).toHaveLength(2);
  });

  it('refuses even the owner (superuser) an UPDATE or DELETE of a signed note: the trigger guards it', async () => {
    const world = await sessionWorld({ members: 1 });
    const note = await createNote(world, { kind: 'GROUP', body: 'Locked for everyone.' });
    await signNote(world, note);
    const before = await noteRow(note.id);
    expect(await failureOf(() => ownerQuery(`UPDATE session_notes SET content_hash = 'forged' WHERE id = $1`, [note.id]))).not.toBeNull();
    expect(await failureOf(() => ownerQuery(`DELETE FROM session_notes WHERE id = $1`, [note.id]))).not.toBeNull();
    expect(await noteRow(note.id)).toEqual(before);
  });
});

describe('addenda and co-signature', () => {
  it('adds an encrypted, signed addendum to a signed note, and answers CONFLICT on a draft', async () => {
    const world = await sessionWorld({ members: 1 });
    const draft = await createNote(world, { kind: 'PROGRESS', body: 'Original entry.', member: world.members[0] });
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: draft.gid, body: 'Too early.' } }),
    );
    expect(await addendumRowsOf(draft.id)).toEqual([]);

    await signNote(world, draft);
    const signed = await noteRow(draft.id);
    const text = 'Correction: the member reported 3 episodes, not 4.';
    const addendum = ok(await gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: draft.gid, body: text } })).addNoteAddendum.addendum;
    expect(addendum).toMatchObject({ body: text, contentHash: sha256(text), author: { id: world.lead.gid } });

    const [row] = await addendumRowsOf(draft.id);
    expect(row).toMatchObject({ author_staff_id: world.lead.id, content_hash: sha256(text), clinic_id: world.clinic.id });
    expect(row.body.includes(Buffer.from('Correction'))).toBe(false);
    expect(testNoteCipher.decrypt(row.id, row.body, row.key_id)).toBe(text);
    expect(await noteRow(draft.id)).toEqual(signed); // the note itself is untouched

    // A supervisor may add one too; the note lists both, oldest first.
    ok(await gql(world.clinic.supervisor.auth, ADD_ADDENDUM, { input: { noteId: draft.gid, body: 'Reviewed in supervision.' } }));
    const read = ok(await gql(world.lead.auth, SESSION_NOTE, { id: draft.gid })).sessionNote;
    expect(read.addenda.map((a: any) => a.body)).toEqual([text, 'Reviewed in supervision.']);

    // Addenda are append-only for the server's role.
    await asServerRole(world.clinic.id, world.lead.id, async (db) => {
      expect(await failureOf(() => db.query(`UPDATE note_addenda SET content_hash = 'x' WHERE id = $1`, [row.id]))).not.toBeNull();
    });
    await asServerRole(world.clinic.id, world.lead.id, async (db) => {
      expect(await failureOf(() => db.query(`DELETE FROM note_addenda WHERE id = $1`, [row.id]))).not.toBeNull();
    });
    expect(await addendumRowsOf(draft.id)).toHaveLength(2);
  });

  it('refuses addenda with NUL bytes or over 65,536 characters (BAD_USER_INPUT)', async () => {
    const world = await sessionWorld({ members: 1 });
    const note = await createNote(world, { kind: 'GROUP', body: 'Signed.' });
    await signNote(world, note);
    for (const body of ['x'.repeat(65537), 'a\u0000b']) {
      await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () => gql(world.lead.auth, ADD_ADDENDUM, { input: { noteId: note.gid, body } }));
    }
  });

  it('lets a supervisor co-sign a signed note once; the trigger allows exactly that', async () => {
    const world = await sessionWorld({ members: 1 });
    const note = await createNote(world, { kind: 'PROGRESS', body: 'Progress noted.', member: world.members[0] });

    // Not before it is signed (a state: CONFLICT, session 13), and never by a clinician (a right: FORBIDDEN).
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () => gql(world.clinic.supervisor.auth, COSIGN_NOTE, { input: { noteId: note.gid } }));
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () => gql(world.lead.auth, COSIGN_NOTE, { input: { noteId: note.gid } }));
    await signNote(world, note);
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () => gql(world.lead.auth, COSIGN_NOTE, { input: { noteId: note.gid } }));

    const cosigned = ok(await gql(world.clinic.supervisor.auth, COSIGN_NOTE, { input: { noteId: note.gid } })).cosignSessionNote.note;
    expect(cosigned).toMatchObject({ status: 'SIGNED', cosignedBy: { id: world.clinic.supervisor.gid } });
    expect(cosigned.cosignedAt).not.toBeNull();
    const row = await noteRow(note.id);
    expect(row).toMatchObject({ status: 'SIGNED', cosigned_by_staff_id: world.clinic.supervisor.id, content_hash: sha256('Progress noted.') });
    expect(row.cosigned_at).toBeInstanceOf(Date);

    const other = await world.clinic.addStaff('SUPERVISOR');
    await expectRefused('CONFLICT', [world.clinic.id, neighbour.clinic.id], () => gql(other.auth, COSIGN_NOTE, { input: { noteId: note.gid } }));
    await asServerRole(world.clinic.id, other.id, async (db) => {
      const again = await failureOf(() => db.query(`UPDATE session_notes SET cosigned_by_staff_id = $2, cosigned_at = now() WHERE id = $1`, [note.id, other.id]));
      expect(again).not.toBeNull();
    });
    expect(await noteRow(note.id)).toEqual(row);
  });

  it('refuses a supervisor co-signing their own note (FORBIDDEN)', async () => {
    const world = await sessionWorld({ members: 1 });
    const note = await createNote(world, { kind: 'GROUP', body: 'By the supervisor.' }, world.clinic.supervisor.auth);
    await signNote(world, note, world.clinic.supervisor.auth);
    await expectRefused('FORBIDDEN', [world.clinic.id, neighbour.clinic.id], () =>
      gql(world.clinic.supervisor.auth, COSIGN_NOTE, { input: { noteId: note.gid } }),
    );
    expect((await noteRow(note.id)).cosigned_at).toBeNull();
  });
});

describe('the group-note guard', () => {
  const names = [
    { givenName: 'Rosalind', familyName: 'Okafor', preferredName: 'Roz' },
    { givenName: 'Theodore', familyName: 'Lindqvist', preferredName: null },
  ];

  it.each([
    ['a preferred name', 'Roz spoke about her sister; the group offered validation.', 'Roz'],
    ['a legal given name', 'The group responded warmly when rosalind shared.', 'Rosalind'],
    ['a legal family name', 'Mr Lindqvist led the opening check-in.', 'Lindqvist'],
  ])('warns MEMBER_NAMED for %s and leaves the note a DRAFT; acknowledging the warning signs it', async (_what, text, name) => {
    const world = await sessionWorld({ names });
    const draft = await createNote(world, { kind: 'GROUP', body: text });

    const res = await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid } });
    const warned = ok(res).signSessionNote;
    expect(warned.signed).toBe(false);
    expect(warned.warnings).toEqual([{ code: 'MEMBER_NAMED', message: expect.stringContaining(name) }]);
    expect(warned.note).toMatchObject({ status: 'DRAFT', signedAt: null, contentHash: null });
    expect(await noteRow(draft.id)).toMatchObject({ status: 'DRAFT', signed_at: null, content_hash: null, version: 1 });
    expect((await auditRowsOf(draft.id)).filter((a) => a.action === 'SIGN')).toEqual([]);

    const acknowledged = ok(await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid, acknowledgeWarnings: true } })).signSessionNote;
    expect(acknowledged.signed).toBe(true);
    expect(acknowledged.warnings.map((w: any) => w.code)).toEqual(['MEMBER_NAMED']);
    expect(await noteRow(draft.id)).toMatchObject({ status: 'SIGNED', content_hash: sha256(text) });
  });

  it('signs a GROUP note that names no member without warnings (names inside other words do not count)', async () => {
    const world = await sessionWorld({ names });
    const draft = await createNote(world, { kind: 'GROUP', body: 'Theme: rozzy feelings after the holidays; a Theodorean calm by the end.' });
    const payload = ok(await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid } })).signSessionNote;
    expect(payload).toMatchObject({ signed: true, warnings: [] });
    expect((await noteRow(draft.id)).status).toBe('SIGNED');
  });

  it('a PROGRESS note shared with its member warns when it names another member (the member reads it), not for its own member; its addenda too', async () => {
    const world = await sessionWorld({ names });
    const [roz, theo] = world.members;
    const text = 'Roz was shaken after Theodore described his relapse.';
    const shared = await createNote(world, { kind: 'PROGRESS', body: text, member: roz, sharedWithClient: true });
    const warned = ok(await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: shared.gid } })).signSessionNote;
    expect(warned).toMatchObject({ signed: false, warnings: [{ code: 'MEMBER_NAMED', message: expect.stringContaining('Theodore') }] });
    expect(warned.warnings[0].message).not.toContain('Roz');
    expect(await noteRow(shared.id)).toMatchObject({ status: 'DRAFT', content_hash: null });
    // Not shared, it is read by the group's clinicians only: no warning.
    const unshared = await createNote(world, { kind: 'PROGRESS', body: text, member: theo, sharedWithClient: false });
    expect(ok(await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: unshared.gid } })).signSessionNote).toMatchObject({ signed: true, warnings: [] });
    // Its own member's names sign cleanly; an addendum naming another member is held back like the note.
    const own = await createNote({ ...world, session: (await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-60 * 24) }))[0] }, {
      kind: 'PROGRESS', body: 'Rosalind Okafor (Roz) reported better sleep.', member: roz, sharedWithClient: true,
    });
    expect(ok(await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: own.gid } })).signSessionNote).toMatchObject({ signed: true, warnings: [] });
    const ADDENDUM_WARNINGS = `mutation($input: AddNoteAddendumInput!) { addNoteAddendum(input: $input) { addendum { body } warnings { code } } }`;
    const addendum = ok(await gql(world.lead.auth, ADDENDUM_WARNINGS, { input: { noteId: own.gid, body: 'Later: Lindqvist asked after her.' } })).addNoteAddendum;
    expect(addendum).toMatchObject({ addendum: null, warnings: [{ code: 'MEMBER_NAMED' }] });
    expect(await addendumRowsOf(own.id)).toEqual([]);
  });

  it('matches names however the keyboard typed them: curly apostrophes, other hyphens, another Unicode form, a non-breaking space', async () => {
    const world = await sessionWorld({ names: [{ givenName: 'Zoë', familyName: "O'Brien-Smith", preferredName: null }, { givenName: 'Ana', familyName: 'Lima', preferredName: null }] });
    for (const [i, text] of ['Ms O\u2019Brien\u2010Smith shared first.', 'Zoe\u0308 shared first.', 'Ana\u00a0Lima shared first.'].entries()) {
      // A session each: a session has one GROUP note.
      const [session] = await schedule(world.lead.auth, world.group, { firstStart: minutesFromNow(-60 * (i + 3)) });
      const draft = await createNote({ ...world, session }, { kind: 'GROUP', body: text });
      const warned = ok(await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid } })).signSessionNote;
      expect(warned).toMatchObject({ signed: false, warnings: [{ code: 'MEMBER_NAMED' }] });
    }
  });

  it('does not apply to a PROGRESS note, which is about its member by design', async () => {
    const world = await sessionWorld({ names });
    const draft = await createNote(world, { kind: 'PROGRESS', body: 'Roz Okafor reported better sleep.', member: world.members[0] });
    expect(ok(await gql(world.lead.auth, SIGN_NOTE, { input: { noteId: draft.gid } })).signSessionNote).toMatchObject({ signed: true, warnings: [] });
  });
});

describe('encryption at rest', () => {
  it('stores no plaintext in the body column, and the body decrypts with the row id bound', async () => {
    const world = await sessionWorld({ members: 1 });
    const text = 'Disclosed a relapse last weekend; safety plan reviewed.';
    const { id } = await createNote(world, { kind: 'PROGRESS', body: text, member: world.members[0] });
    const [raw] = await ownerQuery(
      `SELECT body::text AS as_text, encode(body, 'escape') AS escaped, encode(body, 'base64') AS b64,
              position(convert_to($2, 'UTF8') IN body) AS at, key_id, octet_length(body) AS length
         FROM session_notes WHERE id = $1`,
      [id, 'relapse'],
    );
    for (const fragment of ['relapse', 'Disclosed', 'safety plan', text]) {
      expect(raw.as_text).not.toContain(fragment);
      expect(raw.escaped).not.toContain(fragment);
      expect(Buffer.from(raw.b64, 'base64').toString('latin1')).not.toContain(fragment);
    }
    expect(raw.at).toBe(0);
    // iv (12) + tag (16) + ciphertext of the UTF-8 text.
    expect(raw.length).toBe(12 + 16 + Buffer.byteLength(text));

    const row = await noteRow(id);
    expect(testNoteCipher.decrypt(id, row.body, row.key_id)).toBe(text);
    const [other] = await noteRowsOf(neighbour.session.id);
    expect(() => testNoteCipher.decrypt(other.id, row.body, row.key_id)).toThrow();
  });

  it('does not return a ciphertext copied onto another row: reading that note fails', async () => {
    const world = await sessionWorld({ members: 1 });
    const secret = 'The secret text of the group note.';
    const source = await createNote(world, { kind: 'GROUP', body: secret });
    const target = await createNote(world, { kind: 'PROGRESS', body: 'Harmless.', member: world.members[0] });
    await ownerQuery(`UPDATE session_notes SET body = (SELECT body FROM session_notes WHERE id = $1) WHERE id = $2`, [source.id, target.id]);

    const res = await gql(world.lead.auth, SESSION_NOTE, { id: target.gid });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect(res.codes).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(res.data?.sessionNote?.body ?? null).toBeNull();
  });

  it('leaves the neighbouring clinic untouched by all of this', async () => {
    const before = await sessionState(neighbour.clinic.id);
    const world = await sessionWorld({ members: 1 });
    const note = await createNote(world, { kind: 'GROUP', body: 'x' });
    await signNote(world, note);
    expect(await sessionState(neighbour.clinic.id)).toEqual(before);
  });
});

describe('whom a note is about', () => {
  const CHANGE_STATUS = `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { id status } } }`;
  const ENROL = `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id status } } }`;
  const noteInput = (world: World, membershipId: string, kind = 'PROGRESS') => ({ input: { sessionId: world.session.gid, kind, membershipId, body: 'Engaged well.' } });

  it('a member not seated in the group on the session\'s date (joined since, or never seated) is no note\'s subject: BAD_USER_INPUT, nothing stored', async () => {
    const world = await sessionWorld({ members: 1, firstStart: minutesFromNow(-3 * 24 * 60) });
    const joinedSince = await enrolNew(world.clinic, world.group);
    const referred = await enrolNew(world.clinic, world.group, { initialStatus: 'REFERRED' });
    for (const m of [joinedSince, referred]) {
      for (const kind of ['PROGRESS', 'PSYCHOTHERAPY']) {
        const res = await expectRefused('BAD_USER_INPUT', [world.clinic.id, neighbour.clinic.id], () => gql(world.lead.auth, CREATE_NOTE, noteInput(world, m.gid, kind)));
        expect(res.errors![0].extensions).toMatchObject({ field: 'membershipId' });
      }
    }
    // The member seated then is.
    ok(await gql(world.lead.auth, CREATE_NOTE, noteInput(world, world.members[0].gid)));
  });

  it('one PROGRESS note per member per session, whichever of their memberships it is written under', async () => {
    const world = await sessionWorld({ members: 1 });
    const [first] = world.members;
    ok(await gql(world.clinic.admin.auth, CHANGE_STATUS, { input: { membershipId: first.gid, status: 'WITHDRAWN', reason: 'Moved away' } }));
    const again = ok(await gql(world.clinic.admin.auth, ENROL, { input: { groupId: world.group.gid, clientId: first.client.gid } })).enrollClient.membership;
    // Seated on the session's date under both (the first ended today; the second started before the session).
    await ownerQuery(`UPDATE memberships SET period_start = period_start - 7 WHERE id = $1`, [uuidOf(again.id)]);
    ok(await gql(world.lead.auth, CREATE_NOTE, noteInput(world, first.gid)));
    const res = await expectRefused('CONFLICT', [world.clinic.id], () => gql(world.lead.auth, CREATE_NOTE, noteInput(world, again.id)));
    expect(res.errors![0].extensions).toMatchObject({ reason: 'NOTE_EXISTS' });
    expect((await noteRowsOf(world.session.id)).filter((n) => n.kind === 'PROGRESS')).toHaveLength(1);
  });

  it('an ARCHIVED group takes no new notes (CONFLICT, nothing stored)', async () => {
    const world = await sessionWorld({ members: 1 });
    await concludeAndArchive(world);
    const res = await expectRefused('CONFLICT', [world.clinic.id], () => gql(world.lead.auth, CREATE_NOTE, noteInput(world, world.members[0].gid)));
    expect(res.errors![0].extensions).toMatchObject({ groupStatus: 'ARCHIVED' });
  });
});
