import { ArrayMaxSize, IsOptional, IsUrl } from 'class-validator';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import { ConnectionType, FilteredPageArgs } from '../../common/connection';
import { toGlobalId } from '../../common/global-id';
import { SafeText } from '../../common/safe-text';
import type { AuthedContext } from '../../context';
import { forbidden } from '../../errors/domain-error';
import { groupLoaders } from '../groups/group.loaders';
import { TherapyGroup } from '../groups/therapy-group.entity';
import { AlumniEntry, Connection, ConnectionDirection, ConnectionStatus, ContactCard, ContactPreferences, EventAudience, GroupEvent, GroupEventKind, RsvpCounts, RsvpResponse } from './after-group.types';
import { alumniDirectory } from './alumni.service';
import {
  blockedByViewerLoader, blockMember, connectionLoaders, contactCardLoader, contactPreferencesOf, requestConnection, respondToConnection, setContactPreferences,
  unblockMember, withdrawConnection,
} from './connection.service';
import { attendeesOf, createGroupEvent, listEvents, myRsvp, rsvp, rsvpCounts } from './event.service';

@InputType({ description: 'Asks a current or former peer to exchange contact details.' })
class RequestConnectionInput {
  @Field(() => ID, { description: 'Their membership (from `group.members` or `group.alumni`).' })
  @SafeText({ max: 200 })
  peerMembershipId: string;

  @Field(() => String, { nullable: true, description: 'A short message, up to 300 characters.' })
  @IsOptional()
  @SafeText({ max: 300 })
  message?: string | null;
}

@InputType({ description: 'Accepts or declines a request you received.' })
class RespondToConnectionInput {
  @Field(() => ID, { description: 'The connection.' })
  @SafeText({ max: 200 })
  connectionId: string;

  @Field({ description: 'True to accept, false to decline.' })
  accept: boolean;
}

@InputType({ description: 'A connection to act on.' })
class ConnectionRefInput {
  @Field(() => ID, { description: 'The connection.' })
  @SafeText({ max: 200 })
  connectionId: string;
}

@InputType({ description: 'What you share with accepted connections.' })
class ContactPreferencesInput {
  @Field({ description: 'Share your email.' })
  shareEmail: boolean;

  @Field({ description: 'Share your phone.' })
  sharePhone: boolean;

  @Field(() => String, { nullable: true, description: 'A free-text handle (e.g. a messaging username), up to 100 characters.' })
  @IsOptional()
  @SafeText({ max: 100 })
  handle?: string | null;
}

@InputType({ description: 'A gathering of a group.' })
class CreateGroupEventInput {
  @Field(() => ID, { description: 'The group.' })
  @SafeText({ max: 200 })
  groupId: string;

  @Field(() => GroupEventKind, { description: 'What kind.' })
  kind: GroupEventKind;

  @Field(() => EventAudience, { description: 'Who is invited.' })
  audience: EventAudience;

  @Field({ description: 'Title, 1–200 characters.' })
  @SafeText({ min: 1, max: 200 })
  title: string;

  @Field(() => String, { nullable: true, description: 'Details, up to 2,000 characters.' })
  @IsOptional()
  @SafeText({ max: 2000 })
  description?: string | null;

  @Field({ description: 'Start.' })
  startsAt: Date;

  @Field(() => Date, { nullable: true, description: 'End, after the start.' })
  @IsOptional()
  endsAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Where, up to 500 characters.' })
  @IsOptional()
  @SafeText({ max: 500 })
  location?: string | null;

  @Field(() => String, { nullable: true, description: 'Video link (https).' })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true })
  @SafeText({ max: 500 })
  videoLink?: string | null;
}

@InputType({ description: 'Your answer to an event you are invited to.' })
class RsvpGroupEventInput {
  @Field(() => ID, { description: 'The event.' })
  @SafeText({ max: 200 })
  eventId: string;

  @Field(() => RsvpResponse, { description: 'GOING, MAYBE or NOT_GOING.' })
  response: RsvpResponse;
}

@InputType({ description: 'Which group events to list; all conditions must hold.' })
class GroupEventFilter {
  @Field(() => ID, { nullable: true, description: 'Only this group\'s events.' })
  @IsOptional()
  @SafeText({ max: 200 })
  groupId?: string | null;

  @Field({ defaultValue: true, description: 'Only events that have not started (the default); false lists past events too, oldest first.' })
  upcoming: boolean = true;
}

@ArgsType()
class GroupEventsArgs extends FilteredPageArgs(GroupEventFilter, 'Conditions on the events returned; without it, upcoming events of every group the viewer may see.') {}

@InputType({ description: 'Conditions on the connections returned; all that are given must hold.' })
class ConnectionFilter {
  @Field(() => [ConnectionStatus], { nullable: true, description: 'Only these statuses, as you are shown them (a block is found as the decline or withdrawal it shows as).' })
  @IsOptional()
  @ArrayMaxSize(4)
  status?: ConnectionStatus[] | null;

  @Field(() => ConnectionDirection, { nullable: true, description: 'Only requests you sent, or only those you received.' })
  @IsOptional()
  direction?: ConnectionDirection | null;
}

@ArgsType()
class ConnectionsArgs extends FilteredPageArgs(ConnectionFilter, 'Conditions on the connections returned; without it, all of yours.') {}

const ConnectionConnection = ConnectionType(Connection, 'Connection', 'A page of your contact requests and connections, newest first, then by id.');

const GroupEventConnection = ConnectionType(GroupEvent, 'GroupEvent', 'A page of group events, by start time (earliest first), then id.');

@ObjectType({ simpleResolvers: true, description: 'Result of a connection mutation.' })
class ConnectionPayload {
  @Field(() => Connection, { description: 'The connection after the change.' })
  connection: Connection;
}

@ObjectType({ simpleResolvers: true, description: 'Result of createGroupEvent or rsvpGroupEvent.' })
class GroupEventPayload {
  @Field(() => GroupEvent, { description: 'The event.' })
  event: GroupEvent;
}

@ObjectType({ simpleResolvers: true, description: 'Result of updateContactPreferences.' })
class ContactPreferencesPayload {
  @Field(() => ContactPreferences, { description: 'Your preferences now.' })
  contactPreferences: ContactPreferences;
}

@Resolver(() => Connection)
export class ConnectionResolver {
  @Authorized(Rule.MEMBER)
  @Query(() => ConnectionConnection, { description: 'Your contact requests (sent and received) and connections, newest first, a page at a time. A request held from you never shows, in any status: one the group\'s peer-contact policy did not allow on your side when it was made shows once the policy allows it (your membership has ended under AFTER_COMPLETION, or the group is set to ANYTIME) unless it was withdrawn first; one from a member you blocked, never. A request you declined leaves your list 30 days after you declined it (the member who asked keeps seeing it as DECLINED); a block stays listed while it stands, so you can lift it. Members only.' })
  connections(@Args() args: ConnectionsArgs, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(connectionLoaders).page(args.first, args.after, args.filter ?? {});
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => ConnectionPayload, {
    description:
      'Asks a current or former peer to exchange contact details, as the group\'s peer-contact policy allows on your side (NEVER: FORBIDDEN; AFTER_COMPLETION: CONFLICT while your own membership is open). The answer never tells the peer\'s state: under AFTER_COMPLETION a request to someone still in the group waits, unseen by them, until their membership ends too. Someone never in a shared group, or whom you blocked, answers NOT_FOUND. At most 10 pending requests (RATE_LIMITED). Members only.',
  })
  async requestConnection(@Arg('input', { description: 'Whom to ask.' }) input: RequestConnectionInput, @Ctx() ctx: AuthedContext) {
    return { connection: await requestConnection(ctx, input.peerMembershipId, input.message) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => ConnectionPayload, {
    description:
      'Accepts or declines a request you received. Accepting asks the group\'s peer-contact policy as it is now, on your side only, as asking does: NEVER answers FORBIDDEN (declining is still possible); AFTER_COMPLETION answers CONFLICT while your own membership is open (a request made before the group switched to it). The answer never tells the requester\'s state: contact details show once the policy allows them on both sides (`contact`). Members only.',
  })
  async respondToConnection(@Arg('input', { description: 'Your answer.' }) input: RespondToConnectionInput, @Ctx() ctx: AuthedContext) {
    return { connection: await respondToConnection(ctx, input.connectionId, input.accept) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => ConnectionPayload, { description: 'Withdraws a request or an accepted connection: contact details disappear on the next request. Members only.' })
  async withdrawConnection(@Arg('input', { description: 'Which.' }) input: ConnectionRefInput, @Ctx() ctx: AuthedContext) {
    return { connection: await withdrawConnection(ctx, input.connectionId) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => ConnectionPayload, { description: 'Blocks the other member of a connection, silently: an open one closes as the decline (a request you were asked) or withdrawal (anything else) it looks like to both of you, one already closed stays as it was, and their later contact requests and partnership proposals are taken like any and never reach you; their encouragements no longer show. A partnership between you ends as you could end it yourself (an ACTIVE one, and a proposal of yours still waiting: ENDED, \"Ended by a member\"), so they no longer see the goals you share with partners. `blockedByYou` shows it to you; `unblockMember` lifts it. Members only.' })
  async blockMember(@Arg('input', { description: 'Which connection\'s other member.' }) input: ConnectionRefInput, @Ctx() ctx: AuthedContext) {
    return { connection: await blockMember(ctx, input.connectionId) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => ConnectionPayload, {
    description:
      'Lifts your block of the other member of a connection. Nothing the block closed opens again, and what they did while it stood (requests, proposals, encouragements), like a request of theirs still waiting unseen when you blocked them, stays held from you for good (one still pending to them is declined if you ask them); from now on their requests, proposals and encouragements reach you as anyone\'s do, and their encouragements from before the block show again. They are told nothing, as they were told nothing of the block. CONFLICT (reason NOT_BLOCKED) when you do not block them. Members only.',
  })
  async unblockMember(@Arg('input', { description: 'Which connection\'s other member.' }) input: ConnectionRefInput, @Ctx() ctx: AuthedContext) {
    return { connection: await unblockMember(ctx, input.connectionId) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => ContactPreferencesPayload, { description: 'Chooses what accepted connections may see (email, phone, a handle). Members only.' })
  async updateContactPreferences(@Arg('input', { description: 'Your choices.' }) input: ContactPreferencesInput, @Ctx() ctx: AuthedContext) {
    return { contactPreferences: await setContactPreferences(ctx, { shareEmail: input.shareEmail, sharePhone: input.sharePhone, handle: input.handle ?? null }) };
  }

  @Authorized(Rule.MEMBER)
  @Query(() => ContactPreferences, { description: 'What you share with accepted connections. Members only.' })
  myContactPreferences(@Ctx() ctx: AuthedContext) {
    if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
    return contactPreferencesOf(ctx, ctx.viewer.clientId);
  }

  @FieldResolver(() => ContactCard, {
    nullable: true,
    description:
      'The other member\'s shared contact details: only while ACCEPTED, both hold ACTIVE CONTACT_SHARING consent, and the group\'s peer-contact policy allows the exchange today (null while it is NEVER, or AFTER_COMPLETION with either still in the group). Null too when they share nothing (no email, phone or handle), so an empty card never tells a revoked consent from a choice. Each reveal is audited.',
  })
  contact(@Root() c: Connection, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(contactCardLoader).load(c);
  }

  @FieldResolver(() => Boolean, {
    description: 'True while you block the other member (`blockMember`, lifted by `unblockMember`). Never tells a member that they are blocked: false to them.',
  })
  async blockedByYou(@Root() c: Connection, @Ctx() ctx: AuthedContext) {
    return (await ctx.loaders.of(blockedByViewerLoader).get()).has(c.otherClientId);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Name of the group you share.' })
  async groupName(@Root() c: Connection, @Ctx() ctx: AuthedContext) {
    return (await ctx.loaders.of(groupLoaders).rowById.load(c.groupId))?.name ?? null;
  }
}

@Resolver(() => GroupEvent)
export class GroupEventResolver {
  @Authorized(...Rule.STAFF, Rule.MEMBER)
  @Query(() => GroupEventConnection, {
    description: 'Group events, by start time: admins and supervisors see every group\'s, clinicians those of the groups they facilitate, members those they are invited to (MEMBERS events while active or on hold, ALUMNI events once they completed, BOTH either way).',
  })
  groupEvents(@Args() args: GroupEventsArgs, @Ctx() ctx: AuthedContext) {
    return listEvents(ctx, args.filter ?? {}, args.first, args.after);
  }

  @Authorized(...Rule.STAFF)
  @Mutation(() => GroupEventPayload, { description: 'Creates an outing, reunion or alumni check-in. Admins, supervisors and the group\'s facilitators.' })
  async createGroupEvent(@Arg('input', { description: 'The event.' }) input: CreateGroupEventInput, @Ctx() ctx: AuthedContext) {
    return { event: await createGroupEvent(ctx, input) };
  }

  @Authorized(Rule.MEMBER)
  @Mutation(() => GroupEventPayload, { description: 'Answers an invitation, until the event is over (CONFLICT, reason EVENT_OVER). An event you are not invited to answers NOT_FOUND. Members only.' })
  async rsvpGroupEvent(@Arg('input', { description: 'Your answer.' }) input: RsvpGroupEventInput, @Ctx() ctx: AuthedContext) {
    return { event: await rsvp(ctx, input.eventId, input.response) };
  }

  @FieldResolver(() => RsvpCounts, { description: 'How many are going, or maybe.' })
  counts(@Root() e: GroupEvent, @Ctx() ctx: AuthedContext) {
    return rsvpCounts(ctx, e);
  }

  @FieldResolver(() => [String], {
    nullable: true,
    description: 'Display names of others going: for staff; for an invitee only while they are going themself, and only of attendees who consent (ALUMNI_DIRECTORY for alumni, the group agreement for members), never of a member on hold. In display-name order.',
  })
  attendees(@Root() e: GroupEvent, @Ctx() ctx: AuthedContext) {
    return attendeesOf(ctx, e);
  }

  @FieldResolver(() => RsvpResponse, { nullable: true, description: 'Your answer, if you gave one.' })
  myRsvp(@Root() e: GroupEvent, @Ctx() ctx: AuthedContext) {
    return myRsvp(ctx, e);
  }

  @FieldResolver(() => String, { description: 'Name of the group.' })
  async groupName(@Root() e: GroupEvent, @Ctx() ctx: AuthedContext) {
    return (await ctx.loaders.of(groupLoaders).rowById.load(e.groupId))?.name ?? '';
  }
}

@Resolver(() => TherapyGroup)
export class GroupAlumniResolver {
  @FieldResolver(() => [AlumniEntry], {
    nullable: true,
    description: 'The alumni directory: display names of members whose membership of the group (the open one, else the latest) is COMPLETED and who hold ALUMNI_DIRECTORY consent for it. Visible to those alumni themselves and to staff with access to the group; null for everyone else.',
  })
  alumni(@Root() group: TherapyGroup, @Ctx() ctx: AuthedContext) {
    return alumniDirectory(ctx, group.id);
  }
}

@Resolver(() => AlumniEntry)
export class AlumniEntryResolver {
  @FieldResolver(() => ID, { description: 'Their membership id, to send a connection request.' })
  membershipId(@Root() a: AlumniEntry) {
    return toGlobalId('Membership', a.membershipId);
  }
}
