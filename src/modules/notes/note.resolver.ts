import { Arg, Authorized, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { Membership } from '../memberships/membership.entity';
import { membershipLoaders } from '../memberships/membership.loaders';
import { GroupSession } from '../sessions/session.types';
import { sessionLoaders } from '../sessions/session.loaders';
import { StaffMember } from '../staff/staff-member.entity';
import { staffLoaders } from '../staff/staff.loaders';
import { forbidden } from '../../errors/domain-error';
import { AddNoteAddendumInput, CosignSessionNoteInput, CreateSessionNoteInput, SignSessionNoteInput, UpdateSessionNoteInput } from './note.inputs';
import { noteLoaders } from './note.loaders';
import { addNoteAddendum, cosignSessionNote, createSessionNote, getNote, noteAudit, NoteAuditFields, readBody, signSessionNote, updateSessionNote } from './note.service';
import { NoteAddendum, NoteWarning, SessionNote } from './note.types';

@ObjectType({ simpleResolvers: true, description: 'Result of createSessionNote, updateSessionNote or cosignSessionNote.' })
class NotePayload {
  @Field(() => SessionNote, { description: 'The note after the change.' })
  note: SessionNote;
}

@ObjectType({ simpleResolvers: true, description: 'Result of signSessionNote: signed is false when warnings stopped it.' })
class SignNotePayload {
  @Field(() => SessionNote, { description: 'The note.' })
  note: SessionNote;

  @Field({ description: 'Whether the note is now signed.' })
  signed: boolean;

  @Field(() => [NoteWarning], { description: 'What to look at; pass acknowledgeWarnings: true to sign anyway.' })
  warnings: NoteWarning[];
}

@ObjectType({ simpleResolvers: true, description: 'Result of addNoteAddendum.' })
class AddendumPayload {
  @Field(() => NoteAddendum, { nullable: true, description: 'The addendum, signed on creation; null when it was not added because of warnings.' })
  addendum: NoteAddendum | null;

  @Field(() => [NoteWarning], { description: 'What to look at (MEMBER_NAMED on a GROUP note, or on a PROGRESS note shared with its member); pass acknowledgeWarnings: true to add it anyway.' })
  warnings: NoteWarning[];
}

const NOTE_WRITERS = [Rule.SUPERVISOR, Rule.CLINICIAN];

@Resolver(() => SessionNote)
export class NoteResolver {
  @Authorized(...Rule.STAFF, Rule.MEMBER)
  @Query(() => SessionNote, { description: 'One note, by the who-reads-what rules; anything else answers NOT_FOUND (and is audited as DENIED).' })
  sessionNote(@Arg('id', () => ID, { description: 'Global id of the note.' }) id: string, @Ctx() ctx: AuthedContext) {
    return getNote(ctx, id);
  }

  @Authorized(Rule.MEMBER)
  @Query(() => [SessionNote], { description: 'The member\'s own PROGRESS notes that were signed and shared with them. Members only.' })
  myNotes(@Ctx() ctx: AuthedContext) {
    if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
    return ctx.loaders.of(noteLoaders).byClient.load(ctx.viewer.clientId);
  }

  @Authorized(...NOTE_WRITERS)
  @Mutation(() => NotePayload, { description: 'Creates a draft note (encrypted at rest). A PROGRESS or PSYCHOTHERAPY note is about a member seated in the group on the session\'s date (BAD_USER_INPUT otherwise); one GROUP note per session and one PROGRESS note per member per session (CONFLICT, reason NOTE_EXISTS); CONFLICT for a session not yet started (reason SESSION_NOT_STARTED), a cancelled session or an ARCHIVED group. The group\'s facilitators (a clinician only for sessions on days their assignment covered, FORBIDDEN otherwise) and supervisors.' })
  async createSessionNote(@Arg('input', { description: 'The note.' }) input: CreateSessionNoteInput, @Ctx() ctx: AuthedContext) {
    return { note: await createSessionNote(ctx, input) };
  }

  @Authorized(...NOTE_WRITERS)
  @Mutation(() => NotePayload, { description: 'Edits a draft (author only) with expectedVersion: a stale version answers CONFLICT, a signed note NOTE_LOCKED.' })
  async updateSessionNote(@Arg('input', { description: 'The changes.' }) input: UpdateSessionNoteInput, @Ctx() ctx: AuthedContext) {
    return { note: await updateSessionNote(ctx, input) };
  }

  @Authorized(...NOTE_WRITERS)
  @Mutation(() => SignNotePayload, {
    description: 'Signs a draft (author only): immutable from then on, with a SHA-256 content hash. A GROUP note naming a member, or a PROGRESS note shared with its member naming another member of the group, returns a MEMBER_NAMED warning and stays a draft (`signed: false`) unless acknowledgeWarnings is true.',
  })
  signSessionNote(@Arg('input', { description: 'Which note.' }) input: SignSessionNoteInput, @Ctx() ctx: AuthedContext) {
    return signSessionNote(ctx, input);
  }

  @Authorized(Rule.SUPERVISOR)
  @Mutation(() => NotePayload, { description: 'Co-signs a signed GROUP or PROGRESS note, once: a draft or a note already co-signed answers CONFLICT. Supervisors other than the author (FORBIDDEN otherwise).' })
  async cosignSessionNote(@Arg('input', { description: 'Which note.' }) input: CosignSessionNoteInput, @Ctx() ctx: AuthedContext) {
    return { note: await cosignSessionNote(ctx, input) };
  }

  @Authorized(...NOTE_WRITERS)
  @Mutation(() => AddendumPayload, { description: 'Adds a correction to a signed note: append-only, signed on creation. Its author, or staff who may read its body (psychotherapy notes: the author only).' })
  async addNoteAddendum(@Arg('input', { description: 'The addendum.' }) input: AddNoteAddendumInput, @Ctx() ctx: AuthedContext) {
    return addNoteAddendum(ctx, input);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The text. Null for viewers who see metadata only (admins). Every read is audited.' })
  body(@Root() note: SessionNote, @Ctx() ctx: AuthedContext) {
    return readBody(ctx, note, 'SessionNote', noteAudit(note));
  }

  @FieldResolver(() => StaffMember, { nullable: true, description: 'Who wrote it.' })
  author(@Root() note: SessionNote, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(staffLoaders).byId.load(note.authorStaffId);
  }

  @FieldResolver(() => StaffMember, { nullable: true, description: 'Who signed it.' })
  signedBy(@Root() note: SessionNote, @Ctx() ctx: AuthedContext) {
    return note.signedByStaffId ? ctx.loaders.of(staffLoaders).byId.load(note.signedByStaffId) : null;
  }

  @FieldResolver(() => StaffMember, { nullable: true, description: 'Who co-signed it.' })
  cosignedBy(@Root() note: SessionNote, @Ctx() ctx: AuthedContext) {
    return note.cosignedByStaffId ? ctx.loaders.of(staffLoaders).byId.load(note.cosignedByStaffId) : null;
  }

  @FieldResolver(() => GroupSession, { nullable: true, description: 'The session.' })
  session(@Root() note: SessionNote, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(sessionLoaders).visibleById.load(note.sessionId);
  }

  @FieldResolver(() => Membership, { nullable: true, description: 'The member a PROGRESS or PSYCHOTHERAPY note is about.' })
  membership(@Root() note: SessionNote, @Ctx() ctx: AuthedContext) {
    return note.membershipId ? ctx.loaders.of(membershipLoaders).visibleById.load(note.membershipId) : null;
  }

  @FieldResolver(() => [NoteAddendum], { description: 'Addenda, oldest first.' })
  async addenda(@Root() note: SessionNote, @Ctx() ctx: AuthedContext) {
    const rows = await ctx.loaders.of(noteLoaders).addenda.load(note.id);
    return rows.map((a) =>
      Object.assign(Object.create(NoteAddendum.prototype) as NoteAddendum, a, { read: note.read, audit: noteAudit(note), contentHash: note.read === 'BODY' ? a.contentHash : null }),
    );
  }
}

@Resolver(() => NoteAddendum)
export class NoteAddendumResolver {
  @FieldResolver(() => String, { nullable: true, description: 'The text (null for metadata-only viewers). Every read is audited.' })
  body(@Root() a: NoteAddendum & { audit?: NoteAuditFields }, @Ctx() ctx: AuthedContext) {
    return readBody(ctx, a, 'NoteAddendum', a.audit ?? { subjectClientId: null, apart: true });
  }

  @FieldResolver(() => StaffMember, { nullable: true, description: 'Who wrote it.' })
  author(@Root() a: NoteAddendum, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(staffLoaders).byId.load(a.authorStaffId);
  }
}

@Resolver(() => GroupSession)
export class SessionNotesResolver {
  @FieldResolver(() => [SessionNote], { description: 'Notes of the session the viewer may see (psychotherapy notes only for their author).' })
  notes(@Root() s: GroupSession, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(noteLoaders).bySession.load(s.id);
  }
}
