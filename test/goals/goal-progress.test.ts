/**
 * Unit tests (no database) for the pure streak maths: periods are the clinic's local calendar
 * days and ISO weeks, so month ends, week ends and daylight-saving changes neither split nor
 * merge a period.
 */
import {
  CheckInPoint,
  completionRate,
  localDayNumber,
  Measure,
  metPeriods,
  periodMet,
  periodOf,
  progressOf,
  streaksAt,
  suggestAchievement,
  summarizeStreaks,
  summaryHoldsAt,
  valueFits,
  weekStart,
} from '../../src/modules/goals/goal-progress';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';

const DAILY: Measure = { kind: 'BOOLEAN', period: 'DAILY', target: null };
const WEEKLY: Measure = { kind: 'BOOLEAN', period: 'WEEKLY', target: null };

/** Day number (days since 1970-01-01) of a calendar date. */
const day = (date: string) => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000;

/** The instant of a wall-clock time `YYYY-MM-DD HH:mm` in `timeZone`. */
function local(timeZone: string, text: string): Date {
  const [y, mo, d, h, mi] = text.split(/[- :]/).map(Number);
  const wanted = Date.UTC(y, mo - 1, d, h, mi);
  const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const p = Object.fromEntries(f.formatToParts(new Date(guess)).map((x) => [x.type, Number(x.value)]));
    guess += wanted - Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  }
  return new Date(guess);
}

const points = (timeZone: string, times: string[], value = 1): CheckInPoint[] => times.map((t) => ({ value, recordedAt: local(timeZone, t) }));
/** One check-in at `time` local on each of `count` consecutive days from `first`. */
function daily(timeZone: string, first: string, count: number, time: string, value = 1): CheckInPoint[] {
  return Array.from({ length: count }, (_, i) => {
    const d = new Date((day(first) + i) * 86_400_000).toISOString().slice(0, 10);
    return { value, recordedAt: local(timeZone, `${d} ${time}`) };
  });
}

describe('the local-time helper of these tests', () => {
  it('agrees with hand-computed offsets, including both sides of the DST changes', () => {
    expect(local(NY, '2026-01-31 23:30').toISOString()).toBe('2026-02-01T04:30:00.000Z'); // EST, UTC−5
    expect(local(NY, '2026-03-08 23:30').toISOString()).toBe('2026-03-09T03:30:00.000Z'); // EDT, UTC−4
    expect(local(NY, '2026-11-01 23:30').toISOString()).toBe('2026-11-02T04:30:00.000Z'); // back to EST
    expect(local(BERLIN, '2026-03-28 23:30').toISOString()).toBe('2026-03-28T22:30:00.000Z'); // CET, UTC+1
    expect(local(BERLIN, '2026-03-29 23:30').toISOString()).toBe('2026-03-29T21:30:00.000Z'); // CEST, UTC+2
  });
});

describe('local days', () => {
  it('counts 23:30 on the last day of a month as that day, not the next (America/New_York)', () => {
    expect(localDayNumber(new Date('2026-02-01T04:30:00Z'), NY)).toBe(day('2026-01-31'));
    expect(localDayNumber(new Date('2026-02-01T04:59:59Z'), NY)).toBe(day('2026-01-31'));
    expect(localDayNumber(new Date('2026-02-01T05:00:00Z'), NY)).toBe(day('2026-02-01'));
    // Year end too.
    expect(localDayNumber(local(NY, '2026-12-31 23:30'), NY)).toBe(day('2026-12-31'));
  });

  it('counts 23:30 on the last day of a month in Berlin summer time as that day', () => {
    expect(localDayNumber(new Date('2026-03-31T21:30:00Z'), BERLIN)).toBe(day('2026-03-31'));
    expect(localDayNumber(new Date('2026-03-31T22:00:00Z'), BERLIN)).toBe(day('2026-04-01'));
  });

  it('starts ISO weeks on Monday: Sunday 23:59 and Monday 00:01 local fall in different weeks', () => {
    // 2026-03-01 is a Sunday; in New York 23:59 that Sunday is already Monday in UTC.
    const sunday = local(NY, '2026-03-01 23:59');
    const monday = local(NY, '2026-03-02 00:01');
    expect(sunday.getUTCDay()).toBe(1);
    expect(periodOf(sunday, NY, 'WEEKLY')).toBe(day('2026-02-23'));
    expect(periodOf(monday, NY, 'WEEKLY')).toBe(day('2026-03-02'));
    expect(weekStart(day('2026-03-01'))).toBe(day('2026-02-23'));
    expect(weekStart(day('2026-03-02'))).toBe(day('2026-03-02'));
    // The ISO week spanning a year boundary is one week.
    expect(weekStart(day('2026-12-31'))).toBe(day('2026-12-28'));
    expect(weekStart(day('2027-01-03'))).toBe(day('2026-12-28'));
    expect(weekStart(day('2027-01-04'))).toBe(day('2027-01-04'));
  });
});

describe('streaks', () => {
  it('keeps a daily streak across a month end when check-ins are late in the evening', () => {
    const checkIns = [...points(NY, ['2026-01-29 23:30', '2026-01-30 23:30', '2026-01-31 23:30']), ...points(NY, ['2026-02-01 08:00'])];
    expect(progressOf(DAILY, checkIns, NY, local(NY, '2026-02-01 20:00'))).toEqual({
      currentStreak: 4,
      longestStreak: 4,
      lastCheckInAt: local(NY, '2026-02-01 08:00'),
    });
    // Reckoned in UTC the 23:30 check-ins would land on the next day and the streak would differ:
    // the clinic's zone is what counts.
    expect(progressOf(DAILY, checkIns, 'UTC', local(NY, '2026-02-01 20:00')).currentStreak).not.toBe(4);
  });

  it('breaks a daily streak on a missed local day even when the check-ins are less than 24 hours apart', () => {
    // 23:50 on Jan 30, then 00:10 on Feb 1: nothing on Jan 31.
    const checkIns = points(NY, ['2026-01-29 12:00', '2026-01-30 23:50', '2026-02-01 00:10']);
    expect(progressOf(DAILY, checkIns, NY, local(NY, '2026-02-01 12:00'))).toMatchObject({ currentStreak: 1, longestStreak: 2 });
  });

  it.each([
    ['America/New_York spring forward (2026-03-08)', NY, '2026-03-05'],
    ['America/New_York fall back (2026-11-01)', NY, '2026-10-29'],
    ['Europe/Berlin spring forward (2026-03-29)', BERLIN, '2026-03-26'],
  ])('keeps a daily streak unbroken across the DST change: %s', (_, zone, first) => {
    for (const time of ['00:30', '12:00', '23:30']) {
      const checkIns = daily(zone, first, 7, time);
      const now = local(zone, `${new Date((day(first) + 7) * 86_400_000).toISOString().slice(0, 10)} 09:00`);
      expect(progressOf(DAILY, checkIns, zone, now)).toMatchObject({ currentStreak: 7, longestStreak: 7 });
      // Seven distinct local days, none merged, none skipped.
      expect(metPeriods(DAILY, checkIns, zone)).toEqual(new Set(Array.from({ length: 7 }, (_, i) => day(first) + i)));
    }
  });

  it('keeps a weekly streak unbroken across the DST change', () => {
    // Sundays 23:30, 2026-02-22 to 2026-03-29: six ISO weeks, across New York's spring forward.
    const sundays = ['2026-02-22', '2026-03-01', '2026-03-08', '2026-03-15', '2026-03-22', '2026-03-29'].map((d) => `${d} 23:30`);
    expect(progressOf(WEEKLY, points(NY, sundays), NY, local(NY, '2026-03-31 09:00'))).toMatchObject({ currentStreak: 6, longestStreak: 6 });
  });

  it('does not let the period in progress break the current streak', () => {
    const checkIns = daily(NY, '2026-05-01', 5, '20:00'); // May 1–5
    // May 6 in the morning, not yet checked in: the streak is still 5.
    expect(progressOf(DAILY, checkIns, NY, local(NY, '2026-05-06 08:00')).currentStreak).toBe(5);
    // Checking in today extends it.
    expect(progressOf(DAILY, [...checkIns, ...points(NY, ['2026-05-06 07:00'])], NY, local(NY, '2026-05-06 08:00')).currentStreak).toBe(6);
    // A whole missed day breaks it; the longest stays.
    expect(progressOf(DAILY, checkIns, NY, local(NY, '2026-05-07 08:00'))).toMatchObject({ currentStreak: 0, longestStreak: 5 });
    // Weekly: the week in progress (no check-in yet) does not break two met weeks.
    const weeks = points(NY, ['2026-05-04 09:00', '2026-05-11 09:00']);
    expect(progressOf(WEEKLY, weeks, NY, local(NY, '2026-05-20 09:00')).currentStreak).toBe(2);
    expect(progressOf(WEEKLY, weeks, NY, local(NY, '2026-05-25 09:00')).currentStreak).toBe(0);
  });

  it('finds the longest run among several', () => {
    const checkIns = [...daily(NY, '2026-06-01', 3, '10:00'), ...daily(NY, '2026-06-05', 4, '10:00'), ...daily(NY, '2026-06-11', 2, '10:00')];
    expect(progressOf(DAILY, checkIns, NY, local(NY, '2026-06-12 18:00'))).toMatchObject({ currentStreak: 2, longestStreak: 4 });
  });

  it('has no streak and no last check-in without check-ins', () => {
    expect(progressOf(DAILY, [], NY, new Date('2026-06-01T12:00:00Z'))).toEqual({ currentStreak: 0, longestStreak: 0, lastCheckInAt: null });
  });

  it('does not count a BOOLEAN "no" as a met day', () => {
    const checkIns = [...daily(NY, '2026-06-01', 2, '10:00', 1), ...daily(NY, '2026-06-03', 1, '10:00', 0)];
    expect(progressOf(DAILY, checkIns, NY, local(NY, '2026-06-03 18:00'))).toMatchObject({ currentStreak: 2, longestStreak: 2 });
  });
});

describe('what meets a period', () => {
  const weeklyCount: Measure = { kind: 'COUNT', period: 'WEEKLY', target: 3 };

  it('sums a WEEKLY COUNT within the ISO week in the clinic\'s zone', () => {
    // Week of Mon 2026-02-23: 1 on Monday + 2 late on Sunday = 3, met. Monday 00:01 starts the next week.
    const checkIns = [
      { value: 1, recordedAt: local(NY, '2026-02-23 09:00') },
      { value: 2, recordedAt: local(NY, '2026-03-01 23:59') },
      { value: 1, recordedAt: local(NY, '2026-03-02 00:01') },
    ];
    expect(metPeriods(weeklyCount, checkIns, NY)).toEqual(new Set([day('2026-02-23')]));
    // In UTC the Sunday check-in would have counted for the following week instead.
    expect(metPeriods(weeklyCount, checkIns, 'UTC')).toEqual(new Set([day('2026-03-02')]));
  });

  it('sums a WEEKLY COUNT across a month end and a year end inside one ISO week', () => {
    const checkIns = [
      { value: 1, recordedAt: local(NY, '2026-12-29 10:00') },
      { value: 1, recordedAt: local(NY, '2026-12-31 23:30') },
      { value: 1, recordedAt: local(NY, '2027-01-03 21:00') },
    ];
    expect(metPeriods(weeklyCount, checkIns, NY)).toEqual(new Set([day('2026-12-28')]));
    // Falling short of the target is not met.
    expect(metPeriods(weeklyCount, checkIns.slice(0, 2), NY)).toEqual(new Set());
  });

  it('needs the DAILY COUNT target each day, and treats a missing target as 1', () => {
    const dailyCount: Measure = { kind: 'COUNT', period: 'DAILY', target: 5 };
    expect(periodMet(dailyCount, [2, 2])).toBe(false);
    expect(periodMet(dailyCount, [2, 3])).toBe(true);
    expect(periodMet({ kind: 'COUNT', period: 'DAILY', target: null }, [1])).toBe(true);
    expect(periodMet(dailyCount, [])).toBe(false);
  });

  it('takes the last SCALE rating of the period, in time order', () => {
    const scale: Measure = { kind: 'SCALE', period: 'DAILY', target: 6 };
    const morning = local(NY, '2026-04-10 08:00');
    const evening = local(NY, '2026-04-10 21:00');
    // Given out of order: the evening rating decides.
    expect(metPeriods(scale, [{ value: 4, recordedAt: evening }, { value: 8, recordedAt: morning }], NY)).toEqual(new Set());
    expect(metPeriods(scale, [{ value: 8, recordedAt: evening }, { value: 4, recordedAt: morning }], NY)).toEqual(new Set([day('2026-04-10')]));
  });
});

describe('completion rate', () => {
  it('counts a check-in at 23:30 on the month\'s last day towards that month only', () => {
    const checkIns = points(NY, ['2026-01-31 23:30']);
    expect(completionRate(DAILY, checkIns, NY, day('2026-01-01'), day('2026-01-31'))).toBeCloseTo(1 / 31, 10);
    expect(completionRate(DAILY, checkIns, NY, day('2026-02-01'), day('2026-02-28'))).toBe(0);
  });

  it('is the share of periods met between two days, inclusive', () => {
    const checkIns = daily(NY, '2026-03-01', 10, '22:00'); // every day Mar 1–10, across the DST change
    expect(completionRate(DAILY, checkIns, NY, day('2026-03-01'), day('2026-03-10'))).toBe(1);
    expect(completionRate(DAILY, checkIns, NY, day('2026-03-01'), day('2026-03-20'))).toBe(0.5);
    expect(completionRate(DAILY, checkIns, NY, day('2026-03-05'), day('2026-03-05'))).toBe(1);
  });

  it('counts whole ISO weeks for weekly goals, the partial weeks at both ends included', () => {
    // Wed Jan 28 – Tue Feb 10 touches the weeks of Jan 26, Feb 2 and Feb 9.
    const checkIns = points(NY, ['2026-01-26 09:00', '2026-02-15 23:59']); // Monday of the first week, Sunday of the third
    expect(completionRate(WEEKLY, checkIns, NY, day('2026-01-28'), day('2026-02-10'))).toBeCloseTo(2 / 3, 10);
  });

  it('is null for an empty range', () => {
    expect(completionRate(DAILY, [], NY, day('2026-03-10'), day('2026-03-09'))).toBeNull();
    expect(completionRate(WEEKLY, [], NY, day('2026-03-10'), day('2026-03-01'))).toBeNull();
  });
});

describe('suggested achievement status', () => {
  /** Daily goal started `days` before `now`'s local day; met on the listed day offsets back from yesterday (1 = yesterday). */
  function suggest(metDaysAgo: number[], startedDaysAgo = 30) {
    const now = local(NY, '2026-07-15 10:00');
    const today = day('2026-07-15');
    const checkIns = metDaysAgo.map((n) => ({ value: 1, recordedAt: local(NY, `${new Date((today - n) * 86_400_000).toISOString().slice(0, 10)} 12:00`) }));
    return suggestAchievement(DAILY, checkIns, NY, today - startedDaysAgo, now);
  }
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('is NO_PROGRESS without check-ins', () => {
    expect(suggest([])).toBe('NO_PROGRESS');
  });

  it('is IN_PROGRESS with fewer than eight closed periods since the start', () => {
    expect(suggest(range(1, 7), 7)).toBe('IN_PROGRESS');
    expect(suggest(range(1, 8), 8)).not.toBe('IN_PROGRESS');
  });

  it('is SUSTAINING when both the last four periods and the four before are at least 75% met', () => {
    expect(suggest(range(1, 8))).toBe('SUSTAINING');
    expect(suggest([1, 2, 3, 5, 6, 7])).toBe('SUSTAINING'); // 3/4 and 3/4
  });

  it('is IMPROVING or WORSENING on a change of 25 points or more, NO_CHANGE below', () => {
    expect(suggest([1, 2, 3, 4, 5])).toBe('IMPROVING'); // 4/4 after 1/4
    expect(suggest([1, 2, 3, 5, 6])).toBe('IMPROVING'); // 3/4 after 2/4: exactly 25 points
    expect(suggest([4, 5, 6, 7, 8])).toBe('WORSENING'); // 1/4 after 4/4
    expect(suggest([1, 2, 5, 6])).toBe('NO_CHANGE'); // 2/4 and 2/4
    expect(suggest([9, 10])).toBe('NO_CHANGE'); // nothing in either window
  });

  it('judges weekly goals by weeks in the clinic\'s zone', () => {
    const now = local(NY, '2026-07-15 10:00'); // a Wednesday
    // Late on the Sundays closing the weeks of May 25 … Jul 6 (already Monday in UTC).
    const sundays = ['2026-05-31', '2026-06-07', '2026-06-14', '2026-06-21', '2026-06-28', '2026-07-05', '2026-07-12'];
    const checkIns = points(NY, sundays.map((d) => `${d} 23:30`));
    // Eight closed weeks from Monday May 18; the first not met → 3/4 before, 4/4 recent.
    expect(suggestAchievement(WEEKLY, checkIns, NY, day('2026-05-18'), now)).toBe('SUSTAINING');
    expect(suggestAchievement(WEEKLY, checkIns.slice(3), NY, day('2026-05-18'), now)).toBe('IMPROVING');
    // Reckoned in UTC every check-in would slip into the following week (the last into the open one).
    expect(suggestAchievement(WEEKLY, checkIns, 'UTC', day('2026-05-18'), now)).not.toBe('SUSTAINING');
  });
});

describe('values that fit the measure', () => {
  it.each([
    ['BOOLEAN', 0, true],
    ['BOOLEAN', 1, true],
    ['BOOLEAN', 2, false],
    ['BOOLEAN', 0.5, false],
    ['COUNT', 0, true],
    ['COUNT', 1000, true],
    ['COUNT', 1.5, false],
    ['COUNT', -1, false],
    ['COUNT', 1001, false],
    ['SCALE', 0, true],
    ['SCALE', 7.5, true],
    ['SCALE', 10, true],
    ['SCALE', 11, false],
    ['SCALE', -0.1, false],
    ['SCALE', Number.NaN, false],
    ['COUNT', Number.POSITIVE_INFINITY, false],
  ] as const)('%s %p → %p', (kind, value, fits) => {
    expect(valueFits(kind, value)).toBe(fits);
  });
});

describe('localDayNumber (remembered per UTC quarter hour)', () => {
  const formats = new Map<string, Intl.DateTimeFormat>();
  const direct = (instant: Date, timeZone: string) => {
    if (!formats.has(timeZone)) formats.set(timeZone, new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }));
    const [y, m, d] = formats.get(timeZone)!.format(instant).split('-').map(Number);
    return Math.round(Date.UTC(y, m - 1, d) / 86400000);
  };
  const zones = ['UTC', 'Europe/London', 'America/New_York', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Pacific/Kiritimati'];

  it('agrees with a fresh Intl reading at random instants and around every local midnight and DST switch', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const zone of zones) {
      const instants: Date[] = [];
      for (let i = 0; i < 400; i++) instants.push(new Date(Date.UTC(2020, 0, 1) + Math.floor(rand() * 10 * 365 * 86400000)));
      // Every quarter-hour boundary ± 1 ms over two weeks spanning the 2026 spring and autumn switches.
      for (const start of [Date.UTC(2026, 2, 22), Date.UTC(2026, 9, 18), Date.UTC(2026, 3, 1)]) {
        for (let t = start; t < start + 14 * 86400000; t += 15 * 60 * 1000) instants.push(new Date(t - 1), new Date(t), new Date(t + 1));
      }
      const wrong = instants.filter((instant) => localDayNumber(instant, zone) !== direct(instant, zone)).map((i) => `${zone} ${i.toISOString()}`);
      expect(wrong).toEqual([]);
    }
  });

  it('reads dates before 2012 directly (Newfoundland switched at 00:01 until 2011)', () => {
    for (const [zone, instant] of [
      ['Africa/Monrovia', new Date(Date.UTC(1971, 5, 1, 23, 50))],
      ['America/St_Johns', new Date(Date.UTC(2006, 9, 29, 2, 30))],
      ['America/St_Johns', new Date(Date.UTC(2006, 9, 29, 2, 31))],
    ] as const) {
      expect(localDayNumber(instant, zone)).toBe(direct(instant, zone));
    }
  });
});

describe('streak summary kept on the goal', () => {
  /** Streaks counted straight from the history, as they were before summaries existed. */
  function counted(measure: Measure, checkIns: CheckInPoint[], timeZone: string, now: Date) {
    const met = metPeriods(measure, checkIns, timeZone);
    const s = measure.period === 'DAILY' ? 1 : 7;
    let current = 0;
    let cursor = periodOf(now, timeZone, measure.period);
    if (!met.has(cursor)) cursor -= s;
    while (met.has(cursor)) [current, cursor] = [current + 1, cursor - s];
    let longest = 0;
    for (const p of met) {
      let run = 0;
      while (met.has(p + run * s)) run += 1;
      longest = Math.max(longest, run);
    }
    return { currentStreak: current, longestStreak: longest };
  }

  it('answers as the whole history would, at any later time, for every kind and period', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const measures: Measure[] = [DAILY, WEEKLY, { kind: 'COUNT', period: 'WEEKLY', target: 3 }, { kind: 'SCALE', period: 'DAILY', target: 6 }];
    const start = Date.UTC(2026, 1, 20);
    const wrong: string[] = [];
    for (let trial = 0; trial < 400; trial++) {
      const measure = measures[trial % measures.length];
      const zone = [NY, BERLIN, 'Pacific/Chatham'][trial % 3];
      const checkIns: CheckInPoint[] = Array.from({ length: Math.floor(rand() * 40) }, () => ({
        value: measure.kind === 'SCALE' ? Math.floor(rand() * 11) : measure.kind === 'COUNT' ? Math.floor(rand() * 3) : rand() < 0.8 ? 1 : 0,
        recordedAt: new Date(start + Math.floor(rand() * 60 * 86400000)),
      }));
      const summary = summarizeStreaks(measure, checkIns, zone);
      const latest = summary.lastCheckInAt?.getTime() ?? start;
      for (const later of [0, 1, 3600000, 86400000, 2 * 86400000, 8 * 86400000, 15 * 86400000]) {
        const now = new Date(latest + later);
        expect(summaryHoldsAt(summary, now)).toBe(true);
        const fromSummary = streaksAt(summary, measure.period, zone, now);
        const expected = counted(measure, checkIns, zone, now);
        if (fromSummary.currentStreak !== expected.currentStreak || fromSummary.longestStreak !== expected.longestStreak) {
          wrong.push(`${trial} +${later}: ${JSON.stringify(fromSummary)} vs ${JSON.stringify(expected)}`);
        }
        expect(progressOf(measure, checkIns, zone, now)).toEqual(fromSummary);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('does not hold before its latest check-in: a check-in minutes ahead is counted back from now', () => {
    const checkIns = points(NY, ['2026-05-04 12:00', '2026-05-05 12:00', '2026-05-06 00:03']);
    const now = local(NY, '2026-05-05 23:59');
    const summary = summarizeStreaks(DAILY, checkIns, NY);
    expect(summaryHoldsAt(summary, now)).toBe(false);
    expect(summary).toMatchObject({ longestStreak: 3, lastMetPeriod: day('2026-05-06'), lastRun: 3 });
    // Counted from now the run is two (May 4–5); the summary alone would say three or nothing.
    expect(progressOf(DAILY, checkIns, NY, now)).toMatchObject({ currentStreak: 2, longestStreak: 3 });
  });
});
