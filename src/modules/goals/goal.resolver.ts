import { IsOptional, Max, Min } from 'class-validator';
import { badInput } from '../../errors/domain-error';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, Float, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import { ConnectionType, FilteredPageArgs, listSize } from '../../common/connection';
import { SafeText } from '../../common/safe-text';
import { CalendarDate, toSqlDate } from '../../common/scalars';
import type { AuthedContext } from '../../context';
import { Membership } from '../memberships/membership.entity';
import { membershipLoaders } from '../memberships/membership.loaders';
import { GoalAchievementStatus, GoalLifecycleStatus, GoalVisibility } from './goal.enums';
import { CreateGoalInput, RecordCheckInInput, UpdateGoalInput } from './goal.inputs';
import { clinicClockLoader, goalLoaders } from './goal.loaders';
import { namesCheckInRecorder, seesCheckInNote, seesMood } from './goal.policy';
import { Actor, actorKey, actorLoader } from '../../audit/actor';
import { completionRate, localDayNumber, suggestAchievement } from './goal-progress';
import { progressFromFacts } from './streak-summary';
import { createGoal, getGoal, listGoals, recordCheckIn, updateGoal } from './goal.service';
import { Goal, GoalCheckIn } from './goal.types';
import { consentCheckLoader } from '../consent/consent-check';
import { ConsentType } from '../consent/consent.enums';

const GoalConnection = ConnectionType(Goal, 'Goal', 'A page of goals, oldest first.');

@InputType({ description: 'Which goals to list; all conditions must hold.' })
class GoalFilter {
  @Field(() => ID, { nullable: true, description: 'Only this client\'s goals.' })
  @IsOptional()
  @SafeText({ max: 200 })
  clientId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only goals in this group.' })
  @IsOptional()
  @SafeText({ max: 200 })
  groupId?: string | null;

  @Field(() => [GoalLifecycleStatus], { nullable: true, description: 'Only goals in these lifecycle statuses.' })
  @IsOptional()
  lifecycleStatus?: GoalLifecycleStatus[] | null;

  @Field(() => [GoalVisibility], { nullable: true, description: 'Only goals with these visibilities.' })
  @IsOptional()
  visibility?: GoalVisibility[] | null;
}

@ArgsType()
class GoalsArgs extends FilteredPageArgs(GoalFilter, 'Conditions on the goals returned.') {}

@ArgsType()
class CheckInsArgs {
  @Field(() => Int, { defaultValue: 10, description: 'The most recent N check-ins, 1–100.' })
  @Min(1)
  @Max(100)
  last: number = 10;
}

@ObjectType({ simpleResolvers: true, description: 'Result of createGoal or updateGoal.' })
class GoalPayload {
  @Field(() => Goal, { description: 'The goal after the change.' })
  goal: Goal;
}

@ObjectType({ simpleResolvers: true, description: 'Result of recordCheckIn.' })
class CheckInPayload {
  @Field(() => GoalCheckIn, { description: 'The new check-in.' })
  checkIn: GoalCheckIn;

  @Field(() => Goal, { description: 'The goal, with updated streaks.' })
  goal: Goal;
}

/** The check-in consent an integration needs for this goal's check-ins and anything derived from them. */
function checkInConsent(goal: Goal, ctx: AuthedContext): Promise<string | null> | undefined {
  const viewer = ctx.viewer;
  if (goal.audience !== 'INTEGRATION' || viewer.kind !== 'INTEGRATION') return undefined;
  return ctx.loaders.of(consentCheckLoader).load({
    clientId: goal.clientId,
    type: ConsentType.PARTNER_DATA_SHARING,
    scope: { kind: 'INTEGRATION', apiKeyId: viewer.apiKeyId },
    dataClass: 'check-ins',
  });
}

/** The whole history, for figures over chosen periods; null for an integration whose consent does not cover check-ins. */
async function history(goal: Goal, ctx: AuthedContext) {
  const read = await withClock(goal, ctx, (loaders) => loaders.checkInPoints.load(goal.id));
  return read && { checkIns: read.value, clock: read.clock };
}

/** Streak figures (from the goal's summary when it holds); null for an integration whose consent does not cover check-ins. */
async function streaks(goal: Goal, ctx: AuthedContext) {
  const read = await withClock(goal, ctx, (loaders) => loaders.streakFacts.load(goal.id));
  return read && progressFromFacts(read.value, goal.measure, read.clock.timeZone, read.clock.now);
}

/**
 * What `load` reads of a goal's check-ins, with the clinic's clock, behind the check-in consent
 * gate. Figures derived from check-ins (streaks, the latest check-in's time, rates) release
 * check-in data too: to an integration, that is one `check-ins` disclosure of the goal.
 */
async function withClock<T>(goal: Goal, ctx: AuthedContext, load: (loaders: ReturnType<typeof goalLoaders>) => Promise<T>) {
  const consentId = await checkInConsent(goal, ctx);
  if (consentId === null) return null;
  const viewer = ctx.viewer;
  if (consentId && viewer.kind === 'INTEGRATION') {
    ctx.audit.disclose({ apiKeyId: viewer.apiKeyId, clientId: goal.clientId, dataClass: 'check-ins', resourceType: 'Goal', resourceId: goal.id, consentId });
  }
  const [value, clock] = await Promise.all([load(ctx.loaders.of(goalLoaders)), ctx.loaders.of(clinicClockLoader).get()]);
  return { value, clock };
}

/** Longest range `completionRate` reckons: ten years. */
const MAX_RATE_DAYS = 3660;

@Resolver(() => Goal)
export class GoalResolver {
  @Authorized(Rule.SUPERVISOR, Rule.CLINICIAN, Rule.MEMBER, Rule.scope('goals:read'))
  @Query(() => GoalConnection, {
    description:
      'Goals the viewer may see: members their own and those peers and partners share; clinicians those of their groups; supervisors all; `goals:read` integrations those of clients who granted PARTNER_DATA_SHARING (each release is written to the disclosure ledger).',
  })
  goals(@Args() args: GoalsArgs, @Ctx() ctx: AuthedContext) {
    return listGoals(ctx, args.filter ?? {}, args.first, args.after);
  }

  @Authorized(Rule.SUPERVISOR, Rule.CLINICIAN, Rule.MEMBER, Rule.scope('goals:read'))
  @Query(() => Goal, { description: 'One goal, with the same visibility as `goals`; otherwise NOT_FOUND.' })
  goal(@Arg('id', () => ID, { description: 'Global id of the goal.' }) id: string, @Ctx() ctx: AuthedContext) {
    return getGoal(ctx, id);
  }

  @Authorized(Rule.SUPERVISOR, Rule.CLINICIAN, Rule.MEMBER)
  @Mutation(() => GoalPayload, { description: 'Creates a goal in a membership: by the member, or for them by a clinician of the group or a supervisor.' })
  async createGoal(@Arg('input', { description: 'The goal.' }) input: CreateGoalInput, @Ctx() ctx: AuthedContext) {
    return { goal: await createGoal(ctx, input) };
  }

  @Authorized(Rule.SUPERVISOR, Rule.CLINICIAN, Rule.MEMBER)
  @Mutation(() => GoalPayload, { description: 'Changes a goal: the member, a clinician of the group, or a supervisor.' })
  async updateGoal(@Arg('input', { description: 'The changes.' }) input: UpdateGoalInput, @Ctx() ctx: AuthedContext) {
    return { goal: await updateGoal(ctx, input) };
  }

  @Authorized(Rule.SUPERVISOR, Rule.CLINICIAN, Rule.MEMBER)
  @Mutation(() => CheckInPayload, {
    description: 'Records a check-in (value valid for the measure) on an ACTIVE or ON_HOLD goal: the member, a clinician of the group (e.g. during a session), or a supervisor. CONFLICT once the goal\'s membership was WITHDRAWN or DISCHARGED (a COMPLETED one\'s goals still take check-ins, for partnerships that go on).',
  })
  async recordCheckIn(@Arg('input', { description: 'The check-in.' }) input: RecordCheckInInput, @Ctx() ctx: AuthedContext) {
    const checkIn = await recordCheckIn(ctx, input);
    return { checkIn, goal: await getGoal(ctx, input.goalId) };
  }

  @FieldResolver(() => [GoalCheckIn], { description: 'The most recent check-ins, newest first.' })
  // Resolved once per goal on hot screens: checked here instead of a class-validator pass per call.
  async checkIns(@Root() goal: Goal, @Args({ validate: false }) args: CheckInsArgs, @Ctx() ctx: AuthedContext) {
    args.last = listSize(args.last, 'last');
    const viewer = ctx.viewer;
    // Integrations receive check-ins only under a consent covering that data class (asked in one batch per request).
    const consentId = await checkInConsent(goal, ctx);
    if (consentId === null) return [];
    const recent = await ctx.loaders.of(goalLoaders).recentCheckIns.load({ goalId: goal.id, last: args.last });
    const shown = recent.map((c) => Object.assign(Object.create(GoalCheckIn.prototype) as GoalCheckIn, c, { audience: goal.audience }));
    if (consentId && viewer.kind === 'INTEGRATION') {
      for (const c of shown) {
        ctx.audit.disclose({ apiKeyId: viewer.apiKeyId, clientId: goal.clientId, dataClass: 'check-ins', resourceType: 'GoalCheckIn', resourceId: c.id, consentId });
      }
    }
    return shown;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Consecutive periods met up to now (the period in progress does not break it). Null for integrations without consent to check-ins.' })
  async currentStreak(@Root() goal: Goal, @Ctx() ctx: AuthedContext) {
    return (await streaks(goal, ctx))?.currentStreak ?? null;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Longest run of consecutive periods met. Null for integrations without consent to check-ins.' })
  async longestStreak(@Root() goal: Goal, @Ctx() ctx: AuthedContext) {
    return (await streaks(goal, ctx))?.longestStreak ?? null;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Time of the latest check-in; null before the first. Null for integrations without consent to check-ins.' })
  async lastCheckInAt(@Root() goal: Goal, @Ctx() ctx: AuthedContext) {
    return (await streaks(goal, ctx))?.lastCheckInAt ?? null;
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Share of periods met (0–1) between two days in the clinic\'s time zone (at most ten years apart); default from the start date (or ten years back, if earlier) to today.' })
  async completionRate(
    @Root() goal: Goal,
    @Ctx() ctx: AuthedContext,
    @Arg('from', () => CalendarDate, { nullable: true, description: 'First day (inclusive).' }) from?: Date | null,
    @Arg('to', () => CalendarDate, { nullable: true, description: 'Last day (inclusive).' }) to?: Date | null,
  ) {
    // The range is checked before any check-in is read (or, to an integration, disclosed).
    const clock = await ctx.loaders.of(clinicClockLoader).get();
    const day = (d: string) => Math.round(Date.parse(`${d}T00:00:00Z`) / 86400000);
    const toDay = to ? day(toSqlDate(to)!) : localDayNumber(clock.now, clock.timeZone);
    // Without `from`, the goal's start, or the last ten years of a goal older than that (never an
    // error the caller did not ask for).
    const fromDay = from ? day(toSqlDate(from)!) : Math.max(day(goal.startDate), toDay - MAX_RATE_DAYS);
    // The rate walks the range day by day: a range of millennia on a page of goals would hold the process.
    if (toDay - fromDay > MAX_RATE_DAYS) throw badInput(`from and to may be at most ${MAX_RATE_DAYS} days apart`, { argument: 'to' });
    const p = await history(goal, ctx);
    if (!p) return null;
    return completionRate(goal.measure, p.checkIns, p.clock.timeZone, fromDay, toDay);
  }

  @FieldResolver(() => GoalAchievementStatus, { nullable: true, description: 'Achievement status suggested by the trend of the last 4 periods against the 4 before; ACHIEVED for a COMPLETED goal (from its lifecycle status alone). Otherwise null for integrations without consent to check-ins.' })
  async suggestedAchievementStatus(@Root() goal: Goal, @Ctx() ctx: AuthedContext) {
    if (goal.lifecycleStatus === GoalLifecycleStatus.COMPLETED) return GoalAchievementStatus.ACHIEVED;
    const p = await history(goal, ctx);
    if (!p) return null;
    const { checkIns, clock } = p;
    const startDay = Math.round(Date.parse(`${goal.startDate}T00:00:00Z`) / 86400000);
    return suggestAchievement(goal.measure, checkIns, clock.timeZone, startDay, clock.now);
  }

  @FieldResolver(() => Membership, { nullable: true, description: 'The membership the goal belongs to, as the viewer may see it.' })
  membership(@Root() goal: Goal, @Ctx() ctx: AuthedContext) {
    return goal.audience === 'INTEGRATION' ? null : ctx.loaders.of(membershipLoaders).visibleById.load(goal.membershipId);
  }
}

@Resolver(() => GoalCheckIn)
export class GoalCheckInResolver {
  @FieldResolver(() => String, { nullable: true, description: 'The member\'s note: the member, their clinicians and active accountability partners only; never peers, nor partner integrations.' })
  note(@Root() c: GoalCheckIn) {
    return seesCheckInNote(c.audience) ? c.note : null;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Mood 1–5: the member, the group\'s clinicians and supervisors only.' })
  mood(@Root() c: GoalCheckIn) {
    return seesMood(c.audience) ? c.mood : null;
  }

  @FieldResolver(() => Actor, {
    description:
      'Who recorded it: the member ("you" to themself, their display name to partners and peers) or staff (name and role to the member and their clinicians; only the kind to partners and peers). Integrations see only the kind.',
  })
  async recordedBy(@Root() c: GoalCheckIn, @Ctx() ctx: AuthedContext): Promise<Actor> {
    const actor = await ctx.loaders.of(actorLoader).load(actorKey(c.recordedByType, c.recordedById));
    return namesCheckInRecorder(c.audience, actor.kind) ? actor : Object.assign(new Actor(), { kind: actor.kind, name: null, role: null });
  }
}

@Resolver(() => Membership)
export class MembershipGoalsResolver {
  @FieldResolver(() => [Goal], { nullable: true, description: 'Goals in this membership the viewer may see (peers: shared GROUP goals only); empty when nothing is shared with the viewer.' })
  goals(@Root() m: Membership, @Ctx() ctx: AuthedContext) {
    return ctx.loaders.of(goalLoaders).byMembership.load(m.id);
  }
}
