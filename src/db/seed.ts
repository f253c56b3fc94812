import { Client as PgClient } from 'pg';
import { randomUUID } from 'node:crypto';
import { generateApiKey } from '../auth/api-key-secret';
import { backfillStreakSummaries } from '../modules/goals/streak-summary';
import { contentHash, NoteCipher } from '../modules/notes/note-cipher';

export interface DemoIdentities {
  clinicId: string;
  adminId: string;
  supervisorId: string;
  clinicianId: string;
  memberClientId: string;
  apiKey: string;
}

const STAFF = [
  { key: 'admin', name: 'Alex Morgan', email: 'alex.morgan@riverside.example', role: 'ADMIN', credentials: null },
  { key: 'supervisor', name: 'Dr. Priya Nair', email: 'priya.nair@riverside.example', role: 'SUPERVISOR', credentials: 'PsyD' },
  { key: 'clinician', name: 'Jordan Lee', email: 'jordan.lee@riverside.example', role: 'CLINICIAN', credentials: 'LCSW' },
  { key: 'clinician2', name: 'Sam Okafor', email: 'sam.okafor@riverside.example', role: 'CLINICIAN', credentials: 'LMFT' },
] as const;

const CLIENTS: [string, string, string | null, string | null][] = [
  ['Maria', 'Gonzalez', 'Mari', 'she/her'],
  ['Thomas', 'Becker', 'Tom', 'he/him'],
  ['Aisha', 'Rahman', null, 'she/her'],
  ['Daniel', 'Kim', 'Danny', 'he/him'],
  ['Riley', 'Thompson', null, 'they/them'],
  ['Chen', 'Wei', null, 'he/him'],
  ['Olivia', 'Brown', 'Liv', 'she/her'],
  ['Marcus', 'Johnson', null, 'he/him'],
  ['Sofia', 'Rossi', null, 'she/her'],
  ['Ethan', 'Walker', null, 'he/him'],
  ['Nadia', 'Haddad', null, 'she/her'],
  ['Jamie', 'Fischer', 'Jay', 'they/them'],
];

/**
 * Seeds the demo clinic once (by slug) through an owner connection; the tenant is set
 * transaction-locally exactly as the server does, so RLS holds for non-superuser owners too.
 */
export async function seedDemo(ownerUrl: string, noteCipher: NoteCipher): Promise<DemoIdentities | undefined> {
  const db = new PgClient({ connectionString: ownerUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    const clinicId = (await db.query(`SELECT gen_random_uuid() AS id`)).rows[0].id as string;
    await db.query(`SELECT set_config('app.clinic_id', $1, true)`, [clinicId]);
    const inserted = await db.query(
      `INSERT INTO clinics (id, name, slug, timezone, settings) VALUES ($1, 'Riverside Group Practice', 'riverside-demo', 'America/New_York', '{}')
       ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [clinicId],
    );
    if (!inserted.rowCount) {
      await db.query('ROLLBACK');
      return undefined;
    }
    const staffIds: Record<string, string> = {};
    for (const s of STAFF) {
      const { rows } = await db.query(
        `INSERT INTO staff_members (clinic_id, name, email, role, credentials) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [clinicId, s.name, s.email, s.role, s.credentials],
      );
      staffIds[s.key] = rows[0].id;
    }
    const clientIds: string[] = [];
    for (const [i, [given, family, preferred, pronouns]] of CLIENTS.entries()) {
      const { rows } = await db.query(
        `INSERT INTO clients (clinic_id, given_name, family_name, preferred_name, pronouns, email, phone, date_of_birth)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [clinicId, given, family, preferred, pronouns, `${given.toLowerCase()}.${family.toLowerCase()}@example.org`,
          `+1555010${String(i).padStart(4, '0')}`, `19${70 + i}-0${(i % 9) + 1}-1${i % 9}`],
      );
      clientIds.push(rows[0].id);
      await db.query(
        `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', $2, 'urn:riverside:ehr', $3)`,
        [clinicId, rows[0].id, `MRN-${1000 + i}`],
      );
    }
    const groups = await seedGroups(db, clinicId, staffIds, clientIds);
    const key = generateApiKey();
    const { rows: keyRows } = await db.query(
      `INSERT INTO api_keys (clinic_id, name, key_prefix, key_hash, scopes, created_by_staff_id)
       VALUES ($1, 'Demo EHR integration', $2, $3, $4, $5) RETURNING id`,
      [clinicId, key.prefix, key.hash, ['roster:read', 'roster:write', 'goals:read', 'consent:read', 'sessions:read', 'changes:read'], staffIds.admin],
    );
    await seedConsents(db, clinicId, clientIds, groups, keyRows[0].id as string, staffIds.clinician);
    await seedGoals(db, clinicId, clientIds, groups);
    // Check-ins loaded with SQL: their goals' streak summaries are reckoned as a check-in would.
    await backfillStreakSummaries(async (sql, params) => (await db.query(sql, params)).rows, { clinicId });
    await seedSessions(db, clinicId, groups, staffIds.clinician, clientIds[0], noteCipher);
    await seedAfterGroup(db, clinicId, groups, clientIds, staffIds.clinician2);
    await db.query('COMMIT');
    return {
      clinicId,
      adminId: staffIds.admin,
      supervisorId: staffIds.supervisor,
      clinicianId: staffIds.clinician,
      memberClientId: clientIds[0],
      apiKey: key.key,
    };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
}

const AGREEMENT =
  'What is shared in group stays in group. We arrive on time, speak for ourselves, and do not contact each other outside group ' +
  'except as the group allows. Anyone may pass.';

/** Three groups in different states: one running with a waitlist, one concluded (alumni), one forming. */
async function seedGroups(db: PgClient, clinicId: string, staff: Record<string, string>, clients: string[]): Promise<SeededGroups> {
  const group = async (name: string, modality: string, format: string, capacity: number, status: string, schedule: string, policy: string) =>
    (
      await db.query(
        `INSERT INTO therapy_groups (clinic_id, name, description, modality, format, capacity, status, schedule_description,
                                     location, video_link, start_date, agreement_text, peer_contact_policy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Room 3, 2nd floor', 'https://video.example/riverside', current_date - 60, $9, $10)
         RETURNING id`,
        [clinicId, name, `${name}: a ${modality.toLowerCase().replace('_', ' ')} group.`, modality, format, capacity, status, schedule, AGREEMENT, policy],
      )
    ).rows[0].id as string;
  const facilitate = (groupId: string, staffId: string, role: string) =>
    db.query(`INSERT INTO group_facilitators (clinic_id, group_id, staff_member_id, role, period_start) VALUES ($1, $2, $3, $4, current_date - 60)`, [
      clinicId, groupId, staffId, role,
    ]);
  const enrol = async (groupId: string, clientId: string, status: string, accepted: boolean) => {
    const ended = ['COMPLETED', 'WITHDRAWN', 'DISCHARGED'].includes(status);
    const { rows } = await db.query(
      `INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start, period_end, waitlisted_at,
                                agreement_version_accepted, agreement_accepted_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $4 IN ('ACTIVE', 'ON_HOLD', 'COMPLETED') THEN current_date - 56 END,
               CASE WHEN $5 THEN current_date - 3 END, CASE WHEN $4 = 'WAITLISTED' THEN now() END,
               CASE WHEN $6 THEN 1 END, CASE WHEN $6 THEN now() - interval '55 days' END) RETURNING id`,
      [clinicId, groupId, clientId, status, ended, accepted],
    );
    await db.query(
      `INSERT INTO membership_events (clinic_id, membership_id, from_status, to_status, reason, actor_type, actor_id)
       VALUES ($1, $2, NULL, $3, 'Demo enrolment', 'STAFF', $4)`,
      [clinicId, rows[0].id, status, staff.admin],
    );
  };

  const dbt = await group('Tuesday Evening DBT Skills', 'DBT_SKILLS', 'ROLLING', 8, 'ACTIVE', 'Tuesdays 18:00–19:30', 'AFTER_COMPLETION');
  await facilitate(dbt, staff.clinician, 'LEAD');
  await facilitate(dbt, staff.supervisor, 'CO');
  for (let i = 0; i < 8; i++) await enrol(dbt, clients[i], 'ACTIVE', i !== 7);
  await enrol(dbt, clients[8], 'WAITLISTED', false);
  await enrol(dbt, clients[9], 'WAITLISTED', false);

  const grief = await group('Grief & Loss Support', 'SUPPORT', 'CLOSED', 10, 'CONCLUDED', 'Thursdays 10:00–11:30 (ended)', 'AFTER_COMPLETION');
  await facilitate(grief, staff.clinician2, 'LEAD');
  for (const i of [0, 10, 11]) await enrol(grief, clients[i], 'COMPLETED', true);

  const cbt = await group('Anxiety CBT', 'CBT', 'OPEN', 6, 'FORMING', 'Mondays 17:00–18:30 (from next month)', 'NEVER');
  await facilitate(cbt, staff.clinician2, 'LEAD');
  await enrol(cbt, clients[3], 'SCREENING', false);
  await enrol(cbt, clients[4], 'REFERRED', false);
  return { dbt, grief, cbt };
}

interface SeededGroups {
  dbt: string;
  grief: string;
  cbt: string;
}

/** Consents granted and revoked, so Sandbox shows the gates working. */
async function seedConsents(db: PgClient, clinicId: string, clients: string[], groups: SeededGroups, apiKeyId: string, clinicianId: string) {
  const grant = async (
    client: string,
    type: string,
    scope: { group?: string; key?: string },
    opts: { method?: string; revoked?: boolean; expiresOn?: string } = {},
  ) => {
    const kind = scope.group ? 'GROUP' : scope.key ? 'INTEGRATION' : 'CLINIC';
    const method = opts.method ?? 'ELECTRONIC';
    const recorder = method === 'ELECTRONIC' ? ['CLIENT', client] : ['STAFF', clinicianId];
    const { rows } = await db.query(
      `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, scope_api_key_id, provision, method,
                                    document_version, recorded_by_type, recorded_by_id, granted_at, expires_on)
       VALUES ($1, $2, $3, $4, $5, $6, 'PERMIT', $7, '1', $8, $9, now() - interval '50 days', $10) RETURNING id`,
      [clinicId, client, type, kind, scope.group ?? null, scope.key ?? null, method, recorder[0], recorder[1], opts.expiresOn ?? null],
    );
    await db.query(
      `INSERT INTO consent_events (clinic_id, consent_id, event, actor_type, actor_id, occurred_at) VALUES ($1, $2, 'GRANTED', $3, $4, now() - interval '50 days')`,
      [clinicId, rows[0].id, recorder[0], recorder[1]],
    );
    if (opts.revoked) {
      await db.query(
        `UPDATE consent_records SET revoked_at = now() - interval '5 days', revoked_by_type = 'CLIENT', revoked_by_id = client_id,
                revocation_reason = 'Changed my mind' WHERE id = $1`,
        [rows[0].id],
      );
      await db.query(
        `INSERT INTO consent_events (clinic_id, consent_id, event, actor_type, actor_id, reason, occurred_at)
         VALUES ($1, $2, 'REVOKED', 'CLIENT', $3, 'Changed my mind', now() - interval '5 days')`,
        [clinicId, rows[0].id, client],
      );
    }
  };
  for (let i = 0; i < 7; i++) {
    await grant(clients[i], 'TREATMENT', {}, { method: 'SIGNED_FORM' });
    await grant(clients[i], 'GROUP_AGREEMENT', { group: groups.dbt });
  }
  for (const i of [0, 1, 2, 4]) await grant(clients[i], 'GOAL_SHARING', { group: groups.dbt });
  await grant(clients[5], 'GOAL_SHARING', { group: groups.dbt }, { revoked: true });
  for (const i of [0, 10, 11]) {
    await grant(clients[i], 'GROUP_AGREEMENT', { group: groups.grief });
    await grant(clients[i], 'ALUMNI_DIRECTORY', { group: groups.grief });
    await grant(clients[i], 'CONTACT_SHARING', {});
  }
  await grant(clients[0], 'PARTNER_DATA_SHARING', { key: apiKeyId });
  await grant(clients[1], 'PARTNER_DATA_SHARING', { key: apiKeyId }, { revoked: true });
  // Given for as long as the member is in the program: it lapses when their last membership ends.
  await grant(clients[0], 'RESEARCH', {}, { expiresOn: 'MEMBERSHIP_ENDS' });
}

const GOALS: [string, string, string, number | null, string][] = [
  ['Practise one distress-tolerance skill', 'BOOLEAN', 'DAILY', null, 'GROUP'],
  ['Walk 20 minutes', 'COUNT', 'WEEKLY', 3, 'PARTNERS'],
  ['Rate urge to self-criticise', 'SCALE', 'DAILY', 6, 'PRIVATE'],
];

/** Goals with a few weeks of check-ins (streaks to look at) and one active partnership. */
async function seedGoals(db: PgClient, clinicId: string, clients: string[], groups: SeededGroups) {
  const { rows: memberships } = await db.query(
    `SELECT id, client_id FROM memberships WHERE group_id = $1 AND status = 'ACTIVE' ORDER BY array_position($2::uuid[], client_id) LIMIT 6`,
    [groups.dbt, clients],
  );
  for (const [i, m] of memberships.entries()) {
    for (const [j, [title, kind, period, target, visibility]] of GOALS.entries()) {
      if ((i + j) % 3 === 2) continue;
      const { rows } = await db.query(
        `INSERT INTO goals (clinic_id, membership_id, client_id, group_id, title, measure_kind, measure_period, target, start_date,
                            lifecycle_status, visibility, created_by_type, created_by_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, current_date - 35, 'ACTIVE', $9, 'CLIENT', $3) RETURNING id`,
        [clinicId, m.id, m.client_id, groups.dbt, title, kind, period, target, visibility],
      );
      // Daily check-ins for most of the last 30 days: a streak up to today for some, gaps for others.
      await db.query(
        `INSERT INTO goal_check_ins (clinic_id, goal_id, client_id, value, note, mood, recorded_at, recorded_by_type, recorded_by_id)
         SELECT $1, $2, $3,
                CASE $4 WHEN 'BOOLEAN' THEN 1 WHEN 'COUNT' THEN 1 ELSE 4 + (d % 6) END,
                CASE WHEN d % 7 = 0 THEN 'Hard day, still did it' END, 1 + (d % 5), now() - make_interval(days => d), 'CLIENT', $3
           FROM generate_series(0, 29) AS d WHERE (d + $5) % 9 <> 0`,
        [clinicId, rows[0].id, m.client_id, kind, i],
      );
    }
  }
  if (memberships.length >= 2) {
    await db.query(
      `INSERT INTO accountability_partnerships (clinic_id, group_id, proposer_membership_id, partner_membership_id, status, message, responded_at)
       VALUES ($1, $2, $3, $4, 'ACTIVE', 'Want to keep each other going?', now() - interval '20 days')`,
      [clinicId, groups.dbt, memberships[0].id, memberships[1].id],
    );
  }
}

const GROUP_NOTE =
  'Skills focus: distress tolerance (TIPP). Members practised paced breathing; several reported using it during the week. ' +
  'Discussion of barriers to practice at home. Homework: one TIPP skill daily, log in the app.';

/**
 * Eight weekly sessions held (attendance, a signed group note, progress notes — one shared with
 * the demo member — and an addendum) and four to come, at 18:00 clinic time.
 */
async function seedSessions(db: PgClient, clinicId: string, groups: SeededGroups, clinicianId: string, demoClientId: string, cipher: NoteCipher) {
  const { rows: sessions } = await db.query(
    `INSERT INTO group_sessions (clinic_id, group_id, scheduled_start, scheduled_end, status, topic, facilitators_present)
     SELECT $1, $2, s, s + interval '90 minutes', CASE WHEN s < now() THEN 'HELD' ELSE 'SCHEDULED' END,
            (ARRAY['Mindfulness', 'Distress tolerance', 'Emotion regulation', 'Interpersonal effectiveness'])[1 + n % 4],
            CASE WHEN s < now() THEN ARRAY[$3::uuid] ELSE '{}' END
       FROM generate_series(0, 11) AS n,
            LATERAL (SELECT ((date_trunc('week', now() AT TIME ZONE 'America/New_York') - interval '8 weeks' + interval '1 day 18 hours')
                             + make_interval(weeks => n)) AT TIME ZONE 'America/New_York' AS s) x
     RETURNING id, status`,
    [clinicId, groups.dbt, clinicianId],
  );
  const held = sessions.filter((s) => s.status === 'HELD').map((s) => s.id as string);
  await db.query(
    `INSERT INTO attendance (clinic_id, session_id, membership_id, client_id, status, minutes, recorded_by_id)
     SELECT $1, s.id, m.id, m.client_id,
            (ARRAY['PRESENT', 'PRESENT', 'PRESENT', 'LATE', 'PRESENT', 'ABSENT_EXCUSED', 'PRESENT', 'NO_SHOW'])[1 + (abs(hashtext(s.id::text || m.id::text)) % 8)],
            90, $3
       FROM group_sessions s JOIN memberships m ON m.group_id = s.group_id AND m.status = 'ACTIVE'
      WHERE s.id = ANY($2::uuid[])`,
    [clinicId, held, clinicianId],
  );
  await db.query(`UPDATE attendance SET minutes = CASE status WHEN 'LATE' THEN 70 WHEN 'PRESENT' THEN 90 ELSE 0 END WHERE session_id = ANY($1::uuid[])`, [held]);

  const note = async (sessionId: string, kind: string, membership: { id: string; client_id: string } | null, text: string, signed: boolean, shared: boolean) => {
    const id = randomUUID();
    const { body, keyId } = cipher.encrypt(id, text);
    await db.query(
      `INSERT INTO session_notes (id, clinic_id, session_id, kind, membership_id, client_id, author_staff_id, status, body, key_id,
                                  shared_with_client, content_hash, signed_at, signed_by_staff_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $8 = 'SIGNED' THEN now() END, CASE WHEN $8 = 'SIGNED' THEN $7::uuid END)`,
      [id, clinicId, sessionId, kind, membership?.id ?? null, membership?.client_id ?? null, clinicianId, signed ? 'SIGNED' : 'DRAFT', body, keyId,
        shared, signed ? contentHash(text) : null],
    );
    return id;
  };
  const last = held[held.length - 1];
  const { rows: members } = await db.query(`SELECT id, client_id FROM memberships WHERE group_id = $1 AND status = 'ACTIVE' ORDER BY client_id = $2 DESC LIMIT 3`, [
    groups.dbt,
    demoClientId,
  ]);
  for (const s of held.slice(-3)) await note(s, 'GROUP', null, GROUP_NOTE, true, false);
  const shared = await note(last, 'PROGRESS', members[0], 'Engaged throughout; reports daily breathing practice and fewer late-night urges. Plan: continue diary card.', true, true);
  await note(last, 'PROGRESS', members[1], 'Quiet this week; identified a trigger at work. Follow up individually.', true, false);
  await note(last, 'PROGRESS', members[2], 'Draft: arrived late, settled after check-in.', false, false);
  const addendumId = randomUUID();
  const addendum = 'Correction: the practice log covers 6 of 7 days, not all 7.';
  const enc = cipher.encrypt(addendumId, addendum);
  await db.query(
    `INSERT INTO note_addenda (id, clinic_id, note_id, author_staff_id, body, key_id, content_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [addendumId, clinicId, shared, clinicianId, enc.body, enc.keyId, contentHash(addendum)],
  );
}

/** Alumni of the grief group: an accepted connection, a pending request to the demo member, and a reunion. */
async function seedAfterGroup(db: PgClient, clinicId: string, groups: SeededGroups, clients: string[], facilitatorId: string) {
  for (const i of [0, 10, 11]) {
    await db.query(
      `INSERT INTO contact_preferences (clinic_id, client_id, share_email, share_phone, handle) VALUES ($1, $2, true, $3, $4)`,
      [clinicId, clients[i], i !== 0, i === 11 ? '@jay.signal' : null],
    );
  }
  await db.query(
    `INSERT INTO connections (clinic_id, group_id, requester_client_id, recipient_client_id, status, message, responded_at)
     VALUES ($1, $2, $3, $4, 'ACCEPTED', 'Coffee sometime?', now() - interval '2 days'),
            ($1, $2, $5, $6, 'REQUESTED', 'Would love to stay in touch.', NULL)`,
    [clinicId, groups.grief, clients[10], clients[11], clients[11], clients[0]],
  );
  const { rows } = await db.query(
    `INSERT INTO group_events (clinic_id, group_id, kind, audience, title, description, starts_at, ends_at, location, created_by_staff_id)
     VALUES ($1, $2, 'REUNION', 'ALUMNI', 'Spring reunion walk', 'An easy walk by the river, then tea.', now() + interval '20 days',
             now() + interval '20 days 2 hours', 'Riverside park, north gate', $3) RETURNING id`,
    [clinicId, groups.grief, facilitatorId],
  );
  await db.query(
    `INSERT INTO event_rsvps (clinic_id, event_id, client_id, response) VALUES ($1, $2, $3, 'GOING'), ($1, $2, $4, 'GOING'), ($1, $2, $5, 'MAYBE')`,
    [clinicId, rows[0].id, clients[10], clients[11], clients[0]],
  );
}
