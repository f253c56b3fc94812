import { Field, Float, ID, ObjectType } from 'type-graphql';
import { Node } from '../../common/node';
import { CalendarDate } from '../../common/scalars';
import { GoalAchievementStatus, GoalLifecycleStatus, GoalMeasureKind, GoalVisibility, MeasurePeriod, PartnershipStatus } from './goal.enums';

@ObjectType({ simpleResolvers: true, description: 'How a goal is measured.' })
export class GoalMeasure {
  @Field(() => GoalMeasureKind, { description: 'BOOLEAN, COUNT or SCALE.' })
  kind: GoalMeasureKind;

  @Field(() => MeasurePeriod, { description: 'DAILY or WEEKLY.' })
  period: MeasurePeriod;

  @Field(() => Float, { nullable: true, description: 'Target per period (COUNT: sum; SCALE: rating); null for BOOLEAN.' })
  target: number | null;
}

/** What the viewer is to this goal; decides which fields they receive. */
export type GoalAudience = 'OWNER' | 'CLINICAL' | 'PARTNER' | 'PEER' | 'INTEGRATION';

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    'A member\'s goal within a membership (aligned with FHIR Goal). Visible to the member, the group\'s clinicians and supervisors, partners (PARTNERS or GROUP visibility), peers (GROUP visibility under the member\'s GOAL_SHARING consent, while both are ACTIVE) and integrations under PARTNER_DATA_SHARING.',
})
export class Goal implements Node {
  id: string;
  clinicId: string;
  membershipId: string;
  clientId: string;
  groupId: string;
  startDay: string;
  /** Status of the owner's membership: peers see goals only of ACTIVE members. */
  ownerMembershipStatus: string;
  audience: GoalAudience;
  /** For integrations: the PARTNER_DATA_SHARING consent the release relies on. */
  disclosureConsentId?: string;

  @Field({ description: 'What the member is working towards.' })
  title: string;

  @Field(() => String, { nullable: true, description: 'More about the goal.' })
  description: string | null;

  @Field(() => GoalMeasure, { description: 'How progress is measured.' })
  measure: GoalMeasure;

  @Field(() => CalendarDate, { description: 'First day.' })
  startDate: string;

  @Field(() => CalendarDate, { nullable: true, description: 'Due day, if any.' })
  dueDate: string | null;

  @Field(() => GoalLifecycleStatus, { description: 'Lifecycle status.' })
  lifecycleStatus: GoalLifecycleStatus;

  @Field(() => GoalAchievementStatus, { description: 'Achievement status as set by the member or clinician.' })
  achievementStatus: GoalAchievementStatus;

  @Field(() => GoalVisibility, { description: 'Who may see it.' })
  visibility: GoalVisibility;

  @Field(() => String, {
    nullable: true,
    description: 'The member\'s display name. Null for an integration without a roster scope: a goal released under consent names no one to a key that may not read clients.',
  })
  ownerDisplayName: string | null;

  @Field({ description: 'When the goal was created.' })
  createdAt: Date;

  @Field({ description: 'When the goal last changed.' })
  updatedAt: Date;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'One check-in on a goal.' })
export class GoalCheckIn implements Node {
  id: string;
  goalId: string;
  clientId: string;
  recordedByType: string;
  recordedById: string | null;
  audience: GoalAudience;

  @Field(() => Float, { description: 'The value: 1/0 (BOOLEAN), a count, or a 0–10 rating.' })
  value: number;

  /** Exposed through GoalCheckInResolver, which applies the audience rule. */
  note: string | null;
  mood: number | null;

  @Field({ description: 'When the check-in applies.' })
  recordedAt: Date;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'Two members of a group holding each other accountable; both must accept.' })
export class AccountabilityPartnership implements Node {
  id: string;
  groupId: string;
  proposerMembershipId: string;
  partnerMembershipId: string;
  proposerClientId: string;
  partnerClientId: string;

  @Field(() => PartnershipStatus, { description: 'Lifecycle status.' })
  status: PartnershipStatus;

  @Field({ description: 'Display name of the member who proposed.' })
  proposerDisplayName: string;

  @Field({ description: 'Display name of the member asked.' })
  partnerDisplayName: string;

  @Field(() => String, { nullable: true, description: 'Message sent with the proposal.' })
  message: string | null;

  @Field({ description: 'Whether the proposer wants to continue after the group (as alumni).' })
  proposerContinuesAfterGroup: boolean;

  @Field({ description: 'Whether the partner wants to continue after the group (as alumni).' })
  partnerContinuesAfterGroup: boolean;

  @Field({ description: 'When it was proposed.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the partner answered.' })
  respondedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it ended.' })
  endedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it ended.' })
  endReason: string | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'A short message of encouragement from one member to another about a goal.' })
export class Encouragement implements Node {
  id: string;
  senderClientId: string;
  goalId: string;

  @Field({ description: 'The sender\'s display name.' })
  senderDisplayName: string;

  @Field({ description: 'The message.' })
  message: string;

  @Field({ description: 'Title of the goal it is about.' })
  goalTitle: string;

  @Field({ description: 'When it was sent.' })
  sentAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A sender you muted, to find them again: unmute with the id of the latest encouragement they sent you.' })
export class MutedSender {
  @Field({ description: 'Their display name, as their encouragements showed it.' })
  displayName: string;

  @Field(() => ID, { description: 'The latest encouragement they had sent you when you muted them: pass it to muteEncouragementSender with muted: false.' })
  encouragementId: string;

  @Field({ description: 'When you muted them.' })
  mutedAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'One peer\'s row on the group accountability board.' })
export class BoardEntry {
  @Field({ description: 'The peer\'s display name.' })
  displayName: string;

  @Field(() => [Goal], { description: 'Their GROUP-visible goals that are active, on hold or completed.' })
  goals: Goal[];
}
