/**
 * Regression tests for what session 13 found. Each failed against the code before its fix.
 */
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { acceptAgreement, activeGroup, agreementConsentOf, createGoal, END_PARTNERSHIP, ok, partner, PROPOSE, RESPOND, revokeConsent, uuidOf } from '../goals/goal-fixtures';
import { BLOCK, CONNECTIONS, groupWith, requested, respond } from '../after-group/after-group-fixtures';
import { ownerConnection, waitForLockWaiters } from '../sync/sync-fixtures';

const COMPILED = `{ myPartnerships { id status partnerDisplayName proposerDisplayName } }`;
const RESOLVED = `{ myPartnerships { id status respondedAt proposerDisplayName } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on AccountabilityPartnership { status } } }`;

describe('a partnership proposal waits for its proposer\'s group agreement too (session 13)', () => {
  it('is held from the partner while its proposer has stepped back from the group\'s sharing, and shows again once they return', async () => {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    const proposal = ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } })).proposePartnership.partnership;
    // A neighbouring proposal between two others, untouched by Kim's choice.
    const other = ok(await gql(sam.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } })).proposePartnership.partnership;
    expect(ok(await gql(lee.auth, RESOLVED)).myPartnerships.map((p: any) => p.id).sort()).toEqual([proposal.id, other.id].sort());

    // Kim revokes her group agreement: Lee can no longer see or accept her proposal, by any path.
    await revokeConsent(kim.auth, await agreementConsentOf(kim, w.group));
    for (const q of [COMPILED, RESOLVED]) expect(ok(await gql(lee.auth, q)).myPartnerships.map((p: any) => p.id)).toEqual([other.id]);
    expectError(await gql(lee.auth, NODE, { id: proposal.id }), 'NOT_FOUND');
    expectError(await gql(lee.auth, RESPOND, { input: { partnershipId: proposal.id, accept: true } }), 'NOT_FOUND');
    expect(await ownerQuery(`SELECT status FROM accountability_partnerships WHERE id = ANY($1) ORDER BY status`, [[uuidOf(proposal.id), uuidOf(other.id)]]))
      .toEqual([{ status: 'PROPOSED' }, { status: 'PROPOSED' }]);
    // Kim still sees hers pending, and her look is recorded about her alone.
    const seen = await gql(kim.auth, COMPILED);
    expect(ok(seen).myPartnerships).toEqual([expect.objectContaining({ id: proposal.id, status: 'PROPOSED' })]);
    expect(await ownerQuery(`SELECT subject_client_id FROM audit_events WHERE request_id = $1 AND resource_type = 'AccountabilityPartnership'`, [seen.body.extensions!.requestId]))
      .toEqual([{ subject_client_id: kim.client.id }]);

    // Kim accepts the agreement again: Lee sees the proposal and may accept it.
    await acceptAgreement(kim, w.group);
    for (const q of [COMPILED, RESOLVED]) expect(ok(await gql(lee.auth, q)).myPartnerships.map((p: any) => p.id).sort()).toEqual([proposal.id, other.id].sort());
    expect(ok(await gql(lee.auth, RESPOND, { input: { partnershipId: proposal.id, accept: true } })).respondToPartnership.partnership.status).toBe('ACTIVE');
  });

  it('is not the partner\'s to answer once held, even when the hold comes while their answer waits', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    const proposal = ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } })).proposePartnership.partnership;
    // Lee's answer has found the proposal and waits for the pair's lock; Kim revokes meanwhile.
    const holder = await ownerConnection();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM memberships WHERE id = $1 FOR UPDATE`, [kim.membershipId]);
      const answer = gql(lee.auth, RESPOND, { input: { partnershipId: proposal.id, accept: true } });
      await waitForLockWaiters(1);
      await ownerQuery(`UPDATE consent_records SET revoked_at = now(), revoked_by_type = 'CLIENT', revoked_by_id = client_id, revocation_reason = 'changed my mind'
                         WHERE id = $1`, [(await agreementConsentOf(kim, w.group)).id]);
      await holder.query('COMMIT');
      expectError(await answer, 'NOT_FOUND');
    } finally {
      await holder.end();
    }
    expect(await ownerQuery(`SELECT status, responded_at FROM accountability_partnerships WHERE id = $1`, [uuidOf(proposal.id)])).toEqual([{ status: 'PROPOSED', responded_at: null }]);
  });

  it('does not stand in the way of the partner\'s own proposal to its proposer: theirs is made, as if none were waiting', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    const held = ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid, message: 'Walk with me?' } })).proposePartnership.partnership;
    await revokeConsent(kim.auth, await agreementConsentOf(kim, w.group));
    const made = await gql(lee.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid } });
    const mine = ok(made).proposePartnership.partnership;
    expect(mine.status).toBe('PROPOSED');
    // Kim's ends as Lee could have ended it, held from Lee for good, and the change is recorded about Kim alone.
    expect(await ownerQuery(`SELECT status, end_reason, held_by_block FROM accountability_partnerships WHERE id = $1`, [uuidOf(held.id)]))
      .toEqual([{ status: 'ENDED', end_reason: 'Ended by a member', held_by_block: true }]);
    // Kim, still outside the group's sharing, is not shown Lee's proposal, nor told of it by her ended one.
    const kimSees = ok(await gql(kim.auth, `{ myPartnerships { id status endReason } }`)).myPartnerships;
    expect(kimSees).toEqual([{ id: held.id, status: 'ENDED', endReason: 'Ended by a member' }]);
    expect(await ownerQuery(`SELECT action, subject_client_id AS s FROM audit_events WHERE request_id = $1 AND resource_type = 'AccountabilityPartnership' AND resource_id = $2`,
      [made.body.extensions!.requestId, uuidOf(held.id)])).toEqual([{ action: 'UPDATE', s: kim.client.id }]);
    for (const q of [COMPILED, RESOLVED]) expect(ok(await gql(lee.auth, q)).myPartnerships.map((p: any) => p.id)).toEqual([mine.id]);
    // Kim, back in the group's sharing, finds Lee's proposal beside her replaced one.
    await acceptAgreement(kim, w.group);
    expect(ok(await gql(kim.auth, RESOLVED)).myPartnerships.map((p: any) => [p.id, p.status])).toEqual([[mine.id, 'PROPOSED'], [held.id, 'ENDED']]);
  });

  it('withdrawn while held, it stays held from the partner for good', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    const proposal = ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } })).proposePartnership.partnership;
    await revokeConsent(kim.auth, await agreementConsentOf(kim, w.group));
    const withdrawn = await gql(kim.auth, END_PARTNERSHIP, { input: { partnershipId: proposal.id, reason: 'Changed my mind' } });
    expect(ok(withdrawn).endPartnership.partnership.status).toBe('ENDED');
    expect(await ownerQuery(`SELECT DISTINCT subject_client_id AS s FROM audit_events WHERE request_id = $1 AND resource_type = 'AccountabilityPartnership'`, [withdrawn.body.extensions!.requestId]))
      .toEqual([{ s: kim.client.id }]);
    await acceptAgreement(kim, w.group);
    expect(ok(await gql(lee.auth, RESOLVED)).myPartnerships).toEqual([]);
    expectError(await gql(lee.auth, NODE, { id: proposal.id }), 'NOT_FOUND');
  });
});

describe('a block past the 30 days a decline shows for (session 13)', () => {
  const UNBLOCK = `mutation($input: ConnectionRefInput!) { unblockMember(input: $input) { connection { id } } }`;
  const MY_REPORT = `{ myAccessReport(first: 500) { accesses { action resourceType actor { kind name } } } }`;
  const connectionReadsAbout = async (requestId: string) =>
    (await ownerQuery<{ s: string }>(`SELECT subject_client_id AS s FROM audit_events WHERE request_id = $1 AND resource_type = 'Connection' AND action = 'READ'`, [requestId])).map((r) => r.s);

  it('is read by the blocker as their own: the member blocked sees in their access report what a decline would show, nothing more', async () => {
    // Sam asks Ann, who blocks through the request (Sam sees a decline); Kim asks Lee, who declines.
    const [sam, ann] = (await groupWith('ANYTIME', 2)).members;
    const [kim, lee] = (await groupWith('ANYTIME', 2)).members;
    const blocked = await requested(sam, ann);
    ok(await gql(ann.auth, BLOCK, { input: { connectionId: blocked.id } }));
    const declined = await requested(kim, lee);
    ok(await respond(lee, declined.id, false));

    // Within 30 days both lists show the row, read about the other member alike.
    const annList = await gql(ann.auth, CONNECTIONS);
    expect(ok(annList).connections.edges.map((e: any) => e.node.id)).toEqual([blocked.id]);
    expect(await connectionReadsAbout(annList.body.extensions!.requestId)).toEqual([sam.client.id]);
    const leeList = await gql(lee.auth, CONNECTIONS);
    expect(await connectionReadsAbout(leeList.body.extensions!.requestId)).toEqual([kim.client.id]);

    // 31 days on: the decline has left Lee's list; Ann's block keeps hers, read about her alone.
    await ownerQuery(`UPDATE connections SET closed_at = now() - interval '31 days' WHERE id = ANY($1)`, [[uuidOf(blocked.id), uuidOf(declined.id)]]);
    const reportBefore = ok(await gql(sam.auth, MY_REPORT)).myAccessReport.accesses;
    const later = await gql(ann.auth, CONNECTIONS);
    expect(ok(later).connections.edges.map((e: any) => e.node.id)).toEqual([blocked.id]);
    expect(await connectionReadsAbout(later.body.extensions!.requestId)).toEqual([ann.client.id]);
    expect(ok(await gql(lee.auth, CONNECTIONS)).connections.edges).toEqual([]);
    // Sam's report has not moved, as with a decline no longer listed.
    expect(ok(await gql(sam.auth, MY_REPORT)).myAccessReport.accesses).toEqual(reportBefore);
    // Lifted, the block's row leaves Ann's list as a decline's did: no list read stops in Sam's report.
    ok(await gql(ann.auth, UNBLOCK, { input: { connectionId: blocked.id } }));
    expect(ok(await gql(ann.auth, CONNECTIONS)).connections.edges).toEqual([]);
  });
});

describe('an encouragement read by its recipient (session 13)', () => {
  const SEND = `mutation($input: SendEncouragementInput!) { sendEncouragement(input: $input) { encouragement { id } } }`;
  const INBOX = `{ myEncouragements(first: 20) { edges { node { id message } } } }`;
  const MUTE = `mutation($input: MuteSenderInput!) { muteEncouragementSender(input: $input) { muted } }`;
  const REPORT = `{ myAccessReport(first: 500) { accesses { action resourceType } } }`;

  it('is recorded about the recipient: the sender\'s access report holds no read receipt that a mute or block would stop', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    await partner(kim, lee);
    const goal = await createGoal(kim, { visibility: 'PARTNERS', title: 'Walk daily' });
    const sent = ok(await gql(lee.auth, SEND, { input: { goalId: goal.gid, message: 'Keep going!' } })).sendEncouragement.encouragement;
    const read = await gql(kim.auth, INBOX);
    expect(ok(read).myEncouragements.edges.map((e: any) => e.node.id)).toEqual([sent.id]);
    expect(await ownerQuery(`SELECT subject_client_id AS s FROM audit_events WHERE request_id = $1 AND resource_type = 'Encouragement'`, [read.body.extensions!.requestId]))
      .toEqual([{ s: kim.client.id }]);
    const leeSees = async () => ok(await gql(lee.auth, REPORT)).myAccessReport.accesses.filter((a: any) => a.resourceType === 'Encouragement');
    expect(await leeSees()).toEqual([]);
    // Kim mutes Lee: nothing in Lee's report moves either way.
    ok(await gql(kim.auth, MUTE, { input: { encouragementId: sent.id, muted: true } }));
    ok(await gql(lee.auth, SEND, { input: { goalId: goal.gid, message: 'Still here' } }));
    expect(ok(await gql(kim.auth, INBOX)).myEncouragements.edges).toEqual([]);
    expect(await leeSees()).toEqual([]);
  });
});
