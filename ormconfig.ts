import 'reflect-metadata';
import { loadConfig } from './src/config';
import { createDataSource } from './src/db/data-source';

/**
 * The TypeORM CLI's DataSource (`npm run migration:run|revert|generate`): the owner role from
 * MIGRATION_DATABASE_URL, else DATABASE_URL. `npm start` migrates the embedded database itself.
 */
const config = loadConfig();
const url = config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL;
if (!url) {
  throw new Error('Set MIGRATION_DATABASE_URL (the owner role) or DATABASE_URL to run migrations');
}

export default createDataSource(url, { max: 2, acquireTimeoutMs: 10000, statementTimeoutMs: 600000, idleInTransactionTimeoutMs: 600000 });
