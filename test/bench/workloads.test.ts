import { randomBytes } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { createTokenVerifier } from '../../src/auth/tokens';
import { createDataSource } from '../../src/db/data-source';
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
/** A sync runs one statement per kind of change it makes, never per row: bounded, whatever the roster. */
const MAX_SYNC_STATEMENTS = 20;

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
  dataSource = createDataSource(withDatabase(env.serverUrl, database, { user: 'kinship_app', password: appPassword }), {
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
