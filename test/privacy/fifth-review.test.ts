/**
 * Regression tests for what the session 12 reviews found in what members see of each other:
 * lists ordered by legal names that peers never see. Each failed against the code before its fix.
 */
import { gql } from '../support/test-app';
import { acceptAgreement, activeGroup, createGoal, enrolNew, grantConsent, ok, partner, shareGoals } from '../goals/goal-fixtures';
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
