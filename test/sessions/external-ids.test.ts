/**
 * DESIGN §5: external identifiers on clients, groups, memberships and sessions are how
 * integrators address rows. Memberships take them at enrolment; sessions when scheduled one at a
 * time or later with updateSession, and are found again with groupSessionByExternalId.
 */
import { createClinic, ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { minutesFromNow, ok, SCHEDULE, sessionWorld, uuidOf } from './session-fixtures';

const EHR = 'urn:ehr:encounters';
const ext = (value: string) => ({ system: EHR, value });
const idsOf = (resourceId: string) => ownerQuery(`SELECT resource_type, system, value FROM external_identifiers WHERE resource_id = $1 ORDER BY value`, [resourceId]);
const BY_EXT = `query($i: ExternalIdentifierInput!) { groupSessionByExternalId(identifier: $i) { id topic externalIds { system value } } }`;

describe('external identifiers on sessions and memberships', () => {
  it('a single session takes them when scheduled and more with updateSession; integrations and staff find it by one, members see none', async () => {
    const w = await sessionWorld({ members: 1 });
    const [kim] = w.members;
    const scheduled = ok(
      await gql(w.lead.auth, `mutation($input: ScheduleSessionsInput!) { scheduleSessions(input: $input) { sessions { id externalIds { system value } } } }`, {
        input: { groupId: w.group.gid, firstStart: minutesFromNow(24 * 60), durationMinutes: 90, topic: 'Values', externalIds: [ext('E-1')] },
      }),
    ).scheduleSessions.sessions;
    expect(scheduled).toEqual([{ id: expect.any(String), externalIds: [ext('E-1')] }]);
    const sessionId = scheduled[0].id;
    ok(await gql(w.lead.auth, `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { session { id } } }`, { input: { sessionId, externalIds: [ext('E-2')] } }));
    expect(await idsOf(uuidOf(sessionId))).toEqual([
      { resource_type: 'GroupSession', system: EHR, value: 'E-1' },
      { resource_type: 'GroupSession', system: EHR, value: 'E-2' },
    ]);

    const key = await w.clinic.addApiKey(['sessions:read', 'roster:read'], 'EHR');
    for (const auth of [w.lead.auth, w.clinic.admin.auth, key.auth]) {
      const found = ok(await gql(auth, BY_EXT, { i: ext('E-2') })).groupSessionByExternalId;
      expect(found).toMatchObject({ id: sessionId, topic: 'Values' });
      expect(found.externalIds).toEqual([ext('E-1'), ext('E-2')]);
    }
    expect(ok(await gql(w.lead.auth, BY_EXT, { i: ext('E-404') })).groupSessionByExternalId).toBeNull();
    // A clinician of other groups sees the session's schedule (directory access) but not its identifiers.
    const other = await w.clinic.addStaff('CLINICIAN');
    const asOther = ok(await gql(other.auth, BY_EXT, { i: ext('E-1') })).groupSessionByExternalId;
    expect(asOther).toMatchObject({ id: sessionId, externalIds: null });
    // A key that may not see the group gets null, and the refused look is audited as groupSession(id:) audits it.
    const blind = await w.clinic.addApiKey(['sessions:read'], 'Scheduler');
    expect(ok(await gql(blind.auth, BY_EXT, { i: ext('E-1') })).groupSessionByExternalId).toBeNull();
    expect(await ownerQuery(`SELECT action, code FROM audit_events WHERE actor_id = $1 AND resource_id = $2`, [blind.id, uuidOf(sessionId)])).toEqual([
      { action: 'DENIED', code: 'NOT_FOUND' },
    ]);
    // Members see the session but not its identifiers, and do not look sessions up by them.
    expect(ok(await gql(kim.auth, `query($id: ID!) { groupSession(id: $id) { id externalIds { value } } }`, { id: sessionId })).groupSession).toEqual({
      id: sessionId,
      externalIds: null,
    });
    expectError(await gql(kim.auth, BY_EXT, { i: ext('E-1') }), 'FORBIDDEN');
    // Another clinic's staff find nothing by the same identifier.
    const neighbour = await createClinic('Neighbour');
    expect(ok(await gql(neighbour.admin.auth, BY_EXT, { i: ext('E-1') })).groupSessionByExternalId).toBeNull();
  });

  it('refuses identifiers on a weekly series (BAD_USER_INPUT) and one already on another session (CONFLICT), storing nothing', async () => {
    const w = await sessionWorld({ members: 0 });
    ok(await gql(w.lead.auth, `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { session { id } } }`, { input: { sessionId: w.session.gid, externalIds: [ext('E-9')] } }));
    const sessionsBefore = await ownerQuery(`SELECT count(*)::int AS n FROM group_sessions WHERE group_id = $1`, [w.group.id]);
    const series = await gql(w.lead.auth, SCHEDULE, {
      input: { groupId: w.group.gid, firstStart: minutesFromNow(24 * 60), durationMinutes: 60, weekly: { count: 4 }, externalIds: [ext('E-10')] },
    });
    expectError(series, 'BAD_USER_INPUT');
    expect(series.errors![0].extensions).toMatchObject({ field: 'externalIds' });
    const taken = await gql(w.lead.auth, SCHEDULE, { input: { groupId: w.group.gid, firstStart: minutesFromNow(48 * 60), durationMinutes: 60, externalIds: [ext('E-9')] } });
    expectError(taken, 'CONFLICT');
    const twice = await gql(w.lead.auth, SCHEDULE, { input: { groupId: w.group.gid, firstStart: minutesFromNow(48 * 60), durationMinutes: 60, externalIds: [ext('E-11'), ext('E-11')] } });
    expectError(twice, 'BAD_USER_INPUT');
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM group_sessions WHERE group_id = $1`, [w.group.id])).toEqual(sessionsBefore);
    expect(await ownerQuery(`SELECT value FROM external_identifiers WHERE clinic_id = $1 AND system = $2 ORDER BY value`, [w.clinic.id, EHR])).toEqual([{ value: 'E-9' }]);
  });

  it('a membership takes them at enrolment; one already on another membership is a CONFLICT and nothing is enrolled', async () => {
    const w = await sessionWorld({ members: 0 });
    const ENROL = `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id status externalIds { system value } } } }`;
    const ann = await w.clinic.addClient();
    const ben = await w.clinic.addClient();
    const enrolled = ok(await gql(w.clinic.admin.auth, ENROL, { input: { groupId: w.group.gid, clientId: ann.gid, externalIds: [{ system: 'urn:ehr:enrolments', value: 'EN-1' }] } }))
      .enrollClient.membership;
    expect(enrolled).toMatchObject({ status: 'ACTIVE', externalIds: [{ system: 'urn:ehr:enrolments', value: 'EN-1' }] });
    expect(await idsOf(uuidOf(enrolled.id))).toEqual([{ resource_type: 'Membership', system: 'urn:ehr:enrolments', value: 'EN-1' }]);
    const refused = await gql(w.clinic.admin.auth, ENROL, { input: { groupId: w.group.gid, clientId: ben.gid, externalIds: [{ system: 'urn:ehr:enrolments', value: 'EN-1' }] } });
    expectError(refused, 'CONFLICT');
    expect(refused.data ?? null).toBeNull();
    expect(await ownerQuery(`SELECT 1 FROM memberships WHERE client_id = $1`, [ben.id])).toEqual([]);
  });
});
