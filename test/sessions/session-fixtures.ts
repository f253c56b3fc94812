/**
 * Fixtures shared by test/sessions and test/notes: an ACTIVE group built through the API (the
 * clinic's clinician as LEAD), its members, a session, notes; the GraphQL operations these tests
 * use; and the stored state read past RLS, to prove what a mutation wrote or that a refusal
 * wrote nothing.
 */
import { fromGlobalId, toGlobalId } from '../../src/common/global-id';
import { ClientFixture, ClinicFixture, createClinic, ownerQuery, StaffFixture } from '../support/factories';
import { expectError, gql, GqlResult } from '../support/test-app';

export const uuidOf = (gid: string) => fromGlobalId(gid)!.id;

/** The response's data, after asserting the operation answered without errors. */
export function ok<T = any>(res: GqlResult<T>): T {
  if (res.errors) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  expect(res.status).toBe(200);
  return res.data;
}

// ---- operations -------------------------------------------------------------------------------

export const SESSION_FIELDS = `id scheduledStart scheduledEnd durationMinutes status topic cancelReason`;
export const ATTENDANCE_FIELDS = `id status joinedAt leftAt minutes recordedAt`;
export const NOTE_FIELDS = `id kind status version sharedWithClient contentHash signedAt cosignedAt createdAt updatedAt
  author { id name } signedBy { id } cosignedBy { id } membership { id } session { id }`;

export const SCHEDULE = `mutation($input: ScheduleSessionsInput!) { scheduleSessions(input: $input) { sessions { ${SESSION_FIELDS} } } }`;
export const UPDATE_SESSION = `mutation($input: UpdateSessionInput!) {
  updateSession(input: $input) { session { ${SESSION_FIELDS} facilitatorsPresent { id } } } }`;
export const CANCEL_SESSION = `mutation($input: CancelSessionInput!) { cancelSession(input: $input) { session { ${SESSION_FIELDS} } } }`;
export const RECORD_ATTENDANCE = `mutation($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { session { id status } attendance { ${ATTENDANCE_FIELDS} membership { id } } } }`;
export const GROUP_SESSION = `query($id: ID!) { groupSession(id: $id) { ${SESSION_FIELDS} group { id } } }`;
export const SESSION_ATTENDANCE = `query($id: ID!) { groupSession(id: $id) { id attendance { ${ATTENDANCE_FIELDS} membership { id } } } }`;
export const SESSION_NOTES = `query($id: ID!) { groupSession(id: $id) { id notes { id kind status body } } }`;
export const SESSION_NOTES_META = `query($id: ID!) { groupSession(id: $id) { id notes { id kind status } } }`;
export const GROUP_SESSIONS = `query($id: ID!, $from: DateTime, $to: DateTime) {
  group(id: $id) { id sessions(from: $from, to: $to) { id scheduledStart status } nextSession { id scheduledStart status } } }`;

export const CREATE_NOTE = `mutation($input: CreateSessionNoteInput!) { createSessionNote(input: $input) { note { ${NOTE_FIELDS} body } } }`;
export const UPDATE_NOTE = `mutation($input: UpdateSessionNoteInput!) { updateSessionNote(input: $input) { note { ${NOTE_FIELDS} body } } }`;
export const SIGN_NOTE = `mutation($input: SignSessionNoteInput!) {
  signSessionNote(input: $input) { signed warnings { code message } note { ${NOTE_FIELDS} } } }`;
export const COSIGN_NOTE = `mutation($input: CosignSessionNoteInput!) { cosignSessionNote(input: $input) { note { ${NOTE_FIELDS} } } }`;
export const ADD_ADDENDUM = `mutation($input: AddNoteAddendumInput!) {
  addNoteAddendum(input: $input) { addendum { contentHash createdAt body author { id } } } }`;
export const SESSION_NOTE = `query($id: ID!) { sessionNote(id: $id) { id kind status body addenda { body contentHash } } }`;
export const SESSION_NOTE_META = `query($id: ID!) { sessionNote(id: $id) { id kind status author { id } } }`;
export const NOTE_NODE = `query($id: ID!) { node(id: $id) { id ... on SessionNote { kind status body } } }`;
export const MY_NOTES = `{ myNotes { id kind status body } }`;

const CREATE_GROUP = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }`;
const ASSIGN_FACILITATOR = `mutation($input: AssignFacilitatorInput!) { assignFacilitator(input: $input) { facilitator { id } } }`;
const CHANGE_GROUP_STATUS = `mutation($input: ChangeGroupStatusInput!) { changeGroupStatus(input: $input) { group { id status } } }`;
const ENROLL = `mutation($input: EnrollClientInput!) { enrollClient(input: $input) { membership { id status } } }`;
const ACCEPT_AGREEMENT = `mutation($input: AcceptGroupAgreementInput!) { acceptGroupAgreement(input: $input) { membership { id } } }`;

// ---- the world --------------------------------------------------------------------------------

export interface GroupRef {
  id: string;
  gid: string;
}

export interface Member {
  client: ClientFixture;
  /** Membership uuid and global id. */
  id: string;
  gid: string;
  status: string;
  /** The member's Authorization header value. */
  auth: string;
}

export interface SessionRef {
  id: string;
  gid: string;
  scheduledStart: string;
  durationMinutes: number;
}

export interface World {
  clinic: ClinicFixture;
  group: GroupRef;
  lead: StaffFixture;
  members: Member[];
  session: SessionRef;
}

let seq = 0;

/** A whole minute `minutes` from now (negative: in the past), as an ISO instant. */
export function minutesFromNow(minutes: number): string {
  const t = new Date(Date.now() + minutes * 60000);
  t.setUTCSeconds(0, 0);
  return t.toISOString();
}

/** Enrols a new client through the API as the clinic's admin. */
export async function enrolNew(
  clinic: ClinicFixture,
  group: GroupRef,
  options: { initialStatus?: string; name?: Partial<{ givenName: string; familyName: string; preferredName: string | null }> } = {},
): Promise<Member> {
  const client = await clinic.addClient(options.name ?? {});
  const m = ok(await gql(clinic.admin.auth, ENROLL, { input: { groupId: group.gid, clientId: client.gid, initialStatus: options.initialStatus } }))
    .enrollClient.membership;
  return { client, id: uuidOf(m.id), gid: m.id, status: m.status, auth: client.auth };
}

/** Makes memberships look as if they had started `days` ago (enrolClient starts them today). */
export async function backdateMemberships(groupId: string, days: number) {
  await ownerQuery(`UPDATE memberships SET period_start = current_date - $2::int WHERE group_id = $1 AND period_start IS NOT NULL`, [groupId, days]);
}

/**
 * An ACTIVE OPEN group created through the API by the admin: `lead` (default: the clinic's
 * clinician) as LEAD, `members` new clients enrolled while FORMING (ACTIVE), memberships
 * backdated `backdateDays` (default 30) so past sessions can take attendance.
 */
export async function activeGroup(
  clinic: ClinicFixture,
  options: {
    members?: number;
    lead?: StaffFixture;
    capacity?: number;
    backdateDays?: number;
    names?: Partial<{ givenName: string; familyName: string; preferredName: string | null }>[];
  } = {},
): Promise<{ group: GroupRef; lead: StaffFixture; members: Member[] }> {
  const lead = options.lead ?? clinic.clinician;
  const count = options.names?.length ?? options.members ?? 3;
  const created = ok(
    await gql(clinic.admin.auth, CREATE_GROUP, {
      input: {
        name: `Sessions group ${String(++seq).padStart(4, '0')}`,
        modality: 'CBT',
        format: 'OPEN',
        capacity: options.capacity ?? Math.max(8, count),
        agreementText: 'What is said here stays here.',
      },
    }),
  ).createGroup.group;
  const group = { id: uuidOf(created.id), gid: created.id as string };
  // Assigned from long before any session a test schedules or moves (a session two hours ago may be
  // yesterday in the clinic's calendar), so who facilitated is never judged against today's start.
  ok(await gql(clinic.admin.auth, ASSIGN_FACILITATOR, { input: { groupId: group.gid, staffMemberId: lead.gid, role: 'LEAD', periodStart: '2020-01-01' } }));
  const members: Member[] = [];
  for (let i = 0; i < count; i++) members.push(await enrolNew(clinic, group, { name: options.names?.[i] }));
  const activated = ok(await gql(clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: group.gid, status: 'ACTIVE' } }));
  expect(activated.changeGroupStatus.group.status).toBe('ACTIVE');
  if ((options.backdateDays ?? 30) > 0) await backdateMemberships(group.id, options.backdateDays ?? 30);
  return { group, lead, members };
}

/** Schedules through the API (as the clinic's clinician unless `auth` is given); returns the sessions. */
export async function schedule(
  auth: string,
  group: GroupRef,
  input: { firstStart: string; durationMinutes?: number; topic?: string | null; weekly?: Record<string, unknown> },
): Promise<SessionRef[]> {
  const res = await gql(auth, SCHEDULE, { input: { groupId: group.gid, durationMinutes: 90, ...input } });
  return ok(res).scheduleSessions.sessions.map((s: any) => ({
    id: uuidOf(s.id),
    gid: s.id,
    scheduledStart: s.scheduledStart,
    durationMinutes: s.durationMinutes,
  }));
}

/**
 * A fresh clinic (or the given one) with an ACTIVE group of `members` and one session, by default
 * one that started two hours ago and lasted 90 minutes (so attendance can be taken).
 */
export async function sessionWorld(
  options: Parameters<typeof activeGroup>[1] & { clinic?: ClinicFixture; timezone?: string; firstStart?: string; durationMinutes?: number } = {},
): Promise<World> {
  const clinic = options.clinic ?? (await createClinic('Session Clinic', options.timezone));
  const { group, lead, members } = await activeGroup(clinic, options);
  const [session] = await schedule(lead.auth, group, {
    firstStart: options.firstStart ?? minutesFromNow(-120),
    durationMinutes: options.durationMinutes ?? 90,
    topic: 'Distress tolerance',
  });
  return { clinic, group, lead, members, session };
}

export async function acceptAgreement(member: Member, group: GroupRef) {
  ok(await gql(member.auth, ACCEPT_AGREEMENT, { input: { groupId: group.gid } }));
}

/** Records attendance through the API as `auth`; returns the payload. */
export async function recordAttendance(auth: string, session: SessionRef, records: Record<string, unknown>[]) {
  return ok(await gql(auth, RECORD_ATTENDANCE, { input: { sessionId: session.gid, records } })).recordAttendance;
}

export interface NoteRef {
  id: string;
  gid: string;
  version: number;
}

/** Creates a draft note through the API (as `auth`, default the world's lead). */
export async function createNote(
  world: Pick<World, 'lead' | 'session'>,
  input: { kind: 'GROUP' | 'PROGRESS' | 'PSYCHOTHERAPY'; body: string; member?: Member; sharedWithClient?: boolean },
  auth = world.lead.auth,
): Promise<NoteRef & { note: any }> {
  const note = ok(
    await gql(auth, CREATE_NOTE, {
      input: { sessionId: world.session.gid, kind: input.kind, membershipId: input.member?.gid, body: input.body, sharedWithClient: input.sharedWithClient },
    }),
  ).createSessionNote.note;
  return { id: uuidOf(note.id), gid: note.id, version: note.version, note };
}

/** Signs a draft through the API (as `auth`, default the world's lead), acknowledging warnings. */
export async function signNote(world: Pick<World, 'lead'>, note: NoteRef, auth = world.lead.auth) {
  const signed = ok(await gql(auth, SIGN_NOTE, { input: { noteId: note.gid, acknowledgeWarnings: true } })).signSessionNote;
  expect(signed.signed).toBe(true);
  return signed.note;
}

// ---- stored state, read past RLS ----------------------------------------------------------------

export const sessionRow = async (id: string) => (await ownerQuery(`SELECT * FROM group_sessions WHERE id = $1`, [id]))[0];
export const sessionRowsOf = (groupId: string) =>
  ownerQuery(`SELECT * FROM group_sessions WHERE group_id = $1 ORDER BY scheduled_start, id`, [groupId]);
export const attendanceRowsOf = (sessionId: string) =>
  ownerQuery(`SELECT * FROM attendance WHERE session_id = $1 ORDER BY membership_id`, [sessionId]);
export const noteRow = async (id: string) => (await ownerQuery(`SELECT * FROM session_notes WHERE id = $1`, [id]))[0];
export const noteRowsOf = (sessionId: string) => ownerQuery(`SELECT * FROM session_notes WHERE session_id = $1 ORDER BY created_at, id`, [sessionId]);
export const addendumRowsOf = (noteId: string) => ownerQuery(`SELECT * FROM note_addenda WHERE note_id = $1 ORDER BY created_at, id`, [noteId]);

/** Audit rows of one resource, oldest first. */
export const auditRowsOf = (resourceId: string) =>
  ownerQuery(
    `SELECT action, actor_type, actor_id, resource_type, resource_id, subject_client_id, request_id, code
       FROM audit_events WHERE resource_id = $1 ORDER BY id`,
    [resourceId],
  );

/**
 * Every row a session, attendance or note mutation could write in a clinic (audit rows excepted:
 * refusals are audited on purpose), to prove a refusal changed nothing.
 */
export async function sessionState(clinicId: string) {
  const [row] = await ownerQuery(
    `SELECT (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM group_sessions x WHERE x.clinic_id = $1) AS sessions,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM attendance x WHERE x.clinic_id = $1) AS attendance,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM session_notes x WHERE x.clinic_id = $1) AS notes,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM note_addenda x WHERE x.clinic_id = $1) AS addenda,
            (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM memberships x WHERE x.clinic_id = $1) AS memberships`,
    [clinicId],
  );
  return row;
}

/**
 * Runs `attempt`, expects exactly the error `code` and no data, and proves that none of the given
 * clinics' session, attendance, note, addendum or membership rows changed.
 */
export async function expectRefused(code: string, clinicIds: string[], attempt: () => Promise<GqlResult>): Promise<GqlResult> {
  const before = await Promise.all(clinicIds.map(sessionState));
  const res = await attempt();
  expectError(res, code);
  expect(res.data ?? null).toBeNull();
  expect(await Promise.all(clinicIds.map(sessionState))).toEqual(before);
  return res;
}

/**
 * A neighbouring clinic with a held session, attendance, a signed GROUP note and a draft
 * PROGRESS note: tests prove their refusals and writes leave it untouched.
 */
export async function neighbourClinic(): Promise<World> {
  const world = await sessionWorld({ members: 2 });
  await recordAttendance(world.lead.auth, world.session, world.members.map((m) => ({ membershipId: m.gid, status: 'PRESENT' })));
  const groupNote = await createNote(world, { kind: 'GROUP', body: 'Neighbour group note: grounding skills.' });
  await signNote(world, groupNote);
  await createNote(world, { kind: 'PROGRESS', body: 'Neighbour progress note.', member: world.members[0] });
  return world;
}

export const sessionGid = (id: string) => toGlobalId('GroupSession', id);
export const noteGid = (id: string) => toGlobalId('SessionNote', id);
export { expectError, gql };

/**
 * Concludes the world's group, completes its memberships (today: still seated on the dates of its
 * sessions so far) and archives it, as a clinic closes a group through the API.
 */
export async function concludeAndArchive(world: Pick<World, 'clinic' | 'group' | 'members'>) {
  ok(await gql(world.clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: world.group.gid, status: 'CONCLUDED' } }));
  for (const m of world.members) {
    ok(await gql(world.clinic.admin.auth, `mutation($input: ChangeMembershipStatusInput!) { changeMembershipStatus(input: $input) { membership { id } } }`, {
      input: { membershipId: m.gid, status: 'COMPLETED', reason: 'Group concluded' },
    }));
  }
  ok(await gql(world.clinic.admin.auth, CHANGE_GROUP_STATUS, { input: { groupId: world.group.gid, status: 'ARCHIVED' } }));
}
