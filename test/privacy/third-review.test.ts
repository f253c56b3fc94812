/**
 * Regression tests for what a third review of the audit trail found (session 9): refusals that
 * named no member, refusals not recorded at all, reads of the audit trail itself, and
 * mutations whose CONFLICT told a member's record's state. Each failed against the code before
 * its fix.
 */
import { fromGlobalId, toGlobalId } from '../../src/common/global-id';

const uuidOf = (gid: string) => fromGlobalId(gid)!.id;
import { ownerQuery } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';
import { createNote, CREATE_NOTE, SIGN_NOTE, sessionWorld, signNote } from '../sessions/session-fixtures';
import { fullState, lockWaiters, ownerConnection, rosterRows, syncWorld } from '../sync/sync-fixtures';
import { activeGroup, CHANGE_MEMBERSHIP_STATUS, CONSENTS_OF, createGoal, GOAL, grantConsent, ok, PROPOSE, RECORD_CHECK_IN, RESPOND, shareGoals, UPDATE_GOAL } from '../goals/goal-fixtures';
import { BLOCK, connect } from '../after-group/after-group-fixtures';

const REPORT = `{ myAccessReport { accesses { action resourceType actor { kind name } } } }`;
const CLIENT_NODE = `query($id: ID!) { node(id: $id) { id } }`;

/** The audit rows a request wrote. */
const rowsOf = (res: GqlResult) =>
  ownerQuery(`SELECT action, resource_type, resource_id, subject_client_id, code FROM audit_events WHERE request_id = $1 ORDER BY id`, [res.body.extensions!.requestId]);

/** Two groups of one clinic: `outsider` facilitates the other group, not Kim's. */
async function world() {
  const w = await activeGroup({ members: 2 });
  const outsider = await w.clinic.addStaff('CLINICIAN', 'Olive Outsider');
  const other = await activeGroup({ clinic: w.clinic, lead: outsider, members: 1 });
  return { ...w, kim: w.members[0], lee: w.members[1], outsider, other };
}

describe('a refused write names the member it was about (session 10)', () => {
  it('changeMembershipStatus, createGoal, revokeConsent and grantConsent refused on Kim\'s records are DENIED about Kim; a refused session write is DENIED about the group', async () => {
    const w = await world();
    const consent = await grantConsent(w.kim.auth, { type: 'GOAL_SHARING', groupId: w.group.gid });
    const shared = await createGoal(w.kim, { visibility: 'GROUP', lifecycleStatus: 'ACTIVE' });
    const session = ok(
      await gql(w.lead.auth, `mutation($input: ScheduleSessionsInput!) { scheduleSessions(input: $input) { sessions { id } } }`, {
        input: { groupId: w.group.gid, firstStart: new Date(Date.now() - 3600_000).toISOString(), durationMinutes: 60 },
      }),
    ).scheduleSessions.sessions[0].id;
    const attempts: [string, () => Promise<GqlResult>, { resource_type: string; resource_id: string | null; subject_client_id: string | null }][] = [
      ['NOT_FOUND', () => gql(w.outsider.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: w.kim.membershipGid, status: 'ON_HOLD', reason: 'Travelling' } }),
        { resource_type: 'Membership', resource_id: w.kim.membershipId, subject_client_id: w.kim.client.id }],
      ['NOT_FOUND', () => gql(w.outsider.auth, `mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { id } } }`, {
        input: { membershipId: w.kim.membershipGid, title: 'Not yours', measureKind: 'BOOLEAN' } }),
        { resource_type: 'Membership', resource_id: w.kim.membershipId, subject_client_id: w.kim.client.id }],
      ['NOT_FOUND', () => gql(w.outsider.auth, `mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) { consent { id } } }`, { input: { consentId: consent.gid } }),
        { resource_type: 'ConsentRecord', resource_id: consent.id, subject_client_id: w.kim.client.id }],
      ['NOT_FOUND', () => gql(w.outsider.auth, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { id } } }`, {
        input: { clientId: w.kim.client.gid, type: 'TREATMENT', method: 'VERBAL' } }),
        { resource_type: 'Client', resource_id: w.kim.client.id, subject_client_id: w.kim.client.id }],
      // A member recording consent for a peer, staff naming a group she is not in, or a key that does not exist.
      ['NOT_FOUND', () => gql(w.lee.auth, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { id } } }`, {
        input: { clientId: w.kim.client.gid, type: 'GOAL_SHARING', groupId: w.group.gid } }),
        { resource_type: 'Client', resource_id: w.kim.client.id, subject_client_id: w.kim.client.id }],
      ['NOT_FOUND', () => gql(w.clinic.admin.auth, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { id } } }`, {
        input: { clientId: w.kim.client.gid, type: 'GROUP_AGREEMENT', groupId: w.other.group.gid, method: 'SIGNED_FORM' } }),
        { resource_type: 'Client', resource_id: w.kim.client.id, subject_client_id: w.kim.client.id }],
      ['NOT_FOUND', () => gql(w.clinic.admin.auth, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { id } } }`, {
        input: { clientId: w.kim.client.gid, type: 'PARTNER_DATA_SHARING', provision: 'DENY', integrationId: toGlobalId('ApiKey', '00000000-0000-4000-8000-000000000000'), method: 'SIGNED_FORM' } }),
        { resource_type: 'Client', resource_id: w.kim.client.id, subject_client_id: w.kim.client.id }],
      // A peer who sees Kim's shared goal may not check in on it.
      ['FORBIDDEN', () => gql(w.lee.auth, RECORD_CHECK_IN, { input: { goalId: shared.gid, value: 1 } }),
        { resource_type: 'Goal', resource_id: shared.id, subject_client_id: w.kim.client.id }],
      ['FORBIDDEN', () => gql(w.outsider.auth, `mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { session { id } } }`, {
        input: { sessionId: session, records: [{ membershipId: w.kim.membershipGid, status: 'PRESENT' }] } }),
        { resource_type: 'TherapyGroup', resource_id: w.group.id, subject_client_id: null }],
    ];
    for (const [code, attempt, denied] of attempts) {
      const before = await fullState(w.clinic.id);
      const res = await attempt();
      expectError(res, code);
      expect(await rowsOf(res)).toEqual([{ action: 'DENIED', ...denied, code }]);
      // Nothing else changed (the denial is the audit trail's; fullState leaves it out).
      expect(await fullState(w.clinic.id)).toEqual(before);
    }
    // Kim's access report shows the attempts on her records, as it shows a refused look.
    const denials = ok(await gql(w.kim.auth, REPORT)).myAccessReport.accesses.filter((a: { action: string }) => a.action === 'DENIED');
    expect(denials.map((a: { resourceType: string }) => a.resourceType).sort()).toEqual(['Client', 'Client', 'Client', 'Client', 'ConsentRecord', 'Goal', 'Membership', 'Membership']);
  });
});

describe('a consent already revoked (session 11)', () => {
  it('answers CONFLICT on a second revocation, DENIED about the member whose consent\'s state it told; nothing else changes', async () => {
    const w = await world();
    const consent = await grantConsent(w.kim.auth, { type: 'GOAL_SHARING', groupId: w.group.gid });
    const REVOKE = `mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) { consent { id status } } }`;
    expect(ok(await gql(w.lead.auth, REVOKE, { input: { consentId: consent.gid } })).revokeConsent.consent.status).toBe('REVOKED');
    const before = await fullState(w.clinic.id);
    const again = await gql(w.lead.auth, REVOKE, { input: { consentId: consent.gid } });
    expectError(again, 'CONFLICT');
    expect(await rowsOf(again)).toEqual([{ action: 'DENIED', resource_type: 'ConsentRecord', resource_id: consent.id, subject_client_id: w.kim.client.id, code: 'CONFLICT' }]);
    expect(await fullState(w.clinic.id)).toEqual(before);
  });
});

describe('a refused look names the member it was about', () => {
  it('node(id:) of a client, a membership or a goal is DENIED about that member, and shows in their access report', async () => {
    const w = await world();
    const goal = await createGoal(w.kim, { visibility: 'PRIVATE' });
    const theirs = await activeGroup({ members: 1 });
    const theirTrail = await ownerQuery(`SELECT * FROM audit_events WHERE clinic_id = $1 ORDER BY id`, [theirs.clinic.id]);
    for (const [gid, type, id] of [
      [w.kim.client.gid, 'Client', w.kim.client.id],
      [w.kim.membershipGid, 'Membership', w.kim.membershipId],
      [goal.gid, 'Goal', goal.id],
    ] as const) {
      const res = await gql(w.outsider.auth, CLIENT_NODE, { id: gid });
      expectError(res, 'NOT_FOUND');
      expect(res.data).toBeNull();
      expect(await rowsOf(res)).toEqual([{ action: 'DENIED', resource_type: type, resource_id: id, subject_client_id: w.kim.client.id, code: 'NOT_FOUND' }]);
    }
    // goal(id:) names her too.
    const byGoal = await gql(w.outsider.auth, GOAL, { id: goal.gid });
    expectError(byGoal, 'NOT_FOUND');
    expect(await rowsOf(byGoal)).toEqual([{ action: 'DENIED', resource_type: 'Goal', resource_id: goal.id, subject_client_id: w.kim.client.id, code: 'NOT_FOUND' }]);
    const refusals = ok(await gql(w.kim.auth, REPORT)).myAccessReport.accesses.filter((a: { action: string }) => a.action === 'DENIED');
    expect(refusals).toEqual(
      ['Goal', 'Goal', 'Membership', 'Client'].map((resourceType) => ({ action: 'DENIED', resourceType, actor: { kind: 'STAFF', name: 'Olive Outsider' } })),
    );
    // Another clinic's member, asked for here, names no one (RLS: their rows are not this clinic's).
    const foreign = await gql(w.outsider.auth, CLIENT_NODE, { id: theirs.members[0].client.gid });
    expectError(foreign, 'NOT_FOUND');
    expect(await rowsOf(foreign)).toEqual([{ action: 'DENIED', resource_type: 'Client', resource_id: theirs.members[0].client.id, subject_client_id: null, code: 'NOT_FOUND' }]);
    expect(await ownerQuery(`SELECT * FROM audit_events WHERE clinic_id = $1 ORDER BY id`, [theirs.clinic.id])).toEqual(theirTrail);
  });

  it('consents(clientId:) of a client the viewer may not read is refused like client(id:), and audited about them', async () => {
    const w = await world();
    const res = await gql(w.outsider.auth, CONSENTS_OF, { clientId: w.kim.client.gid });
    expectError(res, 'NOT_FOUND');
    expect(await rowsOf(res)).toEqual([{ action: 'DENIED', resource_type: 'Client', resource_id: w.kim.client.id, subject_client_id: w.kim.client.id, code: 'NOT_FOUND' }]);
    // Her own clinician still reads them (and that is a READ, not a refusal).
    expect(ok(await gql(w.lead.auth, CONSENTS_OF, { clientId: w.kim.client.gid })).consents.edges.length).toBeGreaterThan(0);
  });

  it('clientByExternalId that finds a client the viewer may not see answers null and records the refusal about them', async () => {
    const w = await world();
    await ownerQuery(`INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', $2, 'urn:ehr', 'MRN-7')`, [
      w.clinic.id,
      w.kim.client.id,
    ]);
    const Q = `query($r: ExternalIdentifierInput!) { clientByExternalId(identifier: $r) { id } }`;
    const refused = await gql(w.outsider.auth, Q, { r: { system: 'urn:ehr', value: 'MRN-7' } });
    expect(refused.errors).toBeUndefined();
    expect(refused.data.clientByExternalId).toBeNull();
    expect(await rowsOf(refused)).toEqual([{ action: 'DENIED', resource_type: 'Client', resource_id: w.kim.client.id, subject_client_id: w.kim.client.id, code: 'NOT_FOUND' }]);
    // An identifier no one carries is no one's refusal.
    const none = await gql(w.outsider.auth, Q, { r: { system: 'urn:ehr', value: 'MRN-8' } });
    expect(none.data.clientByExternalId).toBeNull();
    expect(await rowsOf(none)).toEqual([]);
    expect(ok(await gql(w.lead.auth, Q, { r: { system: 'urn:ehr', value: 'MRN-7' } })).clientByExternalId.id).toBe(w.kim.client.gid);
  });

  it('a member\'s refused look appears in the access report by name only to someone who shares a group with them', async () => {
    const w = await world();
    const stranger = w.other.members[0];
    // Two more who were in Kim's group, but never seated beside her: one only referred, one whose place ended years before hers began.
    const referred = await activeGroup({ clinic: w.clinic, members: 1 });
    const former = await activeGroup({ clinic: w.clinic, members: 1 });
    await ownerQuery(
      `INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start, period_end) VALUES
         ($1, $2, $3, 'REFERRED', NULL, NULL), ($1, $2, $4, 'COMPLETED', '2020-01-06', '2020-03-30')`,
      [w.clinic.id, w.group.id, referred.members[0].client.id, former.members[0].client.id],
    );
    const CLIENT = `query($id: ID!) { client(id: $id) { id } }`;
    for (const m of [stranger, referred.members[0], former.members[0], w.lee]) expectError(await gql(m.auth, CLIENT, { id: w.kim.client.gid }), 'NOT_FOUND');
    const refusals = ok(await gql(w.kim.auth, REPORT)).myAccessReport.accesses.filter((a: { action: string }) => a.action === 'DENIED');
    // Newest first: Lee, her peer, by display name; the others as members, unnamed.
    expect(refusals.map((a: { actor: object }) => a.actor)).toEqual([
      { kind: 'CLIENT', name: expect.stringMatching(/\S/) },
      { kind: 'CLIENT', name: null },
      { kind: 'CLIENT', name: null },
      { kind: 'CLIENT', name: null },
    ]);
    // Staff producing the report for her still see who it was.
    const forStaff = ok(await gql(w.clinic.admin.auth, `query($c: ID!) { clientAccessReport(clientId: $c) { accesses { action actor { kind name } } } }`, { c: w.kim.client.gid }));
    expect(forStaff.clientAccessReport.accesses.filter((a: { action: string }) => a.action === 'DENIED').every((a: { actor: { name: string | null } }) => a.actor.name)).toBe(true);
  });
});

describe('reading the audit trail', () => {
  it('is an EXPORT about every member a page names, as subject or as actor', async () => {
    const w = await world();
    expectError(await gql(w.kim.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: w.lee.client.gid }), 'NOT_FOUND');
    const res = await gql(w.clinic.admin.auth, `query($f: AuditEventFilter) { auditEvents(filter: $f) { edges { node { actorId subjectClientId } } } }`, {
      f: { actorId: w.kim.client.gid, action: 'DENIED' },
    });
    expect(res.data.auditEvents.edges.map((e: { node: object }) => e.node)).toEqual([{ actorId: w.kim.client.id, subjectClientId: w.lee.client.id }]);
    const exported = await ownerQuery<{ subject_client_id: string }>(
      `SELECT subject_client_id FROM audit_events WHERE request_id = $1 AND action = 'EXPORT' ORDER BY subject_client_id`,
      [res.body.extensions!.requestId],
    );
    expect(exported.map((r) => r.subject_client_id)).toEqual([w.kim.client.id, w.lee.client.id].sort());
  });
});

describe('a conflict that tells a member\'s record\'s state is recorded about them', () => {
  it('changeMembershipStatus to a status her membership cannot take: CONFLICT with its state, nothing changed, DENIED about her', async () => {
    const w = await world();
    await ownerQuery(`UPDATE memberships SET status = 'DISCHARGED', period_end = current_date WHERE id = $1`, [w.kim.membershipId]);
    const before = await ownerQuery(`SELECT * FROM memberships WHERE group_id = ANY($1) ORDER BY id`, [[w.group.id, w.other.group.id]]);
    const res = await gql(w.lead.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: w.kim.membershipGid, status: 'ACTIVE', reason: 'back' } });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ from: 'DISCHARGED', to: 'ACTIVE' });
    expect(await rowsOf(res)).toEqual([
      { action: 'DENIED', resource_type: 'Membership', resource_id: w.kim.membershipId, subject_client_id: w.kim.client.id, code: 'CONFLICT' },
    ]);
    expect(await ownerQuery(`SELECT * FROM memberships WHERE group_id = ANY($1) ORDER BY id`, [[w.group.id, w.other.group.id]])).toEqual(before);
  });

  it('enrollClient of a client already in the group: CONFLICT, nothing enrolled, DENIED about the client', async () => {
    const w = await world();
    const before = await ownerQuery(`SELECT id, status FROM memberships WHERE clinic_id = $1 ORDER BY id`, [w.clinic.id]);
    const res = await gql(w.clinic.admin.auth, `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id } } }`, {
      input: { groupId: w.group.gid, clientId: w.kim.client.gid },
    });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ reason: 'ALREADY_ENROLLED' });
    expect(await rowsOf(res)).toEqual([{ action: 'DENIED', resource_type: 'Membership', resource_id: null, subject_client_id: w.kim.client.id, code: 'CONFLICT' }]);
    expect(await ownerQuery(`SELECT id, status FROM memberships WHERE clinic_id = $1 ORDER BY id`, [w.clinic.id])).toEqual(before);
  });

  it('recordCheckIn on a completed goal: CONFLICT with its status, no check-in, DENIED about the goal\'s owner', async () => {
    const w = await world();
    const goal = await createGoal(w.kim, { visibility: 'PRIVATE' });
    ok(await gql(w.kim.auth, UPDATE_GOAL, { input: { id: goal.gid, lifecycleStatus: 'COMPLETED' } }));
    const res = await gql(w.lead.auth, RECORD_CHECK_IN, { input: { goalId: goal.gid, value: 1 } });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ lifecycleStatus: 'COMPLETED' });
    expect(await rowsOf(res)).toEqual([{ action: 'DENIED', resource_type: 'Goal', resource_id: goal.id, subject_client_id: w.kim.client.id, code: 'CONFLICT' }]);
    expect(await ownerQuery(`SELECT 1 FROM goal_check_ins WHERE goal_id = $1`, [goal.id])).toEqual([]);
  });

  it('a second PROGRESS note for a member in one session: CONFLICT, nothing written, DENIED about the member', async () => {
    const w = await sessionWorld({ members: 2 });
    const [kim] = w.members;
    await createNote(w, { kind: 'PROGRESS', body: 'Kim spoke about her week.', member: kim });
    const before = await ownerQuery(`SELECT id, version FROM session_notes WHERE session_id = $1 ORDER BY id`, [w.session.id]);
    const res = await gql(w.lead.auth, CREATE_NOTE, { input: { sessionId: w.session.gid, kind: 'PROGRESS', membershipId: kim.gid, body: 'Again.' } });
    expectError(res, 'CONFLICT');
    expect(await rowsOf(res)).toEqual([{ action: 'DENIED', resource_type: 'SessionNote', resource_id: null, subject_client_id: kim.client.id, code: 'CONFLICT' }]);
    expect(await ownerQuery(`SELECT id, version FROM session_notes WHERE session_id = $1 ORDER BY id`, [w.session.id])).toEqual(before);
  });

  it('a refused record about no one member (a group session) names no one', async () => {
    const w = await world();
    const res = await gql(w.outsider.auth, CLIENT_NODE, { id: toGlobalId('GroupSession', w.group.id) });
    expectError(res, 'NOT_FOUND');
    expect(await rowsOf(res)).toEqual([{ action: 'DENIED', resource_type: 'GroupSession', resource_id: w.group.id, subject_client_id: null, code: 'NOT_FOUND' }]);
  });
});

describe('a block mutes', () => {
  it('a partnership proposal from a member one blocked never reaches the blocker; its proposer sees it pending', async () => {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    await ownerQuery(`UPDATE therapy_groups SET peer_contact_policy = 'ANYTIME' WHERE id = $1`, [w.group.id]);
    ok(await gql(kim.auth, BLOCK, { input: { connectionId: await connect(lee, kim) } }));
    const fromLee = ok(await gql(lee.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid, message: 'Partners?' } })).proposePartnership.partnership;
    const fromSam = ok(await gql(sam.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid } })).proposePartnership.partnership;
    expect(fromLee.status).toBe(fromSam.status);
    // Kim's list, through the compiled home screen and through the resolvers (an extra field), and node(id:).
    for (const query of [`{ myPartnerships { id status } }`, `{ myPartnerships { id status message } }`]) {
      expect(ok(await gql(kim.auth, query)).myPartnerships.map((p: { id: string }) => p.id)).toEqual([fromSam.id]);
    }
    expectError(await gql(kim.auth, `query($id: ID!) { node(id: $id) { id } }`, { id: fromLee.id }), 'NOT_FOUND');
    expectError(await gql(kim.auth, RESPOND, { input: { partnershipId: fromLee.id, accept: true } }), 'NOT_FOUND');
    expect(ok(await gql(lee.auth, `{ myPartnerships { id status } }`)).myPartnerships).toEqual([{ id: fromLee.id, status: 'PROPOSED' }]);
    expect(await ownerQuery(`SELECT status FROM accountability_partnerships WHERE id = $1`, [uuidOf(fromLee.id)])).toEqual([{ status: 'PROPOSED' }]);
    // Kim proposing to Lee is not told "already proposed": Lee's hidden proposal is declined, as Kim would have declined it.
    const fromKim = await gql(kim.auth, PROPOSE, { input: { partnerMembershipId: lee.membershipGid } });
    expect(fromKim.errors).toBeUndefined();
    expect(fromKim.data.proposePartnership.partnership.status).toBe('PROPOSED');
    expect(ok(await gql(lee.auth, `{ myPartnerships { id status } }`)).myPartnerships).toEqual([
      { id: fromKim.data.proposePartnership.partnership.id, status: 'PROPOSED' },
      { id: fromLee.id, status: 'DECLINED' },
    ]);
  });

  it('a proposal held from the blocker is recorded about its proposer alone: read, withdrawn or ended by a block back, the blocker\'s access report shows nothing of it (session 10)', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    await ownerQuery(`UPDATE therapy_groups SET peer_contact_policy = 'ANYTIME' WHERE id = $1`, [w.group.id]);
    const connection = await connect(lee, kim);
    ok(await gql(kim.auth, BLOCK, { input: { connectionId: connection } }));
    const held = ok(await gql(lee.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid } })).proposePartnership.partnership;
    // Lee reads it through the compiled home screen and through the resolvers, then withdraws it and proposes again.
    for (const query of [`{ myPartnerships { id status } }`, `{ myPartnerships { id status message } }`]) ok(await gql(lee.auth, query));
    ok(await gql(lee.auth, `mutation($input: EndPartnershipInput!) { endPartnership(input: $input) { partnership { status } } }`, { input: { partnershipId: held.id } }));
    const again = ok(await gql(lee.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid } })).proposePartnership.partnership;
    // Lee blocks Kim back: the pending proposal ends, as Lee could end it.
    ok(await gql(lee.auth, BLOCK, { input: { connectionId: connection } }));
    const aboutKim = await ownerQuery(
      `SELECT action, resource_id FROM audit_events WHERE clinic_id = $1 AND resource_type = 'AccountabilityPartnership' AND subject_client_id = $2`,
      [w.clinic.id, kim.client.id],
    );
    expect(aboutKim).toEqual([]);
    const aboutLee = await ownerQuery(
      `SELECT DISTINCT resource_id FROM audit_events WHERE clinic_id = $1 AND resource_type = 'AccountabilityPartnership' AND subject_client_id = $2`,
      [w.clinic.id, lee.client.id],
    );
    expect(aboutLee.map((r: { resource_id: string }) => r.resource_id).sort()).toEqual([uuidOf(held.id), uuidOf(again.id)].sort());
    expect((await ownerQuery(`SELECT status FROM accountability_partnerships WHERE id = $1`, [uuidOf(again.id)]))[0].status).toBe('ENDED');
    const report = ok(await gql(kim.auth, REPORT)).myAccessReport.accesses;
    expect(report.filter((a: { resourceType: string }) => a.resourceType === 'AccountabilityPartnership')).toEqual([]);
    // Nor does Kim's list show the proposals, withdrawn or ended: they were never hers to see.
    for (const query of [`{ myPartnerships { id status } }`, `{ myPartnerships { id status message } }`]) expect(ok(await gql(kim.auth, query)).myPartnerships).toEqual([]);
  });

  it('a proposal made before the block, once withdrawn, shows to the blocker as an ending and is recorded about both, as any ending is', async () => {
    const w = await activeGroup({ members: 2 });
    const [kim, lee] = w.members;
    await ownerQuery(`UPDATE therapy_groups SET peer_contact_policy = 'ANYTIME' WHERE id = $1`, [w.group.id]);
    const before = ok(await gql(lee.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid } })).proposePartnership.partnership;
    ok(await gql(kim.auth, BLOCK, { input: { connectionId: await connect(lee, kim) } }));
    // Pending, it is held from Kim; withdrawn, it is an ending she may see, like any.
    expect(ok(await gql(kim.auth, `{ myPartnerships { id } }`)).myPartnerships).toEqual([]);
    ok(await gql(lee.auth, `mutation($input: EndPartnershipInput!) { endPartnership(input: $input) { partnership { status } } }`, { input: { partnershipId: before.id } }));
    expect(ok(await gql(kim.auth, `{ myPartnerships { id status } }`)).myPartnerships).toEqual([{ id: before.id, status: 'ENDED' }]);
    const updates = await ownerQuery(
      `SELECT subject_client_id FROM audit_events WHERE clinic_id = $1 AND resource_type = 'AccountabilityPartnership' AND action = 'UPDATE' AND resource_id = $2`,
      [w.clinic.id, uuidOf(before.id)],
    );
    expect(updates.map((u: { subject_client_id: string }) => u.subject_client_id).sort()).toEqual([kim.client.id, lee.client.id].sort());
  });

  it('an answer to a proposal, and an ending when a membership ends, are recorded about both members', async () => {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    const proposed = ok(await gql(lee.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid } })).proposePartnership.partnership;
    ok(await gql(kim.auth, RESPOND, { input: { partnershipId: proposed.id, accept: false } }));
    const withSam = ok(await gql(sam.auth, PROPOSE, { input: { partnerMembershipId: kim.membershipGid } })).proposePartnership.partnership;
    ok(await gql(kim.auth, RESPOND, { input: { partnershipId: withSam.id, accept: true } }));
    ok(await gql(w.clinic.admin.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: sam.membershipGid, status: 'WITHDRAWN', reason: 'Moved' } }));
    const updates = (id: string) =>
      ownerQuery(`SELECT subject_client_id FROM audit_events WHERE clinic_id = $1 AND resource_type = 'AccountabilityPartnership' AND action = 'UPDATE' AND resource_id = $2`, [w.clinic.id, uuidOf(id)]);
    expect((await updates(proposed.id)).map((r: { subject_client_id: string }) => r.subject_client_id).sort()).toEqual([kim.client.id, lee.client.id].sort());
    // The accept and the ending: each about both.
    const ended = (await updates(withSam.id)).map((r: { subject_client_id: string }) => r.subject_client_id);
    expect(ended.filter((c: string) => c === kim.client.id)).toHaveLength(2);
    expect(ended.filter((c: string) => c === sam.client.id)).toHaveLength(2);
    expect((await ownerQuery(`SELECT status FROM accountability_partnerships WHERE id = $1`, [uuidOf(withSam.id)]))[0].status).toBe('ENDED');
  });

  it('encouragements from a member one blocked no longer show, in the inbox or the access report; others\' still do', async () => {
    const w = await activeGroup({ members: 3 });
    const [kim, lee, sam] = w.members;
    await ownerQuery(`UPDATE therapy_groups SET peer_contact_policy = 'ANYTIME' WHERE id = $1`, [w.group.id]);
    // A goal Kim shares with the group: a block ends Lee's partnership with Kim (and so Lee's view
    // of her partner-shared goals), not what the group sees.
    await shareGoals(kim, w.group);
    const goal = await createGoal(kim, { visibility: 'GROUP', lifecycleStatus: 'ACTIVE' });
    const SEND = `mutation($input: SendEncouragementInput!) { sendEncouragement(input: $input) { encouragement { id } } }`;
    const MINE = `{ myEncouragements { edges { node { id message } } } }`;
    ok(await gql(lee.auth, SEND, { input: { goalId: goal.gid, message: 'From Lee' } }));
    ok(await gql(sam.auth, SEND, { input: { goalId: goal.gid, message: 'From Sam' } }));
    expect(ok(await gql(kim.auth, MINE)).myEncouragements.edges.map((e: { node: { message: string } }) => e.node).map((e: { message: string }) => e.message).sort()).toEqual(['From Lee', 'From Sam']);
    const connection = await connect(lee, kim);
    ok(await gql(kim.auth, BLOCK, { input: { connectionId: connection } }));
    const again = await gql(lee.auth, SEND, { input: { goalId: goal.gid, message: 'From Lee again' } });
    ok(again);
    // Recorded about Lee alone: Kim's access report shows the message Lee sent before the block, not this one.
    expect((await rowsOf(again)).filter((r) => r.action === 'CREATE')).toEqual([expect.objectContaining({ resource_type: 'Encouragement', subject_client_id: lee.client.id })]);
    const created = ok(await gql(kim.auth, `{ myAccessReport { accesses { action resourceType actor { name } } } }`)).myAccessReport.accesses
      .filter((a: { action: string; resourceType: string }) => a.action === 'CREATE' && a.resourceType === 'Encouragement');
    expect(created.map((a: { actor: { name: string } }) => a.actor.name).sort()).toEqual([lee, sam].map((m) => `${m.client.givenName} ${m.client.familyName[0]}.`).sort());
    expect(ok(await gql(kim.auth, MINE)).myEncouragements.edges.map((e: { node: { message: string } }) => e.node).map((e: { message: string }) => e.message)).toEqual(['From Sam']);
    // Lee is told nothing: sending still succeeds, and the messages are kept.
    expect(await ownerQuery(`SELECT message FROM encouragements WHERE sender_client_id = $1 ORDER BY sent_at`, [lee.client.id])).toEqual([
      { message: 'From Lee' }, { message: 'From Lee again' },
    ]);
  });
});

describe('list sizes out of range are refused, never silently changed', () => {
  it('answers BAD_USER_INPUT naming the argument, for nested lists, the compiled roster and plain Int sizes alike', async () => {
    const w = await world();
    const goal = await createGoal(w.kim, { visibility: 'PRIVATE' });
    const cases: [string, string, Record<string, unknown>, string][] = [
      [w.lead.auth, `query($id: ID!, $n: Int!) { group(id: $id) { members(first: $n) { edges { node { id } } } } }`, { id: w.group.gid }, 'first'],
      [w.lead.auth, `query($id: ID!, $n: Int!) { group(id: $id) { name members(first: $n) { edges { node { status client { displayName } goals { title checkIns(last: 3) { value } } } } } } }`, { id: w.group.gid }, 'first'],
      [w.kim.auth, `query($id: ID!, $n: Int!) { goal(id: $id) { checkIns(last: $n) { id } } }`, { id: goal.gid }, 'last'],
      [w.kim.auth, `query($n: Int!) { myEncouragements(first: $n) { edges { node { id } } } }`, {}, 'first'],
      [w.kim.auth, `query($n: Int!) { myAccessReport(first: $n) { generatedAt } }`, {}, 'first'],
      [w.clinic.admin.auth, `query($n: Int!) { syncRuns(first: $n) { edges { node { id } } } }`, {}, 'first'],
    ];
    const limits: Record<string, number> = { myAccessReport: 500 };
    for (const [auth, query, variables, argument] of cases) {
      const max = Object.entries(limits).find(([name]) => query.includes(name))?.[1] ?? 100;
      for (const n of [0, max + 1]) {
        const res = await gql(auth, query, { ...variables, n });
        expectError(res, 'BAD_USER_INPUT');
        // Named as a plain argument, or as a field of the page arguments (`PageArgs`' validation).
        const named = res.errors![0].extensions as { argument?: string; fields?: { field: string }[] };
        expect(named.argument ?? named.fields?.[0]?.field).toBe(argument);
      }
      expect((await gql(auth, query, { ...variables, n: max })).errors).toBeUndefined();
    }
  });
});

describe('what integrations and members are told, path for path', () => {
  it('a goal released to a goals:read key under consent does not name its owner; with a roster scope it does', async () => {
    const w = await world();
    const goalsOnly = await w.clinic.addApiKey(['goals:read'], 'Goals only');
    const withRoster = await w.clinic.addApiKey(['goals:read', 'roster:read'], 'Goals and roster');
    for (const key of [goalsOnly, withRoster]) await grantConsent(w.kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const goal = await createGoal(w.kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE' });
    const Q = `{ goals(first: 10) { edges { node { id title ownerDisplayName } } } }`;
    const seen = async (auth: string) => ok(await gql(auth, Q)).goals.edges.map((e: { node: object }) => e.node);
    expect(await seen(goalsOnly.auth)).toEqual([{ id: goal.gid, title: goal.title, ownerDisplayName: null }]);
    expect(await seen(withRoster.auth)).toEqual([{ id: goal.gid, title: goal.title, ownerDisplayName: expect.stringMatching(/\S/) }]);
    expect(ok(await gql(goalsOnly.auth, `query($id: ID!) { goal(id: $id) { ownerDisplayName } }`, { id: goal.gid })).goal.ownerDisplayName).toBeNull();
    // People still see the name.
    expect(ok(await gql(w.lead.auth, `query($id: ID!) { goal(id: $id) { ownerDisplayName } }`, { id: goal.gid })).goal.ownerDisplayName).toMatch(/\S/);
  });

  it('a member reading their own record does not get its outside identifiers; staff do', async () => {
    const w = await world();
    await ownerQuery(`INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', $2, 'urn:ehr', 'MRN-9')`, [
      w.clinic.id,
      w.kim.client.id,
    ]);
    const Q = `query($id: ID!) { client(id: $id) { id externalIds { system value } } }`;
    expect(ok(await gql(w.kim.auth, Q, { id: w.kim.client.gid })).client).toEqual({ id: w.kim.client.gid, externalIds: null });
    expect(ok(await gql(w.clinic.admin.auth, Q, { id: w.kim.client.gid })).client.externalIds).toEqual([{ system: 'urn:ehr', value: 'MRN-9' }]);
  });

  it('a roster:write key fetches the sessions its group list shows, by id and through node(id:)', async () => {
    const w = await sessionWorld({ members: 1 });
    const key = await w.clinic.addApiKey(['roster:write']);
    const listed = ok(await gql(key.auth, `query($id: ID!) { group(id: $id) { sessions { id } } }`, { id: w.group.gid })).group.sessions;
    expect(listed.map((s: { id: string }) => s.id)).toContain(w.session.gid);
    expect(ok(await gql(key.auth, `query($id: ID!) { groupSession(id: $id) { id } }`, { id: w.session.gid })).groupSession.id).toBe(w.session.gid);
    expect(ok(await gql(key.auth, `query($id: ID!) { node(id: $id) { id } }`, { id: w.session.gid })).node.id).toBe(w.session.gid);
  });
});

describe('signing a note signs what was checked', () => {
  it('an edit that commits between a sign\'s read and its write makes the sign answer CONFLICT: no note signed unseen, under a hash of other text', async () => {
    const w = await sessionWorld({ members: 2 });
    const note = await createNote(w, { kind: 'GROUP', body: 'Themes of grief.' });
    const owner = await ownerConnection();
    let settled = false;
    try {
      // The sign reads version 1, then waits on the member-name check (clients is locked); the edit commits version 2 meanwhile.
      await owner.query('BEGIN');
      await owner.query('LOCK TABLE clients IN ACCESS EXCLUSIVE MODE');
      const sign = gql(w.lead.auth, SIGN_NOTE, { input: { noteId: note.gid, expectedVersion: 2, acknowledgeWarnings: true } }).finally(() => {
        settled = true;
      });
      // Until the sign waits on the lock, or has answered without reaching it.
      while (!settled && (await lockWaiters()).length === 0) await new Promise((r) => setTimeout(r, 20));
      // The edit, written directly as updateSessionNote writes it, so that only the sign waits on the locked table.
      await ownerQuery(`UPDATE session_notes SET body = $2, version = version + 1, updated_at = now() WHERE id = $1`, [note.id, Buffer.from('another text')]);
      await owner.query('COMMIT');
      expectError(await sign, 'CONFLICT');
    } finally {
      await owner.end();
    }
    expect(await ownerQuery(`SELECT status, version, content_hash FROM session_notes WHERE id = $1`, [note.id])).toEqual([{ status: 'DRAFT', version: 2, content_hash: null }]);
  });
});

describe('one roster sync per request', () => {
  it('a document with two syncRoster fields (aliases) is refused whole: BAD_USER_INPUT, nothing written, however the first fared', async () => {
    const w = await syncWorld();
    const before = await fullState(w.clinic.id);
    const res = await gql(w.writer.auth, `mutation($a: SyncRosterInput!, $b: SyncRosterInput!) {
      a: syncRoster(input: $a) { applied } b: syncRoster(input: $b) { applied } }`, {
      a: { group: { id: w.group.gid }, members: rosterRows(1, 3) },
      b: { group: { id: w.group.gid }, members: rosterRows(10, 3) },
    });
    expect(res.codes).toEqual(['BAD_USER_INPUT']);
    expect(res.data).toBeNull();
    expect(await fullState(w.clinic.id)).toEqual(before);
  });
});

describe('an addendum to a group note names no one either', () => {
  it('warns MEMBER_NAMED and adds nothing unless acknowledged, as signing the note does', async () => {
    const w = await sessionWorld({ members: 2 });
    const note = await createNote(w, { kind: 'GROUP', body: 'The group practised grounding.' });
    await signNote(w, note);
    const ADD = `mutation($input: AddNoteAddendumInput!) { addNoteAddendum(input: $input) { addendum { contentHash } warnings { code } } }`;
    const naming = { noteId: note.gid, body: `${w.members[0].client.givenName} left early.` };
    const warned = ok(await gql(w.lead.auth, ADD, { input: naming })).addNoteAddendum;
    expect(warned).toEqual({ addendum: null, warnings: [{ code: 'MEMBER_NAMED' }] });
    expect(await ownerQuery(`SELECT 1 FROM note_addenda WHERE note_id = $1`, [note.id])).toEqual([]);
    // Naming no one adds it at once; so does acknowledging the warning.
    expect(ok(await gql(w.lead.auth, ADD, { input: { noteId: note.gid, body: 'One member left early.' } })).addNoteAddendum.warnings).toEqual([]);
    const acknowledged = ok(await gql(w.lead.auth, ADD, { input: { ...naming, acknowledgeWarnings: true } })).addNoteAddendum;
    expect(acknowledged.addendum.contentHash).toMatch(/\S/);
    expect(await ownerQuery(`SELECT 1 FROM note_addenda WHERE note_id = $1`, [note.id])).toHaveLength(2);
  });
});

describe('one mutation document reads what its earlier mutations wrote', () => {
  it('a second note, and replaced attendance, show in later fields of the same document', async () => {
    const w = await sessionWorld({ members: 2 });
    const [ann] = w.members;
    const notes = await gql(w.lead.auth, `mutation($a: CreateSessionNoteInput!, $b: CreateSessionNoteInput!) {
      a: createSessionNote(input: $a) { note { session { notes { kind } } } }
      b: createSessionNote(input: $b) { note { session { notes { kind } } } } }`, {
      a: { sessionId: w.session.gid, kind: 'GROUP', body: 'Grounding.' },
      b: { sessionId: w.session.gid, kind: 'PROGRESS', membershipId: ann.gid, body: 'Ann engaged well.' },
    });
    expect(notes.errors).toBeUndefined();
    expect(notes.data.a.note.session.notes.map((n: { kind: string }) => n.kind)).toEqual(['GROUP']);
    // Both written in one transaction: same created_at, so their order is the ids'.
    expect(notes.data.b.note.session.notes.map((n: { kind: string }) => n.kind).sort()).toEqual(['GROUP', 'PROGRESS']);
    const RECORD = `recordAttendance(input: { sessionId: $s, records: [{ membershipId: $m, status: $status }] }) { attendance { membership { attendance { status } } } }`;
    const attendance = await gql(w.lead.auth, `mutation($s: ID!, $m: ID!, $first: AttendanceStatus!, $second: AttendanceStatus!) {
      a: ${RECORD.replace('$status', '$first')} b: ${RECORD.replace('$status', '$second')} }`, { s: w.session.gid, m: ann.gid, first: 'PRESENT', second: 'ABSENT_EXCUSED' });
    expect(attendance.errors).toBeUndefined();
    expect(attendance.data.b.attendance).toEqual([{ membership: { attendance: [{ status: 'ABSENT_EXCUSED' }] } }]);
  });
});

describe('attendance makes a session HELD for the rest of the document too', () => {
  it('a later field lists the group\'s session as HELD once attendance was recorded in the same document', async () => {
    const w = await sessionWorld({ members: 1 });
    const SESSIONS = `session { group { sessions { id status } } }`;
    const res = await gql(w.lead.auth, `mutation($s: ID!, $m: ID!) {
      before: updateSession(input: { sessionId: $s, topic: "Boundaries" }) { ${SESSIONS} }
      after: recordAttendance(input: { sessionId: $s, records: [{ membershipId: $m, status: PRESENT }] }) { ${SESSIONS} } }`, {
      s: w.session.gid, m: w.members[0].gid,
    });
    expect(res.errors).toBeUndefined();
    const statusIn = (field: 'before' | 'after') => res.data[field].session.group.sessions.find((x: { id: string }) => x.id === w.session.gid).status;
    expect([statusIn('before'), statusIn('after')]).toEqual(['SCHEDULED', 'HELD']);
  });
});
