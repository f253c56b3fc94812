import { ArrayMaxSize, ArrayMinSize, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { ExternalIdentifierInput, ExternalIdsField } from '../external-ids/external-identifier.entity';
import { CalendarDate } from '../../common/scalars';
import { AttendanceStatus, SessionStatus } from './session.types';

@InputType({ description: 'Repeat weekly, at the same local time in the clinic\'s time zone (across daylight-saving changes). Give count or until.' })
export class WeeklyRecurrenceInput {
  @Field(() => Int, { nullable: true, description: 'How many sessions in all, 1–104.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(104)
  count?: number | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Last local day a session may fall on. At most 104 sessions: an until on or after the day a 105th would fall on answers BAD_USER_INPUT, nothing scheduled.' })
  @IsOptional()
  until?: Date | null;
}

@InputType({ description: 'One session, or a weekly series.' })
export class ScheduleSessionsInput {
  @Field(() => ID, { description: 'The group.' })
  @SafeText({ max: 200 })
  groupId: string;

  @Field({ description: 'Start of the first session (an instant; its local wall time in the clinic\'s zone repeats).' })
  firstStart: Date;

  @Field(() => Int, { description: 'Length in minutes, 15–480.' })
  @IsInt()
  @Min(15)
  @Max(480)
  durationMinutes: number;

  @Field(() => String, { nullable: true, description: 'Topic, up to 200 characters.' })
  @IsOptional()
  @SafeText({ max: 200 })
  topic?: string | null;

  @Field(() => WeeklyRecurrenceInput, { nullable: true, description: 'Omit for a single session.' })
  @IsOptional()
  @ValidateNested()
  weekly?: WeeklyRecurrenceInput | null;

  @ExternalIdsField('The session\'s identifiers in outside systems (at most 10), for a single session only: a weekly series gets them per session with updateSession.')
  externalIds?: ExternalIdentifierInput[] | null;
}

@InputType({ description: 'Changes to a session.' })
export class UpdateSessionInput {
  @Field(() => ID, { description: 'The session.' })
  @SafeText({ max: 200 })
  sessionId: string;

  @Field(() => Date, { nullable: true, description: 'New start.' })
  @IsOptional()
  scheduledStart?: Date | null;

  @Field(() => Int, { nullable: true, description: 'New length in minutes, 15–480.' })
  @IsOptional()
  @IsInt()
  @Min(15)
  @Max(480)
  durationMinutes?: number | null;

  @Field(() => String, { nullable: true, description: 'Topic, up to 200 characters.' })
  @IsOptional()
  @SafeText({ max: 200 })
  topic?: string | null;

  @Field(() => SessionStatus, { nullable: true, description: 'SCHEDULED or HELD (cancel with cancelSession).' })
  @IsOptional()
  status?: SessionStatus | null;

  @Field(() => [ID], { nullable: true, description: 'Staff members who facilitated: each assigned to the group on the session\'s date (BAD_USER_INPUT otherwise).' })
  @IsOptional()
  @ArrayMaxSize(10)
  @SafeText({ max: 200 }, { each: true })
  facilitatorsPresent?: string[] | null;

  @ExternalIdsField('Identifiers in outside systems to add (at most 10; existing ones stay; a pair already on another session answers CONFLICT).')
  externalIds?: ExternalIdentifierInput[] | null;
}

@InputType({ description: 'Cancels a session; its notes and attendance are kept.' })
export class CancelSessionInput {
  @Field(() => ID, { description: 'The session.' })
  @SafeText({ max: 200 })
  sessionId: string;

  @Field({ description: 'Why, 1–500 characters.' })
  @SafeText({ min: 1, max: 500 })
  reason: string;
}

@InputType({ description: 'One member\'s attendance.' })
export class AttendanceRecordInput {
  @Field(() => ID, { description: 'The membership.' })
  @SafeText({ max: 200 })
  membershipId: string;

  @Field(() => AttendanceStatus, { description: 'How they attended.' })
  status: AttendanceStatus;

  @Field(() => Date, { nullable: true, description: 'When they joined (a LATE arrival); left out, the session\'s start. Attended statuses only: an absence takes no times.' })
  @IsOptional()
  joinedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When they left (an early leaver); not before joinedAt; left out, the session\'s end. Attended statuses only.' })
  @IsOptional()
  leftAt?: Date | null;
}

@InputType({ description: 'Attendance for many members of one session at once. Re-recording a member replaces their record (audited).' })
export class RecordAttendanceInput {
  @Field(() => ID, { description: 'The session.' })
  @SafeText({ max: 200 })
  sessionId: string;

  @Field(() => [AttendanceRecordInput], { description: 'One record per member, 1–100.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  records: AttendanceRecordInput[];
}
