import { facilitatingSql } from '../modules/groups/facilitator-sql';
import { RequestDb, rowsQuery, SessionCall, SessionStatement } from '../db/request-db';
import { hashApiKey, looksLikeApiKey } from './api-key-secret';
import type { TokenClaims, TokenVerifier } from './tokens';
import { API_KEY_SCOPES, ApiKeyScope, OwnMembershipRow, Viewer } from './viewer';

/**
 * Resolves the Authorization header to a viewer and opens the request's transaction with the
 * viewer's clinic set. Undefined means unauthenticated; the reason is never told to the caller.
 */
export async function authenticate(
  header: string | undefined,
  db: RequestDb,
  verifier: TokenVerifier,
  touchApiKey: (clinicId: string, apiKeyId: string) => Promise<void> = async () => undefined,
  speculate?: (claims: TokenClaims) => SessionCall | undefined,
): Promise<Viewer | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const token = match[1];
  return looksLikeApiKey(token) ? authenticateApiKey(token, db, touchApiKey) : authenticateToken(token, db, verifier, speculate);
}

async function authenticateApiKey(key: string, db: RequestDb, touchApiKey: (clinicId: string, apiKeyId: string) => Promise<void>): Promise<Viewer | undefined> {
  const hash = hashApiKey(key);
  await db.begin({ apiKeyHash: hash });
  // The lookup policy shows this one row; set_config then pins the transaction to its clinic.
  const [row] = await db.query<{ id: string; clinic_id: string; scopes: string[]; stale: boolean }>(
    `SELECT id, clinic_id, scopes, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale,
            set_config('app.clinic_id', clinic_id::text, true)
       FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hash],
  );
  if (!row) return undefined;
  db.adoptClinic(row.clinic_id);
  // Outside the request's transaction: a long request must not hold the key's row against the next
  // one. Not awaited: a request waiting for a second pooled connection while holding its first
  // would stall the pool under a burst of requests (it logs its own failures).
  if (row.stale) void touchApiKey(row.clinic_id, row.id);
  const scopes = new Set(row.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s)));
  return { kind: 'INTEGRATION', clinicId: row.clinic_id, apiKeyId: row.id, scopes };
}

async function authenticateToken(
  token: string,
  db: RequestDb,
  verifier: TokenVerifier,
  speculate?: (claims: TokenClaims) => SessionCall | undefined,
): Promise<Viewer | undefined> {
  const claims = await verifier.verify(token);
  if (!claims) return undefined;
  // A compiled read's statement, planned from the claims, rides along too (see RequestDb.begin).
  const speculative = speculate?.(claims);
  // The viewer lookup rides in the transaction's first round trip, with the clinic's time zone
  // and clock: streaks on member and staff screens need them.
  if (claims.role === 'MEMBER') {
    const [client] = await db.begin({ clinicId: claims.clinicId }, MEMBER_LOOKUP.execute([claims.sub, claims.clinicId]), speculative);
    if (!client) return undefined;
    adoptClock(db, client);
    return { kind: 'MEMBER', clinicId: claims.clinicId, clientId: claims.sub, ownMemberships: client.memberships as OwnMembershipRow[] };
  }
  // The database, not the token, is the truth about a staff member's role and whether they may still sign in.
  // The groups they facilitate ride along: nearly every staff request asks the group policy.
  const [staff] = (await db.begin({ clinicId: claims.clinicId, staffId: claims.sub }, STAFF_LOOKUP.execute([claims.sub, claims.clinicId]), speculative)) as {
    role: 'ADMIN' | 'SUPERVISOR' | 'CLINICIAN';
    facilitated: string[];
  }[];
  if (!staff || staff.role !== claims.role) return undefined;
  adoptClock(db, staff);
  return { kind: 'STAFF', clinicId: claims.clinicId, staffId: claims.sub, role: staff.role, facilitatedGroupIds: new Set(staff.facilitated) };
}

const CLOCK = `now() AS now, (SELECT timezone FROM clinics WHERE id = $2) AS timezone`;

/**
 * A member and their own memberships (the open one per group, else the latest): every group rule
 * a member meets starts from them. No member action changes them before they are first read.
 */
const MEMBER_LOOKUP = new SessionStatement(
  'kinship_member_viewer',
  ['uuid', 'uuid'],
  rowsQuery(`SELECT 1 AS ok, ${CLOCK},
          (SELECT coalesce(json_agg(json_build_object('id', m.id, 'group_id', m.group_id, 'status', m.status,
                    'agreement_version_accepted', m.agreement_version_accepted)), '[]')
             FROM (SELECT DISTINCT ON (group_id) id, group_id, status, agreement_version_accepted FROM memberships
                    WHERE client_id = $1
                    ORDER BY group_id, (status IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED')), created_at DESC, id DESC) m) AS memberships
     FROM clients WHERE id = $1`),
);

/**
 * The clinic's today ($2 is the clinic), as an uncorrelated subquery PostgreSQL evaluates once
 * per execution: `clinic_today()`, called for every assignment compared, made this lookup (made on
 * every staff request) 0.2-0.3 ms; this form 0.05 ms, against 0.03 ms without the period rule
 * (psql loops of the prepared statement on the bench dataset).
 */
const STAFF_TODAY = `(SELECT (now() AT TIME ZONE timezone)::date FROM clinics WHERE id = $2)`;

/** A staff member's role, if active, and the groups they facilitate today: nearly every staff request asks the group policy. */
const STAFF_LOOKUP = new SessionStatement(
  'kinship_staff_viewer',
  ['uuid', 'uuid'],
  rowsQuery(`SELECT role, ARRAY(SELECT group_id FROM group_facilitators f WHERE f.staff_member_id = s.id AND ${facilitatingSql('f', STAFF_TODAY)}) AS facilitated, ${CLOCK}
     FROM staff_members s WHERE id = $1 AND active`),
);

function adoptClock(db: RequestDb, row: Record<string, unknown>) {
  if (row.now instanceof Date) db.clock = { timeZone: typeof row.timezone === 'string' ? row.timezone : 'UTC', now: row.now };
}
