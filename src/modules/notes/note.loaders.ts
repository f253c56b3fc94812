import DataLoader from 'dataloader';
import type { RequestContext } from '../../context';
import { groupLoaders } from '../groups/group.loaders';
import { noteRead } from './note.policy';
import { NoteAddendum, SessionNote } from './note.types';

interface NoteRow {
  id: string;
  session_id: string;
  group_id: string;
  kind: SessionNote['kind'];
  membership_id: string | null;
  client_id: string | null;
  author_staff_id: string;
  status: SessionNote['status'];
  version: number;
  body: Buffer;
  key_id: string;
  shared_with_client: boolean;
  content_hash: string | null;
  signed_at: Date | null;
  signed_by_staff_id: string | null;
  cosigned_at: Date | null;
  cosigned_by_staff_id: string | null;
  created_at: Date;
  updated_at: Date;
  scheduled_start: Date;
}

const SELECT_NOTES = `SELECT n.id, n.session_id, s.group_id, n.kind, n.membership_id, n.client_id, n.author_staff_id, n.status, n.version,
  n.body, n.key_id, n.shared_with_client, n.content_hash, n.signed_at, n.signed_by_staff_id, n.cosigned_at, n.cosigned_by_staff_id,
  n.created_at, n.updated_at, s.scheduled_start
  FROM session_notes n JOIN group_sessions s ON s.id = n.session_id`;

const noteFromRow = (r: NoteRow): SessionNote =>
  Object.assign(new SessionNote(), {
    id: r.id,
    sessionId: r.session_id,
    groupId: r.group_id,
    kind: r.kind,
    membershipId: r.membership_id,
    clientId: r.client_id,
    authorStaffId: r.author_staff_id,
    status: r.status,
    version: r.version,
    encryptedBody: r.body,
    keyId: r.key_id,
    sharedWithClient: r.shared_with_client,
    contentHash: r.content_hash,
    signedAt: r.signed_at,
    signedByStaffId: r.signed_by_staff_id,
    cosignedAt: r.cosigned_at,
    cosignedByStaffId: r.cosigned_by_staff_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    meetingStart: r.scheduled_start,
  });

/** Applies who-reads-what to notes of any groups at once; each survivor carries its read level. */
async function visibleNotes(ctx: RequestContext, notes: SessionNote[]): Promise<SessionNote[]> {
  const viewer = ctx.viewer;
  if (!viewer) return [];
  const groupIds = [...new Set(notes.map((n) => n.groupId))];
  const groups = await ctx.loaders.of(groupLoaders).visibleById.loadMany(groupIds);
  const access = new Map(groupIds.map((id, i) => [id, groups[i]]));
  return notes.flatMap((n) => {
    const g = access.get(n.groupId);
    const read = noteRead(viewer, n, g && !(g instanceof Error) ? g.access : null);
    // A plain SHA-256 of a short or templated body would let a metadata reader confirm a guess.
    return read ? [Object.assign(n, { read, contentHash: read === 'BODY' ? n.contentHash : null })] : [];
  });
}

export const noteLoaders = (ctx: RequestContext) => ({
  visibleById: new DataLoader<string, SessionNote | null>(async (ids) => {
    const rows = await ctx.db.query<NoteRow>(`${SELECT_NOTES} WHERE n.id = ANY($1)`, [[...ids]]);
    const visible = new Map((await visibleNotes(ctx, rows.map(noteFromRow))).map((n) => [n.id, n]));
    return ids.map((id) => visible.get(id) ?? null);
  }),

  bySession: new DataLoader<string, SessionNote[]>(async (sessionIds) => {
    const rows = await ctx.db.query<NoteRow>(`${SELECT_NOTES} WHERE n.session_id = ANY($1) ORDER BY n.created_at, n.id`, [[...sessionIds]]);
    const visible = await visibleNotes(ctx, rows.map(noteFromRow));
    return sessionIds.map((id) => visible.filter((n) => n.sessionId === id));
  }),

  /** A client's notes (their chart): PROGRESS and PSYCHOTHERAPY notes about them, oldest first. */
  byClient: new DataLoader<string, SessionNote[]>(async (clientIds) => {
    const rows = await ctx.db.query<NoteRow>(`${SELECT_NOTES} WHERE n.client_id = ANY($1) ORDER BY s.scheduled_start, n.id`, [[...clientIds]]);
    const visible = await visibleNotes(ctx, rows.map(noteFromRow));
    return clientIds.map((id) => visible.filter((n) => n.clientId === id));
  }),

  addenda: new DataLoader<string, Omit<NoteAddendum, 'read'>[]>(async (noteIds) => {
    const rows = await ctx.db.query<{ id: string; note_id: string; author_staff_id: string; body: Buffer; key_id: string; content_hash: string; created_at: Date }>(
      `SELECT id, note_id, author_staff_id, body, key_id, content_hash, created_at FROM note_addenda WHERE note_id = ANY($1) ORDER BY created_at, id`,
      [[...noteIds]],
    );
    return noteIds.map((id) =>
      rows
        .filter((r) => r.note_id === id)
        .map((r) => Object.assign(new NoteAddendum(), { id: r.id, noteId: r.note_id, authorStaffId: r.author_staff_id, encryptedBody: r.body, keyId: r.key_id, contentHash: r.content_hash, createdAt: r.created_at })),
    );
  }),
});
