import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';

/**
 * Migrations a past landing ran under one name whose work now stands in several (a landed file
 * is never edited, so a combined one was split back into the landed file and an addition): where
 * the old name is recorded, its parts are recorded as run in its place.
 */
const COMBINED: { name: string; parts: { timestamp: number; name: string }[] }[] = [
  {
    name: 'ConnectionsSilentBlocksAndHeldRequests1764300000000',
    parts: [
      { timestamp: 1764300000000, name: 'ConnectionsBlockedShownAs1764300000000' },
      { timestamp: 1764305000000, name: 'ConnectionsHeldRequests1764305000000' },
    ],
  },
];

async function recordSplitMigrations(ds: DataSource): Promise<void> {
  const [{ exists }] = await ds.query(`SELECT to_regclass('migrations') IS NOT NULL AS exists`);
  if (!exists) return;
  for (const combined of COMBINED) {
    await ds.transaction(async (m) => {
      const recorded = await m.query(`SELECT 1 FROM migrations WHERE name = $1`, [combined.name]);
      if (!recorded.length) return;
      await m.query(`DELETE FROM migrations WHERE name = $1`, [combined.name]);
      for (const part of combined.parts) {
        await m.query(`INSERT INTO migrations (timestamp, name) SELECT $1::bigint, $2::varchar WHERE NOT EXISTS (SELECT 1 FROM migrations WHERE name = $2::varchar)`, [part.timestamp, part.name]);
      }
    });
  }
}

/** Applies pending migrations as the owner role, then closes the connection. */
export async function runMigrations(ownerUrl: string): Promise<string[]> {
  const ds = createDataSource(ownerUrl, { max: 1, acquireTimeoutMs: 10000, statementTimeoutMs: 600000, idleInTransactionTimeoutMs: 600000 });
  await ds.initialize();
  try {
    await recordSplitMigrations(ds);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
