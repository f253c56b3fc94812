import { IsInt, IsOptional, IsUrl, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { CalendarDate } from '../../common/scalars';
import { ExternalIdentifierInput, ExternalIdsField } from '../external-ids/external-identifier.entity';
import { FacilitatorRole, GroupFormat, GroupStatus, Modality, PeerContactPolicy } from './group.enums';

@InputType({ description: 'A new therapy group. It starts FORMING.' })
export class CreateGroupInput {
  @Field({ description: 'Name, 1–200 characters.' })
  @SafeText({ min: 1, max: 200 })
  name: string;

  @Field(() => String, { nullable: true, description: 'Description, up to 4,000 characters.' })
  @IsOptional()
  @SafeText({ max: 4000 })
  description?: string | null;

  @Field(() => Modality, { description: 'Therapeutic approach.' })
  modality: Modality;

  @Field(() => GroupFormat, { description: 'How members join.' })
  format: GroupFormat;

  @Field(() => Int, { description: 'Seats, 1–100.' })
  @IsInt()
  @Min(1)
  @Max(100)
  capacity: number;

  @Field(() => String, { nullable: true, description: 'Human-readable schedule, up to 200 characters.' })
  @IsOptional()
  @SafeText({ max: 200 })
  scheduleDescription?: string | null;

  @Field(() => String, { nullable: true, description: 'In-person location, up to 500 characters.' })
  @IsOptional()
  @SafeText({ max: 500 })
  location?: string | null;

  @Field(() => String, { nullable: true, description: 'Video link (https URL), up to 500 characters.' })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true })
  @SafeText({ max: 500 })
  videoLink?: string | null;

  @Field(() => CalendarDate, { nullable: true, description: 'First day.' })
  @IsOptional()
  startDate?: Date | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Last day; not before startDate.' })
  @IsOptional()
  endDate?: Date | null;

  @Field(() => String, { nullable: true, description: 'Group agreement text, up to 20,000 characters.' })
  @IsOptional()
  @SafeText({ max: 20000 })
  agreementText?: string | null;

  @Field(() => PeerContactPolicy, { nullable: true, description: 'When members may exchange contact details. Default: the clinic\'s `settings.defaultPeerContactPolicy` (AFTER_COMPLETION unless an admin changed it).' })
  @IsOptional()
  peerContactPolicy?: PeerContactPolicy | null;

  @ExternalIdsField('Identifiers in outside systems (at most 10).')
  externalIds?: ExternalIdentifierInput[] | null;
}

@InputType({ description: 'Changes to a group; omitted fields stay as they are. Changing the agreement text raises its version.' })
export class UpdateGroupInput {
  @Field(() => ID, { description: 'The group.' })
  @SafeText({ max: 200 })
  id: string;

  @Field(() => String, { nullable: true, description: 'Name, 1–200 characters.' })
  @IsOptional()
  @SafeText({ min: 1, max: 200 })
  name?: string;

  @Field(() => String, { nullable: true, description: 'Description, up to 4,000 characters.' })
  @IsOptional()
  @SafeText({ max: 4000 })
  description?: string | null;

  @Field(() => Modality, { nullable: true, description: 'Therapeutic approach.' })
  @IsOptional()
  modality?: Modality;

  @Field(() => GroupFormat, { nullable: true, description: 'How members join.' })
  @IsOptional()
  format?: GroupFormat;

  @Field(() => Int, { nullable: true, description: 'Seats, 1–100; not below the seated members. Raising it promotes waitlisted members (OPEN and ROLLING).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  capacity?: number;

  @Field(() => String, { nullable: true, description: 'Human-readable schedule.' })
  @IsOptional()
  @SafeText({ max: 200 })
  scheduleDescription?: string | null;

  @Field(() => String, { nullable: true, description: 'In-person location.' })
  @IsOptional()
  @SafeText({ max: 500 })
  location?: string | null;

  @Field(() => String, { nullable: true, description: 'Video link (https URL).' })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true })
  @SafeText({ max: 500 })
  videoLink?: string | null;

  @Field(() => CalendarDate, { nullable: true, description: 'First day.' })
  @IsOptional()
  startDate?: Date | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Last day.' })
  @IsOptional()
  endDate?: Date | null;

  @Field(() => String, { nullable: true, description: 'New agreement text; members must accept the new version to keep seeing peers.' })
  @IsOptional()
  @SafeText({ max: 20000 })
  agreementText?: string | null;

  @Field(() => PeerContactPolicy, { nullable: true, description: 'When members may exchange contact details.' })
  @IsOptional()
  peerContactPolicy?: PeerContactPolicy;

  @ExternalIdsField('Identifiers to add.')
  externalIds?: ExternalIdentifierInput[] | null;
}

@InputType({ description: 'A group status change.' })
export class ChangeGroupStatusInput {
  @Field(() => ID, { description: 'The group.' })
  @SafeText({ max: 200 })
  groupId: string;

  @Field(() => GroupStatus, { description: 'The new status.' })
  status: GroupStatus;
}

@InputType({ description: 'Assigns a staff member to facilitate a group.' })
export class AssignFacilitatorInput {
  @Field(() => ID, { description: 'The group.' })
  @SafeText({ max: 200 })
  groupId: string;

  @Field(() => ID, { description: 'The staff member (a clinician or supervisor).' })
  @SafeText({ max: 200 })
  staffMemberId: string;

  @Field(() => FacilitatorRole, { description: 'Lead or co-facilitator.' })
  role: FacilitatorRole;

  @Field(() => CalendarDate, { nullable: true, description: 'First day; default today. A clinician\'s access to the group begins on it.' })
  @IsOptional()
  periodStart?: Date | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Planned last day, if known. A clinician\'s access to the group ends after it, whether or not the assignment is ended.' })
  @IsOptional()
  periodEnd?: Date | null;
}

@InputType({ description: 'Ends a facilitator assignment (history is kept).' })
export class RemoveFacilitatorInput {
  @Field(() => ID, { description: 'The assignment (GroupFacilitator id).' })
  @SafeText({ max: 200 })
  facilitatorId: string;
}
