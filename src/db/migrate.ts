import { createDataSource } from './data-source';

/** Applies pending migrations as the owner role, then closes the connection. */
export async function runMigrations(ownerUrl: string): Promise<string[]> {
  const ds = createDataSource(ownerUrl, { max: 1, acquireTimeoutMs: 10000, statementTimeoutMs: 600000, idleInTransactionTimeoutMs: 600000 });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
