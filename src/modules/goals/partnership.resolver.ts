import { Arg, Args, Authorized, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { ConnectionType, PageArgs } from '../../common/connection';
import { forbidden } from '../../errors/domain-error';
import { visibleGroup } from '../groups/group.loaders';
import { TherapyGroup } from '../groups/therapy-group.entity';
import { ConnectionDirection } from '../after-group/after-group.types';
import { mutedSenders, muteEncouragementSender, myEncouragements, sendEncouragement } from './encouragement.service';
import { EndPartnershipInput, ProposePartnershipInput, RespondToPartnershipInput, SendEncouragementInput, SetPartnershipContinuationInput } from './goal.inputs';
import { goalLoaders } from './goal.loaders';
import { partnerGoalsMembership } from './goal.policy';
import { AccountabilityPartnership, BoardEntry, Encouragement, Goal, MutedSender } from './goal.types';
import { endPartnership, partnershipLoaders, proposePartnership, respondToPartnership, setPartnershipContinuation } from './partnership.service';
import { accountabilityBoard } from './goal.service';
import { SafeText } from '../../common/safe-text';

@ObjectType({ simpleResolvers: true, description: 'Result of a partnership mutation.' })
class PartnershipPayload {
  @Field(() => AccountabilityPartnership, { description: 'The partnership after the change.' })
  partnership: AccountabilityPartnership;
}

@ObjectType({ simpleResolvers: true, description: 'Result of sendEncouragement.' })
class EncouragementPayload {
  @Field(() => Encouragement, { description: 'The message sent.' })
  encouragement: Encouragement;
}

@InputType({ description: 'Mutes or unmutes the sender of one of your encouragements.' })
class MuteSenderInput {
  @Field(() => ID, { description: 'An encouragement you received from that sender.' })
  @SafeText({ max: 200 })
  encouragementId: string;

  @Field({ defaultValue: true, description: 'True to mute (default), false to unmute.' })
  muted: boolean = true;
}

@ObjectType({ simpleResolvers: true, description: 'Result of muteEncouragementSender.' })
class MutePayload {
  @Field({ description: 'Whether the sender is now muted.' })
  muted: boolean;
}

@Resolver(() => AccountabilityPartnership)
export class PartnershipResolver {
  @Authorized(Rule.MEMBER)
  @Query(() => [AccountabilityPartnership], { description: 'The viewing member\'s partnerships, newest first. A proposal to you shows once you and its proposer both see the group\'s peers (its current agreement accepted, the GROUP_AGREEMENT consent active); until then it is held, and its proposer sees it pending; one that ends while held never shows to you. Members only.' })
  async myPartnerships(@Ctx() ctx: AuthedContext) {
    if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
    return ctx.loaders.of(partnershipLoaders).mine.load(ctx.viewer.clientId);
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => PartnershipPayload, { description: 'Asks an ACTIVE peer of the same group to be accountability partners; you must be ACTIVE too (CONFLICT, reason MEMBERSHIP_NOT_ACTIVE). A member who declined your proposal is not asked again for 30 days (CONFLICT, reason RECENTLY_DECLINED, with retryAfter); they may ask you at once. Members only.' })
  async proposePartnership(@Arg('input', { description: 'Whom to ask.' }) input: ProposePartnershipInput, @Ctx() ctx: AuthedContext) {
    return { partnership: await proposePartnership(ctx, input) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => PartnershipPayload, {
    description:
      'Changes your own choice to continue an ACTIVE partnership after the group (as alumni): it goes on past the group only if both chose it when a membership ends, and both hold ALUMNI_DIRECTORY for the group then. CONFLICT (reason PARTNERSHIP_NOT_ACTIVE) for one proposed or ended. Its two members only.',
  })
  async setPartnershipContinuation(@Arg('input', { description: 'Which partnership, and your choice.' }) input: SetPartnershipContinuationInput, @Ctx() ctx: AuthedContext) {
    return { partnership: await setPartnershipContinuation(ctx, input) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => PartnershipPayload, { description: 'Accepts or declines a partnership you were asked into. Accepting needs you ACTIVE (CONFLICT); a proposer since put on hold is partnered as any, their goals shown to you once they are back (a peer\'s hold is not told). Members only.' })
  async respondToPartnership(@Arg('input', { description: 'Your answer.' }) input: RespondToPartnershipInput, @Ctx() ctx: AuthedContext) {
    return { partnership: await respondToPartnership(ctx, input) };
  }

  @Authorized(Rule.MEMBER, ...Rule.STAFF)
  @Mutation(() => PartnershipPayload, { description: 'Ends a partnership: either member, or staff with access to the group.' })
  async endPartnership(@Arg('input', { description: 'Which partnership.' }) input: EndPartnershipInput, @Ctx() ctx: AuthedContext) {
    return { partnership: await endPartnership(ctx, input) };
  }

  @FieldResolver(() => ConnectionDirection, {
    nullable: true,
    description: 'For a member: SENT when you proposed it, RECEIVED when you were asked (so yours to answer while PROPOSED). Null for staff, who are neither.',
  })
  direction(@Root() p: AccountabilityPartnership, @Ctx() ctx: AuthedContext): ConnectionDirection | null {
    const viewer = ctx.viewer;
    if (viewer.kind !== 'MEMBER') return null;
    return p.proposerClientId === viewer.clientId ? ConnectionDirection.SENT : p.partnerClientId === viewer.clientId ? ConnectionDirection.RECEIVED : null;
  }

  @FieldResolver(() => TherapyGroup, { nullable: true, description: 'The group.' })
  async group(@Root() p: AccountabilityPartnership, @Ctx() ctx: AuthedContext) {
    return visibleGroup(ctx, p.groupId);
  }

  @FieldResolver(() => [Goal], {
    nullable: true,
    description:
      'For the viewing member, while the partnership is ACTIVE: the other member\'s goals in this group that they may see, oldest first (PARTNERS- and GROUP-visible goals that are not proposed or cancelled; the goal rule decides, and each goal shown is audited). Empty unless the partnership is ACTIVE, and while the other member\'s membership is on hold; null for staff.',
  })
  partnerGoals(@Root() p: AccountabilityPartnership, @Ctx() ctx: AuthedContext) {
    if (ctx.viewer.kind !== 'MEMBER') return null;
    const other = partnerGoalsMembership(ctx.viewer, p);
    return other ? ctx.loaders.of(goalLoaders).byMembership.load(other) : [];
  }
}

const EncouragementConnection = ConnectionType(Encouragement, 'Encouragement', 'A page of the encouragements you received, newest first, then by id.');

@Resolver(() => Encouragement)
export class EncouragementResolver {
  @Authorized(Rule.MEMBER)
  @Query(() => EncouragementConnection, {
    description: 'Encouragements you received, newest first (then by id), a page at a time, without those of senders you muted or members you blocked. Members only.',
  })
  myEncouragements(@Args() args: PageArgs, @Ctx() ctx: AuthedContext) {
    return myEncouragements(ctx, args.first, args.after);
  }

  @Authorized(Rule.MEMBER)
  @Query(() => [MutedSender], {
    description: 'Senders you muted, most recently muted first, each with the latest encouragement they had sent you when muted (what they send since is not shown, nor told): muted senders leave myEncouragements, so this is where to unmute them (muteEncouragementSender with muted: false). Members only.',
  })
  mutedSenders(@Ctx() ctx: AuthedContext) {
    return mutedSenders(ctx);
  }

  @FieldResolver(() => Goal, {
    nullable: true,
    description: 'The goal it is about, as you may see it (the goal rule decides, and audits): the recipient\'s own; for its sender, while they may still see it. Titles may repeat: this is the goal to open.',
  })
  goal(@Root() e: Encouragement, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(goalLoaders).visibleById.load(e.goalId);
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => EncouragementPayload, {
    description: 'Sends a short message (≤ 500 characters) about a goal or check-in you may see, to a partner or peer. At most 20 a day (RATE_LIMITED). Members only.',
  })
  async sendEncouragement(@Arg('input', { description: 'The message.' }) input: SendEncouragementInput, @Ctx() ctx: AuthedContext) {
    return { encouragement: await sendEncouragement(ctx, input) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => MutePayload, { description: 'Mutes (or unmutes) the sender of an encouragement you received. They are not told. Members only.' })
  async muteEncouragementSender(@Arg('input', { description: 'Which sender.' }) input: MuteSenderInput, @Ctx() ctx: AuthedContext) {
    return { muted: await muteEncouragementSender(ctx, input.encouragementId, input.muted) };
  }
}

@Resolver(() => TherapyGroup)
export class GroupBoardResolver {
  @FieldResolver(() => [BoardEntry], {
    description: 'The accountability board: each ACTIVE peer who shares GROUP goals (under GOAL_SHARING consent, for every viewer, staff and partners included: a board may be shown to the room), with those goals and their streaks, in display-name order. Empty for viewers without access, and for a member on hold (a peer\'s goals need both ACTIVE).',
  })
  accountabilityBoard(@Root() group: TherapyGroup, @Ctx() ctx: AuthedContext) {
    return accountabilityBoard(ctx, group.id);
  }
}
