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

async function inDatabase<T = any>(sql: string, at: string = url): Promise<T[]> {
  const db = new PgClient({ connectionString: at });
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
  it('AuditApartBatchIds: apart batches number above every other; its down refuses once one was written', async () => {
    // The tests above left every migration applied; those newer than this one are reverted first.
    const ds = createDataSource(url, { ...DEFAULT_POOL, max: 1 });
    await ds.initialize();
    try {
      while ((await appliedMigrations()).slice(-1)[0] !== 'AuditApartBatchIds1764330000000') await ds.undoLastMigration({ transaction: 'each' });
      const [{ id }] = await inDatabase<{ id: string }>(`SELECT nextval('audit_apart_batch_ids')::text AS id`);
      expect(BigInt(id)).toBe(900000000000000n);
      await expect(ds.undoLastMigration({ transaction: 'each' })).rejects.toThrow(/AuditApartBatchIds cannot be reverted/);
    } finally {
      await ds.destroy();
    }
    expect((await appliedMigrations()).slice(-1)).toEqual(['AuditApartBatchIds1764330000000']);
    await runMigrations(url);
  });

  it('ConsentLapsesOnMembershipEnd: its down refuses once a consent lapses on an event, which would come back open-ended (session 15)', async () => {
    expect((await appliedMigrations()).slice(-1)).toEqual(['ConsentLapsesOnMembershipEnd1764350000000']);
    const [clinic, client] = ['41111111-1111-4111-8111-111111111111', '42222222-2222-4222-8222-222222222222'];
    await inDatabase(`
      INSERT INTO clinics (id, name, slug) VALUES ('${clinic}', 'Lapses', 'lapses-migration');
      INSERT INTO clients (id, clinic_id, given_name, family_name) VALUES ('${client}', '${clinic}', 'Kim', 'Park');
      INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, provision, method, recorded_by_type, expires_on)
        VALUES ('${clinic}', '${client}', 'RESEARCH', 'CLINIC', 'PERMIT', 'ELECTRONIC', 'CLIENT', 'MEMBERSHIP_ENDS')`);
    const ds = createDataSource(url, { ...DEFAULT_POOL, max: 1 });
    await ds.initialize();
    try {
      await expect(ds.undoLastMigration({ transaction: 'each' })).rejects.toThrow(/ConsentLapsesOnMembershipEnd cannot be reverted: 1 consent/);
    } finally {
      await ds.destroy();
    }
    expect((await appliedMigrations()).slice(-1)).toEqual(['ConsentLapsesOnMembershipEnd1764350000000']);
  });

  it('MemberBlocksCanEnd, run by a non-superuser owner as in production, marks what was held by a block on the row itself; its down refuses once a block was lifted', async () => {
    // A database owned by a role like README's kinship_owner: RLS applies to it, as it does not to a superuser.
    const suffix = randomBytes(4).toString('hex');
    const [role, db, password] = [`kinship_mig_owner_${suffix}`, `kinship_mig_owned_${suffix}`, `pw-${suffix}`];
    await onServer(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' CREATEROLE`);
    await onServer(`CREATE DATABASE ${db} OWNER ${role}`);
    const asOwner = withDatabase(testEnv().serverUrl, db, { user: role, password });
    const asSuperuser = withDatabase(testEnv().serverUrl, db);
    const sql = <T = any>(text: string) => inDatabase<T>(text, asSuperuser);
    const undoTo = async (name: string) => {
      const ds = createDataSource(asOwner, { ...DEFAULT_POOL, max: 1 });
      await ds.initialize();
      try {
        while ((await ds.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`))[0].name !== name) await ds.undoLastMigration({ transaction: 'each' });
        await ds.undoLastMigration({ transaction: 'each' });
      } finally {
        await ds.destroy();
      }
    };
    try {
      await runMigrations(asOwner);
      await undoTo('MemberBlocksCanEnd1764320000000');
      // Kim (blocked by Lee a day ago) sent, proposed and asked before and after the block.
      const [clinic, kim, lee, group, kimM, leeM, goal] = [
        '31111111-1111-4111-8111-111111111111', '32222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333',
        '34444444-4444-4444-8444-444444444444', '35555555-5555-4555-8555-555555555555', '36666666-6666-4666-8666-666666666666',
        '37777777-7777-4777-8777-777777777777',
      ];
      await sql(`
        INSERT INTO clinics (id, name, slug) VALUES ('${clinic}', 'Blocks', 'blocks-migration');
        INSERT INTO clients (id, clinic_id, given_name, family_name) VALUES ('${kim}', '${clinic}', 'Kim', 'Park'), ('${lee}', '${clinic}', 'Lee', 'Chen');
        INSERT INTO therapy_groups (id, clinic_id, name, modality, format, capacity) VALUES ('${group}', '${clinic}', 'G', 'CBT', 'OPEN', 10);
        INSERT INTO memberships (id, clinic_id, group_id, client_id, status, period_start) VALUES
          ('${kimM}', '${clinic}', '${group}', '${kim}', 'ACTIVE', current_date - 10), ('${leeM}', '${clinic}', '${group}', '${lee}', 'ACTIVE', current_date - 10);
        INSERT INTO goals (id, clinic_id, membership_id, client_id, group_id, title, measure_kind, measure_period, lifecycle_status, visibility, created_by_type)
          VALUES ('${goal}', '${clinic}', '${leeM}', '${lee}', '${group}', 'Walk', 'BOOLEAN', 'DAILY', 'ACTIVE', 'GROUP', 'CLIENT');
        INSERT INTO member_blocks (clinic_id, blocker_client_id, blocked_client_id, created_at) VALUES ('${clinic}', '${lee}', '${kim}', now() - interval '1 day');
        INSERT INTO encouragements (clinic_id, sender_client_id, recipient_client_id, goal_id, message, sent_at) VALUES
          ('${clinic}', '${kim}', '${lee}', '${goal}', 'before', now() - interval '2 days'), ('${clinic}', '${kim}', '${lee}', '${goal}', 'after', now());
        INSERT INTO accountability_partnerships (clinic_id, group_id, proposer_membership_id, partner_membership_id, status, message, created_at) VALUES
          ('${clinic}', '${group}', '${kimM}', '${leeM}', 'DECLINED', 'before', now() - interval '2 days'),
          ('${clinic}', '${group}', '${kimM}', '${leeM}', 'PROPOSED', 'after', now());
        INSERT INTO connections (clinic_id, group_id, requester_client_id, recipient_client_id, status, message, held_from_recipient) VALUES
          ('${clinic}', '${group}', '${kim}', '${lee}', 'REQUESTED', 'held', true), ('${clinic}', '${group}', '${lee}', '${kim}', 'DECLINED', 'visible', false);`);

      await runMigrations(asOwner);
      expect(
        await sql(`
          SELECT 'encouragement' AS kind, message, held_by_block FROM encouragements
          UNION ALL SELECT 'proposal', message, held_by_block FROM accountability_partnerships
          UNION ALL SELECT 'request', message, held_by_block FROM connections ORDER BY 1, 2`),
      ).toEqual([
        { kind: 'encouragement', message: 'after', held_by_block: true }, { kind: 'encouragement', message: 'before', held_by_block: false },
        { kind: 'proposal', message: 'after', held_by_block: true }, { kind: 'proposal', message: 'before', held_by_block: false },
        { kind: 'request', message: 'held', held_by_block: true }, { kind: 'request', message: 'visible', held_by_block: false },
      ]);

      // Lifted: the schema before cannot hold it, and the down says so, changing nothing.
      await sql(`UPDATE member_blocks SET ended_at = now()`);
      await expect(undoTo('MemberBlocksCanEnd1764320000000')).rejects.toThrow(/cannot be reverted: 1 block\(s\) have been lifted/);
      expect(await sql(`SELECT count(*)::int AS n FROM migrations WHERE name = 'MemberBlocksCanEnd1764320000000'`)).toEqual([{ n: 1 }]);
      // Standing blocks only: it reverts, and the old key holds them.
      await sql(`DELETE FROM member_blocks WHERE ended_at IS NOT NULL;
        INSERT INTO member_blocks (clinic_id, blocker_client_id, blocked_client_id) VALUES ('${clinic}', '${lee}', '${kim}')`);
      await undoTo('MemberBlocksCanEnd1764320000000');
      expect(await sql(`SELECT blocker_client_id, blocked_client_id FROM member_blocks`)).toEqual([{ blocker_client_id: lee, blocked_client_id: kim }]);
      await runMigrations(asOwner);

      // ConsentLapsesOnMembershipEnd's down counts every clinic's consents given until an event, as the owner too (session 15).
      await sql(`INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, provision, method, recorded_by_type, expires_on)
        VALUES ('${clinic}', '${kim}', 'RESEARCH', 'CLINIC', 'PERMIT', 'ELECTRONIC', 'CLIENT', 'MEMBERSHIP_ENDS')`);
      await expect(undoTo('ConsentLapsesOnMembershipEnd1764350000000')).rejects.toThrow(/cannot be reverted: 1 consent/);
    } finally {
      await onServer(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await onServer(`DROP OWNED BY ${role} CASCADE`).catch(() => undefined);
      await onServer(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
