import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { testEnv } from '../support/test-env';
import { fromGlobalId, toGlobalId } from '../../src/common/global-id';
import { ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { groupWithMembers } from '../groups/group-fixtures';
import { expectError, gql, GqlResult } from '../support/test-app';

const CREATE_STAFF = `mutation($input: CreateStaffMemberInput!) {
  createStaffMember(input: $input) { staffMember { id name email role credentials active } } }`;
const UPDATE_STAFF = `mutation($input: UpdateStaffMemberInput!) {
  updateStaffMember(input: $input) { staffMember { id name email role credentials active } } }`;
const CREATE_CLIENT = `mutation($input: CreateClientInput!) {
  createClient(input: $input) { client { id givenName familyName preferredName displayName externalIds { system value } } } }`;
const UPDATE_CLIENT = `mutation($input: UpdateClientInput!) {
  updateClient(input: $input) { client { id givenName preferredName externalIds { system value } } } }`;
const CLIENT = `query($id: ID!) { client(id: $id) { id givenName familyName } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Client { givenName } } }`;
const CLIENTS = `query($first: Int!, $after: String) {
  clients(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
const BY_EXTERNAL_ID = `query($r: ExternalIdentifierInput!) { clientByExternalId(identifier: $r) { id givenName } }`;

const uuid = (gid: string) => fromGlobalId(gid)!.id;
const requestIdOf = (res: GqlResult) => res.body.extensions!.requestId as string;
const ids = (res: GqlResult, field: string) => res.data[field].edges.map((e: { node: { id: string } }) => e.node.id);

const staffRow = async (id: string) => (await ownerQuery(`SELECT * FROM staff_members WHERE id = $1`, [id]))[0];
const clientRows = (clinicId: string) => ownerQuery(`SELECT * FROM clients WHERE clinic_id = $1 ORDER BY id`, [clinicId]);
const externalIdRows = (clinicId: string) =>
  ownerQuery(`SELECT resource_type, resource_id, system, value FROM external_identifiers WHERE clinic_id = $1 ORDER BY system, value`, [clinicId]);
const auditRows = (clinicId: string, where = 'true', params: unknown[] = []) =>
  ownerQuery(`SELECT * FROM audit_events WHERE clinic_id = $1 AND ${where} ORDER BY id`, [clinicId, ...params]);

/** Everything a client-writing mutation could touch in a clinic, to prove a refusal changed nothing. */
async function rosterState(clinicId: string) {
  return { clients: await clientRows(clinicId), externalIds: await externalIdRows(clinicId) };
}

describe('staff', () => {
  it('lets an admin add a staff member: stored in the clinic and audited as CREATE', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const neighbourBefore = await ownerQuery(`SELECT * FROM staff_members WHERE clinic_id = $1 ORDER BY id`, [neighbour.id]);
    const email = `new-${randomUUID().slice(0, 8)}@clinic.test`;

    const res = await gql(clinic.admin.auth, CREATE_STAFF, { input: { name: ' Robin Ortiz ', email, role: 'CLINICIAN', credentials: 'LCSW' } });
    expect(res.errors).toBeUndefined();
    const created = res.data.createStaffMember.staffMember;
    expect(created).toEqual({ id: expect.any(String), name: 'Robin Ortiz', email, role: 'CLINICIAN', credentials: 'LCSW', active: true });

    const id = uuid(created.id);
    expect(await staffRow(id)).toMatchObject({ clinic_id: clinic.id, name: 'Robin Ortiz', email, role: 'CLINICIAN', active: true });
    const audit = await auditRows(clinic.id, `resource_id = $2`, [id]);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'CREATE', resource_type: 'StaffMember', actor_type: 'STAFF', actor_id: clinic.admin.id, request_id: requestIdOf(res) }),
    ]);
    expect(await ownerQuery(`SELECT * FROM staff_members WHERE clinic_id = $1 ORDER BY id`, [neighbour.id])).toEqual(neighbourBefore);
  });

  it('answers CONFLICT for an email already used in the clinic (case-insensitively) and stores nothing', async () => {
    const clinic = await createClinic();
    const existing = await staffRow(clinic.clinician.id);
    const before = await ownerQuery(`SELECT * FROM staff_members WHERE clinic_id = $1 ORDER BY id`, [clinic.id]);
    const auditBefore = await auditRows(clinic.id, `action <> 'DENIED'`);

    const res = await gql(clinic.admin.auth, CREATE_STAFF, { input: { name: 'Copy Cat', email: existing.email.toUpperCase(), role: 'SUPERVISOR' } });
    expectError(res, 'CONFLICT');
    expect(res.data).toBeNull();
    expect(await ownerQuery(`SELECT * FROM staff_members WHERE clinic_id = $1 ORDER BY id`, [clinic.id])).toEqual(before);
    expect(await auditRows(clinic.id, `action <> 'DENIED'`)).toEqual(auditBefore);

    // the same address is free in another clinic
    const other = await createClinic();
    const elsewhere = await gql(other.admin.auth, CREATE_STAFF, { input: { name: 'Copy Cat', email: existing.email, role: 'SUPERVISOR' } });
    expect(elsewhere.errors).toBeUndefined();
  });

  it('refuses staffMembers to a member with FORBIDDEN and records the denial in the audit trail', async () => {
    const clinic = await createClinic();
    const member = await clinic.addClient();
    const res = await gql(member.auth, `{ staffMembers { edges { node { id name } } } }`);
    expectError(res, 'FORBIDDEN');
    expect(res.data).toBeNull();
    const denied = await auditRows(clinic.id, `action = 'DENIED' AND request_id = $2`, [requestIdOf(res)]);
    expect(denied).toEqual([
      expect.objectContaining({ actor_type: 'CLIENT', actor_id: member.id, resource_type: 'Operation:staffMembers', code: 'FORBIDDEN' }),
    ]);
  });

  it('lists the clinic\'s staff, by name, to staff', async () => {
    const clinic = await createClinic();
    await createClinic(); // a neighbour's staff never appear
    const res = await gql(clinic.clinician.auth, `{ staffMembers(first: 100) { edges { node { id name } } } }`);
    expect(res.errors).toBeUndefined();
    const stored = await ownerQuery<{ id: string }>(`SELECT id FROM staff_members WHERE clinic_id = $1 ORDER BY name, id`, [clinic.id]);
    expect(ids(res, 'staffMembers')).toEqual(stored.map((s) => toGlobalId('StaffMember', s.id)));
  });

  it('lets an admin update a staff member (stored and audited), and no one else', async () => {
    const clinic = await createClinic();
    const target = clinic.clinician;
    const res = await gql(clinic.admin.auth, UPDATE_STAFF, { input: { id: target.gid, name: 'Dr. Renamed', role: 'SUPERVISOR', credentials: 'PhD' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.updateStaffMember.staffMember).toMatchObject({ id: target.gid, name: 'Dr. Renamed', role: 'SUPERVISOR', credentials: 'PhD' });
    expect(await staffRow(target.id)).toMatchObject({ name: 'Dr. Renamed', role: 'SUPERVISOR', credentials: 'PhD', active: true });
    expect(await auditRows(clinic.id, `action = 'UPDATE' AND resource_id = $2`, [target.id])).toHaveLength(1);

    const before = await staffRow(clinic.admin.id);
    const refused = await gql(clinic.supervisor.auth, UPDATE_STAFF, { input: { id: clinic.admin.gid, name: 'Overthrown' } });
    expectError(refused, 'FORBIDDEN');
    expect(await staffRow(clinic.admin.id)).toEqual(before);
  });

  it('does not let an admin deactivate or demote themselves', async () => {
    const clinic = await createClinic();
    const before = await staffRow(clinic.admin.id);
    for (const change of [{ active: false }, { role: 'SUPERVISOR' }]) {
      const res = await gql(clinic.admin.auth, UPDATE_STAFF, { input: { id: clinic.admin.gid, ...change } });
      expectError(res, 'FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expect(await staffRow(clinic.admin.id)).toEqual(before);
    expect((await gql(clinic.admin.auth, `{ viewer { kind } }`)).data.viewer.kind).toBe('STAFF');
  });

  it('two admins demoting or deactivating each other at once leave one admin: the second answers CONFLICT (session 10)', async () => {
    for (const [first, second] of [[{ role: 'CLINICIAN' }, { active: false }], [{ active: false }, { active: false }]] as const) {
      const clinic = await createClinic();
      const other = await clinic.addStaff('ADMIN', 'Second Admin');
      // Many attempts at once: without the lock, both of a pair could pass ("the other is still an admin").
      const results = await Promise.all([
        gql(clinic.admin.auth, UPDATE_STAFF, { input: { id: other.gid, ...first } }),
        gql(other.auth, UPDATE_STAFF, { input: { id: clinic.admin.gid, ...second } }),
      ]);
      const codes = results.map((r) => r.codes[0] ?? 'OK').sort();
      // One wins; the other is refused as the last admin (or, if it came after, as no longer an admin).
      expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
      expect(['CONFLICT', 'UNAUTHENTICATED', 'FORBIDDEN']).toContain(codes.find((c) => c !== 'OK'));
      const admins = await ownerQuery(`SELECT id FROM staff_members WHERE clinic_id = $1 AND role = 'ADMIN' AND active`, [clinic.id]);
      expect(admins).toHaveLength(1);
    }
  });

  it('two leads of an ACTIVE group deactivated at once leave it one: the second answers CONFLICT (session 10)', async () => {
    const clinic = await createClinic();
    const { group } = await groupWithMembers(clinic, { members: 1 });
    const second = await clinic.addStaff('SUPERVISOR', 'Second Lead');
    expect((await gql(clinic.admin.auth, `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`, {
      input: { groupId: group.gid, staffMemberId: second.gid, role: 'LEAD' },
    })).errors).toBeUndefined();
    // Both staff rows held by another transaction: each deactivation has checked its group and waits
    // to write when it is released, as two requests interleaving would.
    const holder = new PgClient({ connectionString: testEnv().ownerUrl });
    await holder.connect();
    let results: GqlResult[];
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM staff_members WHERE id = ANY($1) FOR UPDATE`, [[clinic.clinician.id, second.id]]);
      const pending = Promise.all([clinic.clinician, second].map((s) => gql(clinic.admin.auth, UPDATE_STAFF, { input: { id: s.gid, active: false } })));
      await new Promise((resolve) => setTimeout(resolve, 400));
      await holder.query('COMMIT');
      results = await pending;
    } finally {
      await holder.end();
    }
    expect(results.map((r) => r.codes[0] ?? 'OK').sort()).toEqual(['CONFLICT', 'OK']);
    const leads = await ownerQuery(
      `SELECT s.id FROM group_facilitators f JOIN staff_members s ON s.id = f.staff_member_id WHERE f.group_id = $1 AND f.role = 'LEAD' AND f.ended_at IS NULL AND s.active`,
      [group.id],
    );
    expect(leads).toHaveLength(1);
  });

  it('the last other admin may be demoted by an admin, but never leaves the clinic without one', async () => {
    const clinic = await createClinic();
    const other = await clinic.addStaff('ADMIN', 'Second Admin');
    expect((await gql(clinic.admin.auth, UPDATE_STAFF, { input: { id: other.gid, role: 'SUPERVISOR' } })).errors).toBeUndefined();
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM staff_members WHERE clinic_id = $1 AND role = 'ADMIN' AND active`, [clinic.id])).toEqual([{ n: 1 }]);
  });
});

describe('creating and updating clients', () => {
  it('lets an admin register a client with external identifiers: stored and audited as CREATE', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    await neighbour.addClient();
    const neighbourBefore = await rosterState(neighbour.id);
    const res = await gql(clinic.admin.auth, CREATE_CLIENT, {
      input: { givenName: 'Samantha', familyName: 'Kowalski', preferredName: 'Sam', externalIds: [{ system: 'urn:ehr', value: 'MRN-1' }] },
    });
    expect(res.errors).toBeUndefined();
    const client = res.data.createClient.client;
    expect(client).toMatchObject({ givenName: 'Samantha', familyName: 'Kowalski', displayName: 'Sam K.', externalIds: [{ system: 'urn:ehr', value: 'MRN-1' }] });

    const id = uuid(client.id);
    expect(await clientRows(clinic.id)).toEqual([expect.objectContaining({ id, given_name: 'Samantha', family_name: 'Kowalski', preferred_name: 'Sam' })]);
    expect(await externalIdRows(clinic.id)).toEqual([{ resource_type: 'Client', resource_id: id, system: 'urn:ehr', value: 'MRN-1' }]);
    expect(await auditRows(clinic.id, `action = 'CREATE'`)).toEqual([
      expect.objectContaining({ resource_type: 'Client', resource_id: id, subject_client_id: id, actor_id: clinic.admin.id, request_id: requestIdOf(res) }),
    ]);
    expect(await rosterState(neighbour.id)).toEqual(neighbourBefore);
  });

  it('lets a roster:write integration register a client', async () => {
    const clinic = await createClinic();
    const key = await clinic.addApiKey(['roster:write']);
    const res = await gql(key.auth, CREATE_CLIENT, { input: { givenName: 'Ida', familyName: 'Nakamura', externalIds: [{ system: 'urn:pm', value: 'P-77' }] } });
    expect(res.errors).toBeUndefined();
    const id = uuid(res.data.createClient.client.id);
    expect(await clientRows(clinic.id)).toEqual([expect.objectContaining({ id, given_name: 'Ida', family_name: 'Nakamura' })]);
    expect(await externalIdRows(clinic.id)).toEqual([{ resource_type: 'Client', resource_id: id, system: 'urn:pm', value: 'P-77' }]);
    expect(await auditRows(clinic.id, `action = 'CREATE'`)).toEqual([
      expect.objectContaining({ actor_type: 'INTEGRATION', actor_id: key.id, subject_client_id: id }),
    ]);
  });

  it('refuses client registration to a roster:read integration and to a clinician: FORBIDDEN, nothing stored, denial audited', async () => {
    const clinic = await createClinic();
    await clinic.addClient();
    const readOnly = await clinic.addApiKey(['roster:read']);
    const before = await rosterState(clinic.id);
    for (const [auth, actorId] of [
      [readOnly.auth, readOnly.id],
      [clinic.clinician.auth, clinic.clinician.id],
    ]) {
      const res = await gql(auth, CREATE_CLIENT, { input: { givenName: 'Not', familyName: 'Allowed', externalIds: [{ system: 'urn:ehr', value: 'X' }] } });
      expectError(res, 'FORBIDDEN');
      expect(res.data).toBeNull();
      expect(await rosterState(clinic.id)).toEqual(before);
      expect(await auditRows(clinic.id, `request_id = $2`, [requestIdOf(res)])).toEqual([
        expect.objectContaining({ action: 'DENIED', actor_id: actorId, code: 'FORBIDDEN' }),
      ]);
    }
  });

  it('lets an admin update a client (stored, identifiers added, audited) without touching another client', async () => {
    const clinic = await createClinic();
    const client = await clinic.addClient({ givenName: 'Jo', familyName: 'March' });
    const neighbour = await clinic.addClient();
    await ownerQuery(`UPDATE clients SET updated_at = now() - interval '1 hour' WHERE id = $1`, [client.id]);
    const [neighbourBefore] = await ownerQuery(`SELECT * FROM clients WHERE id = $1`, [neighbour.id]);

    const res = await gql(clinic.admin.auth, UPDATE_CLIENT, {
      input: { id: client.gid, preferredName: 'Josephine', externalIds: [{ system: 'urn:ehr', value: 'JM-1' }] },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.updateClient.client).toEqual({ id: client.gid, givenName: 'Jo', preferredName: 'Josephine', externalIds: [{ system: 'urn:ehr', value: 'JM-1' }] });

    const [row] = await ownerQuery(`SELECT *, updated_at > now() - interval '1 minute' AS fresh FROM clients WHERE id = $1`, [client.id]);
    expect(row).toMatchObject({ given_name: 'Jo', family_name: 'March', preferred_name: 'Josephine', fresh: true });
    expect(await externalIdRows(clinic.id)).toEqual([{ resource_type: 'Client', resource_id: client.id, system: 'urn:ehr', value: 'JM-1' }]);
    expect(await auditRows(clinic.id, `action = 'UPDATE'`)).toEqual([expect.objectContaining({ subject_client_id: client.id })]);
    expect((await ownerQuery(`SELECT * FROM clients WHERE id = $1`, [neighbour.id]))[0]).toEqual(neighbourBefore);
  });

  it('finds a client by external identifier, audited as a read; an unknown identifier is null', async () => {
    const clinic = await createClinic();
    const created = await gql(clinic.admin.auth, CREATE_CLIENT, { input: { givenName: 'Ext', familyName: 'Ref', externalIds: [{ system: 'urn:ehr', value: 'E-1' }] } });
    const gid = created.data.createClient.client.id;

    const res = await gql(clinic.supervisor.auth, BY_EXTERNAL_ID, { r: { system: 'urn:ehr', value: 'E-1' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.clientByExternalId).toEqual({ id: gid, givenName: 'Ext' });
    expect(await auditRows(clinic.id, `action = 'READ' AND request_id = $2`, [requestIdOf(res)])).toEqual([
      expect.objectContaining({ subject_client_id: uuid(gid), actor_id: clinic.supervisor.id }),
    ]);

    for (const r of [{ system: 'urn:ehr', value: 'E-2' }, { system: 'urn:other', value: 'E-1' }]) {
      const none = await gql(clinic.supervisor.auth, BY_EXTERNAL_ID, { r });
      expect(none.errors).toBeUndefined();
      expect(none.data.clientByExternalId).toBeNull();
    }
  });

  it('answers CONFLICT when an external identifier already belongs to another client, and stores nothing', async () => {
    const clinic = await createClinic();
    const first = await gql(clinic.admin.auth, CREATE_CLIENT, { input: { givenName: 'First', familyName: 'Holder', externalIds: [{ system: 'urn:ehr', value: 'DUP' }] } });
    expect(first.errors).toBeUndefined();
    const other = await clinic.addClient();
    const before = await rosterState(clinic.id);
    const auditBefore = await auditRows(clinic.id, `action <> 'DENIED'`);

    const viaCreate = await gql(clinic.admin.auth, CREATE_CLIENT, { input: { givenName: 'Second', familyName: 'Holder', externalIds: [{ system: 'urn:ehr', value: 'DUP' }] } });
    expectError(viaCreate, 'CONFLICT');
    expect(viaCreate.data).toBeNull();

    const viaUpdate = await gql(clinic.admin.auth, UPDATE_CLIENT, { input: { id: other.gid, givenName: 'Renamed', externalIds: [{ system: 'urn:ehr', value: 'DUP' }] } });
    expectError(viaUpdate, 'CONFLICT');
    expect(viaUpdate.data).toBeNull();

    expect(await rosterState(clinic.id)).toEqual(before);
    expect(await auditRows(clinic.id, `action <> 'DENIED'`)).toEqual(auditBefore);

    // identifiers are unique per clinic, not across clinics
    const neighbour = await createClinic();
    const elsewhere = await gql(neighbour.admin.auth, CREATE_CLIENT, { input: { givenName: 'Third', familyName: 'Holder', externalIds: [{ system: 'urn:ehr', value: 'DUP' }] } });
    expect(elsewhere.errors).toBeUndefined();
  });
});

describe('who can read clients', () => {
  it('lets a member read their own record, directly and through viewer', async () => {
    const clinic = await createClinic();
    const member = await clinic.addClient({ givenName: 'Mina', familyName: 'Park' });
    const direct = await gql(member.auth, CLIENT, { id: member.gid });
    expect(direct.errors).toBeUndefined();
    expect(direct.data.client).toEqual({ id: member.gid, givenName: 'Mina', familyName: 'Park' });

    const viaViewer = await gql(member.auth, `{ viewer { kind client { id givenName } } }`);
    expect(viaViewer.errors).toBeUndefined();
    expect(viaViewer.data.viewer).toEqual({ kind: 'MEMBER', client: { id: member.gid, givenName: 'Mina' } });
    expect(await auditRows(clinic.id, `action = 'READ' AND request_id = $2`, [requestIdOf(viaViewer)])).toEqual([
      expect.objectContaining({ actor_type: 'CLIENT', actor_id: member.id, subject_client_id: member.id }),
    ]);
  });

  it('answers NOT_FOUND when a member asks for another member of the same clinic, directly or through node(id:)', async () => {
    const clinic = await createClinic();
    const member = await clinic.addClient();
    const peer = await clinic.addClient();
    const before = await rosterState(clinic.id);
    for (const query of [CLIENT, NODE]) {
      const res = await gql(member.auth, query, { id: peer.gid });
      expectError(res, 'NOT_FOUND');
      expect(res.data).toBeNull();
    }
    expect(await rosterState(clinic.id)).toEqual(before);
    expect(await auditRows(clinic.id, `action = 'READ' AND subject_client_id = $2`, [peer.id])).toHaveLength(0);
  });

  it('refuses the clients list to a member with FORBIDDEN', async () => {
    const clinic = await createClinic();
    const member = await clinic.addClient();
    const res = await gql(member.auth, CLIENTS, { first: 10 });
    expectError(res, 'FORBIDDEN');
    expect(res.data).toBeNull();
    expect(await auditRows(clinic.id, `action = 'READ'`)).toHaveLength(0);
  });

  it('shows a clinician no clients until they facilitate a group', async () => {
    const clinic = await createClinic();
    const client = await clinic.addClient();
    const list = await gql(clinic.clinician.auth, CLIENTS, { first: 10 });
    expect(list.errors).toBeUndefined();
    expect(list.data.clients.edges).toEqual([]);
    expect(list.data.clients.pageInfo.hasNextPage).toBe(false);
    for (const query of [CLIENT, NODE]) expectError(await gql(clinic.clinician.auth, query, { id: client.gid }), 'NOT_FOUND');
    expect(await auditRows(clinic.id, `action = 'READ'`)).toHaveLength(0);
  });
});

describe('paging through clients', () => {
  let clinic: ClinicFixture;
  let expected: string[];
  beforeAll(async () => {
    clinic = await createClinic();
    // ties on family and given name: the id decides, so the order is still total
    for (const [givenName, familyName] of [['Ann', 'Smith'], ['Ann', 'Smith'], ['Bea', 'Smith'], ['Cy', 'Adams'], ['Di', 'Zhou'], ['Ed', 'Adams'], ['Ann', 'Smith']]) {
      await clinic.addClient({ givenName, familyName });
    }
    const rows = await ownerQuery<{ id: string }>(`SELECT id FROM clients WHERE clinic_id = $1 ORDER BY family_name, given_name, id`, [clinic.id]);
    expected = rows.map((r) => toGlobalId('Client', r.id));
  });

  it('returns every client exactly once, in a stable order, page by page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: GqlResult = await gql(clinic.admin.auth, CLIENTS, { first: 3, after });
      expect(res.errors).toBeUndefined();
      seen.push(...ids(res, 'clients'));
      if (!res.data.clients.pageInfo.hasNextPage) break;
      after = res.data.clients.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    const again = await gql(clinic.admin.auth, CLIENTS, { first: 100 });
    expect(ids(again, 'clients')).toEqual(expected);
  });

  it('refuses first over 100 (or under 1) and a cursor it did not issue with BAD_USER_INPUT', async () => {
    for (const variables of [{ first: 101 }, { first: 0 }, { first: 5, after: 'garbage' }, { first: 5, after: Buffer.from('["x"]').toString('base64url') }]) {
      const res = await gql(clinic.admin.auth, CLIENTS, variables);
      expect({ variables, codes: res.codes }).toEqual({ variables, codes: ['BAD_USER_INPUT'] });
      expect(res.data).toBeNull();
    }
  });
});

describe('auditing client reads', () => {
  it('writes a READ row for the client returned by client(id:), in the same request', async () => {
    const clinic = await createClinic();
    const client = await clinic.addClient();
    const other = await clinic.addClient();
    const res = await gql(clinic.supervisor.auth, CLIENT, { id: client.gid });
    expect(res.errors).toBeUndefined();
    expect(await auditRows(clinic.id, `request_id = $2`, [requestIdOf(res)])).toEqual([
      expect.objectContaining({ action: 'READ', resource_type: 'Client', resource_id: client.id, subject_client_id: client.id, actor_id: clinic.supervisor.id }),
    ]);
    expect(await auditRows(clinic.id, `subject_client_id = $2`, [other.id])).toHaveLength(0);
  });

  it('writes a READ row for each client returned by clients, in the same request', async () => {
    const clinic = await createClinic();
    for (let i = 0; i < 3; i++) await clinic.addClient();
    const res = await gql(clinic.admin.auth, CLIENTS, { first: 10 });
    expect(res.errors).toBeUndefined();
    const returned = ids(res, 'clients').map(uuid).sort();
    expect(returned).toHaveLength(3);
    const reads = await auditRows(clinic.id, `action = 'READ' AND request_id = $2`, [requestIdOf(res)]);
    expect(reads.map((r) => r.subject_client_id).sort()).toEqual(returned);
    for (const r of reads) expect(r).toMatchObject({ resource_type: 'Client', resource_id: r.subject_client_id, actor_id: clinic.admin.id });
  });

  it('does not audit as read a client the page did not return', async () => {
    const clinic = await createClinic();
    for (let i = 0; i < 5; i++) await clinic.addClient();
    const res = await gql(clinic.admin.auth, CLIENTS, { first: 3 });
    expect(res.errors).toBeUndefined();
    const returned = ids(res, 'clients').map(uuid).sort();
    expect(returned).toHaveLength(3);
    const reads = await auditRows(clinic.id, `action = 'READ'`);
    expect(reads.map((r) => r.subject_client_id).sort()).toEqual(returned);
  });
});

describe('the audit trail', () => {
  it('is for admins only: anyone else gets FORBIDDEN, and the attempt is itself audited', async () => {
    const clinic = await createClinic();
    const key = await clinic.addApiKey(['roster:read', 'roster:write']);
    for (const [auth, actorId] of [
      [clinic.supervisor.auth, clinic.supervisor.id],
      [clinic.clinician.auth, clinic.clinician.id],
      [key.auth, key.id],
    ]) {
      const res = await gql(auth, `{ auditEvents { edges { node { id } } } }`);
      expectError(res, 'FORBIDDEN');
      expect(res.data).toBeNull();
      expect(await auditRows(clinic.id, `request_id = $2`, [requestIdOf(res)])).toEqual([
        expect.objectContaining({ action: 'DENIED', actor_id: actorId, resource_type: 'Operation:auditEvents', code: 'FORBIDDEN' }),
      ]);
    }
  });

  it('records a page naming a staff-made access report as read about both members it names: the report\'s member and the member it named (session 14)', async () => {
    // Before: only the EXPORT's subject (the member the report named) was recorded; the member the
    // report was about, named by the event's resource id, never learnt an admin had looked.
    const clinic = await createClinic();
    const about = await clinic.addClient();
    const named = await clinic.addClient();
    await ownerQuery(
      `INSERT INTO audit_batches (clinic_id, actor_type, actor_id, actions, resource_types, resource_ids, subject_client_ids, codes)
       VALUES ($1, 'STAFF', $2, '{EXPORT}', '{AccessReport}', ARRAY[$3::uuid], ARRAY[$4::uuid], '{NULL}')`,
      [clinic.id, clinic.supervisor.id, about.id, named.id],
    );
    const res = await gql(clinic.admin.auth, `{ auditEvents(first: 10) { edges { node { action resourceType resourceId subjectClientId } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.auditEvents.edges.map((e: { node: object }) => e.node)).toEqual([
      { action: 'EXPORT', resourceType: 'AccessReport', resourceId: about.id, subjectClientId: named.id },
    ]);
    const recorded = await ownerQuery(`SELECT action, resource_type, resource_id, subject_client_id FROM audit_events WHERE request_id = $1 ORDER BY subject_client_id`, [requestIdOf(res)]);
    expect(recorded).toEqual(
      [about.id, named.id].sort().map((id) => ({ action: 'EXPORT', resource_type: 'AuditEvents', resource_id: id, subject_client_id: id })),
    );
  });

  it('lists the clinic\'s events newest first, and never another clinic\'s', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const client = await clinic.addClient();
    const theirClient = await neighbour.addClient();
    await gql(clinic.admin.auth, CLIENT, { id: client.gid });
    await gql(neighbour.admin.auth, CLIENT, { id: theirClient.gid });
    await gql(clinic.supervisor.auth, CLIENT, { id: client.gid });
    await gql(neighbour.supervisor.auth, CLIENT, { id: theirClient.gid });
    const before = await ownerQuery<{ id: string }>(`SELECT id::text FROM audit_events WHERE clinic_id = $1 ORDER BY id DESC`, [clinic.id]);
    const theirs = await ownerQuery(`SELECT * FROM audit_events WHERE clinic_id = $1 ORDER BY id`, [neighbour.id]);

    const res = await gql(clinic.admin.auth, `{ auditEvents(first: 100) { edges { node { id action actorId subjectClientId } } } }`);
    expect(res.errors).toBeUndefined();
    const listed = res.data.auditEvents.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(listed).toEqual(before.map((r) => r.id));
    expect(listed.length).toBeGreaterThanOrEqual(2);
    const subjects = res.data.auditEvents.edges.map((e: { node: { subjectClientId: string | null } }) => e.node.subjectClientId);
    expect(subjects).not.toContain(theirClient.id);
    // Reading the trail is about the members it names: one EXPORT about the client, in this clinic only.
    expect(await ownerQuery(`SELECT action, resource_type, subject_client_id, actor_id FROM audit_events WHERE request_id = $1`, [res.body.extensions!.requestId])).toEqual([
      { action: 'EXPORT', resource_type: 'AuditEvents', subject_client_id: client.id, actor_id: clinic.admin.id },
    ]);
    expect(await ownerQuery(`SELECT * FROM audit_events WHERE clinic_id = $1 ORDER BY id`, [neighbour.id])).toEqual(theirs);

    const BY_SUBJECT = `query($c: ID) { auditEvents(first: 100, filter: { subjectClientId: $c }) { edges { node { action subjectClientId } } } }`;
    const filtered = await gql(clinic.admin.auth, BY_SUBJECT, { c: client.gid });
    expect(filtered.data.auditEvents.edges.map((e: { node: object }) => e.node)).toEqual([
      { action: 'EXPORT', subjectClientId: client.id },
      { action: 'READ', subjectClientId: client.id },
      { action: 'READ', subjectClientId: client.id },
    ]);
    // The database id an event shows finds the same events (the listing above is now one more
    // EXPORT back); a malformed id is refused, not read as a client without events.
    const byShownId = await gql(clinic.admin.auth, BY_SUBJECT, { c: client.id.toUpperCase() });
    expect(byShownId.data.auditEvents.edges.slice(1)).toEqual(filtered.data.auditEvents.edges);
    // The deprecated top-level argument still filters the same way.
    const deprecated = await gql(clinic.admin.auth, `query($c: ID) { auditEvents(first: 100, subjectClientId: $c) { edges { node { action subjectClientId } } } }`, { c: client.gid });
    expect(deprecated.data.auditEvents.edges.slice(2)).toEqual(filtered.data.auditEvents.edges);
    for (const c of ['not-an-id', toGlobalId('TherapyGroup', client.id)]) {
      const stored = await ownerQuery(`SELECT id FROM audit_events WHERE clinic_id = $1`, [clinic.id]);
      const refused = await gql(clinic.admin.auth, BY_SUBJECT, { c });
      expectError(refused, 'BAD_USER_INPUT');
      expect(refused.errors![0].extensions).toMatchObject({ argument: 'filter', field: 'subjectClientId' });
      const old = await gql(clinic.admin.auth, `query($c: ID) { auditEvents(subjectClientId: $c) { edges { node { id } } } }`, { c });
      expect(old.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'subjectClientId' });
      expect(await ownerQuery(`SELECT id FROM audit_events WHERE clinic_id = $1`, [clinic.id])).toEqual(stored);
    }
    // Another clinic's client, by either id, finds nothing here.
    for (const c of [theirClient.gid, theirClient.id]) {
      expect((await gql(clinic.admin.auth, BY_SUBJECT, { c })).data.auditEvents.edges).toEqual([]);
    }
  });

  it('filters by actor and by time: what one staff member did, and in which window', async () => {
    const clinic = await createClinic();
    const neighbour = await createClinic();
    const client = await clinic.addClient();
    const read = async (auth: string) => (await gql(auth, CLIENT, { id: client.gid })).body.extensions!.requestId as string;
    const bySupervisor = await read(clinic.supervisor.auth);
    await read(clinic.admin.auth);
    const [{ at }] = await ownerQuery<{ at: Date }>(`SELECT occurred_at AS at FROM audit_events WHERE request_id = $1`, [bySupervisor]);
    await ownerQuery(`SELECT pg_sleep(0.01)`);
    const later = await read(clinic.supervisor.auth);
    const Q = `query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { edges { node { action actorId requestId } } } }`;
    const list = async (f: Record<string, unknown>) => {
      const res = await gql(clinic.admin.auth, Q, { f });
      expect(res.errors).toBeUndefined();
      return res.data.auditEvents.edges.map((e: { node: { requestId: string } }) => e.node.requestId);
    };
    // By global id or by the database id events show; only the supervisor's reads.
    expect(await list({ actorId: clinic.supervisor.gid, action: 'READ' })).toEqual([later, bySupervisor]);
    expect(await list({ actorId: clinic.supervisor.id, action: 'READ' })).toEqual([later, bySupervisor]);
    // A window: at or after the first read and before the last one.
    const [{ last }] = await ownerQuery<{ last: Date }>(`SELECT occurred_at AS last FROM audit_events WHERE request_id = $1`, [later]);
    expect(await list({ actorId: clinic.supervisor.gid, occurredFrom: at.toISOString(), occurredBefore: last.toISOString() })).toEqual([bySupervisor]);
    // Another clinic's staff member, by either id, did nothing here; anything that is not an actor's id is refused.
    for (const actorId of [neighbour.supervisor.gid, neighbour.supervisor.id]) expect(await list({ actorId })).toEqual([]);
    for (const actorId of ['nobody', client.gid.replace(/./, 'x'), toGlobalId('TherapyGroup', clinic.supervisor.id)]) {
      const refused = await gql(clinic.admin.auth, Q, { f: { actorId } });
      expectError(refused, 'BAD_USER_INPUT');
      expect(refused.errors![0].extensions).toMatchObject({ argument: 'filter', field: 'actorId' });
    }
    expectError(await gql(clinic.admin.auth, Q, { f: { occurredFrom: 'last tuesday' } }), 'BAD_USER_INPUT');
  });

  it('pages through the trail with cursors, inside one request\'s records too, and filters by action and type', async () => {
    const clinic = await createClinic();
    const { group } = await groupWithMembers(clinic, { members: 3 });
    // One request that audits several records (group, memberships, clients): one stored batch.
    const roster = await gql(clinic.admin.auth, `query($id: ID!) { group(id: $id) { name members(first: 10) { edges { node { client { displayName } } } } } }`, {
      id: group.gid,
    });
    expect(roster.errors).toBeUndefined();
    const [{ records }] = await ownerQuery<{ records: number }>(
      `SELECT cardinality(actions) AS records FROM audit_batches WHERE clinic_id = $1 AND request_id = $2`,
      [clinic.id, roster.body.extensions!.requestId],
    );
    expect(records).toBeGreaterThanOrEqual(6);

    const stored = await ownerQuery<{ id: string }>(`SELECT id::text FROM audit_events WHERE clinic_id = $1 ORDER BY id DESC`, [clinic.id]);
    const PAGE = `query($after: String, $action: AuditAction, $type: String) {
      auditEvents(first: 2, after: $after, filter: { action: $action, resourceType: $type }) { edges { node { id action resourceType } } pageInfo { hasNextPage endCursor } } }`;
    const walk = async (filters: Record<string, string> = {}) => {
      const ids: string[] = [];
      let after: string | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = await gql(clinic.admin.auth, PAGE, { after, ...filters });
        expect(page.errors).toBeUndefined();
        ids.push(...page.data.auditEvents.edges.map((e: { node: { id: string } }) => e.node.id));
        if (!page.data.auditEvents.pageInfo.hasNextPage) return ids;
        after = page.data.auditEvents.pageInfo.endCursor;
      }
      throw new Error('did not end');
    };
    // Later pages' own reads are audited too, but only newer than the first page: the walk sees the trail as it was.
    expect(await walk()).toEqual(stored.map((r) => r.id));
    const memberships = await ownerQuery<{ id: string }>(
      `SELECT id::text FROM audit_events WHERE clinic_id = $1 AND action = 'READ' AND resource_type = 'Membership' ORDER BY id DESC`,
      [clinic.id],
    );
    expect(memberships.length).toBeGreaterThanOrEqual(3);
    expect(await walk({ action: 'READ', type: 'Membership' })).toEqual(memberships.map((r) => r.id));

    const cursorOf = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    for (const after of [cursorOf(['12; DROP TABLE x', 1]), cursorOf(['1', '-1']), cursorOf(['99999999999999999999', 1]), cursorOf([stored[0].id])]) {
      const bad = await gql(clinic.admin.auth, PAGE, { after });
      expectError(bad, 'BAD_USER_INPUT');
      expect(bad.data).toBeNull();
    }
  });
});
