import { randomUUID } from 'node:crypto';
import { GroupStatus } from '../groups/group.enums';
import { AuditAction } from '../../audit/audit-action';
import { auditRefusedRead, stateConflict } from '../../audit/denied-subject';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { badInput, conflict, DomainError, forbidden, notFound } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-codes';
import { isUniqueViolation } from '../../db/pg-errors';
import { unassignedClinicianOn } from '../groups/facilitator-sql';
import { groupLoaders } from '../groups/group.loaders';
import { sessionLoaders } from '../sessions/session.loaders';
import { SessionStatus } from '../sessions/session.types';
import { contentHash } from './note-cipher';
import { AddNoteAddendumInput, CosignSessionNoteInput, CreateSessionNoteInput, SignSessionNoteInput, UpdateSessionNoteInput } from './note.inputs';
import { noteLoaders } from './note.loaders';
import { canAddAddendum, canCosign, canWriteNotes, comparableText, isAuthor, namesMentioned } from './note.policy';
import { NoteAddendum, NoteKind, NoteStatus, NoteWarning, SessionNote } from './note.types';

const NOTE = 'SessionNote';
const noteLocked = () => new DomainError(ErrorCode.NOTE_LOCKED, 'This note is signed and locked: add an addendum instead');

/** How a note's records name it in the audit trail (and its addenda's). */
export interface NoteAuditFields {
  subjectClientId: string | null;
  apart?: boolean;
}

/**
 * Psychotherapy notes never name their subject in the audit trail (access reports must not
 * reveal them), and their records are written apart from the request's others, which may name
 * the member (the note's `membership`), so that no one can join the two by request id.
 */
export const noteAudit = (note: Pick<SessionNote, 'kind' | 'clientId'>): NoteAuditFields =>
  note.kind === NoteKind.PSYCHOTHERAPY ? { subjectClientId: null, apart: true } : { subjectClientId: note.clientId };

export async function getNote(ctx: AuthedContext, globalId: string): Promise<SessionNote> {
  const id = uuidOf(globalId, NOTE);
  const note = id ? await ctx.loaders.of(noteLoaders).visibleById.load(id) : null;
  if (!note) {
    // The member whose note it was sees the refusal in their access report (never of a psychotherapy note).
    await auditRefusedRead(ctx, NOTE, id);
    throw notFound('Note');
  }
  return note;
}

/** Decrypts a body the viewer may read, auditing the read in the request's transaction. */
export function readBody(ctx: AuthedContext, item: { id: string; encryptedBody: Buffer; keyId: string; read: 'BODY' | 'METADATA' }, resourceType: string, audit: NoteAuditFields) {
  if (item.read !== 'BODY') return null;
  ctx.audit.record({ action: AuditAction.READ, resourceType, resourceId: item.id, ...audit });
  return ctx.noteCipher.decrypt(item.id, item.encryptedBody, item.keyId);
}

export async function createSessionNote(ctx: AuthedContext, input: CreateSessionNoteInput): Promise<SessionNote> {
  const sessionId = uuidOf(input.sessionId, 'GroupSession');
  const session = sessionId ? await ctx.loaders.of(sessionLoaders).visibleById.load(sessionId) : null;
  if (!sessionId || !session) throw notFound('Session');
  const group = await ctx.loaders.of(groupLoaders).visibleById.load(session.groupId);
  if (!canWriteNotes(ctx.viewer, group?.access ?? null) || ctx.viewer.kind !== 'STAFF') {
    ctx.audit.denied({ resourceType: NOTE, code: 'FORBIDDEN' });
    throw forbidden('Only the group\'s facilitators and supervisors write notes');
  }
  // An ARCHIVED group is read-only history (its row shared-locked, as session writes take it), and
  // the session's row too: a move (which a note pins) commits before the member is judged seated
  // on its date, or waits for this note.
  const [groupRow] = await ctx.db.query<{ status: GroupStatus; session_status: SessionStatus; started: boolean; scheduled_start: Date }>(
    `SELECT g.status, s.status AS session_status, s.scheduled_start <= now() AS started, s.scheduled_start
       FROM therapy_groups g, group_sessions s WHERE g.id = $1 AND s.id = $2 FOR SHARE OF g FOR NO KEY UPDATE OF s`,
    [session.groupId, session.id],
  );
  if (groupRow?.status === GroupStatus.ARCHIVED) throw conflict('An ARCHIVED group is read-only history', { groupStatus: groupRow.status });
  // A note documents a meeting: a cancelled one had none (read under the session's lock, as a cancel takes it).
  if (groupRow?.session_status === SessionStatus.CANCELLED) throw conflict('This session was cancelled: it takes no notes', { status: SessionStatus.CANCELLED });
  // Nor one still to come: written up ahead, a meeting that never took place (its group concluded,
  // its sessions still to come cancelled) would keep a record of it.
  if (groupRow && !groupRow.started) throw conflict('A session is written up once it has started', { reason: 'SESSION_NOT_STARTED' });
  // A clinician writes up meetings of days their assignment covered; supervisors any.
  if (groupRow && (await unassignedClinicianOn(ctx.db, ctx.viewer, session.groupId, groupRow.scheduled_start))) {
    ctx.audit.denied({ resourceType: NOTE, code: 'FORBIDDEN' });
    throw forbidden('You were not assigned to this group on the session\'s date: its facilitators then, or a supervisor, write it up');
  }
  let membershipId: string | null = null;
  let clientId: string | null = null;
  if (input.kind === NoteKind.GROUP) {
    if (input.membershipId) throw badInput('GROUP notes are about the session, not one member: omit membershipId', { field: 'membershipId' });
  } else {
    membershipId = input.membershipId ? (uuidOf(input.membershipId, 'Membership') ?? null) : null;
    if (!membershipId) throw badInput(`${input.kind} notes need the member's membershipId`, { field: 'membershipId' });
    // The member was seated in the group on the session's date, as attendance asks: a note is about
    // someone who could have been in the room.
    const [m] = await ctx.db.query<{ client_id: string; seated: boolean }>(
      `SELECT m.client_id, (m.period_start IS NOT NULL AND m.period_start <= (s.scheduled_start AT TIME ZONE c.timezone)::date
                            AND (m.period_end IS NULL OR m.period_end >= (s.scheduled_start AT TIME ZONE c.timezone)::date)) AS seated
         FROM memberships m, group_sessions s, clinics c
        WHERE m.id = $1 AND s.id = $2 AND m.group_id = s.group_id AND c.id = s.clinic_id`,
      [membershipId, session.id],
    );
    if (!m) throw notFound('Membership');
    if (!m.seated) throw badInput('The member was not seated in the group on the session\'s date', { field: 'membershipId' });
    clientId = m.client_id;
    if (input.kind === NoteKind.PROGRESS) {
      // One PROGRESS note per member per session, whichever of their memberships it is written under.
      await ctx.db.query(`SELECT pg_advisory_xact_lock(hashtext('progress-note:' || $1 || ':' || $2))`, [session.id, clientId]);
      const [existing] = await ctx.db.query(`SELECT 1 FROM session_notes WHERE session_id = $1 AND client_id = $2 AND kind = 'PROGRESS'`, [session.id, clientId]);
      if (existing) throw stateConflict(ctx, { resourceType: NOTE, subjectClientId: clientId }, 'This member already has a PROGRESS note for this session', { reason: 'NOTE_EXISTS' });
    }
  }
  if (input.sharedWithClient && input.kind !== NoteKind.PROGRESS) throw badInput('Only PROGRESS notes are shared with the member', { field: 'sharedWithClient' });
  const id = randomUUID();
  const { body, keyId } = ctx.noteCipher.encrypt(id, input.body);
  try {
    await ctx.db.query(
      `INSERT INTO session_notes (id, clinic_id, session_id, kind, membership_id, client_id, author_staff_id, body, key_id, shared_with_client)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [id, ctx.db.clinicId, session.id, input.kind, membershipId, clientId, ctx.viewer.staffId, body, keyId, input.sharedWithClient],
    );
  } catch (error) {
    if (isUniqueViolation(error)) {
      const message = input.kind === NoteKind.GROUP ? 'This session already has a GROUP note' : 'This member already has a PROGRESS note for this session';
      throw stateConflict(ctx, { resourceType: NOTE, subjectClientId: clientId }, message, { reason: 'NOTE_EXISTS' });
    }
    throw error;
  }
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: NOTE, resourceId: id, ...noteAudit({ kind: input.kind, clientId }) });
  return reloadNote(ctx, { id, sessionId: session.id, clientId });
}

/**
 * A note after a write, read again; every list of this request that could hold it is dropped too
 * (a later field of the same mutation document must not show the text or status before the write).
 */
async function reloadNote(ctx: AuthedContext, note: Pick<SessionNote, 'id' | 'sessionId' | 'clientId'>): Promise<SessionNote> {
  const loaders = ctx.loaders.of(noteLoaders);
  loaders.bySession.clear(note.sessionId);
  if (note.clientId) loaders.byClient.clear(note.clientId);
  loaders.visibleById.clear(note.id);
  return (await loaders.visibleById.load(note.id))!;
}

async function authoredDraft(ctx: AuthedContext, globalId: string): Promise<SessionNote> {
  const note = await getNote(ctx, globalId);
  if (!isAuthor(ctx.viewer, note)) throw forbidden('Only the author changes or signs a note');
  if (note.status === NoteStatus.SIGNED) throw noteLocked();
  return note;
}

/** Why an optimistic write matched no row: locked by a signature, or edited meanwhile. */
async function explainMiss(ctx: AuthedContext, id: string, expected: number): Promise<never> {
  const [row] = await ctx.db.query<{ status: NoteStatus; version: number }>(`SELECT status, version FROM session_notes WHERE id = $1`, [id]);
  if (row?.status === NoteStatus.SIGNED) throw noteLocked();
  throw conflict(`The note changed meanwhile: you edited version ${expected}, it is now version ${row?.version}`, {
    expectedVersion: expected,
    currentVersion: row?.version,
  });
}

export async function updateSessionNote(ctx: AuthedContext, input: UpdateSessionNoteInput): Promise<SessionNote> {
  const note = await authoredDraft(ctx, input.noteId);
  if (input.sharedWithClient && note.kind !== NoteKind.PROGRESS) throw badInput('Only PROGRESS notes are shared with the member', { field: 'sharedWithClient' });
  const encrypted = input.body != null ? ctx.noteCipher.encrypt(note.id, input.body) : null;
  const updated = await ctx.db.query(
    `UPDATE session_notes SET body = COALESCE($3, body), key_id = COALESCE($4, key_id),
            shared_with_client = COALESCE($5, shared_with_client), version = version + 1, updated_at = now()
      WHERE id = $1 AND version = $2 AND status = 'DRAFT' RETURNING id`,
    [note.id, input.expectedVersion, encrypted?.body ?? null, encrypted?.keyId ?? null, input.sharedWithClient ?? null],
  );
  if (!updated.length) await explainMiss(ctx, note.id, input.expectedVersion);
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: NOTE, resourceId: note.id, ...noteAudit(note) });
  return reloadNote(ctx, note);
}

/**
 * Names of everyone ever in the group but `except` (a shared note's own member): a note someone
 * other than its authors will read should identify none of them. A name the excepted member
 * also goes by is theirs to read, and left out.
 */
async function memberNames(ctx: AuthedContext, groupId: string, except: string | null = null): Promise<string[]> {
  const rows = await ctx.db.query<{ client_id: string; given_name: string; family_name: string; preferred_name: string | null }>(
    `SELECT c.id AS client_id, c.given_name, c.family_name, c.preferred_name FROM memberships m JOIN clients c ON c.id = m.client_id WHERE m.group_id = $1`,
    [groupId],
  );
  const namesOf = (r: (typeof rows)[number]) => [r.given_name, r.family_name, r.preferred_name ?? '', `${r.given_name} ${r.family_name}`];
  const own = new Set(rows.filter((r) => r.client_id === except).flatMap(namesOf).map((n) => comparableText(n).trim().toLowerCase()));
  return rows.filter((r) => r.client_id !== except).flatMap(namesOf).filter((n) => !own.has(comparableText(n).trim().toLowerCase()));
}

export async function signSessionNote(ctx: AuthedContext, input: SignSessionNoteInput): Promise<{ note: SessionNote; signed: boolean; warnings: NoteWarning[] }> {
  const note = await authoredDraft(ctx, input.noteId);
  // The version signed is the version read, checked and hashed here: an edit that commits in
  // between makes the UPDATE below miss (CONFLICT), and an expectedVersion other than the one read
  // is refused before anything is checked, never matched against a later edit.
  const expected = note.version;
  if (input.expectedVersion != null && input.expectedVersion !== expected) {
    throw conflict(`You asked to sign version ${input.expectedVersion}; the note read was version ${expected}. Sign the version you read.`, {
      expectedVersion: input.expectedVersion,
      currentVersion: expected,
    });
  }
  const text = ctx.noteCipher.decrypt(note.id, note.encryptedBody, note.keyId);
  const warnings = await noteNameWarnings(ctx, note, text, 'edit it, or sign with acknowledgeWarnings: true');
  if (warnings.length && !input.acknowledgeWarnings) return { note, signed: false, warnings };
  const updated = await ctx.db.query(
    `UPDATE session_notes SET status = 'SIGNED', signed_at = now(), signed_by_staff_id = $3, content_hash = $4, updated_at = now()
      WHERE id = $1 AND version = $2 AND status = 'DRAFT' RETURNING id`,
    [note.id, expected, ctx.viewer.kind === 'STAFF' ? ctx.viewer.staffId : null, contentHash(text)],
  );
  if (!updated.length) await explainMiss(ctx, note.id, expected);
  ctx.audit.record({ action: AuditAction.SIGN, resourceType: NOTE, resourceId: note.id, ...noteAudit(note) });
  return { note: await reloadNote(ctx, note), signed: true, warnings };
}

export async function cosignSessionNote(ctx: AuthedContext, input: CosignSessionNoteInput): Promise<SessionNote> {
  const note = await getNote(ctx, input.noteId);
  if (!canCosign(ctx.viewer, note)) throw forbidden('A supervisor other than the author co-signs signed notes');
  // Not yet signed is a state, not a right: CONFLICT, as co-signing twice is.
  if (note.status !== NoteStatus.SIGNED) throw conflict(`A ${note.status} note is co-signed once signed`, { status: note.status });
  const updated = await ctx.db.query(
    `UPDATE session_notes SET cosigned_at = now(), cosigned_by_staff_id = $2 WHERE id = $1 AND status = 'SIGNED' AND cosigned_at IS NULL RETURNING id`,
    [note.id, ctx.viewer.kind === 'STAFF' ? ctx.viewer.staffId : null],
  );
  if (!updated.length) throw conflict('This note is already co-signed');
  ctx.audit.record({ action: AuditAction.SIGN, resourceType: NOTE, resourceId: note.id, subjectClientId: note.clientId });
  return reloadNote(ctx, note);
}

/**
 * What to look at before a note's text is signed or added to: members of the group it names, where
 * someone other than its authors reads it. A GROUP note identifies no one; a PROGRESS note shared
 * with its member identifies no one else (the member reads it, and what a peer said in the room
 * is not theirs to take home). `remedy` says what the author can do.
 */
async function noteNameWarnings(ctx: AuthedContext, note: SessionNote, text: string, remedy: string): Promise<NoteWarning[]> {
  const shared = note.kind === NoteKind.PROGRESS && note.sharedWithClient;
  if (note.kind !== NoteKind.GROUP && !shared) return [];
  const named = namesMentioned(text, await memberNames(ctx, note.groupId, shared ? note.clientId : null));
  if (!named.length) return [];
  const who = named.length === 1 ? 'a member' : `${named.length} members`;
  return [{
    code: 'MEMBER_NAMED',
    message: shared
      ? `This note is shared with its member and names ${named.length === 1 ? 'another member' : `${named.length} other members`} (${named.join(', ')}). A shared note should identify no one else; ${remedy}.`
      : `This group note names ${who} (${named.join(', ')}). Group notes should identify no one; ${remedy}.`,
  }];
}

export async function addNoteAddendum(ctx: AuthedContext, input: AddNoteAddendumInput): Promise<{ addendum: NoteAddendum | null; warnings: NoteWarning[] }> {
  const note = await getNote(ctx, input.noteId);
  if (!canAddAddendum(ctx.viewer, note, note.read) || ctx.viewer.kind !== 'STAFF') throw forbidden('You may not add to this note');
  if (note.status !== NoteStatus.SIGNED) throw conflict('Addenda go on signed notes; edit the draft instead', { status: note.status });
  // An addendum is signed on creation: checked as its note was when signed.
  const warnings = await noteNameWarnings(ctx, note, input.body, 'reword it, or add it with acknowledgeWarnings: true');
  if (warnings.length && !input.acknowledgeWarnings) return { addendum: null, warnings };
  const id = randomUUID();
  const { body, keyId } = ctx.noteCipher.encrypt(id, input.body);
  const [row] = await ctx.db.query<{ created_at: Date }>(
    `INSERT INTO note_addenda (id, clinic_id, note_id, author_staff_id, body, key_id, content_hash) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
    [id, ctx.db.clinicId, note.id, ctx.viewer.staffId, body, keyId, contentHash(input.body)],
  );
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: 'NoteAddendum', resourceId: id, ...noteAudit(note) });
  ctx.loaders.of(noteLoaders).addenda.clear(note.id);
  const addendum = Object.assign(new NoteAddendum(), {
    id,
    noteId: note.id,
    authorStaffId: ctx.viewer.staffId,
    encryptedBody: body,
    keyId,
    contentHash: contentHash(input.body),
    createdAt: row.created_at,
    read: 'BODY' as const,
    // Reading it back in the payload is audited as the note's records are, as `addenda` is.
    audit: noteAudit(note),
  });
  return { addendum, warnings };
}

