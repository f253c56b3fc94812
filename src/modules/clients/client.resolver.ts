import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { IsOptional } from 'class-validator';
import { Rule } from '../../auth/viewer';
import { ConnectionType, PageArgs } from '../../common/connection';
import { SafeText } from '../../common/safe-text';
import type { AuthedContext } from '../../context';
import { externalIdLoaders } from '../external-ids/external-id.loaders';
import { ExternalIdentifier, ExternalIdentifierInput } from '../external-ids/external-identifier.entity';
import { Membership } from '../memberships/membership.entity';
import { membershipLoaders } from '../memberships/membership.loaders';
import { Client } from './client.entity';
import { CreateClientInput, UpdateClientInput } from './client.inputs';
import { createClient, getClient, getClientByExternalId, listClients, updateClient } from './client.service';

const ClientConnection = ConnectionType(Client, 'Client', 'A page of clients, ordered by family name, given name.');

@ArgsType()
class ClientsArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'Only clients whose legal or preferred name contains this text (case-insensitive).' })
  @IsOptional()
  @SafeText({ max: 100 })
  search?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Result of createClient.' })
class CreateClientPayload {
  @Field(() => Client, { description: 'The new client.' })
  client: Client;
}

@ObjectType({ simpleResolvers: true, description: 'Result of updateClient.' })
class UpdateClientPayload {
  @Field(() => Client, { description: 'The client as changed.' })
  client: Client;
}

const READERS = [...Rule.STAFF, Rule.scope('roster:read'), Rule.scope('roster:write')];

@Resolver(() => Client)
export class ClientResolver {
  @Authorized(...READERS)
  @Query(() => ClientConnection, {
    description: 'Clients of the clinic. Admins, supervisors and roster integrations see all; clinicians see members of groups they facilitate. Each client returned is audited as read.',
  })
  clients(@Args() args: ClientsArgs, @Ctx() ctx: AuthedContext) {
    return listClients(ctx, args.first, args.after, args.search);
  }

  @Authorized(...READERS, Rule.MEMBER)
  @Query(() => Client, { description: 'One client by id. Members may read only themselves; anything else not visible answers NOT_FOUND. Audited.' })
  client(@Arg('id', () => ID, { description: 'Global id of the client.' }) id: string, @Ctx() ctx: AuthedContext) {
    return getClient(ctx, id);
  }

  @Authorized(...READERS)
  @Query(() => Client, { nullable: true, description: 'The client carrying this external identifier, or null. Staff (as client(id:) allows them) and roster integrations. Audited.' })
  clientByExternalId(@Arg('identifier', { description: 'The (system, value) pair to look up.' }) identifier: ExternalIdentifierInput, @Ctx() ctx: AuthedContext) {
    return getClientByExternalId(ctx, identifier);
  }

  @Authorized(Rule.ADMIN, Rule.scope('roster:write'))
  @Mutation(() => CreateClientPayload, { description: 'Registers a client. Admins and `roster:write` integrations.' })
  async createClient(@Arg('input', { description: 'What to do; see the input type.' }) input: CreateClientInput, @Ctx() ctx: AuthedContext) {
    return { client: await createClient(ctx, input) };
  }

  @Authorized(Rule.ADMIN, Rule.scope('roster:write'))
  @Mutation(() => UpdateClientPayload, { description: 'Changes a client\'s demographics or adds external identifiers. Admins and `roster:write` integrations.' })
  async updateClient(@Arg('input', { description: 'What to do; see the input type.' }) input: UpdateClientInput, @Ctx() ctx: AuthedContext) {
    return { client: await updateClient(ctx, input) };
  }

  @FieldResolver(() => [ExternalIdentifier], {
    nullable: true,
    description: 'Identifiers of this client in outside systems (EHR record numbers, referral case ids): for staff and roster integrations; null for the member themself, as a membership\'s and a session\'s are.',
  })
  externalIds(@Root() client: Client, @Ctx() ctx: AuthedContext) {
    if (ctx.viewer.kind === 'MEMBER') return null;
    return ctx.loaders.of(externalIdLoaders).byResource.load(client.id);
  }

  @FieldResolver(() => [Membership], { description: 'The client\'s memberships in groups the viewer may see, oldest first.' })
  memberships(@Root() client: Client, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(membershipLoaders).byClient.load(client.id);
  }
}
