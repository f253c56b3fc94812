import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import {
  ASSIGN_FACILITATOR,
  assignFacilitator,
  changeGroupStatus,
  createGroup,
  expectRefused,
  facilitatorRowsOf,
  groupRow,
  groupWithMembers,
  ok,
  REMOVE_FACILITATOR,
  uuidOf,
} from './group-fixtures';

const FACILITATORS = `query($id: ID!, $includeEnded: Boolean!) {
  group(id: $id) { facilitators(includeEnded: $includeEnded) { id role current periodEnd staffMember { id } } } }`;

/** The clinic's today (assignments are stamped in its time zone: near midnight UTC, not the server's date). */
const today = async (clinicId: string) =>
  (await ownerQuery<{ d: string }>(`SELECT (now() AT TIME ZONE timezone)::date::text AS d FROM clinics WHERE id = $1`, [clinicId]))[0].d;

const facilitatorsOf = async (clinic: ClinicFixture, groupGid: string, includeEnded = false) =>
  ok(await gql(clinic.admin.auth, FACILITATORS, { id: groupGid, includeEnded })).group.facilitators;

describe('assigning facilitators', () => {
  it('lets an admin assign a LEAD and a CO: answered, stored for this group only, and listed leads first', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic);
    const other = await createGroup(clinic);
    const co = await clinic.addStaff('SUPERVISOR');

    const coRes = await gql(clinic.admin.auth, ASSIGN_FACILITATOR, {
      input: { groupId: group.gid, staffMemberId: co.gid, role: 'CO', periodStart: '2026-01-05', periodEnd: '2026-06-30' },
    });
    expect(ok(coRes).assignFacilitator.facilitator).toEqual({
      id: expect.any(String),
      role: 'CO',
      current: true,
      periodStart: '2026-01-05',
      periodEnd: '2026-06-30',
      staffMember: { id: co.gid, name: co.name },
      group: { id: group.gid },
    });
    const leadRes = await gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: clinic.clinician.gid, role: 'LEAD' } });
    const lead = ok(leadRes).assignFacilitator.facilitator;
    expect(lead).toMatchObject({ role: 'LEAD', current: true, periodStart: await today(clinic.id), periodEnd: null });

    expect(await facilitatorRowsOf(group.id)).toEqual([
      expect.objectContaining({ clinic_id: clinic.id, staff_member_id: co.id, role: 'CO', ended_at: null }),
      expect.objectContaining({ clinic_id: clinic.id, staff_member_id: clinic.clinician.id, role: 'LEAD', ended_at: null, period_end: null }),
    ]);
    expect(await facilitatorRowsOf(other.id)).toEqual([]);
    expect((await facilitatorsOf(clinic, group.gid)).map((f: { role: string }) => f.role)).toEqual(['LEAD', 'CO']);
    expect(await ownerQuery(`SELECT action, actor_id FROM audit_events WHERE resource_id = $1`, [uuidOf(lead.id)])).toEqual([
      { action: 'CREATE', actor_id: clinic.admin.id },
    ]);
  });

  it('answers CONFLICT when the same person is assigned twice (in any role) and stores nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    await assignFacilitator(clinic, group, clinic.clinician, 'LEAD');
    for (const role of ['LEAD', 'CO']) {
      await expectRefused(clinic, neighbour, 'CONFLICT', () =>
        gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: clinic.clinician.gid, role } }),
      );
    }
    expect(await facilitatorRowsOf(group.id)).toHaveLength(1);
  });

  it('answers NOT_FOUND for another clinic\'s staff member, a staff member that does not exist, or a non-staff id, storing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const client = await clinic.addClient();
    const ids = [neighbour.clinician.gid, toGlobalId('StaffMember', randomUUID()), client.gid, toGlobalId('Client', clinic.clinician.id), 'garbage'];
    for (const staffMemberId of ids) {
      await expectRefused(clinic, neighbour, 'NOT_FOUND', () =>
        gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId, role: 'LEAD' } }),
      );
    }
    expect(await facilitatorRowsOf(group.id)).toEqual([]);
  });

  it('answers NOT_FOUND when the group belongs to another clinic, storing nothing in either', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const theirGroup = await createGroup(neighbour);
    for (const staff of [clinic.clinician, neighbour.clinician]) {
      await expectRefused(clinic, neighbour, 'NOT_FOUND', () =>
        gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: theirGroup.gid, staffMemberId: staff.gid, role: 'LEAD' } }),
      );
    }
  });

  it('refuses an ADMIN as facilitator with BAD_USER_INPUT and stores nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const res = await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () =>
      gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: clinic.admin.gid, role: 'LEAD' } }),
    );
    expect(res.errors![0].extensions).toMatchObject({ field: 'staffMemberId' });
  });

  it('refuses a period that ends before it starts with BAD_USER_INPUT and stores nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () =>
      gql(clinic.admin.auth, ASSIGN_FACILITATOR, {
        input: { groupId: group.gid, staffMemberId: clinic.clinician.gid, role: 'CO', periodStart: '2026-05-01', periodEnd: '2026-04-30' },
      }),
    );
  });

  it('refuses an inactive staff member, and a CONCLUDED or ARCHIVED group, with CONFLICT', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const gone = await clinic.addStaff('CLINICIAN');
    await ownerQuery(`UPDATE staff_members SET active = false WHERE id = $1`, [gone.id]);
    await expectRefused(clinic, neighbour, 'CONFLICT', () =>
      gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: gone.gid, role: 'CO' } }),
    );

    await assignFacilitator(clinic, group, clinic.clinician);
    await changeGroupStatus(clinic, group, 'ACTIVE');
    for (const status of ['CONCLUDED', 'ARCHIVED']) {
      await changeGroupStatus(clinic, group, status);
      await expectRefused(clinic, neighbour, 'CONFLICT', () =>
        gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: clinic.supervisor.gid, role: 'CO' } }),
      );
    }
  });

  it('refuses assignFacilitator and removeFacilitator to anyone but an admin with FORBIDDEN, changing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const assignment = await assignFacilitator(clinic, group, clinic.clinician, 'CO');
    const member = await clinic.addClient();
    const writer = await clinic.addApiKey(['roster:read', 'roster:write']);
    for (const auth of [clinic.clinician.auth, clinic.supervisor.auth, member.auth, writer.auth]) {
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () =>
        gql(auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: clinic.supervisor.gid, role: 'LEAD' } }),
      );
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => gql(auth, REMOVE_FACILITATOR, { input: { facilitatorId: assignment.gid } }));
    }
  });
});

describe('removing facilitators', () => {
  it('ends the assignment but keeps it as history: hidden from facilitators, shown with includeEnded', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic);
    const other = await createGroup(clinic);
    const lead = await assignFacilitator(clinic, group, clinic.clinician, 'LEAD');
    const co = await assignFacilitator(clinic, group, clinic.supervisor, 'CO');
    const otherAssignment = await assignFacilitator(clinic, other, clinic.supervisor, 'CO');
    const otherBefore = await facilitatorRowsOf(other.id);

    const res = await gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: co.gid } });
    expect(ok(res).removeFacilitator.facilitator).toEqual({
      id: co.gid,
      role: 'CO',
      current: false,
      periodStart: await today(clinic.id),
      periodEnd: await today(clinic.id),
      staffMember: { id: clinic.supervisor.gid },
    });
    const [row] = await ownerQuery(`SELECT * FROM group_facilitators WHERE id = $1`, [co.id]);
    expect(row.ended_at).toBeInstanceOf(Date);
    expect(await facilitatorRowsOf(group.id)).toHaveLength(2);
    expect(await facilitatorRowsOf(other.id)).toEqual(otherBefore);

    expect(await facilitatorsOf(clinic, group.gid)).toEqual([
      { id: lead.gid, role: 'LEAD', current: true, periodEnd: null, staffMember: { id: clinic.clinician.gid } },
    ]);
    expect(await facilitatorsOf(clinic, group.gid, true)).toEqual([
      { id: lead.gid, role: 'LEAD', current: true, periodEnd: null, staffMember: { id: clinic.clinician.gid } },
      { id: co.gid, role: 'CO', current: false, periodEnd: await today(clinic.id), staffMember: { id: clinic.supervisor.gid } },
    ]);
    expect((await facilitatorsOf(clinic, other.gid)).map((f: { id: string }) => f.id)).toEqual([otherAssignment.gid]);

    // the same person may be assigned again: a new row, the history row stays
    await assignFacilitator(clinic, group, clinic.supervisor, 'CO');
    expect(await facilitatorRowsOf(group.id)).toHaveLength(3);
  });

  it('answers CONFLICT when the assignment has already ended, changing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const co = await assignFacilitator(clinic, group, clinic.supervisor, 'CO');
    ok(await gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: co.gid } }));
    await expectRefused(clinic, neighbour, 'CONFLICT', () => gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: co.gid } }));
  });

  it('refuses to remove the only lead of an ACTIVE group with CONFLICT, and allows it once another lead is assigned', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group, leadAssignment } = await groupWithMembers(clinic, { members: 1 });
    const co = await assignFacilitator(clinic, group, clinic.supervisor, 'CO');

    const res = await expectRefused(clinic, neighbour, 'CONFLICT', () =>
      gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: leadAssignment.gid } }),
    );
    expect(res.errors![0].extensions).toMatchObject({ reason: 'LEAD_FACILITATOR_REQUIRED' });
    expect((await ownerQuery(`SELECT ended_at FROM group_facilitators WHERE id = $1`, [leadAssignment.id]))[0].ended_at).toBeNull();

    // a co-facilitator may leave an ACTIVE group
    ok(await gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: co.gid } }));
    // with a second lead, the first may go
    const newLead = await clinic.addStaff('CLINICIAN');
    await assignFacilitator(clinic, group, newLead, 'LEAD');
    ok(await gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: leadAssignment.gid } }));
    const current = await ownerQuery(`SELECT staff_member_id, role FROM group_facilitators WHERE group_id = $1 AND ended_at IS NULL`, [group.id]);
    expect(current).toEqual([{ staff_member_id: newLead.id, role: 'LEAD' }]);
    expect((await groupRow(group.id)).status).toBe('ACTIVE');
  });

  it('allows removing the lead of a FORMING group, which then cannot become ACTIVE', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic);
    const lead = await assignFacilitator(clinic, group, clinic.clinician, 'LEAD');
    ok(await gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: lead.gid } }));
    expectError(
      await gql(clinic.admin.auth, `mutation($id: ID!) { changeGroupStatus(input: { groupId: $id, status: ACTIVE }) { group { id } } }`, { id: group.gid }),
      'CONFLICT',
    );
  });

  it('answers NOT_FOUND for another clinic\'s assignment, or one that does not exist, changing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const theirGroup = await createGroup(neighbour);
    const theirs = await assignFacilitator(neighbour, theirGroup, neighbour.clinician, 'CO');
    for (const facilitatorId of [theirs.gid, toGlobalId('GroupFacilitator', randomUUID()), toGlobalId('TherapyGroup', theirGroup.id)]) {
      await expectRefused(clinic, neighbour, 'NOT_FOUND', () => gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId } }));
    }
    expect((await ownerQuery(`SELECT ended_at FROM group_facilitators WHERE id = $1`, [theirs.id]))[0].ended_at).toBeNull();
  });

  it('takes the roster away from a clinician whose assignment ended', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 2, activate: false });
    const query = `query($id: ID!) { group(id: $id) { location members { edges { node { id } } } } }`;
    const before = ok(await gql(clinic.clinician.auth, query, { id: group.gid })).group;
    expect(before.members.edges).toHaveLength(2);

    const [assignment] = await facilitatorRowsOf(group.id);
    ok(await gql(clinic.admin.auth, REMOVE_FACILITATOR, { input: { facilitatorId: toGlobalId('GroupFacilitator', assignment.id) } }));
    const after = ok(await gql(clinic.clinician.auth, query, { id: group.gid })).group;
    expect(after).toEqual({ location: null, members: null });
    expectError(await gql(clinic.clinician.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: members[0].client.gid }), 'NOT_FOUND');
  });
});

describe('deactivating a facilitator (session 15)', () => {
  it('ends their assignments, audited, so reactivated months later they open no group until assigned again; others\' assignments stand', async () => {
    // Before: deactivation left the assignments open, and reactivation reopened every roster and record at once.
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group: forming, members } = await groupWithMembers(clinic, { members: 2, activate: false });
    const { group: other } = await groupWithMembers(clinic, { members: 1, lead: clinic.supervisor });
    await assignFacilitator(clinic, other, clinic.clinician, 'CO');
    // A group that has ended keeps them: no one is assigned there again, and its notes need their author.
    const { group: concluded } = await groupWithMembers(clinic, { members: 1 });
    await changeGroupStatus(clinic, concluded, 'CONCLUDED');
    const concludedBefore = await facilitatorRowsOf(concluded.id);
    const theirs = await groupWithMembers(neighbour, { members: 1 });
    const [neighbourRowsBefore, supervisorRowsBefore] = [await facilitatorRowsOf(theirs.group.id), (await facilitatorRowsOf(other.id)).filter((r) => r.staff_member_id === clinic.supervisor.id)];
    const UPDATE_STAFF = `mutation($input: UpdateStaffMemberInput!) { updateStaffMember(input: $input) { staffMember { id active } } }`;

    ok(await gql(clinic.admin.auth, UPDATE_STAFF, { input: { id: clinic.clinician.gid, active: false } }));
    const ended = [...(await facilitatorRowsOf(forming.id)), ...(await facilitatorRowsOf(other.id))].filter((r) => r.staff_member_id === clinic.clinician.id);
    expect(ended).toHaveLength(2);
    for (const r of ended) expect({ ended: r.ended_at !== null, periodEnd: r.period_end }).toEqual({ ended: true, periodEnd: await today(clinic.id) });
    const audits = await ownerQuery(`SELECT resource_id FROM audit_events WHERE resource_type = 'GroupFacilitator' AND action = 'UPDATE' AND resource_id = ANY($1)`, [ended.map((r) => r.id)]);
    expect(audits).toHaveLength(2);
    expect((await facilitatorRowsOf(other.id)).filter((r) => r.staff_member_id === clinic.supervisor.id)).toEqual(supervisorRowsBefore);
    expect(await facilitatorRowsOf(theirs.group.id)).toEqual(neighbourRowsBefore);
    expect(await facilitatorRowsOf(concluded.id)).toEqual(concludedBefore);

    ok(await gql(clinic.admin.auth, UPDATE_STAFF, { input: { id: clinic.clinician.gid, active: true } }));
    const query = `query($id: ID!) { group(id: $id) { members { edges { node { id } } } } }`;
    expect(ok(await gql(clinic.clinician.auth, query, { id: forming.gid })).group.members).toBeNull();
    expectError(await gql(clinic.clinician.auth, `query($id: ID!) { client(id: $id) { id } }`, { id: members[0].client.gid }), 'NOT_FOUND');
  });
});

describe('an assignment opens the group only within its period', () => {
  const ROSTER = `query($id: ID!) { group(id: $id) { id members(first: 10) { edges { node { client { displayName } } } } } }`;
  const MY_GROUPS = `query($staff: ID!) { groups(filter: { facilitatorId: $staff }) { edges { node { id } } } }`;
  const shift = (date: string, days: number) => {
    const d = new Date(`${date}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  };

  it('an assignment starting next week, or one whose last day has passed, reads nothing and lists nothing; on its first day it does', async () => {
    const clinic = await createClinic();
    const { group } = await groupWithMembers(clinic, { members: 2 });
    const day = await today(clinic.id);
    const soon = await clinic.addStaff('CLINICIAN', 'Starting Soon');
    const gone = await clinic.addStaff('CLINICIAN', 'Rotated Off');
    ok(await gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: soon.gid, role: 'CO', periodStart: shift(day, 7) } }));
    ok(await gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: gone.gid, role: 'CO', periodStart: shift(day, -60), periodEnd: shift(day, -1) } }));

    for (const staff of [soon, gone]) {
      // The group shows in the clinic's directory, as any group does to a clinician; its roster does not.
      expect(ok(await gql(staff.auth, ROSTER, { id: group.gid })).group).toEqual({ id: group.gid, members: null });
      expect(ok(await gql(staff.auth, MY_GROUPS, { staff: staff.gid })).groups.edges).toEqual([]);
      // Nor does the admin's list call them the group's facilitators today.
      expect(ok(await gql(clinic.admin.auth, MY_GROUPS, { staff: staff.gid })).groups.edges).toEqual([]);
    }
    // The clinic's lead, assigned from today, reads the roster as before.
    expect(ok(await gql(clinic.clinician.auth, ROSTER, { id: group.gid })).group.members.edges).toHaveLength(2);

    // The future assignment's first day comes (its start moved to today): the group opens.
    await ownerQuery(`UPDATE group_facilitators SET period_start = $2 WHERE staff_member_id = $1`, [soon.id, day]);
    expect(ok(await gql(soon.auth, ROSTER, { id: group.gid })).group.members.edges).toHaveLength(2);
    expect(ok(await gql(soon.auth, MY_GROUPS, { staff: soon.gid })).groups.edges).toEqual([{ node: { id: group.gid } }]);
  });

  it('a lead whose assignment is not in force does not count as the lead an ACTIVE group needs; a last day before the (default) first day is refused', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic);
    const day = await today(clinic.id);
    ok(await gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: clinic.clinician.gid, role: 'LEAD', periodStart: shift(day, 30) } }));
    const neighbour = await createClinic();
    const res = await expectRefused(clinic, neighbour, 'CONFLICT', () =>
      gql(clinic.admin.auth, `mutation($input: ChangeGroupStatusInput!) { changeGroupStatus(input: $input) { group { status } } }`, { input: { groupId: group.gid, status: 'ACTIVE' } }),
    );
    expect(res.errors![0].extensions).toMatchObject({ reason: 'LEAD_FACILITATOR_REQUIRED' });
    expect((await groupRow(group.id)).status).toBe('FORMING');
    const other = await clinic.addStaff('SUPERVISOR');
    const ended = await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () =>
      gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: other.gid, role: 'LEAD', periodEnd: '2020-01-01' } }),
    );
    expect(ended.errors![0].extensions).toMatchObject({ field: 'periodEnd' });
  });
});
