import { Client } from 'pg';

export const APP_ROLE = 'kinship_app';

/**
 * Creates (or re-keys) the server's login role: no ownership, no BYPASSRLS, no superuser.
 * Run with an owner/superuser connection; embedded and test clusters do it automatically.
 */
export async function ensureAppRole(ownerUrl: string, password: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(password)) throw new Error('app role password must be 16+ url-safe characters');
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [APP_ROLE]);
    const verb = rowCount ? 'ALTER' : 'CREATE';
    await client.query(`${verb} ROLE ${APP_ROLE} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${password}'`);
  } finally {
    await client.end();
  }
}

export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name ${name}`);
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

export function withDatabase(url: string, database: string, credentials?: { user: string; password: string }): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (credentials) {
    u.username = credentials.user;
    u.password = credentials.password;
  }
  return u.toString();
}

/**
 * Why the role behind `db` must not serve requests, or null: a superuser or BYPASSRLS role reads
 * every clinic's rows whatever the tenant setting, and a table owner, or a member of the owning
 * role, holds the grants the server role is denied (UPDATE and DELETE on the audit trail) and may
 * lift row-level security. DESIGN §4's second wall needs a role like
 * `kinship_app`.
 */
export async function unsafeServerRole(db: { query(sql: string): Promise<{ role: string; superuser: boolean; bypassrls: boolean; owned: number }[]> }): Promise<string | null> {
  const [r] = await db.query(
    `SELECT current_user AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
            (SELECT count(*)::int FROM pg_tables t WHERE t.schemaname = 'public' AND pg_has_role(current_user, t.tableowner, 'MEMBER')) AS owned
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  if (r.superuser) return `${r.role} is a superuser`;
  if (r.bypassrls) return `${r.role} bypasses row-level security`;
  if (r.owned > 0) return `${r.role} owns (or is a member of the role owning) ${r.owned} of the tables`;
  return null;
}
