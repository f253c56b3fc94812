/**
 * Lifting a block (`unblockMember`): the blocker's own undo. Nothing the block closed opens again,
 * what the blocked member did while it stood stays held from the blocker for good, and from then
 * on what they do reaches the blocker as anyone's does. The member who was blocked is told
 * nothing, before or after.
 */
import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { ownerQuery } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';
import { createGoal, PROPOSE, shareGoals } from '../goals/goal-fixtures';
import {
  afterGroupState,
  BLOCK,
  connect,
  connectionsOf,
  displayName,
  expectRefused,
  groupWith,
  Member,
  ok,
  requested,
  respond,
  WITHDRAW,
} from './after-group-fixtures';

const UNBLOCK = `mutation($input: ConnectionRefInput!) { unblockMember(input: $input) { connection { id status blockedByYou } } }`;
const BLOCKED_BY_YOU = `query($id: ID!) { node(id: $id) { ... on Connection { status blockedByYou } } }`;
const SEND = `mutation($input: SendEncouragementInput!) { sendEncouragement(input: $input) { encouragement { id } } }`;
const INBOX = `{ myEncouragements(first: 100) { edges { node { message } } } }`;
const MY_PARTNERSHIPS = `{ myPartnerships { id status } }`;

async function pair() {
  const world = await groupWith('ANYTIME', 3);
  const [kim, lee, sam] = world.members;
  const id = await connect(kim, lee);
  return { ...world, kim, lee, sam, id };
}

const blockRows = (clinicId: string) =>
  ownerQuery<{ blocker_client_id: string; blocked_client_id: string; standing: boolean }>(
    `SELECT blocker_client_id, blocked_client_id, ended_at IS NULL AS standing FROM member_blocks WHERE clinic_id = $1 ORDER BY created_at`,
    [clinicId],
  );
const rowsOf = (res: GqlResult) =>
  ownerQuery(`SELECT action, resource_type, subject_client_id FROM audit_events WHERE request_id = $1 ORDER BY id`, [res.body.extensions!.requestId]);
const inbox = async (m: Member) => ok(await gql(m.auth, INBOX)).myEncouragements.edges.map((e: { node: { message: string } }) => e.node.message).sort();

describe('unblockMember', () => {
  it('lifts the block for the blocker alone: blockedByYou shows it only to them, the closed connection stays closed, and the other member sees nothing change', async () => {
    const { clinic, kim, lee, id } = await pair();
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } }));
    expect(ok(await gql(lee.auth, BLOCKED_BY_YOU, { id })).node).toEqual({ status: 'WITHDRAWN', blockedByYou: true });
    expect(ok(await gql(kim.auth, BLOCKED_BY_YOU, { id })).node).toEqual({ status: 'WITHDRAWN', blockedByYou: false });
    const kimsViewBefore = await connectionsOf(kim);

    const res = await gql(lee.auth, UNBLOCK, { input: { connectionId: id } });
    expect(ok(res).unblockMember.connection).toEqual({ id, status: 'WITHDRAWN', blockedByYou: false });
    expect(await blockRows(clinic.id)).toEqual([{ blocker_client_id: lee.client.id, blocked_client_id: kim.client.id, standing: false }]);
    // Recorded about Lee alone; Kim's list is as it was.
    expect(await rowsOf(res)).toEqual(expect.arrayContaining([{ action: 'UPDATE', resource_type: 'Connection', subject_client_id: lee.client.id }]));
    // About Kim only the look at the connection the answer carries, as any look at Lee's list records.
    expect((await rowsOf(res)).filter((r) => r.subject_client_id === kim.client.id)).toEqual([{ action: 'READ', resource_type: 'Connection', subject_client_id: kim.client.id }]);
    expect(await connectionsOf(kim)).toEqual(kimsViewBefore);

    // Blocking again is a new period.
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } }));
    expect((await blockRows(clinic.id)).map((b) => b.standing)).toEqual([false, true]);
    expect(ok(await gql(lee.auth, BLOCKED_BY_YOU, { id })).node.blockedByYou).toBe(true);
  });

  it('keeps held for good what the blocked member did during the block; what they do after reaches the blocker', async () => {
    const { clinic, kim, lee, group, id } = await pair();
    await shareGoals(lee, group);
    const goal = await createGoal(lee, { visibility: 'GROUP' });
    ok(await gql(kim.auth, SEND, { input: { goalId: goal.gid, message: 'Before the block' } }));
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } }));
    ok(await gql(kim.auth, SEND, { input: { goalId: goal.gid, message: 'During the block' } }));
    const heldRequest = await requested(kim, lee);
    const heldProposal = ok(await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } })).proposePartnership.partnership;
    expect(await inbox(lee)).toEqual([]);

    ok(await gql(lee.auth, UNBLOCK, { input: { connectionId: id } }));
    // Before the block shows again; during, never.
    expect(await inbox(lee)).toEqual(['Before the block']);
    ok(await gql(kim.auth, SEND, { input: { goalId: goal.gid, message: 'After the block' } }));
    expect(await inbox(lee)).toEqual(['After the block', 'Before the block']);
    // The request and the proposal made during the block stay held from Lee.
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([id]);
    await expectRefused('NOT_FOUND', [clinic.id], () => respond(lee, heldRequest.id, true));
    expect(ok(await gql(lee.auth, MY_PARTNERSHIPS)).myPartnerships).toEqual([]);
    expect(ok(await gql(kim.auth, MY_PARTNERSHIPS)).myPartnerships).toEqual([{ id: heldProposal.id, status: 'PROPOSED' }]);

    // Kim withdraws the held request and asks again: this one reaches Lee, who may accept it.
    ok(await gql(kim.auth, WITHDRAW, { input: { connectionId: heldRequest.id } }));
    const fresh = await requested(kim, lee);
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([fresh.id, id]);
    expect(ok(await respond(lee, fresh.id, true)).respondToConnection.connection.status).toBe('ACCEPTED');
    expect((await connectionsOf(kim)).find((c: { id: string }) => c.id === fresh.id)).toMatchObject({ status: 'ACCEPTED', otherDisplayName: displayName(lee) });
  });

  it('answers CONFLICT (NOT_BLOCKED) to a member who does not block the other, the blocked member included; NOT_FOUND for a connection not theirs; nothing changes', async () => {
    const { clinic, kim, lee, sam, id } = await pair();
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } }));
    const before = await afterGroupState(clinic.id);
    // Kim, whom Lee blocks, learns nothing: the answer is the one for a member never blocked.
    const res = await gql(kim.auth, UNBLOCK, { input: { connectionId: id } });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ reason: 'NOT_BLOCKED' });
    expect(await afterGroupState(clinic.id)).toEqual(before);
    ok(await gql(lee.auth, UNBLOCK, { input: { connectionId: id } }));
    const twice = await gql(lee.auth, UNBLOCK, { input: { connectionId: id } });
    expect(twice.errors![0].extensions).toEqual(res.errors![0].extensions);
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, UNBLOCK, { input: { connectionId: id } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(lee.auth, UNBLOCK, { input: { connectionId: toGlobalId('Connection', randomUUID()) } }));
    // Another clinic's member, with a connection of their own, cannot name this one.
    const elsewhere = await pair();
    await expectRefused('NOT_FOUND', [clinic.id, elsewhere.clinic.id], () => gql(elsewhere.lee.auth, UNBLOCK, { input: { connectionId: id } }));
    expect((await blockRows(clinic.id)).map((b) => b.standing)).toEqual([false, true]);
  });
});
