import DataLoader from 'dataloader';
import { namesPeopleTo } from '../../auth/viewer';
import { AuditAction } from '../../audit/audit-action';
import type { RequestContext } from '../../context';
import { displayNameOf } from '../clients/client.entity';
import { consentAnswerSql, consentCheckLoader, ConsentQuestion } from '../consent/consent-check';
import { ConsentType } from '../consent/consent.enums';
import { groupLoaders } from '../groups/group.loaders';
import { memberSeesPeers } from '../groups/group.policy';
import { MembershipStatus } from '../memberships/membership-status';
import { sqlList } from '../../db/sql-parts';
import { seesPeersSql } from '../groups/sees-peers-sql';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { GoalVisibility } from './goal.enums';
import { GoalFacts, goalAudience, GoalRuleFacts, SHOWN_TO_OTHERS } from './goal.policy';
import { CheckInPoint, measureOf } from './goal-progress';
import { decodeStreakFacts, HISTORY_ARRAYS_SQL, pointsOf, StreakFacts, streakFactsSql } from './streak-summary';
import { partnershipsOfClients } from './partnership-sql';
import { Goal, GoalCheckIn } from './goal.types';

export interface GoalRow {
  id: string;
  clinic_id: string;
  membership_id: string;
  client_id: string;
  group_id: string;
  title: string;
  description: string | null;
  measure_kind: Goal['measure']['kind'];
  measure_period: Goal['measure']['period'];
  target: string | null;
  start_date: string;
  due_date: string | null;
  lifecycle_status: Goal['lifecycleStatus'];
  achievement_status: Goal['achievementStatus'];
  visibility: Goal['visibility'];
  created_at: Date;
  updated_at: Date;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  membership_status: string;
}

const GOAL_COLUMNS = `g.id, g.clinic_id, g.membership_id, g.client_id, g.group_id, g.title, g.description, g.measure_kind, g.measure_period,
  g.target, g.start_date, g.due_date, g.lifecycle_status, g.achievement_status, g.visibility, g.created_at, g.updated_at,
  c.given_name, c.family_name, c.preferred_name, om.status AS membership_status`;

const goalFromRow = (r: GoalRow): Goal =>
  Object.assign(new Goal(), {
    id: r.id,
    clinicId: r.clinic_id,
    membershipId: r.membership_id,
    clientId: r.client_id,
    groupId: r.group_id,
    title: r.title,
    description: r.description,
    measure: measureOf(r),
    startDate: r.start_date,
    startDay: r.start_date,
    dueDate: r.due_date,
    lifecycleStatus: r.lifecycle_status,
    achievementStatus: r.achievement_status,
    visibility: r.visibility,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ownerDisplayName: displayNameOf({ givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name }),
    ownerMembershipStatus: r.membership_status,
  });

/** The viewer's active partners' memberships: one statement per request, for members only. */
export const partnerFactsLoader = (ctx: RequestContext) => {
  let partners: Promise<Set<string>> | undefined;
  return {
    get(): Promise<Set<string>> {
      partners ??= (async () => {
        const viewer = ctx.viewer;
        if (viewer?.kind !== 'MEMBER') return new Set<string>();
        const rows = await ctx.db.query<{ other: string }>(
          `SELECT other FROM (${partnershipsOfClients('m.client_id = $1')}) mine WHERE status = 'ACTIVE'`,
          [viewer.clientId],
        );
        return new Set(rows.map((r) => r.other));
      })();
      return partners;
    },
  };
};

/**
 * Applies the goal rule to goals of any members and groups at once: the consent questions of
 * the whole batch go to the consent service in one statement, reads are audited, and releases
 * to integrations are written to the disclosure ledger.
 */
async function applyGoalRules(ctx: RequestContext, goals: Goal[]): Promise<(Goal | null)[]> {
  const viewer = ctx.viewer;
  if (!viewer || goals.length === 0) return goals.map(() => null);
  const groupIds = [...new Set(goals.map((g) => g.groupId))];
  const [facts, partners, groups] = await Promise.all([
    ctx.loaders.of(viewerFactsLoader).get(),
    ctx.loaders.of(partnerFactsLoader).get(),
    viewer.kind === 'MEMBER' ? ctx.loaders.of(groupLoaders).visibleById.loadMany(groupIds) : Promise.resolve([]),
  ]);
  const groupById = new Map(groupIds.map((id, i) => [id, groups[i]]));
  const seesPeersIn = (groupId: string) => {
    const g = groupById.get(groupId);
    return !!g && !(g instanceof Error) && memberSeesPeers(viewer, g.group, facts);
  };
  const questions: (ConsentQuestion | null)[] = goals.map((g) => {
    if (viewer.kind === 'INTEGRATION') {
      return { clientId: g.clientId, type: ConsentType.PARTNER_DATA_SHARING, scope: { kind: 'INTEGRATION', apiKeyId: viewer.apiKeyId }, dataClass: 'goals' };
    }
    if (viewer.kind === 'MEMBER' && g.clientId !== viewer.clientId && g.visibility === 'GROUP') {
      return { clientId: g.clientId, type: ConsentType.GOAL_SHARING, scope: { kind: 'GROUP', groupId: g.groupId } };
    }
    return null;
  });
  const asked = questions.filter((q): q is ConsentQuestion => q !== null);
  const answers = asked.length ? await ctx.loaders.of(consentCheckLoader).loadMany(asked) : [];
  let next = 0;
  return goals.map((goal, i) => {
    const answer = questions[i] ? answers[next++] : null;
    const consentId = typeof answer === 'string' ? answer : null;
    const ruleFacts: GoalRuleFacts = {
      viewer: facts,
      partnerMembershipIds: partners,
      seesPeersIn,
      ownerSharesGoals: consentId !== null,
      partnerDataConsentId: consentId,
    };
    const audience = goalAudience(viewer, goal as GoalFacts, ruleFacts);
    if (!audience) return null;
    ctx.audit.record({ action: AuditAction.READ, resourceType: 'Goal', resourceId: goal.id, subjectClientId: goal.clientId });
    if (audience === 'INTEGRATION' && viewer.kind === 'INTEGRATION' && consentId) {
      ctx.audit.disclose({ apiKeyId: viewer.apiKeyId, clientId: goal.clientId, dataClass: 'goals', resourceType: 'Goal', resourceId: goal.id, consentId });
    }
    const ownerDisplayName = namesPeopleTo(viewer) ? goal.ownerDisplayName : null;
    return Object.assign(Object.create(Goal.prototype) as Goal, goal, { audience, ownerDisplayName, disclosureConsentId: consentId ?? undefined });
  });
}

export type CheckInRow = { id: string; goal_id: string; client_id: string; value: string; note: string | null; mood: number | null; recorded_at: Date; recorded_by_type: string; recorded_by_id: string | null };

export const CHECK_IN_COLUMNS = 'id, goal_id, client_id, value, note, mood, recorded_at, recorded_by_type, recorded_by_id';

export const checkInFromRow = (r: CheckInRow) =>
  Object.assign(new GoalCheckIn(), {
    id: r.id,
    goalId: r.goal_id,
    clientId: r.client_id,
    value: Number(r.value),
    note: r.note,
    mood: r.mood,
    recordedAt: r.recorded_at,
    recordedByType: r.recorded_by_type,
    recordedById: r.recorded_by_id,
  });

/** Rows bucketed by goal in key order, in one pass. */
function groupBy(goalIds: readonly string[], checkIns: GoalCheckIn[]): GoalCheckIn[][] {
  const buckets = new Map<string, GoalCheckIn[]>(goalIds.map((id) => [id, []]));
  for (const c of checkIns) buckets.get(c.goalId)?.push(c);
  return goalIds.map((id) => buckets.get(id)!);
}

export const SELECT_GOALS = `SELECT ${GOAL_COLUMNS} FROM goals g JOIN clients c ON c.id = g.client_id JOIN memberships om ON om.id = g.membership_id`;

/**
 * Goals (alias `g`) the goal rule shows the member `client` (a SQL uuid expression): the rule of
 * `goalAudience` for members, in SQL, from the same parts the loaders judge with — their own;
 * others' neither PRIVATE nor PROPOSED/CANCELLED, and then an active partner's, or a GROUP goal
 * of an ACTIVE member who holds GOAL_SHARING for a group where the viewer, ACTIVE too, sees peers
 * (`memberSeesPeers`: an open membership, the current agreement accepted, GROUP_AGREEMENT held).
 * Lists choose their page among these, so a member's page is exact: never padded or emptied by
 * goals the rule hides, `hasNextPage` counts only goals they would see, and paging never stalls.
 * The rule still decides each row (and audits it).
 */

/** The lifecycle statuses others may see a goal in (`SHOWN_TO_OTHERS`), as a SQL list. */
const SHOWN_TO_OTHERS_SQL = sqlList(SHOWN_TO_OTHERS);

export const mayShowMemberSql = (client: string) => {
  const peerGroups = `SELECT own.group_id FROM memberships own WHERE own.client_id = ${client} AND own.status = '${MembershipStatus.ACTIVE}' AND ${seesPeersSql('own')}`;
  return `(g.client_id = ${client} OR (g.visibility <> '${GoalVisibility.PRIVATE}' AND g.lifecycle_status IN (${SHOWN_TO_OTHERS_SQL}) AND (
      (g.membership_id IN (SELECT other FROM (${partnershipsOfClients(`m.client_id = ${client}`)}) partners WHERE partners.status = 'ACTIVE')
          AND EXISTS (SELECT 1 FROM memberships owner WHERE owner.id = g.membership_id AND owner.status <> '${MembershipStatus.ON_HOLD}'))
      OR (g.visibility = '${GoalVisibility.GROUP}'
          AND g.group_id IN (${peerGroups})
          AND EXISTS (SELECT 1 FROM memberships owner WHERE owner.id = g.membership_id AND owner.status = '${MembershipStatus.ACTIVE}')
          AND ${consentAnswerSql('g.client_id', `'${ConsentType.GOAL_SHARING}'`, `'GROUP'`, 'g.group_id', 'NULL::text')} IS NOT NULL))))`;
};

export const goalLoaders = (ctx: RequestContext) => {
  const visibleById = new DataLoader<string, Goal | null>(async (ids) => {
    const rows = await ctx.db.query<GoalRow>(`${SELECT_GOALS} WHERE g.id = ANY($1)`, [[...ids]]);
    const visible = await applyGoalRules(ctx, rows.map(goalFromRow));
    const byId = new Map(visible.filter((g): g is Goal => g !== null).map((g) => [g.id, g]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  return {
    visibleById,

    /**
     * Goals a list already read in full (`SELECT_GOALS` rows): the rule applied exactly as
     * `visibleById` applies it, and the answers remembered there, so a page costs no second read.
     */
    async fromRows(rows: GoalRow[]): Promise<(Goal | null)[]> {
      const visible = await applyGoalRules(ctx, rows.map(goalFromRow));
      rows.forEach((r, i) => visibleById.prime(r.id, visible[i]));
      return visible;
    },

    /** Visible goals of each membership, oldest first. */
    byMembership: new DataLoader<string, Goal[]>(async (membershipIds) => {
      const rows = await ctx.db.query<GoalRow>(`${SELECT_GOALS} WHERE g.membership_id = ANY($1) ORDER BY g.created_at, g.id`, [[...membershipIds]]);
      const visible = await applyGoalRules(ctx, rows.map(goalFromRow));
      return membershipIds.map((id) => visible.filter((g): g is Goal => g !== null && g.membershipId === id));
    }),

    /** Visible goals of each client across their groups, oldest first. */
    byClient: new DataLoader<string, Goal[]>(async (clientIds) => {
      const rows = await ctx.db.query<GoalRow>(`${SELECT_GOALS} WHERE g.client_id = ANY($1) ORDER BY g.created_at, g.id`, [[...clientIds]]);
      const visible = await applyGoalRules(ctx, rows.map(goalFromRow));
      return clientIds.map((id) => visible.filter((g): g is Goal => g !== null && g.clientId === id));
    }),

    /**
     * GROUP-visible goals of each group, for the accountability board: only of owners who share
     * their goals with the group (GOAL_SHARING), whoever looks, since a board may be shown to the
     * room; then the viewer's own goal rule per goal (which audits what it shows).
     */
    boardByGroup: new DataLoader<string, Goal[]>(async (groupIds) => {
      const rows = await ctx.db.query<GoalRow>(
        `${SELECT_GOALS}
          WHERE g.group_id = ANY($1) AND g.visibility = 'GROUP' AND om.status = 'ACTIVE'
            AND g.lifecycle_status IN (${SHOWN_TO_OTHERS_SQL})
          ORDER BY g.created_at, g.id`,
        [[...groupIds]],
      );
      const goals = rows.map(goalFromRow);
      const sharing = await ctx.loaders.of(consentCheckLoader).loadMany(
        goals.map((g) => ({ clientId: g.clientId, type: ConsentType.GOAL_SHARING, scope: { kind: 'GROUP' as const, groupId: g.groupId } })),
      );
      const visible = await applyGoalRules(ctx, goals.filter((_, i) => typeof sharing[i] === 'string'));
      return groupIds.map((id) => visible.filter((g): g is Goal => g !== null && g.groupId === id));
    }),

    /** Every check-in of each goal, newest first (streaks need the whole history). Callers pass visible goals only. */
    checkIns: new DataLoader<string, GoalCheckIn[]>(async (goalIds) => {
      const rows = await ctx.db.query<CheckInRow>(
        `SELECT ${CHECK_IN_COLUMNS} FROM goal_check_ins WHERE goal_id = ANY($1) ORDER BY recorded_at DESC, id DESC`,
        [[...goalIds]],
      );
      return groupBy(goalIds, rows.map(checkInFromRow));
    }),

    /**
     * Each goal's whole history as streak maths needs it (value and time only), one row per goal
     * with two arrays: a member's home screen reckons streaks over hundreds of check-ins, and
     * parsing them as rows of nine columns was most of its database-driver time.
     */
    checkInPoints: new DataLoader<string, CheckInPoint[]>(async (goalIds) => {
      const rows = await ctx.db.query<{ goal_id: string; values: number[]; times: number[] }>(
        // The same order as the row loader (newest first, then id), so equal times tie-break alike.
        `SELECT goal_id, ${HISTORY_ARRAYS_SQL} FROM goal_check_ins WHERE goal_id = ANY($1) GROUP BY goal_id`,
        [[...goalIds]],
      );
      const byGoal = new Map(rows.map((r) => [r.goal_id, pointsOf(r.values, r.times)]));
      return goalIds.map((id) => byGoal.get(id) ?? []);
    }),

    /**
     * What each goal's streaks are reckoned from: its summary while that holds, else its history
     * (see streak-summary.ts). Callers pass visible goals only.
     */
    streakFacts: new DataLoader<string, StreakFacts>(async (goalIds) => {
      const rows = await ctx.db.query<{ id: string; facts: unknown }>(
        `SELECT g.id, ${streakFactsSql('g')} AS facts FROM goals g WHERE g.id = ANY($1)`,
        [[...goalIds]],
      );
      const byGoal = new Map(rows.map((r) => [r.id, decodeStreakFacts(r.facts)]));
      return goalIds.map((id) => byGoal.get(id) ?? { history: [] });
    }),

    /** The latest N check-ins of each goal (lists that show a few need not read whole histories). */
    recentCheckIns: new DataLoader<{ goalId: string; last: number }, GoalCheckIn[], string>(
      async (keys) => {
        const last = Math.max(...keys.map((k) => k.last));
        const rows = await ctx.db.query<CheckInRow>(
          // A walk of the newest `last` index entries per goal, not a window over each whole history.
          `SELECT x.* FROM unnest($1::uuid[]) AS g(id) CROSS JOIN LATERAL (
             SELECT ${CHECK_IN_COLUMNS} FROM goal_check_ins WHERE goal_id = g.id ORDER BY recorded_at DESC, id DESC LIMIT $2
           ) x ORDER BY x.recorded_at DESC, x.id DESC`,
          [[...new Set(keys.map((k) => k.goalId))], last],
        );
        const byGoal = groupBy(keys.map((k) => k.goalId), rows.map(checkInFromRow));
        return keys.map((k, i) => byGoal[i].slice(0, k.last));
      },
      { cacheKeyFn: (k) => `${k.goalId}:${k.last}` },
    ),
  };
};

/** The clinic's time zone and the database clock, once per request: streaks are reckoned with both. */
export const clinicClockLoader = (ctx: RequestContext) => {
  let clock: Promise<{ timeZone: string; now: Date }> | undefined;
  return {
    get: () =>
      (clock ??= ctx.db.clock
        ? Promise.resolve(ctx.db.clock)
        : ctx.db
            .query<{ timezone: string; now: Date }>(`SELECT timezone, now() AS now FROM clinics WHERE id = $1`, [ctx.db.clinicId])
            .then(([r]) => ({ timeZone: r?.timezone ?? 'UTC', now: r?.now ?? new Date() }))),
  };
};
