/**
 * Group events: outings, reunions and alumni check-ins created by a group's facilitators or an
 * admin, answered by the people invited (current members, alumni, or both). Invitees see how
 * many are going; the names of other attendees only while going themselves, and only of those
 * who consent to being seen there.
 */
import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { acceptAgreement, activeGroup, enrolNew } from '../goals/goal-fixtures';
import {
  agreementConsentOf,
  CREATE_EVENT,
  createEvent,
  displayName,
  endMembership,
  EVENT_NODE,
  eventRows,
  eventsFor,
  expectRefused,
  graduate,
  GROUP_EVENTS,
  inDays,
  Member,
  ok,
  revokeConsent,
  rsvp,
  rsvped,
  rsvpRows,
  uuidOf,
} from './after-group-fixtures';

/**
 * A group of six: Ann and Ben completed (Ann opted into the alumni directory, Ben did not), Cat,
 * Dan and Fay are current members (agreement accepted), and Wes withdrew.
 */
async function eventWorld() {
  const world = await activeGroup({ members: 6 });
  const [ann, ben, cat, dan, fay, wes] = world.members;
  await graduate(world, ann);
  await endMembership(world.clinic, ben);
  await endMembership(world.clinic, wes, 'WITHDRAWN');
  return { ...world, ann, ben, cat, dan, fay, wes };
}

type World = Awaited<ReturnType<typeof eventWorld>>;

/** One event of each audience, created by the facilitator. */
async function threeEvents(world: World) {
  const members = await createEvent(world.lead.auth, world.group, { kind: 'OUTING', audience: 'MEMBERS', title: 'Bowling night' });
  const alumni = await createEvent(world.lead.auth, world.group, { kind: 'ALUMNI_CHECK_IN', audience: 'ALUMNI', title: 'Six-month check-in' });
  const both = await createEvent(world.lead.auth, world.group, { kind: 'REUNION', audience: 'BOTH', title: 'Summer reunion' });
  return { members, alumni, both };
}

const names = (...ms: Member[]) => ms.map(displayName).sort();
const sorted = (xs: string[] | null) => (xs ? [...xs].sort() : xs);

describe('creating group events', () => {
  it('the group\'s facilitator creates one, stored as given', async () => {
    const world = await eventWorld();
    const startsAt = inDays(10);
    const endsAt = inDays(10.1);
    const event = await createEvent(world.lead.auth, world.group, {
      kind: 'REUNION',
      audience: 'BOTH',
      title: '  Summer reunion ',
      description: 'Bring a dish.',
      startsAt,
      endsAt,
      location: 'Riverside Park, north lawn',
      videoLink: 'https://video.example.test/reunion',
    });
    expect(event).toMatchObject({
      kind: 'REUNION',
      audience: 'BOTH',
      title: 'Summer reunion',
      description: 'Bring a dish.',
      startsAt,
      endsAt,
      location: 'Riverside Park, north lawn',
      videoLink: 'https://video.example.test/reunion',
      myRsvp: null,
      counts: { going: 0, maybe: 0 },
      attendees: [],
    });
    expect(await eventRows(world.clinic.id)).toEqual([
      expect.objectContaining({
        id: uuidOf(event.id),
        group_id: world.group.id,
        kind: 'REUNION',
        audience: 'BOTH',
        title: 'Summer reunion',
        created_by_staff_id: world.lead.id,
      }),
    ]);
  });

  it('a clinic admin creates one too', async () => {
    const world = await eventWorld();
    const event = await createEvent(world.clinic.admin.auth, world.group, { audience: 'ALUMNI', kind: 'ALUMNI_CHECK_IN', title: 'Alumni coffee' });
    expect(event).toMatchObject({ audience: 'ALUMNI', kind: 'ALUMNI_CHECK_IN', title: 'Alumni coffee' });
    expect(await eventRows(world.clinic.id)).toEqual([expect.objectContaining({ id: uuidOf(event.id), created_by_staff_id: world.clinic.admin.id })]);
  });

  it('refuses a member, current or former: FORBIDDEN, nothing stored', async () => {
    const world = await eventWorld();
    for (const m of [world.cat, world.ann]) {
      await expectRefused('FORBIDDEN', [world.clinic.id], () =>
        gql(m.auth, CREATE_EVENT, { input: { groupId: world.group.gid, kind: 'OUTING', audience: 'MEMBERS', title: 'My party', startsAt: inDays(3) } }),
      );
    }
    expect(await eventRows(world.clinic.id)).toEqual([]);
  });

  it('refuses a clinician who does not facilitate the group: FORBIDDEN, nothing stored', async () => {
    const world = await eventWorld();
    const bystander = await world.clinic.addStaff('CLINICIAN');
    // Leading another group of the clinic does not help.
    const otherLead = await world.clinic.addStaff('CLINICIAN');
    await activeGroup({ clinic: world.clinic, members: 1, lead: otherLead });
    for (const clinician of [bystander, otherLead]) {
      await expectRefused('FORBIDDEN', [world.clinic.id], () =>
        gql(clinician.auth, CREATE_EVENT, { input: { groupId: world.group.gid, kind: 'OUTING', audience: 'MEMBERS', title: 'Not mine', startsAt: inDays(3) } }),
      );
    }
    expect(await eventRows(world.clinic.id)).toEqual([]);
  });

  it('refuses an end before the start: BAD_USER_INPUT, nothing stored', async () => {
    const world = await eventWorld();
    await expectRefused('BAD_USER_INPUT', [world.clinic.id], () =>
      gql(world.lead.auth, CREATE_EVENT, {
        input: { groupId: world.group.gid, kind: 'OUTING', audience: 'MEMBERS', title: 'Backwards', startsAt: inDays(3), endsAt: inDays(2) },
      }),
    );
  });
});

describe('invitations', () => {
  it('groupEvents lists members only the events they are invited to: MEMBERS for current members, ALUMNI for those who completed, BOTH for both', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    for (const m of [world.cat, world.dan]) expect([...(await eventsFor(m.auth)).keys()].sort()).toEqual([e.members.id, e.both.id].sort());
    for (const m of [world.ann, world.ben]) expect([...(await eventsFor(m.auth)).keys()].sort()).toEqual([e.alumni.id, e.both.id].sort());
    // A member who withdrew is invited to none.
    expect([...(await eventsFor(world.wes.auth)).keys()]).toEqual([]);
    // Staff with the group see all three.
    for (const auth of [world.lead.auth, world.clinic.admin.auth]) {
      expect([...(await eventsFor(auth, world.group)).keys()].sort()).toEqual([e.members.id, e.alumni.id, e.both.id].sort());
    }
  });

  it('a member\'s invitations are all listed, however many events other groups of the clinic have', async () => {
    const world = await eventWorld();
    const ours = await createEvent(world.lead.auth, world.group, { audience: 'MEMBERS', title: 'Our outing', startsAt: inDays(30) });
    // A busy neighbouring group with 250 upcoming events, all sooner than ours.
    const neighbour = await activeGroup({ clinic: world.clinic, members: 1 });
    await ownerQuery(
      `INSERT INTO group_events (clinic_id, group_id, kind, audience, title, starts_at, created_by_staff_id)
       SELECT $1, $2, 'OUTING', 'BOTH', 'Their outing ' || i, now() + make_interval(hours => i), $3 FROM generate_series(1, 250) i`,
      [world.clinic.id, neighbour.group.id, neighbour.lead.id],
    );
    expect([...(await eventsFor(world.cat.auth, world.group)).keys()]).toEqual([ours.id]);
    expect([...(await eventsFor(world.lead.auth, world.group)).keys()]).toEqual([ours.id]);
    // Without a group filter too: other groups' events must not crowd Cat's invitation out.
    expect([...(await eventsFor(world.cat.auth)).keys()]).toEqual([ours.id]);
  });

  it('nobody else sees them: members of other groups, other clinicians, other clinics', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    const neighbour = await activeGroup({ clinic: world.clinic, members: 1 });
    const stranger = await world.clinic.addStaff('CLINICIAN');
    const elsewhere = await activeGroup({ members: 1 });
    for (const auth of [neighbour.members[0].auth, stranger.auth, elsewhere.members[0].auth, elsewhere.clinic.admin.auth]) {
      expect([...(await eventsFor(auth)).keys()]).toEqual([]);
      expectError(await gql(auth, EVENT_NODE, { id: e.both.id }), 'NOT_FOUND');
    }
    // node(id:) answers like groupEvents for the invited and the uninvited.
    expect(ok(await gql(world.cat.auth, EVENT_NODE, { id: e.members.id })).node.id).toBe(e.members.id);
    expectError(await gql(world.cat.auth, EVENT_NODE, { id: e.alumni.id }), 'NOT_FOUND');
    expectError(await gql(world.ann.auth, EVENT_NODE, { id: e.members.id }), 'NOT_FOUND');
  });
});

describe('paging through events', () => {
  /** Inserts events of `audience` in the world's group, `hours` from now (negative: past). */
  async function eventsAt(world: World, audience: string, hours: number[]): Promise<string[]> {
    const rows = await ownerQuery<{ id: string }>(
      `WITH added AS (
         INSERT INTO group_events (clinic_id, group_id, kind, audience, title, starts_at, created_by_staff_id)
         SELECT $1, $2, 'OUTING', $3, 'Event at ' || h, now() + make_interval(hours => h), $4 FROM unnest($5::int[]) h
         RETURNING id, starts_at)
       SELECT id FROM added ORDER BY starts_at`,
      [world.clinic.id, world.group.id, audience, world.lead.id, hours],
    );
    return rows.map((r) => toGlobalId('GroupEvent', r.id));
  }

  /** Every page `auth` gets with `first`, as lists of ids, checking each page's cursors. */
  async function pages(auth: string, first: number, filter: Record<string, unknown> = {}): Promise<string[][]> {
    const all: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const { edges, pageInfo }: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = ok(
        await gql(auth, GROUP_EVENTS, { filter, first, after }),
      ).groupEvents;
      all.push(edges.map((e) => e.node.id));
      expect(pageInfo.endCursor).toBe(edges.length ? edges[edges.length - 1].cursor : null);
      if (!pageInfo.hasNextPage) return all;
      expect(edges).toHaveLength(first);
      after = pageInfo.endCursor;
    }
  }

  it('pages are full and ordered by start: uninvited events before a member\'s own never shorten or stall a page', async () => {
    const world = await eventWorld();
    const alumniOnly = await eventsAt(world, 'ALUMNI', [1, 2, 3, 4, 5]);
    const membersOnly = await eventsAt(world, 'MEMBERS', [10, 11, 12]);
    const both = await eventsAt(world, 'BOTH', [20]);
    // Cat (active) is invited to MEMBERS and BOTH events; the five alumni events come first and are skipped in SQL.
    expect(await pages(world.cat.auth, 2)).toEqual([membersOnly.slice(0, 2), [membersOnly[2], both[0]]]);
    // Ann (completed) gets the alumni events and the one for both.
    expect(await pages(world.ann.auth, 2)).toEqual([alumniOnly.slice(0, 2), alumniOnly.slice(2, 4), [alumniOnly[4], both[0]]]);
    // Wes withdrew: an empty page, nothing to follow.
    expect(await pages(world.wes.auth, 2)).toEqual([[]]);
    // The facilitator pages through all nine in start order, each once.
    expect((await pages(world.lead.auth, 4)).flat()).toEqual([...alumniOnly, ...membersOnly, ...both]);
  });

  it('upcoming: false adds past events, oldest first; the default lists only those not yet started', async () => {
    const world = await eventWorld();
    const past = await eventsAt(world, 'MEMBERS', [-48, -24]);
    const upcoming = await eventsAt(world, 'MEMBERS', [24]);
    expect((await pages(world.cat.auth, 2)).flat()).toEqual(upcoming);
    expect((await pages(world.cat.auth, 2, { upcoming: false })).flat()).toEqual([...past, ...upcoming]);
    expect((await pages(world.lead.auth, 1, { upcoming: false, groupId: world.group.gid })).flat()).toEqual([...past, ...upcoming]);
  });

  it('refuses a cursor it did not issue and a page size outside 1–100 with BAD_USER_INPUT; integrations are refused', async () => {
    const world = await eventWorld();
    await eventsAt(world, 'MEMBERS', [1, 2]);
    const before = await eventRows(world.clinic.id);
    for (const after of ['not-a-cursor', Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url'), Buffer.from('[1]').toString('base64url')]) {
      expectError(await gql(world.cat.auth, GROUP_EVENTS, { after }), 'BAD_USER_INPUT');
    }
    for (const first of [0, 101]) expectError(await gql(world.lead.auth, GROUP_EVENTS, { first }), 'BAD_USER_INPUT');
    const integration = await world.clinic.addApiKey(['roster:read', 'goals:read']);
    expectError(await gql(integration.auth, GROUP_EVENTS, {}), 'FORBIDDEN');
    expect(await eventRows(world.clinic.id)).toEqual(before);
  });
});

describe('RSVPs', () => {
  it('invitees answer, once each: a second answer replaces the first', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    expect(await rsvped(world.cat, e.members.id, 'MAYBE')).toMatchObject({ myRsvp: 'MAYBE', counts: { going: 0, maybe: 1 } });
    expect(await rsvped(world.cat, e.members.id, 'GOING')).toMatchObject({ myRsvp: 'GOING', counts: { going: 1, maybe: 0 } });
    await rsvped(world.ann, e.alumni.id, 'GOING');
    await rsvped(world.ann, e.both.id, 'NOT_GOING');
    await rsvped(world.dan, e.both.id, 'GOING');
    const ev = (gid: string) => uuidOf(gid);
    expect(await rsvpRows(world.clinic.id)).toEqual(
      [
        { event_id: ev(e.members.id), client_id: world.cat.client.id, response: 'GOING' },
        { event_id: ev(e.alumni.id), client_id: world.ann.client.id, response: 'GOING' },
        { event_id: ev(e.both.id), client_id: world.ann.client.id, response: 'NOT_GOING' },
        { event_id: ev(e.both.id), client_id: world.dan.client.id, response: 'GOING' },
      ].sort((a, b) => (a.event_id + a.client_id).localeCompare(b.event_id + b.client_id)),
    );
    expect((await eventsFor(world.cat.auth)).get(e.members.id).myRsvp).toBe('GOING');
    expect((await eventsFor(world.ann.auth)).get(e.both.id).myRsvp).toBe('NOT_GOING');
  });

  it('an RSVP to an event one is not invited to answers NOT_FOUND, like an event that does not exist, and stores nothing', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    const neighbour = await activeGroup({ clinic: world.clinic, members: 1 });
    const attempts: [Member, string][] = [
      [world.cat, e.alumni.id], // a current member, to an alumni event
      [world.ann, e.members.id], // an alumna, to a members' event
      [world.wes, e.both.id], // a member who withdrew
      [neighbour.members[0], e.both.id], // another group's member
    ];
    const missing = await rsvp(world.cat, toGlobalId('GroupEvent', randomUUID()), 'GOING');
    expectError(missing, 'NOT_FOUND');
    for (const [m, id] of attempts) {
      const res = await expectRefused('NOT_FOUND', [world.clinic.id], () => rsvp(m, id, 'GOING'));
      expect(res.errors![0].message).toBe(missing.errors![0].message);
    }
    expect(await rsvpRows(world.clinic.id)).toEqual([]);
  });

  it('an RSVP to an event that is over answers CONFLICT with reason EVENT_OVER, and stores nothing (session 15)', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    await ownerQuery(`UPDATE group_events SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = $1`, [uuidOf(e.members.id)]);
    const res = await expectRefused('CONFLICT', [world.clinic.id], () => rsvp(world.cat, e.members.id, 'GOING'));
    expect(res.errors![0].extensions).toMatchObject({ reason: 'EVENT_OVER' });
    expect(await rsvpRows(world.clinic.id)).toEqual([]);
  });

  it('staff do not answer invitations: FORBIDDEN, nothing stored', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    await expectRefused('FORBIDDEN', [world.clinic.id], () => gql(world.lead.auth, `mutation($input: RsvpGroupEventInput!) { rsvpGroupEvent(input: $input) { event { id } } }`, {
      input: { eventId: e.both.id, response: 'GOING' },
    }));
  });
});

describe('who is going', () => {
  it('invitees see the counts whatever they answered, or if they have not answered', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    await rsvped(world.cat, e.both.id, 'GOING');
    await rsvped(world.fay, e.both.id, 'GOING');
    await rsvped(world.dan, e.both.id, 'MAYBE');
    await rsvped(world.ben, e.both.id, 'NOT_GOING');
    // Going, maybe, not going, and Ann who has not answered.
    for (const m of [world.cat, world.dan, world.ben, world.ann]) {
      expect((await eventsFor(m.auth)).get(e.both.id).counts).toEqual({ going: 2, maybe: 1 });
    }
  });

  it('counts only those still invited: a member who answered and then left the group no longer counts, as they are no longer listed', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    await rsvped(world.cat, e.members.id, 'GOING');
    await rsvped(world.fay, e.members.id, 'GOING');
    await rsvped(world.dan, e.members.id, 'MAYBE');
    expect((await eventsFor(world.lead.auth, world.group)).get(e.members.id)).toMatchObject({ counts: { going: 2, maybe: 1 }, attendees: names(world.cat, world.fay) });
    await endMembership(world.clinic, world.fay, 'WITHDRAWN');
    await endMembership(world.clinic, world.dan, 'WITHDRAWN');
    expect((await eventsFor(world.lead.auth, world.group)).get(e.members.id)).toMatchObject({ counts: { going: 1, maybe: 0 }, attendees: names(world.cat) });
    expect((await eventsFor(world.cat.auth)).get(e.members.id).counts).toEqual({ going: 1, maybe: 0 });
    // Their answers are kept (they count again if they come back).
    expect((await rsvpRows(world.clinic.id)).filter((r: { event_id: string }) => r.event_id === uuidOf(e.members.id))).toHaveLength(3);
  });

  it('attendee names are null unless the viewer is going themself', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    await rsvped(world.fay, e.members.id, 'GOING');
    await rsvped(world.dan, e.members.id, 'MAYBE');
    const cat = async () => (await eventsFor(world.cat.auth)).get(e.members.id).attendees;
    expect(await cat()).toBeNull(); // no answer yet
    expect((await eventsFor(world.dan.auth)).get(e.members.id).attendees).toBeNull(); // maybe
    await rsvped(world.cat, e.members.id, 'NOT_GOING');
    expect(await cat()).toBeNull();
    await rsvped(world.cat, e.members.id, 'GOING');
    expect(await cat()).toEqual(names(world.fay));
    // The same through node(id:).
    expect(ok(await gql(world.dan.auth, EVENT_NODE, { id: e.members.id })).node.attendees).toBeNull();
    expect(ok(await gql(world.cat.auth, EVENT_NODE, { id: e.members.id })).node.attendees).toEqual(names(world.fay));
  });

  it('members\' event: a going member sees only going members who hold the group agreement consent', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    for (const m of [world.cat, world.dan, world.fay]) await rsvped(m, e.members.id, 'GOING');
    // Dan withdraws his group agreement consent: he is no longer shown to peers, nor counted (session 13:
    // counted but not named, the difference told Cat he had revoked it; now it reads as an answer withdrawn).
    await revokeConsent(world.dan.auth, await agreementConsentOf(world.dan, world.group), 'privacy');
    const seenByCat = (await eventsFor(world.cat.auth)).get(e.members.id);
    expect(seenByCat.counts).toEqual({ going: 2, maybe: 0 });
    expect(sorted(seenByCat.attendees)).toEqual(names(world.fay));
    // Dan counts his own answer and the peers who hold it; staff count everyone going.
    expect((await eventsFor(world.dan.auth)).get(e.members.id).counts).toEqual({ going: 3, maybe: 0 });
    expect((await eventsFor(world.lead.auth, world.group)).get(e.members.id).counts).toEqual({ going: 3, maybe: 0 });
  });

  it('a member on hold is neither counted nor named to peers: the counts move as for any departure (session 12)', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    for (const m of [world.cat, world.dan, world.fay]) await rsvped(m, e.members.id, 'GOING');
    ok(await gql(world.clinic.admin.auth, `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { status } } }`, {
      input: { membershipId: world.dan.membershipGid, status: 'ON_HOLD', reason: 'Break' },
    }));
    const seenByCat = (await eventsFor(world.cat.auth)).get(e.members.id);
    expect(seenByCat.counts).toEqual({ going: 2, maybe: 0 });
    expect(sorted(seenByCat.attendees)).toEqual(names(world.fay));
    // Dan himself still counts his own answer; staff count and see everyone going.
    expect((await eventsFor(world.dan.auth)).get(e.members.id).counts).toEqual({ going: 3, maybe: 0 });
    const seenByLead = (await eventsFor(world.lead.auth, world.group)).get(e.members.id);
    expect(seenByLead.counts).toEqual({ going: 3, maybe: 0 });
    expect(sorted(seenByLead.attendees)).toEqual(sorted(names(world.cat, world.dan, world.fay)));
  });

  it('a current member cannot tell a peer\'s completion from a discharge by the counts; alumni in the directory count to whom they are named (session 12)', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    for (const m of [world.ann, world.ben, world.cat, world.dan, world.fay]) await rsvped(m, e.both.id, 'GOING');
    const counted = async (m: Member) => (await eventsFor(m.auth)).get(e.both.id).counts.going;
    // Cat (sees peers) counts herself, her ACTIVE peers and Ann (in the directory); Ann counts herself and the members;
    // Ben (outside the directory, so named no alumnus) counts himself and the members.
    expect(await counted(world.cat)).toBe(4);
    expect(await counted(world.ann)).toBe(4);
    expect(await counted(world.ben)).toBe(4);
    // Dan completes (outside the directory), Fay is discharged: to Cat both are simply gone.
    await endMembership(world.clinic, world.dan, 'COMPLETED');
    await endMembership(world.clinic, world.fay, 'DISCHARGED');
    expect(await counted(world.cat)).toBe(2);
    expect(await counted(world.ann)).toBe(2);
    expect(await counted(world.dan)).toBe(2);
    // Staff count every invitee's answer: Ann, Ben, Cat and Dan (Fay is no longer invited).
    expect((await eventsFor(world.lead.auth, world.group)).get(e.both.id).counts.going).toBe(4);
    // Ann leaves the directory: counts move only for those who saw her named (Cat), not for Ben.
    await revokeConsent(world.ann.auth, (await ownerQuery<{ id: string }>(
      `SELECT id FROM consent_records WHERE client_id = $1 AND type = 'ALUMNI_DIRECTORY' AND revoked_at IS NULL`, [world.ann.client.id],
    )).map((r) => ({ id: r.id, gid: toGlobalId('ConsentRecord', r.id) }))[0]);
    expect(await counted(world.cat)).toBe(1);
    expect(await counted(world.ben)).toBe(2);
  });

  it('going is not consent: a member without the agreement consent, or an alumnus outside the directory, sees no names', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    for (const m of [world.ann, world.ben, world.cat, world.dan, world.fay]) await rsvped(m, e.both.id, 'GOING');
    // Dan withdraws his group agreement consent: he no longer sees peers anywhere, here neither.
    await revokeConsent(world.dan.auth, await agreementConsentOf(world.dan, world.group), 'privacy');
    expect((await eventsFor(world.dan.auth)).get(e.both.id).attendees).toBeNull();
    expect(ok(await gql(world.dan.auth, EVENT_NODE, { id: e.both.id })).node.attendees).toBeNull();
    // Ben completed without joining the alumni directory: never named, and names no one; he counts himself and
    // the members holding the group agreement (not Dan, since session 13), not Ann (the directory's, named only
    // to those who see it).
    expect((await eventsFor(world.ben.auth)).get(e.both.id).attendees).toBeNull();
    expect((await eventsFor(world.ben.auth)).get(e.both.id).counts).toEqual({ going: 3, maybe: 0 });
    // Those who do consent still see each other (and not Dan or Ben).
    expect(sorted((await eventsFor(world.cat.auth)).get(e.both.id).attendees)).toEqual(names(world.ann, world.fay));
  });

  it('alumni event: a going alumnus sees only going alumni who hold ALUMNI_DIRECTORY', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    // Gus completes and opts in too.
    const gus = await enrolNew(world.clinic, world.group);
    await acceptAgreement(gus, world.group);
    await graduate(world, gus);
    for (const m of [world.ann, world.ben, gus]) await rsvped(m, e.alumni.id, 'GOING');
    // Ben (not in the directory) is neither named nor counted to Ann or Gus (session 12: counts tell no more than names could); staff count him.
    expect(sorted((await eventsFor(world.ann.auth)).get(e.alumni.id).attendees)).toEqual(names(gus));
    expect(sorted((await eventsFor(gus.auth)).get(e.alumni.id).attendees)).toEqual(names(world.ann));
    expect((await eventsFor(gus.auth)).get(e.alumni.id).counts).toEqual({ going: 2, maybe: 0 });
    expect((await eventsFor(world.ben.auth)).get(e.alumni.id).counts).toEqual({ going: 1, maybe: 0 });
    expect((await eventsFor(world.lead.auth, world.group)).get(e.alumni.id).counts).toEqual({ going: 3, maybe: 0 });
  });

  it('event for both: alumni are named under ALUMNI_DIRECTORY, members under the group agreement', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    for (const m of [world.ann, world.ben, world.cat, world.fay]) await rsvped(m, e.both.id, 'GOING');
    // Ann (alumna, directory) and Fay (member, agreement) are named; Ben (alumnus, no directory) is not.
    expect(sorted((await eventsFor(world.cat.auth)).get(e.both.id).attendees)).toEqual(names(world.ann, world.fay));
    expect(sorted((await eventsFor(world.ann.auth)).get(e.both.id).attendees)).toEqual(names(world.cat, world.fay));
  });

  it('revoking ALUMNI_DIRECTORY takes an alumnus off other attendees\' lists on the next request', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    await rsvped(world.ann, e.both.id, 'GOING');
    await rsvped(world.cat, e.both.id, 'GOING');
    expect((await eventsFor(world.cat.auth)).get(e.both.id).attendees).toEqual(names(world.ann));
    const [consent] = await ownerQuery<{ id: string }>(
      `SELECT id FROM consent_records WHERE client_id = $1 AND type = 'ALUMNI_DIRECTORY' AND revoked_at IS NULL`,
      [world.ann.client.id],
    );
    await revokeConsent(world.ann.auth, { id: consent.id, gid: toGlobalId('ConsentRecord', consent.id) });
    expect((await eventsFor(world.cat.auth)).get(e.both.id).attendees).toEqual([]);
  });

  it('staff with the group see every attendee, consent or not', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    for (const m of [world.ann, world.ben, world.cat]) await rsvped(m, e.both.id, 'GOING');
    await rsvped(world.dan, e.both.id, 'MAYBE');
    for (const auth of [world.lead.auth, world.clinic.admin.auth]) {
      const seen = (await eventsFor(auth, world.group)).get(e.both.id);
      expect(sorted(seen.attendees)).toEqual(names(world.ann, world.ben, world.cat));
      expect(seen.counts).toEqual({ going: 3, maybe: 1 });
      expect(seen.myRsvp).toBeNull();
    }
  });

  it('reading attendee lists changes nothing stored', async () => {
    const world = await eventWorld();
    const e = await threeEvents(world);
    await rsvped(world.cat, e.members.id, 'GOING');
    const before = await rsvpRows(world.clinic.id);
    ok(await gql(world.cat.auth, GROUP_EVENTS, {}));
    expect(await rsvpRows(world.clinic.id)).toEqual(before);
  });
});
