/**
 * Regression tests for what the session 12 reviews found in what members see of each other:
 * lists ordered by legal names that peers never see. Each failed against the code before its fix.
 */
import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { acceptAgreement, activeGroup, CHANGE_MEMBERSHIP_STATUS, createGoal, END_PARTNERSHIP, enrolNew, grantConsent, ok, partner, PROPOSE, RESPOND, shareGoals, uuidOf } from '../goals/goal-fixtures';
import { createEvent, rsvped } from '../after-group/after-group-fixtures';

describe('lists members see of each other are ordered by the names they see (session 12)', () => {
  it('the accountability board and an event\'s attendees follow display names, not legal ones', async () => {
    const w = await activeGroup({ members: 1 });
    const [viewer] = w.members;
    // Zoe Kim goes by Sam: by legal names she sorts after Tom Kim, by what peers see before him.
    const sam = await enrolNew(w.clinic, w.group, { givenName: 'Zoe', familyName: 'Kim', preferredName: 'Sam' });
    const tom = await enrolNew(w.clinic, w.group, { givenName: 'Tom', familyName: 'Kim' });
    for (const m of [sam, tom]) {
      await acceptAgreement(m, w.group);
      await shareGoals(m, w.group);
    }
    // Tom's goal first, so creation order would not give the answer either.
    await createGoal(tom, { visibility: 'GROUP', title: 'Walk daily' });
    await createGoal(sam, { visibility: 'GROUP', title: 'Read nightly' });
    const board = ok(await gql(viewer.auth, `query($id: ID!) { group(id: $id) { accountabilityBoard { displayName goals { title } } } }`, { id: w.group.gid }));
    expect(board.group.accountabilityBoard).toEqual([
      { displayName: 'Sam K.', goals: [{ title: 'Read nightly' }] },
      { displayName: 'Tom K.', goals: [{ title: 'Walk daily' }] },
    ]);

    const event = await createEvent(w.lead.auth, w.group, { audience: 'MEMBERS', title: 'Bowling night' });
    for (const m of [tom, sam, viewer]) await rsvped(m, event.id, 'GOING');
    const seen = ok(await gql(viewer.auth, `query($id: ID!) { node(id: $id) { ... on GroupEvent { attendees } } }`, { id: event.id }));
    expect(seen.node.attendees).toEqual(['Sam K.', 'Tom K.']);
  });
});

describe('what staff see of members\' sharing decisions (session 12)', () => {
  it('the accountability board shows only goals their owner shares with the group, to staff and partners too', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    await createGoal(kim, { visibility: 'GROUP', title: 'Kim withholds this' });
    await shareGoals(lee, w.group);
    await createGoal(lee, { visibility: 'GROUP', title: 'Lee shares this' });
    await partner(kim, lee);
    const board = async (auth: string) =>
      ok(await gql(auth, `query($id: ID!) { group(id: $id) { accountabilityBoard { displayName goals { title } } } }`, { id: w.group.gid })).group.accountabilityBoard
        .flatMap((e: any) => e.goals.map((g: any) => g.title));
    for (const auth of [w.lead.auth, w.clinic.supervisor.auth, kim.auth]) expect(await board(auth)).toEqual(['Lee shares this']);
    // Lee, Kim's partner, sees no one else's on the board (his own are not listed to him).
    expect(await board(lee.auth)).toEqual([]);
    // Kim's partner still sees her goal where partners do: on the goal itself, not on the board.
    const kimsGoals = ok(await gql(lee.auth, `{ goals(first: 20) { edges { node { title } } } }`)).goals.edges.map((e: any) => e.node.title);
    expect(kimsGoals).toContain('Kim withholds this');
  });

  it('a clinician sees a member\'s clinic-wide consents and their groups\', not those naming a partner app', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const key = await w.clinic.addApiKey(['goals:read'], 'Coach App');
    const pds = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const sharing = await shareGoals(kim, w.group);
    const CONSENTS = `query($id: ID!) { consents(clientId: $id, first: 50) { edges { node { id type } } } }`;
    const listed = async (auth: string) => ok(await gql(auth, CONSENTS, { id: kim.client.gid })).consents.edges.map((e: any) => e.node.id);
    expect(await listed(w.lead.auth)).toEqual(expect.arrayContaining([sharing.gid]));
    expect(await listed(w.lead.auth)).not.toContain(pds.gid);
    const byNode = await gql(w.lead.auth, `query($id: ID!) { node(id: $id) { id } }`, { id: pds.gid });
    expect(byNode.errors?.[0]?.extensions?.code ?? (byNode.data?.node === null ? 'NULL' : 'SHOWN')).toMatch(/NOT_FOUND|NULL/);
    expect(await listed(w.clinic.supervisor.auth)).toEqual(expect.arrayContaining([sharing.gid, pds.gid]));
  });
});

describe('a partnership proposal waits for its partner\'s group agreement (session 12)', () => {
  it('is held from a member who has not accepted the agreement, by every path, and shows once they have', async () => {
    const w = await activeGroup({ members: 2, accept: false });
    const [kim, lee] = w.members;
    await acceptAgreement(kim, w.group);
    const proposal = ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } })).proposePartnership.partnership;
    const COMPILED = `{ myPartnerships { id status partnerDisplayName proposerDisplayName } }`;
    const RESOLVED = `{ myPartnerships { id status respondedAt proposerDisplayName } }`;
    for (const q of [COMPILED, RESOLVED]) expect(ok(await gql(lee.auth, q)).myPartnerships).toEqual([]);
    const missing = await gql(lee.auth, RESPOND, { input: { partnershipId: toGlobalId('AccountabilityPartnership', randomUUID()), accept: true } });
    const refused = await gql(lee.auth, RESPOND, { input: { partnershipId: proposal.id, accept: true } });
    expectError(refused, 'NOT_FOUND');
    expect(refused.errors![0].message).toBe(missing.errors![0].message);
    expect((await ownerQuery(`SELECT status FROM accountability_partnerships WHERE id = $1`, [uuidOf(proposal.id)]))[0].status).toBe('PROPOSED');
    // Kim sees her proposal pending, and her look is recorded about her alone (Lee has been shown nothing).
    const seen = await gql(kim.auth, COMPILED);
    expect(ok(seen).myPartnerships.map((p: any) => p.status)).toEqual(['PROPOSED']);
    expect(await ownerQuery(`SELECT subject_client_id FROM audit_events WHERE request_id = $1 AND resource_type = 'AccountabilityPartnership'`, [seen.body.extensions!.requestId]))
      .toEqual([{ subject_client_id: kim.client.id }]);

    // Lee accepts the agreement: the proposal shows, by both paths, and can be accepted.
    await acceptAgreement(lee, w.group);
    for (const q of [COMPILED, RESOLVED]) expect(ok(await gql(lee.auth, q)).myPartnerships.map((p: any) => p.id)).toEqual([proposal.id]);
    expect(ok(await gql(lee.auth, RESPOND, { input: { partnershipId: proposal.id, accept: true } })).respondToPartnership.partnership.status).toBe('ACTIVE');
  });

  it('stays held for good once ended unanswered: withdrawn by its proposer, or ended with a membership, it never reaches the partner', async () => {
    const w = await activeGroup({ members: 3, accept: false });
    const [kim, lee, sam] = w.members;
    await acceptAgreement(kim, w.group);
    const NODE = `query($id: ID!) { node(id: $id) { id ... on AccountabilityPartnership { status proposerDisplayName } } }`;
    const propose = async (to: typeof lee) => ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: to.membershipGid } })).proposePartnership.partnership;
    const toLee = await propose(lee);
    const toSam = await propose(sam);
    expectError(await gql(lee.auth, NODE, { id: toLee.id }), 'NOT_FOUND');
    // Kim withdraws hers to Lee; Kim's membership ends, ending the one to Sam.
    const withdrawn = await gql(kim.auth, END_PARTNERSHIP, { input: { partnershipId: toLee.id, reason: 'Changed my mind' } });
    expect(ok(withdrawn).endPartnership.partnership.status).toBe('ENDED');
    const discharged = await gql(w.lead.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: kim.membershipGid, status: 'WITHDRAWN', reason: 'Moved away' } });
    ok(discharged);
    for (const [member, id] of [[lee, toLee.id], [sam, toSam.id]] as const) {
      for (const q of [`{ myPartnerships { id status partnerDisplayName proposerDisplayName } }`, `{ myPartnerships { id endReason } }`]) {
        expect(ok(await gql(member.auth, q)).myPartnerships).toEqual([]);
      }
      expectError(await gql(member.auth, NODE, { id }), 'NOT_FOUND');
    }
    // The endings are recorded about Kim alone.
    for (const res of [withdrawn, discharged]) {
      const subjects = await ownerQuery<{ s: string }>(
        `SELECT DISTINCT subject_client_id AS s FROM audit_events WHERE request_id = $1 AND resource_type = 'AccountabilityPartnership'`,
        [res.body.extensions!.requestId],
      );
      expect(subjects).toEqual([{ s: kim.client.id }]);
    }
    // Held for good: Lee accepting the agreement later does not bring it, its message or its end reason, to him.
    await acceptAgreement(lee, w.group);
    expect(ok(await gql(lee.auth, `{ myPartnerships { id } }`)).myPartnerships).toEqual([]);
    expectError(await gql(lee.auth, NODE, { id: toLee.id }), 'NOT_FOUND');
  });

  it('one the partner saw stays theirs when their own membership ends it', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    const proposal = ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } })).proposePartnership.partnership;
    expect(ok(await gql(lee.auth, `{ myPartnerships { id } }`)).myPartnerships.map((p: any) => p.id)).toEqual([proposal.id]);
    const completed = await gql(w.lead.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: lee.membershipGid, status: 'COMPLETED', reason: 'Finished' } });
    ok(completed);
    expect(ok(await gql(lee.auth, `{ myPartnerships { id status } }`)).myPartnerships).toEqual([{ id: proposal.id, status: 'ENDED' }]);
    const subjects = await ownerQuery<{ s: string }>(
      `SELECT DISTINCT subject_client_id AS s FROM audit_events WHERE request_id = $1 AND resource_type = 'AccountabilityPartnership' ORDER BY 1`,
      [completed.body.extensions!.requestId],
    );
    expect(subjects.map((r) => r.s).sort()).toEqual([kim.client.id, lee.client.id].sort());
  });
});

describe('a closed episode takes no check-ins, whatever was read before (session 12)', () => {
  it('refuses a check-in after a discharge earlier in the same document: CONFLICT, and the document writes nothing', async () => {
    const w = await activeGroup({ members: 1 });
    const [kim] = w.members;
    const goal = await createGoal(kim, { visibility: 'PRIVATE' });
    const doc = `mutation($goal: ID!, $m: ID!) {
      a: recordCheckIn(input: { goalId: $goal, value: 1 }) { checkIn { id } }
      b: changeMembershipStatus(input: { membershipId: $m, status: DISCHARGED, reason: "Discharged" }) { membership { status } }
      c: recordCheckIn(input: { goalId: $goal, value: 1 }) { checkIn { id } } }`;
    const res = await gql(w.lead.auth, doc, { goal: goal.gid, m: kim.membershipGid });
    expect(res.errors!.map((e: any) => [e.extensions.code, e.path.join('.')])).toEqual([['CONFLICT', 'c']]);
    expect(res.data).toBeNull();
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM goal_check_ins WHERE goal_id = $1`, [goal.id])).toEqual([{ n: 0 }]);
    expect((await ownerQuery(`SELECT status FROM memberships WHERE id = $1`, [kim.membershipId]))[0].status).toBe('ACTIVE');
  });
});
