import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../common/node';

export enum NoteKind {
  GROUP = 'GROUP',
  PROGRESS = 'PROGRESS',
  PSYCHOTHERAPY = 'PSYCHOTHERAPY',
}
registerEnumType(NoteKind, {
  name: 'NoteKind',
  description: 'What a clinical note is.',
  valuesConfig: {
    GROUP: { description: 'Session-level note (themes, interventions); names no member. One per session.' },
    PROGRESS: { description: 'One member\'s note for one session, in their chart. One per member per session.' },
    PSYCHOTHERAPY: { description: 'Process notes: readable by their author alone, never listed to anyone else, never exported.' },
  },
});

export enum NoteStatus {
  DRAFT = 'DRAFT',
  SIGNED = 'SIGNED',
}
registerEnumType(NoteStatus, {
  name: 'NoteStatus',
  description: 'DRAFT (editable with expectedVersion) → SIGNED (locked; corrections are addenda).',
  valuesConfig: {
    DRAFT: { description: 'Being written.' },
    SIGNED: { description: 'Signed and locked, with a content hash.' },
  },
});

/** What the viewer may see of a note: everything, or metadata only (admins). */
export type NoteRead = 'BODY' | 'METADATA';

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    'A clinical note. Bodies are encrypted at rest and every body read is audited. GROUP and PROGRESS: the group\'s facilitators and supervisors; admins see metadata only (body null); a member reads their own PROGRESS notes once signed and shared. PSYCHOTHERAPY: the author alone (not once they are an admin).',
})
export class SessionNote implements Node {
  id: string;
  sessionId: string;
  groupId: string;
  membershipId: string | null;
  clientId: string | null;
  authorStaffId: string;
  signedByStaffId: string | null;
  cosignedByStaffId: string | null;
  encryptedBody: Buffer;
  keyId: string;
  read: NoteRead;

  @Field(() => NoteKind, { description: 'GROUP, PROGRESS or PSYCHOTHERAPY.' })
  kind: NoteKind;

  @Field(() => NoteStatus, { description: 'DRAFT or SIGNED.' })
  status: NoteStatus;

  @Field(() => Int, { description: 'Optimistic version: pass it as expectedVersion when updating a draft.' })
  version: number;

  @Field({ description: 'Whether the member may read this PROGRESS note once signed.' })
  sharedWithClient: boolean;

  @Field(() => String, { nullable: true, description: 'SHA-256 of the body, fixed at signing. Null until signed, and for viewers who may not read the body (a hash of a short note would confirm a guess).' })
  contentHash: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was signed.' })
  signedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When a supervisor co-signed it.' })
  cosignedAt: Date | null;

  @Field({ description: 'When it was created.' })
  createdAt: Date;

  @Field({ description: 'When the draft last changed.' })
  updatedAt: Date;

  @Field({ description: 'When the meeting it documents began (its session\'s start): the date of service, shown with the note to whoever may see it, also where `session` is not (a former member reading their shared note).' })
  meetingStart: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A correction or addition to a signed note: append-only, signed on creation.' })
export class NoteAddendum {
  id: string;
  noteId: string;
  authorStaffId: string;
  encryptedBody: Buffer;
  keyId: string;
  read: NoteRead;

  @Field(() => String, { nullable: true, description: 'SHA-256 of the addendum text; null for viewers who may not read it.' })
  contentHash: string | null;

  @Field({ description: 'When it was added (and signed).' })
  createdAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'Something the signer should look at before signing.' })
export class NoteWarning {
  @Field({ description: 'Stable code, e.g. MEMBER_NAMED.' })
  code: string;

  @Field({ description: 'What to look at.' })
  message: string;
}
