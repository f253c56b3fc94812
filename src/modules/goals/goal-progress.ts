/**
 * Streaks, completion and trend, computed from check-ins in the clinic's time zone. Pure
 * functions: a "day" is the clinic's local calendar day, a "week" its ISO week (Monday first),
 * so daylight-saving shifts and month or year boundaries never split or merge a period.
 */
export type MeasureKind = 'BOOLEAN' | 'COUNT' | 'SCALE';
export type MeasurePeriod = 'DAILY' | 'WEEKLY';

export interface Measure {
  kind: MeasureKind;
  period: MeasurePeriod;
  target: number | null;
}

/** A goal's measure from its columns (`numeric` targets arrive from the driver as text). */
export const measureOf = (r: { measure_kind: MeasureKind; measure_period: MeasurePeriod; target: string | number | null }): Measure => ({
  kind: r.measure_kind,
  period: r.measure_period,
  target: r.target === null ? null : Number(r.target),
});

export interface CheckInPoint {
  value: number;
  recordedAt: Date;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const dayCache = new Map<string, Map<number, number>>();
const QUARTER_HOUR = 15 * 60 * 1000;
/**
 * Since 2012 every zone's offset, and so its midnights and DST switches, fall on a UTC quarter
 * hour (Newfoundland and Labrador switched at 00:01 until 2011; Monrovia kept -0:44:30 into 1972).
 */
const QUARTER_HOURS_SAFE_FROM = Date.UTC(2012, 0, 1);
const MAX_CACHED_QUARTERS = 200_000;

/** Days since 1970-01-01 of the local calendar date of `instant` in `timeZone`. */
export function localDayNumber(instant: Date, timeZone: string): number {
  const ms = instant.getTime();
  if (ms < QUARTER_HOURS_SAFE_FROM) return formatDayNumber(instant, timeZone);
  // The local date cannot change inside a UTC quarter hour, so one Intl call serves all of it:
  // streaks over long histories made this the hottest function of a member's home screen.
  let days = dayCache.get(timeZone);
  if (!days) dayCache.set(timeZone, (days = new Map()));
  const quarter = Math.floor(ms / QUARTER_HOUR);
  let day = days.get(quarter);
  if (day === undefined) {
    if (days.size >= MAX_CACHED_QUARTERS) days.clear();
    day = formatDayNumber(new Date(quarter * QUARTER_HOUR), timeZone);
    days.set(quarter, day);
  }
  return day;
}

function formatDayNumber(instant: Date, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(instant).map((p) => [p.type, p.value]));
  return Math.round(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / 86400000);
}

/** Day number of the Monday starting the ISO week that contains `day` (1970-01-01 was a Thursday). */
export const weekStart = (day: number) => day - ((day + 3) % 7);

export const periodOf = (instant: Date, timeZone: string, period: MeasurePeriod) => {
  const day = localDayNumber(instant, timeZone);
  return period === 'DAILY' ? day : weekStart(day);
};

const step = (period: MeasurePeriod) => (period === 'DAILY' ? 1 : 7);

/** Whether a period's check-ins meet the goal: any "yes" (BOOLEAN), sum ≥ target (COUNT), last value ≥ target (SCALE). */
export function periodMet(measure: Measure, values: number[]): boolean {
  if (values.length === 0) return false;
  switch (measure.kind) {
    case 'BOOLEAN':
      return values.some((v) => v >= 1);
    case 'COUNT':
      return values.reduce((a, b) => a + b, 0) >= (measure.target ?? 1);
    case 'SCALE':
      return values[values.length - 1] >= (measure.target ?? 0);
  }
}

/** Met periods (their start day numbers), from check-ins ordered by time. */
export function metPeriods(measure: Measure, checkIns: CheckInPoint[], timeZone: string): Set<number> {
  const byPeriod = new Map<number, number[]>();
  const ordered = [...checkIns].sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime());
  for (const c of ordered) {
    const p = periodOf(c.recordedAt, timeZone, measure.period);
    // Appended in place: copying the period's list per check-in made a busy period quadratic.
    const values = byPeriod.get(p);
    if (values) values.push(c.value);
    else byPeriod.set(p, [c.value]);
  }
  return new Set([...byPeriod].filter(([, values]) => periodMet(measure, values)).map(([p]) => p));
}

export interface Progress {
  currentStreak: number;
  longestStreak: number;
  lastCheckInAt: Date | null;
}

/**
 * What streaks need of a history whatever the clock, kept on the goal at each check-in so a home
 * screen need not read whole histories: the longest run, the latest met period and the run
 * ending there, and the latest check-in.
 */
export interface StreakSummary {
  longestStreak: number;
  /** Start day (days since 1970-01-01, clinic time) of the latest met period; null when none was met. */
  lastMetPeriod: number | null;
  /** Consecutive met periods ending at `lastMetPeriod`. */
  lastRun: number;
  lastCheckInAt: Date | null;
}

export function summarizeStreaks(measure: Measure, checkIns: CheckInPoint[], timeZone: string): StreakSummary {
  return summaryOfMet(metPeriods(measure, checkIns, timeZone), measure.period, checkIns);
}

function summaryOfMet(met: Set<number>, period: MeasurePeriod, checkIns: CheckInPoint[]): StreakSummary {
  const s = step(period);
  let longest = 0;
  let lastMetPeriod: number | null = null;
  let lastRun = 0;
  for (const p of met) {
    if (met.has(p - s)) continue;
    let run = 0;
    while (met.has(p + run * s)) run += 1;
    longest = Math.max(longest, run);
    const end = p + (run - 1) * s;
    if (lastMetPeriod === null || end > lastMetPeriod) [lastMetPeriod, lastRun] = [end, run];
  }
  const last = checkIns.reduce<Date | null>((a, c) => (!a || c.recordedAt > a ? c.recordedAt : a), null);
  return { longestStreak: longest, lastMetPeriod, lastRun, lastCheckInAt: last };
}

/**
 * Streaks at `now` from a summary. Holds while `now` is not before the latest check-in: then no
 * period after `lastMetPeriod` is met, so the current streak is the last run if it ends in the
 * period in progress or the one before (still open), else nothing.
 */
export function streaksAt(summary: StreakSummary, period: MeasurePeriod, timeZone: string, now: Date): Progress {
  const current = periodOf(now, timeZone, period);
  const sinceLastMet = summary.lastMetPeriod === null ? Infinity : current - summary.lastMetPeriod;
  const currentStreak = sinceLastMet === 0 || sinceLastMet === step(period) ? summary.lastRun : 0;
  return { currentStreak, longestStreak: summary.longestStreak, lastCheckInAt: summary.lastCheckInAt };
}

/** Whether `streaksAt` may answer for `now` (a check-in may be recorded up to minutes ahead). */
export const summaryHoldsAt = (summary: StreakSummary, now: Date) => !summary.lastCheckInAt || summary.lastCheckInAt <= now;

/**
 * The current streak counts met periods back from now; the period in progress does not break
 * it while it is still open (checking in tonight keeps yesterday's streak alive).
 */
export function progressOf(measure: Measure, checkIns: CheckInPoint[], timeZone: string, now: Date): Progress {
  const met = metPeriods(measure, checkIns, timeZone);
  const summary = summaryOfMet(met, measure.period, checkIns);
  // Counted back from now, so a check-in a few minutes ahead (in a later period than now's) is right too.
  const s = step(measure.period);
  let current = 0;
  let cursor = periodOf(now, timeZone, measure.period);
  if (!met.has(cursor)) cursor -= s;
  while (met.has(cursor)) {
    current += 1;
    cursor -= s;
  }
  return { currentStreak: current, longestStreak: summary.longestStreak, lastCheckInAt: summary.lastCheckInAt };
}

/** Share of periods met between two local days (inclusive), 0–1; null when the range holds no period. */
export function completionRate(
  measure: Measure,
  checkIns: CheckInPoint[],
  timeZone: string,
  fromDay: number,
  toDay: number,
): number | null {
  const s = step(measure.period);
  const first = measure.period === 'DAILY' ? fromDay : weekStart(fromDay);
  const last = measure.period === 'DAILY' ? toDay : weekStart(toDay);
  if (last < first) return null;
  const met = metPeriods(measure, checkIns, timeZone);
  let total = 0;
  let hits = 0;
  for (let p = first; p <= last; p += s) {
    total += 1;
    if (met.has(p)) hits += 1;
  }
  return total === 0 ? null : hits / total;
}

export type AchievementStatus =
  | 'IN_PROGRESS'
  | 'IMPROVING'
  | 'WORSENING'
  | 'NO_CHANGE'
  | 'ACHIEVED'
  | 'SUSTAINING'
  | 'NOT_ACHIEVED'
  | 'NO_PROGRESS';

/**
 * A suggestion for the clinician, from the last four periods against the four before them:
 * no check-ins → NO_PROGRESS; fewer than eight periods of history → IN_PROGRESS; both windows
 * ≥ 75% → SUSTAINING; a rise or fall of 25 points → IMPROVING / WORSENING; else NO_CHANGE.
 */
export function suggestAchievement(
  measure: Measure,
  checkIns: CheckInPoint[],
  timeZone: string,
  startDay: number,
  now: Date,
): AchievementStatus {
  if (checkIns.length === 0) return 'NO_PROGRESS';
  const s = step(measure.period);
  const current = periodOf(now, timeZone, measure.period);
  const firstPeriod = measure.period === 'DAILY' ? startDay : weekStart(startDay);
  const lastClosed = current - s;
  if ((lastClosed - firstPeriod) / s + 1 < 8) return 'IN_PROGRESS';
  const rate = (from: number, to: number) => completionRate(measure, checkIns, timeZone, from, to) ?? 0;
  const recent = rate(lastClosed - 3 * s, lastClosed);
  const before = rate(lastClosed - 7 * s, lastClosed - 4 * s);
  if (recent >= 0.75 && before >= 0.75) return 'SUSTAINING';
  if (recent - before >= 0.25) return 'IMPROVING';
  if (before - recent >= 0.25) return 'WORSENING';
  return 'NO_CHANGE';
}

/** Whether a check-in value fits the measure: 0/1 (BOOLEAN), a whole count 0–1000 (COUNT), 0–10 (SCALE). */
export function valueFits(kind: MeasureKind, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  switch (kind) {
    case 'BOOLEAN':
      return value === 0 || value === 1;
    case 'COUNT':
      return Number.isInteger(value) && value >= 0 && value <= 1000;
    case 'SCALE':
      return value >= 0 && value <= 10;
  }
}
