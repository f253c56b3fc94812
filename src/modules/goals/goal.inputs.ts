import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { CalendarDate } from '../../common/scalars';
import { GoalAchievementStatus, GoalLifecycleStatus, GoalMeasureKind, GoalVisibility, MeasurePeriod } from './goal.enums';

@InputType({ description: 'A new goal within a membership.' })
export class CreateGoalInput {
  @Field(() => ID, { description: 'The membership the goal belongs to (the member\'s own, or one in a group you facilitate).' })
  @SafeText({ max: 200 })
  membershipId: string;

  @Field({ description: 'Title, 1–200 characters.' })
  @SafeText({ min: 1, max: 200 })
  title: string;

  @Field(() => String, { nullable: true, description: 'Description, up to 2,000 characters.' })
  @IsOptional()
  @SafeText({ max: 2000 })
  description?: string | null;

  @Field(() => GoalMeasureKind, { description: 'BOOLEAN, COUNT or SCALE.' })
  measureKind: GoalMeasureKind;

  @Field(() => MeasurePeriod, { defaultValue: MeasurePeriod.DAILY, description: 'DAILY (default) or WEEKLY.' })
  measurePeriod: MeasurePeriod = MeasurePeriod.DAILY;

  @Field(() => Float, { nullable: true, description: 'Target per period: required for COUNT (1–1000) and SCALE (0–10).' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1000)
  target?: number | null;

  @Field(() => CalendarDate, { nullable: true, description: 'First day; default today.' })
  @IsOptional()
  startDate?: Date | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Due day; not before the start.' })
  @IsOptional()
  dueDate?: Date | null;

  @Field(() => GoalVisibility, { defaultValue: GoalVisibility.PRIVATE, description: 'Who may see it, among people (see GoalVisibility: a partner integration the member granted PARTNER_DATA_SHARING receives it whatever this says); PRIVATE by default.' })
  visibility: GoalVisibility = GoalVisibility.PRIVATE;

  @Field(() => GoalLifecycleStatus, { defaultValue: GoalLifecycleStatus.ACTIVE, description: 'PROPOSED or ACTIVE (default).' })
  lifecycleStatus: GoalLifecycleStatus = GoalLifecycleStatus.ACTIVE;
}

@InputType({ description: 'Changes to a goal; omitted fields stay as they are. The measure\'s kind and period are fixed at creation; its target may change.' })
export class UpdateGoalInput {
  @Field(() => ID, { description: 'The goal.' })
  @SafeText({ max: 200 })
  id: string;

  @Field(() => String, { nullable: true, description: 'Title, 1–200 characters.' })
  @IsOptional()
  @SafeText({ min: 1, max: 200 })
  title?: string;

  @Field(() => String, { nullable: true, description: 'Description, up to 2,000 characters.' })
  @IsOptional()
  @SafeText({ max: 2000 })
  description?: string | null;

  @Field(() => Float, { nullable: true, description: 'Target per period.' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1000)
  target?: number | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Due day.' })
  @IsOptional()
  dueDate?: Date | null;

  @Field(() => GoalVisibility, { nullable: true, description: 'Who may see it.' })
  @IsOptional()
  visibility?: GoalVisibility;

  @Field(() => GoalLifecycleStatus, { nullable: true, description: 'Lifecycle status.' })
  @IsOptional()
  lifecycleStatus?: GoalLifecycleStatus;

  @Field(() => GoalAchievementStatus, { nullable: true, description: 'Achievement status.' })
  @IsOptional()
  achievementStatus?: GoalAchievementStatus;
}

@InputType({ description: 'A check-in on a goal.' })
export class RecordCheckInInput {
  @Field(() => ID, { description: 'The goal.' })
  @SafeText({ max: 200 })
  goalId: string;

  @Field(() => Float, { description: 'BOOLEAN: 1 or 0; COUNT: a whole number 0–1000; SCALE: 0–10.' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  value: number;

  @Field(() => String, { nullable: true, description: 'A note, up to 1,000 characters.' })
  @IsOptional()
  @SafeText({ max: 1000 })
  note?: string | null;

  @Field(() => Int, { nullable: true, description: 'Mood 1–5.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(5)
  mood?: number | null;

  @Field(() => Date, { nullable: true, description: 'When it applies; default now. At most 7 days back and 5 minutes ahead (clock skew).' })
  @IsOptional()
  recordedAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Retry key (1–200 characters), kept 24 hours per caller: the same key and input record nothing again and return the check-in the first request recorded (a COUNT goal would otherwise count a retried check-in twice); the same key with another input answers IDEMPOTENCY_KEY_REUSED.' })
  @IsOptional()
  @SafeText({ max: 200 })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Asks another member of your group to be accountability partners.' })
export class ProposePartnershipInput {
  @Field(() => ID, { description: 'The other member\'s membership (from `group.members`).' })
  @SafeText({ max: 200 })
  partnerMembershipId: string;

  @Field(() => String, { nullable: true, description: 'A short message, up to 300 characters.' })
  @IsOptional()
  @SafeText({ max: 300 })
  message?: string | null;

  @Field({ defaultValue: false, description: 'Whether you would like to continue after the group, as alumni.' })
  continueAfterGroup: boolean = false;
}

@InputType({ description: 'Accepts or declines a proposed partnership.' })
export class RespondToPartnershipInput {
  @Field(() => ID, { description: 'The partnership.' })
  @SafeText({ max: 200 })
  partnershipId: string;

  @Field({ description: 'True to accept, false to decline.' })
  accept: boolean;

  @Field({ defaultValue: false, description: 'Whether you would like to continue after the group, as alumni.' })
  continueAfterGroup: boolean = false;
}

@InputType({ description: 'Your choice, in an ACTIVE partnership, to continue it after the group or not.' })
export class SetPartnershipContinuationInput {
  @Field(() => ID, { description: 'The partnership.' })
  @SafeText({ max: 200 })
  partnershipId: string;

  @Field({ description: 'True to continue after the group, as alumni (the other member must choose it too); false not to.' })
  continueAfterGroup: boolean;
}

@InputType({ description: 'Ends a partnership (either member).' })
export class EndPartnershipInput {
  @Field(() => ID, { description: 'The partnership.' })
  @SafeText({ max: 200 })
  partnershipId: string;

  @Field(() => String, { nullable: true, description: 'Why, up to 300 characters.' })
  @IsOptional()
  @SafeText({ max: 300 })
  reason?: string | null;
}

@InputType({ description: 'A message of encouragement about a goal (or one of its check-ins) you may see.' })
export class SendEncouragementInput {
  @Field(() => ID, { description: 'The goal.' })
  @SafeText({ max: 200 })
  goalId: string;

  @Field(() => ID, { nullable: true, description: 'A check-in of that goal, if the message is about one.' })
  @IsOptional()
  @SafeText({ max: 200 })
  checkInId?: string | null;

  @Field({ description: 'The message, 1–500 characters.' })
  @SafeText({ min: 1, max: 500 })
  message: string;
}
