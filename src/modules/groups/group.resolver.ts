import { IsOptional, Max, Min } from 'class-validator';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import { ConnectionType, decodeCursor, FilteredPageArgs, listSize } from '../../common/connection';
import { isSafeText, SafeText } from '../../common/safe-text';
import { badInput } from '../../errors/domain-error';
import type { AuthedContext } from '../../context';
import { externalIdLoaders } from '../external-ids/external-id.loaders';
import { ExternalIdentifier } from '../external-ids/external-identifier.entity';
import { Membership } from '../memberships/membership.entity';
import { membershipLoaders } from '../memberships/membership.loaders';
import { MembershipStatus } from '../memberships/membership-status';
import { GroupFacilitator } from './group-facilitator.entity';
import { GroupStatus, Modality } from './group.enums';
import { AssignFacilitatorInput, ChangeGroupStatusInput, CreateGroupInput, RemoveFacilitatorInput, UpdateGroupInput } from './group.inputs';
import { groupLoaders } from './group.loaders';
import { canSeeRoster, memberSeesPeers, seesWaitlist } from './group.policy';
import { assignFacilitator, changeGroupStatus, createGroup, getGroup, listGroups, removeFacilitator, updateGroup } from './group.service';
import { TherapyGroup } from './therapy-group.entity';
import { viewerFactsLoader } from './viewer-facts';

const GroupConnection = ConnectionType(TherapyGroup, 'TherapyGroup', 'A page of groups, ordered by name.');
export const MembershipConnection = ConnectionType(Membership, 'Membership', 'A page of memberships, in enrolment order.');

@InputType({ description: 'Which groups to list; all conditions must hold.' })
class GroupFilter {
  @Field(() => [GroupStatus], { nullable: true, description: 'Only groups in one of these statuses.' })
  @IsOptional()
  status?: GroupStatus[] | null;

  @Field(() => [Modality], { nullable: true, description: 'Only groups of one of these modalities.' })
  @IsOptional()
  modality?: Modality[] | null;

  @Field(() => ID, { nullable: true, description: 'Only groups this staff member currently facilitates.' })
  @IsOptional()
  @SafeText({ max: 200 })
  facilitatorId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only groups whose name contains this text (case-insensitive).' })
  @IsOptional()
  @SafeText({ max: 100 })
  search?: string | null;
}

@ArgsType()
class GroupsArgs extends FilteredPageArgs(GroupFilter, 'Conditions on the groups returned.') {}

@ArgsType()
class MembersArgs {
  @Field(() => Int, { defaultValue: 20, description: 'How many, 1 to 100.' })
  @Min(1)
  @Max(100)
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'Cursor to continue after (an endCursor).' })
  @IsOptional()
  @SafeText({ max: 500 })
  after?: string | null;

  @Field(() => [MembershipStatus], { nullable: true, description: 'Only memberships in these statuses (roster access only; members always see ACTIVE peers).' })
  @IsOptional()
  status?: MembershipStatus[] | null;
}

@ObjectType({ simpleResolvers: true, description: 'Result of a group mutation.' })
class GroupPayload {
  @Field(() => TherapyGroup, { description: 'The group after the change.' })
  group: TherapyGroup;
}

@ObjectType({ simpleResolvers: true, description: 'Result of a facilitator mutation.' })
class FacilitatorPayload {
  @Field(() => GroupFacilitator, { description: 'The assignment after the change.' })
  facilitator: GroupFacilitator;
}

const GROUP_READERS = [...Rule.STAFF, Rule.MEMBER, Rule.scope('roster:read'), Rule.scope('roster:write')];

@Resolver(() => TherapyGroup)
export class GroupResolver {
  @Authorized(...GROUP_READERS)
  @Query(() => GroupConnection, {
    description: 'Groups, by name. Staff see every group of the clinic (clinicians: full details only of the groups they facilitate); members see their own groups; roster integrations see all.',
  })
  async groups(@Args() args: GroupsArgs, @Ctx() ctx: AuthedContext) {
    const page = await listGroups(ctx, args.filter ?? {}, args.first, args.after);
    return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: e.node.group })) };
  }

  @Authorized(...GROUP_READERS)
  @Query(() => TherapyGroup, { description: 'One group by id, with the same visibility as `groups`; otherwise NOT_FOUND.' })
  async group(@Arg('id', () => ID, { description: 'Global id of the group.' }) id: string, @Ctx() ctx: AuthedContext) {
    return (await getGroup(ctx, id)).group;
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => GroupPayload, { description: 'Creates a group (FORMING). Admins only.' })
  async createGroup(@Arg('input', { description: 'What to do; see the input type.' }) input: CreateGroupInput, @Ctx() ctx: AuthedContext) {
    return { group: (await createGroup(ctx, input)).group };
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => GroupPayload, { description: 'Changes a group\'s details. More seats, or a CLOSED group made OPEN or ROLLING, promote the earliest waitlisted members into the free seats. Admins only.' })
  async updateGroup(@Arg('input', { description: 'What to do; see the input type.' }) input: UpdateGroupInput, @Ctx() ctx: AuthedContext) {
    return { group: (await updateGroup(ctx, input)).group };
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => GroupPayload, {
    description: 'Moves a group along FORMING → ACTIVE ⇄ PAUSED, FORMING, ACTIVE or PAUSED → CONCLUDED → ARCHIVED. Other moves answer CONFLICT with `allowedTransitions`. ACTIVE needs a lead facilitator; CONCLUDED cancels the sessions still to come ("The group concluded"); ARCHIVED needs every membership closed (COMPLETED, WITHDRAWN or DISCHARGED): CONFLICT with reason OPEN_MEMBERSHIPS and `openMemberships` otherwise, since an archived group\'s roster can no longer change. Admins only.',
  })
  async changeGroupStatus(@Arg('input', { description: 'What to do; see the input type.' }) input: ChangeGroupStatusInput, @Ctx() ctx: AuthedContext) {
    return { group: (await changeGroupStatus(ctx, input)).group };
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => FacilitatorPayload, {
    description:
      'Assigns a clinician or supervisor to facilitate a group. A clinician reads the group\'s records (roster, sessions, notes, goals) only on the days the assignment is in force, in the clinic\'s calendar: from periodStart through periodEnd, until it is ended. Their earlier assignment whose last day has passed ends as history; one still in force or ahead answers CONFLICT. Admins only.',
  })
  async assignFacilitator(@Arg('input', { description: 'What to do; see the input type.' }) input: AssignFacilitatorInput, @Ctx() ctx: AuthedContext) {
    return { facilitator: await assignFacilitator(ctx, input) };
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => FacilitatorPayload, { description: 'Ends a facilitator assignment, keeping it as history. An ACTIVE group keeps at least one lead. Admins only.' })
  async removeFacilitator(@Arg('input', { description: 'What to do; see the input type.' }) input: RemoveFacilitatorInput, @Ctx() ctx: AuthedContext) {
    return { facilitator: await removeFacilitator(ctx, input.facilitatorId) };
  }

  @FieldResolver(() => [GroupFacilitator], { description: 'Facilitators, current leads first. Ended assignments only with `includeEnded`.' })
  async facilitators(
    @Root() group: TherapyGroup,
    @Ctx() ctx: AuthedContext,
    @Arg('includeEnded', { defaultValue: false, description: 'Include ended assignments (history).' }) includeEnded: boolean,
  ) {
    const all = await ctx.loaders.of(groupLoaders).facilitators.load(group.id);
    return includeEnded ? all : all.filter((f) => f.endedAt === null);
  }

  @FieldResolver(() => MembershipConnection, {
    nullable: true,
    description:
      'The roster. Staff with access to the group and roster integrations see every membership; a member sees ACTIVE peers (display name and status only) while their own membership is seated (ACTIVE or ON_HOLD), they have accepted the current group agreement and their GROUP_AGREEMENT consent is active. Null for clinicians who do not facilitate the group.',
  })
  // Resolved once per group on list screens: checked here instead of a class-validator pass per call.
  async members(@Root() group: TherapyGroup, @Args({ validate: false }) args: MembersArgs, @Ctx() ctx: AuthedContext) {
    args.first = listSize(args.first, 'first');
    if (args.after && (args.after.length > 500 || !isSafeText(args.after))) throw badInput('Invalid cursor', { argument: 'after' });
    // Checked here, not in the batch: a malformed cursor fails this field, not every roster batched with it.
    decodeCursor(args.after, ['uuid']);
    const visible = await ctx.loaders.of(groupLoaders).visibleById.load(group.id);
    if (!visible) return null;
    const loader = ctx.loaders.of(membershipLoaders).membersOfGroup;
    const page = { first: args.first, after: args.after };
    if (canSeeRoster(visible.access)) return loader.load({ groupId: group.id, args: { ...page, statuses: args.status }, scope: 'ALL' });
    if (visible.access !== 'MEMBER' && visible.access !== 'ALUMNI' && visible.access !== 'APPLICANT') return null;
    const facts = await ctx.loaders.of(viewerFactsLoader).get();
    const scope = visible.access === 'MEMBER' && memberSeesPeers(ctx.viewer, group, facts) ? 'PEERS' : 'SELF';
    return loader.load({ groupId: group.id, args: { ...page, statuses: null }, scope });
  }

  @FieldResolver(() => Int, {
    description:
      'Members currently ACTIVE. Who is on hold is not for peers to learn: to viewers without the roster who are not members of the group (applicants, alumni, other staff), members holding a seat, ACTIVE or ON_HOLD.',
  })
  async activeMemberCount(@Root() group: TherapyGroup, @Ctx() ctx: AuthedContext) {
    return (await seatCounts(ctx, group)).members;
  }

  @FieldResolver(() => Int, {
    description:
      'Free seats: capacity minus ACTIVE and ON_HOLD members (never below zero). To the group\'s own members, a member on hold counts as the roster shows them, as not there, so the counts tell a hold no more than the roster does.',
  })
  async openSeats(@Root() group: TherapyGroup, @Ctx() ctx: AuthedContext) {
    return Math.max(0, group.capacity - (await seatCounts(ctx, group)).taken);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Members waiting for a seat. Staff and roster integrations; null for members.' })
  async waitlistCount(@Root() group: TherapyGroup, @Ctx() ctx: AuthedContext) {
    if (!seesWaitlist(ctx.viewer)) return null;
    return (await ctx.loaders.of(groupLoaders).counts.load(group.id)).waitlisted;
  }

  @FieldResolver(() => [ExternalIdentifier], { nullable: true, description: 'Identifiers in outside systems. Roster access only; null otherwise.' })
  async externalIds(@Root() group: TherapyGroup, @Ctx() ctx: AuthedContext) {
    const visible = await ctx.loaders.of(groupLoaders).visibleById.load(group.id);
    return visible && canSeeRoster(visible.access) ? ctx.loaders.of(externalIdLoaders).byResource.load(group.id) : null;
  }
}

/**
 * A group's counts as this viewer may have them: members, and seats taken.
 * With the roster, the truth. Members of the group see a member on hold as the roster shows them
 * (not there), so a hold looks like a departure; viewers who see no roster see them seated, so
 * it looks like nothing. Either way no count tells a hold, or whose, that the roster does not.
 */
async function seatCounts(ctx: AuthedContext, group: TherapyGroup): Promise<{ members: number; taken: number }> {
  const loaders = ctx.loaders.of(groupLoaders);
  const [counts, visible] = await Promise.all([loaders.counts.load(group.id), loaders.visibleById.load(group.id)]);
  if (visible && canSeeRoster(visible.access)) return { members: counts.active, taken: counts.seated };
  return visible?.access === 'MEMBER' ? { members: counts.active, taken: counts.active } : { members: counts.seated, taken: counts.seated };
}
