import { Arg, Authorized, Ctx, Field, FieldResolver, Int, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { Client } from '../clients/client.entity';
import { clientLoaders } from '../clients/client.loaders';
import { externalIdLoaders } from '../external-ids/external-id.loaders';
import { ExternalIdentifier } from '../external-ids/external-identifier.entity';
import { visibleGroup } from '../groups/group.loaders';
import { TherapyGroup } from '../groups/therapy-group.entity';
import { Membership, MembershipEvent } from './membership.entity';
import { AcceptGroupAgreementInput, ChangeMembershipStatusInput, EnrollClientInput } from './membership.inputs';
import { membershipLoaders } from './membership.loaders';
import { seesMembershipAdministration } from './membership.policy';
import { acceptGroupAgreement, changeMembershipStatus, enrollClient } from './membership.service';
import { MembershipStatus, transitionsIn } from './membership-status';
import { groupLoaders } from '../groups/group.loaders';

@ObjectType({ simpleResolvers: true, description: 'Result of a membership mutation.' })
class MembershipPayload {
  @Field(() => Membership, { description: 'The membership after the change.' })
  membership: Membership;
}

const ROSTER_WRITERS = [...Rule.STAFF, Rule.scope('roster:write')];

@Resolver(() => Membership)
export class MembershipResolver {
  @Authorized(...ROSTER_WRITERS)
  @Mutation(() => MembershipPayload, {
    description:
      'Enrols a client: ACTIVE when a seat is free beyond everyone already waitlisted (the waitlist goes first), WAITLISTED otherwise. CLOSED groups refuse new members once started (CONFLICT); a second open membership in the same group is a CONFLICT. Admins, supervisors, the group\'s facilitators, `roster:write` integrations.',
  })
  async enrollClient(@Arg('input', { description: 'What to do; see the input type.' }) input: EnrollClientInput, @Ctx() ctx: AuthedContext) {
    return { membership: await enrollClient(ctx, input) };
  }

  @Authorized(...ROSTER_WRITERS)
  @Mutation(() => MembershipPayload, {
    description:
      'Moves a membership along its state machine with a reason (CONFLICT with `allowedTransitions` otherwise; CAPACITY_REACHED when seating into a full group, or, in OPEN and ROLLING groups, a member not on the waitlist into seats those waiting go first for, with `waiting`). Freed seats in OPEN and ROLLING groups go to the earliest waitlisted member. In a CONCLUDED group memberships only close (COMPLETED, WITHDRAWN, DISCHARGED; CONFLICT otherwise). Admins, supervisors, the group\'s facilitators, `roster:write` integrations.',
  })
  async changeMembershipStatus(@Arg('input', { description: 'What to do; see the input type.' }) input: ChangeMembershipStatusInput, @Ctx() ctx: AuthedContext) {
    return { membership: await changeMembershipStatus(ctx, input) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => MembershipPayload, { description: 'The member accepts their group\'s current agreement; only then do they see their peers. Members only.' })
  async acceptGroupAgreement(@Arg('input', { description: 'What to do; see the input type.' }) input: AcceptGroupAgreementInput, @Ctx() ctx: AuthedContext) {
    return { membership: await acceptGroupAgreement(ctx, input) };
  }

  @FieldResolver(() => TherapyGroup, { nullable: true, description: 'The group.' })
  async group(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    return visibleGroup(ctx, m.groupId);
  }

  @FieldResolver(() => Client, {
    nullable: true,
    description: 'The client\'s record: for staff with access to the group, roster integrations and the member themself; null for peers.',
  })
  async client(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    return m.peerView ? null : ctx.loaders.of(clientLoaders).visibleById.load(m.clientId);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Place in the waitlist (1 = next), for WAITLISTED memberships; null for peers.' })
  async waitlistPosition(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    if (m.peerView || m.status !== MembershipStatus.WAITLISTED) return null;
    return ctx.loaders.of(membershipLoaders).waitlistPosition.load(m.id);
  }

  @FieldResolver(() => [MembershipStatus], { nullable: true, description: 'Statuses this membership may move to next, as its group stands (in a CONCLUDED group only the closing ones, in an ARCHIVED group none). Staff and integrations only.' })
  async allowedTransitions(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    if (!seesMembershipAdministration(ctx.viewer, m)) return null;
    const group = await ctx.loaders.of(groupLoaders).rowById.load(m.groupId);
    return group ? transitionsIn(group.status, m.status) : null;
  }

  @FieldResolver(() => [MembershipEvent], { nullable: true, description: 'Every status change, oldest first. Staff and integrations with access to the group; null otherwise.' })
  async events(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    if (!seesMembershipAdministration(ctx.viewer, m)) return null;
    return ctx.loaders.of(membershipLoaders).events.load(m.id);
  }

  @FieldResolver(() => [ExternalIdentifier], { nullable: true, description: 'Identifiers in outside systems. Null for peers and members.' })
  async externalIds(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    if (!seesMembershipAdministration(ctx.viewer, m)) return null;
    return ctx.loaders.of(externalIdLoaders).byResource.load(m.id);
  }
}
