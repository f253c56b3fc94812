import fs from 'node:fs';
import { Client } from 'pg';

export default async function globalTeardown() {
  const state = globalThis.__KINSHIP_TEST__;
  if (!state) return;
  if (state.cluster) {
    await state.cluster.stop();
    if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
    return;
  }
  // An external server keeps running; only this run's databases go.
  const admin = new Client({ connectionString: state.serverUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${state.database}%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
