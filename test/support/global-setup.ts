import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedCluster, startEmbeddedCluster } from '../../src/db/embedded-cluster';
import { runMigrations } from '../../src/db/migrate';
import { APP_ROLE, ensureAppRole, withDatabase } from '../../src/db/provision';

declare global {
  // eslint-disable-next-line no-var
  var __KINSHIP_TEST__: { cluster?: EmbeddedCluster; dir?: string; database: string; serverUrl: string } | undefined;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/**
 * One PostgreSQL per test run: TEST_DATABASE_URL's server if given (its role must be able to
 * create databases and roles), else an embedded cluster in the OS temp dir. A fresh database
 * is migrated from zero; tests then connect as the server's own non-owner role.
 */
export default async function globalSetup() {
  let cluster: EmbeddedCluster | undefined;
  let dir: string | undefined;
  let serverUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    serverUrl = process.env.TEST_DATABASE_URL;
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinship-test-'));
    fs.chmodSync(dir, 0o755); // the postgres OS user must be able to reach its data directory
    cluster = await startEmbeddedCluster({
      dataDir: path.join(dir, 'pg'),
      port: await freePort(),
      superuserPassword: randomBytes(18).toString('base64url'),
    });
    serverUrl = cluster.superuserUrl('postgres');
  }
  const database = `kinship_test_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();

  const ownerUrl = withDatabase(serverUrl, database);
  const appPassword = randomBytes(18).toString('base64url');
  await ensureAppRole(ownerUrl, appPassword);
  await runMigrations(ownerUrl);

  process.env.KINSHIP_TEST_SERVER_URL = serverUrl;
  process.env.KINSHIP_TEST_OWNER_URL = ownerUrl;
  process.env.KINSHIP_TEST_APP_URL = withDatabase(serverUrl, database, { user: APP_ROLE, password: appPassword });
  process.env.KINSHIP_TEST_JWT_SECRET = randomBytes(32).toString('base64url');
  globalThis.__KINSHIP_TEST__ = { cluster, dir, database, serverUrl };
}
