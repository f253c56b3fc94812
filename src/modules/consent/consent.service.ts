import { AuditAction } from '../../audit/audit-action';
import { refusedWrite, stateConflict } from '../../audit/denied-subject';
import { actorOf } from '../../auth/viewer';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext, RequestContext } from '../../context';
import { badInput, conflict, forbidden, notFound } from '../../errors/domain-error';
import { clientLoaders } from '../clients/client.loaders';
import { getClient } from '../clients/client.service';
import { GroupStatus } from '../groups/group.enums';
import { groupLoaders, visibleGroup } from '../groups/group.loaders';
import { noteOwnAgreementAccepted } from '../groups/viewer-facts';
import { consentCheckLoader } from './consent-check';
import { ConsentRecord } from './consent-record.entity';
import { ConsentExpiryEvent, ConsentMethod, ConsentProvision, ConsentScopeKind, ConsentStatus, ConsentType } from './consent.enums';
import { GrantConsentInput, RevokeConsentInput } from './consent.inputs';
import { CONSENT_CURSOR, ConsentFilter, consentLoaders } from './consent.loaders';
import { decodeCursor } from '../../common/connection';
import { sqlList } from '../../db/sql-parts';
import { ENDED } from '../memberships/membership-status';
import { allowedMethods, canGrantOrRevokeFor, mayRecordBeyondOneGroup, mayRecordForGroup } from './consent.policy';

const CONSENT = 'ConsentRecord';

/** The data classes a PARTNER_DATA_SHARING consent may narrow to: those the goal reads ask for. */
export const DATA_CLASSES: readonly string[] = ['goals', 'check-ins'];

/** What makes two consents the same decision: their type, provision, scope and data classes. */
export interface ConsentDecision {
  type: ConsentType;
  provision: ConsentProvision;
  scopeKind: ConsentScopeKind;
  groupId?: string | null;
  apiKeyId?: string | null;
  dataClasses?: readonly string[] | null;
}

export interface NewConsent extends ConsentDecision {
  clientId: string;
  purpose?: string | null;
  expiresAt?: Date | null;
  expiresOn?: ConsentExpiryEvent | null;
  method: ConsentMethod;
  documentVersion?: string | null;
}

/** Writes a consent and its GRANTED event; other modules (the group agreement) record through here. */
export async function recordConsent(ctx: RequestContext, c: NewConsent): Promise<string> {
  const actor = ctx.viewer ? actorOf(ctx.viewer) : { actorType: 'SYSTEM', actorId: null };
  const [row] = await ctx.db.query<{ id: string }>(
    `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, scope_api_key_id, provision, purpose,
                                  data_classes, expires_at, expires_on, method, document_version, recorded_by_type, recorded_by_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
    [ctx.db.clinicId, c.clientId, c.type, c.scopeKind, c.groupId ?? null, c.apiKeyId ?? null, c.provision, c.purpose ?? null,
      c.dataClasses ?? [], c.expiresAt ?? null, c.expiresOn ?? null, c.method, c.documentVersion ?? null, actor.actorType, actor.actorId],
  );
  await ctx.db.query(
    `INSERT INTO consent_events (clinic_id, consent_id, event, actor_type, actor_id) VALUES ($1, $2, 'GRANTED', $3, $4)`,
    [ctx.db.clinicId, row.id, actor.actorType, actor.actorId],
  );
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: CONSENT, resourceId: row.id, subjectClientId: c.clientId });
  ctx.loaders.of(consentCheckLoader).clearAll();
  return row.id;
}

/**
 * Revokes the client's active consents `which` picks (SQL over consent_records, `$1` the client,
 * then `params`), as the viewer, with `reason`: each with its REVOKED event, audited about the
 * client. Returns the ids revoked (none when all were revoked already).
 */
async function revokeWhere(ctx: AuthedContext, clientId: string, which: string, params: unknown[], reason: string | null): Promise<string[]> {
  const actor = actorOf(ctx.viewer);
  const at = params.length + 2;
  const revoked = await ctx.db.query<{ id: string }>(
    `UPDATE consent_records SET revoked_at = now(), revoked_by_type = $${at}, revoked_by_id = $${at + 1}, revocation_reason = $${at + 2}
      WHERE client_id = $1 AND ${which} AND revoked_at IS NULL RETURNING id`,
    [clientId, ...params, actor.actorType, actor.actorId, reason],
  );
  if (!revoked.length) return [];
  const ids = revoked.map((r) => r.id);
  await ctx.db.query(
    `INSERT INTO consent_events (clinic_id, consent_id, event, actor_type, actor_id, reason) SELECT $1, id, 'REVOKED', $2, $3, $4 FROM unnest($5::uuid[]) AS id`,
    [ctx.db.clinicId, actor.actorType, actor.actorId, reason, ids],
  );
  ctx.audit.recordMany(ids.map((id) => ({ action: AuditAction.UPDATE, resourceType: CONSENT, resourceId: id, subjectClientId: clientId })));
  ctx.loaders.of(consentCheckLoader).clearAll();
  return ids;
}

/**
 * The SQL condition (over consent_records, params from `$2`) picking the client's in-force copies
 * of `decision` (expired ones have lapsed already and stay as they are); callers hold
 * `lockDecisions`, so two recordings of one decision cannot each miss the other. For a DENY, only
 * copies that lapse no later than `until` (null: whenever): a standing DENY is never cut short or
 * withdrawn by a copy recorded with an expiry, which would widen sharing (a change its recorder
 * may not be allowed to make). A PERMIT's copies all go: that only narrows.
 */
function inForceCopies(decision: ConsentDecision, until: Date | null | undefined): { which: string; params: unknown[] } {
  return {
    which: `(type = $2 AND provision = $3 AND scope_kind = $4 AND scope_group_id IS NOT DISTINCT FROM $5::uuid AND scope_api_key_id IS NOT DISTINCT FROM $6::uuid
             AND data_classes @> $7::text[] AND data_classes <@ $7::text[] AND (expires_at IS NULL OR expires_at > now())
             AND ($8::timestamptz IS NULL OR expires_at <= $8::timestamptz))`,
    params: [
      decision.type, decision.provision, decision.scopeKind, decision.groupId ?? null, decision.apiKeyId ?? null, decision.dataClasses ?? [],
      decision.provision === ConsentProvision.DENY ? (until ?? null) : null,
    ],
  };
}

/** The lock under which a client's consents of one type are recorded and revoked (re-entrant within a transaction). */
const lockDecisions = (ctx: AuthedContext, clientId: string, type: ConsentType) =>
  ctx.db.query(`SELECT pg_advisory_xact_lock(hashtext('consent:' || $1 || ':' || $2))`, [clientId, type]);

/**
 * Revokes the client's in-force copies of `decision` that a new copy lapsing at `expiresAt`
 * replaces (`inForceCopies`): so that revoking the one in force withdraws the decision, not just
 * its latest copy.
 */
export async function supersedeConsents(ctx: AuthedContext, clientId: string, decision: ConsentDecision & { expiresAt?: Date | null }, reason: string): Promise<void> {
  await lockDecisions(ctx, clientId, decision.type);
  const copies = inForceCopies(decision, decision.expiresAt);
  await revokeWhere(ctx, clientId, copies.which, copies.params, reason);
}

async function lockedAgreementGroup(ctx: AuthedContext, groupId: string): Promise<{ version: number; status: GroupStatus } | null> {
  const [group] = await ctx.db.query<{ version: number; status: GroupStatus }>(
    `SELECT agreement_version AS version, status FROM therapy_groups WHERE id = $1 FOR SHARE`,
    [groupId],
  );
  return group ?? null;
}

/**
 * A GROUP_AGREEMENT permit naming the group's current agreement version (the form a member signed,
 * recorded by staff; or the member's own grant) records the acceptance on the client's open
 * membership, as acceptGroupAgreement does: otherwise recording the signed form changed nothing
 * the member sees. A permit of no version, or in an ARCHIVED group (read-only history), records
 * the consent alone (another version is refused before anything is written).
 */
async function recordAgreementAccepted(ctx: AuthedContext, clientId: string, groupId: string, version: number): Promise<void> {
  const accepted = await ctx.db.query<{ id: string }>(
    `UPDATE memberships SET agreement_version_accepted = $3, agreement_accepted_at = now(), updated_at = now()
      WHERE group_id = $1 AND client_id = $2 AND status NOT IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED')
        AND COALESCE(agreement_version_accepted, 0) < $3
      RETURNING id`,
    [groupId, clientId, version],
  );
  ctx.audit.recordMany(accepted.map((m) => ({ action: AuditAction.UPDATE, resourceType: 'Membership', resourceId: m.id, subjectClientId: clientId })));
  // A member's own grant: their memberships as authentication read them judge the later fields.
  if (ctx.viewer.kind === 'MEMBER' && ctx.viewer.clientId === clientId) noteOwnAgreementAccepted(ctx, accepted.map((m) => m.id), version);
}

async function staffMayRead(ctx: AuthedContext, clientId: string) {
  return ctx.viewer.kind === 'STAFF' && (await ctx.loaders.of(clientLoaders).visibleById.load(clientId)) !== null;
}

/** A sharing decision beyond one group, refused by role (`mayRecordBeyondOneGroup`); nothing is written. */
async function refuseUnlessMayRecord(ctx: AuthedContext, clientId: string, type: ConsentType, scopeKind: ConsentScopeKind, widens: boolean) {
  if (scopeKind === ConsentScopeKind.GROUP) return;
  const verdict = mayRecordBeyondOneGroup(ctx.viewer, type, widens);
  if (verdict === 'GROUP_BY_GROUP') {
    // PARTNER_DATA_SHARING names one integration and has no group form: pointing to groupId would send the caller to a BAD_USER_INPUT.
    const message =
      type === ConsentType.PARTNER_DATA_SHARING
        ? 'A clinician does not record PARTNER_DATA_SHARING: the member, or a supervisor on their behalf, does'
        : `A clinician records ${type} for a group they facilitate (groupId), not beyond it`;
    throw await refusedWrite(ctx, 'Client', clientId, forbidden(message));
  }
  if (verdict === 'NOT_FOR_INTEGRATIONS') {
    throw await refusedWrite(ctx, 'Client', clientId, forbidden('Admins do not record a PARTNER_DATA_SHARING permit: the member, or a supervisor on their behalf, does'));
  }
}

export async function grantConsent(ctx: AuthedContext, input: GrantConsentInput): Promise<ConsentRecord> {
  const viewer = ctx.viewer;
  const clientId = input.clientId ? uuidOf(input.clientId, 'Client') : viewer.kind === 'MEMBER' ? viewer.clientId : undefined;
  if (!clientId) throw input.clientId ? notFound('Client') : badInput('clientId is required', { field: 'clientId' });
  // Another client's id (this clinic's or another's) does not exist for a member.
  if (viewer.kind === 'MEMBER' && clientId !== viewer.clientId) throw await refusedWrite(ctx, 'Client', clientId, notFound('Client'));
  const mayRead = await staffMayRead(ctx, clientId);
  if (viewer.kind === 'STAFF' && !mayRead) throw await refusedWrite(ctx, 'Client', clientId, notFound('Client'));
  if (!canGrantOrRevokeFor(viewer, clientId, mayRead)) throw await refusedWrite(ctx, 'Client', clientId, forbidden());

  const methods = allowedMethods(viewer);
  const method = input.method ?? (viewer.kind === 'MEMBER' ? ConsentMethod.ELECTRONIC : undefined);
  if (!method || !methods.includes(method)) {
    throw badInput(`method must be one of ${methods.join(', ')} for you`, { field: 'method', allowed: methods });
  }
  if (input.groupId && input.integrationId) throw badInput('Give groupId or integrationId, not both', { field: 'groupId' });
  let scopeKind = ConsentScopeKind.CLINIC;
  let groupId: string | null = null;
  let apiKeyId: string | null = null;
  if (input.groupId) {
    groupId = uuidOf(input.groupId, 'TherapyGroup') ?? null;
    const group = groupId ? await ctx.loaders.of(groupLoaders).visibleById.load(groupId) : null;
    if (!group || !mayRecordForGroup(viewer, group.access)) throw await refusedWrite(ctx, 'Client', clientId, notFound('Group'));
    const [member] = await ctx.db.query(`SELECT 1 FROM memberships WHERE group_id = $1 AND client_id = $2`, [groupId, clientId]);
    if (!member) throw await refusedWrite(ctx, 'Client', clientId, notFound('Group'));
    scopeKind = ConsentScopeKind.GROUP;
  } else if (input.integrationId) {
    apiKeyId = uuidOf(input.integrationId, 'ApiKey') ?? null;
    // A revoked key receives nothing: a consent naming it would only stand ready for nothing.
    const [key] = apiKeyId ? await ctx.db.query(`SELECT 1 FROM api_keys WHERE id = $1 AND revoked_at IS NULL`, [apiKeyId]) : [];
    if (!key) throw await refusedWrite(ctx, 'Client', clientId, notFound('Integration'));
    scopeKind = ConsentScopeKind.INTEGRATION;
  }
  if (input.type === ConsentType.PARTNER_DATA_SHARING && scopeKind !== ConsentScopeKind.INTEGRATION) {
    throw badInput('PARTNER_DATA_SHARING names one integration: give integrationId', { field: 'integrationId' });
  }
  // Only PARTNER_DATA_SHARING is ever asked of an integration: another type naming one would be
  // stored and decide nothing (a DENY that withholds nothing).
  if (scopeKind === ConsentScopeKind.INTEGRATION && input.type !== ConsentType.PARTNER_DATA_SHARING) {
    throw badInput(`${input.type} is recorded clinic-wide or for a group, not for an integration: omit integrationId`, { field: 'integrationId' });
  }
  if ([ConsentType.GROUP_AGREEMENT, ConsentType.ALUMNI_DIRECTORY].includes(input.type) && scopeKind !== ConsentScopeKind.GROUP) {
    throw badInput(`${input.type} applies to one group: give groupId`, { field: 'groupId' });
  }
  await refuseUnlessMayRecord(ctx, clientId, input.type, scopeKind, input.provision === ConsentProvision.PERMIT);
  if (input.dataClasses?.length) {
    // Only what the consent check asks is accepted: a class it never asks (a typo in a DENY, a
    // GOAL_SHARING "goals only") would be stored and silently do nothing.
    if (input.type !== ConsentType.PARTNER_DATA_SHARING) throw badInput('dataClasses narrow a PARTNER_DATA_SHARING consent only', { field: 'dataClasses' });
    const unknown = input.dataClasses.filter((c) => !DATA_CLASSES.includes(c));
    if (unknown.length) throw badInput(`Unknown data classes: ${unknown.join(', ')}`, { field: 'dataClasses', allowed: DATA_CLASSES });
    // Stored as given and shown back: a class listed twice is a caller's slip, refused as recordAttendance refuses one.
    if (new Set(input.dataClasses).size !== input.dataClasses.length) throw badInput('A data class is listed twice', { field: 'dataClasses' });
  }
  if (input.expiresAt) {
    const [{ future }] = await ctx.db.query<{ future: boolean }>(`SELECT $1::timestamptz > now() AS future`, [input.expiresAt]);
    if (!future) throw badInput('expiresAt must be in the future', { field: 'expiresAt' });
  }
  if (input.expiresOn) await refuseUnlessEventToCome(ctx, clientId, input, groupId);
  // A group agreement's group is share-locked before the consent lock, the order acceptGroupAgreement
  // takes them in (else the consent's foreign-key check on the group, after the consent lock, could
  // deadlock with it).
  const agreementGroup = input.type === ConsentType.GROUP_AGREEMENT && groupId ? await lockedAgreementGroup(ctx, groupId) : null;
  const decision: ConsentDecision = { type: input.type, provision: input.provision, scopeKind, groupId, apiKeyId, dataClasses: input.dataClasses };
  // A group agreement permit naming another version than the group's consents to text no longer in
  // force: refused as acceptGroupAgreement refuses it (as a live consent it would let the member see
  // peers again, and supersede the acceptance of the current one).
  const agreementVersionNamed = input.documentVersion?.trim();
  if (agreementGroup && input.provision === ConsentProvision.PERMIT && agreementVersionNamed && agreementVersionNamed !== String(agreementGroup.version)) {
    throw conflict(`The agreement changed: the current version is ${agreementGroup.version}`, { currentVersion: agreementGroup.version });
  }
  // The same decision recorded again (a renewal, a signed form after an electronic grant) replaces
  // the earlier copy: otherwise revoking the newest left an older PERMIT granting as before.
  await supersedeConsents(ctx, clientId, { ...decision, expiresAt: input.expiresAt }, 'Superseded: the same consent recorded again');
  const id = await recordConsent(ctx, {
    ...decision, clientId, purpose: input.purpose, expiresAt: input.expiresAt, expiresOn: input.expiresOn, method, documentVersion: input.documentVersion,
  });
  if (agreementGroup && groupId && input.provision === ConsentProvision.PERMIT && agreementGroup.status !== GroupStatus.ARCHIVED && agreementVersionNamed === String(agreementGroup.version)) {
    await recordAgreementAccepted(ctx, clientId, groupId, agreementGroup.version);
  }
  // What the viewer may see can change with it: later fields of the document read afresh.
  ctx.loaders.forgetAll();
  return (await ctx.loaders.of(consentLoaders).visibleById.load(id))!;
}

/** Open memberships, as SQL over `memberships m`: what MEMBERSHIP_ENDS waits on. */
const OPEN_MEMBERSHIP = `m.status NOT IN (${sqlList(ENDED)})`;

/**
 * A consent given until an event must be able to lapse on it: a PERMIT (a DENY lapsing would widen
 * sharing unasked), not the alumni directory (for after the membership), and while a membership it
 * waits on is open. Those memberships are share-locked: one ending meanwhile either commits first
 * (and this answers BAD_USER_INPUT) or waits, and then lapses this consent as it ends. A group's
 * row is share-locked first, in the order status changes and syncs lock (group, then membership).
 */
async function refuseUnlessEventToCome(ctx: AuthedContext, clientId: string, input: GrantConsentInput, groupId: string | null): Promise<void> {
  if (input.provision === ConsentProvision.DENY) throw badInput('A DENY does not lapse on an event: lapsing, it would widen what is shared unasked', { field: 'expiresOn' });
  if (input.type === ConsentType.ALUMNI_DIRECTORY) throw badInput('ALUMNI_DIRECTORY is for after the membership: it does not lapse when the membership ends', { field: 'expiresOn' });
  if (groupId) await ctx.db.query(`SELECT 1 FROM therapy_groups WHERE id = $1 FOR SHARE`, [groupId]);
  const open = await ctx.db.query(
    `SELECT 1 FROM memberships m WHERE m.client_id = $1 AND ($2::uuid IS NULL OR m.group_id = $2) AND ${OPEN_MEMBERSHIP} FOR SHARE`,
    [clientId, groupId],
  );
  if (!open.length) throw badInput(groupId ? 'The membership in this group has ended already' : 'No membership at the clinic is open: participation has ended already', { field: 'expiresOn' });
}

/**
 * Consents given until the end of the client's participation (MEMBERSHIP_ENDS) lapse as the
 * memberships end: a group's once no membership of the client's in it stays open, a clinic-wide
 * or integration one once none at the clinic does. Each gets `expires_at` now (or its grant's time,
 * for one granted by a request that began after this one and committed first) and a LAPSED event
 * (by the system, as the rule it was given with), audited about its client; the request's
 * consent answers are read afresh. Called as memberships end, in their transaction.
 */
export async function lapseConsentsOnMembershipEnd(ctx: RequestContext, membershipIds: string[]): Promise<void> {
  // One client's endings are judged one after another: two requests each ending one of a client's
  // two open memberships would otherwise each see the other's still open, and neither lapse a
  // clinic-wide consent. Judged in a statement after the lock, which sees what the other committed.
  await ctx.db.query(
    `SELECT pg_advisory_xact_lock(hashtext('membership-end:' || client_id::text))
       FROM (SELECT DISTINCT client_id FROM memberships WHERE id = ANY($1::uuid[]) ORDER BY client_id) ended`,
    [membershipIds],
  );
  const lapsed = await ctx.db.query<{ id: string; client_id: string }>(
    `UPDATE consent_records c SET expires_at = GREATEST(now(), c.granted_at)
      WHERE c.expires_on = '${ConsentExpiryEvent.MEMBERSHIP_ENDS}' AND c.revoked_at IS NULL
        -- In force as this statement runs: one that another ending lapsed after this transaction
        -- began (expires_at later than its now()) has lapsed, and is not lapsed again earlier.
        AND (c.expires_at IS NULL OR c.expires_at > statement_timestamp())
        AND c.client_id IN (SELECT client_id FROM memberships WHERE id = ANY($1::uuid[]))
        AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.client_id = c.client_id AND (c.scope_group_id IS NULL OR m.group_id = c.scope_group_id) AND ${OPEN_MEMBERSHIP})
      RETURNING c.id, c.client_id`,
    [membershipIds],
  );
  if (!lapsed.length) return;
  await ctx.db.query(
    `INSERT INTO consent_events (clinic_id, consent_id, event, actor_type, reason) SELECT $1, id, 'LAPSED', 'SYSTEM', $2 FROM unnest($3::uuid[]) AS id`,
    [ctx.db.clinicId, ConsentExpiryEvent.MEMBERSHIP_ENDS, lapsed.map((c) => c.id)],
  );
  ctx.audit.recordMany(lapsed.map((c) => ({ action: AuditAction.UPDATE, resourceType: CONSENT, resourceId: c.id, subjectClientId: c.client_id })));
  ctx.loaders.forgetAll();
}

export async function revokeConsent(ctx: AuthedContext, input: RevokeConsentInput): Promise<ConsentRecord> {
  const id = uuidOf(input.consentId, CONSENT);
  const loader = ctx.loaders.of(consentLoaders).visibleById;
  const consent = id ? await loader.load(id) : null;
  if (!id || !consent) throw await refusedWrite(ctx, CONSENT, id, notFound(CONSENT));
  if (!canGrantOrRevokeFor(ctx.viewer, consent.clientId, await staffMayRead(ctx, consent.clientId))) throw await refusedWrite(ctx, CONSENT, id, forbidden());
  // Revoking a DENY widens what is shared, as granting a PERMIT does.
  await refuseUnlessMayRecord(ctx, consent.clientId, consent.type, consent.scopeKind, consent.provision === ConsentProvision.DENY);
  // Judged under the lock a concurrent recording of the same decision takes: one that superseded
  // this copy meanwhile is seen, and named in the answer.
  await lockDecisions(ctx, consent.clientId, consent.type);
  loader.clear(id);
  const current = (await loader.load(id)) ?? consent;
  // Revoking a consent in force withdraws its decision: the in-force copies go with it (copies
  // recorded before a new grant superseded them would go on granting what the member withdrew),
  // but a DENY only takes copies it outlasts. A lapsed one is revoked alone: its renewal is
  // another decision, in force on its own.
  const copies =
    current.status === ConsentStatus.ACTIVE
      ? inForceCopies({ ...current, groupId: current.scopeGroupId, apiKeyId: current.scopeApiKeyId }, current.expiresAt)
      : null;
  const revoked = copies
    ? await revokeWhere(ctx, consent.clientId, `(id = $${copies.params.length + 2} OR ${copies.which})`, [...copies.params, id], input.reason ?? null)
    : await revokeWhere(ctx, consent.clientId, 'id = $2', [id], input.reason ?? null);
  if (!revoked.includes(id)) {
    throw stateConflict(ctx, { resourceType: CONSENT, resourceId: id, subjectClientId: consent.clientId }, 'This consent is already revoked', { status: current.status });
  }
  // What the viewer may see can change with it: later fields of the document read afresh.
  ctx.loaders.forgetAll();
  return (await ctx.loaders.of(consentLoaders).visibleById.load(id))!;
}

export async function consentsOfClient(ctx: AuthedContext, clientGlobalId: string, first: number, after: string | null | undefined, filter: ConsentFilter) {
  // A cursor no page gave is refused before anything is read.
  const cursor = decodeCursor(after, CONSENT_CURSOR);
  // A client the viewer may not read is refused (and audited) as client(id:) refuses it.
  const client = await getClient(ctx, clientGlobalId);
  return ctx.loaders.of(consentLoaders).pageOfClient(client.id, first, cursor, filter);
}

/** The group a consent is scoped to, as the viewer may see it. */
export async function scopeGroupOf(ctx: AuthedContext, consent: ConsentRecord) {
  return consent.scopeGroupId ? visibleGroup(ctx, consent.scopeGroupId) : null;
}
