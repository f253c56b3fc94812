import { isSafeText } from '../../common/safe-text';
import { canTransition, isEnded, isSeated, MembershipStatus } from '../memberships/membership-status';
import { E164_MESSAGE, E164_PHONE, isEmailAddress, isPlausibleBirthDate } from '../clients/client.policy';

export interface RosterRow {
  externalId: { system: string; value: string };
  givenName: string;
  familyName: string;
  preferredName?: string | null;
  email?: string | null;
  phone?: string | null;
  dateOfBirth?: string | null;
  status?: MembershipStatus | null;
}

export interface ExistingClient {
  id: string;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  email: string | null;
  phone: string | null;
  dateOfBirth: string | null;
}

export interface ExistingMembership {
  id: string;
  clientId: string;
  status: MembershipStatus;
  /**
   * Waitlist order (earliest first) for WAITLISTED memberships, as PostgreSQL keeps it
   * (`waitlisted_at, id`): a JavaScript Date keeps milliseconds only, and one sync waitlists its
   * rows microseconds apart.
   */
  waitlistOrder?: number;
}

/** Earliest on the waitlist first. */
const byWaitlist = (a: ExistingMembership, b: ExistingMembership) => (a.waitlistOrder ?? 0) - (b.waitlistOrder ?? 0) || (a.id < b.id ? -1 : 1);

export interface RowError {
  index: number;
  externalId: string | null;
  field: string;
  code: string;
  message: string;
}

export type ClientFields = Omit<ExistingClient, 'id'>;

export interface RosterPlan {
  errors: RowError[];
  creates: { index: number; key: string; fields: ClientFields }[];
  updates: { index: number; clientId: string; key: string; fields: ClientFields; changed: string[] }[];
  enrols: { index: number; key: string; clientId: string | null; status: MembershipStatus; waitlistedForCapacity: boolean }[];
  statusChanges: { index: number | null; key: string | null; membershipId: string; clientId: string; from: MembershipStatus; to: MembershipStatus }[];
  ends: { membershipId: string; clientId: string; from: MembershipStatus }[];
  unchanged: number;
  activeBefore: number;
  /** ACTIVE or ON_HOLD memberships before the sync. */
  seatedBefore: number;
  /** Open memberships not seated (referred, screening, waitlisted) before the sync. */
  waitingBefore: number;
}

/**
 * Seated memberships a plan ends, whether left out of a REPLACE list or given an ended status by
 * their row: both empty seats, and the large-change confirmation counts them alike.
 */
export const seatedEndings = (plan: RosterPlan): number => endings(plan, true);

/** Memberships not seated (referred, screening, waitlisted) a plan ends: a REPLACE misrouted or cut short ends them as surely. */
export const waitingEndings = (plan: RosterPlan): number => endings(plan, false);

const endings = (plan: RosterPlan, seated: boolean) =>
  plan.ends.filter((e) => isSeated(e.from) === seated).length + plan.statusChanges.filter((c) => isSeated(c.from) === seated && isEnded(c.to)).length;

export interface PlanInput {
  rows: RosterRow[];
  mode: 'MERGE' | 'REPLACE';
  /** Existing clients by `system|value`. */
  clientsByKey: ReadonlyMap<string, ExistingClient>;
  /** The group's open memberships by client id. */
  openByClient: ReadonlyMap<string, ExistingMembership>;
  capacity: number;
  acceptsNewMembers: boolean;
  /** False for a group that seats no one any more (CONCLUDED, ARCHIVED): no row may take a seat. */
  seatsMembers?: boolean;
  /** A CONCLUDED group: its open memberships only close, as changeMembershipStatus allows. */
  onlyCloses?: boolean;
  /** OPEN and ROLLING groups fill freed seats from the waitlist; the plan shows those promotions. */
  promotesWaitlist?: boolean;
  today: string;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const NEW_MEMBER_STATUSES = [MembershipStatus.REFERRED, MembershipStatus.SCREENING, MembershipStatus.WAITLISTED, MembershipStatus.ACTIVE];

/** `system|value`, with `\` and `|` escaped in the system so a `|` inside it cannot move the split. */
export const keyOf = (id: { system: string; value: string }) => `${id.system.replace(/[\\|]/g, (c) => `\\${c}`)}|${id.value}`;

/** The (system, value) pair back from a key made by keyOf. */
export function parseKey(key: string): { system: string; value: string } {
  let system = '';
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '\\') system += key[++i];
    else if (key[i] === '|') return { system, value: key.slice(i + 1) };
    else system += key[i];
  }
  return { system, value: '' };
}

/** How payloads show an identifier to integrators. */
export const displayKey = (key: string) => {
  const { system, value } = parseKey(key);
  return `${system}|${value}`;
};

const blankToNull = (v: string | null | undefined) => (v === undefined || v === null || v.trim() === '' ? null : v.trim());

function validDate(value: string, today: string): boolean {
  if (!DATE_RE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value && isPlausibleBirthDate(value, today);
}

/** Longest external identifier system or value, in characters. */
const EXTERNAL_ID_MAX = 200;

/**
 * Whether an identifier part is one `validateRows` accepts: the sync looks up only these, since
 * PostgreSQL refuses some of the others outright (NUL bytes) before the rows are judged.
 */
export const validIdentifierPart = (value: string) => isSafeText(value) && [...value].length <= EXTERNAL_ID_MAX;

/** Every problem of every row, so an integrator fixes a file in one pass. */
export function validateRows(rows: RosterRow[], today: string, stored: ReadonlyMap<string, Pick<ExistingClient, 'email' | 'phone'>> = new Map()): RowError[] {
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const ext = row.externalId?.system && row.externalId?.value ? `${row.externalId.system}|${row.externalId.value}` : null;
    const err = (field: string, code: string, message: string) => errors.push({ index, externalId: ext, field, code, message });
    const text = (field: string, value: string | null | undefined, max: number, required: boolean) => {
      if (value === null || value === undefined || value.trim() === '') {
        if (required) err(field, 'REQUIRED', `${field} is required`);
        return;
      }
      if (!isSafeText(value)) err(field, 'INVALID_TEXT', `${field} contains NUL bytes or unpaired surrogates`);
      else if ([...value].length > max) err(field, 'TOO_LONG', `${field} is longer than ${max} characters`);
    };
    text('externalId.system', row.externalId?.system, EXTERNAL_ID_MAX, true);
    text('externalId.value', row.externalId?.value, EXTERNAL_ID_MAX, true);
    text('givenName', row.givenName, 100, true);
    text('familyName', row.familyName, 100, true);
    text('preferredName', row.preferredName, 100, false);
    const email = blankToNull(row.email);
    // What a matched client already has stored is taken back unchanged, whatever rule it was stored under (a nightly roster resends it).
    const same = ext ? stored.get(keyOf(row.externalId)) : undefined;
    if (email && email !== same?.email && (email.length > 320 || !isSafeText(email) || !isEmailAddress(email))) err('email', 'INVALID_EMAIL', `"${email.slice(0, 60)}" is not an email address`);
    const phone = blankToNull(row.phone);
    if (phone && phone !== same?.phone && !E164_PHONE.test(phone)) err('phone', 'INVALID_PHONE', E164_MESSAGE);
    const dob = blankToNull(row.dateOfBirth);
    if (dob && !validDate(dob, today)) err('dateOfBirth', 'INVALID_DATE', 'dateOfBirth must be a real YYYY-MM-DD date, not in the future');
    if (ext) {
      const key = keyOf(row.externalId);
      if (seen.has(key)) err('externalId', 'DUPLICATE', `the same externalId is also on row ${seen.get(key)}`);
      else seen.set(key, index);
    }
  });
  return errors;
}

const CLIENT_FIELDS: (keyof ClientFields)[] = ['givenName', 'familyName', 'preferredName', 'email', 'phone', 'dateOfBirth'];

/**
 * The whole sync decided in memory, before any write: ends first (REPLACE and rows that end or
 * unseat), then the rows in order, seating while seats remain and waitlisting after, then the
 * waitlist's turn. Dry runs return exactly this plan.
 */
export function planRoster(input: PlanInput): RosterPlan {
  const plan: RosterPlan = { errors: validateRows(input.rows, input.today, input.clientsByKey), creates: [], updates: [], enrols: [], statusChanges: [], ends: [], unchanged: 0, activeBefore: 0, seatedBefore: 0, waitingBefore: 0 };
  const open = [...input.openByClient.values()];
  plan.activeBefore = open.filter((m) => m.status === MembershipStatus.ACTIVE).length;
  let seated = open.filter((m) => isSeated(m.status)).length;
  plan.seatedBefore = seated;
  plan.waitingBefore = open.length - seated;

  if (input.mode === 'REPLACE') {
    const listed = new Set(input.rows.map((r) => (r.externalId ? input.clientsByKey.get(keyOf(r.externalId))?.id : undefined)).filter(Boolean));
    for (const m of open) {
      if (!listed.has(m.clientId)) {
        plan.ends.push({ membershipId: m.id, clientId: m.clientId, from: m.status });
        if (isSeated(m.status)) seated -= 1;
      }
    }
  }
  if (plan.errors.length) return plan;
  // Waitlisted members still waiting: a newcomer takes a seat only beyond them (the waitlist goes
  // first). Not those who take no seat this sync: ended (REPLACE or their row), or kept waitlisted
  // by their row (the waitlist's turn passes them by, so they hold no seat back from anyone).
  const notWaiting = new Set(plan.ends.map((e) => e.membershipId));
  // What the rows end or unseat counts before any row is judged, wherever it stands: a waitlisted
  // member a row ends keeps no one waiting, and a seat a row frees is free to the rows before it
  // (in a group that promotes, the waitlist's first), so the rows' order decides nothing.
  const freeing = new Set<string>();
  for (const row of input.rows) {
    const m = row.externalId ? input.openByClient.get(input.clientsByKey.get(keyOf(row.externalId))?.id ?? '') : undefined;
    if (!m) continue;
    const desired = row.status ?? statusWhenOmitted(m.status);
    if (m.status === MembershipStatus.WAITLISTED && (isEnded(desired) || desired === MembershipStatus.WAITLISTED)) notWaiting.add(m.id);
    if (isSeated(m.status) && !isSeated(desired) && canTransition(m.status, desired) && !freeing.has(m.id)) {
      freeing.add(m.id);
      seated -= 1;
    }
  }
  let waiting = open.filter((m) => m.status === MembershipStatus.WAITLISTED && !notWaiting.has(m.id)).length;

  const rowOfClient = new Map<string, number>();
  // Waitlisted members whose row asked for a seat when none was free at that row: they wait their
  // turn with the unlisted ones for any seat a later row frees (counted unchanged until then).
  const deferred = new Map<string, { index: number; key: string; counted: boolean }>();
  input.rows.forEach((row, index) => {
    const key = keyOf(row.externalId);
    const existing = input.clientsByKey.get(key);
    // An omitted optional field keeps what is stored; an explicit null or blank clears it.
    const keep = <K extends keyof ClientFields>(k: K, v: string | null | undefined) => (v === undefined && existing ? existing[k] : blankToNull(v));
    const fields: ClientFields = {
      givenName: row.givenName.trim(),
      familyName: row.familyName.trim(),
      preferredName: keep('preferredName', row.preferredName),
      email: keep('email', row.email),
      phone: keep('phone', row.phone),
      dateOfBirth: keep('dateOfBirth', row.dateOfBirth),
    };
    const membership = existing ? input.openByClient.get(existing.id) : undefined;
    const desired = row.status ?? statusWhenOmitted(membership?.status);
    if (existing) {
      const earlier = rowOfClient.get(existing.id);
      if (earlier !== undefined) {
        plan.errors.push({ index, externalId: displayKey(key), field: 'externalId', code: 'DUPLICATE', message: `row ${earlier} names the same client by another identifier` });
        return;
      }
      rowOfClient.set(existing.id, index);
    }
    let touched = false;
    if (!existing) {
      plan.creates.push({ index, key, fields });
      touched = true;
    } else {
      const changed = CLIENT_FIELDS.filter((f) => fields[f] !== existing[f]);
      if (changed.length) {
        plan.updates.push({ index, clientId: existing.id, key, fields, changed });
        touched = true;
      }
    }
    if (!membership) {
      if (isEnded(desired)) return void (touched || plan.unchanged++);
      if (!NEW_MEMBER_STATUSES.includes(desired)) {
        plan.errors.push({ index, externalId: displayKey(key), field: 'status', code: 'CONFLICT', message: `a new member starts as ${NEW_MEMBER_STATUSES.join(', ')}, not ${desired}` });
        return;
      }
      if (!input.acceptsNewMembers) {
        plan.errors.push({ index, externalId: displayKey(key), field: 'status', code: 'CONFLICT', message: 'this group takes no new members' });
        return;
      }
      const seatFree = seated + waiting < input.capacity;
      const status = desired === MembershipStatus.ACTIVE && !seatFree ? MembershipStatus.WAITLISTED : desired;
      if (isSeated(status)) seated += 1;
      if (status === MembershipStatus.WAITLISTED) waiting += 1;
      plan.enrols.push({ index, key, clientId: existing?.id ?? null, status, waitlistedForCapacity: status !== desired });
      return;
    }
    if (membership.status === desired) return void (touched || plan.unchanged++);
    if (!canTransition(membership.status, desired)) {
      plan.errors.push({ index, externalId: displayKey(key), field: 'status', code: 'CONFLICT', message: `a ${membership.status} membership cannot become ${desired}` });
      return;
    }
    if (input.onlyCloses && !isEnded(desired)) {
      if (row.status == null) return void (touched || plan.unchanged++);
      plan.errors.push({ index, externalId: displayKey(key), field: 'status', code: 'CONFLICT', message: 'this group has concluded: its memberships only close (COMPLETED, WITHDRAWN or DISCHARGED)' });
      return;
    }
    if (isSeated(desired) && !isSeated(membership.status)) {
      if (input.seatsMembers === false) {
        // A row that asked for no status keeps what stands (an omitted status means "ACTIVE if it can be").
        if (row.status == null) return void (touched || plan.unchanged++);
        plan.errors.push({ index, externalId: displayKey(key), field: 'status', code: 'CONFLICT', message: 'this group seats no one new (it has concluded, or is a CLOSED group that has started)' });
        return;
      }
      const waitlisted = membership.status === MembershipStatus.WAITLISTED;
      // A group that fills freed seats from its waitlist seats a waitlisted member's row in its turn
      // there (earliest first, after every row), and anyone else only beyond those waiting.
      if (seated + (input.promotesWaitlist ? waiting : 0) >= input.capacity || (waitlisted && input.promotesWaitlist)) {
        // No seat yet: a waitlisted member stays waitlisted, which is what capacity means; so does
        // anyone whose row did not ask for a status (an omitted status means "ACTIVE if it can be").
        if (waitlisted) deferred.set(membership.id, { index, key, counted: !touched });
        if (waitlisted || row.status == null) return void (touched || plan.unchanged++);
        plan.errors.push({ index, externalId: displayKey(key), field: 'status', code: 'CAPACITY_REACHED', message: 'the group is full' });
        return;
      }
      seated += 1;
    }
    if (membership.status === MembershipStatus.WAITLISTED && !notWaiting.has(membership.id)) waiting -= 1;
    plan.statusChanges.push({ index, key, membershipId: membership.id, clientId: membership.clientId, from: membership.status, to: desired });
  });
  if (input.promotesWaitlist && plan.errors.length === 0) {
    // Seats still free after every row: the earliest waitlisted members move up, in the order they
    // joined the waitlist: those not named by a row, and those whose row asked for a seat before one
    // was free (as changeMembershipStatus promotes the earliest, whatever the rows' order).
    const touched = new Set([...plan.statusChanges.map((c) => c.membershipId), ...plan.ends.map((e) => e.membershipId)]);
    const listed = new Set([...rowOfClient.keys()]);
    const waiting = open
      .filter((m) => m.status === MembershipStatus.WAITLISTED && !touched.has(m.id) && (!listed.has(m.clientId) || deferred.has(m.id)))
      .sort(byWaitlist);
    for (const m of waiting) {
      if (seated >= input.capacity) break;
      seated += 1;
      const row = deferred.get(m.id);
      if (row?.counted) plan.unchanged--;
      plan.statusChanges.push({ index: row?.index ?? null, key: row?.key ?? null, membershipId: m.id, clientId: m.clientId, from: MembershipStatus.WAITLISTED, to: MembershipStatus.ACTIVE });
    }
  }
  return plan;
}

/**
 * What a row without a status asks for: ACTIVE (listed means in the group, seated when a seat is
 * free; with none free the membership stays as it is) — except that a hold stands (rosters from
 * systems that do not track holds must not end one) and a membership that cannot become ACTIVE
 * yet (REFERRED) keeps its status instead of failing the whole sync.
 */
export function statusWhenOmitted(current: MembershipStatus | undefined): MembershipStatus {
  if (current === undefined) return MembershipStatus.ACTIVE;
  if (current === MembershipStatus.ON_HOLD || !canTransition(current, MembershipStatus.ACTIVE)) return current;
  return MembershipStatus.ACTIVE;
}
