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
  connectionRows,
  connectionsOf,
  displayName,
  endMembership,
  expectRefused,
  graduate,
  groupWith,
  Member,
  ok,
  requested,
  respond,
  sharedAnytimeGroup,
  uuidOf,
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

describe('a block shown as a decline, read past the decline window (session 14)', () => {
  it('an unblock, or a look by node(id:), records about the blocker alone: the member blocked learns nothing from their report', async () => {
    // Before: the list recorded such reads about the blocker alone, but node(id:) and the unblock
    // itself recorded a READ about the member blocked, on days a decline would no longer be read.
    const world = await groupWith('ANYTIME', 2);
    const [kim, lee] = world.members;
    const asked = await requested(kim, lee);
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: asked.id } }));
    await ownerQuery(`UPDATE connections SET closed_at = now() - interval '31 days' WHERE id = $1`, [uuidOf(asked.id)]);
    const look = await gql(lee.auth, BLOCKED_BY_YOU, { id: asked.id });
    expect(ok(look).node).toEqual({ status: 'DECLINED', blockedByYou: true });
    const lift = await gql(lee.auth, UNBLOCK, { input: { connectionId: asked.id } });
    expect(ok(lift).unblockMember.connection).toMatchObject({ status: 'DECLINED', blockedByYou: false });
    for (const res of [look, lift]) {
      expect((await rowsOf(res)).filter((r) => r.subject_client_id === kim.client.id)).toEqual([]);
      expect(await rowsOf(res)).toEqual(expect.arrayContaining([expect.objectContaining({ resource_type: 'Connection', subject_client_id: lee.client.id })]));
    }
  });
});

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
    // A second period: what Kim sends during it is held for good too; the rest shows once lifted.
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } }));
    ok(await gql(kim.auth, SEND, { input: { goalId: goal.gid, message: 'During the second block' } }));
    expect(await inbox(lee)).toEqual([]);
    ok(await gql(lee.auth, UNBLOCK, { input: { connectionId: id } }));
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

  it('a request made during the block, still pending to its sender, is declined when the blocker asks them after lifting it: never two requests side by side', async () => {
    const { clinic, kim, lee, id } = await pair();
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } }));
    const held = await requested(kim, lee);
    ok(await gql(lee.auth, UNBLOCK, { input: { connectionId: id } }));

    const res = await gql(lee.auth, `mutation($input: RequestConnectionInput!) { requestConnection(input: $input) { connection { id status } } }`, {
      input: { peerMembershipId: kim.membershipGid },
    });
    const fromLee = ok(res).requestConnection.connection;
    // Kim sees her request declined and Lee's waiting, as if Lee had declined it and asked; Lee never sees Kim's.
    const kims = (await connectionsOf(kim)).map((c: { id: string; status: string; direction: string }) => [c.id, c.status, c.direction]);
    expect(kims).toEqual([[fromLee.id, 'REQUESTED', 'RECEIVED'], [held.id, 'DECLINED', 'SENT'], [id, 'WITHDRAWN', 'SENT']]);
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([fromLee.id, id]);
    expect((await connectionRows(clinic.id)).find((r) => r.id === uuidOf(held.id))).toMatchObject({ status: 'DECLINED', held_from_recipient: true, held_by_block: true });
    // The decline is recorded about Kim alone.
    expect((await rowsOf(res)).filter((r) => r.resource_type === 'Connection' && r.action === 'UPDATE')).toEqual([
      { action: 'UPDATE', resource_type: 'Connection', subject_client_id: kim.client.id },
    ]);
  });

  it('a request held by the group\'s policy when the block came is held for good: never released to the blocker, even after the lift', async () => {
    // Kim and Lee share an ANYTIME group (the connection Lee blocks through) and an AFTER_COMPLETION one.
    const world = await groupWith('AFTER_COMPLETION', 2);
    const { clinic } = world;
    const [kim, lee] = world.members;
    const { members: [kim2, lee2] } = await sharedAnytimeGroup(clinic, [kim, lee]);
    // The handle Lee blocks through: Kim's request there, declined.
    const handle = (await requested(kim2, lee2)).id;
    ok(await respond(lee2, handle, false));
    // Kim finishes the first group and asks Lee there: held from Lee (still a member) by the policy.
    await graduate(world, kim);
    const beforeBlock = await requested(kim, lee);
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: handle } }));
    ok(await gql(lee.auth, UNBLOCK, { input: { connectionId: handle } }));
    // Lee's membership ends: the policy now allows the exchange, and nothing is released.
    await endMembership(clinic, lee);
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([handle]);
    expect((await connectionRows(clinic.id)).find((r) => r.id === uuidOf(beforeBlock.id))).toMatchObject({ status: 'REQUESTED', held_from_recipient: true, held_by_block: true });
  });

  it('keeps the blocker\'s blocked connection in their list past 30 days while the block stands, so they can lift it', async () => {
    // Sam asks Ann; Ann blocks through the request, which shows Sam a decline.
    const [sam, ann] = (await groupWith('ANYTIME', 2)).members;
    const request = await requested(sam, ann);
    ok(await gql(ann.auth, BLOCK, { input: { connectionId: request.id } }));
    await ownerQuery(`UPDATE connections SET closed_at = now() - interval '31 days' WHERE id = $1`, [uuidOf(request.id)]);
    expect((await connectionsOf(ann)).map((c: { id: string }) => c.id)).toEqual([request.id]);
    ok(await gql(ann.auth, UNBLOCK, { input: { connectionId: request.id } }));
    // Lifted, it is the old decline it shows as, and leaves the list as declines do.
    expect(await connectionsOf(ann)).toEqual([]);

    // Blocked through a request Ann had already declined (it stays as it closed): the same.
    const [kim, lee] = (await groupWith('ANYTIME', 2)).members;
    const declined = await requested(kim, lee);
    ok(await respond(lee, declined.id, false));
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: declined.id } }));
    await ownerQuery(`UPDATE connections SET closed_at = now() - interval '31 days' WHERE id = $1`, [uuidOf(declined.id)]);
    expect(ok(await gql(lee.auth, BLOCKED_BY_YOU, { id: declined.id })).node).toEqual({ status: 'DECLINED', blockedByYou: true });
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([declined.id]);
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
