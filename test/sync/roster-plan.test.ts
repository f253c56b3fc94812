/**
 * The roster planner is pure: given the rows, the group's open memberships and the clients that
 * already carry the rows' external identifiers, it decides every change before anything is
 * written. These tests pin its decisions; the integration tests prove the service applies them.
 */
import {
  ExistingClient,
  ExistingMembership,
  keyOf,
  planRoster,
  PlanInput,
  RosterRow,
  statusWhenOmitted,
  validateRows,
} from '../../src/modules/sync/roster-plan';
import { MembershipStatus as S } from '../../src/modules/memberships/membership-status';

const TODAY = '2025-06-15';
const SYSTEM = 'urn:ehr:patients';

const row = (n: number, extra: Partial<RosterRow> = {}): RosterRow => ({
  externalId: { system: SYSTEM, value: `P-${n}` },
  givenName: `Given${n}`,
  familyName: `Family${n}`,
  ...extra,
});

/** An existing client whose stored fields equal what `row(n)` sends. */
const client = (n: number, extra: Partial<ExistingClient> = {}): ExistingClient => ({
  id: `client-${n}`,
  givenName: `Given${n}`,
  familyName: `Family${n}`,
  preferredName: null,
  email: null,
  phone: null,
  dateOfBirth: null,
  ...extra,
});

const membership = (n: number, status: S): ExistingMembership => ({ id: `membership-${n}`, clientId: `client-${n}`, status });

function plan(options: {
  rows: RosterRow[];
  mode?: 'MERGE' | 'REPLACE';
  clients?: ExistingClient[];
  open?: ExistingMembership[];
  capacity?: number;
  acceptsNewMembers?: boolean;
  seatsMembers?: boolean;
  promotesWaitlist?: boolean;
}) {
  const clients = options.clients ?? [];
  const input: PlanInput = {
    rows: options.rows,
    mode: options.mode ?? 'MERGE',
    clientsByKey: new Map(clients.map((c) => [`${SYSTEM}|P-${c.id.slice('client-'.length)}`, c])),
    openByClient: new Map((options.open ?? []).map((m) => [m.clientId, m])),
    capacity: options.capacity ?? 10,
    acceptsNewMembers: options.acceptsNewMembers ?? true,
    seatsMembers: options.seatsMembers,
    promotesWaitlist: options.promotesWaitlist,
    today: TODAY,
  };
  return planRoster(input);
}

describe('keyOf', () => {
  it('names an external identifier as system|value', () => {
    expect(keyOf({ system: SYSTEM, value: 'P-1' })).toBe(`${SYSTEM}|P-1`);
  });
});

describe('validateRows: every problem of every row, at once', () => {
  it('accepts well-formed rows, blank optional fields and a birth date of today', () => {
    expect(
      validateRows(
        [
          row(1, { email: 'ana@example.org', phone: '+14155550123', dateOfBirth: '1990-02-28', preferredName: 'Ana' }),
          row(2, { email: '', phone: '   ', dateOfBirth: null, preferredName: undefined }),
          row(3, { dateOfBirth: TODAY }),
        ],
        TODAY,
      ),
    ).toEqual([]);
  });

  it('reports an invalid email, phone and date on the row that carries them, with index, externalId, field and code', () => {
    const errors = validateRows(
      [row(0), row(1, { email: 'not-an-email' }), row(2, { phone: '555-1234' }), row(3, { dateOfBirth: '2023-02-30' }), row(4, { dateOfBirth: '15/06/1990' })],
      TODAY,
    );
    expect(errors.map(({ index, externalId, field, code }) => ({ index, externalId, field, code }))).toEqual([
      { index: 1, externalId: `${SYSTEM}|P-1`, field: 'email', code: 'INVALID_EMAIL' },
      { index: 2, externalId: `${SYSTEM}|P-2`, field: 'phone', code: 'INVALID_PHONE' },
      { index: 3, externalId: `${SYSTEM}|P-3`, field: 'dateOfBirth', code: 'INVALID_DATE' },
      { index: 4, externalId: `${SYSTEM}|P-4`, field: 'dateOfBirth', code: 'INVALID_DATE' },
    ]);
    for (const e of errors) expect(e.message.length).toBeGreaterThan(0);
  });

  it('refuses a birth date in the future or before 1900', () => {
    const errors = validateRows([row(1, { dateOfBirth: '2025-06-16' }), row(2, { dateOfBirth: '1899-12-31' })], TODAY);
    expect(errors.map((e) => [e.index, e.field, e.code])).toEqual([
      [0, 'dateOfBirth', 'INVALID_DATE'],
      [1, 'dateOfBirth', 'INVALID_DATE'],
    ]);
  });

  it('refuses NUL bytes and unpaired surrogates in text, over-long text and missing required names', () => {
    const errors = validateRows(
      [
        row(1, { givenName: 'An\u0000a' }),
        row(2, { familyName: 'Lone \uD800 surrogate' }),
        row(3, { preferredName: 'x'.repeat(101) }),
        row(4, { givenName: '   ' }),
        { ...row(5), externalId: { system: SYSTEM, value: '' } },
      ],
      TODAY,
    );
    expect(errors.map((e) => [e.index, e.field, e.code])).toEqual([
      [0, 'givenName', 'INVALID_TEXT'],
      [1, 'familyName', 'INVALID_TEXT'],
      [2, 'preferredName', 'TOO_LONG'],
      [3, 'givenName', 'REQUIRED'],
      [4, 'externalId.value', 'REQUIRED'],
    ]);
  });

  it('reports several problems of one row together', () => {
    const errors = validateRows([row(1, { email: 'a@b', phone: '12', dateOfBirth: '2099-01-01' })], TODAY);
    expect(errors.map((e) => [e.index, e.field, e.code])).toEqual([
      [0, 'email', 'INVALID_EMAIL'],
      [0, 'phone', 'INVALID_PHONE'],
      [0, 'dateOfBirth', 'INVALID_DATE'],
    ]);
  });

  it('judges an email as createClient does: what createClient refuses a sync row may not store either (session 14)', () => {
    const bad = ['a@b.c', 'x@-y-.com', 'ann@exämple.org', 'two@@example.org'];
    const errors = validateRows(bad.map((email, i) => row(i + 1, { email })), TODAY);
    expect(errors.map((e) => [e.index, e.field, e.code])).toEqual(bad.map((_, i) => [i, 'email', 'INVALID_EMAIL']));
    expect(validateRows([row(1, { email: 'ann.lee+group@example.org' })], TODAY)).toEqual([]);
    // What a matched client already has stored is taken back unchanged: a nightly roster resends it.
    const key = keyOf(row(1).externalId);
    const stored = new Map([[key, { email: 'a@b.c', phone: '1 (415) 555-0123' }]]);
    expect(validateRows([row(1, { email: 'a@b.c', phone: '1 (415) 555-0123' })], TODAY, stored)).toEqual([]);
    expect(validateRows([row(1, { email: 'x@-y-.com', phone: '000' })], TODAY, stored).map((e) => e.code)).toEqual(['INVALID_EMAIL', 'INVALID_PHONE']);
  });

  it('flags every repeat of an external identifier, naming the row that had it first', () => {
    const errors = validateRows([row(1), row(2), row(1), row(1)], TODAY);
    expect(errors.map((e) => [e.index, e.externalId, e.field, e.code])).toEqual([
      [2, `${SYSTEM}|P-1`, 'externalId', 'DUPLICATE'],
      [3, `${SYSTEM}|P-1`, 'externalId', 'DUPLICATE'],
    ]);
    expect(errors[0].message).toContain('row 0');
  });

  it('treats the same value under another system as a different identifier', () => {
    expect(validateRows([row(1), { ...row(1), externalId: { system: 'urn:other', value: 'P-1' } }], TODAY)).toEqual([]);
  });
});

describe('planRoster', () => {
  it('in a group that seats no one (CONCLUDED), a row without a status keeps a waitlisted membership as it stands; one asking ACTIVE is a row error', () => {
    const clients = [client(1), client(2)];
    const open = [membership(1, S.WAITLISTED), membership(2, S.WAITLISTED)];
    const kept = plan({ rows: [row(1), row(2)], clients, open, seatsMembers: false, acceptsNewMembers: false });
    expect(kept.errors).toEqual([]);
    expect(kept.statusChanges).toEqual([]);
    expect(kept.unchanged).toBe(2);
    const asked = plan({ rows: [row(1), row(2, { status: S.ACTIVE })], clients, open, seatsMembers: false, acceptsNewMembers: false });
    expect(asked.errors).toEqual([expect.objectContaining({ index: 1, field: 'status', code: 'CONFLICT' })]);
  });

  it('creates unknown clients (trimmed, blanks as null) and enrols them ACTIVE', () => {
    const p = plan({ rows: [row(1, { givenName: '  Ana ', email: ' ana@example.org ', phone: '' }), row(2)] });
    expect(p.errors).toEqual([]);
    expect(p.creates).toEqual([
      {
        index: 0,
        key: `${SYSTEM}|P-1`,
        fields: { givenName: 'Ana', familyName: 'Family1', preferredName: null, email: 'ana@example.org', phone: null, dateOfBirth: null },
      },
      {
        index: 1,
        key: `${SYSTEM}|P-2`,
        fields: { givenName: 'Given2', familyName: 'Family2', preferredName: null, email: null, phone: null, dateOfBirth: null },
      },
    ]);
    expect(p.enrols).toEqual([
      { index: 0, key: `${SYSTEM}|P-1`, clientId: null, status: S.ACTIVE, waitlistedForCapacity: false },
      { index: 1, key: `${SYSTEM}|P-2`, clientId: null, status: S.ACTIVE, waitlistedForCapacity: false },
    ]);
    expect([p.updates, p.statusChanges, p.ends, p.unchanged]).toEqual([[], [], [], 0]);
  });

  it('updates an existing client with exactly the fields that differ, and counts rows that change nothing', () => {
    const p = plan({
      rows: [row(1, { email: 'new@example.org', phone: '+14155550123' }), row(2), row(3, { familyName: 'Family3' })],
      clients: [client(1, { email: 'old@example.org' }), client(2), client(3)],
      open: [membership(1, S.ACTIVE), membership(2, S.ACTIVE), membership(3, S.ACTIVE)],
    });
    expect(p.updates).toEqual([
      {
        index: 0,
        clientId: 'client-1',
        key: `${SYSTEM}|P-1`,
        fields: { givenName: 'Given1', familyName: 'Family1', preferredName: null, email: 'new@example.org', phone: '+14155550123', dateOfBirth: null },
        changed: ['email', 'phone'],
      },
    ]);
    expect([p.creates, p.enrols, p.statusChanges, p.ends]).toEqual([[], [], [], []]);
    expect(p.unchanged).toBe(2);
  });

  it('clears a stored field the row leaves blank (the list is the source of truth for the fields it carries)', () => {
    const p = plan({ rows: [row(1, { email: '' })], clients: [client(1, { email: 'old@example.org' })], open: [membership(1, S.ACTIVE)] });
    expect(p.updates.map((u) => u.changed)).toEqual([['email']]);
    expect(p.updates[0].fields.email).toBeNull();
  });

  it('enrols an existing client who has no open membership in the group, without re-creating them', () => {
    const p = plan({ rows: [row(1)], clients: [client(1)] });
    expect(p.creates).toEqual([]);
    expect(p.enrols).toEqual([{ index: 0, key: `${SYSTEM}|P-1`, clientId: 'client-1', status: S.ACTIVE, waitlistedForCapacity: false }]);
    expect(p.unchanged).toBe(0);
  });

  it('waitlists new members beyond the free seats, in row order, and says so', () => {
    const p = plan({ rows: [row(1), row(2), row(3), row(4, { status: S.WAITLISTED }), row(5, { status: S.REFERRED })], open: [membership(9, S.ON_HOLD)], capacity: 3 });
    expect(p.enrols.map((e) => [e.index, e.status, e.waitlistedForCapacity])).toEqual([
      [0, S.ACTIVE, false],
      [1, S.ACTIVE, false],
      [2, S.WAITLISTED, true], // ON_HOLD keeps its seat: only two were free
      [3, S.WAITLISTED, false], // asked for the waitlist: not "because of capacity"
      [4, S.REFERRED, false], // not seated, so capacity does not apply
    ]);
  });

  it('changes statuses along the membership state machine, seating waitlisted members while seats remain', () => {
    const p = plan({
      rows: [row(1, { status: S.ON_HOLD }), row(2, { status: S.ACTIVE }), row(3, { status: S.COMPLETED }), row(4, { status: S.ACTIVE })],
      clients: [client(1), client(2), client(3), client(4)],
      open: [membership(1, S.ACTIVE), membership(2, S.WAITLISTED), membership(3, S.ACTIVE), membership(4, S.SCREENING)],
      capacity: 3,
    });
    expect(p.errors).toEqual([]);
    expect(p.statusChanges.map((s) => [s.index, s.membershipId, s.from, s.to])).toEqual([
      [0, 'membership-1', S.ACTIVE, S.ON_HOLD],
      [1, 'membership-2', S.WAITLISTED, S.ACTIVE],
      [2, 'membership-3', S.ACTIVE, S.COMPLETED],
      [3, 'membership-4', S.SCREENING, S.ACTIVE], // the seat row 3 freed
    ]);
  });

  it('keeps a waitlisted member waitlisted when no seat is free (unchanged), but refuses to seat a screened one (CAPACITY_REACHED)', () => {
    const p = plan({
      rows: [row(1), row(2, { status: S.ACTIVE }), row(3, { status: S.ACTIVE })],
      clients: [client(1), client(2), client(3)],
      open: [membership(1, S.ACTIVE), membership(2, S.WAITLISTED), membership(3, S.SCREENING)],
      capacity: 1,
    });
    expect(p.statusChanges).toEqual([]);
    expect(p.unchanged).toBe(2);
    expect(p.errors.map((e) => [e.index, e.field, e.code])).toEqual([[2, 'status', 'CAPACITY_REACHED']]);
  });

  it('refuses a transition the state machine does not allow, and a new member who would start in a later status', () => {
    const p = plan({
      rows: [row(1, { status: S.REFERRED }), row(2, { status: S.ON_HOLD }), row(3, { status: S.WITHDRAWN })],
      clients: [client(1)],
      open: [membership(1, S.ACTIVE)],
    });
    expect(p.errors.map((e) => [e.index, e.externalId, e.field, e.code])).toEqual([
      [0, `${SYSTEM}|P-1`, 'status', 'CONFLICT'],
      [1, `${SYSTEM}|P-2`, 'status', 'CONFLICT'],
    ]);
    expect(p.errors[0].message).toContain('ACTIVE membership cannot become REFERRED');
    // A new person listed as WITHDRAWN is created (they exist in the outside system) but not enrolled.
    expect(p.creates.map((c) => c.index)).toEqual([1, 2]);
    expect(p.enrols).toEqual([]);
  });

  it('answers CONFLICT for new members of a group that takes none, while existing members may still change', () => {
    const p = plan({
      rows: [row(1, { status: S.ON_HOLD }), row(2)],
      clients: [client(1)],
      open: [membership(1, S.ACTIVE)],
      acceptsNewMembers: false,
    });
    expect(p.statusChanges.map((s) => [s.from, s.to])).toEqual([[S.ACTIVE, S.ON_HOLD]]);
    expect(p.errors.map((e) => [e.index, e.code, e.message])).toEqual([[1, 'CONFLICT', 'this group takes no new members']]);
  });

  it('REPLACE ends the open memberships of everyone not listed, first, so their seats go to the listed', () => {
    const p = plan({
      mode: 'REPLACE',
      rows: [row(1), row(5)],
      clients: [client(1), client(2), client(3), client(4)],
      open: [membership(1, S.ACTIVE), membership(2, S.ACTIVE), membership(3, S.WAITLISTED), membership(4, S.ON_HOLD)],
      capacity: 3,
    });
    expect(p.ends).toEqual([
      { membershipId: 'membership-2', clientId: 'client-2', from: S.ACTIVE },
      { membershipId: 'membership-3', clientId: 'client-3', from: S.WAITLISTED },
      { membershipId: 'membership-4', clientId: 'client-4', from: S.ON_HOLD },
    ]);
    expect(p.enrols.map((e) => [e.index, e.status, e.waitlistedForCapacity])).toEqual([[1, S.ACTIVE, false]]);
    expect(p.unchanged).toBe(1);
    expect(p.activeBefore).toBe(2);
  });

  it('REPLACE also ends members who have no external identifier (the list is the whole roster)', () => {
    const p = plan({ mode: 'REPLACE', rows: [row(1)], clients: [client(1)], open: [membership(1, S.ACTIVE), { id: 'membership-x', clientId: 'manual', status: S.ACTIVE }] });
    expect(p.ends).toEqual([{ membershipId: 'membership-x', clientId: 'manual', from: S.ACTIVE }]);
  });

  it('MERGE never ends anyone', () => {
    const p = plan({ rows: [row(1)], clients: [client(1), client(2)], open: [membership(1, S.ACTIVE), membership(2, S.ACTIVE)] });
    expect(p.ends).toEqual([]);
    expect(p.unchanged).toBe(1);
  });

  it('plans nothing to write when any row is invalid, and still reports every row error', () => {
    const p = plan({ rows: [row(1), row(2, { email: 'bad' }), row(3), row(4, { phone: 'bad' })] });
    expect(p.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'INVALID_EMAIL'],
      [3, 'INVALID_PHONE'],
    ]);
    expect([p.creates, p.updates, p.enrols, p.statusChanges]).toEqual([[], [], [], []]);
  });

  it('counts a row unchanged when neither the client nor the membership differs', () => {
    const p = plan({ rows: [row(1, { status: S.ACTIVE })], clients: [client(1)], open: [membership(1, S.ACTIVE)] });
    expect(p).toMatchObject({ creates: [], updates: [], enrols: [], statusChanges: [], ends: [], unchanged: 1, errors: [] });
  });

  it('reads an omitted status as ACTIVE, except that a hold stands and a membership that cannot become ACTIVE keeps its status', () => {
    expect(statusWhenOmitted(undefined)).toBe(S.ACTIVE);
    expect([S.WAITLISTED, S.SCREENING, S.ACTIVE].map(statusWhenOmitted)).toEqual([S.ACTIVE, S.ACTIVE, S.ACTIVE]);
    expect([S.ON_HOLD, S.REFERRED].map(statusWhenOmitted)).toEqual([S.ON_HOLD, S.REFERRED]);
    const p = plan({ rows: [row(1), row(2)], clients: [client(1), client(2)], open: [membership(1, S.ON_HOLD), membership(2, S.REFERRED)] });
    expect(p).toMatchObject({ statusChanges: [], unchanged: 2, errors: [] });
  });

  it('leaves a membership as it is when a row without a status finds no seat, instead of failing the sync; an explicit ACTIVE still fails', () => {
    const full = { clients: [client(1), client(2)], open: [membership(1, S.SCREENING), membership(2, S.ACTIVE)], capacity: 1 };
    expect(plan({ ...full, rows: [row(1), row(2)] })).toMatchObject({ statusChanges: [], unchanged: 2, errors: [] });
    expect(plan({ ...full, rows: [row(1, { status: S.ACTIVE }), row(2)] }).errors).toEqual([expect.objectContaining({ index: 0, code: 'CAPACITY_REACHED' })]);
  });
});

describe('waitlist promotion after every row (session 11)', () => {
  const waiting = (n: number, minutesAgo: number): ExistingMembership => ({ ...membership(n, S.WAITLISTED), waitlistOrder: -minutesAgo });
  const open = () => [membership(1, S.ACTIVE), membership(2, S.ACTIVE), waiting(3, 60), waiting(4, 30)];
  const clients = [1, 2, 3, 4].map((n) => client(n));
  const changes = (p: ReturnType<typeof plan>) => p.statusChanges.map((c) => [c.index, c.membershipId, c.from, c.to]).sort();

  it('seats the earliest waitlisted member, listed or not, in the seat a later row frees; the rows\' order does not matter', () => {
    const freed = row(1, { status: S.COMPLETED });
    for (const rows of [[row(3), freed], [freed, row(3)], [row(4), freed, row(3)]]) {
      const p = plan({ rows, clients, open: open(), capacity: 2, promotesWaitlist: true });
      const index = (n: number) => rows.findIndex((r) => r.externalId.value === `P-${n}`);
      expect(changes(p)).toEqual([
        [index(1), 'membership-1', S.ACTIVE, S.COMPLETED],
        [index(3), 'membership-3', S.WAITLISTED, S.ACTIVE],
      ].sort());
      // Client 4 (listed or not) waits: joined the waitlist later.
      expect(p.unchanged).toBe(rows.length - 2);
    }
  });

  it('seats an unlisted earlier member before a listed later one', () => {
    const p = plan({ rows: [row(4), row(1, { status: S.COMPLETED })], clients, open: open(), capacity: 2, promotesWaitlist: true });
    expect(changes(p)).toEqual([[1, 'membership-1', S.ACTIVE, S.COMPLETED], [null, 'membership-3', S.WAITLISTED, S.ACTIVE]].sort());
    expect(p.unchanged).toBe(1);
  });
});

describe('newcomers and the waitlist (session 11)', () => {
  it('seats a newcomer only beyond those waiting; the waiting member takes the free seat', () => {
    const open = [membership(1, S.ACTIVE), { ...membership(2, S.WAITLISTED), waitlistOrder: 1 }];
    const p = plan({ rows: [row(9)], clients: [client(1), client(2)], open, capacity: 2, promotesWaitlist: true });
    expect(p.enrols.map((e) => [e.index, e.status, e.waitlistedForCapacity])).toEqual([[0, S.WAITLISTED, true]]);
    expect(p.statusChanges.map((c) => [c.membershipId, c.to])).toEqual([['membership-2', S.ACTIVE]]);
    // With a seat beyond the waiting one, the newcomer is seated.
    const roomy = plan({ rows: [row(9)], clients: [client(1), client(2)], open, capacity: 3, promotesWaitlist: true });
    expect(roomy.enrols.map((e) => e.status)).toEqual([S.ACTIVE]);
  });

  it('does not keep a newcomer waiting for a waitlisted member a later row withdraws: the rows\' order does not matter', () => {
    const open = [membership(1, S.ACTIVE), { ...membership(2, S.WAITLISTED), waitlistOrder: 1 }];
    for (const rows of [[row(9), row(2, { status: S.WITHDRAWN })], [row(2, { status: S.WITHDRAWN }), row(9)]]) {
      const p = plan({ rows, clients: [client(1), client(2)], open, capacity: 2, promotesWaitlist: true });
      expect(p.enrols.map((e) => e.status)).toEqual([S.ACTIVE]);
      expect(p.statusChanges.map((c) => [c.membershipId, c.to])).toEqual([['membership-2', S.WITHDRAWN]]);
    }
  });
});


describe('seats a sync frees, whatever the rows\' order (session 13)', () => {
  const waiting = (n: number, minutesAgo: number): ExistingMembership => ({ ...membership(n, S.WAITLISTED), waitlistOrder: -minutesAgo });
  const changes = (p: ReturnType<typeof plan>) => p.statusChanges.map((c) => [c.membershipId, c.from, c.to]).sort();
  const freed = row(1, { status: S.COMPLETED });

  it('go to the earliest waitlisted member even when a later one\'s row comes after the row that frees it', () => {
    const clients = [1, 2, 3, 4].map((n) => client(n));
    const open = [membership(1, S.ACTIVE), membership(2, S.ACTIVE), waiting(3, 60), waiting(4, 30)];
    for (const rows of [[freed, row(4)], [row(4), freed]]) {
      const p = plan({ rows, clients, open, capacity: 2, promotesWaitlist: true });
      expect(p.errors).toEqual([]);
      expect(changes(p)).toEqual([['membership-1', S.ACTIVE, S.COMPLETED], ['membership-3', S.WAITLISTED, S.ACTIVE]].sort());
      expect(p.unchanged).toBe(1);
    }
  });

  it('seat a newcomer listed before the row that frees the seat, as after it', () => {
    const open = [membership(1, S.ACTIVE), membership(2, S.ACTIVE)];
    for (const rows of [[row(9), freed], [freed, row(9)]]) {
      const p = plan({ rows, clients: [client(1), client(2)], open, capacity: 2, promotesWaitlist: true });
      expect(p.enrols.map((e) => [e.status, e.waitlistedForCapacity])).toEqual([[S.ACTIVE, false]]);
    }
  });

  it('seat a screened member listed before the row that frees the seat; with others waiting, the waitlist goes first', () => {
    const clients = [1, 2, 3, 5].map((n) => client(n));
    const open = [membership(1, S.ACTIVE), membership(2, S.ACTIVE), membership(5, S.SCREENING)];
    for (const rows of [[row(5, { status: S.ACTIVE }), freed], [freed, row(5, { status: S.ACTIVE })]]) {
      const p = plan({ rows, clients, open, capacity: 2, promotesWaitlist: true });
      expect(p.errors).toEqual([]);
      expect(changes(p)).toEqual([['membership-1', S.ACTIVE, S.COMPLETED], ['membership-5', S.SCREENING, S.ACTIVE]].sort());
    }
    // Someone waiting for a seat: the freed one is theirs, and the explicit ACTIVE finds none.
    for (const rows of [[row(5, { status: S.ACTIVE }), freed], [freed, row(5, { status: S.ACTIVE })]]) {
      const p = plan({ rows, clients, open: [...open, waiting(3, 60)], capacity: 2, promotesWaitlist: true });
      expect(p.errors).toEqual([expect.objectContaining({ index: rows.findIndex((r) => r.externalId.value === 'P-5'), code: 'CAPACITY_REACHED' })]);
    }
    // A waiting member whose row keeps them waitlisted holds no seat back: the screened member, and a newcomer, are seated.
    for (const rows of [[freed, row(5, { status: S.ACTIVE }), row(3, { status: S.WAITLISTED })], [row(3, { status: S.WAITLISTED }), row(5, { status: S.ACTIVE }), freed]]) {
      const kept = plan({ rows, clients, open: [...open, waiting(3, 60)], capacity: 2, promotesWaitlist: true });
      expect(kept.errors).toEqual([]);
      expect(changes(kept)).toEqual([['membership-1', S.ACTIVE, S.COMPLETED], ['membership-5', S.SCREENING, S.ACTIVE]].sort());
    }
    const newcomer = plan({ rows: [freed, row(3, { status: S.WAITLISTED }), row(9)], clients, open: [...open, waiting(3, 60)], capacity: 2, promotesWaitlist: true });
    expect(newcomer.enrols.map((e) => [e.status, e.waitlistedForCapacity])).toEqual([[S.ACTIVE, false]]);
    // Without a status the screened member stays as they are, and the waiting member is seated.
    const p = plan({ rows: [row(5), freed], clients, open: [...open, waiting(3, 60)], capacity: 2, promotesWaitlist: true });
    expect(changes(p)).toEqual([['membership-1', S.ACTIVE, S.COMPLETED], ['membership-3', S.WAITLISTED, S.ACTIVE]].sort());
  });
});
