/**
 * The accountability board's SQL statement count depends on the query's shape, never on how
 * many members, goals or check-ins it shows.
 */
import { tokenFor } from '../support/factories';
import { gql } from '../support/test-app';
import { activeGroup, bulkGoalsWithCheckIns, bulkMembers, ok } from './goal-fixtures';

const BOARD = `query($id: ID!) { group(id: $id) { accountabilityBoard { displayName goals { title currentStreak longestStreak lastCheckInAt } } } }`;
const GOALS_PER_MEMBER = 3;
const DAYS = 30;

/** A group of `n` members, each with 3 GROUP goals checked in on each of the last 30 days, all sharing. */
async function boardOf(n: number) {
  const timezone = 'America/New_York';
  const { clinic, group, lead } = await activeGroup({ members: 0, timezone });
  const memberships = await bulkMembers(clinic, group, n);
  await bulkGoalsWithCheckIns(clinic, memberships, group, GOALS_PER_MEMBER, DAYS, timezone);
  const member = await tokenFor(clinic.id, memberships[0].client_id, 'MEMBER');
  return { group, lead, member };
}

/** Local noon yesterday in the clinic's time zone, as the API prints it (the latest check-in). */
function yesterdayNoonIn(timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date()).map((p) => [p.type, p.value]),
  );
  const todayUtcNoon = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) - 1, 12);
  // Offset of the zone at that moment (e.g. -05:00 or -04:00).
  const asLocal = new Date(new Date(todayUtcNoon).toLocaleString('en-US', { timeZone }) + ' UTC').getTime();
  return new Date(todayUtcNoon + (todayUtcNoon - asLocal)).toISOString();
}

describe('the accountability board', () => {
  it('runs the same number of SQL statements for 12 members × 3 goals × 30 check-ins as for 3 members', async () => {
    const counts: Record<string, Record<number, number>> = { member: {}, clinician: {} };
    for (const n of [3, 12]) {
      const { group, lead, member } = await boardOf(n);
      for (const [who, auth, peers] of [['clinician', lead.auth, n], ['member', member, n - 1]] as const) {
        ok(await gql(auth, `{ viewer { kind } }`));
        const res = await gql(auth, BOARD, { id: group.gid });
        const board = ok(res).group.accountabilityBoard;
        expect(board).toHaveLength(peers);
        const goals = board.flatMap((e: any) => e.goals);
        expect(goals).toHaveLength(peers * GOALS_PER_MEMBER);
        // Streaks come out right while we are at it: 30 days in a row up to yesterday, today still open.
        expect(new Set(goals.map((g: any) => `${g.currentStreak}/${g.longestStreak}/${g.lastCheckInAt}`))).toEqual(
          new Set([`${DAYS}/${DAYS}/${yesterdayNoonIn('America/New_York')}`]),
        );
        counts[who][n] = res.sqlStatements;
      }
    }
    console.log(
      `accountability board SQL statements — clinician: ${counts.clinician[3]} for 3 members, ${counts.clinician[12]} for 12; ` +
        `member: ${counts.member[3]} for 3 members, ${counts.member[12]} for 12 (×${GOALS_PER_MEMBER} goals ×${DAYS} check-ins each)`,
    );
    expect(counts.clinician[12]).toBe(counts.clinician[3]);
    expect(counts.member[12]).toBe(counts.member[3]);
  });
});
