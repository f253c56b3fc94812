import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { createDataSource, DEFAULT_POOL } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { withDatabase } from '../../src/db/provision';
import { testEnv } from '../support/test-env';

/** A brand-new, empty database on the run's server, dropped again afterwards. */
const database = `kinship_mig_${randomBytes(4).toString('hex')}`;
let url: string;

async function onServer(sql: string) {
  const admin = new PgClient({ connectionString: testEnv().serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function inDatabase<T = any>(sql: string): Promise<T[]> {
  const db = new PgClient({ connectionString: url });
  await db.connect();
  try {
    return (await db.query(sql)).rows as T[];
  } finally {
    await db.end();
  }
}

const publicTables = async () =>
  (await inDatabase<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).map((t) => t.tablename);

const appliedMigrations = async () => (await inDatabase<{ name: string }>(`SELECT name FROM migrations ORDER BY id`)).map((m) => m.name);

/** Reverts migrations one at a time, newest first, until none is applied; returns their names in revert order. */
async function revertAll(): Promise<string[]> {
  const ds = createDataSource(url, { ...DEFAULT_POOL, max: 1 });
  await ds.initialize();
  const reverted: string[] = [];
  try {
    for (let guard = 0; guard < 100; guard++) {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM migrations`);
      if (n === 0) break;
      const [{ name }] = await ds.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
      await ds.undoLastMigration({ transaction: 'each' });
      reverted.push(name);
    }
  } finally {
    await ds.destroy();
  }
  return reverted;
}

beforeAll(async () => {
  await onServer(`CREATE DATABASE ${database}`);
  url = withDatabase(testEnv().serverUrl, database);
});

afterAll(async () => {
  await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

describe('migrations', () => {
  it('run up on an empty database, all the way down, and up again', async () => {
    expect(await publicTables()).toEqual([]);

    const applied = await runMigrations(url);
    expect(applied.length).toBeGreaterThan(0);
    expect(await appliedMigrations()).toEqual(applied);
    const tables = await publicTables();
    expect(tables).toEqual(expect.arrayContaining(['migrations', 'clinics', 'staff_members', 'clients', 'external_identifiers', 'api_keys', 'audit_batches']));

    const reverted = await revertAll();
    expect(reverted).toEqual([...applied].reverse());
    expect(await appliedMigrations()).toEqual([]);
    expect(await publicTables()).toEqual(['migrations']);
    // nothing else survives either: no sequences, views, indexes, types or functions (extensions TypeORM installs aside)
    const leftovers = await inDatabase(
      `SELECT 'relation ' || c.relname AS object FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname NOT IN ('migrations', 'migrations_id_seq')
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indexrelid = c.oid AND i.indrelid = 'public.migrations'::regclass)
       UNION ALL
       SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
       UNION ALL
       SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
    );
    expect(leftovers).toEqual([]);

    expect(await runMigrations(url)).toEqual(applied);
    expect(await publicTables()).toEqual(tables);
    expect(await appliedMigrations()).toEqual(applied);
    // and the server role's grants come back with them (audit stays append-only)
    const [grants] = await inDatabase(
      `SELECT has_table_privilege('kinship_app', 'public.clients', 'SELECT') AS read_clients,
              has_table_privilege('kinship_app', 'public.audit_batches', 'UPDATE') AS update_audit,
              has_table_privilege('kinship_app', 'public.audit_events', 'SELECT') AS read_audit_view,
              has_table_privilege('kinship_app', 'public.audit_events', 'UPDATE') AS update_audit_view`,
    );
    expect(grants).toEqual({ read_clients: true, update_audit: false, read_audit_view: true, update_audit_view: false });
  });

  it('a database migrated by session 9\'s landing (connections\' two changes as one migration) runs neither part again', async () => {
    const parts = ['ConnectionsBlockedShownAs1764300000000', 'ConnectionsHeldRequests1764305000000'];
    expect(await appliedMigrations()).toEqual(expect.arrayContaining(parts));
    // As that landing recorded it: one name for both parts' work (the schema already holds both).
    await inDatabase(`DELETE FROM migrations WHERE name IN ('${parts.join("', '")}')`);
    await inDatabase(`INSERT INTO migrations (timestamp, name) VALUES (1764300000000, 'ConnectionsSilentBlocksAndHeldRequests1764300000000')`);
    expect(await runMigrations(url)).toEqual([]);
    const names = await appliedMigrations();
    expect(names).toEqual(expect.arrayContaining(parts));
    expect(names).not.toContain('ConnectionsSilentBlocksAndHeldRequests1764300000000');
  });

  it('keeps every audit record, in order, through the move to one row per request and back', async () => {
    // The previous test left every migration applied; the batch migration is the newest one touching the trail.
    const clinic = '11111111-1111-4111-8111-111111111111';
    const subject = '22222222-2222-4222-8222-222222222222';
    await inDatabase(
      `INSERT INTO audit_batches (clinic_id, actor_type, actor_id, request_id, actions, resource_types, resource_ids, subject_client_ids, codes) VALUES
        ('${clinic}', 'STAFF', '${subject}', 'req-1', '{READ,READ,DENIED}', '{Client,Goal,SessionNote}', '{${subject},NULL,${subject}}', '{${subject},${subject},NULL}', '{NULL,NULL,FORBIDDEN}'),
        ('${clinic}', 'SYSTEM', NULL, NULL, '{EXPORT}', '{AccessReport}', '{NULL}', '{${subject}}', '{NULL}')`,
    );
    const records = `SELECT clinic_id, actor_type, actor_id, action, resource_type, resource_id, subject_client_id, request_id, code FROM audit_events ORDER BY id`;
    const before = await inDatabase(records);
    expect(before.map((r) => [r.action, r.resource_type, r.code])).toEqual([
      ['READ', 'Client', null], ['READ', 'Goal', null], ['DENIED', 'SessionNote', 'FORBIDDEN'], ['EXPORT', 'AccessReport', null],
    ]);
    const numbers = (await inDatabase<{ id: string }>(`SELECT id::text FROM audit_events ORDER BY id`)).map((r) => r.id);

    const ds = createDataSource(url, { ...DEFAULT_POOL, max: 1 });
    await ds.initialize();
    try {
      while ((await ds.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`))[0].name !== 'AuditEventsOneRowPerRequest1764260000000') {
        await ds.undoLastMigration({ transaction: 'each' });
      }
      await ds.undoLastMigration({ transaction: 'each' });
    } finally {
      await ds.destroy();
    }
    // Back to one row per record, under the same event numbers.
    expect(await publicTables()).toEqual(expect.arrayContaining(['audit_events']));
    expect(await publicTables()).not.toContain('audit_batches');
    expect(await inDatabase(records)).toEqual(before);
    expect((await inDatabase<{ id: string }>(`SELECT id::text FROM audit_events ORDER BY id`)).map((r) => r.id)).toEqual(numbers);

    await runMigrations(url);
    expect(await inDatabase(records)).toEqual(before);
    expect((await inDatabase<{ id: string }>(`SELECT id::text FROM audit_events ORDER BY id`)).map((r) => r.id)).toEqual(numbers);
    const [{ batches, subjects }] = await inDatabase(
      `SELECT (SELECT count(*)::int FROM audit_batches) AS batches, (SELECT count(*)::int FROM audit_subjects WHERE subject_client_id = '${subject}') AS subjects`,
    );
    expect({ batches, subjects }).toEqual({ batches: 4, subjects: 3 });
    // New events number above every kept one.
    await inDatabase(
      `INSERT INTO audit_batches (clinic_id, actor_type, actions, resource_types, resource_ids, subject_client_ids, codes)
       VALUES ('${clinic}', 'SYSTEM', '{READ}', '{Client}', '{NULL}', '{NULL}', '{NULL}')`,
    );
    const [{ newest }] = await inDatabase(`SELECT max(id)::text AS newest FROM audit_events`);
    expect(BigInt(newest)).toBeGreaterThan(BigInt(numbers[numbers.length - 1]));
  });
});
