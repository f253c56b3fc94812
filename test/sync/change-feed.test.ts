/**
 * The change feed: integrators pull what changed with `changes(after:)`. Every change to clients,
 * groups, memberships, sessions and attendance appends an entry (names of changed columns, never
 * their values) in the writing transaction; a consumer polling while writers are in flight sees
 * every entry exactly once.
 */
import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { assignFacilitator, changeGroupStatus, createGroup, enrol, groupWithMembers } from '../groups/group-fixtures';
import { createClinic, ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { CHANGES, CREATE_CLIENT, ok, ownerConnection, rosterRows, synced, syncRoster, tableCounts, UPDATE_CLIENT, uuidOf } from './sync-fixtures';

interface Entry {
  cursor: string;
  entityType: string;
  entityId: string;
  operation: string;
  changedFields: string[];
  occurredAt: string;
}

async function page(auth: string, after: string | null, first = 100): Promise<{ entries: Entry[]; endCursor: string | null; hasMore: boolean }> {
  return ok(await gql(auth, CHANGES, { after, first })).changes;
}

/** Everything visible after `after`, following pages. */
async function drain(auth: string, after: string | null = null, first = 100) {
  const entries: Entry[] = [];
  let cursor = after;
  for (;;) {
    const p = await page(auth, cursor, first);
    entries.push(...p.entries);
    cursor = p.endCursor;
    if (!p.hasMore) return { entries, cursor };
  }
}

const brief = (e: Entry) => [e.entityType, e.entityId, e.operation];
/** Cursors compare as (xid, id) pairs. */
const cursorKey = (c: string) => c.split('.').map((n) => BigInt(n));
const before = (a: string, b: string) => {
  const [x, y] = [cursorKey(a), cursorKey(b)];
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
};
function expectStrictlyIncreasing(entries: Entry[]) {
  for (let i = 1; i < entries.length; i++) expect(before(entries[i - 1].cursor, entries[i].cursor)).toBe(true);
}

const createClient = async (auth: string, input: Record<string, unknown> = {}) =>
  ok(await gql(auth, CREATE_CLIENT, { input: { givenName: 'Feed', familyName: 'Person', ...input } })).createClient.client.id as string;

/** A second ago: a session attendance may be recorded for (it has started), on the day memberships enrolled now begin. */
const justNow = () => new Date(Date.now() - 1000).toISOString();


describe('the change feed', () => {
  it('appends an entry for each change to clients, groups, memberships, sessions and attendance, naming columns, never values', async () => {
    const clinic = await createClinic('Feed Clinic');
    expect(await page(clinic.admin.auth, null)).toEqual({ entries: [], endCursor: null, hasMore: false });

    const group = await createGroup(clinic, { name: 'Tuesday DBT skills' });
    await assignFacilitator(clinic, group, clinic.clinician);
    const clientId = await createClient(clinic.admin.auth, { givenName: 'Secretive', familyName: 'Surname', email: 'private@example.org' });
    ok(await gql(clinic.admin.auth, UPDATE_CLIENT, { input: { id: clientId, email: 'still-private@example.org' } }));
    const [client] = await ownerQuery(`SELECT id FROM clients WHERE id = $1`, [uuidOf(clientId)]);
    const membership = await enrol(clinic, group, { id: client.id, gid: clientId } as any);
    await changeGroupStatus(clinic, group, 'ACTIVE');
    const session = ok(
      await gql(clinic.admin.auth, `mutation($input: ScheduleSessionsInput!) { scheduleSessions(input: $input) { sessions { id } } }`, {
        input: { groupId: group.gid, firstStart: justNow(), durationMinutes: 90 },
      }),
    ).scheduleSessions.sessions[0].id;
    const attendance = ok(
      await gql(clinic.clinician.auth, `mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { attendance { id } } }`, {
        input: { sessionId: session, records: [{ membershipId: membership.gid, status: 'PRESENT' }] },
      }),
    ).recordAttendance.attendance[0].id;

    const { entries } = await drain(clinic.admin.auth);
    expect(entries.map(brief)).toEqual([
      ['TherapyGroup', group.gid, 'CREATE'],
      ['Client', clientId, 'CREATE'],
      ['Client', clientId, 'UPDATE'],
      ['Membership', membership.gid, 'CREATE'],
      ['TherapyGroup', group.gid, 'UPDATE'],
      ['GroupSession', session, 'CREATE'],
      ['Attendance', attendance, 'CREATE'],
      ['GroupSession', session, 'UPDATE'],
    ]);
    expectStrictlyIncreasing(entries);
    const [groupCreate, clientCreate, clientUpdate, membershipCreate, groupUpdate, , attendanceCreate, sessionUpdate] = entries;
    expect(clientCreate.changedFields).toEqual(expect.arrayContaining(['given_name', 'family_name', 'email']));
    expect(clientCreate.changedFields).not.toEqual(expect.arrayContaining(['id']));
    expect(clientCreate.changedFields).not.toContain('clinic_id');
    expect(groupCreate.changedFields).toEqual(expect.arrayContaining(['name', 'status', 'capacity']));
    expect(membershipCreate.changedFields).toEqual(expect.arrayContaining(['status', 'client_id', 'group_id']));
    expect(attendanceCreate.changedFields).toEqual(expect.arrayContaining(['status', 'membership_id']));
    expect(clientUpdate.changedFields).toEqual(['email']);
    expect(groupUpdate.changedFields).toEqual(['status']);
    expect(sessionUpdate.changedFields).toEqual(['status']);
    for (const e of entries) expect(new Date(e.occurredAt).getTime()).toBeGreaterThan(Date.now() - 60000);
    const text = JSON.stringify(entries);
    for (const secret of ['private@example.org', 'still-private', 'Secretive', 'Surname', 'Tuesday DBT', 'PRESENT', 'ACTIVE']) expect(text).not.toContain(secret);
  });

  it('lists a roster sync as one Client CREATE and one Membership CREATE per new member', async () => {
    const clinic = await createClinic('Feed Clinic');
    const { group } = await groupWithMembers(clinic);
    const writer = await clinic.addApiKey(['roster:write', 'changes:read']);
    const { cursor } = await drain(writer.auth);

    await synced(syncRoster(writer.auth, group, rosterRows(1, 25)));

    const { entries } = await drain(writer.auth, cursor, 10);
    expect(entries.filter((e) => e.entityType === 'Client' && e.operation === 'CREATE')).toHaveLength(25);
    expect(entries.filter((e) => e.entityType === 'Membership' && e.operation === 'CREATE')).toHaveLength(25);
    expect(entries).toHaveLength(50);
    const clientIds = (await ownerQuery(`SELECT client_id FROM memberships WHERE group_id = $1`, [group.id])).map((m) => toGlobalId('Client', m.client_id));
    expect(entries.filter((e) => e.entityType === 'Client').map((e) => e.entityId).sort()).toEqual(clientIds.sort());
  });

  it('lists an external identifier given to an existing record as an UPDATE of externalIds, once (session 12)', async () => {
    const clinic = await createClinic('Feed Ids Clinic');
    const neighbour = await createClinic('Feed Ids Neighbour');
    const reader = await clinic.addApiKey(['changes:read']);
    const theirs = await neighbour.addApiKey(['changes:read']);
    const client = await createClient(clinic.admin.auth, { externalIds: [{ system: 'urn:ehr', value: 'E-1' }] });
    const { cursor } = await drain(reader.auth);
    const { cursor: theirCursor } = await drain(theirs.auth);

    const ehr = { system: 'urn:ehr:new', value: 'N-1' };
    ok(await gql(clinic.admin.auth, UPDATE_CLIENT, { input: { id: client, externalIds: [ehr] } }));
    const { entries, cursor: next } = await drain(reader.auth, cursor);
    expect(entries.map((e) => [...brief(e), e.changedFields])).toEqual([['Client', client, 'UPDATE', ['externalIds']]]);
    // The same identifier again changes nothing, and tells nothing.
    ok(await gql(clinic.admin.auth, UPDATE_CLIENT, { input: { id: client, externalIds: [ehr] } }));
    expect((await drain(reader.auth, next)).entries).toEqual([]);
    expect((await drain(theirs.auth, theirCursor)).entries).toEqual([]);
  });

  it('returns the entries after the cursor, in order, page by page', async () => {
    const clinic = await createClinic('Feed Clinic');
    for (let i = 0; i < 7; i++) await createClient(clinic.admin.auth);
    const all = (await page(clinic.admin.auth, null)).entries;
    expect(all).toHaveLength(7);

    const paged: Entry[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 4; i++) {
      const p = await page(clinic.admin.auth, cursor, 2);
      expect(p.entries).toEqual(all.slice(2 * i, 2 * i + 2));
      expect(p.hasMore).toBe(2 * i + 2 < 7);
      if (p.entries.length) expect(p.endCursor).toBe(p.entries[p.entries.length - 1].cursor);
      paged.push(...p.entries);
      cursor = p.endCursor;
    }
    expect(paged).toEqual(all);
    expect(await page(clinic.admin.auth, all[3].cursor)).toEqual({ entries: all.slice(4), endCursor: all[6].cursor, hasMore: false });
    // An empty page hands the cursor back so the consumer keeps its place.
    expect(await page(clinic.admin.auth, all[6].cursor)).toEqual({ entries: [], endCursor: all[6].cursor, hasMore: false });
    expectError(await gql(clinic.admin.auth, CHANGES, { after: 'not-a-cursor' }), 'BAD_USER_INPUT');
  });

  it('answers BAD_USER_INPUT for a malformed or out-of-range cursor and for a page size outside 1–1000', async () => {
    const clinic = await createClinic('Feed Clinic');
    await createClient(clinic.admin.auth);
    for (const after of ['not-a-cursor', '1', '1.2.3', '-1.5', '99999999999999999999.1', '1.99999999999999999999']) {
      const res = await gql(clinic.admin.auth, CHANGES, { after });
      expect([after, res.codes]).toEqual([after, ['BAD_USER_INPUT']]);
    }
    for (const first of [0, 1001]) expectError(await gql(clinic.admin.auth, CHANGES, { first }), 'BAD_USER_INPUT');
  });

  it('never shows another clinic\'s changes', async () => {
    const [ours, theirs] = [await createClinic('Ours'), await createClinic('Theirs')];
    const reader = await ours.addApiKey(['changes:read']);
    const ourClient = await createClient(ours.admin.auth);
    const theirClients = [await createClient(theirs.admin.auth), await createClient(theirs.admin.auth)];
    await groupWithMembers(theirs, { members: 2 });
    const ourFeed = (await drain(reader.auth)).entries;
    expect(ourFeed.map(brief)).toEqual([['Client', ourClient, 'CREATE']]);
    expect(ok(await gql(ours.admin.auth, CHANGES)).changes.entries).toEqual(ourFeed);
    const theirFeed = (await drain(theirs.admin.auth)).entries;
    expect(theirFeed.map((e) => e.entityId)).toEqual(expect.arrayContaining(theirClients));
    expect(theirFeed.map((e) => e.entityId)).not.toContain(ourClient);
  });

  it('never carries consent or note changes', async () => {
    const clinic = await createClinic('Feed Clinic');
    const { group, members } = await groupWithMembers(clinic, { members: 1 });
    const session = ok(
      await gql(clinic.admin.auth, `mutation($input: ScheduleSessionsInput!) { scheduleSessions(input: $input) { sessions { id } } }`, {
        // Started: a session is written up once it has started (session 14).
        input: { groupId: group.gid, firstStart: justNow(), durationMinutes: 60 },
      }),
    ).scheduleSessions.sessions[0].id;
    const { cursor } = await drain(clinic.admin.auth);
    const feedRows = (await tableCounts(clinic.id)).change_log;

    const member = members[0].client;
    const consent = ok(
      await gql(member.auth, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { id } } }`, {
        input: { type: 'GOAL_SHARING', groupId: group.gid, purpose: 'Peers may see my goals' },
      }),
    ).grantConsent.consent.id;
    ok(await gql(member.auth, `mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) { consent { id } } }`, { input: { consentId: consent, reason: 'changed my mind' } }));
    const note = ok(
      await gql(clinic.clinician.auth, `mutation($input: CreateSessionNoteInput!) { createSessionNote(input: $input) { note { id version } } }`, {
        input: { sessionId: session, kind: 'GROUP', body: 'Themes: trust and repair.' },
      }),
    ).createSessionNote.note;
    ok(await gql(clinic.clinician.auth, `mutation($input: UpdateSessionNoteInput!) { updateSessionNote(input: $input) { note { id } } }`, {
      input: { noteId: note.id, expectedVersion: note.version, body: 'Themes: trust, repair and rupture.' },
    }));
    ok(await gql(clinic.clinician.auth, `mutation($input: SignSessionNoteInput!) { signSessionNote(input: $input) { signed } }`, { input: { noteId: note.id } }));

    expect((await drain(clinic.admin.auth, cursor)).entries).toEqual([]);
    expect((await tableCounts(clinic.id)).change_log).toBe(feedRows);
    const types = await ownerQuery(`SELECT DISTINCT entity_type FROM change_log WHERE clinic_id = $1 ORDER BY 1`, [clinic.id]);
    expect(types.map((t) => t.entity_type)).toEqual(expect.arrayContaining(['Client', 'GroupSession', 'Membership', 'TherapyGroup']));
    for (const t of types) expect(['Client', 'TherapyGroup', 'Membership', 'GroupSession', 'Attendance']).toContain(t.entity_type);
  });

  it('is readable by admins and changes:read integrations only', async () => {
    const clinic = await createClinic('Feed Clinic');
    await createClient(clinic.admin.auth);
    const member = await clinic.addClient();
    const counts = await tableCounts(clinic.id);
    const feed = await clinic.addApiKey(['changes:read']);
    // The API's client and the fixture member.
    expect((await page(feed.auth, null)).entries).toHaveLength(2);
    expect((await page(clinic.admin.auth, null)).entries).toHaveLength(2);
    const roster = await clinic.addApiKey(['roster:read', 'roster:write', 'sessions:read']);
    for (const auth of [clinic.clinician.auth, clinic.supervisor.auth, member.auth, roster.auth]) {
      const res = await gql(auth, CHANGES);
      expectError(res, 'FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expectError(await gql(undefined, CHANGES), 'UNAUTHENTICATED');
    expect(await tableCounts(clinic.id)).toEqual(counts);
  });
});

describe('a consumer polling while writers are in flight', () => {
  it('holds back entries behind a transaction still open, then delivers every entry exactly once', async () => {
    const clinic = await createClinic('Feed Clinic');
    const reader = await clinic.addApiKey(['changes:read']);
    const first = await createClient(clinic.admin.auth);
    const start = await page(reader.auth, null);
    expect(start.entries.map((e) => e.entityId)).toEqual([first]);

    // A writer takes its transaction id first and commits last.
    const held = await ownerConnection();
    let heldId: string;
    let whileHeld: Awaited<ReturnType<typeof page>>;
    const later: string[] = [];
    try {
      await held.query('BEGIN');
      heldId = (await held.query(`INSERT INTO clients (clinic_id, given_name, family_name) VALUES ($1, 'Held', 'Back') RETURNING id`, [clinic.id])).rows[0].id;
      for (let i = 0; i < 3; i++) later.push(await createClient(clinic.admin.auth));
      expect((await tableCounts(clinic.id)).change_log).toBe(4); // three committed after `first`, one invisible

      whileHeld = await page(reader.auth, start.endCursor);
      await held.query('COMMIT');
    } finally {
      await held.end();
    }
    // Nothing after the open transaction was handed out, so nothing can be skipped later.
    expect(whileHeld.entries).toEqual([]);
    expect(whileHeld.endCursor).toBe(start.endCursor);

    const after = await drain(reader.auth, whileHeld.endCursor);
    const seen = [...start.entries, ...whileHeld.entries, ...after.entries];
    expect(seen.map((e) => e.entityId)).toEqual([first, toGlobalId('Client', heldId!), ...later]);
    expect(new Set(seen.map((e) => e.cursor)).size).toBe(seen.length);
    expectStrictlyIncreasing(seen);
  });

  it('orders by transaction number, not by its digits: a page boundary between xid 9 and 10 skips and repeats nothing', async () => {
    const clinic = await createClinic('Digits Clinic');
    const reader = await clinic.addApiKey(['changes:read']);
    const entities = [randomUUID(), randomUUID(), randomUUID()];
    // Transaction numbers 9, 10 and 100 (long finished): as text they would sort 10, 100, 9.
    for (const [i, xid] of ['9', '10', '100'].entries()) {
      await ownerQuery(`INSERT INTO change_log (clinic_id, xid, entity_type, entity_id, operation, changed_fields) VALUES ($1, $2::xid8, 'Client', $3, 'CREATE', '{}')`, [
        clinic.id,
        xid,
        entities[i],
      ]);
    }
    const seen: Entry[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p = await page(reader.auth, cursor, 1);
      seen.push(...p.entries);
      cursor = p.endCursor;
      if (!p.hasMore) break;
    }
    expect(seen.slice(0, 3).map((e) => e.entityId)).toEqual(entities.map((id) => toGlobalId('Client', id)));
    expect(new Set(seen.map((e) => e.cursor)).size).toBe(seen.length);
  });

  it('receives each of 50 client creations by 5 concurrent writers exactly once', async () => {
    const clinic = await createClinic('Feed Clinic');
    const reader = await clinic.addApiKey(['changes:read']);
    const writers = await Promise.all([0, 1, 2, 3, 4].map(() => clinic.addApiKey(['roster:write'])));

    const seen: Entry[] = [];
    let cursor: string | null = null;
    let polls = 0;
    const poll = async () => {
      const p = await page(reader.auth, cursor, 7);
      polls++;
      seen.push(...p.entries);
      cursor = p.endCursor;
      return p;
    };
    let writing = true;
    const poller = (async () => {
      while (writing) await poll();
    })();
    const created = (
      await Promise.all(
        writers.map(async (w, n) => {
          const ids: string[] = [];
          for (let i = 0; i < 10; i++) ids.push(await createClient(w.auth, { givenName: `Writer${n}`, familyName: `Client${i}` }));
          return ids;
        }),
      )
    ).flat();
    writing = false;
    await poller;
    // Catch up with whatever committed after the last poll.
    for (let i = 0; i < 50 && seen.length < 50; i++) {
      const p = await poll();
      if (!p.entries.length && !p.hasMore) await new Promise((r) => setTimeout(r, 20));
    }
    expect((await poll()).entries).toEqual([]);

    expect(created).toHaveLength(50);
    expect(polls).toBeGreaterThan(2);
    expect(seen.every((e) => e.entityType === 'Client' && e.operation === 'CREATE')).toBe(true);
    expect(seen.map((e) => e.entityId).sort()).toEqual([...created].sort());
    expect(new Set(seen.map((e) => e.cursor)).size).toBe(50);
    expectStrictlyIncreasing(seen);
  });
});
