/**
 * Connections: contact exchange by double opt-in. Contact details show only while a connection
 * is ACCEPTED and both members hold CONTACT_SHARING consent, each member showing only what they
 * chose; the group's peer-contact policy decides whether two members may ask at all.
 */
import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import {
  allowContactSharing,
  BLOCK,
  connect,
  CONNECTION_NODE,
  connectionAs,
  connectionRows,
  connectionsOf,
  CONNECTIONS,
  displayName,
  endMembership,
  errorShape,
  expectRefused,
  graduate,
  groupWith,
  Member,
  ok,
  request,
  requested,
  respond,
  revokeConsent,
  setContactPrefs,
  setPolicy,
  sharedAnytimeGroup,
  uuidOf,
  WITHDRAW,
} from './after-group-fixtures';
import { createGoal, grantConsent, listedGoalIds, partner, PROPOSE } from '../goals/goal-fixtures';

/** Kim, Lee and Sam in an ANYTIME group, each with an email and a phone on file. */
async function trio(policy: 'ANYTIME' | 'AFTER_COMPLETION' | 'NEVER' = 'ANYTIME') {
  const world = await groupWith(policy, [
    { givenName: 'Kim', familyName: 'Park', email: 'kim@example.test', phone: '+15550000001' },
    { givenName: 'Lee', familyName: 'Chen', email: 'lee@example.test', phone: '+15550000002' },
    { givenName: 'Sam', familyName: 'Ruiz', email: 'sam@example.test', phone: '+15550000003' },
  ]);
  const [kim, lee, sam] = world.members;
  return { ...world, kim, lee, sam };
}

/**
 * An accepted Kim–Lee connection where both chose what to share: Kim her email and a handle,
 * Lee his phone only. CONTACT_SHARING is granted only for those in `consenting`.
 */
async function acceptedPair(consenting: ('kim' | 'lee')[] = ['kim', 'lee']) {
  const world = await trio();
  const { kim, lee } = world;
  await setContactPrefs(kim, { shareEmail: true, sharePhone: false, handle: '@kim.on.signal' });
  await setContactPrefs(lee, { shareEmail: false, sharePhone: true, handle: null });
  const consents = {
    kim: consenting.includes('kim') ? await allowContactSharing(kim) : undefined,
    lee: consenting.includes('lee') ? await allowContactSharing(lee) : undefined,
  };
  const id = await connect(kim, lee);
  return { ...world, id, consents };
}

const KIM_CARD = { email: 'kim@example.test', phone: null, handle: '@kim.on.signal' };
const LEE_CARD = { email: null, phone: '+15550000002', handle: null };

/** The contact card each side sees on the connection (via `connections`). */
async function cards(kim: Member, lee: Member, id: string) {
  return { kimSees: (await connectionAs(kim, id)).contact, leeSees: (await connectionAs(lee, id)).contact };
}

const contactAudits = (clinicId: string) =>
  ownerQuery(
    `SELECT actor_type, actor_id, action, resource_id, subject_client_id FROM audit_events
      WHERE clinic_id = $1 AND resource_type = 'ContactDetails' ORDER BY id`,
    [clinicId],
  );

describe('asking and answering', () => {
  it('stores a request from one peer to another and shows it to both, then ACCEPTED once the member asked says yes', async () => {
    const { clinic, group, kim, lee, sam } = await trio();
    const sent = await requested(kim, lee, 'Coffee after we finish?');
    expect(sent).toMatchObject({
      status: 'REQUESTED',
      direction: 'SENT',
      otherDisplayName: displayName(lee),
      message: 'Coffee after we finish?',
      respondedAt: null,
      contact: null,
    });
    const [row] = await connectionRows(clinic.id);
    expect(row).toMatchObject({
      id: uuidOf(sent.id),
      group_id: group.id,
      requester_client_id: kim.client.id,
      recipient_client_id: lee.client.id,
      status: 'REQUESTED',
      message: 'Coffee after we finish?',
      responded_at: null,
      closed_at: null,
    });

    expect(await connectionsOf(lee)).toEqual([
      expect.objectContaining({ id: sent.id, status: 'REQUESTED', direction: 'RECEIVED', otherDisplayName: displayName(kim), contact: null }),
    ]);

    const accepted = ok(await respond(lee, sent.id, true)).respondToConnection.connection;
    expect(accepted).toMatchObject({ id: sent.id, status: 'ACCEPTED', direction: 'RECEIVED' });
    expect(accepted.respondedAt).not.toBeNull();
    const [after] = await connectionRows(clinic.id);
    expect(after).toMatchObject({ status: 'ACCEPTED', closed_at: null });
    expect(after.responded_at).toBeInstanceOf(Date);

    expect((await connectionAs(kim, sent.id)).status).toBe('ACCEPTED');
    // Sam, who is in neither end of it, has nothing.
    expect(await connectionsOf(sam)).toEqual([]);
  });

  it('refuses asking oneself: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, kim } = await trio();
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => request(kim, kim));
    expect(await connectionRows(clinic.id)).toEqual([]);
  });

  it('refuses a second open request between the same two, in either direction: CONFLICT, nothing stored', async () => {
    const { clinic, kim, lee } = await trio();
    await requested(kim, lee);
    await expectRefused('CONFLICT', [clinic.id], () => request(kim, lee));
    await expectRefused('CONFLICT', [clinic.id], () => request(lee, kim));
    expect(await connectionRows(clinic.id)).toHaveLength(1);
  });

  it('refuses a new request while the two are already connected: CONFLICT', async () => {
    const { clinic, kim, lee } = await trio();
    await connect(kim, lee);
    await expectRefused('CONFLICT', [clinic.id], () => request(lee, kim));
    expect((await connectionRows(clinic.id)).map((r) => r.status)).toEqual(['ACCEPTED']);
  });

  it('lets only the member asked answer: the requester gets FORBIDDEN, a third member NOT_FOUND, nothing changes', async () => {
    const { clinic, kim, lee, sam } = await trio();
    const c = await requested(kim, lee);
    for (const accept of [true, false]) {
      await expectRefused('FORBIDDEN', [clinic.id], () => respond(kim, c.id, accept));
      await expectRefused('NOT_FOUND', [clinic.id], () => respond(sam, c.id, accept));
    }
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, WITHDRAW, { input: { connectionId: c.id } }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, BLOCK, { input: { connectionId: c.id } }));
    expect(await connectionRows(clinic.id)).toEqual([expect.objectContaining({ status: 'REQUESTED', responded_at: null })]);
  });

  it('allows at most 10 pending requests: the 11th answers RATE_LIMITED and stores nothing', async () => {
    const world = await groupWith('ANYTIME', 12);
    const [asker, ...peers] = world.members;
    for (const peer of peers.slice(0, 10)) await requested(asker, peer);
    await expectRefused('RATE_LIMITED', [world.clinic.id], () => request(asker, peers[10]));
    const rows = await connectionRows(world.clinic.id);
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => r.recipient_client_id)).not.toContain(peers[10].client.id);

    // Pending means unanswered: once one is answered, there is room again.
    const first = (await connectionsOf(peers[0]))[0];
    ok(await respond(peers[0], first.id, true));
    expect((await requested(asker, peers[10])).status).toBe('REQUESTED');
  });
});

describe('who may be asked', () => {
  it('answers NOT_FOUND for someone never in a shared group, exactly as for a membership that does not exist', async () => {
    const { clinic, kim } = await trio();
    const neighbour = await groupWith('ANYTIME', 1, { clinic });
    const elsewhere = await groupWith('ANYTIME', 1);
    const attempts = {
      otherGroup: () => request(kim, neighbour.members[0]),
      otherClinic: () => request(kim, elsewhere.members[0]),
      noSuchMembership: () => request(kim, toGlobalId('Membership', randomUUID())),
    };
    const shapes: Record<string, unknown> = {};
    for (const [name, attempt] of Object.entries(attempts)) {
      shapes[name] = errorShape(await expectRefused('NOT_FOUND', [clinic.id, elsewhere.clinic.id], attempt));
    }
    expect(shapes.otherGroup).toEqual(shapes.noSuchMembership);
    expect(shapes.otherClinic).toEqual(shapes.noSuchMembership);
    expect(await connectionRows(clinic.id)).toEqual([]);
  });

  it('policy NEVER: FORBIDDEN, during the group and after it', async () => {
    const world = await trio('NEVER');
    const { clinic, kim, lee } = world;
    await expectRefused('FORBIDDEN', [clinic.id], () => request(kim, lee));
    await graduate(world, kim);
    await graduate(world, lee);
    await expectRefused('FORBIDDEN', [clinic.id], () => request(kim, lee));
    expect(await connectionRows(clinic.id)).toEqual([]);
  });

  it('policy AFTER_COMPLETION: CONFLICT while both memberships are active', async () => {
    const { clinic, kim, lee } = await trio('AFTER_COMPLETION');
    const res = await expectRefused('CONFLICT', [clinic.id], () => request(kim, lee));
    expect(res.errors![0].extensions).toMatchObject({ reason: 'AFTER_COMPLETION' });
  });

  it('policy AFTER_COMPLETION: CONFLICT while the asker\'s own membership is still active, whoever they ask', async () => {
    const world = await trio('AFTER_COMPLETION');
    const { clinic } = world;
    // Kim has finished (and is in the alumni directory), Lee has not: Lee may not ask yet.
    await graduate(world, world.kim);
    const res = await expectRefused('CONFLICT', [clinic.id], () => request(world.lee, world.kim));
    expect(res.errors![0].extensions).toMatchObject({ reason: 'AFTER_COMPLETION' });
    expect(await connectionRows(clinic.id)).toEqual([]);
  });

  it('policy AFTER_COMPLETION: one who finished may ask one still in the group; it waits unseen by them until their membership ends too', async () => {
    const world = await trio('AFTER_COMPLETION');
    const { clinic, kim, lee } = world;
    await graduate(world, kim);
    const sent = await requested(kim, lee, 'Coffee once you are done?');
    expect(sent).toMatchObject({ status: 'REQUESTED', direction: 'SENT' });
    // Lee, still in the group, is not contacted: no request in the list, none through node(id:), none to answer.
    expect(await connectionsOf(lee)).toEqual([]);
    expectError(await gql(lee.auth, CONNECTION_NODE, { id: sent.id }), 'NOT_FOUND');
    await expectRefused('NOT_FOUND', [clinic.id], () => respond(lee, sent.id, true));
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE resource_type = 'Connection' AND action = 'READ' AND actor_id = $1`, [lee.client.id])).toEqual([]);
    await graduate(world, lee);
    expect(await connectionAs(lee, sent.id)).toMatchObject({ status: 'REQUESTED', direction: 'RECEIVED', message: 'Coffee once you are done?' });
    expect(ok(await respond(lee, sent.id, true)).respondToConnection.connection.status).toBe('ACCEPTED');
  });

  it('a held request withdrawn before its time never reaches the member asked, nor their access report', async () => {
    const world = await trio('AFTER_COMPLETION');
    const { kim, lee } = world;
    await graduate(world, kim);
    const sent = await requested(kim, lee, 'Coffee?');
    await connectionAs(kim, sent.id);
    ok(await gql(kim.auth, WITHDRAW, { input: { connectionId: sent.id } }));
    await graduate(world, lee);
    expect(await connectionsOf(lee)).toEqual([]);
    expectError(await gql(lee.auth, CONNECTION_NODE, { id: sent.id }), 'NOT_FOUND');
    // Nothing about it is recorded about Lee, so Lee's report cannot tell it existed.
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE resource_type = 'Connection' AND subject_client_id = $1`, [lee.client.id])).toEqual([]);
    const report = ok(await gql(lee.auth, `{ myAccessReport { accesses { resourceType } } }`)).myAccessReport;
    expect(report.accesses.filter((a: { resourceType: string }) => a.resourceType === 'Connection')).toEqual([]);
    expect((await connectionAs(kim, sent.id)).status).toBe('WITHDRAWN');
  });

  it('two requests held between the same pair, one each way, are released one at a time: the older shows, the other stays held', async () => {
    const world = await trio('AFTER_COMPLETION');
    const { clinic, kim, lee } = world;
    await graduate(world, kim);
    const kimToLee = await requested(kim, lee);
    // Kim comes back to the group; Lee finishes, and asks Kim, who is in the group again.
    const back = ok(await gql(clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id } } }`, {
      input: { groupId: world.group.gid, clientId: kim.client.gid },
    })).enrollClient.membership;
    await graduate(world, lee);
    const leeToKim = await requested(lee, kim);
    expect((await connectionRows(clinic.id)).map((r) => r.held_from_recipient)).toEqual([true, true]);
    // Kim finishes again: both are now allowed, and the change goes through.
    await endMembership(clinic, { ...kim, membershipGid: back.id, membershipId: uuidOf(back.id) });
    expect((await connectionsOf(lee)).map((c: { id: string; direction: string }) => [c.id, c.direction])).toEqual([[leeToKim.id, 'SENT'], [kimToLee.id, 'RECEIVED']]);
    expect((await connectionsOf(kim)).map((c: { id: string; direction: string }) => [c.id, c.direction])).toEqual([[kimToLee.id, 'SENT']]);
  });

  it('a held request stays held while the group is set to NEVER, and reaches the member asked when the group allows it (ANYTIME)', async () => {
    const world = await trio('AFTER_COMPLETION');
    const { clinic, kim, lee } = world;
    await graduate(world, kim);
    const sent = await requested(kim, lee);
    await setPolicy(clinic, world.group, 'NEVER');
    expect(await connectionsOf(lee)).toEqual([]);
    await setPolicy(clinic, world.group, 'ANYTIME');
    expect(await connectionAs(lee, sent.id)).toMatchObject({ status: 'REQUESTED', direction: 'RECEIVED' });
    expect((await connectionRows(clinic.id))[0]).toMatchObject({ held_from_recipient: false });
  });

  it('policy AFTER_COMPLETION: the answer to one who finished does not tell whether the peer is still in the group', async () => {
    const answers = [];
    for (const peerEnded of [false, true]) {
      const world = await trio('AFTER_COMPLETION');
      await graduate(world, world.kim);
      if (peerEnded) await endMembership(world.clinic, world.lee, 'WITHDRAWN');
      const res = await request(world.kim, world.lee);
      expect(res.errors).toBeUndefined();
      const { id: _id, createdAt: _at, groupName: _g, ...rest } = res.data.requestConnection.connection;
      answers.push(rest);
    }
    expect(answers[0]).toEqual(answers[1]);
  });

  it('policy AFTER_COMPLETION: allowed once both have completed (found through the alumni directory)', async () => {
    const world = await trio('AFTER_COMPLETION');
    const { clinic, kim, lee } = world;
    await graduate(world, kim);
    await graduate(world, lee);
    const c = await requested(kim, lee);
    expect(c).toMatchObject({ status: 'REQUESTED', otherDisplayName: displayName(lee) });
    expect(await connectionRows(clinic.id)).toEqual([
      expect.objectContaining({ requester_client_id: kim.client.id, recipient_client_id: lee.client.id, status: 'REQUESTED' }),
    ]);
  });

  it('policy ANYTIME: allowed while both are in the group', async () => {
    const { clinic, kim, lee } = await trio('ANYTIME');
    expect((await requested(kim, lee)).status).toBe('REQUESTED');
    expect(await connectionRows(clinic.id)).toHaveLength(1);
  });

  it('checks the policy of the group now: changing it to NEVER stops new requests', async () => {
    const world = await trio('ANYTIME');
    const { clinic, kim, lee, sam } = world;
    await requested(kim, lee);
    await setPolicy(clinic, world.group, 'NEVER');
    await expectRefused('FORBIDDEN', [clinic.id], () => request(kim, sam));
    expect(await connectionRows(clinic.id)).toHaveLength(1);
  });

  it('checks it again when the request is answered: a pending request in a group now NEVER cannot be accepted, only declined', async () => {
    const world = await trio('ANYTIME');
    const { clinic, kim, lee, sam } = world;
    const toLee = await requested(kim, lee);
    const toSam = await requested(kim, sam);
    await setPolicy(clinic, world.group, 'NEVER');
    const refused = await expectRefused('FORBIDDEN', [clinic.id], () => respond(lee, toLee.id, true));
    expect(refused.errors![0].message).toMatch(/peer-contact policy/);
    expect((await connectionRows(clinic.id)).map((r) => r.status)).toEqual(['REQUESTED', 'REQUESTED']);
    expect(ok(await respond(sam, toSam.id, false)).respondToConnection.connection.status).toBe('DECLINED');
    expect((await connectionRows(clinic.id)).map((r) => r.status).sort()).toEqual(['DECLINED', 'REQUESTED']);
  });

  it('a group switched to AFTER_COMPLETION: a pending request cannot be accepted while the accepting member is still in the group (CONFLICT)', async () => {
    const world = await trio('ANYTIME');
    const { clinic, kim, lee } = world;
    const c = await requested(kim, lee);
    await setPolicy(clinic, world.group, 'AFTER_COMPLETION');
    const refused = await expectRefused('CONFLICT', [clinic.id], () => respond(lee, c.id, true));
    expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'AFTER_COMPLETION' });
    await graduate(world, kim);
    await graduate(world, lee);
    expect(ok(await respond(lee, c.id, true)).respondToConnection.connection.status).toBe('ACCEPTED');
  });
  it('a group switched to AFTER_COMPLETION: one who has finished may accept a request from one who has not, told nothing about them; no card shows until both have ended', async () => {
    // Two pending requests to Lee made under ANYTIME: from Kim, who stays in the group, and from
    // Sam, who finishes. Lee finishes, then accepts both: the answers must not differ.
    const world = await trio('ANYTIME');
    const { clinic, kim, lee, sam } = world;
    for (const m of [kim, lee, sam]) {
      await setContactPrefs(m, { shareEmail: true, sharePhone: false, handle: null });
      await allowContactSharing(m);
    }
    const fromKim = await requested(kim, lee);
    const fromSam = await requested(sam, lee);
    await setPolicy(clinic, world.group, 'AFTER_COMPLETION');
    await graduate(world, sam);
    await graduate(world, lee);
    const shapeOf = (c: Record<string, unknown>) => ({ status: c.status, direction: c.direction, hasRespondedAt: c.respondedAt !== null });
    const kimAccepted = ok(await respond(lee, fromKim.id, true)).respondToConnection.connection;
    const samAccepted = ok(await respond(lee, fromSam.id, true)).respondToConnection.connection;
    expect(shapeOf(kimAccepted)).toEqual({ status: 'ACCEPTED', direction: 'RECEIVED', hasRespondedAt: true });
    expect(shapeOf(samAccepted)).toEqual(shapeOf(kimAccepted));
    expect((await connectionRows(clinic.id)).map((r) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    // Details show where the policy allows them today: between Lee and Sam, not yet with Kim.
    expect(samAccepted.contact).toEqual({ email: 'sam@example.test', phone: null, handle: null });
    expect(kimAccepted.contact).toBeNull();
    expect((await connectionAs(kim, fromKim.id)).contact).toBeNull();
    await graduate(world, kim);
    expect((await connectionAs(lee, fromKim.id)).contact).toEqual({ email: 'kim@example.test', phone: null, handle: null });
  });
});

describe('contact details', () => {
  it('follow the group\'s peer-contact policy now: hidden (and not audited) while it is NEVER, or AFTER_COMPLETION with both still in the group', async () => {
    const world = await acceptedPair();
    const { clinic, kim, lee, id } = world;
    expect(await cards(kim, lee, id)).toEqual({ kimSees: LEE_CARD, leeSees: KIM_CARD });
    for (const policy of ['NEVER', 'AFTER_COMPLETION'] as const) {
      await setPolicy(clinic, world.group, policy);
      const audited = (await contactAudits(clinic.id)).length;
      expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: null });
      expect(await contactAudits(clinic.id)).toHaveLength(audited);
      // The connection itself stands: the card shows again when the policy allows it.
      expect((await connectionAs(kim, id)).status).toBe('ACCEPTED');
    }
    await setPolicy(clinic, world.group, 'ANYTIME');
    expect(await cards(kim, lee, id)).toEqual({ kimSees: LEE_CARD, leeSees: KIM_CARD });
  });

  it('are absent before the request is accepted, even when both consent', async () => {
    const world = await trio();
    const { kim, lee } = world;
    await setContactPrefs(kim, { shareEmail: true, sharePhone: true, handle: '@kim' });
    await setContactPrefs(lee, { shareEmail: true, sharePhone: true, handle: '@lee' });
    await allowContactSharing(kim);
    await allowContactSharing(lee);
    const c = await requested(kim, lee);
    expect(c.contact).toBeNull();
    expect(await cards(kim, lee, c.id)).toEqual({ kimSees: null, leeSees: null });
    expect(ok(await gql(kim.auth, CONNECTION_NODE, { id: c.id })).node.contact).toBeNull();
    expect(await contactAudits(world.clinic.id)).toEqual([]);
  });

  it.each([
    ['neither consents', [] as ('kim' | 'lee')[]],
    ['only the requester consents', ['kim'] as ('kim' | 'lee')[]],
    ['only the recipient consents', ['lee'] as ('kim' | 'lee')[]],
  ])('are absent on an accepted connection when %s to CONTACT_SHARING', async (_label, consenting) => {
    const { clinic, kim, lee, id } = await acceptedPair(consenting);
    expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: null });
    expect(ok(await gql(lee.auth, CONNECTION_NODE, { id })).node.contact).toBeNull();
    expect(await contactAudits(clinic.id)).toEqual([]);
  });

  it('is absent, not empty, when both consent but its owner shares nothing: a withheld card and an empty one look alike (session 14)', async () => {
    // Before: {email: null, phone: null, handle: null} beside a withheld null told Kim that Lee had
    // revoked CONTACT_SHARING rather than chosen to share nothing.
    const { clinic, kim, lee, id } = await acceptedPair();
    await setContactPrefs(lee, { shareEmail: false, sharePhone: false, handle: null });
    const before = (await contactAudits(clinic.id)).length;
    expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: KIM_CARD });
    // Nothing shown of Lee, nothing recorded as read of Lee's contact details.
    expect((await contactAudits(clinic.id)).slice(before).map((a: any) => a.subject_client_id)).toEqual([kim.client.id]);
  });

  it('are present when accepted and both consent, each showing only the fields its owner chose', async () => {
    const { kim, lee, id } = await acceptedPair();
    expect(await cards(kim, lee, id)).toEqual({ kimSees: LEE_CARD, leeSees: KIM_CARD });
    expect(ok(await gql(kim.auth, CONNECTION_NODE, { id })).node.contact).toEqual(LEE_CARD);
  });

  it('follow a change of preferences on the next request', async () => {
    const { kim, lee, id } = await acceptedPair();
    await setContactPrefs(lee, { shareEmail: true, sharePhone: false, handle: 'lee-the-runner' });
    expect((await connectionAs(kim, id)).contact).toEqual({ email: 'lee@example.test', phone: null, handle: 'lee-the-runner' });
  });

  it('are absent on the next request after either member withdraws', async () => {
    for (const who of ['kim', 'lee'] as const) {
      const world = await acceptedPair();
      const { clinic, kim, lee, id } = world;
      expect(await cards(kim, lee, id)).toEqual({ kimSees: LEE_CARD, leeSees: KIM_CARD });
      const withdrawn = ok(await gql(world[who].auth, WITHDRAW, { input: { connectionId: id } })).withdrawConnection.connection;
      expect(withdrawn).toMatchObject({ status: 'WITHDRAWN', contact: null });
      const [row] = await connectionRows(clinic.id);
      expect(row.status).toBe('WITHDRAWN');
      expect(row.closed_at).toBeInstanceOf(Date);
      expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: null });
    }
  });

  it('follow a decision made for the connection\'s group alone: a group-scoped DENY hides, a group-scoped PERMIT reveals', async () => {
    const world = await acceptedPair(['kim']);
    const { kim, lee, id, group } = world;
    // Lee has no clinic-wide consent; his permission for this group alone is enough.
    expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: null });
    await grantConsent(lee.auth, { type: 'CONTACT_SHARING', groupId: group.gid });
    expect(await cards(kim, lee, id)).toEqual({ kimSees: LEE_CARD, leeSees: KIM_CARD });
    // Kim, who shares clinic-wide, denies it for this group: her DENY there overrides.
    await grantConsent(kim.auth, { type: 'CONTACT_SHARING', groupId: group.gid, provision: 'DENY' });
    expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: null });
  });

  it('are absent on the next request after either member revokes CONTACT_SHARING', async () => {
    for (const who of ['kim', 'lee'] as const) {
      const world = await acceptedPair();
      const { clinic, kim, lee, id, consents } = world;
      expect(await cards(kim, lee, id)).toEqual({ kimSees: LEE_CARD, leeSees: KIM_CARD });
      await revokeConsent(world[who].auth, consents[who]!, 'no more sharing');
      expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: null });
      // The connection itself stays accepted; only the consent changed.
      expect((await connectionRows(clinic.id)).map((r) => r.status)).toEqual(['ACCEPTED']);
    }
  });

  it('are absent after a block, and the blocked member\'s new requests go nowhere: taken like any request, never seen by the blocker', async () => {
    const { clinic, kim, lee, sam, id } = await acceptedPair();
    expect(await cards(kim, lee, id)).toEqual({ kimSees: LEE_CARD, leeSees: KIM_CARD });
    const blocked = ok(await gql(lee.auth, BLOCK, { input: { connectionId: id } })).blockMember.connection;
    expect(blocked.contact).toBeNull();
    expect(await ownerQuery(`SELECT blocker_client_id, blocked_client_id FROM member_blocks WHERE clinic_id = $1`, [clinic.id])).toEqual([
      { blocker_client_id: lee.client.id, blocked_client_id: kim.client.id },
    ]);
    const [row] = await connectionRows(clinic.id);
    expect(row.status).toBe('BLOCKED');
    expect(await cards(kim, lee, id)).toEqual({ kimSees: null, leeSees: null });
    // An accepted connection ends as if withdrawn: a decline could not have ended it.
    expect((await connectionAs(kim, id)).status).toBe('WITHDRAWN');
    expect(row).toMatchObject({ blocked_shown_as: 'WITHDRAWN' });

    // Kim asks again: the answer is a request's, as Sam's to Lee is.
    const again = await requested(kim, lee);
    const fromSam = await requested(sam, lee);
    const shape = (c: Record<string, unknown>) => ({ ...c, id: null, createdAt: null, otherDisplayName: null });
    expect(shape(again)).toEqual(shape(fromSam));
    // Lee never sees Kim's; Sam's is there to answer.
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([fromSam.id, id]);
    await expectRefused('NOT_FOUND', [clinic.id], () => respond(lee, again.id, true));
    // Kim sees it pending, may withdraw it, and cannot send a second (as with any pending request).
    expect((await connectionAs(kim, again.id)).status).toBe('REQUESTED');
    expect(errorShape(await request(kim, lee))).toEqual(errorShape(await request(sam, lee)));
    expect(ok(await gql(kim.auth, WITHDRAW, { input: { connectionId: again.id } })).withdrawConnection.connection.status).toBe('WITHDRAWN');
    // Withdrawn, it still never reaches Lee, nor Lee's access report.
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([fromSam.id, id]);
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE resource_id = $1 AND subject_client_id = $2`, [uuidOf(again.id), lee.client.id])).toEqual([]);
    // Lee, the blocker, asking Kim finds no one.
    const byBlocker = await expectRefused('NOT_FOUND', [clinic.id], () => request(lee, kim));
    expect(errorShape(byBlocker)).toEqual(errorShape(await request(lee, toGlobalId('Membership', randomUUID()))));
  });

  it('every reveal is audited against the member whose details were shown, and shows in their access report', async () => {
    const { clinic, kim, lee, sam, id } = await acceptedPair();
    const kimSawLee = { actor_type: 'CLIENT', actor_id: kim.client.id, action: 'READ', resource_id: lee.client.id, subject_client_id: lee.client.id };
    const leeSawKim = { actor_type: 'CLIENT', actor_id: lee.client.id, action: 'READ', resource_id: kim.client.id, subject_client_id: kim.client.id };
    // Lee's acceptance answered with the connection and Kim's card: that was the first reveal.
    expect(await contactAudits(clinic.id)).toEqual([leeSawKim]);

    // Kim looks twice; Lee once more.
    await connectionAs(kim, id);
    await connectionAs(kim, id);
    await connectionAs(lee, id);
    expect(await contactAudits(clinic.id)).toEqual([leeSawKim, kimSawLee, kimSawLee, leeSawKim]);

    const report = ok(await gql(lee.auth, `{ myAccessReport { accesses { action resourceType occurredAt actor { kind name role } } } }`)).myAccessReport;
    const seen = report.accesses.filter((a: any) => a.resourceType === 'ContactDetails');
    expect(seen).toHaveLength(2);
    // Kim's report shows Lee's two looks at her details.
    const kimReport = ok(await gql(kim.auth, `{ myAccessReport { accesses { resourceType actor { kind } } } }`)).myAccessReport;
    expect(kimReport.accesses.filter((a: any) => a.resourceType === 'ContactDetails')).toEqual([
      { resourceType: 'ContactDetails', actor: { kind: 'CLIENT' } },
      { resourceType: 'ContactDetails', actor: { kind: 'CLIENT' } },
    ]);
    for (const a of seen) {
      expect(a).toMatchObject({ action: 'READ', actor: { kind: 'CLIENT', role: null } });
      expect(Number.isNaN(Date.parse(a.occurredAt))).toBe(false);
    }
    // Sam's report shows nobody seeing his details.
    const samReport = ok(await gql(sam.auth, `{ myAccessReport { accesses { resourceType } } }`)).myAccessReport;
    expect(samReport.accesses.filter((a: any) => a.resourceType === 'ContactDetails')).toEqual([]);
  });
  it('the access report says who saw the member\'s contact details: the connection, by display name', async () => {
    const { kim, lee, id } = await acceptedPair();
    await connectionAs(kim, id);
    const report = ok(await gql(lee.auth, `{ myAccessReport { accesses { resourceType actor { kind name } } } }`)).myAccessReport;
    expect(report.accesses.filter((a: any) => a.resourceType === 'ContactDetails')).toEqual([
      { resourceType: 'ContactDetails', actor: { kind: 'CLIENT', name: displayName(kim) } },
    ]);
  });
});

describe('what a declined or blocked request reveals', () => {
  it('shows the requester DECLINED with nothing more, whether the recipient declined or blocked', async () => {
    const { clinic, kim, lee, sam } = await trio();
    await setContactPrefs(lee, { shareEmail: true, sharePhone: true, handle: '@lee' });
    await allowContactSharing(lee);
    await allowContactSharing(kim);
    await allowContactSharing(sam);
    const fromKim = await requested(kim, lee);
    const fromSam = await requested(sam, lee);
    ok(await respond(lee, fromKim.id, false));
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: fromSam.id } }));

    const declined = await connectionAs(kim, fromKim.id);
    const blocked = await connectionAs(sam, fromSam.id);
    for (const c of [declined, blocked]) {
      expect(c).toMatchObject({ status: 'DECLINED', direction: 'SENT', otherDisplayName: displayName(lee), contact: null });
    }
    // The same fields are filled in either way: nothing tells a block from a decline.
    const filled = (c: Record<string, unknown>) => Object.keys(c).filter((k) => c[k] !== null).sort();
    expect(filled(blocked)).toEqual(filled(declined));
    const viaNode = ok(await gql(sam.auth, CONNECTION_NODE, { id: fromSam.id })).node;
    expect(filled(viaNode)).toEqual(filled(ok(await gql(kim.auth, CONNECTION_NODE, { id: fromKim.id })).node));

    expect((await connectionRows(clinic.id)).map((r) => r.status)).toEqual(['DECLINED', 'BLOCKED']);
    expect(await contactAudits(clinic.id)).toEqual([]);
  });

  it('a block by the one who asked shows the other a withdrawal, field for field; a closed connection stays as it closed', async () => {
    const { clinic, kim, lee, sam } = await trio();
    const kimToLee = await requested(kim, lee);
    const samToLee = await requested(sam, lee);
    ok(await gql(kim.auth, BLOCK, { input: { connectionId: kimToLee.id } }));
    ok(await gql(sam.auth, WITHDRAW, { input: { connectionId: samToLee.id } }));
    const blocked = await connectionAs(lee, kimToLee.id);
    const withdrawn = await connectionAs(lee, samToLee.id);
    expect(blocked).toMatchObject({ status: 'WITHDRAWN', direction: 'RECEIVED', respondedAt: null });
    const filled = (c: Record<string, unknown>) => Object.keys(c).filter((k) => c[k] !== null).sort();
    expect(filled(blocked)).toEqual(filled(withdrawn));
    // Lee declines Sam's next request, then Sam blocks Lee: it stays DECLINED, and Lee is blocked all the same.
    const again = await requested(sam, lee);
    ok(await respond(lee, again.id, false));
    expect(ok(await gql(sam.auth, BLOCK, { input: { connectionId: again.id } })).blockMember.connection.status).toBe('DECLINED');
    expect((await connectionRows(clinic.id)).map((r) => [r.status, r.blocked_shown_as])).toEqual([
      ['BLOCKED', 'WITHDRAWN'], ['WITHDRAWN', null], ['DECLINED', null],
    ]);
    expect(await ownerQuery(`SELECT blocker_client_id, blocked_client_id FROM member_blocks WHERE clinic_id = $1 ORDER BY created_at`, [clinic.id])).toEqual([
      { blocker_client_id: kim.client.id, blocked_client_id: lee.client.id },
      { blocker_client_id: sam.client.id, blocked_client_id: lee.client.id },
    ]);
  });

  it('ends the partnerships between the two as the blocker could end them, so the blocked member no longer sees the blocker\'s partner-shared goals; other partnerships stand', async () => {
    const world = await groupWith('ANYTIME', 4);
    const { clinic } = world;
    const [kim, lee, sam, ada] = world.members;
    // Lee proposed and Kim accepted; Sam proposed to Ada, who has not answered; Lee and Sam are partners too.
    const kimLee = await partner(lee, kim);
    const samToAda = ok(await gql(sam.auth, PROPOSE, { input: { partnerMembershipId: ada.membershipGid } })).proposePartnership.partnership;
    const leeSam = await partner(lee, sam);
    const kimsGoal = await createGoal(kim, { visibility: 'PARTNERS', lifecycleStatus: 'ACTIVE' });
    expect(await listedGoalIds(lee.auth)).toContain(kimsGoal.gid);

    const kimToLee = await requested(kim, lee);
    const adaToSam = await requested(ada, sam);
    ok(await gql(kim.auth, BLOCK, { input: { connectionId: kimToLee.id } }));
    ok(await gql(sam.auth, BLOCK, { input: { connectionId: adaToSam.id } }));

    const stored = await ownerQuery(`SELECT id, status, end_reason FROM accountability_partnerships WHERE clinic_id = $1 ORDER BY created_at, id`, [clinic.id]);
    expect(stored).toEqual([
      { id: kimLee.id, status: 'ENDED', end_reason: 'Ended by a member' },
      { id: uuidOf(samToAda.id), status: 'ENDED', end_reason: 'Ended by a member' },
      { id: leeSam.id, status: 'ACTIVE', end_reason: null },
    ]);
    expect(await listedGoalIds(lee.auth)).not.toContain(kimsGoal.gid);
    // Each ending is recorded about both members, as an ending by either of them is.
    const updates = await ownerQuery(
      `SELECT resource_id, subject_client_id FROM audit_events WHERE clinic_id = $1 AND resource_type = 'AccountabilityPartnership' AND action = 'UPDATE' AND resource_id = ANY($2)`,
      [clinic.id, [kimLee.id, uuidOf(samToAda.id)]],
    );
    const about = (id: string) => updates.filter((u: { resource_id: string }) => u.resource_id === id).map((u: { subject_client_id: string }) => u.subject_client_id).sort();
    expect(about(kimLee.id)).toEqual(expect.arrayContaining([kim.client.id, lee.client.id]));
    expect(about(uuidOf(samToAda.id))).toEqual([ada.client.id, sam.client.id].sort());
  });

  it('lets a declined requester ask again later', async () => {
    const { clinic, kim, lee } = await trio();
    const first = await requested(kim, lee);
    ok(await respond(lee, first.id, false));
    expect((await requested(kim, lee)).status).toBe('REQUESTED');
    expect((await connectionRows(clinic.id)).map((r) => r.status)).toEqual(['DECLINED', 'REQUESTED']);
  });
});

describe('privacy of connections', () => {
  it('a member cannot see other members\' connections, through connections or node(id:)', async () => {
    const { clinic, kim, lee, sam } = await trio();
    await allowContactSharing(kim);
    await allowContactSharing(lee);
    const id = await connect(kim, lee);
    const audited = await contactAudits(clinic.id);
    expect(await connectionsOf(sam)).toEqual([]);
    const res = await gql(sam.auth, CONNECTION_NODE, { id });
    expectError(res, 'NOT_FOUND');
    expect(res.data).toBeNull();
    // Nor can staff read members' connections.
    const staff = await gql(clinic.admin.auth, CONNECTION_NODE, { id });
    expect(staff.data).toBeNull();
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(staff.codes[0]);
    // No one saw anyone's details through these attempts.
    expect(await contactAudits(clinic.id)).toEqual(audited);
  });
});

describe('the connections list: pages and filters', () => {
  const page = (m: Member, variables: Record<string, unknown>) => gql(m.auth, CONNECTIONS, variables);
  const nodeIds = (data: any): string[] => data.connections.edges.map((e: { node: { id: string } }) => e.node.id);
  const ids = async (m: Member, variables: Record<string, unknown>) => nodeIds(ok(await page(m, variables)));

  it('pages newest first with keyset cursors, the pages together the whole list, in one statement whatever the list\'s length', async () => {
    const world = await groupWith('ANYTIME', 5);
    const [lee, ...askers] = world.members;
    const asked = [(await requested(askers[0], lee)).id];
    const one = await page(lee, {});
    for (const asker of askers.slice(1)) asked.push((await requested(asker, lee)).id);
    const whole = ok(await page(lee, {}));
    expect(nodeIds(whole)).toEqual([...asked].reverse());
    const first = ok(await page(lee, { first: 3 }));
    expect(nodeIds(first)).toEqual(asked.slice(1).reverse());
    expect(first.connections.pageInfo.hasNextPage).toBe(true);
    const second = ok(await page(lee, { first: 3, after: first.connections.pageInfo.endCursor }));
    expect(nodeIds(second)).toEqual([asked[0]]);
    expect(second.connections.pageInfo).toEqual({ hasNextPage: false, endCursor: second.connections.edges[0].cursor });
    // The same statements for one connection and for four.
    expect((await page(lee, {})).sqlStatements).toBe(one.sqlStatements);
  });

  it('filters by direction and by the status shown: a block is found as the decline it shows as, never told apart', async () => {
    const world = await groupWith('ANYTIME', 4);
    const [lee, kim, sam, ada] = world.members;
    const fromKim = await requested(kim, lee);
    const fromSam = await requested(sam, lee);
    const toAda = await requested(lee, ada);
    ok(await respond(lee, fromKim.id, false));
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: fromSam.id } }));
    const sorted = (list: string[]) => [...list].sort();
    expect(sorted(await ids(lee, { filter: { direction: 'RECEIVED' } }))).toEqual(sorted([fromKim.id, fromSam.id]));
    expect(await ids(lee, { filter: { direction: 'SENT' } })).toEqual([toAda.id]);
    expect(await ids(lee, { filter: { status: ['REQUESTED'] } })).toEqual([toAda.id]);
    // Sam, blocked, finds the block among declines exactly as Kim finds the decline.
    expect(await ids(sam, { filter: { status: ['DECLINED'], direction: 'SENT' } })).toEqual([fromSam.id]);
    expect(await ids(kim, { filter: { status: ['DECLINED'], direction: 'SENT' } })).toEqual([fromKim.id]);
    expect(await ids(sam, { filter: { status: ['WITHDRAWN', 'ACCEPTED', 'REQUESTED'] } })).toEqual([]);
    // BLOCKED is no status anyone is shown, so none can be asked for.
    const asked = await page(sam, { filter: { status: ['BLOCKED'] } });
    expectError(asked, 'BAD_USER_INPUT');
    expect(asked.data).toBeUndefined();
  });

  it('never finds a request held from the member, whatever the filter', async () => {
    const world = await groupWith('AFTER_COMPLETION', 2);
    const [kim, lee] = world.members;
    await graduate(world, kim);
    const held = await requested(kim, lee);
    expect(held.status).toBe('REQUESTED');
    for (const filter of [{}, { status: ['REQUESTED'] }, { direction: 'RECEIVED' }, { status: ['REQUESTED'], direction: 'RECEIVED' }]) {
      expect(await ids(lee, { filter })).toEqual([]);
    }
    expect(await ids(kim, { filter: { direction: 'SENT', status: ['REQUESTED'] } })).toEqual([held.id]);
  });

  it('refuses sizes out of 1–100 and cursors it did not give, as BAD_USER_INPUT, and nothing is read', async () => {
    const world = await groupWith('ANYTIME', 2);
    const [kim, lee] = world.members;
    await requested(kim, lee);
    const forged = Buffer.from(JSON.stringify(['not a time', 'x'])).toString('base64url');
    const readsOf = () => ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE clinic_id = $1 AND resource_type = 'Connection' AND action = 'READ'`, [world.clinic.id]);
    const before = await readsOf();
    for (const variables of [{ first: 0 }, { first: 101 }, { after: 'garbage' }, { after: forged }]) {
      const res = await page(lee, variables);
      expectError(res, 'BAD_USER_INPUT');
      expect(res.data).toBeNull();
    }
    expect(await readsOf()).toEqual(before);
  });
});

describe('two members who share two groups', () => {
  /** Kim and Lee in an AFTER_COMPLETION group (G1) and an ANYTIME group (G2); Kim has finished G1, Lee has not. */
  async function twoGroups() {
    const world = await trio('AFTER_COMPLETION');
    const { clinic, kim, lee } = world;
    const { group: g2, members: [kim2, lee2] } = await sharedAnytimeGroup(clinic, [kim, lee]);
    await graduate(world, kim);
    return { ...world, g2, kim2, lee2 };
  }

  it('a request held from Lee through one group does not stand in the way of Lee asking through the other: no "already pending" tells of it', async () => {
    const { clinic, kim, lee, kim2 } = await twoGroups();
    const held = await requested(kim, lee);
    const fromLee = await request(lee, kim2);
    expect(fromLee.errors).toBeUndefined();
    expect(fromLee.data.requestConnection.connection).toMatchObject({ status: 'REQUESTED', direction: 'SENT' });
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([fromLee.data.requestConnection.connection.id]);
    // Kim accepts Lee's; when Lee's G1 membership ends, Kim's old request stays held: the pair has its exchange.
    ok(await respond(kim, fromLee.data.requestConnection.connection.id, true));
    await endMembership(clinic, lee);
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([fromLee.data.requestConnection.connection.id]);
    expect((await connectionRows(clinic.id)).find((r) => r.id === uuidOf(held.id))).toMatchObject({ status: 'REQUESTED', held_from_recipient: true });
    // Kim asking again is refused as any second request is: Kim knows of both.
    expectError(await request(kim, lee), 'CONFLICT');
  });

  it('a block closes every open connection of the pair, and a block of a closed one is recorded about the blocker alone', async () => {
    const { kim, lee, kim2, lee2 } = await twoGroups();
    await allowContactSharing(kim);
    await allowContactSharing(lee);
    // Lee shares something: a card showing nothing is none (session 14).
    await setContactPrefs(lee, { shareEmail: true, sharePhone: false, handle: null });
    // A declined request through G2, then an accepted connection through G2 again.
    const first = await requested(lee, kim2);
    ok(await respond(kim, first.id, false));
    const accepted = await connect(kim, lee2);
    expect((await connectionAs(kim, accepted)).contact).not.toBeNull();
    // Kim blocks Lee through the old, declined one: what it wrote about Lee is what Kim's block request wrote.
    const block = await gql(kim.auth, BLOCK, { input: { connectionId: first.id } });
    expect(block.errors).toBeUndefined();
    const leeSees = await connectionAs(lee, accepted);
    expect(leeSees).toMatchObject({ status: 'WITHDRAWN', contact: null });
    expect((await connectionAs(lee, first.id)).status).toBe('DECLINED');
    const aboutLee = (res: typeof block) =>
      ownerQuery<{ resource_id: string; action: string }>(`SELECT resource_id, action FROM audit_events WHERE request_id = $1 AND subject_client_id = $2 AND action = 'UPDATE'`, [
        res.body.extensions!.requestId,
        lee.client.id,
      ]);
    // About Lee: only the withdrawal of the accepted one, as a real withdrawal would record.
    expect(await aboutLee(block)).toEqual([{ resource_id: uuidOf(accepted), action: 'UPDATE' }]);
    // A second block through the same closed row changes nothing Lee sees, and records nothing about Lee.
    const again = await gql(kim.auth, BLOCK, { input: { connectionId: first.id } });
    expect(again.errors).toBeUndefined();
    expect(await aboutLee(again)).toEqual([]);
  });

  it('a held request from a member one blocked is never released, even when the policy comes to allow it', async () => {
    const { clinic, kim, lee, lee2, kim2 } = await twoGroups();
    // Lee blocks Kim through a G2 request of Kim's.
    const viaG2 = await requested(kim2, lee2);
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: viaG2.id } }));
    const held = await requested(kim, lee);
    expect(held.status).toBe('REQUESTED');
    await endMembership(clinic, lee);
    expect((await connectionsOf(lee)).map((c: { id: string }) => c.id)).toEqual([viaG2.id]);
    expect((await connectionRows(clinic.id)).find((r) => r.id === uuidOf(held.id))).toMatchObject({ status: 'REQUESTED', held_from_recipient: true });
  });
});
