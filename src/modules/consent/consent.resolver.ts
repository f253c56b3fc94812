import { ArrayMaxSize, IsOptional } from 'class-validator';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Actor, actorKey, actorLoader } from '../../audit/actor';
import { Rule } from '../../auth/viewer';
import { ConnectionType, FilteredPageArgs } from '../../common/connection';
import { SafeText } from '../../common/safe-text';
import type { AuthedContext } from '../../context';
import { Client } from '../clients/client.entity';
import { clientLoaders } from '../clients/client.loaders';
import { TherapyGroup } from '../groups/therapy-group.entity';
import { ConsentEvent, ConsentRecord } from './consent-record.entity';
import { ConsentStatus, ConsentType } from './consent.enums';
import { GrantConsentInput, RevokeConsentInput } from './consent.inputs';
import { consentLoaders } from './consent.loaders';
import { consentsOfClient, grantConsent, revokeConsent, scopeGroupOf } from './consent.service';

@ObjectType({ simpleResolvers: true, description: 'Result of grantConsent or revokeConsent.' })
class ConsentPayload {
  @Field(() => ConsentRecord, { description: 'The consent after the change.' })
  consent: ConsentRecord;
}

@InputType({ description: 'Conditions on the consents returned; all that are given must hold.' })
class ConsentFilter {
  @Field(() => [ConsentType], { nullable: true, description: 'Only these types.' })
  @IsOptional()
  @ArrayMaxSize(8)
  type?: ConsentType[] | null;

  @Field(() => [ConsentStatus], { nullable: true, description: 'Only these statuses, as of this request (ACTIVE: in force now).' })
  @IsOptional()
  @ArrayMaxSize(3)
  status?: ConsentStatus[] | null;
}

@ArgsType()
class ConsentsArgs extends FilteredPageArgs(ConsentFilter, 'Conditions on the consents returned; without it, every one (history included).') {
  @Field(() => ID, { description: 'The client.' })
  @SafeText({ max: 200 })
  clientId: string;
}

const ConsentRecordConnection = ConnectionType(ConsentRecord, 'ConsentRecord', 'A page of a client\'s consents, newest first, then by id.');

@Resolver(() => ConsentRecord)
export class ConsentResolver {
  @Authorized(...Rule.STAFF)
  @Query(() => ConsentRecordConnection, {
    description:
      'A client\'s consents, newest first (then by id), with revoked and expired ones (history), a page at a time. Staff who may read the client (a clinician sees clinic-wide ones and those of groups they facilitate); members use `viewer.consents`.',
  })
  consents(@Args() args: ConsentsArgs, @Ctx() ctx: AuthedContext) {
    return consentsOfClient(ctx, args.clientId, args.first, args.after, args.filter ?? {});
  }

  @Authorized(...Rule.STAFF, Rule.MEMBER)
  @Mutation(() => ConsentPayload, {
    description: 'Records a consent: a member for themselves (ELECTRONIC), or staff on a client\'s behalf (SIGNED_FORM or VERBAL, with the form\'s documentVersion where there is one). A decision for one group is recorded by the member in it, or by staff with that group\'s roster (a clinician: groups they facilitate); any other client or group answers NOT_FOUND. A sharing decision beyond one group (GOAL_SHARING or CONTACT_SHARING clinic-wide, PARTNER_DATA_SHARING) reaches every group of the client: a clinician records GOAL_SHARING or CONTACT_SHARING for a group they facilitate instead and never PARTNER_DATA_SHARING (the member, or a supervisor, records it), and an admin never records a PARTNER_DATA_SHARING permit (FORBIDDEN, decided by role alone). A revoked integration answers NOT_FOUND. The same decision recorded again (type, provision, scope and data classes) supersedes the copies in force (a DENY only those it outlasts), revoked with reason "Superseded: the same consent recorded again", so revoking the newest withdraws the decision. A GROUP_AGREEMENT permit whose documentVersion is the group\'s current agreement version ("1", …) also records the acceptance on the client\'s open membership, as acceptGroupAgreement does; one naming another version answers CONFLICT (currentVersion). Effective from the next request.',
  })
  async grantConsent(@Arg('input', { description: 'What to do; see the input type.' }) input: GrantConsentInput, @Ctx() ctx: AuthedContext) {
    return { consent: await grantConsent(ctx, input) };
  }

  @Authorized(...Rule.STAFF, Rule.MEMBER)
  @Mutation(() => ConsentPayload, { description: 'Revokes an active consent (the member, or staff on their behalf, by the same rules as recording it: revoking a DENY widens sharing as granting a permit does). Any other in-force copy of the same decision (type, provision, scope, data classes) is revoked with it (of a DENY, only copies it outlasts), so the decision is withdrawn, not one copy; a lapsed consent is revoked alone. Gated data disappears from the next request on.' })
  async revokeConsent(@Arg('input', { description: 'What to do; see the input type.' }) input: RevokeConsentInput, @Ctx() ctx: AuthedContext) {
    return { consent: await revokeConsent(ctx, input) };
  }

  @FieldResolver(() => Client, { nullable: true, description: 'The client the consent is about (null if you may not read their record).' })
  client(@Root() c: ConsentRecord, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(clientLoaders).visibleById.load(c.clientId);
  }

  @FieldResolver(() => TherapyGroup, { nullable: true, description: 'The group it is scoped to, if any.' })
  group(@Root() c: ConsentRecord, @Ctx() ctx: AuthedContext) {
    return scopeGroupOf(ctx, c);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Name of the integration it is scoped to, if any.' })
  async integrationName(@Root() c: ConsentRecord, @Ctx() ctx: AuthedContext) {
    if (!c.scopeApiKeyId) return null;
    return (await ctx.loaders.of(actorLoader).load(actorKey('INTEGRATION', c.scopeApiKeyId))).name;
  }

  @FieldResolver(() => Actor, { description: 'Who recorded it.' })
  recordedBy(@Root() c: ConsentRecord, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(actorLoader).load(actorKey(c.recordedByType, c.recordedById));
  }

  @FieldResolver(() => Actor, { nullable: true, description: 'Who revoked it.' })
  revokedBy(@Root() c: ConsentRecord, @Ctx() ctx: AuthedContext) {
    return c.revokedByType ? ctx.loaders.of(actorLoader).load(actorKey(c.revokedByType, c.revokedById)) : null;
  }

  @FieldResolver(() => [ConsentEvent], { description: 'Every change, oldest first: GRANTED, then REVOKED if revoked.' })
  history(@Root() c: ConsentRecord, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(consentLoaders).events.load(c.id);
  }
}

@Resolver(() => ConsentEvent)
export class ConsentEventResolver {
  @FieldResolver(() => Actor, { description: 'Who made the change.' })
  actor(@Root() e: ConsentEvent, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(actorLoader).load(actorKey(e.actorType, e.actorId));
  }
}

