import { IsOptional } from 'class-validator';
import { Arg, Authorized, Ctx, Field, FieldResolver, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { PeerContactPolicy } from '../groups/group.enums';
import { Clinic, ClinicSettings } from './clinic.entity';
import { currentClinic, settingsOf, updateClinicSettings } from './clinic.service';

@InputType({ description: 'Changes to the clinic\'s settings; omitted fields stay as they are.' })
class UpdateClinicSettingsInput {
  @Field(() => PeerContactPolicy, { nullable: true, description: 'When members of new groups may exchange contact details (groups already created keep theirs).' })
  @IsOptional()
  defaultPeerContactPolicy?: PeerContactPolicy | null;
}

@ObjectType({ simpleResolvers: true, description: 'Result of a clinic mutation.' })
class ClinicPayload {
  @Field(() => Clinic, { description: 'The clinic after the change.' })
  clinic: Clinic;
}

@Resolver(() => Clinic)
export class ClinicResolver {
  @Authorized()
  @Query(() => Clinic, { description: 'The clinic of the authenticated viewer. Any authenticated viewer.' })
  clinic(@Ctx() ctx: AuthedContext): Promise<Clinic> {
    return currentClinic(ctx);
  }

  @FieldResolver(() => ClinicSettings, { description: 'How the clinic runs its groups where a group does not say otherwise. Anyone who sees the clinic.' })
  settings(@Root() clinic: Clinic): ClinicSettings {
    return settingsOf(clinic);
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => ClinicPayload, { description: 'Changes the clinic\'s settings. Admins only.' })
  async updateClinicSettings(@Arg('input', { description: 'What to change.' }) input: UpdateClinicSettingsInput, @Ctx() ctx: AuthedContext) {
    return { clinic: await updateClinicSettings(ctx, input) };
  }
}
