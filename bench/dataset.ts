import { Client } from 'pg';
import { hashApiKey } from '../src/auth/api-key-secret';
import { backfillStreakSummaries } from '../src/modules/goals/streak-summary';

/** Dataset size; the default is the issue's scale (200 clinics … ~24,000 memberships). */
export interface Scale {
  clinics: number;
  groupsPerClinic: number;
  clientsPerClinic: number;
  membersPerGroup: number;
  capacity: number;
  sessionsPerGroup: number;
  checkInsPerGoal: number;
}

export const DEFAULT_SCALE: Scale = {
  clinics: 200,
  groupsPerClinic: 10,
  clientsPerClinic: 100,
  membersPerGroup: 12,
  capacity: 10,
  sessionsPerGroup: 26,
  checkInsPerGoal: 30,
};

export const TINY_SCALE: Scale = { clinics: 2, groupsPerClinic: 2, clientsPerClinic: 12, membersPerGroup: 8, capacity: 6, sessionsPerGroup: 4, checkInsPerGoal: 5 };

/** Deterministic ids: the load generator computes the same ones without reading the database. */
export const ids = {
  clinic: (c: number) => uuidFrom(`clinic-${c}`),
  clinician: (c: number, k: number) => uuidFrom(`clinician-${c}-${k}`),
  admin: (c: number) => uuidFrom(`admin-${c}`),
  group: (c: number, g: number) => uuidFrom(`group-${c}-${g}`),
  client: (c: number, n: number) => uuidFrom(`client-${c}-${n}`),
  apiKey: (c: number) => uuidFrom(`apikey-${c}`),
  membership: (c: number, g: number, j: number) => uuidFrom(`membership-${c}-${g}-${j}`),
  session: (c: number, g: number, w: number) => uuidFrom(`session-${c}-${g}-${w}`),
  /** The member's first goal (GROUP-visible, daily). */
  goal: (c: number, g: number, j: number) => uuidFrom(`${uuidFrom(`membership-${c}-${g}-${j}`)}-g0`),
  apiKeySecret: (c: number) => `kin_bench_${c}_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
};

/** The uuid the dataset gives the row named by `seed` (md5-based, like its SQL twin below). */
export function uuidFrom(seed: string): string {
  const h = require('node:crypto').createHash('md5').update(seed).digest('hex') as string;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The SQL twin of uuidFrom, so set-based inserts produce the same ids. */
/** A deterministic pseudo-random source in [0, 1), so bench runs and tests repeat. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
}

const U = (expr: string) =>
  `(substr(md5(${expr}),1,8)||'-'||substr(md5(${expr}),9,4)||'-4'||substr(md5(${expr}),14,3)||'-a'||substr(md5(${expr}),18,3)||'-'||substr(md5(${expr}),21,12))::uuid`;

/** Clinician k of a clinic leads groups g where g % cliniciansPerClinic = k. */
export const CLINICIANS_PER_CLINIC = 5;

/** Members of group g: clients (g * membersPerGroup + j) mod clientsPerClinic, j < membersPerGroup; the first `capacity` ACTIVE. */
export const memberOf = (s: Scale, g: number, j: number) => (g * s.membersPerGroup + j) % s.clientsPerClinic;

/**
 * Generates the whole dataset with set-based SQL as the owner, with triggers off
 * (session_replication_role = replica: no change-feed rows, no per-row checks), then VACUUM ANALYZE:
 * a live database is vacuumed, so its pages carry visibility and hint bits that freshly loaded
 * ones do not (every server would otherwise pay for setting them during its first rounds).
 */
export async function generateDataset(ownerUrl: string, s: Scale, log: (m: string) => void = () => undefined): Promise<void> {
  const db = new Client({ connectionString: ownerUrl });
  await db.connect();
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const t = Date.now();
    const r = await db.query(sql, params);
    log(`  ${label}: ${r.rowCount ?? 0} rows in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  };
  try {
    await db.query(`SET session_replication_role = replica`);
    await step('clinics', `INSERT INTO clinics (id, name, slug, timezone)
      SELECT ${U(`'clinic-'||c`)}, 'Bench clinic '||c, 'bench-'||c, (ARRAY['America/New_York','Europe/Berlin','America/Los_Angeles'])[1 + c % 3]
        FROM generate_series(0, $1 - 1) c`, [s.clinics]);
    await step('staff', `INSERT INTO staff_members (id, clinic_id, name, email, role)
      SELECT ${U(`'admin-'||c`)}, ${U(`'clinic-'||c`)}, 'Admin '||c, 'admin'||c||'@bench.test', 'ADMIN' FROM generate_series(0, $1 - 1) c
      UNION ALL
      SELECT ${U(`'clinician-'||c||'-'||k`)}, ${U(`'clinic-'||c`)}, 'Clinician '||c||'.'||k, 'clin'||c||'.'||k||'@bench.test', 'CLINICIAN'
        FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) k`, [s.clinics, CLINICIANS_PER_CLINIC]);
    await step('clients', `INSERT INTO clients (id, clinic_id, given_name, family_name, preferred_name, email, phone, date_of_birth)
      SELECT ${U(`'client-'||c||'-'||n`)}, ${U(`'clinic-'||c`)}, 'Given'||n, 'Family'||(n*7 % 97), CASE WHEN n % 4 = 0 THEN 'Pref'||n END,
             'client'||c||'.'||n||'@bench.test', '+1555'||lpad((c*1000+n)::text, 7, '0'), date '1970-01-01' + (n * 97 % 15000)
        FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) n`, [s.clinics, s.clientsPerClinic]);
    await step('groups', `INSERT INTO therapy_groups (id, clinic_id, name, modality, format, capacity, status, schedule_description, agreement_text, start_date)
      SELECT ${U(`'group-'||c||'-'||g`)}, ${U(`'clinic-'||c`)}, 'Group '||c||'.'||g,
             (ARRAY['CBT','DBT_SKILLS','PROCESS','SUPPORT'])[1 + g % 4], 'ROLLING', $3, 'ACTIVE', 'Weekly', 'Agreement', current_date - 91
        FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) g`, [s.clinics, s.groupsPerClinic, s.capacity]);
    await step('facilitators', `INSERT INTO group_facilitators (clinic_id, group_id, staff_member_id, role, period_start)
      SELECT ${U(`'clinic-'||c`)}, ${U(`'group-'||c||'-'||g`)}, ${U(`'clinician-'||c||'-'||(g % $3)`)}, 'LEAD', current_date - 91
        FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) g`, [s.clinics, s.groupsPerClinic, CLINICIANS_PER_CLINIC]);
    await step('memberships', `INSERT INTO memberships (id, clinic_id, group_id, client_id, status, period_start, waitlisted_at, agreement_version_accepted, agreement_accepted_at, created_at)
      SELECT ${U(`'membership-'||c||'-'||g||'-'||j`)}, ${U(`'clinic-'||c`)}, ${U(`'group-'||c||'-'||g`)}, ${U(`'client-'||c||'-'||((g * $4 + j) % $3)`)},
             CASE WHEN j < $5 THEN 'ACTIVE' ELSE 'WAITLISTED' END, CASE WHEN j < $5 THEN current_date - 91 END,
             CASE WHEN j >= $5 THEN now() - make_interval(days => 30 - j) END, 1, now() - interval '90 days', now() - make_interval(days => 91, secs => j)
        FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) g, generate_series(0, $4 - 1) j`, [s.clinics, s.groupsPerClinic, s.clientsPerClinic, s.membersPerGroup, s.capacity]);
    await step('sessions', `INSERT INTO group_sessions (id, clinic_id, group_id, scheduled_start, scheduled_end, status, topic)
      SELECT ${U(`'session-'||c||'-'||g||'-'||w`)}, ${U(`'clinic-'||c`)}, ${U(`'group-'||c||'-'||g`)},
             date_trunc('day', now()) + make_interval(weeks => w - $3 / 2, hours => 18), date_trunc('day', now()) + make_interval(weeks => w - $3 / 2, hours => 19, mins => 30),
             CASE WHEN w < $3 / 2 THEN 'HELD' ELSE 'SCHEDULED' END, 'Topic '||w
        FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) g, generate_series(0, $3 - 1) w`, [s.clinics, s.groupsPerClinic, s.sessionsPerGroup]);
    await step('attendance', `INSERT INTO attendance (clinic_id, session_id, membership_id, client_id, status, minutes)
      SELECT m.clinic_id, s.id, m.id, m.client_id, (ARRAY['PRESENT','PRESENT','PRESENT','LATE','ABSENT_EXCUSED'])[1 + abs(hashtext(s.id::text || m.id::text)) % 5], 90
        FROM group_sessions s JOIN memberships m ON m.group_id = s.group_id AND m.status = 'ACTIVE' WHERE s.status = 'HELD'`);
    await step('notes', `INSERT INTO session_notes (clinic_id, session_id, kind, membership_id, client_id, author_staff_id, status, body, key_id, content_hash, signed_at, signed_by_staff_id)
      SELECT s.clinic_id, s.id, 'GROUP', NULL::uuid, NULL::uuid, f.staff_member_id, 'SIGNED', decode(md5(s.id::text), 'hex'), 'bench', md5(s.id::text), s.scheduled_end, f.staff_member_id::uuid
        FROM group_sessions s JOIN group_facilitators f ON f.group_id = s.group_id WHERE s.status = 'HELD'
      UNION ALL
      SELECT a.clinic_id, a.session_id, 'PROGRESS', a.membership_id, a.client_id, f.staff_member_id, 'DRAFT', decode(md5(a.id::text), 'hex'), 'bench', NULL::text, NULL::timestamptz, NULL::uuid
        FROM attendance a JOIN group_sessions s ON s.id = a.session_id JOIN group_facilitators f ON f.group_id = s.group_id
       WHERE s.scheduled_start > now() - interval '8 days'`);
    await step('goals', `INSERT INTO goals (id, clinic_id, membership_id, client_id, group_id, title, measure_kind, measure_period, target, start_date, lifecycle_status, visibility, created_by_type, created_by_id, created_at)
      SELECT ${U(`m.id::text||'-g'||k`)}, m.clinic_id, m.id, m.client_id, m.group_id,
             CASE k WHEN 0 THEN 'Practise one skill daily' ELSE 'Walk three times a week' END,
             CASE k WHEN 0 THEN 'BOOLEAN' ELSE 'COUNT' END, CASE k WHEN 0 THEN 'DAILY' ELSE 'WEEKLY' END, CASE k WHEN 0 THEN NULL ELSE 3 END,
             current_date - 60, 'ACTIVE', CASE k WHEN 0 THEN 'GROUP' ELSE 'PRIVATE' END, 'CLIENT', m.client_id, m.created_at + make_interval(secs => k)
        FROM memberships m, generate_series(0, 1) k WHERE m.status = 'ACTIVE'`);
    await step('check-ins', `INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, mood, recorded_at, recorded_by_type, recorded_by_id)
      SELECT g.clinic_id, g.id, g.client_id, 1, 1 + d % 5, LEAST(date_trunc('day', now()) + interval '12 hours', now()) - make_interval(days => d), 'CLIENT', g.client_id
        FROM goals g, generate_series(0, $1 - 1) d WHERE (d + abs(hashtext(g.id::text))) % 7 <> 0`, [s.checkInsPerGoal]);
    await step('consents', `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, scope_api_key_id, provision, method, recorded_by_type, granted_at)
      SELECT m.clinic_id, m.client_id, 'GROUP_AGREEMENT', 'GROUP', m.group_id, NULL::uuid, 'PERMIT', 'ELECTRONIC', 'CLIENT', now() - interval '90 days' FROM memberships m
      UNION ALL
      SELECT m.clinic_id, m.client_id, 'GOAL_SHARING', 'GROUP', m.group_id, NULL::uuid, 'PERMIT', 'ELECTRONIC', 'CLIENT', now() - interval '90 days'
        FROM memberships m WHERE abs(hashtext(m.id::text)) % 2 = 0`);
    await step('api keys', `INSERT INTO api_keys (id, clinic_id, name, key_prefix, key_hash, scopes)
      SELECT ${U(`'apikey-'||c`)}, ${U(`'clinic-'||c`)}, 'Bench partner app', 'kin_bench', k.hash, ARRAY['roster:read','roster:write','goals:read','sessions:read']
        FROM generate_series(0, $1 - 1) c JOIN unnest($2::text[]) WITH ORDINALITY AS k(hash, i) ON k.i = c + 1`,
      [s.clinics, Array.from({ length: s.clinics }, (_, c) => hashApiKey(ids.apiKeySecret(c)))]);
    await step('partner consents', `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_api_key_id, provision, method, recorded_by_type, granted_at)
      SELECT c.clinic_id, c.id, 'PARTNER_DATA_SHARING', 'INTEGRATION', ${U(`'apikey-'||(regexp_replace(k.slug, '^bench-', ''))`)}, 'PERMIT', 'ELECTRONIC', 'CLIENT', now() - interval '30 days'
        FROM clients c JOIN clinics k ON k.id = c.clinic_id WHERE abs(hashtext(c.id::text)) % 2 = 0`);
    await step('partnerships', `INSERT INTO accountability_partnerships (clinic_id, group_id, proposer_membership_id, partner_membership_id, status, responded_at)
      SELECT ${U(`'clinic-'||c`)}, ${U(`'group-'||c||'-'||g`)}, ${U(`'membership-'||c||'-'||g||'-'||j`)}, ${U(`'membership-'||c||'-'||g||'-'||(j + 1)`)},
             'ACTIVE', now() - interval '30 days'
        FROM generate_series(0, $1 - 1) c, generate_series(0, $2 - 1) g, generate_series(0, $3 - 2, 2) j`, [s.clinics, s.groupsPerClinic, s.capacity]);
    await db.query(`SET session_replication_role = DEFAULT`);
    // As the server keeps them: each goal's streak summary, reckoned from its history.
    const t = Date.now();
    const summarized = await backfillStreakSummaries(async (sql, params) => (await db.query(sql, params)).rows, { batch: 5000 });
    log(`  streak summaries: ${summarized} goals in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    await step('vacuum analyze', 'VACUUM (ANALYZE)');
  } finally {
    await db.end();
  }
}
