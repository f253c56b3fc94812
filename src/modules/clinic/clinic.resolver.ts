import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { AuthedContext } from '../../context';
import { Clinic } from './clinic.entity';
import { currentClinic } from './clinic.service';

@Resolver(() => Clinic)
export class ClinicResolver {
  @Authorized()
  @Query(() => Clinic, { description: 'The clinic of the authenticated viewer. Any authenticated viewer.' })
  clinic(@Ctx() ctx: AuthedContext): Promise<Clinic> {
    return currentClinic(ctx);
  }
}
