import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../src/common/global-id';
import { createClinic, ownerQuery } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';
import {
  assignFacilitator,
  CHANGE_GROUP_STATUS,
  changeGroupStatus,
  changeMembershipStatus,
  clinicState,
  CREATE_GROUP,
  createGroup,
  enrol,
  expectRefused,
  GroupFixture,
  groupRow,
  groupWithMembers,
  ok,
  UPDATE_GROUP,
  uuidOf,
} from './group-fixtures';

const GROUP = `query($id: ID!) { group(id: $id) { id name } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on TherapyGroup { name } } }`;
const GROUPS = `query($first: Int!, $after: String, $filter: GroupFilter) {
  groups(first: $first, after: $after, filter: $filter) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;

const validInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'Tuesday Evening DBT Skills',
  modality: 'DBT_SKILLS',
  format: 'CLOSED',
  capacity: 10,
  ...overrides,
});

const names = (res: GqlResult) => ok(res).groups.edges.map((e: { node: { name: string } }) => e.node.name);
const auditRows = (clinicId: string, resourceId: string) =>
  ownerQuery(`SELECT action, resource_type, actor_type, actor_id FROM audit_events WHERE clinic_id = $1 AND resource_id = $2 ORDER BY id`, [
    clinicId,
    resourceId,
  ]);

describe('creating groups', () => {
  it('lets an admin create a group: it starts FORMING, is stored as given, and is audited', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    await createGroup(neighbour);
    const neighbourBefore = await clinicState(neighbour.id);

    const res = await gql(clinic.admin.auth, CREATE_GROUP, {
      input: {
        name: '  Anxiety Skills (Spring)  ',
        description: 'Eight weeks of CBT skills for anxiety.',
        modality: 'CBT',
        format: 'ROLLING',
        capacity: 12,
        scheduleDescription: 'Tuesdays 18:00–19:30',
        location: 'Room 4, Riverside',
        videoLink: 'https://video.example/anxiety',
        startDate: '2026-03-03',
        endDate: '2026-04-21',
        agreementText: 'What is said here stays here.',
        peerContactPolicy: 'NEVER',
        externalIds: [{ system: 'urn:ehr:group', value: 'G-100' }],
      },
    });
    const group = ok(res).createGroup.group;
    expect(group).toEqual({
      id: expect.any(String),
      name: 'Anxiety Skills (Spring)',
      description: 'Eight weeks of CBT skills for anxiety.',
      modality: 'CBT',
      format: 'ROLLING',
      capacity: 12,
      status: 'FORMING',
      scheduleDescription: 'Tuesdays 18:00–19:30',
      location: 'Room 4, Riverside',
      videoLink: 'https://video.example/anxiety',
      startDate: '2026-03-03',
      endDate: '2026-04-21',
      agreementText: 'What is said here stays here.',
      agreementVersion: 1,
      peerContactPolicy: 'NEVER',
      activeMemberCount: 0,
      openSeats: 12,
      waitlistCount: 0,
      externalIds: [{ system: 'urn:ehr:group', value: 'G-100' }],
    });

    const id = uuidOf(group.id);
    const row = await groupRow(id);
    expect(row).toMatchObject({
      clinic_id: clinic.id,
      name: 'Anxiety Skills (Spring)',
      modality: 'CBT',
      format: 'ROLLING',
      capacity: 12,
      status: 'FORMING',
      agreement_version: 1,
      peer_contact_policy: 'NEVER',
      location: 'Room 4, Riverside',
    });
    expect(await ownerQuery(`SELECT clinic_id, resource_type, system, value FROM external_identifiers WHERE resource_id = $1`, [id])).toEqual([
      { clinic_id: clinic.id, resource_type: 'TherapyGroup', system: 'urn:ehr:group', value: 'G-100' },
    ]);
    expect(await auditRows(clinic.id, id)).toEqual([{ action: 'CREATE', resource_type: 'TherapyGroup', actor_type: 'STAFF', actor_id: clinic.admin.id }]);
    expect(await clinicState(neighbour.id)).toEqual(neighbourBefore);
  });

  it('defaults the peer-contact policy to AFTER_COMPLETION and accepts a 200-character name', async () => {
    const clinic = await createClinic();
    const name = 'x'.repeat(200);
    const group = ok(await gql(clinic.admin.auth, CREATE_GROUP, { input: validInput({ name }) })).createGroup.group;
    expect(group).toMatchObject({ name, peerContactPolicy: 'AFTER_COMPLETION', agreementVersion: 1, status: 'FORMING' });
    expect((await groupRow(uuidOf(group.id))).name).toBe(name);
  });

  it.each([
    ['capacity 0', { capacity: 0 }],
    ['capacity 101', { capacity: 101 }],
    ['an end date before the start date', { startDate: '2026-05-10', endDate: '2026-05-09' }],
    ['an empty name', { name: '' }],
    ['a whitespace-only name', { name: '   \t ' }],
    ['a 201-character name', { name: 'n'.repeat(201) }],
    ['a NUL byte in the name', { name: 'Group\u0000One' }],
    ['a NUL byte in the description', { description: 'about\u0000this' }],
    ['a non-https video link', { videoLink: 'http://video.example/x' }],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_label, overrides) => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () => gql(clinic.admin.auth, CREATE_GROUP, { input: validInput(overrides) }));
    expect(await ownerQuery(`SELECT 1 FROM therapy_groups WHERE clinic_id = $1`, [clinic.id])).toHaveLength(0);
  });

  it('refuses createGroup to clinicians, supervisors, members and integrations with FORBIDDEN and stores nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const member = await clinic.addClient();
    const reader = await clinic.addApiKey(['roster:read']);
    const writer = await clinic.addApiKey(['roster:read', 'roster:write']);
    for (const auth of [clinic.clinician.auth, clinic.supervisor.auth, member.auth, reader.auth, writer.auth]) {
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => gql(auth, CREATE_GROUP, { input: validInput() }));
    }
    expect(await ownerQuery(`SELECT 1 FROM therapy_groups WHERE clinic_id = $1`, [clinic.id])).toHaveLength(0);
  });
});

describe('updating groups', () => {
  it('lets an admin change details; omitted fields stay, and other groups are untouched', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic, { name: 'Before', description: 'kept', location: 'Room 1', capacity: 8 });
    const other = await createGroup(clinic, { name: 'Other' });
    const otherBefore = await groupRow(other.id);

    const res = await gql(clinic.admin.auth, UPDATE_GROUP, {
      input: { id: group.gid, name: ' After ', location: null, scheduleDescription: 'Mondays', modality: 'ACT', peerContactPolicy: 'ANYTIME' },
    });
    expect(ok(res).updateGroup.group).toMatchObject({
      name: 'After',
      description: 'kept',
      location: null,
      capacity: 8,
      peerContactPolicy: 'ANYTIME',
      scheduleDescription: 'Mondays',
      modality: 'ACT',
      agreementVersion: 1,
    });
    expect(await groupRow(group.id)).toMatchObject({ name: 'After', description: 'kept', location: null, capacity: 8, modality: 'ACT', peer_contact_policy: 'ANYTIME' });
    expect(await ownerQuery(`SELECT action FROM audit_events WHERE resource_id = $1 ORDER BY id`, [group.id])).toEqual([{ action: 'CREATE' }, { action: 'UPDATE' }]);
    expect(await groupRow(other.id)).toEqual(otherBefore);
  });

  it('lets an admin change the capacity of a group nobody is waiting for', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic, { capacity: 8 });
    const res = await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, capacity: 12 } });
    expect(ok(res).updateGroup.group).toMatchObject({ capacity: 12, openSeats: 12 });
    expect((await groupRow(group.id)).capacity).toBe(12);
  });

  it('raises agreementVersion when the agreement text changes, and only then', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic, { agreementText: 'v1 text' });
    const update = (input: Record<string, unknown>) => gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, ...input } });

    expect(ok(await update({ agreementText: 'v2 text' })).updateGroup.group).toMatchObject({ agreementText: 'v2 text', agreementVersion: 2 });
    expect(ok(await update({ agreementText: 'v2 text' })).updateGroup.group.agreementVersion).toBe(2);
    expect(ok(await update({ name: 'Renamed' })).updateGroup.group.agreementVersion).toBe(2);
    expect(ok(await update({ agreementText: 'v3 text' })).updateGroup.group.agreementVersion).toBe(3);
    expect(await groupRow(group.id)).toMatchObject({ agreement_text: 'v3 text', agreement_version: 3 });
  });

  it.each([
    ['capacity 0', { capacity: 0 }],
    ['capacity 101', { capacity: 101 }],
    ['an empty name', { name: '' }],
    ['a whitespace-only name', { name: '  ' }],
    ['a 201-character name', { name: 'n'.repeat(201) }],
    ['a NUL byte in the name', { name: 'a\u0000b' }],
    ['an end date before the stored start date', { endDate: '2026-02-28' }],
    ['a start date after the stored end date', { startDate: '2026-07-01' }],
  ])('refuses %s with BAD_USER_INPUT and changes nothing', async (_label, overrides) => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic, { startDate: '2026-03-01', endDate: '2026-06-30' });
    await expectRefused(clinic, neighbour, 'BAD_USER_INPUT', () => gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, ...overrides } }));
  });

  it('accepts clearing the start date while moving the end date earlier than the old start', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic, { startDate: '2026-03-01', endDate: '2026-06-30' });
    const res = await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, startDate: null, endDate: '2026-02-01' } });
    expect(ok(res).updateGroup.group).toMatchObject({ startDate: null, endDate: '2026-02-01' });
  });

  it('refuses to lower capacity below the seated (ACTIVE and ON_HOLD) members with CONFLICT, and allows lowering to exactly that', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { capacity: 5, members: 3 });
    await changeMembershipStatus(clinic, members[2], 'ON_HOLD', 'travelling');

    const res = await expectRefused(clinic, neighbour, 'CONFLICT', () =>
      gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, capacity: 2 } }),
    );
    expect(res.errors![0].extensions).toMatchObject({ field: 'capacity', seated: 3 });

    const lowered = ok(await gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, capacity: 3 } })).updateGroup.group;
    expect(lowered).toMatchObject({ capacity: 3, openSeats: 0, activeMemberCount: 2 });
    expect((await groupRow(group.id)).capacity).toBe(3);
  });

  it('refuses updateGroup and changeGroupStatus to anyone but an admin with FORBIDDEN, changing nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group } = await groupWithMembers(clinic, { members: 1, activate: false });
    const member = await clinic.addClient();
    const writer = await clinic.addApiKey(['roster:write']);
    for (const auth of [clinic.clinician.auth, clinic.supervisor.auth, member.auth, writer.auth]) {
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => gql(auth, UPDATE_GROUP, { input: { id: group.gid, name: 'Hijacked' } }));
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => gql(auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status: 'ACTIVE' } }));
    }
  });
});

describe('group lifecycle', () => {
  it('moves FORMING → ACTIVE → PAUSED → ACTIVE → CONCLUDED → ARCHIVED, each stored', async () => {
    const clinic = await createClinic();
    const group = await createGroup(clinic);
    const other = await createGroup(clinic);
    await assignFacilitator(clinic, group, clinic.clinician);
    for (const status of ['ACTIVE', 'PAUSED', 'ACTIVE', 'CONCLUDED', 'ARCHIVED']) {
      const res = await gql(clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status } });
      expect(ok(res).changeGroupStatus.group).toEqual({ id: group.gid, status });
      expect((await groupRow(group.id)).status).toBe(status);
    }
    expect((await groupRow(other.id)).status).toBe('FORMING');
  });

  it('refuses FORMING → ACTIVE without a lead facilitator with CONFLICT (a co-facilitator is not enough)', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    const activate = () => gql(clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status: 'ACTIVE' } });

    const bare = await expectRefused(clinic, neighbour, 'CONFLICT', activate);
    expect(bare.errors![0].extensions).toMatchObject({ reason: 'LEAD_FACILITATOR_REQUIRED' });
    await assignFacilitator(clinic, group, clinic.clinician, 'CO');
    await expectRefused(clinic, neighbour, 'CONFLICT', activate);
    expect((await groupRow(group.id)).status).toBe('FORMING');
  });

  it.each([
    ['FORMING', 'ARCHIVED', ['ACTIVE', 'CONCLUDED']],
    ['FORMING', 'PAUSED', ['ACTIVE', 'CONCLUDED']],
    ['FORMING', 'FORMING', ['ACTIVE', 'CONCLUDED']],
    ['ACTIVE', 'FORMING', ['PAUSED', 'CONCLUDED']],
    ['ACTIVE', 'ARCHIVED', ['PAUSED', 'CONCLUDED']],
    ['PAUSED', 'ARCHIVED', ['ACTIVE', 'CONCLUDED']],
    ['CONCLUDED', 'ACTIVE', ['ARCHIVED']],
    ['ARCHIVED', 'ACTIVE', []],
    ['ARCHIVED', 'FORMING', []],
  ])('refuses %s → %s with CONFLICT naming the allowed transitions', async (from, to, allowed) => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const group = await createGroup(clinic);
    await assignFacilitator(clinic, group, clinic.clinician);
    const path: Record<string, string[]> = {
      FORMING: [],
      ACTIVE: ['ACTIVE'],
      PAUSED: ['ACTIVE', 'PAUSED'],
      CONCLUDED: ['ACTIVE', 'CONCLUDED'],
      ARCHIVED: ['ACTIVE', 'CONCLUDED', 'ARCHIVED'],
    };
    for (const step of path[from]) await changeGroupStatus(clinic, group, step);

    const res = await expectRefused(clinic, neighbour, 'CONFLICT', () =>
      gql(clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status: to } }),
    );
    expect(res.errors![0].extensions).toMatchObject({ from, to, allowedTransitions: allowed });
    expect((await groupRow(group.id)).status).toBe(from);
  });
});

describe('archived groups', () => {
  it('keeps an ARCHIVED group read-only: updateGroup answers CONFLICT and changes nothing', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { members: 1 });
    await changeGroupStatus(clinic, group, 'CONCLUDED');
    await changeMembershipStatus(clinic, members[0], 'COMPLETED');
    await changeGroupStatus(clinic, group, 'ARCHIVED');
    await expectRefused(clinic, neighbour, 'CONFLICT', () =>
      gql(clinic.admin.auth, UPDATE_GROUP, { input: { id: group.gid, name: 'Rewritten history', agreementText: 'new' } }),
    );
  });
});

describe('listing groups', () => {
  async function clinicWithVariedGroups() {
    const clinic = await createClinic();
    const other = await clinic.addStaff('CLINICIAN');
    const a = await createGroup(clinic, { name: 'Anger Management', modality: 'CBT' });
    const b = await createGroup(clinic, { name: 'Bereavement Support', modality: 'SUPPORT' });
    const c = await createGroup(clinic, { name: 'Calm 100% Mindful_Group', modality: 'MINDFULNESS' });
    const d = await createGroup(clinic, { name: 'DBT skills', modality: 'DBT_SKILLS' });
    await assignFacilitator(clinic, a, clinic.clinician);
    await assignFacilitator(clinic, b, other);
    await assignFacilitator(clinic, c, clinic.clinician, 'CO');
    await changeGroupStatus(clinic, a, 'ACTIVE');
    await changeGroupStatus(clinic, b, 'ACTIVE');
    await changeGroupStatus(clinic, b, 'PAUSED');
    // a neighbour with lookalike groups must never appear
    const neighbour = await createClinic();
    await createGroup(neighbour, { name: 'Anger Management', modality: 'CBT' });
    return { clinic, other, a, b, c, d };
  }

  it('filters by status, modality, current facilitator and name, each within the clinic', async () => {
    const { clinic, other } = await clinicWithVariedGroups();
    const list = async (filter: Record<string, unknown>) => names(await gql(clinic.admin.auth, GROUPS, { first: 50, filter }));

    expect(await list({})).toEqual(['Anger Management', 'Bereavement Support', 'Calm 100% Mindful_Group', 'DBT skills']);
    expect(await list({ status: ['ACTIVE'] })).toEqual(['Anger Management']);
    expect(await list({ status: ['FORMING', 'PAUSED'] })).toEqual(['Bereavement Support', 'Calm 100% Mindful_Group', 'DBT skills']);
    expect(await list({ modality: ['SUPPORT', 'DBT_SKILLS'] })).toEqual(['Bereavement Support', 'DBT skills']);
    expect(await list({ facilitatorId: clinic.clinician.gid })).toEqual(['Anger Management', 'Calm 100% Mindful_Group']);
    expect(await list({ facilitatorId: other.gid })).toEqual(['Bereavement Support']);
    expect(await list({ facilitatorId: toGlobalId('StaffMember', randomUUID()) })).toEqual([]);
    expect(await list({ search: 'SKILLS' })).toEqual(['DBT skills']);
    expect(await list({ search: 'm' })).toEqual(['Anger Management', 'Bereavement Support', 'Calm 100% Mindful_Group']);
    // LIKE wildcards in the search are taken literally
    expect(await list({ search: '%' })).toEqual(['Calm 100% Mindful_Group']);
    expect(await list({ search: '_' })).toEqual(['Calm 100% Mindful_Group']);
    expect(await list({ status: ['ACTIVE'], modality: ['SUPPORT'] })).toEqual([]);
  });

  it('pages with first/after: every group exactly once, in name order', async () => {
    const clinic = await createClinic();
    const created = [];
    // same names twice: the id tiebreak must keep pages stable
    for (const name of ['Echo', 'alpha', 'Delta', 'Bravo', 'Charlie', 'Bravo', 'Foxtrot']) created.push(await createGroup(clinic, { name }));
    const expected = await ownerQuery<{ id: string }>(`SELECT id FROM therapy_groups WHERE clinic_id = $1 ORDER BY name, id`, [clinic.id]);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: GqlResult = await gql(clinic.admin.auth, GROUPS, { first: 2, after });
      const page = ok(res).groups;
      seen.push(...page.edges.map((e: { node: { id: string } }) => uuidOf(e.node.id)));
      pages++;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(expected.map((r) => r.id));
    expect(new Set(seen).size).toBe(created.length);
  });

  it('refuses a cursor it did not issue with BAD_USER_INPUT', async () => {
    const clinic = await createClinic();
    expectError(await gql(clinic.admin.auth, GROUPS, { first: 2, after: 'not-a-cursor' }), 'BAD_USER_INPUT');
  });

  it('refuses first outside 1..100 with BAD_USER_INPUT', async () => {
    const clinic = await createClinic();
    expectError(await gql(clinic.admin.auth, GROUPS, { first: 0 }), 'BAD_USER_INPUT');
    expectError(await gql(clinic.admin.auth, GROUPS, { first: 101 }), 'BAD_USER_INPUT');
  });

  it('reports activeMemberCount, openSeats and waitlistCount from the stored memberships', async () => {
    const clinic = await createClinic();
    const { group, members } = await groupWithMembers(clinic, { capacity: 3, members: 3 });
    await changeMembershipStatus(clinic, members[0], 'ON_HOLD', 'illness');
    await enrol(clinic, group, await clinic.addClient());
    await enrol(clinic, group, await clinic.addClient());
    const res = await gql(clinic.admin.auth, `query($id: ID!) { group(id: $id) { capacity activeMemberCount openSeats waitlistCount } }`, {
      id: group.gid,
    });
    expect(ok(res).group).toEqual({ capacity: 3, activeMemberCount: 2, openSeats: 0, waitlistCount: 2 });
  });
});

describe('groups of another clinic', () => {
  it('answers NOT_FOUND through group(id:) and node(id:), exactly as for a group that does not exist', async () => {
    const mine = await createClinic();
    const theirs = await createClinic();
    const theirGroup: GroupFixture = await createGroup(theirs, { name: 'Their group' });
    const missing = toGlobalId('TherapyGroup', randomUUID());

    for (const viewer of [mine.admin, mine.supervisor, mine.clinician]) {
      const foreign = await gql(viewer.auth, GROUP, { id: theirGroup.gid });
      expectError(foreign, 'NOT_FOUND');
      expect(foreign.data).toBeNull();
      expect(foreign.body.errors).toEqual((await gql(viewer.auth, GROUP, { id: missing })).body.errors);
      const foreignNode = await gql(viewer.auth, NODE, { id: theirGroup.gid });
      expectError(foreignNode, 'NOT_FOUND');
      expect(foreignNode.body.errors).toEqual((await gql(viewer.auth, NODE, { id: missing })).body.errors);
    }
    expect(names(await gql(mine.admin.auth, GROUPS, { first: 50 }))).toEqual([]);
  });

  it('answers NOT_FOUND to updateGroup and changeGroupStatus on another clinic\'s group and changes nothing there', async () => {
    const mine = await createClinic();
    const theirs = await createClinic();
    const theirGroup = await createGroup(theirs);
    await assignFacilitator(theirs, theirGroup, theirs.clinician);
    await expectRefused(theirs, mine, 'NOT_FOUND', () => gql(mine.admin.auth, UPDATE_GROUP, { input: { id: theirGroup.gid, name: 'Mine now' } }));
    await expectRefused(theirs, mine, 'NOT_FOUND', () =>
      gql(mine.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: theirGroup.gid, status: 'ACTIVE' } }),
    );
  });
});

describe('clinic settings', () => {
  const SETTINGS = `{ clinic { settings { defaultPeerContactPolicy } } }`;
  const UPDATE = `mutation($input: UpdateClinicSettingsInput!) { updateClinicSettings(input: $input) { clinic { settings { defaultPeerContactPolicy } } } }`;
  const clinicRow = async (id: string) => (await ownerQuery(`SELECT settings, updated_at FROM clinics WHERE id = $1`, [id]))[0];

  it('give new groups the clinic\'s peer-contact policy unless the group names its own; admins change it, for their clinic only, audited', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic('Neighbour');
    expect(ok(await gql(clinic.clinician.auth, SETTINGS)).clinic.settings).toEqual({ defaultPeerContactPolicy: 'AFTER_COMPLETION' });
    const before = await createGroup(clinic);
    expect((await groupRow(before.id)).peer_contact_policy).toBe('AFTER_COMPLETION');

    const changed = ok(await gql(clinic.admin.auth, UPDATE, { input: { defaultPeerContactPolicy: 'NEVER' } })).updateClinicSettings.clinic;
    expect(changed.settings).toEqual({ defaultPeerContactPolicy: 'NEVER' });
    expect((await clinicRow(clinic.id)).settings).toEqual({ defaultPeerContactPolicy: 'NEVER' });
    expect(await ownerQuery(`SELECT action, resource_type FROM audit_events WHERE clinic_id = $1 AND resource_type = 'Clinic'`, [clinic.id])).toEqual([
      { action: 'UPDATE', resource_type: 'Clinic' },
    ]);
    expect((await groupRow((await createGroup(clinic)).id)).peer_contact_policy).toBe('NEVER');
    expect((await groupRow((await createGroup(clinic, { peerContactPolicy: 'ANYTIME' })).id)).peer_contact_policy).toBe('ANYTIME');
    // Groups created earlier keep theirs; the neighbouring clinic keeps its default.
    expect((await groupRow(before.id)).peer_contact_policy).toBe('AFTER_COMPLETION');
    expect(ok(await gql(neighbour.admin.auth, SETTINGS)).clinic.settings).toEqual({ defaultPeerContactPolicy: 'AFTER_COMPLETION' });
    expect((await groupRow((await createGroup(neighbour)).id)).peer_contact_policy).toBe('AFTER_COMPLETION');
  });

  it('read a stored value no policy names as the default, for new groups too, instead of failing them', async () => {
    const clinic = await createClinic();
    await ownerQuery(`UPDATE clinics SET settings = '{"defaultPeerContactPolicy": "SOMETIMES"}' WHERE id = $1`, [clinic.id]);
    expect(ok(await gql(clinic.admin.auth, SETTINGS)).clinic.settings).toEqual({ defaultPeerContactPolicy: 'AFTER_COMPLETION' });
    expect((await groupRow((await createGroup(clinic)).id)).peer_contact_policy).toBe('AFTER_COMPLETION');
  });

  it('are changed by admins only: FORBIDDEN for everyone else, nothing stored', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic('Neighbour');
    const member = await clinic.addClient();
    const key = await clinic.addApiKey(['roster:write', 'roster:read'], 'EHR');
    const rows = [await clinicRow(clinic.id), await clinicRow(neighbour.id)];
    for (const auth of [clinic.clinician.auth, clinic.supervisor.auth, member.auth, key.auth]) {
      await expectRefused(clinic, neighbour, 'FORBIDDEN', () => gql(auth, UPDATE, { input: { defaultPeerContactPolicy: 'ANYTIME' } }));
    }
    expect([await clinicRow(clinic.id), await clinicRow(neighbour.id)]).toEqual(rows);
  });
});
