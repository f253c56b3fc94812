/**
 * Regression tests for what the session 11 reviews of member-to-member flows found: a hold told
 * to peers through a group's counts and through a partnership answer. Each failed against the
 * code before its fix.
 */
import { AuditAction } from '../../src/audit/audit-action';
import type { CompiledRead } from '../../src/http/compiled-reads';
import { ownerQuery } from '../support/factories';
import { expectError, getTestApp, gql, GqlResult } from '../support/test-app';
import { ownerConnection, waitForLockWaiters } from '../sync/sync-fixtures';
import { acceptAgreement, activeGroup, agreementConsentOf, CHANGE_MEMBERSHIP_STATUS, createGoal, GOAL_NODE, Member, ok, PROPOSE, RESPOND, revokeConsent, shareGoals } from '../goals/goal-fixtures';

/** A group of three with capacity 5, and Sam (the third) moved to `status` by the lead. */
async function groupWithSam(status: string) {
  const w = await activeGroup({ members: 3, capacity: 5 });
  const [kim, lee, sam] = w.members;
  const end = (m: Member) => gql(w.lead.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: m.membershipGid, status, reason: 'Clinical' } });
  return { ...w, kim, lee, sam, moveSam: async () => ok(await end(sam)) };
}

describe('a peer on hold is not told to the group (session 11)', () => {
  const VIEW = `query($id: ID!) { group(id: $id) { capacity activeMemberCount openSeats members(first: 50) { edges { node { id } } } } }`;
  const seen = async (auth: string, w: { group: { gid: string } }) => {
    const g = ok(await gql(auth, VIEW, { id: w.group.gid })).group;
    return { capacity: g.capacity, activeMemberCount: g.activeMemberCount, openSeats: g.openSeats, rows: g.members.edges.length };
  };

  it('to a member, a peer on hold looks as one who left, in the counts as on the roster; staff see who holds a seat', async () => {
    const held = await groupWithSam('ON_HOLD');
    expect(await seen(held.kim.auth, held)).toEqual({ capacity: 5, activeMemberCount: 3, openSeats: 2, rows: 3 });
    await held.moveSam();
    const left = await groupWithSam('WITHDRAWN');
    await left.moveSam();
    expect(await seen(held.kim.auth, held)).toEqual({ capacity: 5, activeMemberCount: 2, openSeats: 3, rows: 2 });
    expect(await seen(held.kim.auth, held)).toEqual(await seen(left.kim.auth, left));
    expect(ok(await gql(held.lead.auth, VIEW, { id: held.group.gid })).group).toMatchObject({ activeMemberCount: 2, openSeats: 2 });
    expect(ok(await gql(left.lead.auth, VIEW, { id: left.group.gid })).group).toMatchObject({ activeMemberCount: 2, openSeats: 3 });
  });

  it('to a viewer without the roster (a clinician of another group), a peer on hold still holds a seat: nothing changes', async () => {
    const w = await groupWithSam('ON_HOLD');
    const other = await w.clinic.addStaff('CLINICIAN', 'Olive Other');
    const COUNTS = `query($id: ID!) { group(id: $id) { activeMemberCount openSeats members(first: 5) { edges { node { id } } } } }`;
    const before = ok(await gql(other.auth, COUNTS, { id: w.group.gid })).group;
    expect(before).toEqual({ activeMemberCount: 3, openSeats: 2, members: null });
    await w.moveSam();
    expect(ok(await gql(other.auth, COUNTS, { id: w.group.gid })).group).toEqual(before);
  });
});

describe('accepting a proposal from a member now on hold (session 11)', () => {
  it('starts the partnership as it would for an ACTIVE proposer, telling nothing of the hold; their goals show once they return', async () => {
    const w = await groupWithSam('ON_HOLD');
    const proposal = ok(await gql(w.sam.auth, PROPOSE, { input: { partnerMembershipId: w.kim.membershipGid } })).proposePartnership.partnership;
    await w.moveSam();
    const GOAL = `mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { id } } }`;
    const samsGoal = ok(await gql(w.lead.auth, GOAL, { input: { membershipId: w.sam.membershipGid, title: 'Sleep by 11', measureKind: 'BOOLEAN', visibility: 'PARTNERS' } })).createGoal.goal;

    expect(ok(await gql(w.kim.auth, `{ myPartnerships { id status } }`)).myPartnerships).toEqual([{ id: proposal.id, status: 'PROPOSED' }]);
    const accepted = ok(await gql(w.kim.auth, RESPOND, { input: { partnershipId: proposal.id, accept: true } })).respondToPartnership.partnership;
    expect(accepted.status).toBe('ACTIVE');
    const PARTNER_GOALS = `{ myPartnerships { status partnerGoals { id } } }`;
    expect(ok(await gql(w.kim.auth, PARTNER_GOALS)).myPartnerships).toEqual([{ status: 'ACTIVE', partnerGoals: [] }]);
    const [stored] = await ownerQuery(`SELECT status FROM accountability_partnerships WHERE group_id = $1`, [w.group.id]);
    expect(stored).toEqual({ status: 'ACTIVE' });

    ok(await gql(w.lead.auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: w.sam.membershipGid, status: 'ACTIVE', reason: 'Back' } }));
    expect(ok(await gql(w.kim.auth, PARTNER_GOALS)).myPartnerships).toEqual([{ status: 'ACTIVE', partnerGoals: [{ id: samsGoal.id }] }]);
  });

  it('still refuses a member on hold who answers or proposes themself (their own state): CONFLICT, nothing changes', async () => {
    const w = await groupWithSam('ON_HOLD');
    const proposal = ok(await gql(w.kim.auth, PROPOSE, { input: { partnerMembershipId: w.sam.membershipGid } })).proposePartnership.partnership;
    await w.moveSam();
    const before = await ownerQuery(`SELECT id, status FROM accountability_partnerships WHERE group_id = $1 ORDER BY id`, [w.group.id]);
    expectError(await gql(w.sam.auth, RESPOND, { input: { partnershipId: proposal.id, accept: true } }), 'CONFLICT');
    expectError(await gql(w.sam.auth, PROPOSE, { input: { partnerMembershipId: w.lee.membershipGid } }), 'CONFLICT');
    expect(await ownerQuery(`SELECT id, status FROM accountability_partnerships WHERE group_id = $1 ORDER BY id`, [w.group.id])).toEqual(before);
  });
});

describe('an access report staff produce names other members (session 11)', () => {
  it('is recorded about each member it names as having acted, as a page of auditEvents is; a member\'s own report is not', async () => {
    const w = await groupWithSam('ACTIVE');
    await shareGoals(w.kim, w.group);
    const goal = await createGoal(w.kim, { visibility: 'GROUP' });
    ok(await gql(w.lee.auth, GOAL_NODE, { id: goal.gid }));
    const rows = (res: { body: { extensions?: { requestId?: string } } }) =>
      ownerQuery(`SELECT action, resource_type, resource_id, subject_client_id FROM audit_events WHERE request_id = $1 ORDER BY subject_client_id`, [res.body.extensions!.requestId]);

    const REPORT = `query($id: ID!) { clientAccessReport(clientId: $id) { accesses { action resourceType actor { name } } } }`;
    const res = await gql(w.clinic.admin.auth, REPORT, { id: w.kim.client.gid });
    expect(ok(res).clientAccessReport.accesses).toContainEqual({ action: 'READ', resourceType: 'Goal', actor: { name: `${w.lee.client.givenName} ${w.lee.client.familyName[0]}.` } });
    expect((await rows(res)).filter((r) => r.action === 'EXPORT')).toEqual(
      [
        { action: 'EXPORT', resource_type: 'AccessReport', resource_id: w.kim.client.id, subject_client_id: w.kim.client.id },
        { action: 'EXPORT', resource_type: 'AccessReport', resource_id: w.kim.client.id, subject_client_id: w.lee.client.id },
      ].sort((a, b) => a.subject_client_id.localeCompare(b.subject_client_id)),
    );
    // Lee's own report shows the admin's look at what he did.
    const lees = ok(await gql(w.lee.auth, `{ myAccessReport { accesses { action resourceType actor { kind } } } }`)).myAccessReport.accesses;
    expect(lees).toContainEqual({ action: 'EXPORT', resourceType: 'AccessReport', actor: { kind: 'STAFF' } });

    // Kim reading her own report names Lee to her alone: nothing is recorded about him.
    const own = await gql(w.kim.auth, `{ myAccessReport { accesses { action } } }`);
    ok(own);
    expect((await rows(own)).filter((r) => r.subject_client_id === w.lee.client.id)).toEqual([]);
  });
});

describe('a request whose commit fails (session 11)', () => {
  it('still keeps its denials, while nothing it read is recorded or released', async () => {
    const w = await activeGroup({ members: 1 });
    const kim = w.members[0];
    // A compiled read that records a refusal, then leaves the transaction aborted (as a statement
    // timeout would), and declines: the resolvers fail and the request's commit fails.
    const failing: CompiledRead = {
      shape: { clinic: { fields: { name: {} } } },
      run: async (ctx) => {
        ctx.audit.record({ action: AuditAction.READ, resourceType: 'Client', resourceId: kim.client.id, subjectClientId: kim.client.id });
        ctx.audit.denied({ resourceType: 'Client', resourceId: kim.client.id, subjectClientId: kim.client.id, code: 'NOT_FOUND' });
        await ctx.db.query(`SELECT 1 / 0`).catch(() => undefined);
        return undefined;
      },
    };
    const app = await getTestApp({ compiledReads: [failing] });
    try {
      const res = await gql(w.clinic.admin.auth, `{ clinic { name } }`, {}, app);
      expectError(res, 'INTERNAL_SERVER_ERROR');
      expect(res.data ?? null).toBeNull();
      expect(await ownerQuery(`SELECT action, resource_type, subject_client_id, code FROM audit_events WHERE request_id = $1`, [res.body.extensions!.requestId])).toEqual([
        { action: 'DENIED', resource_type: 'Client', subject_client_id: kim.client.id, code: 'NOT_FOUND' },
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('accepting the group agreement again (session 11)', () => {
  it('supersedes the earlier acceptance, so revoking the one in force withdraws the agreement: peers disappear on the next request', async () => {
    const w = await groupWithSam('ACTIVE');
    const MEMBERS = `query($id: ID!) { group(id: $id) { members(first: 50) { edges { node { id } } } } }`;
    const seen = async () => ok(await gql(w.kim.auth, MEMBERS, { id: w.group.gid })).group.members.edges.length;
    expect(await seen()).toBe(3);
    const first = await agreementConsentOf(w.kim, w.group);
    // The agreement changes (version 2) and Kim accepts it.
    ok(await gql(w.clinic.admin.auth, `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { agreementVersion } } }`, {
      input: { id: w.group.gid, agreementText: 'New: phones off during sessions.' },
    }));
    await acceptAgreement(w.kim, w.group);
    const second = await agreementConsentOf(w.kim, w.group);
    expect(second.id).not.toBe(first.id);
    expect(await ownerQuery(`SELECT revoked_at IS NOT NULL AS revoked, revoked_by_type, revocation_reason FROM consent_records WHERE id = $1`, [first.id])).toEqual([
      { revoked: true, revoked_by_type: 'CLIENT', revocation_reason: 'Superseded: agreement version 2 accepted' },
    ]);
    expect(await ownerQuery(`SELECT event FROM consent_events WHERE consent_id = $1 ORDER BY id`, [first.id])).toEqual([{ event: 'GRANTED' }, { event: 'REVOKED' }]);
    expect(await seen()).toBe(3);

    await revokeConsent(w.kim.auth, second);
    expect(await seen()).toBe(1);
    // Lee's agreement is untouched.
    expect((await agreementConsentOf(w.lee, w.group)).id).toEqual(expect.any(String));
  });
});

describe('groups and staff, from a review of their writes (session 11)', () => {
  const UPDATE_STAFF = `mutation($input: UpdateStaffMemberInput!) { updateStaffMember(input: $input) { staffMember { id role active } } }`;
  const ASSIGN = `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`;

  it('an admin saving their own record with role: null (as forms send) is not demoting themself', async () => {
    const w = await groupWithSam('ACTIVE');
    const res = await gql(w.clinic.admin.auth, UPDATE_STAFF, { input: { id: w.clinic.admin.gid, name: 'Ada Admin', role: null } });
    expect(ok(res).updateStaffMember.staffMember).toMatchObject({ role: 'ADMIN', active: true });
  });

  it('removeFacilitator leaves an ARCHIVED group\'s history as it is: CONFLICT, nothing changed', async () => {
    const w = await groupWithSam('ACTIVE');
    const [assignment] = await ownerQuery<{ id: string }>(`SELECT id FROM group_facilitators WHERE group_id = $1`, [w.group.id]);
    await ownerQuery(`UPDATE therapy_groups SET status = 'ARCHIVED' WHERE id = $1`, [w.group.id]);
    const before = await ownerQuery(`SELECT * FROM group_facilitators WHERE group_id = $1`, [w.group.id]);
    const { toGlobalId } = await import('../../src/common/global-id');
    const res = await gql(w.clinic.admin.auth, `mutation($input: RemoveFacilitatorInput!) { removeFacilitator(input: $input) { facilitator { id } } }`, {
      input: { facilitatorId: toGlobalId('GroupFacilitator', assignment.id) },
    });
    expectError(res, 'CONFLICT');
    expect(await ownerQuery(`SELECT * FROM group_facilitators WHERE group_id = $1`, [w.group.id])).toEqual(before);
  });

  it('capacity is judged against the seats taken under the group\'s lock, not a count read earlier in the document', async () => {
    const w = await groupWithSam('ACTIVE');
    const holder = await ownerConnection();
    let res: GqlResult;
    try {
      // Two more members seated by a transaction that holds the group until it commits.
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM therapy_groups WHERE id = $1 FOR UPDATE`, [w.group.id]);
      for (const name of ['Uma', 'Vic']) {
        const client = await w.clinic.addClient({ givenName: name });
        await holder.query(
          `INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start, status_reason) VALUES ($1, $2, $3, 'ACTIVE', current_date, 'test')`,
          [w.clinic.id, w.group.id, client.id],
        );
      }
      const doc = gql(w.clinic.admin.auth, `mutation($client: ID!, $group: ID!) {
        a: updateClient(input: { id: $client, pronouns: "she/her" }) { client { memberships { group { openSeats } } } }
        b: updateGroup(input: { id: $group, capacity: 3 }) { group { capacity } } }`, { client: w.kim.client.gid, group: w.group.gid });
      await waitForLockWaiters(1);
      await holder.query('COMMIT');
      res = await doc;
    } finally {
      await holder.end();
    }
    expectError(res, 'CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ field: 'capacity', seated: 5 });
    expect(await ownerQuery(`SELECT capacity FROM therapy_groups WHERE id = $1`, [w.group.id])).toEqual([{ capacity: 5 }]);
  });

  it('a clinician made ADMIN while being assigned as a facilitator: the assignment waits for the change and is refused', async () => {
    const w = await groupWithSam('ACTIVE');
    const casey = await w.clinic.addStaff('CLINICIAN', 'Casey Co');
    const holder = await ownerConnection();
    let promoted: GqlResult;
    let assigned: GqlResult;
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM staff_members WHERE id = $1 FOR UPDATE`, [casey.id]);
      const promote = gql(w.clinic.admin.auth, UPDATE_STAFF, { input: { id: casey.gid, role: 'ADMIN' } });
      await waitForLockWaiters(1);
      const assign = gql(w.clinic.admin.auth, ASSIGN, { input: { groupId: w.group.gid, staffMemberId: casey.gid, role: 'CO' } });
      await waitForLockWaiters(2);
      await holder.query('ROLLBACK');
      [promoted, assigned] = await Promise.all([promote, assign]);
    } finally {
      await holder.end();
    }
    expect(ok(promoted).updateStaffMember.staffMember.role).toBe('ADMIN');
    expectError(assigned, 'BAD_USER_INPUT');
    expect(await ownerQuery(`SELECT 1 FROM group_facilitators WHERE staff_member_id = $1`, [casey.id])).toEqual([]);
  });
});


describe('a consent changed earlier in one document (session 11)', () => {
  const MEMBERS = `members(first: 50) { edges { node { id } } }`;

  it('judges the later fields: a GROUP_AGREEMENT DENY hides peers in its own payload; accepting the agreement shows them in its', async () => {
    const w = await groupWithSam('ACTIVE');
    const denied = ok(await gql(w.kim.auth, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { status group { ${MEMBERS} } } } }`, {
      input: { type: 'GROUP_AGREEMENT', groupId: w.group.gid, provision: 'DENY' },
    })).grantConsent.consent;
    expect(denied.group.members.edges).toEqual([{ node: { id: w.kim.membershipGid } }]);

    // A new agreement (version 2): Sam accepts it, then Lee; Lee's acceptance shows Sam in the answer itself.
    ok(await gql(w.clinic.admin.auth, `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { agreementVersion } } }`, {
      input: { id: w.group.gid, agreementText: 'Version two.' },
    }));
    await acceptAgreement(w.sam, w.group);
    const accepted = ok(await gql(w.lee.auth, `mutation($input: AcceptGroupAgreementInput!) { acceptGroupAgreement(input: $input) { membership { group { ${MEMBERS} } } } }`, {
      input: { groupId: w.group.gid },
    })).acceptGroupAgreement.membership;
    const ids = (edges: { node: { id: string } }[]) => edges.map((e) => e.node.id).sort();
    // As the next request answers it: Lee's peers (Kim's own DENY hides peers from her, not her from them).
    const next = ok(await gql(w.lee.auth, `query($id: ID!) { group(id: $id) { ${MEMBERS} } }`, { id: w.group.gid })).group.members.edges;
    expect(ids(accepted.group.members.edges)).toEqual(ids(next));
    expect(ids(next)).toEqual([w.kim.membershipGid, w.lee.membershipGid, w.sam.membershipGid].sort());
  });
});

describe('a lead whose assignment has lapsed (session 11)', () => {
  it('can be removed from an ACTIVE group (it kept no one in force), and so renewed; one in force still cannot', async () => {
    const w = await groupWithSam('ACTIVE');
    const [lead] = await ownerQuery<{ id: string }>(`SELECT id FROM group_facilitators WHERE group_id = $1 AND role = 'LEAD'`, [w.group.id]);
    const { toGlobalId } = await import('../../src/common/global-id');
    const REMOVE = `mutation($input: RemoveFacilitatorInput!) { removeFacilitator(input: $input) { facilitator { id } } }`;
    const refused = await gql(w.clinic.admin.auth, REMOVE, { input: { facilitatorId: toGlobalId('GroupFacilitator', lead.id) } });
    expectError(refused, 'CONFLICT');
    expect(refused.errors![0].extensions).toMatchObject({ reason: 'LEAD_FACILITATOR_REQUIRED' });

    await ownerQuery(`UPDATE group_facilitators SET period_start = current_date - 30, period_end = current_date - 2 WHERE id = $1`, [lead.id]);
    ok(await gql(w.clinic.admin.auth, REMOVE, { input: { facilitatorId: toGlobalId('GroupFacilitator', lead.id) } }));
    const renewed = await gql(w.clinic.admin.auth, `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`, {
      input: { groupId: w.group.gid, staffMemberId: w.lead.gid, role: 'LEAD' },
    });
    ok(renewed);
    expect(await ownerQuery(`SELECT count(*)::int AS open FROM group_facilitators WHERE group_id = $1 AND ended_at IS NULL`, [w.group.id])).toEqual([{ open: 1 }]);
  });
});
