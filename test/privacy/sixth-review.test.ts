/**
 * Regression tests for what session 13 found. Each failed against the code before its fix.
 */
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { acceptAgreement, activeGroup, agreementConsentOf, END_PARTNERSHIP, ok, PROPOSE, RESPOND, revokeConsent, uuidOf } from '../goals/goal-fixtures';

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
