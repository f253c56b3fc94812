import { IsInt, IsOptional, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { NoteKind } from './note.types';

/** 64 KB of text: clinical notes are prose, not attachments. */
export const MAX_NOTE_CHARS = 65536;

@InputType({ description: 'A new draft note.' })
export class CreateSessionNoteInput {
  @Field(() => ID, { description: 'The session.' })
  @SafeText({ max: 200 })
  sessionId: string;

  @Field(() => NoteKind, { description: 'GROUP, PROGRESS or PSYCHOTHERAPY.' })
  kind: NoteKind;

  @Field(() => ID, { nullable: true, description: 'The member (membership) for PROGRESS and PSYCHOTHERAPY notes; omit for GROUP.' })
  @IsOptional()
  @SafeText({ max: 200 })
  membershipId?: string | null;

  @Field({ description: 'The text, up to 65,536 characters.' })
  @SafeText({ min: 1, max: MAX_NOTE_CHARS })
  body: string;

  @Field({ defaultValue: false, description: 'PROGRESS notes: let the member read it once signed.' })
  sharedWithClient: boolean = false;
}

@InputType({ description: 'Changes a draft. Stale expectedVersion → CONFLICT; signed notes → NOTE_LOCKED.' })
export class UpdateSessionNoteInput {
  @Field(() => ID, { description: 'The note.' })
  @SafeText({ max: 200 })
  noteId: string;

  @Field(() => Int, { description: 'The version you edited (from `version`).' })
  @IsInt()
  @Min(1)
  expectedVersion: number;

  @Field(() => String, { nullable: true, description: 'New text, up to 65,536 characters.' })
  @IsOptional()
  @SafeText({ min: 1, max: MAX_NOTE_CHARS })
  body?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'PROGRESS notes: share with the member once signed.' })
  @IsOptional()
  sharedWithClient?: boolean | null;
}

@InputType({ description: 'Signs a draft: it becomes immutable, with a SHA-256 content hash.' })
export class SignSessionNoteInput {
  @Field(() => ID, { description: 'The note.' })
  @SafeText({ max: 200 })
  noteId: string;

  @Field(() => Int, { nullable: true, description: 'The version the clinician reviewed: any other version stored now → CONFLICT (currentVersion). Pass it: left out, the version stored now is signed, which may be one saved meanwhile (another tab, an autosave) and never reviewed.' })
  @IsOptional()
  @IsInt()
  expectedVersion?: number | null;

  @Field({ defaultValue: false, description: 'Sign despite warnings (MEMBER_NAMED in a GROUP note, or in a PROGRESS note shared with its member that names another member).' })
  acknowledgeWarnings: boolean = false;
}

@InputType({ description: 'Co-signs a signed note (a supervisor other than the author).' })
export class CosignSessionNoteInput {
  @Field(() => ID, { description: 'The note.' })
  @SafeText({ max: 200 })
  noteId: string;
}

@InputType({ description: 'Adds an addendum to a signed note.' })
export class AddNoteAddendumInput {
  @Field(() => ID, { description: 'The signed note.' })
  @SafeText({ max: 200 })
  noteId: string;

  @Field({ description: 'The text, up to 65,536 characters.' })
  @SafeText({ min: 1, max: MAX_NOTE_CHARS })
  body: string;

  @Field({ defaultValue: false, description: 'Add it despite warnings (MEMBER_NAMED in the addendum of a GROUP note, or of a PROGRESS note shared with its member).' })
  acknowledgeWarnings: boolean = false;
}
