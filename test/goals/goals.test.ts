import { ownerQuery } from '../support/factories';
import { gql } from '../support/test-app';
import {
  activeGroup,
  checkIn,
  checkInRows,
  CREATE_GOAL,
  createGoal,
  expectRefused,
  GOAL,
  GOAL_NODE,
  GOALS,
  goalRow,
  grantConsent,
  ok,
  RECORD_CHECK_IN,
  shareGoals,
  UPDATE_GOAL,
  uuidOf,
} from './goal-fixtures';

const goalsOfClient = (clientId: string) => ownerQuery(`SELECT * FROM goals WHERE client_id = $1 ORDER BY created_at, id`, [clientId]);

describe('createGoal', () => {
  it('lets a member set a goal in their own membership, PRIVATE and ACTIVE by default', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, neighbour] = members;
    const res = await gql(sam.auth, CREATE_GOAL, {
      input: { membershipId: sam.membershipGid, title: '  Walk 20 minutes  ', description: 'Around the park', measureKind: 'BOOLEAN', dueDate: '2099-12-31' },
    });
    const goal = ok(res).createGoal.goal;
    expect(goal).toMatchObject({
      title: 'Walk 20 minutes',
      description: 'Around the park',
      visibility: 'PRIVATE',
      lifecycleStatus: 'ACTIVE',
      achievementStatus: 'IN_PROGRESS',
      measure: { kind: 'BOOLEAN', period: 'DAILY', target: null },
      dueDate: '2099-12-31',
      ownerDisplayName: `${sam.client.givenName} ${sam.client.familyName[0]}.`,
    });
    expect(await goalRow(uuidOf(goal.id))).toMatchObject({
      clinic_id: clinic.id,
      client_id: sam.client.id,
      membership_id: sam.membershipId,
      group_id: group.id,
      title: 'Walk 20 minutes',
      measure_kind: 'BOOLEAN',
      measure_period: 'DAILY',
      target: null,
      visibility: 'PRIVATE',
      lifecycle_status: 'ACTIVE',
      created_by_type: 'CLIENT',
      created_by_id: sam.client.id,
    });
    expect(await goalsOfClient(neighbour.client.id)).toEqual([]);
  });

  it('starts a goal on the clinic\'s local today by default, not the database server\'s date', async () => {
    // Pick a zone whose calendar date differs from the database's right now (one of these always does).
    const [{ today }] = await ownerQuery<{ today: string }>(`SELECT current_date::text AS today`);
    const localDate = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const timezone = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'].find((z) => localDate(z) !== today)!;
    const { members } = await activeGroup({ members: 1, timezone });
    const goal = ok(await gql(members[0].auth, CREATE_GOAL, { input: { membershipId: members[0].membershipGid, title: 'Start today', measureKind: 'BOOLEAN' } }))
      .createGoal.goal;
    expect({ timezone, startDate: goal.startDate }).toEqual({ timezone, startDate: localDate(timezone) });
  });

  it('lets the group\'s clinician set a goal for a member, recorded as created by staff', async () => {
    const { group, lead, members } = await activeGroup({ members: 2 });
    const [sam, neighbour] = members;
    const goal = await createGoal(sam, { title: 'Drink less coffee', measureKind: 'COUNT', measurePeriod: 'WEEKLY', target: 5, visibility: 'PARTNERS' }, lead.auth);
    expect(await goalRow(goal.id)).toMatchObject({
      client_id: sam.client.id,
      group_id: group.id,
      measure_kind: 'COUNT',
      measure_period: 'WEEKLY',
      target: '5',
      visibility: 'PARTNERS',
      created_by_type: 'STAFF',
      created_by_id: lead.id,
    });
    // The member sees the goal set for them.
    expect(ok(await gql(sam.auth, GOAL, { id: goal.gid })).goal.title).toBe('Drink less coffee');
    expect(await goalsOfClient(neighbour.client.id)).toEqual([]);
  });

  it('refuses a goal in another member\'s membership: NOT_FOUND for peers and outsiders, FORBIDDEN for admins, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const other = await activeGroup({ clinic, members: 1 });
    const outsiderClinician = await clinic.addStaff('CLINICIAN');
    const foreign = await activeGroup({ members: 1 });
    const input = { membershipId: kim.membershipGid, title: 'Not yours', measureKind: 'BOOLEAN' };
    // A peer who sees Kim in the roster.
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, CREATE_GOAL, { input }));
    // A member of another group, a clinician of no group of Kim's, staff of another clinic.
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(other.members[0].auth, CREATE_GOAL, { input }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(outsiderClinician.auth, CREATE_GOAL, { input }));
    await expectRefused('NOT_FOUND', [clinic.id, foreign.clinic.id], () => gql(foreign.clinic.supervisor.auth, CREATE_GOAL, { input }));
    await expectRefused('NOT_FOUND', [clinic.id, foreign.clinic.id], () => gql(foreign.members[0].auth, CREATE_GOAL, { input }));
    // Admins do not handle clinical data.
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.admin.auth, CREATE_GOAL, { input }));
    expect(await goalsOfClient(kim.client.id)).toEqual([]);
  });

  it('refuses measures without a valid target and dates out of order: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const sam = members[0];
    const bad = [
      { measureKind: 'COUNT' },
      { measureKind: 'COUNT', target: 2.5 },
      { measureKind: 'COUNT', target: 0 },
      { measureKind: 'SCALE' },
      { measureKind: 'SCALE', target: 11 },
      { measureKind: 'BOOLEAN', target: -1 },
      { measureKind: 'BOOLEAN', startDate: '2099-02-01', dueDate: '2099-01-31' },
      { measureKind: 'BOOLEAN', lifecycleStatus: 'COMPLETED' },
      { measureKind: 'BOOLEAN', title: '' },
      { measureKind: 'BOOLEAN', title: 'x'.repeat(201) },
    ];
    for (const fields of bad) {
      await expectRefused('BAD_USER_INPUT', [clinic.id], () =>
        gql(sam.auth, CREATE_GOAL, { input: { membershipId: sam.membershipGid, title: 'A goal', ...fields } }),
      );
    }
    expect(await goalsOfClient(sam.client.id)).toEqual([]);
  });

  it('refuses a goal in a membership that has ended: CONFLICT', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const sam = members[0];
    // Arranged in the database: this test is about createGoal, not about ending memberships.
    await ownerQuery(`UPDATE memberships SET status = 'COMPLETED', period_end = current_date WHERE id = $1`, [sam.membershipId]);
    await expectRefused('CONFLICT', [clinic.id], () =>
      gql(sam.auth, CREATE_GOAL, { input: { membershipId: sam.membershipGid, title: 'Too late', measureKind: 'BOOLEAN' } }),
    );
  });
});

describe('recordCheckIn', () => {
  it('records a value that fits the measure, with note, mood and time, by the member or the group\'s clinician', async () => {
    const { lead, members } = await activeGroup({ members: 2 });
    const [sam, neighbour] = members;
    const walk = await createGoal(sam, { measureKind: 'BOOLEAN' });
    const steps = await createGoal(sam, { measureKind: 'COUNT', target: 3 });
    const calm = await createGoal(sam, { measureKind: 'SCALE', target: 6 });
    const neighbourGoal = await createGoal(neighbour);
    const neighbourBefore = await checkInRows(neighbourGoal.id);

    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const first = await checkIn(sam.auth, walk, { value: 1, note: 'Felt good', mood: 4, recordedAt: yesterday });
    expect(first.checkIn).toMatchObject({ value: 1, note: 'Felt good', mood: 4, recordedAt: yesterday });
    expect(first.goal).toMatchObject({ id: walk.gid, lastCheckInAt: yesterday });
    await checkIn(sam.auth, steps, { value: 3 });
    await checkIn(lead.auth, calm, { value: 6.5, note: 'Checked in during the session' });

    expect(await checkInRows(walk.id)).toEqual([
      expect.objectContaining({ client_id: sam.client.id, value: '1', note: 'Felt good', mood: 4, recorded_by_type: 'CLIENT', recorded_by_id: sam.client.id }),
    ]);
    expect((await checkInRows(walk.id))[0].recorded_at.toISOString()).toBe(yesterday);
    expect(await checkInRows(steps.id)).toEqual([expect.objectContaining({ value: '3', note: null, mood: null })]);
    expect(await checkInRows(calm.id)).toEqual([expect.objectContaining({ value: '6.5', recorded_by_type: 'STAFF', recorded_by_id: lead.id })]);
    expect(await checkInRows(neighbourGoal.id)).toEqual(neighbourBefore);
  });

  it('a completion rate asked without a range, for a goal begun over ten years ago, covers the last ten years (no error the caller did not ask for)', async () => {
    const { members } = await activeGroup({ members: 1 });
    const old = await createGoal(members[0], { measureKind: 'BOOLEAN', startDate: '2010-01-04' });
    const res = await gql(members[0].auth, `query($id: ID!) { goal(id: $id) { completionRate } }`, { id: old.gid });
    expect(res.errors).toBeUndefined();
    expect(res.data.goal.completionRate).toBe(0);
  });

  it('refuses a value outside the measure: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const sam = members[0];
    const goals = {
      BOOLEAN: await createGoal(sam, { measureKind: 'BOOLEAN' }),
      SCALE: await createGoal(sam, { measureKind: 'SCALE', target: 5 }),
      COUNT: await createGoal(sam, { measureKind: 'COUNT', target: 2 }),
    };
    const cases: [keyof typeof goals, number][] = [
      ['BOOLEAN', 2],
      ['BOOLEAN', 0.5],
      ['BOOLEAN', -1],
      ['SCALE', 11],
      ['SCALE', -0.5],
      ['COUNT', 1.5],
      ['COUNT', -1],
      ['COUNT', 1001],
    ];
    for (const [kind, value] of cases) {
      const res = await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(sam.auth, RECORD_CHECK_IN, { input: { goalId: goals[kind].gid, value } }));
      expect(res.errors![0].extensions).toMatchObject({ field: 'value' });
    }
    for (const g of Object.values(goals)) expect(await checkInRows(g.id)).toEqual([]);
  });

  it('refuses a note over 1,000 characters, a mood outside 1–5 and a time out of range: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const sam = members[0];
    const goal = await createGoal(sam);
    const bad = [
      { note: 'x'.repeat(1001) },
      { mood: 6 },
      { mood: 0 },
      { recordedAt: new Date(Date.now() + 3_600_000).toISOString() },
      { recordedAt: new Date(Date.now() - 8 * 86_400_000).toISOString() },
    ];
    for (const fields of bad) {
      await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(sam.auth, RECORD_CHECK_IN, { input: { goalId: goal.gid, value: 1, ...fields } }));
    }
    expect(await checkInRows(goal.id)).toEqual([]);
    // Exactly 1,000 characters is fine.
    await checkIn(sam.auth, goal, { note: 'x'.repeat(1000), mood: 5 });
    expect(await checkInRows(goal.id)).toHaveLength(1);
  });

  it('refuses a check-in on someone else\'s goal: FORBIDDEN when the goal is shared with you, NOT_FOUND otherwise; nothing stored', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const outsiderClinician = await clinic.addStaff('CLINICIAN');
    const foreign = await activeGroup({ members: 1 });
    await shareGoals(kim, group);
    const shared = await createGoal(kim, { visibility: 'GROUP' });
    const hidden = await createGoal(kim, { visibility: 'PRIVATE' });
    expect(ok(await gql(sam.auth, GOAL, { id: shared.gid })).goal.title).toBe(shared.title);

    await expectRefused('FORBIDDEN', [clinic.id], () => gql(sam.auth, RECORD_CHECK_IN, { input: { goalId: shared.gid, value: 1 } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, RECORD_CHECK_IN, { input: { goalId: hidden.gid, value: 1 } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(outsiderClinician.auth, RECORD_CHECK_IN, { input: { goalId: hidden.gid, value: 1 } }));
    await expectRefused('NOT_FOUND', [clinic.id, foreign.clinic.id], () => gql(foreign.members[0].auth, RECORD_CHECK_IN, { input: { goalId: hidden.gid, value: 1 } }));
    await expectRefused('NOT_FOUND', [clinic.id, foreign.clinic.id], () => gql(foreign.clinic.supervisor.auth, RECORD_CHECK_IN, { input: { goalId: hidden.gid, value: 1 } }));
    expect(await checkInRows(shared.id)).toEqual([]);
    expect(await checkInRows(hidden.id)).toEqual([]);
  });

  it('refuses check-ins on goals that are not ACTIVE or ON_HOLD: CONFLICT', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const sam = members[0];
    const goal = await createGoal(sam);
    ok(await gql(sam.auth, UPDATE_GOAL, { input: { id: goal.gid, lifecycleStatus: 'CANCELLED' } }));
    await expectRefused('CONFLICT', [clinic.id], () => gql(sam.auth, RECORD_CHECK_IN, { input: { goalId: goal.gid, value: 1 } }));
    expect(await checkInRows(goal.id)).toEqual([]);
  });

  it('refuses check-ins once the goal\'s membership was withdrawn or discharged, by the member or staff: CONFLICT; a completed one\'s still take them (session 10)', async () => {
    const { clinic, lead, members } = await activeGroup({ members: 2 });
    const [sam, ada] = members;
    const [samsGoal, adasGoal] = [await createGoal(sam), await createGoal(ada)];
    const CHANGE = `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { status } } }`;
    ok(await gql(clinic.admin.auth, CHANGE, { input: { membershipId: sam.membershipGid, status: 'DISCHARGED', reason: 'Discharged' } }));
    ok(await gql(clinic.admin.auth, CHANGE, { input: { membershipId: ada.membershipGid, status: 'COMPLETED', reason: 'Graduated' } }));
    for (const auth of [sam.auth, lead.auth]) {
      const res = await expectRefused('CONFLICT', [clinic.id], () => gql(auth, RECORD_CHECK_IN, { input: { goalId: samsGoal.gid, value: 1 } }));
      expect(res.errors![0].extensions).toMatchObject({ membershipStatus: 'DISCHARGED' });
    }
    expect(await checkInRows(samsGoal.id)).toEqual([]);
    await checkIn(ada.auth, adasGoal);
    expect(await checkInRows(adasGoal.id)).toHaveLength(1);
  });
});

describe('check-ins as Relay nodes', () => {
  it('resolves a check-in by node(id:) for the goal\'s owner, and answers NOT_FOUND to members who may not see the goal', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const goal = await createGoal(sam, { visibility: 'PRIVATE' });
    const { checkIn: recorded } = await checkIn(sam.auth, goal, { note: 'Done', mood: 4 });
    const NODE = `query($id: ID!) { node(id: $id) { id ... on GoalCheckIn { value note mood } } }`;
    expect(ok(await gql(sam.auth, NODE, { id: recorded.id })).node).toEqual({ id: recorded.id, value: 1, note: 'Done', mood: 4 });
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(kim.auth, NODE, { id: recorded.id }));
  });
});

describe('who recorded a check-in', () => {
  it('is named to the member ("you") and clinicians; a peer sees the member\'s display name but only that staff recorded the rest; an integration only the kind', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    const goal = await createGoal(kim, { visibility: 'GROUP' });
    await shareGoals(kim, w.group);
    await checkIn(kim.auth, goal, { recordedAt: new Date(Date.now() - 86400000).toISOString() });
    await checkIn(w.lead.auth, goal);
    const key = await w.clinic.addApiKey(['goals:read'], 'Coach App');
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const Q = `query($id: ID!) { goal(id: $id) { checkIns { recordedBy { kind name role } } } }`;
    const seenBy = async (auth: string) => ok(await gql(auth, Q, { id: goal.gid })).goal.checkIns.map((c: { recordedBy: unknown }) => c.recordedBy);
    const [staffRow] = await ownerQuery(`SELECT name FROM staff_members WHERE id = $1`, [w.lead.id]);
    const clinician = { kind: 'STAFF', name: staffRow.name, role: 'CLINICIAN' };
    expect(await seenBy(kim.auth)).toEqual([clinician, { kind: 'CLIENT', name: 'you', role: null }]);
    expect(await seenBy(lee.auth)).toEqual([{ kind: 'STAFF', name: null, role: null }, { kind: 'CLIENT', name: `${kim.client.givenName} ${kim.client.familyName[0]}.`, role: null }]);
    expect(await seenBy(w.lead.auth)).toEqual([clinician, { kind: 'CLIENT', name: expect.any(String), role: null }]);
    expect(await seenBy(key.auth)).toEqual([{ kind: 'STAFF', name: null, role: null }, { kind: 'CLIENT', name: null, role: null }]);
  });
});

describe('updateGoal', () => {
  it('lets the member and the group\'s clinician change a goal, and leaves other goals as they were', async () => {
    const { lead, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const goal = await createGoal(sam, { measureKind: 'COUNT', target: 3, visibility: 'PRIVATE' });
    const kims = await createGoal(kim);
    const kimsBefore = await goalRow(kims.id);

    const updated = ok(
      await gql(sam.auth, UPDATE_GOAL, { input: { id: goal.gid, title: 'Read 4 chapters', target: 4, visibility: 'GROUP', dueDate: '2099-06-30' } }),
    ).updateGoal.goal;
    expect(updated).toMatchObject({ title: 'Read 4 chapters', visibility: 'GROUP', dueDate: '2099-06-30', measure: { kind: 'COUNT', target: 4 } });
    ok(await gql(lead.auth, UPDATE_GOAL, { input: { id: goal.gid, achievementStatus: 'IMPROVING', lifecycleStatus: 'ON_HOLD' } }));
    const row = await goalRow(goal.id);
    expect(row).toMatchObject({
      title: 'Read 4 chapters',
      target: '4',
      visibility: 'GROUP',
      achievement_status: 'IMPROVING',
      lifecycle_status: 'ON_HOLD',
    });
    expect(row.updated_at.getTime()).toBeGreaterThan(row.created_at.getTime());
    expect(await goalRow(kims.id)).toEqual(kimsBefore);
  });

  it('refuses changes by a peer (FORBIDDEN when shared, NOT_FOUND when not) and invalid targets (BAD_USER_INPUT); nothing changes', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    await shareGoals(kim, group);
    const shared = await createGoal(kim, { visibility: 'GROUP' });
    const hidden = await createGoal(kim, { visibility: 'PRIVATE', measureKind: 'SCALE', target: 5 });
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(sam.auth, UPDATE_GOAL, { input: { id: shared.gid, title: 'Hijacked' } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, UPDATE_GOAL, { input: { id: hidden.gid, title: 'Hijacked' } }));
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.admin.auth, UPDATE_GOAL, { input: { id: hidden.gid, title: 'Hijacked' } }));
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(kim.auth, UPDATE_GOAL, { input: { id: hidden.gid, target: 12 } }));
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(kim.auth, UPDATE_GOAL, { input: { id: hidden.gid, dueDate: '2000-01-01' } }));
  });
});

describe('progress through the API', () => {
  it('reports streaks, completion rate and a suggested status reckoned in the clinic\'s time zone', async () => {
    const timezone = 'America/New_York';
    const { members } = await activeGroup({ members: 1, timezone });
    const sam = members[0];
    const localDate = (offsetDays: number) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + offsetDays * 86_400_000));
    const goal = await createGoal(sam, { startDate: localDate(-10) });
    // A check-in at local noon on each of the ten days before today.
    await ownerQuery(
      `INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, recorded_at, recorded_by_type, recorded_by_id)
       SELECT clinic_id, id, client_id, 1, (date_trunc('day', now() AT TIME ZONE $2) - make_interval(days => d) + interval '12 hours') AT TIME ZONE $2,
              'CLIENT', client_id
         FROM goals, generate_series(1, 10) d WHERE id = $1`,
      [goal.id, timezone],
    );
    const res = await gql(sam.auth, `query($id: ID!, $from: Date!, $to: Date!) { goal(id: $id) {
        currentStreak longestStreak suggestedAchievementStatus window: completionRate(from: $from, to: $to) }}`, {
      id: goal.gid,
      from: localDate(-10),
      to: localDate(-1),
    });
    expect(ok(res).goal).toEqual({ currentStreak: 10, longestStreak: 10, suggestedAchievementStatus: 'SUSTAINING', window: 1 });
  });
});

describe('who reads goals', () => {
  it('refuses admins every read of goals: FORBIDDEN for goals and goal(id:), NOT_FOUND for node(id:)', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const goal = await createGoal(members[0]);
    await checkIn(members[0].auth, goal);
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.admin.auth, GOALS));
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.admin.auth, GOAL, { id: goal.gid }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(clinic.admin.auth, GOAL_NODE, { id: goal.gid }));
    const members_goals = await gql(clinic.admin.auth, `query($id: ID!) { node(id: $id) { ... on Membership { goals { id } } } }`, { id: members[0].membershipGid });
    expect(members_goals.data?.node?.goals ?? []).toEqual([]);
    // No read of the goal was audited for the admin.
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE action = 'READ' AND resource_id = $1 AND actor_id = $2`, [goal.id, clinic.admin.id])).toEqual([]);
  });

  it('lets supervisors and the group\'s clinician read every goal of the group, including PRIVATE ones', async () => {
    const { clinic, lead, members } = await activeGroup({ members: 2 });
    const goals = [await createGoal(members[0], { visibility: 'PRIVATE' }), await createGoal(members[1], { visibility: 'GROUP' })];
    const expected = goals.map((g) => g.gid).sort();
    const listed = async (auth: string) => ok(await gql(auth, GOALS)).goals.edges.map((e: any) => e.node.id).sort();
    expect(await listed(lead.auth)).toEqual(expected);
    expect(await listed(clinic.supervisor.auth)).toEqual(expected);
  });
});
