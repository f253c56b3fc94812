import { toGlobalId } from '../../src/common/global-id';
import { ownerQuery } from '../support/factories';
import { gql } from '../support/test-app';
import {
  activeGroup,
  CHANGE_MEMBERSHIP_STATUS,
  checkIn,
  createGoal,
  END_PARTNERSHIP,
  expectRefused,
  GOAL_NODE,
  grantConsent,
  Member,
  ok,
  partner,
  PROPOSE,
  RESPOND,
  shareGoals,
  uuidOf,
} from './goal-fixtures';

const MY_PARTNERSHIPS = `{ myPartnerships { id status proposerDisplayName partnerDisplayName } }`;
const SEND = `mutation($input: SendEncouragementInput!) { sendEncouragement(input: $input) { encouragement { id senderDisplayName message goalTitle sentAt } } }`;
const MY_ENCOURAGEMENTS = `query($first: Int! = 100, $after: String) {
  myEncouragements(first: $first, after: $after) { edges { cursor node { id senderDisplayName message goalTitle } } pageInfo { hasNextPage endCursor } }
}`;
/** The encouragements of a `myEncouragements` answer, as a list. */
const inboxOf = (data: any) => data.myEncouragements.edges.map((e: { node: unknown }) => e.node);
const MUTE = `mutation($input: MuteSenderInput!) { muteEncouragementSender(input: $input) { muted } }`;

const partnershipRows = (clinicId: string) =>
  ownerQuery(`SELECT * FROM accountability_partnerships WHERE clinic_id = $1 ORDER BY created_at, id`, [clinicId]);
const displayName = (m: Member) => `${m.client.givenName} ${m.client.familyName[0]}.`;
const fromGid = (gid: string) => Buffer.from(gid, 'base64url').toString().split(':')[1];
const propose = (from: Member, to: Member) => gql(from.auth, PROPOSE, { input: { partnerMembershipId: to.membershipGid, message: 'Keep each other honest?' } });

describe('partnerships', () => {
  it('a proposal waits for a status change that locked the group first, and is then refused; never a deadlock (session 14)', async () => {
    // Before: the proposal share-locked both memberships, then its insert's check of the group key
    // waited on the status change's group lock, while the status change waited on those memberships.
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [kim, lee] = members;
    const { Client } = await import('pg');
    const { testEnv } = await import('../support/test-env');
    const { waitForLockWaiters } = await import('../sync/sync-fixtures');
    const holder = new Client({ connectionString: testEnv().ownerUrl, application_name: 'kinship-test-owner' });
    await holder.connect();
    let proposed: Awaited<ReturnType<typeof propose>>;
    try {
      await holder.query('BEGIN');
      // As changeMembershipStatus does: the group first, then the membership.
      await holder.query(`SELECT 1 FROM therapy_groups WHERE id = $1 FOR UPDATE`, [group.id]);
      const pending = propose(kim, lee);
      await waitForLockWaiters(1);
      await holder.query(`UPDATE memberships SET status = 'COMPLETED', period_end = current_date WHERE id = $1`, [kim.membershipId]);
      await holder.query('COMMIT');
      proposed = await pending;
    } finally {
      await holder.end();
    }
    expect(proposed.errors?.[0]?.extensions).toEqual({ code: 'CONFLICT', reason: 'MEMBERSHIP_NOT_ACTIVE' });
    expect(proposed.data).toBeNull();
    expect(await partnershipRows(clinic.id)).toEqual([]);
  });

  it('become ACTIVE when the member asked accepts: propose → accept', async () => {
    const { clinic, group, members } = await activeGroup({ members: 3 });
    const [kim, lee, sam] = members;
    const proposed = ok(await propose(kim, lee)).proposePartnership.partnership;
    expect(proposed).toMatchObject({ status: 'PROPOSED', proposerDisplayName: displayName(kim), partnerDisplayName: displayName(lee) });
    expect(await partnershipRows(clinic.id)).toEqual([
      expect.objectContaining({
        id: uuidOf(proposed.id),
        group_id: group.id,
        proposer_membership_id: kim.membershipId,
        partner_membership_id: lee.membershipId,
        status: 'PROPOSED',
        message: 'Keep each other honest?',
        responded_at: null,
      }),
    ]);

    const accepted = ok(await gql(lee.auth, RESPOND, { input: { partnershipId: proposed.id, accept: true } })).respondToPartnership.partnership;
    expect(accepted.status).toBe('ACTIVE');
    const [row] = await partnershipRows(clinic.id);
    expect(row).toMatchObject({ status: 'ACTIVE' });
    expect(row.responded_at).toBeInstanceOf(Date);

    // Both see it; Sam, who is not in it, sees none.
    for (const m of [kim, lee]) expect(ok(await gql(m.auth, MY_PARTNERSHIPS)).myPartnerships).toEqual([expect.objectContaining({ id: proposed.id, status: 'ACTIVE' })]);
    expect(ok(await gql(sam.auth, MY_PARTNERSHIPS)).myPartnerships).toEqual([]);
  });

  it('a declined proposer waits 30 days to ask the same member again (CONFLICT RECENTLY_DECLINED, nothing stored); the one who declined may ask at once (session 15)', async () => {
    // Before: a member still in the group (no connection to block through) could be asked again and again.
    const { clinic, members } = await activeGroup({ members: 3 });
    const [kim, lee, sam] = members;
    const proposed = ok(await propose(kim, lee)).proposePartnership.partnership;
    ok(await gql(lee.auth, RESPOND, { input: { partnershipId: proposed.id, accept: false } }));
    const refused = await expectRefused('CONFLICT', [clinic.id], () => propose(kim, lee));
    const [{ responded_at }] = await ownerQuery(`SELECT responded_at FROM accountability_partnerships WHERE id = $1`, [fromGid(proposed.id)]);
    const until = new Date(responded_at.getTime() + 30 * 86_400_000).toISOString();
    expect(refused.errors![0].extensions).toMatchObject({ reason: 'RECENTLY_DECLINED', retryAfter: until });
    // Kim may ask someone else; a month on, Lee again.
    expect(ok(await propose(kim, sam)).proposePartnership.partnership.status).toBe('PROPOSED');
    await ownerQuery(`UPDATE accountability_partnerships SET responded_at = responded_at - interval '31 days', created_at = created_at - interval '31 days' WHERE id = $1`, [fromGid(proposed.id)]);
    expect(ok(await propose(kim, lee)).proposePartnership.partnership.status).toBe('PROPOSED');
  });

  it('tells each member which side they are on (direction), so an app knows whose proposal it is to answer; staff see none (session 15)', async () => {
    const { lead, members } = await activeGroup({ members: 2 });
    const [kim, lee] = members;
    const proposed = ok(await propose(kim, lee)).proposePartnership.partnership;
    const Q = `{ myPartnerships { status direction } }`;
    expect(ok(await gql(kim.auth, Q)).myPartnerships).toEqual([{ status: 'PROPOSED', direction: 'SENT' }]);
    expect(ok(await gql(lee.auth, Q)).myPartnerships).toEqual([{ status: 'PROPOSED', direction: 'RECEIVED' }]);
    const staff = ok(await gql(lead.auth, `query($id: ID!) { node(id: $id) { id ... on AccountabilityPartnership { direction } } }`, { id: proposed.id }));
    expect(staff.node).toEqual({ id: proposed.id, direction: null });
  });

  it('can be declined, after which the member who declined may ask at once', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    const [kim, lee] = members;
    const proposed = ok(await propose(kim, lee)).proposePartnership.partnership;
    expect(ok(await gql(lee.auth, RESPOND, { input: { partnershipId: proposed.id, accept: false } })).respondToPartnership.partnership.status).toBe('DECLINED');
    const again = ok(await propose(lee, kim)).proposePartnership.partnership;
    expect(again.status).toBe('PROPOSED');
    expect((await partnershipRows(clinic.id)).map((r) => r.status)).toEqual(['DECLINED', 'PROPOSED']);
  });

  it('refuses partnering with oneself: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => propose(members[0], members[0]));
    expect(await partnershipRows(clinic.id)).toEqual([]);
  });

  it('refuses a member of another group or another clinic: NOT_FOUND, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const otherGroup = await activeGroup({ clinic, members: 1 });
    const otherClinic = await activeGroup({ members: 1 });
    await expectRefused('NOT_FOUND', [clinic.id], () => propose(members[0], otherGroup.members[0]));
    await expectRefused('NOT_FOUND', [clinic.id, otherClinic.clinic.id], () => propose(members[0], otherClinic.members[0]));
    expect(await partnershipRows(clinic.id)).toEqual([]);
  });

  it('refuses a member who has not accepted the agreement (sees no peers): NOT_FOUND, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 2, accept: false });
    await expectRefused('NOT_FOUND', [clinic.id], () => propose(members[0], members[1]));
  });

  it('refuses a second open request between the same pair, in either direction: CONFLICT, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    const [kim, lee] = members;
    const first = ok(await propose(kim, lee)).proposePartnership.partnership;
    await expectRefused('CONFLICT', [clinic.id], () => propose(kim, lee));
    await expectRefused('CONFLICT', [clinic.id], () => propose(lee, kim));
    ok(await gql(lee.auth, RESPOND, { input: { partnershipId: first.id, accept: true } }));
    await expectRefused('CONFLICT', [clinic.id], () => propose(kim, lee));
    await expectRefused('CONFLICT', [clinic.id], () => propose(lee, kim));
    expect((await partnershipRows(clinic.id)).map((r) => r.status)).toEqual(['ACTIVE']);
  });

  it('lets only the member asked respond: FORBIDDEN for the proposer and staff, NOT_FOUND for anyone else; nothing changes', async () => {
    const { clinic, members } = await activeGroup({ members: 3 });
    const [kim, lee, sam] = members;
    const proposed = ok(await propose(kim, lee)).proposePartnership.partnership;
    const input = { partnershipId: proposed.id, accept: true };
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(kim.auth, RESPOND, { input }));
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.clinician.auth, RESPOND, { input }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, RESPOND, { input }));
    expect((await partnershipRows(clinic.id)).map((r) => r.status)).toEqual(['PROPOSED']);
  });

  it('answers a second response to the same proposal with CONFLICT, and keeps the first answer', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    const [kim, lee] = members;
    const proposed = ok(await propose(kim, lee)).proposePartnership.partnership;
    ok(await gql(lee.auth, RESPOND, { input: { partnershipId: proposed.id, accept: false } }));
    const [declined] = await partnershipRows(clinic.id);
    await expectRefused('CONFLICT', [clinic.id], () => gql(lee.auth, RESPOND, { input: { partnershipId: proposed.id, accept: true } }));
    expect(await partnershipRows(clinic.id)).toEqual([declined]);
  });

  it('ends at either member\'s request, once: ending again is a CONFLICT', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    const [kim, lee] = members;
    const p = await partner(kim, lee);
    const ended = ok(await gql(kim.auth, END_PARTNERSHIP, { input: { partnershipId: p.gid } })).endPartnership.partnership;
    expect(ended).toMatchObject({ status: 'ENDED', endReason: 'Ended by a member' });
    const [row] = await partnershipRows(clinic.id);
    expect(row).toMatchObject({ status: 'ENDED', end_reason: 'Ended by a member' });
    await expectRefused('CONFLICT', [clinic.id], () => gql(lee.auth, END_PARTNERSHIP, { input: { partnershipId: p.gid } }));
    expect(await partnershipRows(clinic.id)).toEqual([row]);
  });
});

const PARTNER_GOALS = `{ myPartnerships { status partnerGoals { id title visibility ownerDisplayName } } }`;
const goalReads = (requestId: string) =>
  ownerQuery(`SELECT resource_id FROM audit_events WHERE request_id = $1 AND action = 'READ' AND resource_type = 'Goal' ORDER BY 1`, [requestId]).then((r) => r.map((x) => x.resource_id));

describe('partnerGoals', () => {
  it('shows each member the other\'s PARTNERS and GROUP goals while ACTIVE, never PRIVATE or proposed ones; each shown goal is audited', async () => {
    const { clinic, members } = await activeGroup({ members: 3 });
    const [kim, lee, sam] = members;
    const shared = await createGoal(lee, { visibility: 'PARTNERS' });
    const group = await createGoal(lee, { visibility: 'GROUP' });
    await createGoal(lee, { visibility: 'PRIVATE' });
    const proposedGoal = await createGoal(lee, { visibility: 'PARTNERS' }, clinic.clinician.auth);
    await ownerQuery(`UPDATE goals SET lifecycle_status = 'PROPOSED' WHERE id = $1`, [proposedGoal.id]);
    const samsGoal = await createGoal(sam, { visibility: 'PARTNERS' });
    const kimsGoal = await createGoal(kim, { visibility: 'PARTNERS' });

    // Proposed, not yet accepted: only what a peer may see (Lee shares nothing under GOAL_SHARING).
    const proposed = ok(await propose(kim, lee)).proposePartnership.partnership;
    expect(ok(await gql(kim.auth, PARTNER_GOALS)).myPartnerships).toEqual([{ status: 'PROPOSED', partnerGoals: [] }]);

    await gql(lee.auth, RESPOND, { input: { partnershipId: proposed.id, accept: true } });
    const res = await gql(kim.auth, PARTNER_GOALS);
    expect(ok(res).myPartnerships).toEqual([
      {
        status: 'ACTIVE',
        partnerGoals: [
          { id: shared.gid, title: shared.title, visibility: 'PARTNERS', ownerDisplayName: displayName(lee) },
          { id: group.gid, title: group.title, visibility: 'GROUP', ownerDisplayName: displayName(lee) },
        ],
      },
    ]);
    expect(await goalReads(res.body.extensions!.requestId)).toEqual([shared.id, group.id].sort());
    // Lee, the member asked, sees Kim's side; Sam's goals reach neither.
    expect(ok(await gql(lee.auth, PARTNER_GOALS)).myPartnerships[0].partnerGoals.map((g: any) => g.id)).toEqual([kimsGoal.gid]);
    expect(JSON.stringify(ok(await gql(kim.auth, PARTNER_GOALS)))).not.toContain(samsGoal.gid);

    // Ended: Lee's PARTNERS goal is Kim's no longer.
    await gql(kim.auth, END_PARTNERSHIP, { input: { partnershipId: proposed.id, reason: 'done' } });
    expect(ok(await gql(kim.auth, PARTNER_GOALS)).myPartnerships).toEqual([{ status: 'ENDED', partnerGoals: [] }]);

    // Partnered again: the new partnership lists Lee's goals, the ended one still lists none.
    await partner(lee, kim);
    const again = await gql(kim.auth, PARTNER_GOALS);
    expect(ok(again).myPartnerships.map((p: any) => [p.status, p.partnerGoals.map((g: any) => g.id)])).toEqual([
      ['ACTIVE', [shared.gid, group.gid]],
      ['ENDED', []],
    ]);
    expect(await goalReads(again.body.extensions!.requestId)).toEqual([shared.id, group.id].sort());
  });

  it('is null for staff, who read goals through the group instead', async () => {
    const { clinic, members } = await activeGroup({ members: 2 });
    await createGoal(members[1], { visibility: 'PARTNERS' });
    await partner(members[0], members[1]);
    const res = await gql(clinic.clinician.auth, `query($id: ID!) { node(id: $id) { ... on AccountabilityPartnership { status partnerGoals { id } } } }`, {
      id: (await gql(members[0].auth, `{ myPartnerships { id } }`)).data.myPartnerships[0].id,
    });
    expect(ok(res).node).toEqual({ status: 'ACTIVE', partnerGoals: null });
    expect(await goalReads(res.body.extensions!.requestId)).toEqual([]);
  });
});

describe('partnerships when a membership ends', () => {
  const end = async (auth: string, m: Member, status: string) =>
    ok(await gql(auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: m.membershipGid, status, reason: 'Group finished' } })).changeMembershipStatus.membership;
  const alumni = (m: Member, group: { gid: string }) => grantConsent(m.auth, { type: 'ALUMNI_DIRECTORY', groupId: group.gid });
  async function continuingPair(a: Member, b: Member) {
    const p = ok(await gql(a.auth, PROPOSE, { input: { partnerMembershipId: b.membershipGid, continueAfterGroup: true } })).proposePartnership.partnership;
    ok(await gql(b.auth, RESPOND, { input: { partnershipId: p.id, accept: true, continueAfterGroup: true } }));
    return uuidOf(p.id);
  }
  const statusOf = async (id: string) => (await ownerQuery(`SELECT status, end_reason FROM accountability_partnerships WHERE id = $1`, [id]))[0];

  it('end automatically, unless both chose to continue as alumni and both hold ALUMNI_DIRECTORY consent and the membership completed', async () => {
    const { clinic, group, members } = await activeGroup({ members: 6 });
    const [a, b, c, d, e, f] = members;
    const kept = await continuingPair(a, b);
    const oneAlumnus = await continuingPair(c, d);
    const withdrawn = await continuingPair(e, f);
    for (const m of [a, b, c, e, f]) await alumni(m, group);

    await end(clinic.admin.auth, a, 'COMPLETED');
    expect(await statusOf(kept)).toMatchObject({ status: 'ACTIVE' });
    await end(clinic.admin.auth, c, 'COMPLETED');
    expect(await statusOf(oneAlumnus)).toEqual({ status: 'ENDED', end_reason: 'A membership ended' });
    await end(clinic.admin.auth, e, 'WITHDRAWN');
    expect(await statusOf(withdrawn)).toEqual({ status: 'ENDED', end_reason: 'A membership ended' });
  });

  it('end automatically when either membership ends, for a partnership without the alumni choice', async () => {
    const { clinic, members } = await activeGroup({ members: 4 });
    const [a, b, c, d] = members;
    const ab = await partner(a, b);
    const cd = await partner(c, d);
    await end(clinic.admin.auth, b, 'DISCHARGED');
    expect(await statusOf(ab.id)).toEqual({ status: 'ENDED', end_reason: 'A membership ended' });
    expect(await statusOf(cd.id)).toMatchObject({ status: 'ACTIVE' });
    expect(ok(await gql(a.auth, MY_PARTNERSHIPS)).myPartnerships).toEqual([expect.objectContaining({ id: ab.gid, status: 'ENDED' })]);
  });

  it('go on when both members chose to continue late in the group (setPartnershipContinuation); the choice is each one\'s own, for an ACTIVE partnership (session 15)', async () => {
    // Before: the choice was fixed when proposing or accepting; a pair deciding near the end had to end it and start again.
    const { clinic, group, members } = await activeGroup({ members: 3 });
    const [a, b, c] = members;
    const ab = await partner(a, b);
    const SET = `mutation($input: SetPartnershipContinuationInput!) { setPartnershipContinuation(input: $input) {
      partnership { proposerContinuesAfterGroup partnerContinuesAfterGroup } } }`;
    const set = (m: Member, id: string, continueAfterGroup: boolean) => gql(m.auth, SET, { input: { partnershipId: id, continueAfterGroup } });
    const [{ since }] = await ownerQuery(`SELECT clock_timestamp() AS since`);
    expect(ok(await set(a, ab.gid, true)).setPartnershipContinuation.partnership).toEqual({ proposerContinuesAfterGroup: true, partnerContinuesAfterGroup: false });
    expect(ok(await set(b, ab.gid, true)).setPartnershipContinuation.partnership).toEqual({ proposerContinuesAfterGroup: true, partnerContinuesAfterGroup: true });
    const audits = await ownerQuery(`SELECT subject_client_id FROM audit_events WHERE resource_id = $1 AND action = 'UPDATE' AND occurred_at > $2`, [ab.id, since]);
    expect(audits.map((r) => r.subject_client_id).sort()).toEqual([a.client.id, a.client.id, b.client.id, b.client.id].sort());
    // Nobody else chooses for them; a proposal is not yet theirs to continue.
    const before = await partnershipRows(clinic.id);
    await expectRefused('NOT_FOUND', [clinic.id], () => set(c, ab.gid, false));
    const proposed = ok(await propose(c, a)).proposePartnership.partnership;
    const refused = await expectRefused('CONFLICT', [clinic.id], () => set(c, proposed.id, true));
    expect(refused.errors![0].extensions).toMatchObject({ reason: 'PARTNERSHIP_NOT_ACTIVE' });
    expect((await partnershipRows(clinic.id)).filter((r) => r.id === ab.id)).toEqual(before.filter((r) => r.id === ab.id));

    for (const m of [a, b]) await alumni(m, group);
    await end(clinic.admin.auth, a, 'COMPLETED');
    expect(await statusOf(ab.id)).toMatchObject({ status: 'ACTIVE' });
  });
});

describe('encouragement', () => {
  /** Kim has a PARTNERS goal (Lee is her partner) and a GROUP goal shared with the group (Sam is a peer). */
  async function world() {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    await shareGoals(kim, w.group);
    const partnersGoal = await createGoal(kim, { visibility: 'PARTNERS', title: 'Call my mother' });
    const groupGoal = await createGoal(kim, { visibility: 'GROUP', title: 'Walk daily' });
    const privateGoal = await createGoal(kim, { visibility: 'PRIVATE', title: 'Private matter' });
    const walked = await checkIn(kim.auth, groupGoal);
    await partner(kim, lee);
    return { ...w, kim, lee, sam, partnersGoal, groupGoal, privateGoal, walkedId: walked.checkIn.id as string };
  }
  const encouragementsTo = (clientId: string) =>
    ownerQuery(`SELECT sender_client_id, recipient_client_id, goal_id, check_in_id, message FROM encouragements WHERE recipient_client_id = $1 ORDER BY sent_at, id`, [clientId]);

  it('a partnership ended earlier in the same document no longer lets its partner encourage: the whole mutation is refused, nothing kept (session 14)', async () => {
    // Before: the partner set read by the first field stayed cached, and the third field was sent.
    const { kim, lee, partnersGoal } = await world();
    const [{ id: partnership }] = await ownerQuery<{ id: string }>(`SELECT id FROM accountability_partnerships WHERE status = 'ACTIVE' AND $1 IN (partner_membership_id, proposer_membership_id)`, [lee.membershipId]);
    const res = await gql(
      lee.auth,
      `mutation($goal: ID!, $p: ID!) {
        a: sendEncouragement(input: { goalId: $goal, message: "Before" }) { encouragement { id } }
        b: endPartnership(input: { partnershipId: $p }) { partnership { status } }
        c: sendEncouragement(input: { goalId: $goal, message: "After" }) { encouragement { id } }
      }`,
      { goal: partnersGoal.gid, p: toGlobalId('AccountabilityPartnership', partnership) },
    );
    expect(res.errors?.map((e: any) => e.path)).toEqual([['c']]);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(res.errors![0].extensions?.code);
    expect(res.data).toBeNull();
    expect(await encouragementsTo(kim.client.id)).toEqual([]);
    expect(await ownerQuery(`SELECT status FROM accountability_partnerships WHERE id = $1`, [partnership])).toEqual([{ status: 'ACTIVE' }]);
  });

  it('reaches the recipient from a partner about a goal the sender may see, and from a peer about a shared check-in', async () => {
    const { kim, lee, sam, partnersGoal, groupGoal, walkedId } = await world();
    const sent = ok(await gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: '  You can do it!  ' } })).sendEncouragement.encouragement;
    expect(sent).toMatchObject({ senderDisplayName: displayName(lee), message: 'You can do it!', goalTitle: 'Call my mother' });
    ok(await gql(sam.auth, SEND, { input: { goalId: groupGoal.gid, checkInId: walkedId, message: 'Nice walk' } }));

    expect(await encouragementsTo(kim.client.id)).toEqual([
      { sender_client_id: lee.client.id, recipient_client_id: kim.client.id, goal_id: partnersGoal.id, check_in_id: null, message: 'You can do it!' },
      { sender_client_id: sam.client.id, recipient_client_id: kim.client.id, goal_id: groupGoal.id, check_in_id: uuidOf(walkedId), message: 'Nice walk' },
    ]);
    const inbox = inboxOf(ok(await gql(kim.auth, MY_ENCOURAGEMENTS)));
    expect(inbox.map((e: any) => [e.senderDisplayName, e.message, e.goalTitle])).toEqual([
      [displayName(sam), 'Nice walk', 'Walk daily'],
      [displayName(lee), 'You can do it!', 'Call my mother'],
    ]);
    // The goal each is about, to open it (session 15), in one batched read however many there are.
    const linked = ok(await gql(kim.auth, `{ myEncouragements(first: 10) { edges { node { goal { id } } } } }`));
    expect(linked.myEncouragements.edges.map((e: any) => e.node.goal.id)).toEqual([groupGoal.gid, partnersGoal.gid]);
    // Nobody else receives them.
    expect(inboxOf(ok(await gql(lee.auth, MY_ENCOURAGEMENTS)))).toEqual([]);
    expect(inboxOf(ok(await gql(sam.auth, MY_ENCOURAGEMENTS)))).toEqual([]);
  });

  it('refuses a message about a goal the sender may not see: NOT_FOUND, nothing stored', async () => {
    const { clinic, kim, lee, sam, privateGoal, partnersGoal } = await world();
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(lee.auth, SEND, { input: { goalId: privateGoal.gid, message: 'Hi' } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'Hi' } }));
    expect(await encouragementsTo(kim.client.id)).toEqual([]);
  });

  it('stops while the goal\'s owner is on hold: the partner sees none of their goals and cannot encourage (NOT_FOUND, nothing stored); the partnership stays ACTIVE and shows them again on return', async () => {
    const { clinic, kim, lee, partnersGoal, groupGoal } = await world();
    const leesGoal = await createGoal(lee, { visibility: 'PARTNERS' });
    const hold = async (status: string) =>
      ok(await gql(clinic.clinician.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: kim.membershipGid, status, reason: 'Clinical hold' } }));
    const leesView = async () => ok(await gql(lee.auth, PARTNER_GOALS)).myPartnerships.map((p: any) => [p.status, p.partnerGoals.map((g: any) => g.id)]);
    expect(await leesView()).toEqual([['ACTIVE', [partnersGoal.gid, groupGoal.gid]]]);

    await hold('ON_HOLD');
    const res = await gql(lee.auth, PARTNER_GOALS);
    expect(ok(res).myPartnerships.map((p: any) => [p.status, p.partnerGoals])).toEqual([['ACTIVE', []]]);
    expect(await goalReads(res.body.extensions!.requestId)).toEqual([]);
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(lee.auth, GOAL_NODE, { id: partnersGoal.gid }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'Thinking of you' } }));
    expect(await encouragementsTo(kim.client.id)).toEqual([]);
    // Kim, on hold, still sees Lee's goals: a hold withdraws the member's own data, not their view.
    expect(ok(await gql(kim.auth, PARTNER_GOALS)).myPartnerships.map((p: any) => p.partnerGoals.map((g: any) => g.id))).toEqual([[leesGoal.gid]]);
    expect((await partnershipRows(clinic.id)).map((p: any) => p.status)).toEqual(['ACTIVE']);

    await hold('ACTIVE');
    expect(await leesView()).toEqual([['ACTIVE', [partnersGoal.gid, groupGoal.gid]]]);
  });

  it('refuses messages to oneself, about another goal\'s check-in, or over 500 characters; nothing stored', async () => {
    const { clinic, kim, lee, groupGoal, partnersGoal, walkedId } = await world();
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(kim.auth, SEND, { input: { goalId: groupGoal.gid, message: 'Go me' } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, checkInId: walkedId, message: 'Hi' } }));
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'x'.repeat(501) } }));
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: '   ' } }));
    expect(await encouragementsTo(kim.client.id)).toEqual([]);
  });

  it('allows 20 a day per sender: the 21st is RATE_LIMITED and nothing is stored', async () => {
    const { clinic, kim, lee, partnersGoal } = await world();
    // Twenty sent within the last day (and older ones, which no longer count).
    await ownerQuery(
      `INSERT INTO encouragements (clinic_id, sender_client_id, recipient_client_id, goal_id, message, sent_at)
       SELECT $1, $2, $3, $4, 'Earlier ' || i, now() - make_interval(mins => i * 30) FROM generate_series(1, 20) i`,
      [clinic.id, lee.client.id, kim.client.id, partnersGoal.id],
    );
    const res = await expectRefused('RATE_LIMITED', [clinic.id], () => gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'One more' } }));
    expect(res.errors![0].extensions).toMatchObject({ limit: 20 });
    expect(await encouragementsTo(kim.client.id)).toHaveLength(20);

    // Once the oldest falls out of the 24-hour window, one more may go.
    await ownerQuery(`UPDATE encouragements SET sent_at = now() - interval '25 hours' WHERE sender_client_id = $1 AND message = 'Earlier 20'`, [lee.client.id]);
    ok(await gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'One more' } }));
    expect(await encouragementsTo(kim.client.id)).toHaveLength(21);
  });

  it('pages the inbox newest first with keyset cursors (ties by id), muted senders left out of every page, and audits only what it returns', async () => {
    const { clinic, kim, lee, sam, partnersGoal, groupGoal } = await world();
    // 12 from Lee and 12 from Sam, four of them sharing one instant; Sam is then muted.
    await ownerQuery(
      `INSERT INTO encouragements (clinic_id, sender_client_id, recipient_client_id, goal_id, message, sent_at)
       SELECT $1, CASE WHEN i % 2 = 0 THEN $2::uuid ELSE $3::uuid END, $4, CASE WHEN i % 2 = 0 THEN $5::uuid ELSE $6::uuid END, 'Note ' || i,
              now() - make_interval(hours => CASE WHEN i <= 4 THEN 1 ELSE i END)
         FROM generate_series(1, 24) i`,
      [clinic.id, lee.client.id, sam.client.id, kim.client.id, partnersGoal.id, groupGoal.id],
    );
    const fromSam = await ownerQuery(`SELECT id FROM encouragements WHERE sender_client_id = $1 LIMIT 1`, [sam.client.id]);
    ok(await gql(kim.auth, MUTE, { input: { encouragementId: toGlobalId('Encouragement', fromSam[0].id) } }));
    const expected = (
      await ownerQuery(
        `SELECT id FROM encouragements WHERE recipient_client_id = $1 AND sender_client_id = $2 ORDER BY sent_at DESC, id`,
        [kim.client.id, lee.client.id],
      )
    ).map((r: { id: string }) => toGlobalId('Encouragement', r.id));
    expect(expected).toHaveLength(12);
    const readsOf = () => ownerQuery(`SELECT resource_id FROM audit_events WHERE clinic_id = $1 AND resource_type = 'Encouragement' AND action = 'READ'`, [clinic.id]);
    const before = (await readsOf()).length;
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const data: any = ok(await gql(kim.auth, MY_ENCOURAGEMENTS, { first: 5, after }));
      pages.push(inboxOf(data).map((e: { id: string }) => e.id));
      after = data.myEncouragements.pageInfo.hasNextPage ? data.myEncouragements.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([expected.slice(0, 5), expected.slice(5, 10), expected.slice(10)]);
    expect((await readsOf()).length - before).toBe(12);
    const bad = await gql(kim.auth, MY_ENCOURAGEMENTS, { after: 'not-a-cursor' });
    expect(bad.codes).toEqual(['BAD_USER_INPUT']);
  });

  it('lets the recipient mute a sender: their messages disappear, others stay, and unmuting brings them back', async () => {
    const { clinic, kim, lee, sam, partnersGoal, groupGoal } = await world();
    const fromLee = ok(await gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'From Lee' } })).sendEncouragement.encouragement;
    ok(await gql(sam.auth, SEND, { input: { goalId: groupGoal.gid, message: 'From Sam' } }));
    const inbox = async () => inboxOf(ok(await gql(kim.auth, MY_ENCOURAGEMENTS))).map((e: any) => e.message).sort();
    expect(await inbox()).toEqual(['From Lee', 'From Sam']);

    expect(ok(await gql(kim.auth, MUTE, { input: { encouragementId: fromLee.id } })).muteEncouragementSender.muted).toBe(true);
    expect(await ownerQuery(`SELECT recipient_client_id, sender_client_id FROM encouragement_mutes WHERE clinic_id = $1`, [clinic.id])).toEqual([
      { recipient_client_id: kim.client.id, sender_client_id: lee.client.id },
    ]);
    expect(await inbox()).toEqual(['From Sam']);
    // Lee is not told: sending still succeeds, and is stored, but Kim does not see it.
    ok(await gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'Still here' } }));
    expect(await inbox()).toEqual(['From Sam']);

    // Only the recipient can use the message to mute; Sam cannot mute Lee for Kim.
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, MUTE, { input: { encouragementId: fromLee.id } }));

    ok(await gql(kim.auth, MUTE, { input: { encouragementId: fromLee.id, muted: false } }));
    expect(await inbox()).toEqual(['From Lee', 'From Sam', 'Still here']);
  });

  it('lists the senders one muted, by the latest encouragement each sent them, so an app that lost the id can unmute (session 15)', async () => {
    // Before: muted senders left the inbox and node(id:), and nothing else named them.
    const { kim, lee, sam, partnersGoal, groupGoal } = await world();
    const MUTED = `{ mutedSenders { displayName encouragementId mutedAt } }`;
    const first = ok(await gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'First' } })).sendEncouragement.encouragement;
    ok(await gql(sam.auth, SEND, { input: { goalId: groupGoal.gid, message: 'From Sam' } }));
    const latest = ok(await gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'Latest' } })).sendEncouragement.encouragement;
    ok(await gql(kim.auth, MUTE, { input: { encouragementId: first.id } }));
    expect(ok(await gql(kim.auth, MUTED)).mutedSenders).toEqual([{ displayName: displayName(lee), encouragementId: latest.id, mutedAt: expect.any(String) }]);
    // What Lee sends once muted changes nothing here: the handle does not tell Kim he goes on writing.
    ok(await gql(lee.auth, SEND, { input: { goalId: partnersGoal.gid, message: 'After the mute' } }));
    expect(ok(await gql(kim.auth, MUTED)).mutedSenders.map((m: any) => m.encouragementId)).toEqual([latest.id]);
    // Only one's own: Lee and Sam muted no one.
    for (const m of [lee, sam]) expect(ok(await gql(m.auth, MUTED)).mutedSenders).toEqual([]);
    ok(await gql(kim.auth, MUTE, { input: { encouragementId: latest.id, muted: false } }));
    expect(ok(await gql(kim.auth, MUTED)).mutedSenders).toEqual([]);
    expect(inboxOf(ok(await gql(kim.auth, MY_ENCOURAGEMENTS))).map((e: any) => e.message).sort()).toEqual(['After the mute', 'First', 'From Sam', 'Latest']);
  });
});
