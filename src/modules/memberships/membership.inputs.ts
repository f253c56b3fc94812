import { IsOptional } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { ExternalIdentifierInput, ExternalIdsField } from '../external-ids/external-identifier.entity';
import { MembershipStatus } from './membership-status';

@InputType({ description: 'Enrols a client in a group: ACTIVE when a seat is free, else WAITLISTED.' })
export class EnrollClientInput {
  @Field(() => ID, { description: 'The group.' })
  @SafeText({ max: 200 })
  groupId: string;

  @Field(() => ID, { description: 'The client.' })
  @SafeText({ max: 200 })
  clientId: string;

  @Field(() => MembershipStatus, {
    nullable: true,
    description: 'REFERRED, SCREENING or WAITLISTED to start earlier in the pipeline; default ACTIVE (WAITLISTED when full).',
  })
  @IsOptional()
  initialStatus?: MembershipStatus | null;

  @Field(() => String, { nullable: true, description: 'Why, up to 500 characters (kept in the membership history).' })
  @IsOptional()
  @SafeText({ max: 500 })
  reason?: string | null;

  @ExternalIdsField('The enrolment\'s identifiers in outside systems (at most 10; a pair already on another membership answers CONFLICT).')
  externalIds?: ExternalIdentifierInput[] | null;

  @Field(() => String, { nullable: true, description: 'Retry key (1–200 characters), kept 24 hours per caller: the same key and input write nothing again and return the record the first request wrote, as it stands now and as you may now see it; the same key with another input answers IDEMPOTENCY_KEY_REUSED.' })
  @IsOptional()
  @SafeText({ max: 200 })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Moves a membership along its state machine.' })
export class ChangeMembershipStatusInput {
  @Field(() => ID, { description: 'The membership.' })
  @SafeText({ max: 200 })
  membershipId: string;

  @Field(() => MembershipStatus, { description: 'The new status.' })
  status: MembershipStatus;

  @Field({ description: 'Why, 1–500 characters (kept in the membership history).' })
  @SafeText({ min: 1, max: 500 })
  reason: string;

  @Field(() => String, { nullable: true, description: 'Retry key (1–200 characters), kept 24 hours per caller: the same key and input write nothing again and return the record the first request wrote, as it stands now and as you may now see it; the same key with another input answers IDEMPOTENCY_KEY_REUSED.' })
  @IsOptional()
  @SafeText({ max: 200 })
  idempotencyKey?: string | null;
}

@InputType({ description: 'The member accepts their group\'s agreement.' })
export class AcceptGroupAgreementInput {
  @Field(() => ID, { description: 'The group.' })
  @SafeText({ max: 200 })
  groupId: string;

  @Field(() => Int, { nullable: true, description: 'The agreement version read; if the agreement changed meanwhile the call answers CONFLICT.' })
  @IsOptional()
  version?: number | null;
}
