import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../../db/pg-errors';
import { AuditAction } from '../../audit/audit-action';
import type { AuditEntry } from '../../audit/audit-log';
import { actorOf } from '../../auth/viewer';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { badInput, conflict, notFound } from '../../errors/domain-error';
import { clientLoaders } from '../clients/client.loaders';
import { findByExternalId } from '../external-ids/external-id.service';
import { GroupFormat, GroupStatus } from '../groups/group.enums';
import { acceptsEnrolment, cohortClosed, promotesWaitlist } from '../groups/group-status';
import { lockGroup } from '../groups/group.service';
import { groupLoaders } from '../groups/group.loaders';
import { withIdempotency } from '../idempotency/idempotency.service';
import { membershipLoaders } from '../memberships/membership.loaders';
import { onMembershipsEnded } from '../memberships/membership.service';
import { isEnded, MembershipStatus } from '../memberships/membership-status';
import { displayKey, ExistingClient, ExistingMembership, keyOf, parseKey, planRoster, RosterPlan, seatedEndings, validIdentifierPart, waitingEndings } from './roster-plan';
import { toGlobalId } from '../../common/global-id';
import { SyncMode, SyncRosterInput, SyncRosterPayload } from './sync.types';

export const LARGE_CHANGE_SHARE = 0.2;

/** How long a roster sync waits for a lock (another sync of its clinic, the group) before a retryable CONFLICT. */
export const SYNC_LOCK_WAIT_MS = 5000;

/** Requests (by their transaction handle) that already ran a sync: the 1,000-row limit is per request, not per alias. */
const syncedRequests = new WeakSet<object>();

export async function syncRoster(ctx: AuthedContext, input: SyncRosterInput): Promise<SyncRosterPayload> {
  if (syncedRequests.has(ctx.db)) throw badInput('One syncRoster per request: send each roster in a request of its own', { field: 'syncRoster' });
  syncedRequests.add(ctx.db);
  const run = await withIdempotency(ctx, 'syncRoster', input.idempotencyKey, input, () => runSync(ctx, input), {
    save: (r) => r,
    // A retry releases again what the run released (changed fields tell stored values, changes
    // the roster): the run's reads are kept with its answer and recorded again for each retry.
    load: async (saved) => {
      const stored = saved as Partial<SyncRun> & SyncRosterPayload;
      const run: SyncRun = stored.payload ? (stored as SyncRun) : { payload: stored, reads: [] };
      ctx.audit.recordMany(run.reads);
      return run;
    },
    // A run refused for its row errors wrote nothing: the key stays free for the corrected roster
    // (a dry run is kept: it is the answer its retries expect).
    keep: (r) => r.payload.applied || input.dryRun === true,
  });
  return run.payload;
}

/** A sync's answer and the reads of stored records it made to plan it (each audited). */
interface SyncRun {
  payload: SyncRosterPayload;
  reads: AuditEntry[];
}

async function resolveGroup(ctx: AuthedContext, input: SyncRosterInput): Promise<string> {
  const ref = input.group;
  if ((ref.id == null) === (ref.externalId == null)) throw badInput('Give the group by id or by externalId', { field: 'group' });
  const id = ref.id != null ? uuidOf(ref.id, 'TherapyGroup') : await findByExternalId(ctx, 'TherapyGroup', ref.externalId!);
  const visible = id ? await ctx.loaders.of(groupLoaders).visibleById.load(id) : null;
  if (!id || !visible || visible.access !== 'ROSTER') throw notFound('Group');
  return id;
}

/**
 * Serialised per group by the group row lock, planned in memory, then written set-based:
 * one statement per kind of change whatever the number of rows.
 */
async function runSync(ctx: AuthedContext, input: SyncRosterInput): Promise<SyncRun> {
  const groupId = await resolveGroup(ctx, input);
  // Syncs of one clinic run one after another: two rosters may introduce the same new person. A
  // sync waits at most SYNC_LOCK_WAIT for another (and for any lock it takes after), then answers
  // a retryable CONFLICT (55P03): a nightly job syncing many groups at once must not hold the
  // pool's connections, which every clinic shares, until its statement timeout. (The setting is
  // made in the FROM item, so before the lock is asked; the setting before it is put back once the
  // sync is written, so later fields of the document wait as they would have.)
  const [{ before }] = await ctx.db.query<{ before: string }>(
    `SELECT w.before, pg_advisory_xact_lock(hashtext('roster-sync:' || $1)) FROM (SELECT current_setting('lock_timeout') AS before, set_config('lock_timeout', $2, true)) AS w`,
    [ctx.db.clinicId, String(SYNC_LOCK_WAIT_MS)],
  );
  const group = await lockGroup(ctx, groupId);
  if (group.status === GroupStatus.ARCHIVED) throw conflict('An ARCHIVED group is read-only history', { groupStatus: group.status });
  // Rows are validated in the plan, to report every problem at once; identifiers it would refuse
  // (PostgreSQL refuses NUL bytes outright) stay out of the lookup and are reported there.
  const refs = input.members
    .filter((m) => m.externalId?.system && m.externalId?.value && validIdentifierPart(m.externalId.system) && validIdentifierPart(m.externalId.value))
    .map((m) => m.externalId);
  const [clients, open, [{ today }]] = await Promise.all([
    ctx.db.query<{ system: string; value: string; id: string; given_name: string; family_name: string; preferred_name: string | null; email: string | null; phone: string | null; date_of_birth: string | null }>(
      // Locked as read (in id order): a field the row omits keeps the value read here, so a client
      // changed meanwhile by updateClient is read as that change committed, never written back over.
      `SELECT e.system, e.value, c.id, c.given_name, c.family_name, c.preferred_name, c.email, c.phone, c.date_of_birth
         FROM external_identifiers e JOIN clients c ON c.id = e.resource_id
        WHERE e.resource_type = 'Client' AND (e.system, e.value) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        ORDER BY c.id FOR NO KEY UPDATE OF c`,
      [refs.map((r) => r.system), refs.map((r) => r.value)],
    ),
    ctx.db.query<{ id: string; client_id: string; status: MembershipStatus; waitlist_order: number }>(
      `SELECT id, client_id, status, row_number() OVER (ORDER BY waitlisted_at, id)::int AS waitlist_order
         FROM memberships WHERE group_id = $1 AND status NOT IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED')`,
      [groupId],
    ),
    ctx.db.query<{ today: string }>(`SELECT (now() AT TIME ZONE (SELECT timezone FROM clinics WHERE id = $1))::date::text AS today`, [ctx.db.clinicId]),
  ]);
  // Comparing rows with stored demographics and memberships reads them (a dry run's changed
  // fields tell stored values, its ends and status changes the roster): audited as reads of each
  // client matched and each open membership, whether or not anything is written.
  const reads: AuditEntry[] = [
    ...clients.map((c) => ({ action: AuditAction.READ, resourceType: 'Client', resourceId: c.id, subjectClientId: c.id })),
    ...open.map((m) => ({ action: AuditAction.READ, resourceType: 'Membership', resourceId: m.id, subjectClientId: m.client_id })),
  ];
  ctx.audit.recordMany(reads);
  const clientsByKey = new Map<string, ExistingClient>(
    clients.map((c) => [keyOf({ system: c.system, value: c.value }), { id: c.id, givenName: c.given_name, familyName: c.family_name, preferredName: c.preferred_name, email: c.email, phone: c.phone, dateOfBirth: c.date_of_birth }]),
  );
  const openByClient = new Map<string, ExistingMembership>(open.map((m) => [m.client_id, { id: m.id, clientId: m.client_id, status: m.status, waitlistOrder: m.waitlist_order }]));
  const plan = planRoster({
    rows: input.members,
    mode: input.mode,
    clientsByKey,
    openByClient,
    capacity: group.capacity,
    acceptsNewMembers: acceptsEnrolment(group.status) && !(group.format === GroupFormat.CLOSED && group.status !== GroupStatus.FORMING),
    // A started CLOSED cohort seats no one new, as changeMembershipStatus refuses it (returns from a hold are not new seats).
    seatsMembers: acceptsEnrolment(group.status) && !cohortClosed(group),
    onlyCloses: group.status === GroupStatus.CONCLUDED,
    promotesWaitlist: promotesWaitlist(group),
    today,
  });
  // Either side of the roster counts on its own: a REPLACE misrouted or cut short would otherwise
  // end a whole waitlist, or every referral of a group no one is seated in yet, unconfirmed.
  const ending = seatedEndings(plan);
  const endingWaiting = waitingEndings(plan);
  const requiresConfirmation =
    input.mode === SyncMode.REPLACE && (ending > LARGE_CHANGE_SHARE * plan.seatedBefore || endingWaiting > LARGE_CHANGE_SHARE * plan.waitingBefore);
  if (requiresConfirmation && !input.confirmLargeChange && !input.dryRun && plan.errors.length === 0) {
    throw conflict(
      `This REPLACE would end ${ending} of ${plan.seatedBefore} seated (ACTIVE or ON_HOLD) and ${endingWaiting} of ${plan.waitingBefore} waiting (REFERRED, SCREENING or WAITLISTED) memberships (over 20% of either): confirm with confirmLargeChange: true`,
      {
        reason: 'LARGE_CHANGE_REQUIRES_CONFIRMATION',
        wouldEnd: ending,
        seated: plan.seatedBefore,
        active: plan.activeBefore,
        wouldEndWaiting: endingWaiting,
        waiting: plan.waitingBefore,
      },
    );
  }
  const apply = !input.dryRun && plan.errors.length === 0;
  // Ids are drawn before writing, so the answer can give the integrator the records it created.
  const ids: NewIds = apply ? { clients: new Map(plan.creates.map((c) => [c.key, randomUUID()])), enrolments: plan.enrols.map(() => randomUUID()) } : null;
  const created = ids ? await applyPlan(ctx, groupId, plan, ids) : [];
  const payload = toPayload(input, plan, ids, requiresConfirmation);
  await recordRun(ctx, groupId, input, payload);
  await ctx.db.query(`SELECT set_config('lock_timeout', $1, true)`, [before]);
  // A retry's answer names the clients and memberships this run created (their external ids, the
  // status each was enrolled with): it reads them, so it records them as reads.
  return { payload, reads: [...reads, ...created.map((c) => ({ ...c, action: AuditAction.READ }))] };
}

/** The ids an applied sync gives what it creates: each new client (by row key) and each enrolment (in plan order); null when nothing is written. */
type NewIds = { clients: Map<string, string>; enrolments: string[] } | null;

/** Writes the plan; returns the audit entries of the records it created. */
async function applyPlan(ctx: AuthedContext, groupId: string, plan: RosterPlan, { clients: newIds, enrolments: ids }: NonNullable<NewIds>): Promise<AuditEntry[]> {
  const clinicId = ctx.db.clinicId;
  const actor = actorOf(ctx.viewer);
  const audit: { action: AuditAction; type: string; id: string; subject: string }[] = [];

  if (plan.creates.length) {
    const f = plan.creates.map((c) => c.fields);
    await ctx.db.query(
      `INSERT INTO clients (id, clinic_id, given_name, family_name, preferred_name, email, phone, date_of_birth)
       SELECT id, $1, g, f, p, e, ph, d::date FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS x(id, g, f, p, e, ph, d)`,
      [clinicId, plan.creates.map((c) => newIds.get(c.key)), f.map((x) => x.givenName), f.map((x) => x.familyName), f.map((x) => x.preferredName), f.map((x) => x.email), f.map((x) => x.phone), f.map((x) => x.dateOfBirth)],
    );
    await ctx.db
      .query(
        `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value)
         SELECT $1, 'Client', id, s, v FROM unnest($2::uuid[], $3::text[], $4::text[]) AS x(id, s, v)`,
        [clinicId, plan.creates.map((c) => newIds.get(c.key)), plan.creates.map((c) => parseKey(c.key).system), plan.creates.map((c) => parseKey(c.key).value)],
      )
      .catch((error: unknown) => {
        // createClient/updateClient gave one of these identifiers to a client after this sync looked
        // them up (they do not wait for the sync's lock): nothing is written; a retry will match it.
        if (isUniqueViolation(error)) throw conflict('Another request added one of these external identifiers at the same moment; nothing was written. Retry the sync.', { retryable: true });
        throw error;
      });
    for (const c of plan.creates) audit.push({ action: AuditAction.CREATE, type: 'Client', id: newIds.get(c.key)!, subject: newIds.get(c.key)! });
  }
  if (plan.updates.length) {
    const f = plan.updates.map((u) => u.fields);
    await ctx.db.query(
      `UPDATE clients c SET given_name = x.g, family_name = x.f, preferred_name = x.p, email = x.e, phone = x.ph, date_of_birth = x.d::date, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS x(id, g, f, p, e, ph, d)
        WHERE c.id = x.id`,
      [plan.updates.map((u) => u.clientId), f.map((x) => x.givenName), f.map((x) => x.familyName), f.map((x) => x.preferredName), f.map((x) => x.email), f.map((x) => x.phone), f.map((x) => x.dateOfBirth)],
    );
    for (const u of plan.updates) audit.push({ action: AuditAction.UPDATE, type: 'Client', id: u.clientId, subject: u.clientId });
  }
  // A promotion from the waitlist because the sync freed a seat is the system's, as promoteFromWaitlist records it.
  const events: { membershipId: string; from: MembershipStatus | null; to: MembershipStatus; reason: string; system?: boolean }[] = [];
  if (plan.ends.length) {
    await ctx.db.query(
      `UPDATE memberships SET status = 'WITHDRAWN', status_reason = 'ROSTER_SYNC', period_end = clinic_today(), updated_at = now() WHERE id = ANY($1::uuid[])`,
      [plan.ends.map((e) => e.membershipId)],
    );
    for (const e of plan.ends) {
      events.push({ membershipId: e.membershipId, from: e.from, to: MembershipStatus.WITHDRAWN, reason: 'ROSTER_SYNC' });
      audit.push({ action: AuditAction.UPDATE, type: 'Membership', id: e.membershipId, subject: e.clientId });
    }
  }
  if (plan.statusChanges.length) {
    await ctx.db.query(
      `UPDATE memberships m SET status = x.to_status, status_reason = x.reason, updated_at = now(),
              period_start = CASE WHEN x.to_status = 'ACTIVE' THEN COALESCE(m.period_start, clinic_today()) ELSE m.period_start END,
              period_end = CASE WHEN x.to_status IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED') THEN clinic_today() ELSE m.period_end END,
              waitlisted_at = CASE WHEN x.to_status = 'WAITLISTED' THEN clock_timestamp() ELSE m.waitlisted_at END
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS x(id, to_status, reason) WHERE m.id = x.id`,
      [plan.statusChanges.map((s) => s.membershipId), plan.statusChanges.map((s) => s.to), plan.statusChanges.map((s) => (s.index === null ? 'Promoted from waitlist' : 'ROSTER_SYNC'))],
    );
    for (const s of plan.statusChanges) {
      const promoted = s.index === null;
      events.push({ membershipId: s.membershipId, from: s.from, to: s.to, reason: promoted ? 'Promoted from waitlist: a seat freed' : 'ROSTER_SYNC', system: promoted });
      audit.push({ action: AuditAction.UPDATE, type: 'Membership', id: s.membershipId, subject: s.clientId });
    }
  }
  if (plan.enrols.length) {
    const clientIds = plan.enrols.map((e) => e.clientId ?? newIds.get(e.key)!);
    await ctx.db.query(
      `INSERT INTO memberships (id, clinic_id, group_id, client_id, status, status_reason, period_start, waitlisted_at)
       SELECT x.id, $1, $2, x.client_id, x.status, 'ROSTER_SYNC', CASE WHEN x.status = 'ACTIVE' THEN clinic_today() END,
              CASE WHEN x.status = 'WAITLISTED' THEN clock_timestamp() END
         FROM unnest($3::uuid[], $4::uuid[], $5::text[]) WITH ORDINALITY AS x(id, client_id, status, n) ORDER BY x.n`,
      [clinicId, groupId, ids, clientIds, plan.enrols.map((e) => e.status)],
    );
    plan.enrols.forEach((e, i) => {
      events.push({ membershipId: ids[i], from: null, to: e.status, reason: e.waitlistedForCapacity ? 'ROSTER_SYNC: group full, waitlisted' : 'ROSTER_SYNC' });
      audit.push({ action: AuditAction.CREATE, type: 'Membership', id: ids[i], subject: clientIds[i] });
    });
  }
  if (events.length) {
    await ctx.db.query(
      `INSERT INTO membership_events (clinic_id, membership_id, from_status, to_status, reason, actor_type, actor_id)
       SELECT $1, x.m, x.f, x.t, x.r, CASE WHEN x.sys THEN 'SYSTEM' ELSE $2 END, CASE WHEN x.sys THEN NULL ELSE $3::uuid END
         FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::boolean[]) AS x(m, f, t, r, sys)`,
      [
        clinicId, actor.actorType, actor.actorId, events.map((e) => e.membershipId), events.map((e) => e.from), events.map((e) => e.to),
        events.map((e) => e.reason), events.map((e) => e.system === true),
      ],
    );
  }
  const entries: AuditEntry[] = audit.map((a) => ({ action: a.action, resourceType: a.type, resourceId: a.id, subjectClientId: a.subject }));
  ctx.audit.recordMany(entries);
  // Partnerships and other dependants end with the memberships, in one batch.
  await onMembershipsEnded(ctx, [...plan.ends.map((e) => e.membershipId), ...plan.statusChanges.filter((c) => isEnded(c.to)).map((c) => c.membershipId)]);
  ctx.loaders.of(clientLoaders).visibleById.clearAll();
  ctx.loaders.of(membershipLoaders).membersOfGroup.clearAll();
  ctx.loaders.of(groupLoaders).counts.clear(groupId);
  return entries.filter((e) => e.action === AuditAction.CREATE);
}

function toPayload(input: SyncRosterInput, plan: RosterPlan, ids: NewIds, requiresConfirmation: boolean): SyncRosterPayload {
  const newClientId = (key: string) => (ids ? toGlobalId('Client', ids.clients.get(key)!) : null);
  return {
    applied: ids !== null,
    dryRun: input.dryRun,
    mode: input.mode,
    clientsCreated: plan.creates.map((c) => ({
      index: c.index, externalId: displayKey(c.key), clientId: newClientId(c.key), fields: Object.keys(c.fields).filter((k) => c.fields[k as keyof typeof c.fields] !== null),
    })),
    clientsUpdated: plan.updates.map((u) => ({ index: u.index, externalId: displayKey(u.key), clientId: toGlobalId('Client', u.clientId), fields: u.changed })),
    membershipsEnrolled: plan.enrols.map((e, i) => ({
      index: e.index, externalId: displayKey(e.key), membershipId: ids ? toGlobalId('Membership', ids.enrolments[i]) : null, from: null, to: e.status,
    })),
    statusChanges: plan.statusChanges.map((s) => ({ index: s.index, externalId: s.key ? displayKey(s.key) : null, membershipId: toGlobalId('Membership', s.membershipId), from: s.from, to: s.to })),
    membershipsEnded: plan.ends.map((e) => ({ index: null, externalId: null, membershipId: toGlobalId('Membership', e.membershipId), from: e.from, to: MembershipStatus.WITHDRAWN })),
    unchangedCount: plan.unchanged,
    waitlistedForCapacity: plan.enrols.filter((e) => e.waitlistedForCapacity).length,
    requiresConfirmation,
    errors: plan.errors,
  };
}

async function recordRun(ctx: AuthedContext, groupId: string, input: SyncRosterInput, p: SyncRosterPayload) {
  const actor = actorOf(ctx.viewer);
  const counts = {
    clientsCreated: p.clientsCreated.length,
    clientsUpdated: p.clientsUpdated.length,
    membershipsEnrolled: p.membershipsEnrolled.length,
    statusChanges: p.statusChanges.length,
    membershipsEnded: p.membershipsEnded.length,
    unchanged: p.unchangedCount,
    waitlistedForCapacity: p.waitlistedForCapacity,
  };
  await ctx.db.query(
    `INSERT INTO sync_runs (clinic_id, group_id, actor_type, actor_id, mode, dry_run, applied, row_count, error_count, counts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [ctx.db.clinicId, groupId, actor.actorType, actor.actorId, input.mode, input.dryRun, p.applied, input.members.length, p.errors.length, JSON.stringify(counts)],
  );
}
