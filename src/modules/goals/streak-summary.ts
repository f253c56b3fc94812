import { epochMsSql } from '../../db/sql-parts';
import { CheckInPoint, Measure, measureOf, Progress, progressOf, StreakSummary, streaksAt, summarizeStreaks } from './goal-progress';

/**
 * The streak summary each goal keeps (migration 1764270000000): rewritten with every check-in,
 * read by screens that show streaks without the history. It holds while the clinic's time zone
 * and the goal's target are those it was reckoned with and its latest check-in is not ahead of
 * the database clock; otherwise readers reckon from the history, as before summaries existed.
 */
export const streakSummaryHoldsSql = (g: string) =>
  `(${g}.streak_time_zone = (SELECT timezone FROM clinics WHERE id = ${g}.clinic_id)
    AND ${g}.streak_target IS NOT DISTINCT FROM ${g}.target
    AND (${g}.streak_last_check_in_at IS NULL OR ${g}.streak_last_check_in_at <= now()))`;

/**
 * A goal's streak facts for a screen that shows streaks: `[1, longest, last met day, last run,
 * latest check-in ms, time zone]` when its summary holds, else `[0, values, times]`, its whole history.
 */
export const streakFactsSql = (g: string) =>
  `CASE WHEN ${streakSummaryHoldsSql(g)}
     THEN json_build_array(1, ${g}.streak_longest, ${g}.streak_last_met_day, ${g}.streak_last_run, ${epochMsSql(`${g}.streak_last_check_in_at`)},
                           ${g}.streak_time_zone)
     ELSE (SELECT json_build_array(0, ${HISTORY_VALUES}, ${HISTORY_TIMES}) FROM goal_check_ins WHERE goal_id = ${g}.id) END`;

/** What a goal's streaks are reckoned from: its summary (with the zone it holds in) or its whole history. */
export type StreakFacts = { summary: StreakSummary; timeZone: string } | { history: CheckInPoint[] };

export function decodeStreakFacts(value: unknown): StreakFacts {
  const v = value as [0 | 1, ...unknown[]];
  if (v[0] === 1) {
    const [, longestStreak, lastMetPeriod, lastRun, lastMs, timeZone] = v as [1, number, number | null, number, number | null, string];
    return { summary: { longestStreak, lastMetPeriod, lastRun, lastCheckInAt: lastMs === null ? null : new Date(lastMs) }, timeZone };
  }
  return { history: pointsOf(v[1] as number[] | null, v[2] as number[] | null) };
}

/**
 * Streaks at `now` (the clock of the transaction the facts were read in). A summary is reckoned
 * on in the time zone it was checked against: a clinic's zone changed between the viewer lookup
 * and the facts' statement must not mix two zones' day numbers.
 */
export function progressFromFacts(facts: StreakFacts, measure: Measure, timeZone: string, now: Date): Progress {
  return 'summary' in facts
    ? streaksAt(facts.summary, measure.period, facts.timeZone, now)
    : progressOf(measure, facts.history, timeZone, now);
}

/** Each goal's history as the streak maths reads it: values and epoch milliseconds, newest first (then by id, as row loaders order). */
const HISTORY_VALUES = 'array_agg(value::float8 ORDER BY recorded_at DESC, id DESC)';
const HISTORY_TIMES = `array_agg(${epochMsSql('recorded_at')}::float8 ORDER BY recorded_at DESC, id DESC)`;
export const HISTORY_ARRAYS_SQL = `${HISTORY_VALUES} AS values, ${HISTORY_TIMES} AS times`;

export const pointsOf = (values: number[] | null, times: number[] | null): CheckInPoint[] =>
  (values ?? []).map((value, i) => ({ value, recordedAt: new Date(times![i]) }));

type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

interface SummaryTarget {
  id: string;
  measure: Measure;
  /** The target as the database holds it (numeric text), stored back unchanged so the summary matches it exactly. */
  targetText: string | null;
  timeZone: string;
  checkIns: CheckInPoint[];
}

/** Writes the summaries of these goals in one statement. */
async function writeSummaries(query: Query, goals: SummaryTarget[]): Promise<void> {
  if (goals.length === 0) return;
  const summaries = goals.map((g) => summarizeStreaks(g.measure, g.checkIns, g.timeZone));
  await query(
    `UPDATE goals g SET streak_time_zone = s.time_zone, streak_target = s.target::numeric, streak_longest = s.longest,
            streak_last_met_day = s.last_met_day, streak_last_run = s.last_run, streak_last_check_in_at = s.last_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::timestamptz[])
            AS s(id, time_zone, target, longest, last_met_day, last_run, last_at)
      WHERE g.id = s.id`,
    [
      goals.map((g) => g.id), goals.map((g) => g.timeZone), goals.map((g) => g.targetText),
      summaries.map((s) => s.longestStreak), summaries.map((s) => s.lastMetPeriod), summaries.map((s) => s.lastRun),
      summaries.map((s) => s.lastCheckInAt?.toISOString() ?? null),
    ],
  );
}

interface GoalHistoryRow {
  id: string;
  measure_kind: Measure['kind'];
  measure_period: Measure['period'];
  target: string | null;
  timezone: string;
  values: number[] | null;
  times: number[] | null;
}

const targetsOf = (rows: GoalHistoryRow[]): SummaryTarget[] =>
  rows.map((r) => ({
    id: r.id,
    measure: measureOf(r),
    targetText: r.target,
    timeZone: r.timezone,
    checkIns: pointsOf(r.values, r.times),
  }));

// clinic_id is named for the owner's backfill, which no row-level policy narrows to one clinic (the index leads with it).
const GOAL_HISTORY = `SELECT g.id, g.measure_kind, g.measure_period, g.target::text AS target, c.timezone, h.values, h.times
  FROM goals g JOIN clinics c ON c.id = g.clinic_id
  LEFT JOIN LATERAL (SELECT ${HISTORY_ARRAYS_SQL} FROM goal_check_ins WHERE clinic_id = g.clinic_id AND goal_id = g.id) h ON true`;

/**
 * Re-reckons one goal's summary inside the transaction that just recorded a check-in. The caller
 * locked the goal row before inserting (see `recordCheckIn`), so concurrent check-ins on one goal
 * summarize one after the other, this read seeing the other's committed row. Returns the history read.
 */
export async function refreshStreakSummary(query: Query, goalId: string): Promise<CheckInPoint[]> {
  const goals = targetsOf(await query<GoalHistoryRow>(`${GOAL_HISTORY} WHERE g.id = $1`, [goalId]));
  await writeSummaries(query, goals);
  return goals[0]?.checkIns ?? [];
}

/**
 * Reckons the summary of every goal (of one clinic, if given) the connection can see that lacks
 * one that holds, a batch of goals per statement. For check-ins loaded with SQL before a server
 * serves them (the demo seed, the benchmark): it locks nothing, so a check-in recorded meanwhile
 * could be summarized over by an older reading.
 */
export async function backfillStreakSummaries(query: Query, options: { clinicId?: string; batch?: number } = {}): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let written = 0;
  for (;;) {
    const rows = await query<GoalHistoryRow>(
      `${GOAL_HISTORY} WHERE g.id > $1 AND ($3::uuid IS NULL OR g.clinic_id = $3) AND ${streakSummaryHoldsSql('g')} IS NOT TRUE
        ORDER BY g.id LIMIT $2`,
      [after, options.batch ?? 2000, options.clinicId ?? null],
    );
    if (rows.length === 0) return written;
    await writeSummaries(query, targetsOf(rows));
    written += rows.length;
    after = rows[rows.length - 1].id;
  }
}
