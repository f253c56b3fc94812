import { SignJWT, UnsecuredJWT } from 'jose';
import { createClinic, ownerQuery, tokenFor } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { TEST_AUDIENCE, TEST_ISSUER, testEnv } from '../support/test-env';
import { ownerConnection, waitForLockWaiters } from '../sync/sync-fixtures';

const VIEWER = `{ viewer { kind } }`;

async function signed(claims: Record<string, unknown>, opts: { secret?: string; audience?: string; issuer?: string; exp?: number | string } = {}) {
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(opts.issuer ?? TEST_ISSUER)
    .setAudience(opts.audience ?? TEST_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '1h')
    .sign(new TextEncoder().encode(opts.secret ?? testEnv().jwtSecret));
  return `Bearer ${jwt}`;
}

describe('authentication', () => {
  it('accepts a valid staff token', async () => {
    const clinic = await createClinic();
    const res = await gql(clinic.admin.auth, VIEWER);
    expect(res.errors).toBeUndefined();
    expect(res.data.viewer.kind).toBe('STAFF');
  });

  it('refuses a request without credentials', async () => {
    expectError(await gql(undefined, VIEWER), 'UNAUTHENTICATED');
  });

  it('stops accepting a token the moment it expires, although it was verified (and remembered) before', async () => {
    const clinic = await createClinic();
    const claims = { sub: clinic.admin.id, clinic_id: clinic.id, role: 'ADMIN' };
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const auth = await signed(claims, { exp: expiresAt });
    expect((await gql(auth, VIEWER)).data.viewer.kind).toBe('STAFF');
    expect((await gql(auth, VIEWER)).data.viewer.kind).toBe('STAFF');
    // The same token with its signature altered is not taken for the remembered one.
    const [h, p, sig] = auth.slice(7).split('.');
    const tampered = `Bearer ${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    expectError(await gql(tampered, VIEWER), 'UNAUTHENTICATED');
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt * 1000 - Date.now()) + 50));
    expectError(await gql(auth, VIEWER), 'UNAUTHENTICATED');
  });

  it('refuses expired, wrong-signature, alg:none, wrong-audience and wrong-issuer tokens', async () => {
    const clinic = await createClinic();
    const claims = { sub: clinic.admin.id, clinic_id: clinic.id, role: 'ADMIN' };
    const bad = [
      await signed(claims, { exp: Math.floor(Date.now() / 1000) - 60 }),
      await signed(claims, { secret: 'another-secret-that-is-long-enough-to-sign' }),
      `Bearer ${new UnsecuredJWT(claims).setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setExpirationTime('1h').encode()}`,
      await signed(claims, { audience: 'someone-else' }),
      await signed(claims, { issuer: 'someone-else' }),
      'Bearer not-a-token',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
    ];
    for (const auth of bad) expectError(await gql(auth, VIEWER), 'UNAUTHENTICATED');
    // and the good one still works, so the refusals above were about the tokens
    expect((await gql(await signed(claims), VIEWER)).data.viewer.kind).toBe('STAFF');
  });

  it('refuses a token without exp', async () => {
    const clinic = await createClinic();
    const jwt = await new SignJWT({ sub: clinic.admin.id, clinic_id: clinic.id, role: 'ADMIN' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .sign(new TextEncoder().encode(testEnv().jwtSecret));
    expectError(await gql(`Bearer ${jwt}`, VIEWER), 'UNAUTHENTICATED');
  });

  it('refuses a token whose role claim disagrees with the stored role, or whose staff member is inactive', async () => {
    const clinic = await createClinic();
    expectError(await gql(await tokenFor(clinic.id, clinic.clinician.id, 'ADMIN'), VIEWER), 'UNAUTHENTICATED');
    await ownerQuery(`UPDATE staff_members SET active = false WHERE id = $1`, [clinic.supervisor.id]);
    expectError(await gql(clinic.supervisor.auth, VIEWER), 'UNAUTHENTICATED');
  });

  it('refuses a token naming a clinic the subject does not belong to', async () => {
    const a = await createClinic();
    const b = await createClinic();
    expectError(await gql(await tokenFor(b.id, a.admin.id, 'ADMIN'), VIEWER), 'UNAUTHENTICATED');
  });

  it('accepts an API key, records lastUsedAt, and refuses it on the next request after revocation', async () => {
    const clinic = await createClinic();
    const key = await clinic.addApiKey(['roster:read']);
    const ok = await gql(key.auth, `{ viewer { kind scopes apiKey { name } } }`);
    expect(ok.data.viewer).toEqual({ kind: 'INTEGRATION', scopes: ['ROSTER_READ'], apiKey: { name: 'Test integration' } });
    // Recorded beside the request, not inside it: wait for it briefly.
    let used: { last_used_at: Date | null } | undefined;
    for (let i = 0; i < 100 && !used?.last_used_at; i++) {
      [used] = await ownerQuery(`SELECT last_used_at FROM api_keys WHERE id = $1`, [key.id]);
      if (!used?.last_used_at) await new Promise((r) => setTimeout(r, 20));
    }
    expect(used?.last_used_at).not.toBeNull();

    const revoke = await gql(clinic.admin.auth, `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }`, { id: key.gid });
    expect(revoke.errors).toBeUndefined();
    expect(revoke.data.revokeApiKey.apiKey.revokedAt).toBeTruthy();
    expectError(await gql(key.auth, VIEWER), 'UNAUTHENTICATED');
  });

  it('refuses an unknown API key', async () => {
    expectError(await gql('Bearer kin_thisKeyDoesNotExistAnywhere000000000000000', VIEWER), 'UNAUTHENTICATED');
  });
});

describe('revoking an API key', () => {
  it('revokes once: an admin whose revocation waited behind another\'s gets CONFLICT, and the first stays as recorded', async () => {
    const clinic = await createClinic('Revocation Race Clinic');
    const other = await clinic.addStaff('ADMIN', 'Other Admin');
    const key = await clinic.addApiKey(['roster:read'], 'Raced key');
    const neighbour = await clinic.addApiKey(['roster:read'], 'Neighbour key');
    // The other admin's revocation is under way (its row lock held) when ours reads the key as live.
    const held = await ownerConnection();
    try {
      await held.query('BEGIN');
      await held.query(`UPDATE api_keys SET revoked_at = now() - interval '1 minute', revoked_by_staff_id = $2 WHERE id = $1`, [key.id, other.id]);
      const ours = gql(clinic.admin.auth, `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }`, { id: key.gid });
      await waitForLockWaiters(1);
      await held.query('COMMIT');
      const res = await ours;
      expectError(res, 'CONFLICT');
      expect(res.data).toBeNull();
      const requestId = res.body.extensions!.requestId;
      expect(await ownerQuery(`SELECT action FROM audit_events WHERE request_id = $1`, [requestId])).toEqual([]);
    } finally {
      await held.end();
    }
    const [stored] = await ownerQuery(`SELECT revoked_by_staff_id, revoked_at < now() - interval '30 seconds' AS kept FROM api_keys WHERE id = $1`, [key.id]);
    expect(stored).toEqual({ revoked_by_staff_id: other.id, kept: true });
    expect((await ownerQuery(`SELECT revoked_at FROM api_keys WHERE id = $1`, [neighbour.id]))[0].revoked_at).toBeNull();
  });
});
