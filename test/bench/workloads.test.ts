import { randomBytes } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { createTokenVerifier } from '../../src/auth/tokens';
import { createDataSource, PoolSettings } from '../../src/db/data-source';
import type { CompiledRead } from '../../src/http/compiled-reads';
import { compiledRoster } from '../../src/modules/groups/compiled-roster';
import { compiledMemberHome } from '../../src/modules/viewer/compiled-member-home';
import { runMigrations } from '../../src/db/migrate';
import { withDatabase } from '../../src/db/provision';
import { NoteCipher } from '../../src/modules/notes/note-cipher';
import { generateDataset, seededRandom, TINY_SCALE } from '../../bench/dataset';
import { buildWorkloads, Workload } from '../../bench/workloads';
import { testEnv } from '../support/test-env';

/**
 * Keeps `npm run bench` from rotting: the dataset generator and every workload run once against a
 * tiny dataset in a database of their own, answering correctly with the expected statement counts.
 */
const TOKENS = { issuer: 'kinship-bench', audience: 'kinship-api', secret: 'bench-test-secret-bench-test-secret-0123' };
const database = `kinship_bench_${randomBytes(4).toString('hex')}`;
let dataSource: DataSource;
let app: Awaited<ReturnType<typeof createApp>>;
let workloads: Workload[];
let appUrl: string;
const extraApps: { app: Awaited<ReturnType<typeof createApp>>; dataSource: DataSource }[] = [];

/** SQL statements per request (our own counter: round trips), by workload. */
const EXPECTED_STATEMENTS: Record<string, number> = {
  roster: 2,
  'member home': 2,
  'member home list': 2,
  'session view': 10,
  'integration read': 9,
  // The goal's history is read once (its streak summary is rewritten; the payload's streak reuses it), then the summary written.
  'check-in write': 9,
};
/**
 * A sync runs one statement per kind of change it makes, never per row: bounded, whatever the
 * roster (a REPLACE that ends memberships also lapses consents given until then: two more, three
 * when one lapses).
 */
const MAX_SYNC_STATEMENTS = 22;

beforeAll(async () => {
  const env = testEnv();
  const admin = new Client({ connectionString: env.serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const ownerUrl = withDatabase(env.serverUrl, database);
  await runMigrations(ownerUrl);
  await generateDataset(ownerUrl, TINY_SCALE);
  const appPassword = decodeURIComponent(new URL(env.appUrl).password);
  appUrl = withDatabase(env.serverUrl, database, { user: 'kinship_app', password: appPassword });
  dataSource = createDataSource(appUrl, {
    max: 4, acquireTimeoutMs: 10000, statementTimeoutMs: 20000, idleInTransactionTimeoutMs: 30000,
  });
  await dataSource.initialize();
  app = await createApp({
    dataSource,
    verifier: createTokenVerifier(TOKENS),
    noteCipher: NoteCipher.fromConfig(`bench:${NoteCipher.generateKey()}`, 'bench'),
    log: pino({ level: 'silent' }),
    production: false,
  });
  workloads = await buildWorkloads(TINY_SCALE, TOKENS, 20);
}, 120000);

afterAll(async () => {
  await app?.server.stop();
  await dataSource?.destroy();
  for (const extra of extraApps) {
    await extra.app.server.stop();
    await extra.dataSource.destroy();
  }
  const admin = new Client({ connectionString: testEnv().serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

describe('benchmark workloads on a tiny dataset', () => {
  it.each(Object.keys(EXPECTED_STATEMENTS))('%s answers correctly within the SQL statements its shape needs', async (name) => {
    const workload = workloads.find((w) => w.name === name)!;
    const rand = seededRandom(7);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = workload.make('ours', rand);
      const res = await request(app.app).post('/graphql').set(r.headers).send(r.body);
      expect(res.status).toBe(200);
      workload.check('ours', res.body);
      counts.push(res.body.extensions.sqlStatements);
    }
    // Different random ids, different row counts: never more statements than the query's shape needs
    // (a level that comes back empty, e.g. a member with no partner, skips its loaders).
    expect(Math.max(...counts)).toBe(EXPECTED_STATEMENTS[name]);
  });

  it('roster sync of 500 members answers correctly in a bounded number of SQL statements', async () => {
    const workload = workloads.find((w) => w.name === 'roster sync')!;
    const rand = seededRandom(3);
    for (let i = 0; i < 3; i++) {
      const r = workload.make('ours', rand);
      const res = await request(app.app).post('/graphql').set(r.headers).send(r.body);
      expect(res.status).toBe(200);
      workload.check('ours', res.body);
      expect(res.body.data.syncRoster.errors).toEqual([]);
      expect(res.body.extensions.sqlStatements).toBeLessThanOrEqual(MAX_SYNC_STATEMENTS);
    }
  });
});

/**
 * Behind PgBouncer in transaction mode (DB_POOL_MODE=transaction) a server connection serves
 * whichever client's transaction comes next: the API may keep nothing in the session. One pooled
 * connection, wiped (DISCARD ALL) before every request as if another client had used it.
 */
describe('behind a transaction-mode pooler', () => {
  let observedTimeout: string | undefined;
  // Reads the transaction's statement_timeout, then declines: the resolvers answer.
  const timeoutProbe: CompiledRead = {
    shape: { clinic: { fields: { name: {} } } },
    run: async (ctx) => {
      [{ t: observedTimeout }] = await ctx.db.query<{ t: string }>(`SELECT current_setting('statement_timeout') AS t`);
      return undefined;
    },
  };
  async function appWith(pool: Partial<PoolSettings>) {
    const ds = createDataSource(appUrl, { max: 1, acquireTimeoutMs: 10000, statementTimeoutMs: 20000, idleInTransactionTimeoutMs: 30000, ...pool });
    await ds.initialize();
    const built = await createApp({
      dataSource: ds,
      verifier: createTokenVerifier(TOKENS),
      noteCipher: NoteCipher.fromConfig(`bench:${NoteCipher.generateKey()}`, 'bench'),
      log: pino({ level: 'silent' }),
      production: false,
      compiledReads: [compiledRoster, compiledMemberHome, timeoutProbe],
    });
    extraApps.push({ app: built, dataSource: ds });
    return { built, ds };
  }
  /** What the (only) pooled connection keeps prepared, then that connection wiped. */
  async function preparedThenWipe(ds: DataSource): Promise<string[]> {
    const pool = (ds.driver as unknown as { master: { connect(): Promise<Client & { release(): void }> } }).master;
    const connection = await pool.connect();
    try {
      const { rows } = await connection.query<{ name: string }>(`SELECT name FROM pg_prepared_statements`);
      await connection.query('DISCARD ALL');
      return rows.map((r) => r.name);
    } finally {
      connection.release();
    }
  }

  it('answers every workload with nothing kept in the session, in the same round trips', async () => {
    const { built, ds } = await appWith({ transactionPooler: true });
    for (const name of [...Object.keys(EXPECTED_STATEMENTS), 'roster sync']) {
      const workload = workloads.find((w) => w.name === name)!;
      const rand = seededRandom(11);
      for (let i = 0; i < 2; i++) {
        expect(await preparedThenWipe(ds)).toEqual([]);
        const r = workload.make('ours', rand);
        const res = await request(built.app).post('/graphql').set(r.headers).send(r.body);
        expect(res.status).toBe(200);
        workload.check('ours', res.body);
        if (name === 'roster sync') expect(res.body.data.syncRoster.errors).toEqual([]);
        else expect(res.body.extensions.sqlStatements).toBeLessThanOrEqual(EXPECTED_STATEMENTS[name]);
      }
    }
    expect(await preparedThenWipe(ds)).toEqual([]);
  });

  it('sets the statement timeout in each transaction, as the startup parameter does without a pooler', async () => {
    const roster = workloads.find((w) => w.name === 'roster')!;
    const auth = roster.make('ours', seededRandom(5)).headers.authorization;
    for (const transactionPooler of [true, false]) {
      const { built } = await appWith({ transactionPooler });
      observedTimeout = undefined;
      const res = await request(built.app).post('/graphql').set({ 'content-type': 'application/json', authorization: auth }).send({ query: '{ clinic { name } }' });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.clinic.name).toEqual(expect.any(String));
      expect(observedTimeout).toBe('20s');
    }
  });

  it('without it, the session keeps prepared statements (why the setting exists)', async () => {
    const { built, ds } = await appWith({ transactionPooler: false });
    const member = workloads.find((w) => w.name === 'member home')!;
    const r = member.make('ours', seededRandom(13));
    expect((await request(built.app).post('/graphql').set(r.headers).send(r.body)).status).toBe(200);
    expect((await preparedThenWipe(ds)).length).toBeGreaterThan(0);
  });
});
