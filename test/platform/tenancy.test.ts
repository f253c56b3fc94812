import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { toGlobalId } from '../../src/common/global-id';
import { ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { unsafeServerRole } from '../../src/db/provision';
import { testEnv } from '../support/test-env';

/** Tables holding one clinic's rows (`clinics` itself is keyed on `id`). */
const TENANT_TABLES = ['clinics', 'staff_members', 'clients', 'external_identifiers', 'api_keys', 'audit_batches'];
/** What the server role reads: the tenant tables and the audit trail's per-record view (security_invoker). */
const TENANT_READS = [...TENANT_TABLES, 'audit_events'];
const clinicColumn = (table: string) => (table === 'clinics' ? 'id' : 'clinic_id');

const CLIENT = `query($id: ID!) { client(id: $id) { id givenName familyName } }`;

function ok(res: { errors?: unknown[]; data?: any }) {
  expect(res.errors).toBeUndefined();
  return res.data;
}
const NODE = `query($id: ID!) { node(id: $id) { id ... on Client { givenName } ... on StaffMember { name } ... on ApiKey { name } ... on Clinic { name } } }`;

/** A connection as the server's own role (`kinship_app`): RLS applies, exactly as for the running server. */
async function withAppRole<T>(work: (db: PgClient) => Promise<T>): Promise<T> {
  const db = new PgClient({ connectionString: testEnv().appUrl });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** A clinic with at least one row in every tenant table. */
async function populatedClinic(): Promise<ClinicFixture & { clientId: string }> {
  const clinic = await createClinic();
  const client = await clinic.addClient();
  await clinic.addApiKey(['roster:read']);
  await ownerQuery(
    `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', $2, 'urn:ehr', $3)`,
    [clinic.id, client.id, randomUUID()],
  );
  await ownerQuery(
    `INSERT INTO audit_batches (clinic_id, actor_type, actions, resource_types, resource_ids, subject_client_ids, codes)
     VALUES ($1, 'SYSTEM', '{READ}', '{Client}', '{NULL}', '{NULL}', '{NULL}')`,
    [clinic.id],
  );
  return { ...clinic, clientId: client.id };
}

async function storedClinicState(clinicId: string) {
  const [row] = await ownerQuery(
    `SELECT (SELECT count(*) FROM clients WHERE clinic_id = $1)::int AS clients,
            (SELECT count(*) FROM audit_events WHERE clinic_id = $1)::int AS audit_events,
            (SELECT json_agg(c ORDER BY c.id) FROM clients c WHERE c.clinic_id = $1) AS client_rows`,
    [clinicId],
  );
  return row;
}

describe('tenancy through the API', () => {
  it('answers NOT_FOUND for another clinic\'s client, exactly as for an id that does not exist', async () => {
    const mine = await createClinic();
    const theirs = await createClinic();
    const theirClient = await theirs.addClient();
    const before = await storedClinicState(theirs.id);

    const foreign = await gql(mine.admin.auth, CLIENT, { id: theirClient.gid });
    const missing = await gql(mine.admin.auth, CLIENT, { id: toGlobalId('Client', randomUUID()) });
    expectError(foreign, 'NOT_FOUND');
    expect(foreign.data).toBeNull();
    expect(foreign.body.errors).toEqual(missing.body.errors);

    const foreignNode = await gql(mine.admin.auth, NODE, { id: theirClient.gid });
    const missingNode = await gql(mine.admin.auth, NODE, { id: toGlobalId('Client', randomUUID()) });
    expectError(foreignNode, 'NOT_FOUND');
    expect(foreignNode.data).toBeNull();
    expect(foreignNode.body.errors).toEqual(missingNode.body.errors);

    // Nothing about the attempt reaches the other clinic: no rows changed, no audit entries there.
    expect(await storedClinicState(theirs.id)).toEqual(before);
    const reads = await ownerQuery(`SELECT 1 FROM audit_events WHERE subject_client_id = $1`, [theirClient.id]);
    expect(reads).toHaveLength(0);
  });

  it('answers NOT_FOUND for another clinic\'s staff member, API key and clinic through node(id:)', async () => {
    const mine = await createClinic();
    const theirs = await createClinic();
    const theirKey = await theirs.addApiKey(['roster:read']);
    for (const id of [theirs.admin.gid, theirKey.gid, theirs.gid]) {
      const res = await gql(mine.admin.auth, NODE, { id });
      expectError(res, 'NOT_FOUND');
      expect(res.data).toBeNull();
    }
    // the same shapes of id resolve in the caller's own clinic, so the refusals above were about tenancy
    const own = await gql(mine.admin.auth, NODE, { id: mine.gid });
    expect(own.errors).toBeUndefined();
    expect(own.data.node.id).toBe(mine.gid);
  });

  it('does not let a roster integration read another clinic\'s client, by id or by external identifier', async () => {
    const mine = await createClinic();
    const theirs = await createClinic();
    const theirClient = await theirs.addClient();
    const value = `mrn-${randomUUID()}`;
    await ownerQuery(
      `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', $2, 'urn:ehr', $3)`,
      [theirs.id, theirClient.id, value],
    );
    const key = await mine.addApiKey(['roster:read']);

    expectError(await gql(key.auth, CLIENT, { id: theirClient.gid }), 'NOT_FOUND');
    const byRef = await gql(key.auth, `query($r: ExternalIdentifierInput!) { clientByExternalId(identifier: $r) { id } }`, {
      r: { system: 'urn:ehr', value },
    });
    expect(byRef.errors).toBeUndefined();
    expect(byRef.data.clientByExternalId).toBeNull();
  });

  it('refuses to update another clinic\'s client and leaves it unchanged', async () => {
    const mine = await createClinic();
    const theirs = await createClinic();
    const theirClient = await theirs.addClient();
    const before = await storedClinicState(theirs.id);

    const res = await gql(
      mine.admin.auth,
      `mutation($input: UpdateClientInput!) { updateClient(input: $input) { client { id } } }`,
      { input: { id: theirClient.gid, givenName: 'Hijacked', externalIds: [{ system: 'urn:ehr', value: 'stolen' }] } },
    );
    expectError(res, 'NOT_FOUND');
    expect(res.data).toBeNull();
    expect(await storedClinicState(theirs.id)).toEqual(before);
    expect(await ownerQuery(`SELECT 1 FROM external_identifiers WHERE resource_id = $1`, [theirClient.id])).toHaveLength(0);
  });

  it('never lists another clinic\'s clients', async () => {
    const mine = await createClinic();
    const theirs = await createClinic();
    const own = [await mine.addClient(), await mine.addClient(), await mine.addClient()];
    const foreign = [await theirs.addClient({ givenName: 'Zebulon' }), await theirs.addClient()];

    const res = await gql(mine.admin.auth, `{ clients(first: 100) { edges { node { id } } } }`);
    expect(res.errors).toBeUndefined();
    const ids = res.data.clients.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(ids.sort()).toEqual(own.map((c) => c.gid).sort());
    for (const c of foreign) expect(ids).not.toContain(c.gid);

    const search = await gql(mine.admin.auth, `{ clients(first: 100, search: "Zebulon") { edges { node { id } } } }`);
    expect(search.errors).toBeUndefined();
    expect(search.data.clients.edges).toEqual([]);

    const key = await mine.addApiKey(['roster:read']);
    const asIntegration = await gql(key.auth, `{ clients(first: 100) { edges { node { id } } } }`);
    expect(asIntegration.data.clients.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual(ids.sort());
  });
});

describe('an API key by node(id:) (session 15)', () => {
  it('is the admin\'s to read, and an integration\'s own, as viewer.apiKey answers it; another key, or a member or clinician, NOT_FOUND', async () => {
    const clinic = await createClinic();
    const mine = await clinic.addApiKey(['goals:read'], 'Coach App');
    const other = await clinic.addApiKey(['roster:read'], 'EHR Sync');
    const own = ok(await gql(mine.auth, `{ viewer { apiKey { id name } } }`)).viewer.apiKey;
    expect(own).toEqual({ id: mine.gid, name: 'Coach App' });
    expect(ok(await gql(mine.auth, NODE, { id: mine.gid })).node).toEqual({ id: mine.gid, name: 'Coach App' });
    expect(ok(await gql(clinic.admin.auth, NODE, { id: other.gid })).node).toEqual({ id: other.gid, name: 'EHR Sync' });
    for (const [auth, id] of [[mine.auth, other.gid], [clinic.clinician.auth, mine.gid]]) {
      expectError(await gql(auth, NODE, { id }), 'NOT_FOUND');
    }
    const member = await clinic.addClient();
    expectError(await gql(member.auth, NODE, { id: mine.gid }), 'NOT_FOUND');
  });
});

describe('tenancy in the database (row-level security, the second wall)', () => {
  it('shows the server role no tenant rows when no clinic is set, although rows exist', async () => {
    await populatedClinic();
    for (const table of TENANT_READS) {
      const [{ n }] = await ownerQuery(`SELECT count(*)::int AS n FROM ${table}`);
      expect({ table, ownerSees: n > 0 }).toEqual({ table, ownerSees: true });
    }
    await withAppRole(async (db) => {
      for (const table of TENANT_READS) {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect({ table, rows: rows[0].n }).toEqual({ table, rows: 0 });
      }
      // an empty setting is "no tenant" too
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.clinic_id', '', true)`);
      for (const table of TENANT_READS) {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect({ table, rows: rows[0].n }).toEqual({ table, rows: 0 });
      }
      await db.query('ROLLBACK');
    });
  });

  it('shows exactly the set clinic\'s rows inside the transaction, and nothing once it ends', async () => {
    const a = await populatedClinic();
    await populatedClinic(); // a neighbour with rows in every table
    await withAppRole(async (db) => {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.clinic_id', $1, true)`, [a.id]);
      for (const table of TENANT_READS) {
        const column = clinicColumn(table);
        const { rows } = await db.query(`SELECT DISTINCT ${column}::text AS clinic FROM ${table}`);
        expect({ table, clinics: rows.map((r) => r.clinic) }).toEqual({ table, clinics: [a.id] });
        const [{ n: ownerCount }] = await ownerQuery(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [a.id]);
        const { rows: counted } = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect({ table, n: counted[0].n }).toEqual({ table, n: ownerCount });
      }
      await db.query('COMMIT');
      // transaction-local: a pooled connection carries no tenant into its next use
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM clients`);
      expect(rows[0].n).toBe(0);
      const { rows: setting } = await db.query(`SELECT coalesce(current_setting('app.clinic_id', true), '') AS v`);
      expect(setting[0].v).toBe('');
    });
  });

  it('refuses an insert that forges another clinic\'s clinic_id (SQLSTATE 42501) and stores nothing', async () => {
    const a = await createClinic();
    const b = await createClinic();
    const before = await storedClinicState(b.id);
    const forgedName = `Forged${randomUUID().slice(0, 8)}`;
    const error = await withAppRole(async (db) => {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.clinic_id', $1, true)`, [a.id]);
      try {
        await db.query(`INSERT INTO clients (clinic_id, given_name, family_name) VALUES ($1, $2, 'X')`, [b.id, forgedName]);
        return undefined;
      } catch (e) {
        return e as { code?: string; message: string };
      } finally {
        await db.query('ROLLBACK');
      }
    });
    expect(error?.code).toBe('42501');
    expect(error?.message).toMatch(/row-level security/);
    expect(await ownerQuery(`SELECT 1 FROM clients WHERE given_name = $1`, [forgedName])).toHaveLength(0);
    expect(await storedClinicState(b.id)).toEqual(before);
  });

  it('refuses to move a row into another clinic, and cannot touch another clinic\'s rows', async () => {
    const a = await createClinic();
    const b = await createClinic();
    const mine = await a.addClient();
    const theirs = await b.addClient();
    const beforeA = await storedClinicState(a.id);
    const beforeB = await storedClinicState(b.id);
    await withAppRole(async (db) => {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.clinic_id', $1, true)`, [a.id]);
      const { rowCount } = await db.query(`UPDATE clients SET given_name = 'Changed' WHERE id = $1`, [theirs.id]);
      expect(rowCount).toBe(0);
      await expect(db.query(`UPDATE clients SET clinic_id = $1 WHERE id = $2`, [b.id, mine.id])).rejects.toMatchObject({ code: '42501' });
      await db.query('ROLLBACK');
    });
    expect(await storedClinicState(a.id)).toEqual(beforeA);
    expect(await storedClinicState(b.id)).toEqual(beforeB);
  });

  it('keeps the audit trail append-only for the server role: no UPDATE, no DELETE', async () => {
    const clinic = await populatedClinic();
    const before = await ownerQuery(`SELECT * FROM audit_events WHERE clinic_id = $1 ORDER BY id`, [clinic.id]);
    expect(before.length).toBeGreaterThan(0);
    await withAppRole(async (db) => {
      // The stored rows refuse by privilege; the per-record view cannot be written at all (55000).
      for (const [sql, code] of [
        [`UPDATE audit_batches SET codes = '{TAMPERED}'`, '42501'],
        [`DELETE FROM audit_batches`, '42501'],
        [`TRUNCATE audit_batches`, '42501'],
        [`UPDATE audit_events SET code = 'TAMPERED'`, '55000'],
        [`DELETE FROM audit_events`, '55000'],
      ]) {
        await db.query('BEGIN');
        await db.query(`SELECT set_config('app.clinic_id', $1, true)`, [clinic.id]);
        await expect(db.query(sql)).rejects.toMatchObject({ code });
        await db.query('ROLLBACK');
      }
    });
    expect(await ownerQuery(`SELECT * FROM audit_events WHERE clinic_id = $1 ORDER BY id`, [clinic.id])).toEqual(before);
  });

  it('connects the server as a role that is not superuser, cannot bypass RLS and owns no table', async () => {
    const { role, superuser, bypassrls, owned } = await withAppRole(async (db) => {
      const { rows } = await db.query(
        `SELECT current_user AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
                (SELECT count(*)::int FROM pg_tables t WHERE t.tableowner = current_user) AS owned
           FROM pg_roles r WHERE r.rolname = current_user`,
      );
      return rows[0];
    });
    expect(role).toBe('kinship_app');
    expect(superuser).toBe(false);
    expect(bypassrls).toBe(false);
    expect(owned).toBe(0);
    const tables = await ownerQuery<{ tablename: string; tableowner: string }>(
      `SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'`,
    );
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(TENANT_TABLES));
    for (const t of tables) expect(t).toEqual({ tablename: t.tablename, tableowner: expect.not.stringMatching(/^kinship_app$/) });
  });

  it('is refused at start-up as any role that would step around the second wall: a superuser, BYPASSRLS, or a table owner (session 15)', async () => {
    const asRole = async (url: string) => {
      const db = new PgClient({ connectionString: url });
      await db.connect();
      try {
        return await unsafeServerRole({ query: async (sql: string) => (await db.query(sql)).rows });
      } finally {
        await db.end();
      }
    };
    expect(await asRole(testEnv().appUrl)).toBeNull();
    // The test run's owner (the one that migrated) is refused, whatever else it is.
    expect(await asRole(testEnv().ownerUrl)).toMatch(/is a superuser|bypasses row-level security|owns/);
    // So is a plain role that is a member of the owning role: it holds the owner's grants.
    const [{ owner }] = await ownerQuery<{ owner: string }>(`SELECT tableowner AS owner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'clients'`);
    const role = `kinship_in_owner_${randomUUID().slice(0, 8)}`;
    await ownerQuery(`CREATE ROLE ${role} LOGIN PASSWORD 'pw-${role}' NOSUPERUSER NOBYPASSRLS IN ROLE ${owner}`);
    try {
      const url = new URL(testEnv().appUrl);
      url.username = role;
      url.password = `pw-${role}`;
      expect(await asRole(url.toString())).toMatch(new RegExp(`^${role} owns \\(or is a member of the role owning\\)`));
    } finally {
      await ownerQuery(`DROP ROLE ${role}`);
    }
  });

  it('enables and forces row-level security, with a policy, on every table but the migrations log', async () => {
    const tables = await ownerQuery<{ table: string; enabled: boolean; forced: boolean; policies: number }>(
      `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
              (SELECT count(*)::int FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'migrations'
        ORDER BY c.relname`,
    );
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(TENANT_TABLES));
    const unprotected = tables.filter((t) => !t.enabled || !t.forced || t.policies === 0);
    expect(unprotected).toEqual([]);
  });

  it('ties every reference to a client or a staff member to the row\'s own clinic with a foreign key (session 15)', async () => {
    // Every uuid column naming a client or a staff member, and whether a foreign key covers it
    // together with clinic_id.
    const columns = await ownerQuery<{ table: string; column: string; keyed: boolean }>(
      `SELECT c.table_name AS table, c.column_name AS column,
              EXISTS (SELECT 1 FROM pg_constraint k
                       WHERE k.contype = 'f' AND k.conrelid = (quote_ident(c.table_name))::regclass AND k.convalidated
                         AND k.confrelid IN ('clients'::regclass, 'staff_members'::regclass)
                         AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
                               WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)) = ARRAY(SELECT unnest(ARRAY['clinic_id', c.column_name::text]) ORDER BY 1)) AS keyed
         FROM information_schema.columns c JOIN pg_class t ON t.relname = c.table_name AND t.relkind = 'r'
        WHERE c.table_schema = 'public' AND c.data_type = 'uuid'
          AND (c.column_name ~ '(client|staff)(_member)?_id$' OR c.column_name = 'recorded_by_id')
        ORDER BY 1, 2`,
    );
    const unkeyed = columns.filter((c) => !c.keyed).map((c) => `${c.table}.${c.column}`);
    // Before: eleven more columns here. Left: who recorded a check-in or a consent names a client,
    // a staff member or an integration (recorded_by_type says which), and an audit subject may
    // name a client of no table the request could write.
    expect(unkeyed).toEqual(['audit_subjects.subject_client_id', 'consent_records.recorded_by_id', 'goal_check_ins.recorded_by_id']);
    expect(columns.length).toBeGreaterThan(20);
  });

  it('refuses, as the database, a row naming another clinic\'s client or staff member', async () => {
    const ours = await createClinic();
    const theirs = await createClinic();
    const client = await ours.addClient();
    const other = await theirs.addClient();
    await expect(
      ownerQuery(`INSERT INTO member_blocks (clinic_id, blocker_client_id, blocked_client_id) VALUES ($1, $2, $3)`, [ours.id, client.id, other.id]),
    ).rejects.toMatchObject({ code: '23503' });
    await expect(
      ownerQuery(`INSERT INTO encouragement_mutes (clinic_id, recipient_client_id, sender_client_id) VALUES ($1, $2, $3)`, [ours.id, client.id, other.id]),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await ownerQuery(`SELECT 1 FROM member_blocks WHERE clinic_id = $1 UNION ALL SELECT 1 FROM encouragement_mutes WHERE clinic_id = $1`, [ours.id])).toEqual([]);
    // The same row within one clinic is taken.
    const peer = await ours.addClient();
    await ownerQuery(`INSERT INTO encouragement_mutes (clinic_id, recipient_client_id, sender_client_id) VALUES ($1, $2, $3)`, [ours.id, client.id, peer.id]);
  });
});
