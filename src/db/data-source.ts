import path from 'node:path';
import { types } from 'pg';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './naming-strategy';
import { StatementCountingLogger } from './statement-counter';

export interface PoolSettings {
  max: number;
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  /**
   * A transaction-mode pooler (PgBouncer `pool_mode = transaction`) sits between the API and
   * PostgreSQL: a server connection serves whichever client's transaction comes next, so nothing
   * may live in the session — no prepared statements and no startup parameters (the timeouts
   * are set in each request's transaction instead; see `RequestDb`).
   */
  transactionPooler?: boolean;
}

export const DEFAULT_POOL: PoolSettings = {
  max: 10,
  acquireTimeoutMs: 5000,
  statementTimeoutMs: 15000,
  idleInTransactionTimeoutMs: 30000,
};

// SQL dates are calendar days, not instants: keep them as 'YYYY-MM-DD' instead of local-midnight Dates.
types.setTypeParser(types.builtins.DATE, (value: string) => value);

export const MIGRATIONS_GLOB = path.join(__dirname, '..', '..', 'migrations', '*.{ts,js}');

const poolSettings = new WeakMap<DataSource, PoolSettings>();

/** How a data source's connections are pooled (what `createDataSource` was given). */
export const poolSettingsOf = (dataSource: DataSource): PoolSettings => poolSettings.get(dataSource) ?? DEFAULT_POOL;

/** One factory for the server (app role) and the CLI (owner role); `synchronize` is off everywhere. */
export function createDataSource(
  url: string,
  pool: PoolSettings = DEFAULT_POOL,
  onQueryError?: (message: string) => void,
): DataSource {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: [MIGRATIONS_GLOB.replace(/\\/g, '/')],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    logger: new StatementCountingLogger(onQueryError),
    logging: true,
    extra: {
      max: pool.max,
      connectionTimeoutMillis: pool.acquireTimeoutMs,
      // Startup parameters: PgBouncer refuses ones it does not know (and would not keep them per client).
      ...(pool.transactionPooler ? {} : { statement_timeout: pool.statementTimeoutMs, idle_in_transaction_session_timeout: pool.idleInTransactionTimeoutMs }),
      application_name: 'kinship-api',
    },
  });
  poolSettings.set(dataSource, pool);
  return dataSource;
}
