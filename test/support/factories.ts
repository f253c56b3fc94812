import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { generateApiKey } from '../../src/auth/api-key-secret';
import { signDevToken } from '../../src/auth/tokens';
import { toGlobalId } from '../../src/common/global-id';
import { TEST_AUDIENCE, TEST_ISSUER, testEnv } from './test-env';

let ownerPool: Pool | undefined;

/** The owner (superuser) connection: for arranging rows and asserting stored state past RLS. */
export function owner(): Pool {
  ownerPool ??= new Pool({ connectionString: testEnv().ownerUrl, max: 3 });
  return ownerPool;
}

export async function closeOwner() {
  await ownerPool?.end();
  ownerPool = undefined;
}

export async function ownerQuery<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await owner().query(sql, params)).rows as T[];
}

export type Role = 'ADMIN' | 'SUPERVISOR' | 'CLINICIAN' | 'MEMBER';

export async function tokenFor(clinicId: string, sub: string, role: Role, options: { expiresIn?: string | number } = {}) {
  const env = testEnv();
  const jwt = await signDevToken(
    { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: env.jwtSecret },
    { sub, clinicId, role },
    options.expiresIn ?? '1h',
  );
  return `Bearer ${jwt}`;
}

export interface StaffFixture {
  id: string;
  gid: string;
  auth: string;
  name: string;
}

export interface ClientFixture {
  id: string;
  gid: string;
  auth: string;
  givenName: string;
  familyName: string;
}

export interface ClinicFixture {
  id: string;
  gid: string;
  slug: string;
  admin: StaffFixture;
  supervisor: StaffFixture;
  clinician: StaffFixture;
  addStaff(role: 'ADMIN' | 'SUPERVISOR' | 'CLINICIAN', name?: string): Promise<StaffFixture>;
  addClient(fields?: Partial<{ givenName: string; familyName: string; preferredName: string | null; email: string | null; phone: string | null }>): Promise<ClientFixture>;
  addApiKey(scopes: string[], name?: string): Promise<{ id: string; gid: string; auth: string }>;
}

let counter = 0;

/** A fresh clinic with one admin, supervisor and clinician; every test builds its own. */
export async function createClinic(name = 'Test Clinic', timezone = 'America/New_York'): Promise<ClinicFixture> {
  const id = randomUUID();
  const slug = `t-${id.slice(0, 8)}-${++counter}`;
  await ownerQuery(`INSERT INTO clinics (id, name, slug, timezone) VALUES ($1, $2, $3, $4)`, [id, name, slug, timezone]);

  const addStaff = async (role: 'ADMIN' | 'SUPERVISOR' | 'CLINICIAN', staffName?: string): Promise<StaffFixture> => {
    const n = staffName ?? `${role.toLowerCase()} ${++counter}`;
    const [row] = await ownerQuery<{ id: string }>(
      `INSERT INTO staff_members (clinic_id, name, email, role) VALUES ($1, $2, $3, $4) RETURNING id`,
      [id, n, `${role.toLowerCase()}-${randomUUID().slice(0, 8)}@clinic.test`, role],
    );
    return { id: row.id, gid: toGlobalId('StaffMember', row.id), auth: await tokenFor(id, row.id, role), name: n };
  };
  const addClient: ClinicFixture['addClient'] = async (fields = {}) => {
    const givenName = fields.givenName ?? `Given${++counter}`;
    const familyName = fields.familyName ?? `Family${counter}`;
    const [row] = await ownerQuery<{ id: string }>(
      `INSERT INTO clients (clinic_id, given_name, family_name, preferred_name, email, phone)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [id, givenName, familyName, fields.preferredName ?? null, fields.email === undefined ? `${givenName.toLowerCase()}@example.test` : fields.email, fields.phone ?? null],
    );
    return { id: row.id, gid: toGlobalId('Client', row.id), auth: await tokenFor(id, row.id, 'MEMBER'), givenName, familyName };
  };
  const addApiKey: ClinicFixture['addApiKey'] = async (scopes, keyName = 'Test integration') => {
    const key = generateApiKey();
    const [row] = await ownerQuery<{ id: string }>(
      `INSERT INTO api_keys (clinic_id, name, key_prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [id, keyName, key.prefix, key.hash, scopes],
    );
    return { id: row.id, gid: toGlobalId('ApiKey', row.id), auth: `Bearer ${key.key}` };
  };

  return {
    id,
    gid: toGlobalId('Clinic', id),
    slug,
    admin: await addStaff('ADMIN'),
    supervisor: await addStaff('SUPERVISOR'),
    clinician: await addStaff('CLINICIAN'),
    addStaff,
    addClient,
    addApiKey,
  };
}

/**
 * Archives a group as a database from before session 13 may hold one: with memberships left open
 * (the API now refuses to archive such a group), to prove old rows stay read-only history.
 */
export const archiveLeavingMembershipsOpen = (groupId: string) =>
  ownerQuery(`UPDATE therapy_groups SET status = 'ARCHIVED' WHERE id = $1 AND status = 'CONCLUDED'`, [groupId]);
