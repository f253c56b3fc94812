/**
 * Regression tests for what the session 12 reviews found in what members see of each other:
 * lists ordered by legal names that peers never see. Each failed against the code before its fix.
 */
import { gql } from '../support/test-app';
import { acceptAgreement, activeGroup, createGoal, enrolNew, ok, shareGoals } from '../goals/goal-fixtures';
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
