import { IsOptional, Max, Min } from 'class-validator';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, Float, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { groupLoaders, visibleGroup } from '../groups/group.loaders';
import { canSeeRoster } from '../groups/group.policy';
import { TherapyGroup } from '../groups/therapy-group.entity';
import { Membership } from '../memberships/membership.entity';
import { membershipLoaders } from '../memberships/membership.loaders';
import { StaffMember } from '../staff/staff-member.entity';
import { staffLoaders } from '../staff/staff.loaders';
import { CancelSessionInput, RecordAttendanceInput, ScheduleSessionsInput, UpdateSessionInput } from './session.inputs';
import { sessionLoaders } from './session.loaders';
import { canSeeSessions } from './session.policy';
import { cancelSession, getSession, getSessionByExternalId, recordAttendance, scheduleSessions, updateSession } from './session.service';
import { externalIdLoaders } from '../external-ids/external-id.loaders';
import { ExternalIdentifier, ExternalIdentifierInput } from '../external-ids/external-identifier.entity';
import { ATTENDED, Attendance, GroupSession } from './session.types';

@ObjectType({ simpleResolvers: true, description: 'Result of scheduleSessions.' })
class ScheduleSessionsPayload {
  @Field(() => [GroupSession], { description: 'The sessions created, in time order.' })
  sessions: GroupSession[];
}

@ObjectType({ simpleResolvers: true, description: 'Result of updateSession or cancelSession.' })
class SessionPayload {
  @Field(() => GroupSession, { description: 'The session after the change.' })
  session: GroupSession;
}

@ObjectType({ simpleResolvers: true, description: 'Result of recordAttendance.' })
class RecordAttendancePayload {
  @Field(() => GroupSession, { description: 'The session (HELD once anyone attended).' })
  session: GroupSession;

  @Field(() => [Attendance], { description: 'All attendance of the session after the change.' })
  attendance: Attendance[];
}

@ArgsType()
class SessionRangeArgs {
  @Field(() => Date, { nullable: true, description: 'Sessions starting at or after this instant.' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Sessions starting before this instant.' })
  @IsOptional()
  to?: Date | null;

  @Field(() => Int, { defaultValue: 50, description: 'At most this many, 1–200, in time order.' })
  @Min(1)
  @Max(200)
  first: number = 50;
}

const SESSION_MANAGERS = [...Rule.STAFF];

@Resolver(() => GroupSession)
export class SessionResolver {
  // Every roster scope, as the group's own session list (`canSeeSessions`) shows them.
  @Authorized(...Rule.STAFF, Rule.MEMBER, Rule.scope('roster:read'), Rule.scope('roster:write'), Rule.scope('sessions:read'))
  @Query(() => GroupSession, { description: 'One session, visible wherever its group is except to former members of the group (their group\'s schedule is no longer theirs); otherwise NOT_FOUND.' })
  groupSession(@Arg('id', () => ID, { description: 'Global id of the session.' }) id: string, @Ctx() ctx: AuthedContext) {
    return getSession(ctx, id);
  }

  @Authorized(...Rule.STAFF, Rule.scope('roster:read'), Rule.scope('roster:write'), Rule.scope('sessions:read'))
  @Query(() => GroupSession, { nullable: true, description: 'The session carrying this external identifier, or null: visible as `groupSession(id:)` shows it (a refused look is audited as DENIED). Staff and integrations with roster access.' })
  groupSessionByExternalId(@Arg('identifier', { description: 'The (system, value) pair to look up.' }) identifier: ExternalIdentifierInput, @Ctx() ctx: AuthedContext) {
    return getSessionByExternalId(ctx, identifier);
  }

  @Authorized(...SESSION_MANAGERS)
  @Mutation(() => ScheduleSessionsPayload, {
    description: 'Schedules one session, or a weekly series by count or until-date at the same local time in the clinic\'s zone. Admins, supervisors, the group\'s facilitators.',
  })
  async scheduleSessions(@Arg('input', { description: 'When and how often.' }) input: ScheduleSessionsInput, @Ctx() ctx: AuthedContext) {
    return { sessions: await scheduleSessions(ctx, input) };
  }

  @Authorized(...SESSION_MANAGERS)
  @Mutation(() => SessionPayload, {
    description:
      'Moves, retitles or marks a session HELD, or records who facilitated; what is not given stays as it stands (a concurrent change is never written back over). CONFLICT for a cancelled session, HELD before it has started (reason SESSION_NOT_STARTED), moving a session with attendance or setting one members attended back to SCHEDULED (reason ATTENDANCE_RECORDED), moving a session with notes you may see (reason NOTES_RECORDED: a note keeps its meeting\'s date), moving a session of a CONCLUDED group, or a session of an ARCHIVED group. Facilitators recorded (given now, or already, when it moves) must be assigned to the group on its date (BAD_USER_INPUT). A new length works out again the attendance minutes counted to the session\'s start or end. Admins, supervisors and the group\'s facilitators; a clinician changes a session that has started, or moves one to a time past, only if assigned to the group on its date (FORBIDDEN otherwise).',
  })
  async updateSession(@Arg('input', { description: 'The changes.' }) input: UpdateSessionInput, @Ctx() ctx: AuthedContext) {
    return { session: await updateSession(ctx, input) };
  }

  @Authorized(...SESSION_MANAGERS)
  @Mutation(() => SessionPayload, { description: 'Cancels a session with a reason; absences excused ahead of it are kept. CONFLICT once cancelled, in an ARCHIVED group, when members attended it (reason ATTENDANCE_RECORDED) or notes you may see are written for it (reason NOTES_RECORDED): a session that was held is marked HELD, not cancelled. Admins, supervisors and the group\'s facilitators; a clinician cancels a session that has started only if assigned to the group on its date (FORBIDDEN otherwise).' })
  async cancelSession(@Arg('input', { description: 'Which and why.' }) input: CancelSessionInput, @Ctx() ctx: AuthedContext) {
    return { session: await cancelSession(ctx, input) };
  }

  @Authorized(...SESSION_MANAGERS)
  @Mutation(() => RecordAttendancePayload, {
    description:
      'Records attendance for many members at once, all or nothing: each must have been a seated member at the session time, and a member is recorded once per session (a second membership of theirs seated that day answers BAD_USER_INPUT with its index); the session must not be cancelled, nor in an ARCHIVED group; before it starts only absences are recorded (PRESENT, LATE or LEFT_EARLY answer CONFLICT, reason SESSION_NOT_STARTED); an attended record marks it HELD; re-recording replaces (audited). Absences take no joinedAt or leftAt (BAD_USER_INPUT). Admins, supervisors and the group\'s facilitators; a clinician only for a session on a day their assignment to the group covered (FORBIDDEN otherwise).',
  })
  async recordAttendance(@Arg('input', { description: 'The session and one record per member.' }) input: RecordAttendanceInput, @Ctx() ctx: AuthedContext) {
    const attendance = await recordAttendance(ctx, input);
    return { attendance, session: await getSession(ctx, input.sessionId) };
  }

  @FieldResolver(() => TherapyGroup, { nullable: true, description: 'The group.' })
  async group(@Root() s: GroupSession, @Ctx() ctx: AuthedContext) {
    return visibleGroup(ctx, s.groupId);
  }

  @FieldResolver(() => [Attendance], { description: 'Attendance: all of it for staff with access to the group and sessions:read integrations with roster access; a member\'s own only; none for others.' })
  attendance(@Root() s: GroupSession, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(sessionLoaders).attendanceBySession.load(s.id);
  }

  @FieldResolver(() => [ExternalIdentifier], { nullable: true, description: 'Identifiers in outside systems. Roster access to the group only (as `TherapyGroup.externalIds`); null otherwise.' })
  async externalIds(@Root() s: GroupSession, @Ctx() ctx: AuthedContext) {
    const visible = await ctx.loaders.of(groupLoaders).visibleById.load(s.groupId);
    return visible && canSeeRoster(visible.access) ? ctx.loaders.of(externalIdLoaders).byResource.load(s.id) : null;
  }

  @FieldResolver(() => [StaffMember], { description: 'Staff who facilitated the session, as recorded.' })
  async facilitatorsPresent(@Root() s: GroupSession, @Ctx() ctx: AuthedContext) {
    const staff = await ctx.loaders.of(staffLoaders).byId.loadMany(s.facilitatorIds);
    return staff.filter((x): x is StaffMember => x instanceof StaffMember);
  }
}

@Resolver(() => Attendance)
export class AttendanceResolver {
  @FieldResolver(() => Membership, { nullable: true, description: 'The membership, as the viewer may see it.' })
  membership(@Root() a: Attendance, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(membershipLoaders).visibleById.load(a.membershipId);
  }

  @FieldResolver(() => GroupSession, { nullable: true, description: 'The session.' })
  session(@Root() a: Attendance, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(sessionLoaders).visibleById.load(a.sessionId);
  }
}

@Resolver(() => TherapyGroup)
export class GroupSessionsResolver {
  @FieldResolver(() => [GroupSession], { nullable: true, description: 'Sessions in a time range, in time order. Null where the group is not visible, and for its former members.' })
  async sessions(@Root() group: TherapyGroup, @Args() range: SessionRangeArgs, @Ctx() ctx: AuthedContext) {
    const visible = await ctx.loaders.of(groupLoaders).visibleById.load(group.id);
    if (!canSeeSessions(visible?.access ?? null)) return null;
    return ctx.loaders.of(sessionLoaders).byGroup.load({
      groupId: group.id,
      from: range.from?.toISOString() ?? null,
      to: range.to?.toISOString() ?? null,
      limit: range.first,
    });
  }

  @FieldResolver(() => GroupSession, { nullable: true, description: 'The next session that has not ended, the one in progress included (even once attendance made it HELD); cancelled ones never. Null where sessions are not visible (former members).' })
  async nextSession(@Root() group: TherapyGroup, @Ctx() ctx: AuthedContext) {
    const visible = await ctx.loaders.of(groupLoaders).visibleById.load(group.id);
    return canSeeSessions(visible?.access ?? null) ? ctx.loaders.of(sessionLoaders).next.load(group.id) : null;
  }
}

@Resolver(() => Membership)
export class MembershipAttendanceResolver {
  @FieldResolver(() => [Attendance], { nullable: true, description: 'Attendance history, in session order (staff with access to the group, the member). Null for peers.' })
  attendance(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    return m.peerView ? null : ctx.loaders.of(sessionLoaders).attendanceByMembership.load(m.id);
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Share (0–1) of recorded sessions attended (PRESENT, LATE or LEFT_EARLY), cancelled sessions left out (their records stay in `attendance`). Null with no records, and for peers.' })
  async attendanceRate(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    if (m.peerView) return null;
    const records = (await ctx.loaders.of(sessionLoaders).attendanceByMembership.load(m.id)).filter((a) => !a.sessionCancelled);
    return records.length ? records.filter((a) => ATTENDED.includes(a.status)).length / records.length : null;
  }
}
