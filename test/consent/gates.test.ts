/**
 * The acceptance tests of the consent issue: consent is checked on every request and a change
 * holds from the very next one; integrations receive gated data only under consent, and every
 * release is written to the disclosure ledger once per record per request.
 */
import { toGlobalId } from '../../src/common/global-id';
import { archiveLeavingMembershipsOpen, ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { ownerConnection, waitForLockWaiters } from '../sync/sync-fixtures';
import {
  acceptAgreement,
  activeGroup,
  agreementConsentOf,
  BOARD,
  consentEventRows,
  consentRow,
  checkIn,
  createGoal,
  expectRefused,
  GOAL,
  GRANT_CONSENT,
  REVOKE_CONSENT,
  grantConsent,
  insertExpiredConsent,
  listedGoalIds,
  memberNames,
  MY_CONSENTS,
  ok,
  revokeConsent,
  shareGoals,
  uuidOf,
} from '../goals/goal-fixtures';

/** The member's consents of one type, as they see them: status and history events by consent. */
async function myConsentsOfType(auth: string, type: string) {
  const all = ok(await gql(auth, MY_CONSENTS)).viewer.consents as any[];
  return all.filter((c) => c.type === type).map((c) => ({ id: c.id, status: c.status, events: c.history.map((h: any) => h.event) }));
}

const CHANGE_GROUP_STATUS = `mutation($input: ChangeGroupStatusInput!) { changeGroupStatus(input: $input) { group { id status } } }`;

const boardTitles = async (auth: string, groupGid: string) =>
  (ok(await gql(auth, BOARD, { id: groupGid })).group.accountabilityBoard as any[]).flatMap((e) => e.goals.map((g: any) => g.title));

describe('a revocation holds from the next request; an expired consent is not honoured; a re-grant restores access', () => {
  it('GROUP_AGREEMENT: a member sees their peers only while their agreement consent is active', async () => {
    const { clinic, group, members } = await activeGroup({ members: 3 });
    const [sam, kim, lee] = members;
    const everyone = await memberNames(clinic.admin.auth, group);
    expect(everyone).toHaveLength(3);
    expect(await memberNames(sam.auth, group)).toEqual(everyone);

    // Sam withdraws the agreement consent: with the same token, the very next request shows no peers.
    const agreement = await agreementConsentOf(sam, group);
    await revokeConsent(sam.auth, agreement, 'I need a break');
    const alone = await memberNames(sam.auth, group);
    expect(alone).toHaveLength(1);
    expect(everyone).toContain(alone[0]);
    // Kim's and Lee's views are untouched.
    expect(await memberNames(kim.auth, group)).toEqual(everyone);
    expect(await memberNames(lee.auth, group)).toEqual(everyone);
    // Peers' shared goals disappear with the peers.
    await shareGoals(kim, group);
    const kimsGoal = await createGoal(kim, { visibility: 'GROUP' });
    expect(await listedGoalIds(sam.auth)).not.toContain(kimsGoal.gid);
    expect(await boardTitles(sam.auth, group.gid)).toEqual([]);

    // An agreement consent that has expired does not count.
    await insertExpiredConsent(clinic.id, sam.client.id, 'GROUP_AGREEMENT', { groupId: group.id });
    expect(await memberNames(sam.auth, group)).toEqual(alone);

    // Granting it again restores the view on the next request.
    const regranted = await grantConsent(sam.auth, { type: 'GROUP_AGREEMENT', groupId: group.gid, documentVersion: '1' });
    expect(await memberNames(sam.auth, group)).toEqual(everyone);
    expect(await listedGoalIds(sam.auth)).toContain(kimsGoal.gid);
    expect(await boardTitles(sam.auth, group.gid)).toEqual([kimsGoal.title]);

    // The history holds all three states.
    const history = await myConsentsOfType(sam.auth, 'GROUP_AGREEMENT');
    expect(history).toHaveLength(3);
    expect(history.find((c) => c.id === agreement.gid)).toEqual({ id: agreement.gid, status: 'REVOKED', events: ['GRANTED', 'REVOKED'] });
    expect(history.find((c) => c.id === regranted.gid)).toEqual({ id: regranted.gid, status: 'ACTIVE', events: ['GRANTED'] });
    expect(history.map((c) => c.status).sort()).toEqual(['ACTIVE', 'EXPIRED', 'REVOKED']);
  });

  it('GOAL_SHARING: a peer sees a GROUP goal only while its owner shares, from the next request on', async () => {
    const { clinic, group, members } = await activeGroup({ members: 3 });
    const [sam, kim, lee] = members;
    const goal = await createGoal(kim, { visibility: 'GROUP', title: 'Call my sister weekly' });
    await checkIn(kim.auth, goal, { note: 'Called her', mood: 4 });

    // Without Kim's consent Sam sees nothing of it.
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, GOAL, { id: goal.gid }));

    const sharing = await shareGoals(kim, group);
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);
    expect(ok(await gql(sam.auth, GOAL, { id: goal.gid })).goal.title).toBe('Call my sister weekly');
    expect(await boardTitles(sam.auth, group.gid)).toEqual(['Call my sister weekly']);

    // Kim revokes: Sam's next request, same token, sees nothing — by the list, by id and on the board.
    await revokeConsent(kim.auth, sharing);
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, GOAL, { id: goal.gid }));
    expect(await boardTitles(sam.auth, group.gid)).toEqual([]);
    expect(await listedGoalIds(lee.auth)).toEqual([]);

    // An expired sharing consent is not honoured.
    await insertExpiredConsent(clinic.id, kim.client.id, 'GOAL_SHARING', { groupId: group.id });
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    expect(await boardTitles(sam.auth, group.gid)).toEqual([]);

    // Re-granting restores it.
    const again = await shareGoals(kim, group);
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);
    expect(await boardTitles(sam.auth, group.gid)).toEqual(['Call my sister weekly']);

    const history = await myConsentsOfType(kim.auth, 'GOAL_SHARING');
    expect(history.map((c) => c.status)).toEqual(expect.arrayContaining(['ACTIVE', 'EXPIRED', 'REVOKED']));
    expect(history).toHaveLength(3);
    expect(history.find((c) => c.id === sharing.gid)!.events).toEqual(['GRANTED', 'REVOKED']);
    expect(history.find((c) => c.id === again.gid)!.events).toEqual(['GRANTED']);
    // Kim, the owner, saw her goal throughout.
    expect(await listedGoalIds(kim.auth)).toEqual([goal.gid]);
  });

  it('an active DENY overrides a PERMIT, group-scoped or clinic-wide, until it is revoked', async () => {
    const { group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const goal = await createGoal(kim, { visibility: 'GROUP' });
    await shareGoals(kim, group);
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);

    const groupDeny = await grantConsent(kim.auth, { type: 'GOAL_SHARING', groupId: group.gid, provision: 'DENY' });
    expect(groupDeny.consent).toMatchObject({ provision: 'DENY', status: 'ACTIVE' });
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    await revokeConsent(kim.auth, groupDeny);
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);

    const clinicDeny = await grantConsent(kim.auth, { type: 'GOAL_SHARING', provision: 'DENY' });
    expect(clinicDeny.consent.scopeKind).toBe('CLINIC');
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    expect(await boardTitles(sam.auth, group.gid)).toEqual([]);
    await revokeConsent(kim.auth, clinicDeny);
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);
  });

  it('a clinic-wide GOAL_SHARING permit covers the member\'s groups', async () => {
    const { members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const goal = await createGoal(kim, { visibility: 'GROUP' });
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    const clinicWide = await grantConsent(kim.auth, { type: 'GOAL_SHARING' });
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);
    await revokeConsent(kim.auth, clinicWide);
    expect(await listedGoalIds(sam.auth)).toEqual([]);
  });
});

describe('the same decision recorded again replaces the earlier copy', () => {
  it('a second GOAL_SHARING permit supersedes the first, so revoking the one in force withdraws the sharing; other decisions stand', async () => {
    const { clinic, group, members } = await activeGroup({ members: 3 });
    const [sam, kim, lee] = members;
    const goal = await createGoal(kim, { visibility: 'GROUP' });
    const first = await shareGoals(kim, group);
    const leesSharing = await shareGoals(lee, group);
    // A different decision of the same type: clinic-wide, and a PARTNER_DATA_SHARING narrowed to goals beside one for everything.
    const key = await clinic.addApiKey(['goals:read'], 'Coach App');
    const everything = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const goalsOnly = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, dataClasses: ['goals'] });

    // Kim records it again (say, the app asked twice): the first copy is revoked, with its reason.
    const second = await shareGoals(kim, group);
    expect((await consentRow(first.id)).revocation_reason).toBe('Superseded: the same consent recorded again');
    expect(await consentEventRows(first.id)).toEqual([
      { event: 'GRANTED', actor_type: 'CLIENT', actor_id: kim.client.id, reason: null },
      { event: 'REVOKED', actor_type: 'CLIENT', actor_id: kim.client.id, reason: 'Superseded: the same consent recorded again' },
    ]);
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);

    // Revoking the one in force withdraws the sharing: no older copy grants on.
    await revokeConsent(kim.auth, second);
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, GOAL, { id: goal.gid }));

    // Lee's identical consent, and Kim's other decisions, are untouched.
    expect((await consentRow(leesSharing.id)).revoked_at).toBeNull();
    expect((await consentRow(everything.id)).revoked_at).toBeNull();
    expect((await consentRow(goalsOnly.id)).revoked_at).toBeNull();
    // A DENY recorded twice is one DENY in force too.
    const deny = await grantConsent(kim.auth, { type: 'GOAL_SHARING', provision: 'DENY' });
    const denyAgain = await grantConsent(kim.auth, { type: 'GOAL_SHARING', provision: 'DENY' });
    expect((await consentRow(deny.id)).revoked_at).not.toBeNull();
    expect((await consentRow(denyAgain.id)).revoked_at).toBeNull();
    const active = await ownerQuery(
      `SELECT type, provision, scope_kind, data_classes FROM consent_records WHERE client_id = $1 AND revoked_at IS NULL ORDER BY type, provision, cardinality(data_classes)`,
      [kim.client.id],
    );
    expect(active).toEqual([
      { type: 'GOAL_SHARING', provision: 'DENY', scope_kind: 'CLINIC', data_classes: [] },
      { type: 'GROUP_AGREEMENT', provision: 'PERMIT', scope_kind: 'GROUP', data_classes: [] },
      { type: 'PARTNER_DATA_SHARING', provision: 'PERMIT', scope_kind: 'INTEGRATION', data_classes: [] },
      { type: 'PARTNER_DATA_SHARING', provision: 'PERMIT', scope_kind: 'INTEGRATION', data_classes: ['goals'] },
    ]);
  });
});

describe('a copy recorded again never cuts short one that outlasts it, and a lapsed copy is revoked alone (session 12)', () => {
  it('an admin\'s DENY with an expiry leaves the member\'s standing DENY in force; one without an expiry supersedes a lapsing one', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const [kim] = members;
    const key = await clinic.addApiKey(['goals:read'], 'Coach App');
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const standing = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision: 'DENY' });
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const lapsing = await grantConsent(clinic.admin.auth, {
      clientId: kim.client.gid, type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision: 'DENY', method: 'VERBAL', expiresAt: inAnHour,
    });
    // Kim's DENY stands: when the admin's lapses, hers still withholds.
    expect((await consentRow(standing.id)).revoked_at).toBeNull();
    expect((await consentRow(lapsing.id)).revoked_at).toBeNull();
    // A supervisor revokes the admin's lapsing copy: Kim's standing DENY outlasts it, and stands.
    await revokeConsent(clinic.supervisor.auth, lapsing, 'recorded in error');
    expect((await consentRow(lapsing.id)).revocation_reason).toBe('recorded in error');
    expect((await consentRow(standing.id)).revoked_at).toBeNull();
    // The admin records a lapsing DENY again; Kim records hers again, with no expiry: both earlier copies lapse no later, so both are superseded.
    const lapsingAgain = await grantConsent(clinic.admin.auth, {
      clientId: kim.client.gid, type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision: 'DENY', method: 'VERBAL', expiresAt: inAnHour,
    });
    expect((await consentRow(lapsingAgain.id)).revoked_at).toBeNull();
    const again = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision: 'DENY' });
    for (const c of [standing, lapsingAgain]) expect((await consentRow(c.id)).revocation_reason).toBe('Superseded: the same consent recorded again');
    expect((await consentRow(again.id)).revoked_at).toBeNull();
  });

  it('a PERMIT recorded again with an expiry replaces the standing one: sharing ends when the newest says', async () => {
    const { group, members } = await activeGroup({ members: 1 });
    const [kim] = members;
    const standing = await shareGoals(kim, group);
    const untilCohortEnds = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const bounded = await grantConsent(kim.auth, { type: 'GOAL_SHARING', groupId: group.gid, expiresAt: untilCohortEnds });
    expect((await consentRow(standing.id)).revocation_reason).toBe('Superseded: the same consent recorded again');
    expect((await consentRow(bounded.id)).revoked_at).toBeNull();
  });

  it('revoking a lapsed copy leaves its renewal in force', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const goal = await createGoal(kim, { visibility: 'GROUP' });
    const lapsed = await insertExpiredConsent(clinic.id, kim.client.id, 'GOAL_SHARING', { groupId: group.id });
    const renewed = await shareGoals(kim, group);
    expect((await consentRow(lapsed.id)).revoked_at).toBeNull(); // lapsed copies are not superseded
    await revokeConsent(kim.auth, lapsed, 'tidying up');
    expect((await consentRow(lapsed.id)).revocation_reason).toBe('tidying up');
    expect((await consentRow(renewed.id)).revoked_at).toBeNull();
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);
  });
});

describe('a revocation racing a new copy of the same decision (session 12)', () => {
  it('is judged under the decision\'s lock: it answers the copy\'s fresh state, and the new copy stands', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const [kim] = members;
    const first = await shareGoals(kim, group);
    // A recording of the same decision is under way (the lock held), superseding the first copy.
    const held = await ownerConnection();
    let secondId = '';
    try {
      await held.query('BEGIN');
      await held.query(`SELECT pg_advisory_xact_lock(hashtext('consent:' || $1 || ':' || $2))`, [kim.client.id, 'GOAL_SHARING']);
      const revoking = gql(kim.auth, REVOKE_CONSENT, { input: { consentId: first.gid, reason: 'stop' } });
      await waitForLockWaiters(1);
      await held.query(`UPDATE consent_records SET revoked_at = now(), revoked_by_type = 'CLIENT', revoked_by_id = $2, revocation_reason = 'Superseded: the same consent recorded again' WHERE id = $1`, [first.id, kim.client.id]);
      const [second] = (await held.query(
        `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, provision, method, recorded_by_type, recorded_by_id)
         VALUES ($1, $2, 'GOAL_SHARING', 'GROUP', $3, 'PERMIT', 'ELECTRONIC', 'CLIENT', $2) RETURNING id`,
        [clinic.id, kim.client.id, group.id],
      )).rows;
      secondId = second.id;
      await held.query('COMMIT');
      const res = await revoking;
      expectError(res, 'CONFLICT');
      expect(res.errors![0].extensions).toMatchObject({ status: 'REVOKED' });
    } finally {
      await held.end();
    }
    expect((await consentRow(secondId)).revoked_at).toBeNull();
    expect((await consentRow(first.id)).revocation_reason).toBe('Superseded: the same consent recorded again');
  });
});

describe('revoking withdraws the decision, whatever copies of it were stored before', () => {
  it('revokes every in-force copy of the revoked consent\'s decision, and nothing else', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const goal = await createGoal(kim, { visibility: 'GROUP' });
    // Two identical permits, as databases hold them from before a new grant superseded the old.
    const older = await shareGoals(kim, group);
    const [copy] = await ownerQuery<{ id: string }>(
      `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, provision, method, recorded_by_type, recorded_by_id)
       VALUES ($1, $2, 'GOAL_SHARING', 'GROUP', $3, 'PERMIT', 'ELECTRONIC', 'CLIENT', $2) RETURNING id`,
      [clinic.id, kim.client.id, group.id],
    );
    const clinicWide = await grantConsent(kim.auth, { type: 'GOAL_SHARING' });
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);
    await revokeConsent(kim.auth, clinicWide);
    expect(await listedGoalIds(sam.auth)).toEqual([goal.gid]);

    // Kim revokes the older: the copy goes with it, and Sam sees her goal no more.
    await revokeConsent(kim.auth, older, 'not any more');
    expect(await listedGoalIds(sam.auth)).toEqual([]);
    for (const id of [older.id, copy.id]) {
      expect(await consentRow(id)).toMatchObject({ revocation_reason: 'not any more', revoked_by_id: kim.client.id });
      expect((await consentEventRows(id)).map((e: any) => e.event)).toEqual(expect.arrayContaining(['REVOKED']));
    }
    // Her agreement, and Sam's own consents, stand.
    expect((await consentRow((await agreementConsentOf(kim, group)).id)).revoked_at).toBeNull();
    expect(await ownerQuery(`SELECT 1 FROM consent_records WHERE client_id = $1 AND revoked_at IS NOT NULL`, [sam.client.id])).toEqual([]);
  });
});

describe('the group agreement recorded by staff (session 12)', () => {
  it('a signed form naming the current version records the acceptance, as the app does; one of another version is a CONFLICT', async () => {
    const { group, lead, members } = await activeGroup({ members: 3, accept: false });
    const [sam, kim, lee] = members;
    await acceptAgreement(kim, group);
    expect(await memberNames(sam.auth, group)).toHaveLength(1);
    const acceptance = async (m: typeof sam) =>
      (await ownerQuery(`SELECT agreement_version_accepted AS v, agreement_accepted_at IS NOT NULL AS at FROM memberships WHERE id = $1`, [m.membershipId]))[0];
    const record = (documentVersion?: string) =>
      grantConsent(lead.auth, { clientId: sam.client.gid, type: 'GROUP_AGREEMENT', groupId: group.gid, method: 'SIGNED_FORM', documentVersion });

    // A form of no version: the consent is stored, the membership is as it was.
    await record();
    expect(await acceptance(sam)).toEqual({ v: null, at: false });
    expect(await memberNames(sam.auth, group)).toHaveLength(1);
    // A form of another version consents to text no longer in force: CONFLICT, nothing stored.
    const consentsBefore = await ownerQuery(`SELECT count(*)::int AS n FROM consent_records WHERE client_id = $1`, [sam.client.id]);
    const stale = await gql(lead.auth, GRANT_CONSENT, { input: { clientId: sam.client.gid, type: 'GROUP_AGREEMENT', groupId: group.gid, method: 'SIGNED_FORM', documentVersion: '0' } });
    expectError(stale, 'CONFLICT');
    expect(stale.errors![0].extensions).toMatchObject({ currentVersion: 1 });
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM consent_records WHERE client_id = $1`, [sam.client.id])).toEqual(consentsBefore);

    // The current version's form: Sam sees the group from the next request, and the change is audited about her.
    const signed = await record('1');
    expect(await acceptance(sam)).toEqual({ v: 1, at: true });
    expect(await memberNames(sam.auth, group)).toHaveLength(3);
    const [{ request_id: requestId }] = await ownerQuery(`SELECT request_id FROM audit_events WHERE resource_id = $1 AND action = 'CREATE'`, [signed.id]);
    expect(await ownerQuery(`SELECT resource_type, subject_client_id FROM audit_events WHERE request_id = $1 AND action = 'UPDATE' AND resource_type = 'Membership'`, [requestId]))
      .toEqual([{ resource_type: 'Membership', subject_client_id: sam.client.id }]);
    // An older form entered afterwards is refused too: the current acceptance's consent stands.
    expectError(await gql(lead.auth, GRANT_CONSENT, { input: { clientId: sam.client.gid, type: 'GROUP_AGREEMENT', groupId: group.gid, method: 'SIGNED_FORM', documentVersion: '0' } }), 'CONFLICT');
    expect((await consentRow(signed.id)).revoked_at).toBeNull();
    expect(await acceptance(sam)).toEqual({ v: 1, at: true });
    // Lee, who accepted nothing, is untouched.
    expect(await acceptance(lee)).toEqual({ v: null, at: false });
    expect(await memberNames(lee.auth, group)).toHaveLength(1);
  });

  it('records the consent alone in an ARCHIVED group, read-only history', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1, accept: false });
    const [sam] = members;
    ok(await gql(clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status: 'CONCLUDED' } }));
    await archiveLeavingMembershipsOpen(group.id);
    await grantConsent(clinic.supervisor.auth, { clientId: sam.client.gid, type: 'GROUP_AGREEMENT', groupId: group.gid, method: 'SIGNED_FORM', documentVersion: '1' });
    expect((await ownerQuery(`SELECT agreement_version_accepted AS v FROM memberships WHERE id = $1`, [sam.membershipId]))[0]).toEqual({ v: null });
  });
});

describe('integrations receive gated data only under PARTNER_DATA_SHARING, and every release is ledgered', () => {
  const ROSTER = `query { clients(first: 100) { edges { node { id } } } groups(first: 100) { edges { node { id } } } }`;
  const GOALS_WITH_CHECK_INS = `query { goals(first: 100) { edges { node { id title checkIns { id value note mood } } } } }`;
  const GOAL_TWICE = `query($id: ID!) {
    a: goal(id: $id) { id checkIns { id } }
    b: goal(id: $id) { id title checkIns { id } }
    goals(first: 100) { edges { node { id checkIns { id } } } } }`;

  const disclosuresOf = (clientId: string) =>
    ownerQuery(
      `SELECT api_key_id, client_id, data_class, resource_type, resource_id, consent_id, request_id FROM disclosures WHERE client_id = $1 ORDER BY id`,
      [clientId],
    );

  async function world() {
    const w = await activeGroup({ members: 2 });
    const [kim, sam] = w.members;
    const key = await w.clinic.addApiKey(['roster:read', 'goals:read'], 'Acme Wellness App');
    const otherKey = await w.clinic.addApiKey(['roster:read', 'goals:read'], 'Other App');
    const goals = [await createGoal(kim, { visibility: 'PRIVATE', title: 'Sleep by 11' }), await createGoal(kim, { visibility: 'GROUP', title: 'Walk' })];
    const checkIns = [await checkIn(kim.auth, goals[0], { note: 'ok', mood: 3 }), await checkIn(kim.auth, goals[0], { value: 0 })];
    const samsGoal = await createGoal(sam, { visibility: 'GROUP' });
    await checkIn(sam.auth, samsGoal);
    return { ...w, kim, sam, key, otherKey, goals, checkInIds: checkIns.map((c) => uuidOf(c.checkIn.id)), samsGoal };
  }

  it('without consent an integration sees the roster but no goals, and nothing is disclosed', async () => {
    const { clinic, group, kim, sam, key, goals } = await world();
    const roster = ok(await gql(key.auth, ROSTER));
    expect(roster.clients.edges.map((e: any) => e.node.id)).toEqual(expect.arrayContaining([kim.client.gid, sam.client.gid]));
    expect(roster.groups.edges.map((e: any) => e.node.id)).toEqual([group.gid]);

    expect(ok(await gql(key.auth, GOALS_WITH_CHECK_INS)).goals.edges).toEqual([]);
    expect(ok(await gql(key.auth, `query($f: GoalFilter) { goals(filter: $f) { edges { node { id } } } }`, { f: { clientId: kim.client.gid } })).goals.edges).toEqual([]);
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(key.auth, GOAL, { id: goals[0].gid }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(key.auth, `query($id: ID!) { node(id: $id) { id } }`, { id: goals[0].gid }));
    expect(await disclosuresOf(kim.client.id)).toEqual([]);
  });

  it('a response nulled whole releases nothing: no disclosure and no read is recorded for goals it loaded, only the refusal (session 11)', async () => {
    const { kim, key } = await world();
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    // goal(id:) is non-null: its NOT_FOUND nulls the whole answer, goals page included.
    const res = await gql(key.auth, `query($id: ID!) { goals(first: 100) { edges { node { id title } } } goal(id: $id) { id } }`, {
      id: toGlobalId('Goal', '00000000-0000-4000-8000-000000000000'),
    });
    expectError(res, 'NOT_FOUND');
    expect(res.data ?? null).toBeNull();
    expect(await disclosuresOf(kim.client.id)).toEqual([]);
    expect(await ownerQuery(`SELECT action FROM audit_events WHERE request_id = $1`, [res.body.extensions!.requestId])).toEqual([{ action: 'DENIED' }]);
    // The same goals asked alone are released, and ledgered.
    expect(ok(await gql(key.auth, `{ goals(first: 100) { edges { node { id } } } }`)).goals.edges).toHaveLength(2);
    expect(await disclosuresOf(kim.client.id)).toHaveLength(2);
  });

  it('a consent naming another integration does not count', async () => {
    const { kim, key, otherKey } = await world();
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: otherKey.gid });
    expect(ok(await gql(key.auth, GOALS_WITH_CHECK_INS)).goals.edges).toEqual([]);
    expect(await disclosuresOf(kim.client.id)).toEqual([]);
    // The named integration does receive them.
    expect(ok(await gql(otherKey.auth, GOALS_WITH_CHECK_INS)).goals.edges).toHaveLength(2);
  });

  it('with consent the integration sees exactly that client\'s goals and check-ins, one disclosure row per record per request', async () => {
    const { kim, sam, key, goals, checkInIds, samsGoal } = await world();
    const consent = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, purpose: 'Habit tracking' });
    expect(consent.consent).toMatchObject({ scopeKind: 'INTEGRATION', integrationName: 'Acme Wellness App', status: 'ACTIVE' });

    const res = await gql(key.auth, GOALS_WITH_CHECK_INS);
    const listed = ok(res).goals.edges.map((e: any) => e.node);
    expect(listed.map((g: any) => g.id).sort()).toEqual(goals.map((g) => g.gid).sort());
    expect(listed.map((g: any) => g.id)).not.toContain(samsGoal.gid);
    const sleep = listed.find((g: any) => g.id === goals[0].gid);
    expect(sleep.checkIns.map((c: any) => uuidOf(c.id)).sort()).toEqual([...checkInIds].sort());
    // Notes and moods are for the member, clinicians (and partners' notes) — never an integration.
    expect(sleep.checkIns.every((c: any) => c.note === null && c.mood === null)).toBe(true);

    const requestId = res.body.extensions!.requestId;
    const rows = await disclosuresOf(kim.client.id);
    const expected = [
      ...goals.map((g) => ({ data_class: 'goals', resource_type: 'Goal', resource_id: g.id })),
      ...checkInIds.map((id) => ({ data_class: 'check-ins', resource_type: 'GoalCheckIn', resource_id: id })),
    ].map((r) => ({ ...r, api_key_id: key.id, client_id: kim.client.id, consent_id: consent.id, request_id: requestId }));
    const byResource = (a: any, b: any) => a.resource_id.localeCompare(b.resource_id);
    expect([...rows].sort(byResource)).toEqual(expected.sort(byResource));
    // Sam did not consent: nothing of Sam's was disclosed.
    expect(await disclosuresOf(sam.client.id)).toEqual([]);

    // The same goal requested three ways in one request is still one row per record.
    const twice = await gql(key.auth, GOAL_TWICE, { id: goals[0].gid });
    const data = ok(twice);
    expect(data.a.id).toBe(goals[0].gid);
    expect(data.b.id).toBe(goals[0].gid);
    const second = (await disclosuresOf(kim.client.id)).filter((r) => r.request_id === twice.body.extensions!.requestId);
    expect(second.map((r) => `${r.data_class}:${r.resource_id}`).sort()).toEqual(
      [...goals.map((g) => `goals:${g.id}`), ...checkInIds.map((id) => `check-ins:${id}`)].sort(),
    );
    // Two requests, two rows per record: no more, no fewer.
    expect(await disclosuresOf(kim.client.id)).toHaveLength(2 * (goals.length + checkInIds.length));
  });

  it('stops releasing on the next request after revocation, and never under an expired consent', async () => {
    const { clinic, kim, key } = await world();
    const consent = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    expect(ok(await gql(key.auth, GOALS_WITH_CHECK_INS)).goals.edges).toHaveLength(2);
    const released = (await disclosuresOf(kim.client.id)).length;
    expect(released).toBe(4);

    await revokeConsent(kim.auth, consent);
    expect(ok(await gql(key.auth, GOALS_WITH_CHECK_INS)).goals.edges).toEqual([]);
    await insertExpiredConsent(clinic.id, kim.client.id, 'PARTNER_DATA_SHARING', { apiKeyId: key.id });
    expect(ok(await gql(key.auth, GOALS_WITH_CHECK_INS)).goals.edges).toEqual([]);
    expect(await disclosuresOf(kim.client.id)).toHaveLength(released);

    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    expect(ok(await gql(key.auth, GOALS_WITH_CHECK_INS)).goals.edges).toHaveLength(2);
    expect(await disclosuresOf(kim.client.id)).toHaveLength(2 * released);
  });

  it('a consent limited to the "goals" data class does not release check-ins', async () => {
    const { kim, key, goals } = await world();
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, dataClasses: ['goals'] });
    const listed = ok(await gql(key.auth, GOALS_WITH_CHECK_INS)).goals.edges.map((e: any) => e.node);
    expect(listed.map((g: any) => g.id).sort()).toEqual(goals.map((g) => g.gid).sort());
    const rows = await disclosuresOf(kim.client.id);
    expect(rows.map((r) => r.data_class)).not.toContain('check-ins');
    expect(listed.flatMap((g: any) => g.checkIns)).toEqual([]);
  });

  it('a data class the consent check never asks is refused (a misspelt DENY would otherwise be stored and withhold nothing); so are classes on another type', async () => {
    const { clinic, kim, key, group } = await world();
    for (const input of [
      { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision: 'DENY', dataClasses: ['check-in'] },
      { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision: 'DENY', dataClasses: ['Check-ins'] },
      { type: 'GOAL_SHARING', groupId: group.gid, dataClasses: ['goals'] },
      // Session 14: a class listed twice was stored, and shown back, twice.
      { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, dataClasses: ['goals', 'goals'] },
    ]) {
      const res = await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(kim.auth, GRANT_CONSENT, { input }));
      expect(res.errors![0].extensions).toMatchObject({ field: 'dataClasses' });
    }
    const deny = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision: 'DENY', dataClasses: ['check-ins'] });
    expect(deny.consent.dataClasses).toEqual(['check-ins']);
  });

  it('another type naming an integration is refused: only PARTNER_DATA_SHARING is ever asked of one, so it would decide nothing (session 11)', async () => {
    const { clinic, kim, key } = await world();
    for (const type of ['GOAL_SHARING', 'CONTACT_SHARING', 'RESEARCH']) {
      const res = await expectRefused('BAD_USER_INPUT', [clinic.id], () =>
        gql(kim.auth, GRANT_CONSENT, { input: { type, integrationId: key.gid, provision: 'DENY' } }),
      );
      expect(res.errors![0].extensions).toMatchObject({ field: 'integrationId' });
    }
  });

  it('a completion rate over too long a range is refused before any check-in is read: nothing disclosed', async () => {
    const { kim, key, goals } = await world();
    await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const checkInReleases = async () => (await disclosuresOf(kim.client.id)).filter((d) => d.data_class === 'check-ins');
    const res = await gql(key.auth, `query($id: ID!) { goal(id: $id) { completionRate(from: "2000-01-01", to: "2020-01-01") } }`, { id: goals[0].gid });
    expect(res.codes).toEqual(['BAD_USER_INPUT']);
    // The goal itself was released (and ledgered as such); none of its check-ins were.
    expect(await checkInReleases()).toEqual([]);
    // In range, it reads and discloses the goal's check-ins, as before.
    ok(await gql(key.auth, `query($id: ID!) { goal(id: $id) { completionRate } }`, { id: goals[0].gid }));
    expect(await checkInReleases()).toHaveLength(1);
  });
});

describe('"who viewed my record"', () => {
  const REPORT_FIELDS = `subjectDisplayName generatedAt
    accesses { occurredAt action resourceType actor { kind name role } }
    disclosures { disclosedAt integrationName dataClass resourceType consentType consentGrantedAt consentId }`;
  const MY_REPORT = `{ myAccessReport { ${REPORT_FIELDS} } }`;
  const CLIENT_REPORT = `query($id: ID!) { clientAccessReport(clientId: $id) { ${REPORT_FIELDS} } }`;

  async function world() {
    const w = await activeGroup({ members: 2 });
    const [kim, sam] = w.members;
    const key = await w.clinic.addApiKey(['goals:read'], 'Acme Wellness App');
    const goal = await createGoal(kim, { visibility: 'PRIVATE', title: 'Sleep by 11' });
    await checkIn(kim.auth, goal);
    const consent = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    ok(await gql(key.auth, `{ goals { edges { node { id checkIns { id } } } } }`));
    ok(await gql(w.clinic.admin.auth, `query($id: ID!) { client(id: $id) { id givenName } }`, { id: kim.client.gid }));
    ok(await gql(w.clinic.clinician.auth, GOAL, { id: goal.gid }));
    return { ...w, kim, sam, key, goal, consent };
  }

  it('lists for the member each disclosure with its consent and the integration, and staff reads with name and role', async () => {
    const { clinic, kim, consent } = await world();
    const report = ok(await gql(kim.auth, MY_REPORT)).myAccessReport;
    expect(report.subjectDisplayName).toMatch(new RegExp(`^${kim.client.givenName} ${kim.client.familyName[0]}\\.$`));
    expect(report.disclosures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ integrationName: 'Acme Wellness App', dataClass: 'goals', resourceType: 'Goal', consentType: 'PARTNER_DATA_SHARING', consentId: consent.gid }),
        expect.objectContaining({ integrationName: 'Acme Wellness App', dataClass: 'check-ins', resourceType: 'GoalCheckIn', consentId: consent.gid }),
      ]),
    );
    expect(report.disclosures).toHaveLength(2);
    expect(report.disclosures[0].consentGrantedAt).toBe(consent.consent.grantedAt);
    expect(report.accesses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'READ', resourceType: 'Client', actor: { kind: 'STAFF', name: clinic.admin.name, role: 'ADMIN' } }),
        expect.objectContaining({ action: 'READ', resourceType: 'Goal', actor: { kind: 'STAFF', name: clinic.clinician.name, role: 'CLINICIAN' } }),
        expect.objectContaining({ action: 'DISCLOSE', resourceType: 'Goal', actor: { kind: 'INTEGRATION', name: 'Acme Wellness App', role: null } }),
      ]),
    );
    // The member's own actions are left out.
    expect(report.accesses.filter((a: any) => a.actor.kind === 'CLIENT')).toEqual([]);
  });

  it('lets an admin produce the same report for a client, and audits the production as an EXPORT', async () => {
    const { clinic, kim, consent } = await world();
    const res = await gql(clinic.admin.auth, CLIENT_REPORT, { id: kim.client.gid });
    const report = ok(res).clientAccessReport;
    expect(report.disclosures.map((d: any) => d.consentId)).toEqual([consent.gid, consent.gid]);
    const exports = await ownerQuery(
      `SELECT actor_type, actor_id, resource_type, subject_client_id, request_id FROM audit_events WHERE action = 'EXPORT' AND subject_client_id = $1`,
      [kim.client.id],
    );
    expect(exports).toEqual([
      { actor_type: 'STAFF', actor_id: clinic.admin.id, resource_type: 'AccessReport', subject_client_id: kim.client.id, request_id: res.body.extensions!.requestId },
    ]);
    // And the member then sees that the admin produced it.
    const mine = ok(await gql(kim.auth, MY_REPORT)).myAccessReport;
    expect(mine.accesses).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'EXPORT', resourceType: 'AccessReport', actor: { kind: 'STAFF', name: clinic.admin.name, role: 'ADMIN' } })]),
    );
  });

  it('refuses clientAccessReport to members (even about themselves) and clinicians: FORBIDDEN, nothing produced', async () => {
    const { clinic, kim, sam } = await world();
    for (const [auth, id] of [[sam.auth, kim.client.gid], [kim.auth, kim.client.gid], [clinic.clinician.auth, kim.client.gid]]) {
      const res = await expectRefused('FORBIDDEN', [clinic.id], () => gql(auth, CLIENT_REPORT, { id }));
      expectError(res, 'FORBIDDEN');
    }
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE action = 'EXPORT' AND subject_client_id = $1`, [kim.client.id])).toEqual([]);
    // Staff and integrations cannot call myAccessReport.
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.admin.auth, MY_REPORT));
  });

  it('answers NOT_FOUND to an admin of another clinic', async () => {
    const { clinic, kim } = await world();
    const other = await activeGroup({ members: 0 });
    await expectRefused('NOT_FOUND', [clinic.id, other.clinic.id], () => gql(other.clinic.admin.auth, CLIENT_REPORT, { id: kim.client.gid }));
  });
});
