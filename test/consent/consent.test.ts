import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { toGlobalId } from '../../src/common/global-id';
import { createClinic, ownerQuery } from '../support/factories';
import { gql } from '../support/test-app';
import { testEnv } from '../support/test-env';
import {
  activeGroup,
  CHANGE_MEMBERSHIP_STATUS,
  CONSENTS_OF,
  consentNodes,
  consentEventRows,
  consentRow,
  createGoal,
  expectRefused,
  GRANT_CONSENT,
  grantConsent,
  insertExpiredConsent,
  memberInTwoGroups,
  MY_CONSENTS,
  ok,
  REVOKE_CONSENT,
  revokeConsent,
  uuidOf,
} from '../goals/goal-fixtures';

const CONSENT_NODE = `query($id: ID!) { node(id: $id) { id ... on ConsentRecord { type status } } }`;

const consentsOfClient = (clientId: string) =>
  ownerQuery(`SELECT * FROM consent_records WHERE client_id = $1 ORDER BY granted_at, id`, [clientId]);

describe('grantConsent', () => {
  it('records a member\'s own consent as ELECTRONIC, recorded by them, with a GRANTED event', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, neighbour] = members;
    const neighbourBefore = await consentsOfClient(neighbour.client.id);

    const res = await gql(sam.auth, GRANT_CONSENT, {
      input: { type: 'GOAL_SHARING', groupId: group.gid, purpose: 'Accountability with my group' },
    });
    const consent = ok(res).grantConsent.consent;
    expect(consent).toMatchObject({
      type: 'GOAL_SHARING',
      status: 'ACTIVE',
      provision: 'PERMIT',
      scopeKind: 'GROUP',
      method: 'ELECTRONIC',
      purpose: 'Accountability with my group',
      dataClasses: [],
      group: { id: group.gid },
      recordedBy: { kind: 'CLIENT', name: 'you' },
      revokedAt: null,
      history: [{ event: 'GRANTED', reason: null, actor: { kind: 'CLIENT' } }],
    });

    const row = await consentRow(uuidOf(consent.id));
    expect(row).toMatchObject({
      clinic_id: clinic.id,
      client_id: sam.client.id,
      type: 'GOAL_SHARING',
      scope_kind: 'GROUP',
      scope_group_id: group.id,
      scope_api_key_id: null,
      provision: 'PERMIT',
      method: 'ELECTRONIC',
      recorded_by_type: 'CLIENT',
      recorded_by_id: sam.client.id,
      revoked_at: null,
      data_classes: [],
    });
    expect(await consentEventRows(row.id)).toEqual([{ event: 'GRANTED', actor_type: 'CLIENT', actor_id: sam.client.id, reason: null }]);
    const [audit] = await ownerQuery(`SELECT actor_type, actor_id FROM audit_events WHERE action = 'CREATE' AND resource_id = $1`, [row.id]);
    expect(audit).toEqual({ actor_type: 'CLIENT', actor_id: sam.client.id });
    // The neighbour in the same group is untouched.
    expect(await consentsOfClient(neighbour.client.id)).toEqual(neighbourBefore);
  });

  it('lets staff record a signed-form or verbal consent on a client\'s behalf, with the document version', async () => {
    const { clinic, group, lead, members } = await activeGroup({ members: 2 });
    const [sam, neighbour] = members;
    const neighbourBefore = await consentsOfClient(neighbour.client.id);

    const signed = await grantConsent(clinic.admin.auth, { clientId: sam.client.gid, type: 'TREATMENT', method: 'SIGNED_FORM', documentVersion: 'intake-2026.1' });
    expect(signed.consent).toMatchObject({
      type: 'TREATMENT',
      status: 'ACTIVE',
      scopeKind: 'CLINIC',
      method: 'SIGNED_FORM',
      documentVersion: 'intake-2026.1',
      recordedBy: { kind: 'STAFF', name: clinic.admin.name, role: 'ADMIN' },
    });
    expect(await consentRow(signed.id)).toMatchObject({
      client_id: sam.client.id,
      scope_kind: 'CLINIC',
      method: 'SIGNED_FORM',
      document_version: 'intake-2026.1',
      recorded_by_type: 'STAFF',
      recorded_by_id: clinic.admin.id,
    });

    // The group's clinician records a verbal consent for a member of their group.
    const verbal = await grantConsent(lead.auth, { clientId: sam.client.gid, type: 'RECORDING', groupId: group.gid, method: 'VERBAL', documentVersion: 'v2' });
    expect(verbal.consent).toMatchObject({ type: 'RECORDING', scopeKind: 'GROUP', method: 'VERBAL', documentVersion: 'v2', recordedBy: { kind: 'STAFF', role: 'CLINICIAN' } });
    expect(await consentRow(verbal.id)).toMatchObject({ recorded_by_type: 'STAFF', recorded_by_id: lead.id, scope_group_id: group.id, method: 'VERBAL' });
    expect(await consentEventRows(verbal.id)).toEqual([{ event: 'GRANTED', actor_type: 'STAFF', actor_id: lead.id, reason: null }]);

    expect((await consentsOfClient(sam.client.id)).filter((c) => c.recorded_by_type === 'STAFF')).toHaveLength(2);
    expect(await consentsOfClient(neighbour.client.id)).toEqual(neighbourBefore);
  });

  it('refuses an ELECTRONIC (or method-less) consent recorded by staff: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const neighbour = await createClinic();
    for (const method of ['ELECTRONIC', undefined]) {
      const res = await expectRefused('BAD_USER_INPUT', [clinic.id, neighbour.id], () =>
        gql(clinic.admin.auth, GRANT_CONSENT, { input: { clientId: members[0].client.gid, type: 'TREATMENT', method } }),
      );
      expect(res.errors![0].extensions).toMatchObject({ field: 'method' });
    }
  });

  it('refuses a member granting consent for another client, of this clinic or another: NOT_FOUND, nothing stored', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const neighbour = await activeGroup({ members: 1 });
    await expectRefused('NOT_FOUND', [clinic.id, neighbour.clinic.id], () =>
      gql(sam.auth, GRANT_CONSENT, { input: { clientId: kim.client.gid, type: 'GOAL_SHARING', groupId: group.gid } }),
    );
    await expectRefused('NOT_FOUND', [clinic.id, neighbour.clinic.id], () =>
      gql(sam.auth, GRANT_CONSENT, { input: { clientId: neighbour.members[0].client.gid, type: 'TREATMENT' } }),
    );
    // A member may not record staff methods for themself either.
    await expectRefused('BAD_USER_INPUT', [clinic.id], () =>
      gql(sam.auth, GRANT_CONSENT, { input: { type: 'GOAL_SHARING', groupId: group.gid, method: 'SIGNED_FORM' } }),
    );
  });

  it('refuses an expiry in the past: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const res = await expectRefused('BAD_USER_INPUT', [clinic.id], () =>
      gql(members[0].auth, GRANT_CONSENT, {
        input: { type: 'GOAL_SHARING', groupId: group.gid, expiresAt: new Date(Date.now() - 60_000).toISOString() },
      }),
    );
    expect(res.errors![0].extensions).toMatchObject({ field: 'expiresAt' });
  });

  it('accepts an expiry in the future, and the consent is ACTIVE until then', async () => {
    const { group, members } = await activeGroup({ members: 1 });
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const granted = await grantConsent(members[0].auth, { type: 'GOAL_SHARING', groupId: group.gid, expiresAt });
    expect(granted.consent).toMatchObject({ status: 'ACTIVE', expiresAt });
    expect((await consentRow(granted.id)).expires_at.toISOString()).toBe(expiresAt);
  });

  it('answers NOT_FOUND for a group scope in another clinic, exactly as for a group that does not exist, and stores nothing', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const other = await activeGroup({ members: 1 });
    const foreign = await expectRefused('NOT_FOUND', [clinic.id, other.clinic.id], () =>
      gql(members[0].auth, GRANT_CONSENT, { input: { type: 'GOAL_SHARING', groupId: other.group.gid } }),
    );
    const missing = await gql(members[0].auth, GRANT_CONSENT, { input: { type: 'GOAL_SHARING', groupId: toGlobalId('TherapyGroup', randomUUID()) } });
    expect(foreign.body.errors).toEqual(missing.body.errors);
    // Staff cannot scope a consent to another clinic's group or integration either.
    const theirKey = await other.clinic.addApiKey(['goals:read']);
    await expectRefused('NOT_FOUND', [clinic.id, other.clinic.id], () =>
      gql(clinic.admin.auth, GRANT_CONSENT, {
        input: { clientId: members[0].client.gid, type: 'GOAL_SHARING', groupId: other.group.gid, method: 'SIGNED_FORM' },
      }),
    );
    await expectRefused('NOT_FOUND', [clinic.id, other.clinic.id], () =>
      gql(members[0].auth, GRANT_CONSENT, { input: { type: 'PARTNER_DATA_SHARING', integrationId: theirKey.gid } }),
    );
    // …and cannot record a consent for another clinic's client.
    await expectRefused('NOT_FOUND', [clinic.id, other.clinic.id], () =>
      gql(clinic.admin.auth, GRANT_CONSENT, { input: { clientId: other.members[0].client.gid, type: 'TREATMENT', method: 'SIGNED_FORM' } }),
    );
  });

  it('rejects an unknown consent type as a validation error, and stores nothing', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    // As a variable: the input does not coerce.
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(members[0].auth, GRANT_CONSENT, { input: { type: 'MARKETING' } }));
    // As a literal: the document does not validate.
    const literal = await expectRefused('GRAPHQL_VALIDATION_FAILED', [clinic.id], () =>
      gql(members[0].auth, `mutation { grantConsent(input: { type: MARKETING }) { consent { id } } }`),
    );
    expect(literal.status).toBe(400);
  });

  it('refuses scopes that do not fit the type: PARTNER_DATA_SHARING needs an integration, GROUP_AGREEMENT a group', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(members[0].auth, GRANT_CONSENT, { input: { type: 'PARTNER_DATA_SHARING' } }));
    await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(members[0].auth, GRANT_CONSENT, { input: { type: 'GROUP_AGREEMENT' } }));
  });
});

describe('revokeConsent and history', () => {
  it('revokes once, keeps what was granted, and shows GRANTED then REVOKED in the history', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, neighbour] = members;
    const granted = await grantConsent(sam.auth, { type: 'GOAL_SHARING', groupId: group.gid });
    const neighbourConsent = await grantConsent(neighbour.auth, { type: 'GOAL_SHARING', groupId: group.gid });
    const rowBefore = await consentRow(granted.id);
    const neighbourRowBefore = await consentRow(neighbourConsent.id);

    const revoked = await revokeConsent(sam.auth, granted, 'I want some privacy');
    expect(revoked).toMatchObject({
      id: granted.gid,
      status: 'REVOKED',
      revocationReason: 'I want some privacy',
      revokedBy: { kind: 'CLIENT', name: 'you' },
      history: [
        { event: 'GRANTED', reason: null, actor: { kind: 'CLIENT' } },
        { event: 'REVOKED', reason: 'I want some privacy', actor: { kind: 'CLIENT' } },
      ],
    });
    expect(revoked.revokedAt).not.toBeNull();

    // Append-only: everything granted is still there; only the revocation columns were filled.
    const rowAfter = await consentRow(granted.id);
    const { revoked_at, revoked_by_type, revoked_by_id, revocation_reason, ...rest } = rowAfter;
    const { revoked_at: _a, revoked_by_type: _b, revoked_by_id: _c, revocation_reason: _d, ...restBefore } = rowBefore;
    expect(rest).toEqual(restBefore);
    expect({ revoked_by_type, revoked_by_id, revocation_reason }).toEqual({ revoked_by_type: 'CLIENT', revoked_by_id: sam.client.id, revocation_reason: 'I want some privacy' });
    expect(revoked_at).toBeInstanceOf(Date);
    expect(await consentEventRows(granted.id)).toEqual([
      { event: 'GRANTED', actor_type: 'CLIENT', actor_id: sam.client.id, reason: null },
      { event: 'REVOKED', actor_type: 'CLIENT', actor_id: sam.client.id, reason: 'I want some privacy' },
    ]);
    expect(await consentRow(neighbourConsent.id)).toEqual(neighbourRowBefore);

    // Revoking again is a CONFLICT and changes nothing.
    const again = await expectRefused('CONFLICT', [clinic.id], () => gql(sam.auth, REVOKE_CONSENT, { input: { consentId: granted.gid, reason: 'again' } }));
    expect(again.errors![0].extensions).toMatchObject({ status: 'REVOKED' });
    expect(await consentRow(granted.id)).toEqual(rowAfter);
  });

  it('lets staff revoke on a member\'s behalf, recorded as staff', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const granted = await grantConsent(members[0].auth, { type: 'GOAL_SHARING', groupId: group.gid });
    const revoked = await revokeConsent(clinic.supervisor.auth, granted, 'Member asked by phone');
    expect(revoked).toMatchObject({ status: 'REVOKED', revokedBy: { kind: 'STAFF', name: clinic.supervisor.name, role: 'SUPERVISOR' } });
    expect(await consentRow(granted.id)).toMatchObject({ revoked_by_type: 'STAFF', revoked_by_id: clinic.supervisor.id });
  });

  it('derives the status: ACTIVE, REVOKED, and EXPIRED once the expiry has passed', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const sam = members[0];
    const active = await grantConsent(sam.auth, { type: 'GOAL_SHARING', groupId: group.gid });
    const revoked = await grantConsent(sam.auth, { type: 'CONTACT_SHARING' });
    await revokeConsent(sam.auth, revoked);
    const expired = await insertExpiredConsent(clinic.id, sam.client.id, 'RESEARCH');

    const mine = ok(await gql(sam.auth, MY_CONSENTS)).viewer.consents;
    const status = Object.fromEntries(mine.map((c: any) => [c.id, c.status]));
    expect(status[active.gid]).toBe('ACTIVE');
    expect(status[revoked.gid]).toBe('REVOKED');
    expect(status[expired.gid]).toBe('EXPIRED');
    // Staff see the same derived statuses.
    const staffView = consentNodes(ok(await gql(clinic.admin.auth, CONSENTS_OF, { clientId: sam.client.gid })));
    expect(Object.fromEntries(staffView.map((c: any) => [c.id, c.status]))).toEqual(status);
    // Newest first.
    expect(staffView.map((c: any) => c.id)).toEqual(mine.map((c: any) => c.id));
    expect(mine[mine.length - 1].id).toBe(expired.gid);
  });
});

describe('consent records are append-only in the database', () => {
  async function asServerRole<T>(clinicId: string, work: (db: PgClient) => Promise<T>): Promise<T> {
    const db = new PgClient({ connectionString: testEnv().appUrl });
    await db.connect();
    try {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.clinic_id', $1, true)`, [clinicId]);
      return await work(db);
    } finally {
      await db.query('ROLLBACK').catch(() => undefined);
      await db.end();
    }
  }

  it('refuses the server role any edit of what was granted, any deletion, and any change after revocation', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const active = await grantConsent(members[0].auth, { type: 'GOAL_SHARING', groupId: group.gid });
    const revoked = await grantConsent(members[0].auth, { type: 'CONTACT_SHARING' });
    await revokeConsent(members[0].auth, revoked, 'first reason');
    const before = await ownerQuery(`SELECT * FROM consent_records WHERE clinic_id = $1 ORDER BY id`, [clinic.id]);
    const eventsBefore = await ownerQuery(`SELECT * FROM consent_events WHERE clinic_id = $1 ORDER BY id`, [clinic.id]);

    const attempts: [string, unknown[]][] = [
      [`UPDATE consent_records SET type = 'RESEARCH' WHERE id = $1`, [active.id]],
      [`UPDATE consent_records SET provision = 'DENY' WHERE id = $1`, [active.id]],
      [`UPDATE consent_records SET granted_at = now() - interval '1 year' WHERE id = $1`, [active.id]],
      [`UPDATE consent_records SET revocation_reason = 'rewritten' WHERE id = $1`, [revoked.id]],
      [`UPDATE consent_records SET revoked_at = NULL, revoked_by_type = NULL, revoked_by_id = NULL WHERE id = $1`, [revoked.id]],
      [`DELETE FROM consent_records WHERE id = $1`, [active.id]],
      [`UPDATE consent_events SET event = 'REVOKED' WHERE consent_id = $1`, [active.id]],
      [`DELETE FROM consent_events WHERE consent_id = $1`, [revoked.id]],
    ];
    for (const [sql, params] of attempts) {
      await asServerRole(clinic.id, async (db) => {
        await expect(db.query(sql, params)).rejects.toMatchObject({ code: '42501' });
      });
    }
    expect(await ownerQuery(`SELECT * FROM consent_records WHERE clinic_id = $1 ORDER BY id`, [clinic.id])).toEqual(before);
    expect(await ownerQuery(`SELECT * FROM consent_events WHERE clinic_id = $1 ORDER BY id`, [clinic.id])).toEqual(eventsBefore);
  });

  it('lets the server role bring forward, once, only the expiry of a consent that lapses on an event (session 15)', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const open = await grantConsent(members[0].auth, { type: 'RESEARCH' });
    const untilDone = await grantConsent(members[0].auth, { type: 'TREATMENT', expiresOn: 'MEMBERSHIP_ENDS' });
    const before = await ownerQuery(`SELECT * FROM consent_records WHERE clinic_id = $1 ORDER BY id`, [clinic.id]);
    for (const [sql, params] of [
      [`UPDATE consent_records SET expires_at = now() WHERE id = $1`, [open.id]],
      [`UPDATE consent_records SET expires_on = NULL WHERE id = $1`, [untilDone.id]],
      [`UPDATE consent_records SET expires_at = now(), purpose = 'rewritten' WHERE id = $1`, [untilDone.id]],
      // A lapse is at the moment it happens: neither backdated (before disclosures it covered) nor set ahead.
      [`UPDATE consent_records SET expires_at = now() - interval '1 hour' WHERE id = $1`, [untilDone.id]],
      [`UPDATE consent_records SET expires_at = now() + interval '1 day' WHERE id = $1`, [untilDone.id]],
    ] as const) {
      await asServerRole(clinic.id, async (db) => {
        await expect(db.query(sql, [...params])).rejects.toMatchObject({ code: '42501' });
      });
    }
    expect(await ownerQuery(`SELECT * FROM consent_records WHERE clinic_id = $1 ORDER BY id`, [clinic.id])).toEqual(before);
    // The lapse itself, then no second one.
    await asServerRole(clinic.id, async (db) => {
      await db.query(`UPDATE consent_records SET expires_at = now() WHERE id = $1`, [untilDone.id]);
      await expect(db.query(`UPDATE consent_records SET expires_at = now() - interval '1 second' WHERE id = $1`, [untilDone.id])).rejects.toMatchObject({ code: '42501' });
    });
  });
});

describe('a member\'s consents are theirs alone', () => {
  it('shows a member only their own consents through viewer.consents', async () => {
    const { group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const kims = await grantConsent(kim.auth, { type: 'GOAL_SHARING', groupId: group.gid });
    const sams = ok(await gql(sam.auth, MY_CONSENTS)).viewer.consents;
    expect(sams.map((c: any) => c.id)).not.toContain(kims.gid);
    // Sam's list is exactly Sam's stored consents (the GROUP_AGREEMENT recorded at acceptance).
    const stored = await consentsOfClient(sam.client.id);
    expect(sams.map((c: any) => uuidOf(c.id)).sort()).toEqual(stored.map((r) => r.id).sort());
    expect(sams.map((c: any) => c.type)).toEqual(['GROUP_AGREEMENT']);
  });

  it('refuses a member another member\'s consents by every path, and changes nothing', async () => {
    const { clinic, group, members } = await activeGroup({ members: 2 });
    const [sam, kim] = members;
    const kims = await grantConsent(kim.auth, { type: 'GOAL_SHARING', groupId: group.gid });
    const auditBefore = await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'READ' AND resource_id = $1`, [kims.id]);

    await expectRefused('FORBIDDEN', [clinic.id], () => gql(sam.auth, CONSENTS_OF, { clientId: kim.client.gid }));
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(sam.auth, CONSENTS_OF, { clientId: sam.client.gid }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, CONSENT_NODE, { id: kims.gid }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(sam.auth, REVOKE_CONSENT, { input: { consentId: kims.gid } }));
    expect(await consentRow(kims.id)).toMatchObject({ revoked_at: null });
    // Nothing of Kim's consent was released to Sam (no READ audited for it).
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'READ' AND resource_id = $1`, [kims.id])).toEqual(auditBefore);
    // Kim still sees it, active.
    expect(ok(await gql(kim.auth, CONSENT_NODE, { id: kims.gid })).node).toEqual({ id: kims.gid, type: 'GOAL_SHARING', status: 'ACTIVE' });
  });

  it('answers NOT_FOUND to staff of another clinic, by consents(clientId:), node(id:) and revokeConsent', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const other = await createClinic();
    const granted = await grantConsent(members[0].auth, { type: 'GOAL_SHARING', groupId: group.gid });
    for (const staff of [other.admin, other.supervisor, other.clinician]) {
      const foreign = await expectRefused('NOT_FOUND', [clinic.id, other.id], () => gql(staff.auth, CONSENTS_OF, { clientId: members[0].client.gid }));
      const missing = await gql(staff.auth, CONSENTS_OF, { clientId: toGlobalId('Client', randomUUID()) });
      expect(foreign.body.errors).toEqual(missing.body.errors);
      await expectRefused('NOT_FOUND', [clinic.id, other.id], () => gql(staff.auth, CONSENT_NODE, { id: granted.gid }));
      await expectRefused('NOT_FOUND', [clinic.id, other.id], () => gql(staff.auth, REVOKE_CONSENT, { input: { consentId: granted.gid } }));
    }
    expect(await consentRow(granted.id)).toMatchObject({ revoked_at: null });
  });

  it('answers NOT_FOUND to a clinician who does not facilitate the client\'s group', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const outsider = await clinic.addStaff('CLINICIAN');
    const granted = await grantConsent(members[0].auth, { type: 'GOAL_SHARING', groupId: group.gid });
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(outsider.auth, CONSENTS_OF, { clientId: members[0].client.gid }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(outsider.auth, REVOKE_CONSENT, { input: { consentId: granted.gid } }));
    await expectRefused('NOT_FOUND', [clinic.id], () =>
      gql(outsider.auth, GRANT_CONSENT, { input: { clientId: members[0].client.gid, type: 'TREATMENT', method: 'VERBAL' } }),
    );
    // The group's own clinician reads them.
    const lead = consentNodes(ok(await gql(clinic.clinician.auth, CONSENTS_OF, { clientId: members[0].client.gid })));
    expect(lead.map((c: any) => c.id)).toContain(granted.gid);
  });

  it('shows an integration with consent:read only the PARTNER_DATA_SHARING consents that name it', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const key = await clinic.addApiKey(['consent:read'], 'Reader');
    const otherKey = await clinic.addApiKey(['consent:read'], 'Other reader');
    const naming = await grantConsent(members[0].auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const namingOther = await grantConsent(members[0].auth, { type: 'PARTNER_DATA_SHARING', integrationId: otherKey.gid });
    const sharing = await grantConsent(members[0].auth, { type: 'GOAL_SHARING', groupId: group.gid });
    expect(ok(await gql(key.auth, CONSENT_NODE, { id: naming.gid })).node).toEqual({ id: naming.gid, type: 'PARTNER_DATA_SHARING', status: 'ACTIVE' });
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(key.auth, CONSENT_NODE, { id: namingOther.gid }));
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(key.auth, CONSENT_NODE, { id: sharing.gid }));
    // Without the scope, not even its own.
    const plain = await clinic.addApiKey(['roster:read']);
    await expectRefused('NOT_FOUND', [clinic.id], () => gql(plain.auth, CONSENT_NODE, { id: naming.gid }));
  });

  it('names the staff who recorded a consent only to integrations with a roster scope (staff names are roster data)', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const reader = await clinic.addApiKey(['consent:read'], 'Reader');
    const rosterReader = await clinic.addApiKey(['consent:read', 'roster:read'], 'Roster reader');
    const Q = `query($id: ID!) { node(id: $id) { ... on ConsentRecord { recordedBy { kind name role } history { event actor { kind name role } } } } }`;
    for (const key of [reader, rosterReader]) {
      const consent = await grantConsent(clinic.supervisor.auth, {
        clientId: members[0].client.gid, type: 'PARTNER_DATA_SHARING', integrationId: key.gid, method: 'SIGNED_FORM', documentVersion: 'pds-1',
      });
      const seen = ok(await gql(key.auth, Q, { id: consent.gid })).node;
      const staff = key === reader ? { kind: 'STAFF', name: null, role: null } : { kind: 'STAFF', name: clinic.supervisor.name, role: 'SUPERVISOR' };
      expect(seen.recordedBy).toEqual(staff);
      expect(seen.history).toEqual([{ event: 'GRANTED', actor: staff }]);
      // Staff of the clinic still see who recorded it.
      expect(ok(await gql(clinic.admin.auth, Q, { id: consent.gid })).node.recordedBy).toEqual({ kind: 'STAFF', name: clinic.supervisor.name, role: 'SUPERVISOR' });
    }
  });

  it('refuses integrations the consent mutations', async () => {
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const key = await clinic.addApiKey(['roster:read', 'roster:write', 'goals:read', 'consent:read']);
    await expectRefused('FORBIDDEN', [clinic.id], () =>
      gql(key.auth, GRANT_CONSENT, { input: { clientId: members[0].client.gid, type: 'PARTNER_DATA_SHARING', integrationId: key.gid, method: 'SIGNED_FORM' } }),
    );
    const granted = await grantConsent(members[0].auth, { type: 'GOAL_SHARING', groupId: group.gid });
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(key.auth, REVOKE_CONSENT, { input: { consentId: granted.gid } }));
  });
});

describe('consents(clientId:) a page at a time', () => {
  const nodeIds = (data: any): string[] => consentNodes(data).map((c: { id: string }) => c.id);
  const consentReads = (clinicId: string) =>
    ownerQuery(`SELECT resource_id FROM audit_events WHERE clinic_id = $1 AND resource_type = 'ConsentRecord' AND action = 'READ' ORDER BY id`, [clinicId]);

  /** Kim in the lead clinician's group and in another clinician's, with consents for each and a clinic-wide one (revoked). */
  async function twoGroups() {
    const w = await memberInTwoGroups();
    const { kim, g2 } = w;
    const goalsHere = await grantConsent(kim.auth, { type: 'GOAL_SHARING', groupId: w.group.gid });
    const goalsThere = await grantConsent(kim.auth, { type: 'GOAL_SHARING', groupId: g2.gid });
    const contact = await grantConsent(kim.auth, { type: 'CONTACT_SHARING' });
    await revokeConsent(kim.auth, contact);
    return { ...w, goalsHere, goalsThere, contact };
  }

  it('pages newest first with keyset cursors; a clinician\'s pages are chosen among the consents they may see, so each is full', async () => {
    const w = await twoGroups();
    const all = consentNodes(ok(await gql(w.clinic.admin.auth, CONSENTS_OF, { clientId: w.kim.client.gid })));
    // Two agreements, two GOAL_SHARING, one CONTACT_SHARING.
    expect(all).toHaveLength(5);
    const theirs = all.filter((c: { group: { id: string } | null }) => !c.group || c.group.id === w.group.gid).map((c: { id: string }) => c.id);
    expect(theirs).toHaveLength(3);
    expect(theirs).not.toContain(w.goalsThere.gid);

    const reads = (await consentReads(w.clinic.id)).length;
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const data: any = ok(await gql(w.clinic.clinician.auth, CONSENTS_OF, { clientId: w.kim.client.gid, first: 2, after }));
      pages.push(nodeIds(data));
      after = data.consents.pageInfo.hasNextPage ? data.consents.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([theirs.slice(0, 2), theirs.slice(2)]);
    // Each page's consents are audited, and nothing else (not the row read to tell whether more follow).
    expect((await consentReads(w.clinic.id)).slice(reads).map((r: { resource_id: string }) => r.resource_id).sort()).toEqual(theirs.map(uuidOf).sort());
  });

  it('filters by type and by status as of the request', async () => {
    const w = await twoGroups();
    const admin = w.clinic.admin.auth;
    const ids = async (filter: Record<string, unknown>) => nodeIds(ok(await gql(admin, CONSENTS_OF, { clientId: w.kim.client.gid, filter })));
    expect(await ids({ type: ['GOAL_SHARING'] })).toEqual([w.goalsThere.gid, w.goalsHere.gid]);
    expect(await ids({ status: ['REVOKED'] })).toEqual([w.contact.gid]);
    expect(await ids({ type: ['CONTACT_SHARING'], status: ['ACTIVE'] })).toEqual([]);
    expect((await ids({ status: ['ACTIVE'] })).sort()).toEqual(
      consentNodes(ok(await gql(admin, CONSENTS_OF, { clientId: w.kim.client.gid }))).filter((c: { status: string }) => c.status === 'ACTIVE').map((c: { id: string }) => c.id).sort(),
    );
    // The neighbouring client's consents never join the list.
    const sam = (await activeGroup({ clinic: w.clinic, members: 1 })).members[0];
    await grantConsent(sam.auth, { type: 'CONTACT_SHARING' });
    expect(await ids({ type: ['CONTACT_SHARING'] })).toEqual([w.contact.gid]);
  });

  it('refuses a size out of 1–100 or a cursor it did not give as BAD_USER_INPUT, before anything is read or audited', async () => {
    const w = await twoGroups();
    const trail = await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE clinic_id = $1`, [w.clinic.id]);
    const forged = Buffer.from(JSON.stringify(['2026-01-01 00:00:00+00', 'not-a-uuid'])).toString('base64url');
    for (const variables of [{ first: 0 }, { first: 101 }, { after: 'garbage' }, { after: forged }]) {
      const res = await gql(w.clinic.admin.auth, CONSENTS_OF, { clientId: w.kim.client.gid, ...variables });
      expect(res.codes).toEqual(['BAD_USER_INPUT']);
      expect(res.data).toBeNull();
    }
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE clinic_id = $1`, [w.clinic.id])).toEqual(trail);
  });
});

describe('who records a sharing decision beyond one group', () => {
  const consentCount = async (clinicId: string) => (await ownerQuery(`SELECT count(*)::int AS n FROM consent_records WHERE clinic_id = $1`, [clinicId]))[0].n;

  it('a clinician records GOAL_SHARING and CONTACT_SHARING only for a group they facilitate, and PARTNER_DATA_SHARING never, whatever other groups the client is in', async () => {
    // Kim is only in the clinician's own group: the answer cannot depend on groups the clinician does not see.
    const { clinic, group, members } = await activeGroup({ members: 1 });
    const kim = members[0];
    const key = await clinic.addApiKey(['goals:read'], 'Partner app');
    const asClinician = (input: Record<string, unknown>) => gql(clinic.clinician.auth, GRANT_CONSENT, { input: { clientId: kim.client.gid, method: 'SIGNED_FORM', ...input } });
    for (const input of [
      { type: 'GOAL_SHARING' },
      { type: 'CONTACT_SHARING' },
      { type: 'GOAL_SHARING', provision: 'DENY' },
      { type: 'PARTNER_DATA_SHARING', integrationId: key.gid },
    ]) {
      const refused = await expectRefused('FORBIDDEN', [clinic.id], () => asClinician(input));
      // PARTNER_DATA_SHARING has no group form: the refusal must not send the caller to groupId.
      if (input.type === 'PARTNER_DATA_SHARING') expect(refused.body.errors![0].message).toMatch(/member, or a supervisor on their behalf/);
    }
    // For their group, and consents that share nothing with others, as before.
    expect(ok(await asClinician({ type: 'GOAL_SHARING', groupId: group.gid })).grantConsent.consent.scopeKind).toBe('GROUP');
    expect(ok(await asClinician({ type: 'TREATMENT' })).grantConsent.consent.scopeKind).toBe('CLINIC');
    // Nor does a clinician revoke the member's own clinic-wide decision.
    const wide = await grantConsent(kim.auth, { type: 'CONTACT_SHARING' });
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.clinician.auth, REVOKE_CONSENT, { input: { consentId: wide.gid } }));
    expect(await consentRow(wide.id)).toMatchObject({ revoked_at: null });
    // A supervisor may, for the client.
    expect(ok(await gql(clinic.supervisor.auth, GRANT_CONSENT, { input: { clientId: kim.client.gid, type: 'GOAL_SHARING', method: 'VERBAL' } })).grantConsent.consent.scopeKind).toBe('CLINIC');
  });

  it('an admin does not record a PARTNER_DATA_SHARING permit (nor revoke a DENY), so no key an admin made reads goals by a consent they wrote; they may record a DENY or revoke a permit', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const kim = members[0];
    const key = await clinic.addApiKey(['goals:read'], 'Admin-made key');
    await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE' });
    const asAdmin = (provision: string) =>
      gql(clinic.admin.auth, GRANT_CONSENT, { input: { clientId: kim.client.gid, type: 'PARTNER_DATA_SHARING', integrationId: key.gid, provision, method: 'SIGNED_FORM' } });
    const before = await consentCount(clinic.id);
    await expectRefused('FORBIDDEN', [clinic.id], () => asAdmin('PERMIT'));
    expect(await consentCount(clinic.id)).toBe(before);
    expect(ok(await gql(key.auth, `{ goals(first: 10) { edges { node { id } } } }`)).goals.edges).toEqual([]);

    const deny = ok(await asAdmin('DENY')).grantConsent.consent;
    expect(deny).toMatchObject({ provision: 'DENY', status: 'ACTIVE' });
    await expectRefused('FORBIDDEN', [clinic.id], () => gql(clinic.admin.auth, REVOKE_CONSENT, { input: { consentId: deny.id } }));
    const permit = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    expect(ok(await gql(clinic.admin.auth, REVOKE_CONSENT, { input: { consentId: permit.gid } })).revokeConsent.consent.status).toBe('REVOKED');
  });

  it('refuses a consent naming a revoked key as it refuses an unknown one: NOT_FOUND, nothing stored', async () => {
    const { clinic, members } = await activeGroup({ members: 1 });
    const key = await clinic.addApiKey(['goals:read'], 'Retired app');
    ok(await gql(clinic.admin.auth, `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }`, { id: key.gid }));
    const revoked = await expectRefused('NOT_FOUND', [clinic.id], () =>
      gql(members[0].auth, GRANT_CONSENT, { input: { type: 'PARTNER_DATA_SHARING', integrationId: key.gid } }),
    );
    const unknown = await gql(members[0].auth, GRANT_CONSENT, { input: { type: 'PARTNER_DATA_SHARING', integrationId: toGlobalId('ApiKey', randomUUID()) } });
    expect(revoked.body.errors).toEqual(unknown.body.errors);
  });
});

describe('consent that lapses when the membership ends (expiresOn, session 15)', () => {
  const CONSENT = `query($id: ID!) { node(id: $id) { ... on ConsentRecord { status expiresAt expiresOn history { event reason } } } }`;
  const end = async (auth: string, membershipGid: string, status: string) =>
    ok(await gql(auth, CHANGE_MEMBERSHIP_STATUS, { input: { membershipId: membershipGid, status, reason: 'Finished the program' } }));

  it('a partner app\'s access given until participation ends stops when the last membership ends: EXPIRED, a LAPSED event, audited; other consents stand', async () => {
    const { clinic, lead, members } = await activeGroup({ members: 2 });
    const [kim, lee] = members;
    const goal = await createGoal(kim, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE' });
    await createGoal(lee, { visibility: 'PRIVATE', lifecycleStatus: 'ACTIVE' });
    const key = await clinic.addApiKey(['goals:read'], 'Coach App');
    const untilDone = await grantConsent(kim.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid, expiresOn: 'MEMBERSHIP_ENDS' });
    expect(untilDone.consent).toMatchObject({ status: 'ACTIVE', expiresAt: null });
    const research = await grantConsent(kim.auth, { type: 'RESEARCH' });
    const leesOpenEnded = await grantConsent(lee.auth, { type: 'PARTNER_DATA_SHARING', integrationId: key.gid });
    const READ = `{ goals(first: 100) { edges { node { id } } } }`;
    const seen = async () => ok(await gql(key.auth, READ)).goals.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(await seen()).toContain(goal.gid);
    const leesBefore = await consentRow(leesOpenEnded.id);

    await end(lead.auth, kim.membershipGid, 'COMPLETED');

    const lapsed = ok(await gql(kim.auth, CONSENT, { id: untilDone.gid })).node;
    expect(lapsed).toEqual({ status: 'EXPIRED', expiresAt: expect.any(String), expiresOn: 'MEMBERSHIP_ENDS', history: [
      { event: 'GRANTED', reason: null }, { event: 'LAPSED', reason: 'MEMBERSHIP_ENDS' },
    ] });
    expect(await consentEventRows(untilDone.id)).toEqual([
      { event: 'GRANTED', actor_type: 'CLIENT', actor_id: kim.client.id, reason: null },
      { event: 'LAPSED', actor_type: 'SYSTEM', actor_id: null, reason: 'MEMBERSHIP_ENDS' },
    ]);
    const audits = await ownerQuery(`SELECT action, actor_id, subject_client_id FROM audit_events WHERE resource_id = $1 AND action = 'UPDATE'`, [untilDone.id]);
    expect(audits).toEqual([{ action: 'UPDATE', actor_id: lead.id, subject_client_id: kim.client.id }]);
    // The app reads nothing more of Kim's; Lee's open-ended consent and Kim's other consent stand.
    expect(await seen()).not.toContain(goal.gid);
    expect((await seen()).length).toBeGreaterThan(0);
    expect(await consentRow(leesOpenEnded.id)).toEqual(leesBefore);
    expect((await consentRow(research.id)).expires_at).toBeNull();
  });

  it('one scoped to a group lapses when that membership ends; a clinic-wide one only when the last open membership does', async () => {
    const { clinic, group, kim, g2 } = await memberInTwoGroups();
    const inFirst = await grantConsent(kim.auth, { type: 'GOAL_SHARING', groupId: group.gid, expiresOn: 'MEMBERSHIP_ENDS' });
    const clinicWide = await grantConsent(kim.auth, { type: 'CONTACT_SHARING', expiresOn: 'MEMBERSHIP_ENDS' });
    const [second] = await ownerQuery(`SELECT id FROM memberships WHERE client_id = $1 AND group_id = $2`, [kim.client.id, g2.id]);

    await end(clinic.admin.auth, kim.membershipGid, 'WITHDRAWN');
    expect((await consentRow(inFirst.id)).expires_at).not.toBeNull();
    expect((await consentRow(clinicWide.id)).expires_at).toBeNull();
    expect(ok(await gql(kim.auth, CONSENT, { id: clinicWide.gid })).node.status).toBe('ACTIVE');

    await end(clinic.admin.auth, toGlobalId('Membership', second.id), 'DISCHARGED');
    expect(ok(await gql(kim.auth, CONSENT, { id: clinicWide.gid })).node).toMatchObject({ status: 'EXPIRED', expiresOn: 'MEMBERSHIP_ENDS' });
  });

  it('is refused for a DENY, for the alumni directory and once the membership has ended: BAD_USER_INPUT, nothing stored', async () => {
    const { clinic, group, lead, members } = await activeGroup({ members: 2 });
    const [kim] = members;
    await end(lead.auth, kim.membershipGid, 'COMPLETED');
    const [lee] = members.slice(1);
    const before = await consentsOfClient(lee.client.id);
    const kimBefore = await consentsOfClient(kim.client.id);
    for (const [auth, input] of [
      [lee.auth, { type: 'GOAL_SHARING', provision: 'DENY', expiresOn: 'MEMBERSHIP_ENDS' }],
      [lee.auth, { type: 'ALUMNI_DIRECTORY', groupId: group.gid, expiresOn: 'MEMBERSHIP_ENDS' }],
      [kim.auth, { type: 'GOAL_SHARING', groupId: group.gid, expiresOn: 'MEMBERSHIP_ENDS' }],
      [kim.auth, { type: 'RESEARCH', expiresOn: 'MEMBERSHIP_ENDS' }],
    ] as const) {
      const res = await expectRefused('BAD_USER_INPUT', [clinic.id], () => gql(auth, GRANT_CONSENT, { input }));
      expect(res.errors![0].extensions).toMatchObject({ field: 'expiresOn' });
    }
    expect(await consentsOfClient(lee.client.id)).toEqual(before);
    expect(await consentsOfClient(kim.client.id)).toEqual(kimBefore);
  });
});
