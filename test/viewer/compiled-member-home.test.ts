/**
 * The member home screen is answered from one statement (src/modules/viewer/compiled-member-home.ts).
 * These tests run every operation twice — on the app as deployed and on one with compiled reads
 * off — and require the same data, errors and audit rows for members in every situation the
 * goal, group and consent rules distinguish; and that the compiled path really answered (2 round
 * trips: its statement rides in the first) where it should.
 */
import { ClinicFixture, createClinic, ownerQuery, tokenFor } from '../support/factories';
import { differential } from '../support/differential';
import { getTestApp, gql, TestApp } from '../support/test-app';
import {
  acceptAgreement,
  activeGroup,
  createGoal,
  grantConsent,
  GroupRef,
  Member,
  ok,
  partner,
  PROPOSE,
  revokeConsent,
  agreementConsentOf,
  ConsentRef,
  shareGoals,
  checkIn,
  GoalRef,
  goalRow,
  UPDATE_GOAL,
} from '../goals/goal-fixtures';
import { summarizeStreaks } from '../../src/modules/goals/goal-progress';
import { backfillStreakSummaries } from '../../src/modules/goals/streak-summary';
import { fromGlobalId, toGlobalId } from '../../src/common/global-id';

const uuidOfGid = (gid: string) => fromGlobalId(gid)!.id;

const GOAL = `id title visibility lifecycleStatus ownerDisplayName currentStreak longestStreak lastCheckInAt`;
const BENCH_SHAPE = `query MemberHome { viewer { client { displayName memberships { status group { name nextSession { scheduledStart topic } }
  goals { title currentStreak longestStreak lastCheckInAt } } } }
  myPartnerships { status partnerDisplayName proposerDisplayName partnerGoals { title visibility currentStreak } } }`;
const WITH_LIST = `query MemberHome { viewer { client { displayName memberships { status group { name nextSession { scheduledStart topic } }
  goals { title currentStreak longestStreak lastCheckInAt } } } }
  myPartnerships { status partnerDisplayName proposerDisplayName }
  goals(first: 20, filter: { lifecycleStatus: [ACTIVE] }) { edges { node { title ownerDisplayName visibility currentStreak } } } }`;
const EVERYTHING = `query($first: Int, $filter: GoalFilter) { __typename viewer { __typename kind client { __typename id displayName
    memberships { __typename id status group { __typename id name nextSession { __typename id scheduledStart topic } } goals { __typename ${GOAL} } } } }
  myPartnerships { __typename id status partnerDisplayName proposerDisplayName partnerGoals { __typename ${GOAL} } }
  goals(first: $first, filter: $filter) { __typename edges { __typename node { __typename ${GOAL} } } } }`;
const ALIASED = `{ me: viewer { who: client { name: displayName groups: memberships { s: status g: group { name next: nextSession { at: scheduledStart } } } } }
  p: myPartnerships { status theirs: partnerGoals { t: title } } list: goals(first: 3) { edges { n: node { title o: ownerDisplayName } } } }`;

let generic: TestApp;
let clinic: ClinicFixture;
let group: GroupRef;
let me: Member, lee: Member, sam: Member, ana: Member, bo: Member;
let samSharing: ConsentRef;
let neighbourClinicId: string;

const both = differential(() => generic);

/** Every goal shape the rules tell apart, with check-ins over a few local days (streaks) at microsecond times. */
async function goalsOf(m: Member, visibilities: [string, string][]) {
  for (const [visibility, lifecycle] of visibilities) {
    const goal = await createGoal(m, { visibility });
    await ownerQuery(
      `INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, recorded_at, recorded_by_type, recorded_by_id)
       SELECT g.clinic_id, g.id, g.client_id, 1, now() - make_interval(days => d) - make_interval(secs => 0.000123 * d), 'CLIENT', g.client_id
         FROM goals g, generate_series(0, 4) d WHERE g.id = $1 AND d <> 2`,
      [goal.id],
    );
    if (lifecycle !== 'ACTIVE') await ownerQuery(`UPDATE goals SET lifecycle_status = $2 WHERE id = $1`, [goal.id, lifecycle]);
  }
}

async function sessionsFor(g: GroupRef, hoursAhead: number[]) {
  for (const [i, h] of hoursAhead.entries()) {
    await ownerQuery(
      `INSERT INTO group_sessions (clinic_id, group_id, scheduled_start, scheduled_end, status, topic, cancel_reason, cancelled_at)
       SELECT clinic_id, id, now() + make_interval(hours => $2) + interval '0.000321 seconds', now() + make_interval(hours => $2 + 1), $3, $4,
              CASE WHEN $3 = 'CANCELLED' THEN 'test' END, CASE WHEN $3 = 'CANCELLED' THEN now() END
         FROM therapy_groups WHERE id = $1`,
      [g.id, h, i % 4 === 3 ? 'CANCELLED' : 'SCHEDULED', i % 2 ? null : `Topic ${i} — “quoted”`],
    );
  }
}

beforeAll(async () => {
  generic = await getTestApp({ compiledReads: false });
  clinic = await createClinic('Compiled Home Clinic', 'Pacific/Auckland');
  ({ group, members: [me, lee, sam, ana, bo] } = await activeGroup({ clinic, members: 5 }));
  await sessionsFor(group, [-30, 5, 30, 2]);
  // Lee is my partner; Sam shares goals with the group; Ana does not, and proposed to me; Bo proposed
  // to me and left (a proposal whose proposer no longer sees the group: held from me on both paths).
  await partner(me, lee);
  samSharing = await shareGoals(sam, group);
  await shareGoals(lee, group);
  ok(await gql(bo.auth, PROPOSE, { input: { partnerMembershipId: me.membershipGid } }));
  ok(await gql(ana.auth, PROPOSE, { input: { partnerMembershipId: me.membershipGid } }));
  await goalsOf(me, [['GROUP', 'ACTIVE'], ['PRIVATE', 'ACTIVE'], ['PARTNERS', 'COMPLETED'], ['GROUP', 'PROPOSED']]);
  await goalsOf(lee, [['PARTNERS', 'ACTIVE'], ['GROUP', 'ON_HOLD'], ['PRIVATE', 'ACTIVE'], ['PARTNERS', 'CANCELLED']]);
  await goalsOf(sam, [['GROUP', 'ACTIVE'], ['PARTNERS', 'ACTIVE'], ['GROUP', 'COMPLETED']]);
  await goalsOf(ana, [['GROUP', 'ACTIVE']]);
  await goalsOf(bo, [['GROUP', 'ACTIVE']]);
  await ownerQuery(`UPDATE memberships SET status = 'WITHDRAWN' WHERE id = $1`, [bo.membershipId]);

  // My other groups: one I completed (alumni: no sessions) and one I am waitlisted for (applicant).
  for (const status of ['COMPLETED', 'WAITLISTED']) {
    const other = (await activeGroup({ clinic, members: 1 })).group;
    await sessionsFor(other, [3]);
    await ownerQuery(
      `INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start, period_end, waitlisted_at, status_reason)
       SELECT clinic_id, id, $2, $3, current_date - 40, CASE WHEN $3 = 'COMPLETED' THEN current_date - 1 END, CASE WHEN $3 = 'WAITLISTED' THEN now() END, 'test'
         FROM therapy_groups WHERE id = $1`,
      [other.id, me.client.id, status],
    );
  }
  const [done] = await ownerQuery(`SELECT id FROM memberships WHERE client_id = $1 AND status = 'COMPLETED'`, [me.client.id]);
  await ownerQuery(
    `INSERT INTO goals (clinic_id, membership_id, client_id, group_id, title, measure_kind, measure_period, target, start_date, lifecycle_status, visibility, created_by_type, created_by_id)
     SELECT clinic_id, id, client_id, group_id, 'Kept from an earlier group', 'COUNT', 'WEEKLY', 3, current_date - 30, 'COMPLETED', 'GROUP', 'CLIENT', client_id
       FROM memberships WHERE id = $1`,
    [done.id],
  );

  // A neighbouring clinic with the same story: none of it may reach this clinic's members.
  const neighbour = await createClinic('Neighbour Home Clinic');
  neighbourClinicId = neighbour.id;
  const there = await activeGroup({ clinic: neighbour, members: 2 });
  await partner(there.members[0], there.members[1]);
  await goalsOf(there.members[1], [['PARTNERS', 'ACTIVE'], ['GROUP', 'ACTIVE']]);
});

afterAll(async () => {
  await generic.close();
});

describe('the compiled member home answers exactly as the resolvers do', () => {
  it('the benchmark\'s shape, for a member with a partner, peers, an ended and a waitlisted group, in two round trips', async () => {
    const { compiled, resolvers } = await both(me.auth, BENCH_SHAPE);
    expect(compiled.statements).toBe(2);
    expect(resolvers.statements).toBeGreaterThan(3);
    const home = compiled.data as any;
    expect(home.viewer.client.memberships.map((m: any) => m.status)).toEqual(['ACTIVE', 'COMPLETED', 'WAITLISTED']);
    // The session 5 hours ahead (the one 2 hours ahead is cancelled, the one 30 hours ago is over).
    expect(home.viewer.client.memberships[0].group.nextSession).toEqual({ scheduledStart: expect.any(String), topic: null });
    expect(Date.parse(home.viewer.client.memberships[0].group.nextSession.scheduledStart) - Date.now()).toBeGreaterThan(4 * 3600_000);
    expect(home.viewer.client.memberships[1].group.nextSession).toBeNull();
    expect(home.viewer.client.memberships[2].group.nextSession).not.toBeNull();
    expect(home.viewer.client.memberships[0].goals).toHaveLength(4);
    expect(home.viewer.client.memberships[0].goals[0].currentStreak).toBeGreaterThan(0);
    const [fromAna, withLee] = home.myPartnerships;
    expect(home.myPartnerships).toHaveLength(2);
    expect(fromAna).toMatchObject({ status: 'PROPOSED', partnerGoals: [] });
    // Lee's PARTNERS goal and ON_HOLD GROUP goal; not the PRIVATE or the cancelled one.
    expect(withLee.partnerGoals.map((g: any) => g.visibility)).toEqual(['PARTNERS', 'GROUP']);
    // My five goals (one in the group I completed) and Lee's two.
    expect(compiled.audit.filter((l) => l.includes('|READ|Goal|'))).toHaveLength(7);
    expect(compiled.audit.filter((l) => l.includes('|READ|Membership|'))).toHaveLength(3);
    expect(compiled.audit.filter((l) => l.includes('|READ|Client|'))).toHaveLength(1);
  });

  it('the earlier benchmark shape with the goals list, every supported field with ids and __typename, aliases, page sizes and filters', async () => {
    expect((await both(me.auth, WITH_LIST)).compiled.statements).toBe(2);
    const aliased = await both(me.auth, ALIASED);
    expect(aliased.compiled.statements).toBe(2);
    expect((aliased.compiled.data as any).me.who.groups[0].g.next.at).toEqual(expect.any(String));
    const filters = [null, {}, { lifecycleStatus: [] }, { lifecycleStatus: ['ACTIVE', 'ON_HOLD'] }, { lifecycleStatus: ['COMPLETED'] }, { lifecycleStatus: null }];
    for (const first of [1, 3, 100, undefined]) {
      for (const filter of filters) {
        const { compiled } = await both(me.auth, EVERYTHING, { first, filter });
        expect(compiled.statements).toBe(2);
      }
    }
    const list = (await both(me.auth, EVERYTHING, { first: 100 })).compiled.data as any;
    // My goals in every state; peers' shared GROUP goals; Lee's as partner; never Ana's (no consent) or Bo's (withdrawn).
    const owners = new Set(list.goals.edges.map((e: any) => e.node.ownerDisplayName));
    expect(owners).toEqual(new Set([me, lee, sam].map((m) => `${m.client.givenName} ${m.client.familyName[0]}.`)));
  });

  it('each member of the group sees their own view: the partner, a sharing peer, a peer without consent, one who left', async () => {
    for (const m of [lee, sam, ana, bo]) {
      const { compiled } = await both(m.auth, EVERYTHING, { first: 50 });
      expect(compiled.statements).toBe(2);
    }
  });

  it('follows consent from one request to the next: revoking GOAL_SHARING or the agreement consent hides goals at once', async () => {
    const samShown = `"ownerDisplayName":"${sam.client.givenName} ${sam.client.familyName[0]}."`;
    const seen = async () => JSON.stringify((await both(me.auth, EVERYTHING, { first: 50 })).compiled.data);
    expect(await seen()).toContain(samShown);
    // A DENY overrides the PERMIT while it stands.
    const deny = await grantConsent(sam.auth, { type: 'GOAL_SHARING', groupId: group.gid, provision: 'DENY' });
    expect(await seen()).not.toContain(samShown);
    await revokeConsent(sam.auth, deny);
    expect(await seen()).toContain(samShown);
    await revokeConsent(sam.auth, samSharing);
    expect(await seen()).not.toContain(samShown);

    // Without my agreement consent I see no peers; my partner still shares with me.
    await revokeConsent(me.auth, await agreementConsentOf(me, group));
    const { compiled } = await both(me.auth, EVERYTHING, { first: 50 });
    const owners = new Set((compiled.data as any).goals.edges.map((e: any) => e.node.ownerDisplayName));
    expect(owners).toEqual(new Set([me, lee].map((m) => `${m.client.givenName} ${m.client.familyName[0]}.`)));
  });

  it('partners again after an ended partnership: only the active one lists goals, on both paths', async () => {
    const world = await activeGroup({ clinic, members: 2 });
    const [kim, lee] = world.members;
    await goalsOf(lee, [['PARTNERS', 'ACTIVE'], ['GROUP', 'ACTIVE']]);
    const first = await partner(kim, lee);
    ok(await gql(lee.auth, `mutation($input: EndPartnershipInput!) { endPartnership(input: $input) { partnership { id } } }`, { input: { partnershipId: first.gid, reason: 'pause' } }));
    await partner(lee, kim);
    const { compiled } = await both(kim.auth, BENCH_SHAPE);
    expect(compiled.statements).toBe(2);
    expect((compiled.data as any).myPartnerships.map((p: any) => [p.status, p.partnerGoals.length])).toEqual([['ACTIVE', 2], ['ENDED', 0]]);
  });

  it('a partner on hold: their goals leave my home screen and goals list on both paths, unaudited, and come back when they return', async () => {
    const world = await activeGroup({ clinic, members: 2 });
    const [kim, pat] = world.members;
    await goalsOf(pat, [['PARTNERS', 'ACTIVE'], ['GROUP', 'ACTIVE']]);
    await shareGoals(pat, world.group);
    await partner(kim, pat);
    const hold = (status: string) => ownerQuery(`UPDATE memberships SET status = $2 WHERE id = $1`, [pat.membershipId, status]);
    const patsGoalsSeen = async () => {
      const { compiled } = await both(kim.auth, EVERYTHING, { first: 50 });
      expect(compiled.statements).toBe(2);
      const data = compiled.data as any;
      return {
        partnerGoals: data.myPartnerships.map((p: any) => [p.status, p.partnerGoals.length]),
        listed: data.goals.edges.filter((e: any) => e.node.ownerDisplayName !== `${kim.client.givenName} ${kim.client.familyName[0]}.`).length,
        audited: compiled.audit.filter((l) => l.includes('|READ|Goal|') && l.includes(pat.client.id)).length,
      };
    };
    expect(await patsGoalsSeen()).toEqual({ partnerGoals: [['ACTIVE', 2]], listed: 2, audited: 2 });
    await hold('ON_HOLD');
    expect(await patsGoalsSeen()).toEqual({ partnerGoals: [['ACTIVE', 0]], listed: 0, audited: 0 });
    // The page is chosen in SQL among what Kim may see: not padded with Pat's goals, which the rule would drop.
    const page = ok(await gql(kim.auth, `{ goals(first: 1) { edges { node { id } } pageInfo { hasNextPage } } }`)).goals;
    expect(page).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
    await hold('ACTIVE');
    expect(await patsGoalsSeen()).toEqual({ partnerGoals: [['ACTIVE', 2]], listed: 2, audited: 2 });
  });

  it('a member in no group, a member who has not accepted the agreement, and a client with no memberships at all', async () => {
    const world = await activeGroup({ clinic, members: 2, accept: false });
    await goalsOf(world.members[1], [['GROUP', 'ACTIVE']]);
    await shareGoals(world.members[1], world.group);
    await both(world.members[0].auth, EVERYTHING, { first: 10 });
    await acceptAgreement(world.members[0], world.group);
    await both(world.members[0].auth, EVERYTHING, { first: 10 });
    const loner = await clinic.addClient();
    expect((await both(loner.auth, BENCH_SHAPE)).compiled.statements).toBe(2);
    // A token for a client who does not exist is refused alike.
    const ghost = await tokenFor(clinic.id, '00000000-0000-4000-8000-0000000000aa', 'MEMBER');
    const { compiled } = await both(ghost, BENCH_SHAPE);
    expect(compiled.codes).toEqual(['UNAUTHENTICATED']);
  });
});

describe('everything else goes to the resolvers, with the same answers', () => {
  it('staff and integrations', async () => {
    const key = await clinic.addApiKey(['goals:read']);
    for (const auth of [clinic.supervisor.auth, clinic.clinician.auth, clinic.admin.auth, key.auth]) {
      const { compiled, resolvers } = await both(auth, `{ viewer { kind client { id } } goals(first: 5) { edges { node { id } } } }`);
      expect(compiled.statements).toBe(resolvers.statements);
    }
  });

  it('fields, arguments, cursors and filters outside the compiled shape', async () => {
    const outside = [
      `{ viewer { client { displayName email } } }`,
      `{ viewer { client { memberships { status periodStart } } } }`,
      `{ goals(first: 2, after: "x") { edges { node { id } } } }`,
      `{ goals(first: 2) { pageInfo { hasNextPage } edges { cursor node { id } } } }`,
      `{ goals(first: 2, filter: { visibility: [GROUP] }) { edges { node { id } } } }`,
      `{ goals(first: 2, filter: { lifecycleStatus: [ACTIVE], clientId: "x" }) { edges { node { id } } } }`,
      `{ myPartnerships { status group { name } } }`,
      `{ myPartnerships { partnerGoals { title checkIns { value } } } }`,
      `{ a: goals(first: 1) { edges { node { id } } } b: goals(first: 2) { edges { node { id } } } }`,
      `{ viewer { kind } }`,
      `{ viewer { client { ... on Client { displayName } } } }`,
    ];
    for (const query of outside) {
      const { compiled, resolvers } = await both(me.auth, query);
      expect(compiled.statements).toBe(resolvers.statements);
    }
  });

  it('out-of-range and mistyped arguments are the resolvers\' errors, with nothing read or audited', async () => {
    for (const first of [0, 101, -1]) {
      const { compiled } = await both(me.auth, EVERYTHING, { first });
      expect(compiled.codes).toEqual(['BAD_USER_INPUT']);
      expect(compiled.audit.filter((l) => l.includes('|READ|'))).toEqual([]);
    }
    const { compiled } = await both(me.auth, EVERYTHING, { first: 'many' });
    expect(compiled.status).toBe(400);
  });

  it('another clinic\'s partnership and goals never reach this clinic\'s members', async () => {
    const { compiled } = await both(me.auth, EVERYTHING, { first: 100 });
    const shown = JSON.stringify(compiled.data);
    const foreign = await ownerQuery<{ id: string }>(`SELECT id FROM goals WHERE clinic_id <> $1`, [clinic.id]);
    expect(foreign.length).toBeGreaterThan(0);
    for (const g of foreign) expect(shown).not.toContain(toGlobalId('Goal', g.id));
    expect(shown).toContain(toGlobalId('Goal', (await ownerQuery(`SELECT id FROM goals WHERE client_id = $1 LIMIT 1`, [lee.client.id]))[0].id));
    expect(compiled.audit.length).toBeGreaterThan(0);
    expect(compiled.audit.every((l) => l.startsWith(`${clinic.id}|`))).toBe(true);
  });
});

describe('the speculative first round trip', () => {
  it('a token naming another clinic or a client who does not exist: UNAUTHENTICATED, and the home read with the lookup is neither released nor audited', async () => {
    const before = await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE subject_client_id = $1`, [me.client.id]);
    for (const auth of [await tokenFor(neighbourClinicId, me.client.id, 'MEMBER'), await tokenFor(clinic.id, '7f0e0a0e-0000-4000-8000-000000000001', 'MEMBER')]) {
      const { compiled } = await both(auth, BENCH_SHAPE);
      expect(compiled.codes).toEqual(['UNAUTHENTICATED']);
      expect(compiled.data).toBeNull();
      expect(compiled.audit).toEqual([]);
    }
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE subject_client_id = $1`, [me.client.id])).toEqual(before);
  });
});

describe('streak summaries kept with each check-in (the compiled home and the resolvers both read them)', () => {
  const DAY = 86_400_000;
  const SUMMARY = ['streak_time_zone', 'streak_target', 'streak_longest', 'streak_last_met_day', 'streak_last_run', 'streak_last_check_in_at'];
  const pick = (row: Record<string, unknown>) => Object.fromEntries(SUMMARY.map((c) => [c, row[c]]));
  const summaryOf = async (goal: GoalRef) => pick(await goalRow(goal.id));
  const ago = (days: number, minutes = 0) => new Date(Date.now() - days * DAY + minutes * 60_000).toISOString();
  const homeGoal = (home: any, title: string) =>
    [...home.viewer.client.memberships.flatMap((m: any) => m.goals ?? []), ...home.myPartnerships.flatMap((p: any) => p.partnerGoals)].find((g: any) => g.title === title);
  const historyOf = async (goal: GoalRef) =>
    (await ownerQuery<{ value: string; recorded_at: Date }>(`SELECT value, recorded_at FROM goal_check_ins WHERE goal_id = $1`, [goal.id]))
      .map((h) => ({ value: Number(h.value), recordedAt: h.recorded_at }));
  const DAILY = { kind: 'BOOLEAN', period: 'DAILY', target: null } as const;
  // A clinic on UTC: check-ins a day apart always fall on separate local days (no DST).
  let streakClinic: ClinicFixture;
  let kim: Member, jo: Member, daily: GoalRef, count: GoalRef, joGoal: GoalRef;

  beforeAll(async () => {
    streakClinic = await createClinic('Streak Clinic', 'UTC');
    ({ members: [kim, jo] } = await activeGroup({ clinic: streakClinic, members: 2 }));
    await partner(kim, jo);
    daily = await createGoal(kim, { visibility: 'PARTNERS' });
    count = await createGoal(kim, { visibility: 'PRIVATE', measureKind: 'COUNT', target: 1 });
    joGoal = await createGoal(jo, { visibility: 'PARTNERS' });
    // Jo's check-ins arrive by SQL (as an import would): no summary, so the history is read.
    await ownerQuery(
      `INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, recorded_at, recorded_by_type, recorded_by_id)
       SELECT clinic_id, id, client_id, 1, now() - make_interval(days => d), 'CLIENT', client_id FROM goals, generate_series(0, 2) d WHERE id = $1`,
      [joGoal.id],
    );
  });

  it('a check-in through the API writes its goal\'s summary; the home screen answers from it as the history would', async () => {
    const joBefore = await summaryOf(joGoal);
    for (const d of [3, 2, 1, 0]) await checkIn(kim.auth, daily, { recordedAt: ago(d, -1) });
    const row = await goalRow(daily.id);
    expect(pick(row)).toMatchObject({ streak_time_zone: 'UTC', streak_target: null, streak_longest: 4, streak_last_run: 4 });
    expect(new Date(row.streak_last_check_in_at).getTime()).toBe(Math.max(...(await historyOf(daily)).map((h) => h.recordedAt.getTime())));
    // The neighbouring goals: Jo's (no check-in through the API) and Kim's other goal keep no summary.
    expect(await summaryOf(joGoal)).toEqual(joBefore);
    expect((await summaryOf(count)).streak_time_zone).toBeNull();
    const { compiled } = await both(kim.auth, BENCH_SHAPE);
    expect(compiled.statements).toBe(2);
    expect(homeGoal(compiled.data, daily.title)).toMatchObject({ currentStreak: 4, longestStreak: 4 });
    expect(homeGoal(compiled.data, joGoal.title)).toMatchObject({ currentStreak: 3 });
    // Jo, reading Kim's goal as a partner, gets the same figures from it.
    expect(homeGoal((await both(jo.auth, BENCH_SHAPE)).compiled.data, daily.title)).toMatchObject({ currentStreak: 4 });
  });

  it('the home screen reads the summary while it holds; a new target or clinic time zone sends it back to the history', async () => {
    const home = async () => homeGoal((await gql(kim.auth, BENCH_SHAPE)).data, daily.title).longestStreak;
    // A summary altered behind the server's back shows through: proof that the history was not read.
    await ownerQuery(`UPDATE goals SET streak_longest = 99 WHERE id = $1`, [daily.id]);
    const viaResolvers = async () => (await gql(kim.auth, `query($id: ID!) { goal(id: $id) { longestStreak } }`, { id: daily.gid }, generic)).data.goal.longestStreak;
    try {
      expect(await home()).toBe(99);
      // The resolvers read it too (through the streakFacts loader).
      expect(await viaResolvers()).toBe(99);
      await ownerQuery(`UPDATE clinics SET timezone = 'Pacific/Chatham' WHERE id = $1`, [streakClinic.id]);
      expect(await viaResolvers()).not.toBe(99);
      // Both paths agree only if the compiled one read the history.
      expect(homeGoal((await both(kim.auth, BENCH_SHAPE)).compiled.data, daily.title).longestStreak).not.toBe(99);
      await ownerQuery(`UPDATE clinics SET timezone = 'UTC' WHERE id = $1`, [streakClinic.id]);
      expect(await home()).toBe(99);
    } finally {
      await ownerQuery(`UPDATE clinics SET timezone = 'UTC' WHERE id = $1`, [streakClinic.id]);
      await ownerQuery(`UPDATE goals SET streak_longest = 4 WHERE id = $1`, [daily.id]);
    }
    await checkIn(kim.auth, count, { value: 1 });
    expect(await summaryOf(count)).toMatchObject({ streak_target: '1', streak_longest: 1, streak_last_run: 1 });
    ok(await gql(kim.auth, UPDATE_GOAL, { input: { id: count.gid, target: 2 } }));
    // Not rewritten by the update, no longer holding: one check-in of 1 no longer meets a target of 2.
    expect(await summaryOf(count)).toMatchObject({ streak_target: '1', streak_longest: 1 });
    const { compiled } = await both(kim.auth, BENCH_SHAPE);
    expect(homeGoal(compiled.data, count.title)).toMatchObject({ currentStreak: 0, longestStreak: 0 });
    await checkIn(kim.auth, count, { value: 1 });
    expect(await summaryOf(count)).toMatchObject({ streak_target: '2', streak_longest: 1, streak_last_run: 1 });
  });

  it('a check-in recorded minutes ahead is reckoned from the history until its time comes', async () => {
    await checkIn(kim.auth, daily, { recordedAt: ago(0, 4) });
    expect(Date.parse((await goalRow(daily.id)).streak_last_check_in_at)).toBeGreaterThan(Date.now());
    await ownerQuery(`UPDATE goals SET streak_longest = 99 WHERE id = $1`, [daily.id]);
    const { compiled } = await both(kim.auth, BENCH_SHAPE);
    expect(compiled.statements).toBe(2);
    expect(homeGoal(compiled.data, daily.title).longestStreak).toBeLessThan(99);
  });

  it('check-ins changed outside recordCheckIn clear the summary until the next check-in rewrites it', async () => {
    const before = await summaryOf(count);
    await ownerQuery(
      `INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, recorded_at, recorded_by_type, recorded_by_id)
       SELECT clinic_id, id, client_id, 5, now() - interval '2 days', 'CLIENT', client_id FROM goals WHERE id = $1`,
      [count.id],
    );
    expect(await summaryOf(count)).toEqual({ ...before, streak_time_zone: null });
    const { compiled } = await both(kim.auth, BENCH_SHAPE);
    expect(homeGoal(compiled.data, count.title)).toMatchObject({ longestStreak: 1 });
    await checkIn(kim.auth, count, { value: 2, recordedAt: ago(1) });
    expect(await summaryOf(count)).toMatchObject({ streak_time_zone: 'UTC', streak_longest: 3, streak_last_run: 3 });
    expect(homeGoal((await both(kim.auth, BENCH_SHAPE)).compiled.data, count.title)).toMatchObject({ currentStreak: 3, longestStreak: 3 });
  });

  it('a check-in moved to another goal clears both goals\' summaries', async () => {
    const [a, b] = [await createGoal(kim, { visibility: 'PRIVATE' }), await createGoal(kim, { visibility: 'PRIVATE' })];
    const moved = await checkIn(kim.auth, a, { recordedAt: ago(1) });
    await checkIn(kim.auth, b);
    expect([(await summaryOf(a)).streak_time_zone, (await summaryOf(b)).streak_time_zone]).toEqual(['UTC', 'UTC']);
    await ownerQuery(`UPDATE goal_check_ins SET goal_id = $2 WHERE id = $1`, [uuidOfGid(moved.checkIn.id), b.id]);
    expect([(await summaryOf(a)).streak_time_zone, (await summaryOf(b)).streak_time_zone]).toEqual([null, null]);
    const { compiled } = await both(kim.auth, BENCH_SHAPE);
    expect(homeGoal(compiled.data, b.title)).toMatchObject({ currentStreak: 2, longestStreak: 2 });
    expect(homeGoal(compiled.data, a.title)).toMatchObject({ currentStreak: 0, longestStreak: 0, lastCheckInAt: null });
  });

  it('a target changed earlier in the same document is the one later fields reckon with', async () => {
    const goal = await createGoal(kim, { visibility: 'PRIVATE', measureKind: 'COUNT', target: 1 });
    await checkIn(kim.auth, goal, { value: 1 });
    const res = await gql(
      kim.auth,
      `mutation($id: ID!) { a: updateGoal(input: { id: $id, title: "Renamed" }) { goal { currentStreak } }
                           b: updateGoal(input: { id: $id, target: 2 }) { goal { currentStreak } } }`,
      { id: goal.gid },
    );
    expect(res.codes).toEqual([]);
    expect([res.data.a.goal.currentStreak, res.data.b.goal.currentStreak]).toEqual([1, 0]);
  });

  it('the backfill for SQL-loaded check-ins summarizes one clinic\'s goals as a check-in would, and no other clinic\'s', async () => {
    const summarizedElsewhere = async () =>
      (await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM goals WHERE clinic_id <> $1 AND streak_time_zone IS NOT NULL`, [streakClinic.id]))[0].n;
    const elsewhere = await summarizedElsewhere();
    expect(await backfillStreakSummaries(ownerQuery, { clinicId: streakClinic.id })).toBeGreaterThan(0);
    const expected = summarizeStreaks(DAILY, await historyOf(joGoal), 'UTC');
    expect(await summaryOf(joGoal)).toMatchObject({
      streak_time_zone: 'UTC', streak_longest: expected.longestStreak, streak_last_met_day: expected.lastMetPeriod, streak_last_run: 3,
    });
    expect(await summarizedElsewhere()).toBe(elsewhere);
    // Again: only the goal whose latest check-in is still ahead of the clock (its summary does not hold yet).
    expect(await backfillStreakSummaries(ownerQuery, { clinicId: streakClinic.id })).toBe(1);
    expect(homeGoal((await both(kim.auth, BENCH_SHAPE)).compiled.data, joGoal.title)).toMatchObject({ currentStreak: 3 });
  });

  it('concurrent check-ins on one goal each see the others: the summary is that of the whole history', async () => {
    const goal = await createGoal(kim, { visibility: 'PRIVATE' });
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((d) => gql(kim.auth, `mutation($input: RecordCheckInInput!) { recordCheckIn(input: $input) { checkIn { id } } }`,
      { input: { goalId: goal.gid, value: 1, recordedAt: ago(d, -2) } })));
    expect(results.map((r) => r.codes)).toEqual(results.map(() => []));
    const history = await historyOf(goal);
    expect(history).toHaveLength(6);
    const expected = summarizeStreaks(DAILY, history, 'UTC');
    expect(await summaryOf(goal)).toMatchObject({ streak_longest: expected.longestStreak, streak_last_met_day: expected.lastMetPeriod, streak_last_run: expected.lastRun });
    expect(expected.lastRun).toBe(6);
  });
});
