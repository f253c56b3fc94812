import 'reflect-metadata';
import http from 'node:http';
import path from 'node:path';
import { createApp } from './app';
import { createTokenVerifier, TokenSettings } from './auth/tokens';
import { Config, ConfigError, isProduction, loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { loadDemoIdentities, saveDemoIdentities, writeDemoCredentials } from './db/demo-credentials';
import { loadOrCreateDevSecrets } from './db/dev-secrets';
import { EmbeddedCluster, startEmbeddedCluster } from './db/embedded-cluster';
import { runMigrations } from './db/migrate';
import { APP_ROLE, ensureAppRole, ensureDatabase, unsafeServerRole, withDatabase } from './db/provision';
import { seedDemo } from './db/seed';
import { createLogger } from './logger';
import { NoteCipher } from './modules/notes/note-cipher';

const DATABASE = 'kinship';

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.LOG_LEVEL);
  const startedAt = Date.now();
  const dataDir = path.resolve(config.DATA_DIR);

  let cluster: EmbeddedCluster | undefined;
  let appUrl: string;
  let jwtSecret = config.JWT_SECRET;
  let noteKeys = config.NOTE_ENCRYPTION_KEYS;
  let firstStart = false;

  const secrets = config.DATABASE_URL ? undefined : loadOrCreateDevSecrets(dataDir);
  if (secrets) {
    jwtSecret ??= secrets.jwtSecret;
    noteKeys ??= `k1:${secrets.noteKey}`;
  }
  if (!noteKeys) {
    console.error('Invalid configuration:\n  NOTE_ENCRYPTION_KEYS: is required with DATABASE_URL (clinical notes are encrypted at rest)');
    process.exit(1);
  }
  const noteCipher = NoteCipher.fromConfig(noteKeys, config.NOTE_ENCRYPTION_ACTIVE_KEY);

  if (config.DATABASE_URL || !secrets) {
    appUrl = config.DATABASE_URL!;
  } else {
    cluster = await startEmbeddedCluster({
      dataDir: path.join(dataDir, 'pg'),
      port: config.EMBEDDED_PG_PORT,
      superuserPassword: secrets.superuserPassword,
      log: (line) => log.debug({ component: 'postgres' }, line),
    });
    if (cluster.adopted) log.warn('embedded PostgreSQL from an earlier, interrupted start was still running; reusing it');
    await ensureDatabase(cluster.superuserUrl(), DATABASE);
    const ownerUrl = cluster.superuserUrl(DATABASE);
    await ensureAppRole(ownerUrl, secrets.appPassword);
    const applied = await runMigrations(ownerUrl);
    if (applied.length) log.info({ migrations: applied }, 'migrations applied');
    const seeded = await seedDemo(ownerUrl, noteCipher);
    if (seeded) {
      saveDemoIdentities(dataDir, seeded);
      firstStart = true;
    }
    appUrl = withDatabase(cluster.superuserUrl(), DATABASE, { user: APP_ROLE, password: secrets.appPassword });
  }

  const tokenSettings: TokenSettings = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    secret: jwtSecret,
    jwksUrl: config.JWKS_URL,
  };
  const dataSource = createDataSource(appUrl, {
    max: config.DB_POOL_MAX,
    acquireTimeoutMs: config.DB_POOL_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DB_IDLE_IN_TX_TIMEOUT_MS,
    transactionPooler: config.DB_POOL_MODE === 'transaction',
  });
  await dataSource.initialize();
  const unsafe = await unsafeServerRole(dataSource);
  if (unsafe) {
    console.error(
      `Refusing to serve: the database role ${unsafe}, so row-level security or the audit trail's append-only grants would not hold.\n` +
        'Connect DATABASE_URL as a role like kinship_app (NOSUPERUSER NOBYPASSRLS, owning no table): README, "Database, migrations and roles".',
    );
    await dataSource.destroy();
    await cluster?.stop();
    process.exit(1);
  }

  const publicUrl = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}/graphql`;
  const ids = cluster ? loadDemoIdentities(dataDir) : undefined;
  const credentials = ids && jwtSecret ? await writeDemoCredentials(dataDir, publicUrl, ids, tokenSettings) : undefined;

  const { app, server } = await createApp({
    dataSource,
    verifier: createTokenVerifier(tokenSettings),
    noteCipher,
    log,
    production: isProduction(config),
    bodyLimit: config.REQUEST_BODY_LIMIT,
    sandboxHeaders: credentials ? { Authorization: credentials.admin } : undefined,
  });
  const httpServer = http.createServer(app);

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => httpServer.closeAllConnections(), 10000).unref();
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      httpServer.closeIdleConnections();
    });
    clearTimeout(force);
    await server.stop();
    await dataSource.destroy();
    await cluster?.stop();
    log.info('stopped');
    process.exit(0);
  };
  let stoppingSince = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // npm forwards the terminal's Ctrl-C, so one keypress can arrive twice; only a later one forces.
      if (stoppingSince) {
        if (Date.now() - stoppingSince > 2000) {
          log.warn('second signal: exiting now');
          process.exit(1);
        }
        return;
      }
      stoppingSince = Date.now();
      shutdown(signal).catch((error) => {
        log.error({ err: { type: (error as Error)?.name } }, 'shutdown failed');
        process.exit(1);
      });
    });
  }

  httpServer.once('error', async (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      console.error(`\nPort ${config.PORT} on ${config.HOST} is already in use. Stop the other server or start with PORT=<free port> npm start.\n`);
    } else {
      console.error(`Could not listen on ${config.HOST}:${config.PORT}: ${error.code ?? error.message}`);
    }
    await dataSource.destroy().catch(() => undefined);
    await cluster?.stop();
    process.exit(1);
  });
  httpServer.listen(config.PORT, config.HOST, () => {
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    const lines = [
      '',
      `Kinship API ready in ${seconds}s ${firstStart ? '(first start: demo clinic seeded)' : ''}`,
      `  GraphQL + Apollo Sandbox: ${publicUrl}`,
      `  Health:                   http://${config.HOST}:${config.PORT}/healthz  /readyz`,
    ];
    if (credentials) {
      lines.push(`  Demo credentials (also in ${path.join(config.DATA_DIR, 'demo-credentials.json')}):`);
      for (const role of ['admin', 'supervisor', 'clinician', 'member', 'integration'] as const) {
        lines.push(`    ${role.padEnd(12)} Authorization: ${credentials[role]}`);
      }
      lines.push('  Sandbox opens with the admin header filled in.');
    }
    console.log(lines.join('\n') + '\n');
  });
}

main().catch((error) => {
  console.error(`Kinship API failed to start: ${(error as Error)?.message ?? error}`);
  process.exit(1);
});
