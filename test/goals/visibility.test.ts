/**
 * Who sees a member's goal, by every path a client can take: the `goals` list, `goal(id:)`,
 * `node(id:)`, the roster's `group.members.goals` and the group's accountability board.
 */
import { ownerQuery } from '../support/factories';
import { gql } from '../support/test-app';
import {
  activeGroup,
  agreementConsentOf,
  BOARD,
  CHANGE_MEMBERSHIP_STATUS,
  checkIn,
  createGoal,
  END_PARTNERSHIP,
  GOAL,
  GOAL_NODE,
  GoalRef,
  GroupRef,
  listedGoalIds,
  MEMBERS_GOALS,
  ok,
  partner,
  revokeConsent,
  shareGoals,
  UPDATE_GOAL,
} from './goal-fixtures';

interface Paths {
  list: boolean;
  filtered: boolean;
  byId: boolean;
  node: boolean;
  roster: boolean;
  board: boolean;
}

/** Through which paths `auth` sees `goal` (of a member of `group`). */
async function pathsTo(auth: string, goal: GoalRef, group: GroupRef): Promise<Paths> {
  const byId = await gql(auth, GOAL, { id: goal.gid });
  const node = await gql(auth, GOAL_NODE, { id: goal.gid });
  for (const res of [byId, node]) if (res.errors) expect(res.codes).toEqual(['NOT_FOUND']);
  const roster = await gql(auth, MEMBERS_GOALS, { id: group.gid });
  const board = await gql(auth, BOARD, { id: group.gid });
  const rosterGoals = ((roster.data?.group?.members?.edges ?? []) as any[]).flatMap((e) => (e.node.goals ?? []).map((g: any) => g.id));
  const boardGoals = ((board.data?.group?.accountabilityBoard ?? []) as any[]).flatMap((e) => e.goals.map((g: any) => g.id));
  return {
    list: (await listedGoalIds(auth)).includes(goal.gid),
    filtered: (await listedGoalIds(auth, { groupId: group.gid, visibility: ['PRIVATE', 'PARTNERS', 'GROUP'] })).includes(goal.gid),
    byId: byId.data?.goal?.id === goal.gid,
    node: node.data?.node?.id === goal.gid,
    roster: rosterGoals.includes(goal.gid),
    board: boardGoals.includes(goal.gid),
  };
}

const NOWHERE: Paths = { list: false, filtered: false, byId: false, node: false, roster: false, board: false };
const EVERYWHERE: Paths = { list: true, filtered: true, byId: true, node: true, roster: true, board: true };
/** PARTNERS goals are never on the board (it shows GROUP goals only). */
const EVERYWHERE_BUT_BOARD: Paths = { ...EVERYWHERE, board: false };

/**
 * Kim owns a PRIVATE, a PARTNERS and a GROUP goal, each with a check-in carrying a note and a
 * mood, and shares goals with the group (GOAL_SHARING). Lee is Kim's accountability partner;
 * Sam is a peer; everyone has accepted the agreement.
 */
async function world() {
  const w = await activeGroup({ members: 3 });
  const [kim, lee, sam] = w.members;
  const sharing = await shareGoals(kim, w.group);
  const privateGoal = await createGoal(kim, { visibility: 'PRIVATE', title: 'Private: cut down drinking' });
  const partnersGoal = await createGoal(kim, { visibility: 'PARTNERS', title: 'Partners: call my mother' });
  const groupGoal = await createGoal(kim, { visibility: 'GROUP', title: 'Group: walk daily' });
  for (const g of [privateGoal, partnersGoal, groupGoal]) await checkIn(kim.auth, g, { note: `note on ${g.title}`, mood: 2 });
  const partnership = await partner(kim, lee);
  return { ...w, kim, lee, sam, sharing, privateGoal, partnersGoal, groupGoal, partnership };
}

describe('PRIVATE goals', () => {
  it('are invisible to peers and partners by every path', async () => {
    const { group, lee, sam, privateGoal } = await world();
    expect(await pathsTo(sam.auth, privateGoal, group)).toEqual(NOWHERE);
    expect(await pathsTo(lee.auth, privateGoal, group)).toEqual(NOWHERE);
    // No read of it was audited for either of them.
    const readers = (await ownerQuery(`SELECT actor_id FROM audit_events WHERE action = 'READ' AND resource_id = $1`, [privateGoal.id])).map((r) => r.actor_id);
    expect(readers).not.toContain(sam.client.id);
    expect(readers).not.toContain(lee.client.id);
  });

  it('are visible to their owner and the group\'s clinicians', async () => {
    const { group, kim, lead, clinic, privateGoal } = await world();
    expect(await pathsTo(kim.auth, privateGoal, group)).toMatchObject({ list: true, byId: true, node: true, roster: true });
    expect(await pathsTo(lead.auth, privateGoal, group)).toMatchObject({ list: true, byId: true, node: true, roster: true, board: false });
    expect(await pathsTo(clinic.supervisor.auth, privateGoal, group)).toMatchObject({ list: true, byId: true, node: true, roster: true });
  });
});

describe('GROUP goals', () => {
  it('are visible to peers by every path while the owner holds GOAL_SHARING, and gone on the next request after revocation', async () => {
    const { group, kim, sam, sharing, groupGoal } = await world();
    expect(await pathsTo(sam.auth, groupGoal, group)).toEqual(EVERYWHERE);
    await revokeConsent(kim.auth, sharing);
    expect(await pathsTo(sam.auth, groupGoal, group)).toEqual(NOWHERE);
  });

  it('are not shown to a peer on hold, so the owner\'s access report never names them reading while missing from the roster (session 15)', async () => {
    // Before: a member on hold kept reading peers' GROUP goals, and each read named them in the
    // owner's access report, while the owner's roster no longer showed them: their hold, told.
    const { clinic, group, kim, lee, sam, groupGoal } = await world();
    expect(await pathsTo(sam.auth, groupGoal, group)).toEqual(EVERYWHERE);
    ok(await gql(clinic.clinician.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: sam.membershipGid, status: 'ON_HOLD', reason: 'Medical leave' } }));
    const [{ since }] = await ownerQuery(`SELECT clock_timestamp() AS since`);

    expect(await pathsTo(sam.auth, groupGoal, group)).toEqual(NOWHERE);
    // Neither a read nor a refused look (goal(id:), node(id:)) is recorded about Kim; the refusals
    // are recorded about Sam himself.
    const aboutKim = await ownerQuery(`SELECT action FROM audit_events WHERE occurred_at > $1 AND actor_id = $2 AND subject_client_id = $3`, [since, sam.client.id, kim.client.id]);
    expect(aboutKim).toEqual([]);
    const refusals = await ownerQuery(
      `SELECT resource_id, subject_client_id FROM audit_events WHERE occurred_at > $1 AND actor_id = $2 AND action = 'DENIED'`,
      [since, sam.client.id],
    );
    expect(refusals).toEqual([1, 2].map(() => ({ resource_id: groupGoal.id, subject_client_id: sam.client.id })));
    // Sam still sees the group's names (the roster lists Kim), and Kim's partner still sees her goal.
    const names = ok(await gql(sam.auth, MEMBERS_GOALS, { id: group.gid })).group.members.edges.map((e: any) => e.node);
    expect(names).toEqual(expect.arrayContaining([expect.objectContaining({ id: kim.membershipGid, goals: [] })]));
    expect((await pathsTo(lee.auth, groupGoal, group)).byId).toBe(true);

    ok(await gql(clinic.clinician.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: sam.membershipGid, status: 'ACTIVE', reason: 'Back' } }));
    expect(await pathsTo(sam.auth, groupGoal, group)).toEqual(EVERYWHERE);
  });

  it('disappear from peers on the next request when the owner makes them PRIVATE', async () => {
    const { group, kim, sam, lee, groupGoal } = await world();
    ok(await gql(kim.auth, UPDATE_GOAL, { input: { id: groupGoal.gid, visibility: 'PRIVATE' } }));
    expect(await pathsTo(sam.auth, groupGoal, group)).toEqual(NOWHERE);
    expect(await pathsTo(lee.auth, groupGoal, group)).toEqual(NOWHERE);
  });

  it('are not visible to members of another group or another clinic, even while shared', async () => {
    const { clinic, group, groupGoal } = await world();
    const otherGroup = await activeGroup({ clinic, members: 1 });
    const otherClinic = await activeGroup({ members: 1 });
    for (const auth of [otherGroup.members[0].auth, otherClinic.members[0].auth]) {
      const paths = await pathsTo(auth, groupGoal, group);
      expect(paths).toEqual(NOWHERE);
    }
  });

  it('are hidden from peers while PROPOSED or CANCELLED, and shown while ACTIVE, ON_HOLD or COMPLETED', async () => {
    const { group, kim, sam, groupGoal } = await world();
    const proposed = await createGoal(kim, { visibility: 'GROUP', lifecycleStatus: 'PROPOSED' });
    expect(await pathsTo(sam.auth, proposed, group)).toEqual(NOWHERE);
    for (const [status, seen] of [['ON_HOLD', true], ['CANCELLED', false], ['COMPLETED', true]] as const) {
      ok(await gql(kim.auth, UPDATE_GOAL, { input: { id: groupGoal.gid, lifecycleStatus: status } }));
      expect((await pathsTo(sam.auth, groupGoal, group)).byId).toBe(seen);
    }
  });

  it('are hidden from a peer whose own agreement consent is revoked', async () => {
    const { group, sam, groupGoal } = await world();
    await revokeConsent(sam.auth, await agreementConsentOf(sam, group));
    expect(await pathsTo(sam.auth, groupGoal, group)).toEqual(NOWHERE);
  });
});

describe('PARTNERS goals', () => {
  it('are visible to an active partner only', async () => {
    const { group, lee, sam, partnersGoal } = await world();
    expect(await pathsTo(lee.auth, partnersGoal, group)).toEqual(EVERYWHERE_BUT_BOARD);
    // Sam is a peer under Kim's GOAL_SHARING, but not a partner.
    expect(await pathsTo(sam.auth, partnersGoal, group)).toEqual(NOWHERE);
  });

  it('stop being visible to the partner when the partnership ends', async () => {
    const { group, lee, partnersGoal, partnership } = await world();
    expect((await pathsTo(lee.auth, partnersGoal, group)).byId).toBe(true);
    const ended = ok(await gql(lee.auth, END_PARTNERSHIP, { input: { partnershipId: partnership.gid, reason: 'Taking a break' } })).endPartnership.partnership;
    expect(ended.status).toBe('ENDED');
    expect(await pathsTo(lee.auth, partnersGoal, group)).toEqual(NOWHERE);
    const [row] = await ownerQuery(`SELECT status, end_reason, ended_at FROM accountability_partnerships WHERE id = $1`, [partnership.id]);
    expect(row).toMatchObject({ status: 'ENDED', end_reason: 'Taking a break' });
  });

  it('stop being visible when a partner\'s membership ends (WITHDRAWN ends the partnership automatically)', async () => {
    const { clinic, group, kim, lee, sam, partnersGoal, partnership } = await world();
    // A second partnership that does not involve the ending membership stays as it is.
    const bystander = await partner(sam, lee);
    expect((await pathsTo(lee.auth, partnersGoal, group)).byId).toBe(true);

    const res = await gql(clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: kim.membershipGid, status: 'WITHDRAWN', reason: 'Moved away' } });
    expect(ok(res).changeMembershipStatus.membership.status).toBe('WITHDRAWN');
    const rows = await ownerQuery(`SELECT id, status, end_reason FROM accountability_partnerships WHERE id = ANY($1) ORDER BY id`, [[partnership.id, bystander.id]]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [partnership.id]: 'ENDED', [bystander.id]: 'ACTIVE' });
    expect(await listedGoalIds(lee.auth)).not.toContain(partnersGoal.gid);
    expect((await pathsTo(lee.auth, partnersGoal, group)).byId).toBe(false);
  });
});

describe('check-in details', () => {
  const CHECK_INS = `query($id: ID!) { goal(id: $id) { checkIns { value note mood } } }`;
  const checkInsAs = async (auth: string, goal: GoalRef) => ok(await gql(auth, CHECK_INS, { id: goal.gid })).goal.checkIns;

  it('show notes to the owner, clinicians and partners; moods to the owner and clinicians only', async () => {
    const { clinic, group, lead, kim, lee, sam, groupGoal, partnersGoal } = await world();
    const full = [{ value: 1, note: `note on ${groupGoal.title}`, mood: 2 }];
    expect(await checkInsAs(kim.auth, groupGoal)).toEqual(full);
    expect(await checkInsAs(lead.auth, groupGoal)).toEqual(full);
    expect(await checkInsAs(clinic.supervisor.auth, groupGoal)).toEqual(full);
    // A partner sees the note but not the mood.
    expect(await checkInsAs(lee.auth, groupGoal)).toEqual([{ value: 1, note: `note on ${groupGoal.title}`, mood: null }]);
    expect(await checkInsAs(lee.auth, partnersGoal)).toEqual([{ value: 1, note: `note on ${partnersGoal.title}`, mood: null }]);
    // A peer sees neither.
    expect(await checkInsAs(sam.auth, groupGoal)).toEqual([{ value: 1, note: null, mood: null }]);
    // Not through the board either.
    const board = ok(await gql(sam.auth, `query($id: ID!) { group(id: $id) { accountabilityBoard { goals { checkIns { note mood } } } } }`, { id: group.gid }));
    expect(board.group.accountabilityBoard.flatMap((e: any) => e.goals.flatMap((g: any) => g.checkIns))).toEqual([{ note: null, mood: null }]);
  });
});

describe('clinicians', () => {
  it('of the group always see their members\' goals, shared or not, consented or not', async () => {
    const { group, lead, kim, sharing, privateGoal, partnersGoal, groupGoal } = await world();
    await revokeConsent(kim.auth, sharing);
    for (const g of [privateGoal, partnersGoal, groupGoal]) {
      expect(await pathsTo(lead.auth, g, group)).toMatchObject({ list: true, filtered: true, byId: true, node: true, roster: true });
    }
    // The board, which may be shown to the room, holds only goals their owner shares (session 12): not this one, now.
    expect((await pathsTo(lead.auth, groupGoal, group)).board).toBe(false);
  });

  it('of another group do not see them by any path', async () => {
    const { clinic, group, privateGoal, partnersGoal, groupGoal } = await world();
    const otherClinician = await clinic.addStaff('CLINICIAN');
    await activeGroup({ clinic, members: 1, lead: otherClinician });
    for (const g of [privateGoal, partnersGoal, groupGoal]) expect(await pathsTo(otherClinician.auth, g, group)).toEqual(NOWHERE);
  });
});
