import { Arg, Args, Authorized, Ctx, Field, FieldResolver, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule, StaffViewer } from '../../auth/viewer';
import { ConnectionType, PageArgs } from '../../common/connection';
import type { AuthedContext } from '../../context';
import { StaffMember } from './staff-member.entity';
import { CreateStaffMemberInput, UpdateStaffMemberInput } from './staff.inputs';
import { canSeeStaffEmail } from './staff.policy';
import { createStaffMember, listStaff, updateStaffMember } from './staff.service';

const StaffMemberConnection = ConnectionType(StaffMember, 'StaffMember', 'A page of staff members, ordered by name.');

@ObjectType({ simpleResolvers: true, description: 'Result of createStaffMember.' })
class CreateStaffMemberPayload {
  @Field(() => StaffMember, { description: 'The new staff member.' })
  staffMember: StaffMember;
}

@ObjectType({ simpleResolvers: true, description: 'Result of updateStaffMember.' })
class UpdateStaffMemberPayload {
  @Field(() => StaffMember, { description: 'The staff member as changed.' })
  staffMember: StaffMember;
}

@Resolver(() => StaffMember)
export class StaffResolver {
  @Authorized(...Rule.STAFF, Rule.scope('roster:read'))
  @Query(() => StaffMemberConnection, { description: 'Staff of the clinic, by name. Staff and `roster:read` integrations.' })
  staffMembers(@Args() page: PageArgs, @Ctx() ctx: AuthedContext) {
    return listStaff(ctx, page.first, page.after);
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => CreateStaffMemberPayload, { description: 'Adds a staff member. Admins only.' })
  async createStaffMember(@Arg('input', { description: 'What to do; see the input type.' }) input: CreateStaffMemberInput, @Ctx() ctx: AuthedContext) {
    return { staffMember: await createStaffMember(ctx, input) };
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => UpdateStaffMemberPayload, {
    description:
      'Changes a staff member (name, email, role, credentials, active). An admin cannot demote or deactivate themself (FORBIDDEN); a change that would leave the clinic without an active admin, or an ACTIVE group without a lead in force, answers CONFLICT (reason LAST_ADMIN or LEAD_FACILITATOR_REQUIRED), two such changes at once included. Admins only.',
  })
  async updateStaffMember(@Arg('input', { description: 'What to do; see the input type.' }) input: UpdateStaffMemberInput, @Ctx() ctx: AuthedContext & { viewer: StaffViewer }) {
    return { staffMember: await updateStaffMember(ctx, input) };
  }

  @FieldResolver(() => String, { nullable: true, description: 'Work email. Staff and roster integrations (`roster:read`, `roster:write`) only; null for other viewers.' })
  email(@Root() staff: StaffMember, @Ctx() ctx: AuthedContext): string | null {
    return canSeeStaffEmail(ctx.viewer) ? staff.email : null;
  }
}
