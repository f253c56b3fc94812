import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { AuthedContext } from '../../context';
import { StaffMember } from '../staff/staff-member.entity';
import { staffLoaders } from '../staff/staff.loaders';
import { GroupFacilitator } from './group-facilitator.entity';
import { visibleGroup } from './group.loaders';
import { TherapyGroup } from './therapy-group.entity';

@Resolver(() => GroupFacilitator)
export class GroupFacilitatorResolver {
  @FieldResolver(() => StaffMember, { description: 'The facilitating staff member.' })
  async staffMember(@Root() f: GroupFacilitator, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(staffLoaders).byId.load(f.staffMemberId);
  }

  @FieldResolver(() => TherapyGroup, { nullable: true, description: 'The group, as the viewer may see it.' })
  async group(@Root() f: GroupFacilitator, @Ctx() ctx: AuthedContext) {
    return visibleGroup(ctx, f.groupId);
  }
}
