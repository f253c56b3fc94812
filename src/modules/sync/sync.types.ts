import { ArrayMaxSize, IsOptional, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { ExternalIdentifierInput } from '../external-ids/external-identifier.entity';
import { MembershipStatus } from '../memberships/membership-status';

export const MAX_SYNC_ROWS = 1000;

export enum SyncMode {
  MERGE = 'MERGE',
  REPLACE = 'REPLACE',
}
registerEnumType(SyncMode, {
  name: 'SyncMode',
  description: 'How the list relates to the group\'s roster.',
  valuesConfig: {
    MERGE: { description: 'Create and update only; members missing from the list are left alone.' },
    REPLACE: { description: 'The list is the roster: open memberships of clients missing from it end as WITHDRAWN (reason ROSTER_SYNC), never deleted.' },
  },
});

@InputType({ description: 'The group to sync: by id or by external identifier.' })
export class GroupRefInput {
  @Field(() => ID, { nullable: true, description: 'Global id of the group.' })
  @IsOptional()
  @SafeText({ max: 200 })
  id?: string | null;

  @Field(() => ExternalIdentifierInput, { nullable: true, description: 'External identifier of the group.' })
  @IsOptional()
  @ValidateNested()
  externalId?: ExternalIdentifierInput | null;
}

/** Row fields are plain strings on purpose: each row is validated by the sync, which reports every row's errors at once. */
@InputType({
  description:
    'One member as the outside system knows them. Invalid values are reported per row, not as a request error. For a client already stored, an optional field left out keeps the stored value, while null or a blank string clears it: an export that writes "" for an unknown phone erases the phone on file. Limits: names 1–100 characters, email 320, external identifier parts 200; phone E.164; a matched client\'s stored email and phone are taken back unchanged.',
})
export class RosterMemberInput {
  @Field(() => ExternalIdentifierInput, { description: 'The client\'s identifier in the outside system (matches existing clients).' })
  externalId: ExternalIdentifierInput;

  @Field({ description: 'Legal given name.' })
  givenName: string;

  @Field({ description: 'Legal family name.' })
  familyName: string;

  @Field(() => String, { nullable: true, description: 'Preferred name.' })
  preferredName?: string | null;

  @Field(() => String, { nullable: true, description: 'Email address.' })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'Phone, E.164.' })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Date of birth, YYYY-MM-DD.' })
  dateOfBirth?: string | null;

  @Field(() => MembershipStatus, { nullable: true, description: 'Desired membership status. Omitted: a new member starts ACTIVE (WAITLISTED when the group is full); an open membership becomes ACTIVE when it can (a seat free, the step allowed) and otherwise keeps its status, and an ON_HOLD one stays on hold.' })
  status?: MembershipStatus | null;
}

@InputType({ description: 'A roster sync. All or nothing: any invalid row means nothing is written.' })
export class SyncRosterInput {
  @Field(() => GroupRefInput, { description: 'The group.' })
  @ValidateNested()
  group: GroupRefInput;

  @Field(() => [RosterMemberInput], { description: `The members, at most ${MAX_SYNC_ROWS}.` })
  @ArrayMaxSize(MAX_SYNC_ROWS, { message: `members: at most ${MAX_SYNC_ROWS} per call; split larger rosters with MERGE` })
  members: RosterMemberInput[];

  @Field(() => SyncMode, { defaultValue: SyncMode.MERGE, description: 'MERGE (default) or REPLACE.' })
  mode: SyncMode = SyncMode.MERGE;

  @Field({ defaultValue: false, description: 'Plan only: return what would change and write nothing.' })
  dryRun: boolean = false;

  @Field({ defaultValue: false, description: 'Required when a REPLACE would end more than 20% of the seated (ACTIVE or ON_HOLD) memberships, or more than 20% of those waiting (REFERRED, SCREENING, WAITLISTED), counting those left out and those given an ended status alike.' })
  confirmLargeChange: boolean = false;

  @Field(() => String, { nullable: true, description: 'Retry key (kept 24 hours per caller: the API key, or the admin): the same key and input return the stored result; another input answers IDEMPOTENCY_KEY_REUSED. A run refused (an error, or row errors that kept it from applying) keeps nothing: the corrected roster may use the same key.' })
  @IsOptional()
  @SafeText({ max: 200 })
  idempotencyKey?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A client the sync creates or updates.' })
export class SyncClientChange {
  @Field(() => Int, { description: 'Row index in the input.' })
  index: number;

  @Field({ description: 'The row\'s external identifier, `system|value`.' })
  externalId: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The client\'s id: for an update, the stored client the row matched; for a new client, the one created, once the sync is applied (null in a dry run or when row errors kept it from applying).',
  })
  clientId: string | null;

  @Field(() => [String], { description: 'Fields that change (all, for a new client).' })
  fields: string[];
}

@ObjectType({ simpleResolvers: true, description: 'A membership the sync creates, changes or ends.' })
export class SyncMembershipChange {
  @Field(() => Int, { nullable: true, description: 'Row index in the input (null for memberships ended by REPLACE).' })
  index: number | null;

  @Field(() => String, { nullable: true, description: 'The row\'s external identifier, when the change comes from a row.' })
  externalId: string | null;

  @Field(() => ID, { nullable: true, description: 'The membership: the existing one changed or ended, or for an enrolment the one created, once the sync is applied (null in a dry run or when row errors kept it from applying).' })
  membershipId: string | null;

  @Field(() => MembershipStatus, { nullable: true, description: 'Status before (null for enrolments).' })
  from: MembershipStatus | null;

  @Field(() => MembershipStatus, { description: 'Status after.' })
  to: MembershipStatus;
}

@ObjectType({ simpleResolvers: true, description: 'A problem with one row. Nothing is written while any row has one.' })
export class SyncRowError {
  @Field(() => Int, { description: 'Row index in the input.' })
  index: number;

  @Field(() => String, { nullable: true, description: 'The row\'s external identifier, if it had one.' })
  externalId: string | null;

  @Field({ description: 'The field at fault.' })
  field: string;

  @Field({ description: 'Stable code: REQUIRED, TOO_LONG, INVALID_TEXT, INVALID_EMAIL, INVALID_PHONE, INVALID_DATE, DUPLICATE, CONFLICT, CAPACITY_REACHED.' })
  code: string;

  @Field({ description: 'What is wrong.' })
  message: string;
}

@ObjectType({ simpleResolvers: true, description: 'Result of syncRoster: the plan, row errors, and whether it was applied.' })
export class SyncRosterPayload {
  @Field({ description: 'True when the plan was written; false for dry runs and when any row has an error.' })
  applied: boolean;

  @Field({ description: 'Whether this was a dry run.' })
  dryRun: boolean;

  @Field(() => SyncMode, { description: 'The mode used.' })
  mode: SyncMode;

  @Field(() => [SyncClientChange], { description: 'Clients created.' })
  clientsCreated: SyncClientChange[];

  @Field(() => [SyncClientChange], { description: 'Clients updated, with the changed fields.' })
  clientsUpdated: SyncClientChange[];

  @Field(() => [SyncMembershipChange], { description: 'Memberships enrolled.' })
  membershipsEnrolled: SyncMembershipChange[];

  @Field(() => [SyncMembershipChange], { description: 'Status changes of existing memberships, including waitlisted members promoted into freed seats (index null).' })
  statusChanges: SyncMembershipChange[];

  @Field(() => [SyncMembershipChange], { description: 'Memberships ended as WITHDRAWN by REPLACE.' })
  membershipsEnded: SyncMembershipChange[];

  @Field(() => Int, { description: 'Rows that changed nothing.' })
  unchangedCount: number;

  @Field(() => Int, { description: 'Rows enrolled as WAITLISTED because no seat was free beyond those already waitlisted (the waitlist goes first).' })
  waitlistedForCapacity: number;

  @Field({ description: 'True when a REPLACE would end more than 20% of the seated (ACTIVE or ON_HOLD) memberships, or of those waiting (REFERRED, SCREENING, WAITLISTED), and needs confirmLargeChange.' })
  requiresConfirmation: boolean;

  @Field(() => [SyncRowError], { description: 'The rows\' problems; when any, nothing was written. Every input problem comes at once; what rows mean against the stored roster (CONFLICT, CAPACITY_REACHED, DUPLICATE of a stored client) is judged once every row is well-formed.' })
  errors: SyncRowError[];
}

@ObjectType({ simpleResolvers: true, description: 'A recorded sync run (dry or applied).' })
export class SyncRun {
  @Field(() => ID, { description: 'Id of the run.' })
  id: string;

  @Field({ description: 'When it ran.' })
  createdAt: Date;

  @Field({ description: 'Actor kind: STAFF or INTEGRATION.' })
  actorType: string;

  @Field(() => String, { nullable: true, description: 'Name of the staff member or integration.' })
  actorName: string | null;

  @Field(() => SyncMode, { description: 'Mode.' })
  mode: SyncMode;

  @Field({ description: 'Dry run?' })
  dryRun: boolean;

  @Field({ description: 'Was it written?' })
  applied: boolean;

  @Field(() => Int, { description: 'Rows sent.' })
  rowCount: number;

  @Field(() => Int, { description: 'Row errors found.' })
  errorCount: number;

  @Field({ description: 'Counts per kind of change, as JSON text.' })
  counts: string;

  actorId: string | null;

  groupId: string;
}
