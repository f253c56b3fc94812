import type { Viewer } from '../../auth/viewer';
import type { GroupAccess } from '../groups/group.policy';
import { NoteKind, NoteRead, NoteStatus } from './note.types';

export interface NoteFacts {
  kind: NoteKind;
  status: NoteStatus;
  authorStaffId: string;
  clientId: string | null;
  sharedWithClient: boolean;
}

/**
 * Who reads what (null = the note does not exist for this viewer):
 * PSYCHOTHERAPY — the author alone while they write notes (not once made an admin: admins read no
 *   note bodies), everyone else nothing at all (the database enforces it too);
 * GROUP / PROGRESS — the group's facilitators and supervisors read bodies, admins metadata;
 * a member reads their own PROGRESS note once SIGNED and shared; integrations never.
 */
export function noteRead(viewer: Viewer, note: NoteFacts, groupAccess: GroupAccess | null): NoteRead | null {
  if (note.kind === NoteKind.PSYCHOTHERAPY) return viewer.kind === 'STAFF' && viewer.role !== 'ADMIN' && viewer.staffId === note.authorStaffId ? 'BODY' : null;
  switch (viewer.kind) {
    case 'STAFF':
      if (viewer.role === 'ADMIN') return 'METADATA';
      if (viewer.role === 'SUPERVISOR') return 'BODY';
      return groupAccess === 'ROSTER' ? 'BODY' : null;
    case 'MEMBER':
      return note.kind === NoteKind.PROGRESS && note.clientId === viewer.clientId && note.status === NoteStatus.SIGNED && note.sharedWithClient
        ? 'BODY'
        : null;
    case 'INTEGRATION':
      return null;
  }
}

/** Writing notes: the group's facilitating clinicians and supervisors. */
export const canWriteNotes = (viewer: Viewer, groupAccess: GroupAccess | null) =>
  viewer.kind === 'STAFF' && viewer.role !== 'ADMIN' && groupAccess === 'ROSTER';

/** Drafts are edited and signed by their author only. */
export const isAuthor = (viewer: Viewer, note: Pick<NoteFacts, 'authorStaffId'>) => viewer.kind === 'STAFF' && viewer.staffId === note.authorStaffId;

/** A supervisor other than the author may co-sign a GROUP or PROGRESS note (once it is signed: a state the service checks). */
export const canCosign = (viewer: Viewer, note: NoteFacts) =>
  viewer.kind === 'STAFF' && viewer.role === 'SUPERVISOR' && viewer.staffId !== note.authorStaffId && note.kind !== NoteKind.PSYCHOTHERAPY;

/** Addenda: the author, or (not for psychotherapy notes) any staff who reads the body. */
export const canAddAddendum = (viewer: Viewer, note: NoteFacts, read: NoteRead | null) =>
  isAuthor(viewer, note) || (note.kind !== NoteKind.PSYCHOTHERAPY && read === 'BODY' && viewer.kind === 'STAFF');

/**
 * Text as names are compared in it: one Unicode form (NFKC: "Zoë" typed either way), the
 * apostrophes and hyphens keyboards substitute (O’Brien, Smith‐Jones) folded to ASCII, and any run
 * of whitespace (a non-breaking space inside a full name) as one space.
 */
export const comparableText = (text: string) =>
  text.normalize('NFKC').replace(/[\u2018\u2019\u02BC\u2032\uFF07]/g, "'").replace(/[\u2010-\u2015\u2212\uFE63\uFF0D]/g, '-').replace(/\s+/gu, ' ');

/** Whole-word, case-insensitive occurrences of any name in the text (Unicode letters), in comparable form. */
export function namesMentioned(text: string, names: string[]): string[] {
  const found = new Set<string>();
  const haystack = comparableText(text);
  for (const name of names) {
    const trimmed = comparableText(name).trim();
    if ([...trimmed].length < 2) continue;
    const escaped = trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'iu').test(haystack)) found.add(trimmed);
  }
  return [...found];
}
