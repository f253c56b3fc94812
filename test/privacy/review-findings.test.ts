import { gql } from '../support/test-app';
import { ownerQuery } from '../support/factories';
import {
  activeGroup, CHANGE_MEMBERSHIP_STATUS, checkIn, createGoal, grantConsent, memberInTwoGroups, ok, shareGoals,
} from '../goals/goal-fixtures';

/** Regression tests for the leaks a privacy review of the resolvers found (each was reproduced first). */
describe('privacy review findings', () => {
  it('a discharged member\'s shared goals and name disappear for former peers on every path', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, sam] = w.members;
    await shareGoals(sam, w.group);
    const g = await createGoal(sam, { visibility: 'GROUP', lifecycleStatus: 'ACTIVE', title: 'Stay sober 30 days' });
    await checkIn(sam.auth, g);
    const listed = ok(await gql(kim.auth, `query($f: GoalFilter){ goals(filter:$f){ edges { node { title } } } }`, { f: { groupId: w.group.gid } }));
    expect(listed.goals.edges.map((e: { node: { title: string } }) => e.node.title)).toContain('Stay sober 30 days');

    ok(await gql(w.clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: sam.membershipGid, status: 'DISCHARGED', reason: 'clinical decision' } }));
    const after = ok(await gql(kim.auth, `query($f: GoalFilter){ goals(filter:$f){ edges { node { title ownerDisplayName } } } }`, { f: { groupId: w.group.gid } }));
    expect(after.goals.edges).toEqual([]);
    const byId = await gql(kim.auth, `query($id: ID!){ goal(id:$id){ title } }`, { id: g.gid });
    expect(byId.codes).toEqual(['NOT_FOUND']);
    const byNode = await gql(kim.auth, `query($id: ID!){ node(id:$id){ id } }`, { id: g.gid });
    expect(byNode.codes).toEqual(['NOT_FOUND']);
  });

  it('an integration whose consent covers goals but not check-ins gets no streaks or check-in dates either', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const key = await w.clinic.addApiKey(['goals:read'], 'App');
    const g = await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE', title: 'Walk daily' });
    await checkIn(kim.auth, g);
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, dataClasses: ['goals'] });
    const res = ok(await gql(key.auth, `{ goals { edges { node { title checkIns { value } currentStreak longestStreak lastCheckInAt completionRate suggestedAchievementStatus } } } }`));
    expect(res.goals.edges).toEqual([
      { node: { title: 'Walk daily', checkIns: [], currentStreak: null, longestStreak: null, lastCheckInAt: null, completionRate: null, suggestedAchievementStatus: null } },
    ]);
    const ledger = await ownerQuery(`SELECT data_class FROM disclosures WHERE api_key_id = $1`, [key.id]);
    expect(ledger.map((r) => r.data_class)).toEqual(['goals']);
  });

  it('a referred client sees the group\'s name, schedule and agreement, not its location, video link or peers', async () => {
    const w = await activeGroup({ members: 1 });
    ok(await gql(w.clinic.admin.auth, `mutation($input: UpdateGroupInput!){ updateGroup(input:$input){ group { id } } }`, {
      input: { id: w.group.gid, location: 'Room 4, 12 Main St', videoLink: 'https://video.example/secret' },
    }));
    const c = await w.clinic.addClient();
    ok(await gql(w.clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id } } }`, {
      input: { groupId: w.group.gid, clientId: c.gid, initialStatus: 'REFERRED' },
    }));
    const res = ok(await gql(c.auth, `query($id: ID!){ group(id:$id){ name location videoLink agreementText members { edges { node { status } } } } }`, { id: w.group.gid }));
    expect(res.group.name).toBeTruthy();
    expect(res.group.location).toBeNull();
    expect(res.group.videoLink).toBeNull();
    expect(res.group.agreementText).not.toBeNull();
    expect(res.group.members.edges).toEqual([{ node: { status: 'REFERRED' } }]);
  });

  it('a clinician sees a client\'s group-scoped consents only for the groups they facilitate', async () => {
    const w = await memberInTwoGroups();
    const { kim } = w;
    const res = ok(await gql(w.clinic.clinician.auth, `query($id: ID!){ consents(clientId:$id){ edges { node { type group { id } } } } }`, { id: kim.client.gid }));
    const groups = res.consents.edges.map((e: { node: unknown }) => e.node).filter((c: { group: { id: string } | null }) => c.group).map((c: { group: { id: string } }) => c.group.id);
    expect(groups.length).toBeGreaterThan(0);
    expect(new Set(groups)).toEqual(new Set([w.group.gid]));
  });
});
