import { AuditAction } from '../../audit/audit-action';
import { actorKey, actorLoader } from '../../audit/actor';
import { aboutClientSql } from '../../audit/audit-log';
import { decodeCursor, Page, pageOf } from '../../common/connection';
import { toGlobalId, uuidOf } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { notFound } from '../../errors/domain-error';
import { clientLoaders } from '../clients/client.loaders';
import { ConsentType } from '../consent/consent.enums';
import { AccessReport, AccessReportEntry, DisclosureReportEntry } from './access-report.types';

/** Built from the audit trail and the disclosure ledger; producing it is itself audited. */
export async function buildAccessReport(ctx: AuthedContext, clientId: string, first: number): Promise<AccessReport> {
  const client = await ctx.loaders.of(clientLoaders).visibleById.load(clientId);
  if (!client) throw notFound('Client');
  const [accesses, disclosures, [{ now }]] = await Promise.all([
    accessesOf(ctx, clientId, first),
    disclosuresOf(ctx, clientId, first),
    ctx.db.query<{ now: Date }>(`SELECT now()`),
  ]);
  ctx.audit.record({ action: AuditAction.EXPORT, resourceType: 'AccessReport', resourceId: clientId, subjectClientId: clientId });
  return Object.assign(new AccessReport(), {
    clientId,
    subjectDisplayName: client.displayName,
    generatedAt: now,
    accesses: namingActors(ctx, clientId, accesses.slice(0, first)).map((a) => a.entry),
    disclosures: disclosures.slice(0, first).map((d) => d.entry),
  });
}

/**
 * The histories' cursors are sealed (`NoteCipher.seal`), for the member's report and staff's
 * alike: in the clear, an access's (batch, position) told the member how many other records the
 * request of the peer who read them wrote first (how many newer connections, and whose contact
 * cards, that peer's list showed) and, by the gaps between batches, the whole server's traffic;
 * a disclosure's ledger id, the releases made about everyone else.
 */
const sealedCursors = (ctx: AuthedContext, purpose: string) => ({
  encode: (values: unknown[]) => ctx.noteCipher.seal(purpose, values),
  open: (cursor: string) => ctx.noteCipher.open(purpose, cursor),
});

/** The whole history of accesses, a page at a time, newest first (the report's `accesses` is its first page). */
export async function accessHistory(ctx: AuthedContext, report: AccessReport, first: number, after?: string | null): Promise<Page<AccessReportEntry>> {
  // Cursors name (batch, position), as the audit trail's own, sealed.
  const sealed = sealedCursors(ctx, `access history ${report.clientId}`);
  const cursor = decodeCursor(after, ['integer', 'integer'], sealed.open)?.map(Number) as [number, number] | undefined;
  const page = pageOf(await accessesOf(ctx, report.clientId, first + 1, cursor), first, (r) => [r.batch, r.position], undefined, sealed.encode);
  namingActors(ctx, report.clientId, page.edges.map((e) => e.node));
  return entriesOf(page);
}

/**
 * A report staff produce names the members who acted on the subject's records (a peer who read
 * their contact card): what that member did is about them too, so each member named is recorded
 * (an EXPORT of the report, about them), as an admin's page of `auditEvents` is. A member's own
 * report is theirs: the people it names learn nothing of it.
 */
function namingActors<T extends { actorClientId: string | null }>(ctx: AuthedContext, clientId: string, shown: T[]): T[] {
  if (ctx.viewer.kind !== 'STAFF') return shown;
  const named = new Set(shown.map((a) => a.actorClientId).filter((id): id is string => id !== null));
  ctx.audit.recordMany([...named].map((id) => ({ action: AuditAction.EXPORT, resourceType: 'AccessReport', resourceId: clientId, subjectClientId: id })));
  return shown;
}

/** The whole history of disclosures, a page at a time, newest first. */
export async function disclosureHistory(ctx: AuthedContext, report: AccessReport, first: number, after?: string | null): Promise<Page<DisclosureReportEntry>> {
  const sealed = sealedCursors(ctx, `disclosure history ${report.clientId}`);
  const cursor = decodeCursor(after, ['integer'], sealed.open)?.map(Number);
  return entriesOf(pageOf(await disclosuresOf(ctx, report.clientId, first + 1, cursor?.[0]), first, (r) => [r.id], undefined, sealed.encode));
}

/** An entry with the keys its cursor is made of. */
type Keyed<T, K> = { entry: T } & K;

const entriesOf = <T>(page: Page<{ entry: T }>): Page<T> => ({ ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: e.node.entry })) });

/** Accesses by others, newest first, `limit` of them after `before` (batch, position). */
async function accessesOf(ctx: AuthedContext, clientId: string, limit: number, before?: [number, number]) {
  // One text with a cursor and one without: a `$n IS NULL OR …` would keep the generic plan from seeking.
  const rows = await ctx.db.query<{ batch: string; position: number; occurred_at: Date; action: AuditAction; resource_type: string; actor_type: string; actor_id: string | null }>(
    `SELECT a.batch_id::text AS batch, a.position::int AS position, occurred_at, action, resource_type, actor_type, actor_id FROM audit_events a
      WHERE ${aboutClientSql('$1::uuid')} AND NOT (actor_type = 'CLIENT' AND actor_id = $1)
        ${before ? 'AND a.batch_id <= $3::bigint AND (a.batch_id, a.position::bigint) < ($3::bigint, $4::bigint)' : ''}
      ORDER BY batch_id DESC, position DESC LIMIT $2`,
    before ? [clientId, limit, String(before[0]), String(before[1])] : [clientId, limit],
  );
  const actors = ctx.loaders.of(actorLoader);
  return Promise.all(
    rows.map(async (a): Promise<Keyed<AccessReportEntry, { batch: number; position: number; actorClientId: string | null }>> => ({
      batch: Number(a.batch),
      position: a.position,
      actorClientId: a.actor_type === 'CLIENT' ? a.actor_id : null,
      entry: { occurredAt: a.occurred_at, action: a.action, resourceType: a.resource_type, actor: await actors.load(actorKey(a.actor_type, a.actor_id)) },
    })),
  );
}

/** Releases to integrations, newest first, `limit` of them before ledger id `before`. */
async function disclosuresOf(ctx: AuthedContext, clientId: string, limit: number, before?: number) {
  const rows = await ctx.db.query<{ id: string; disclosed_at: Date; api_key_id: string; data_class: string; resource_type: string; consent_id: string; type: ConsentType; granted_at: Date }>(
    `SELECT d.id::text AS id, d.disclosed_at, d.api_key_id, d.data_class, d.resource_type, d.consent_id, c.type, c.granted_at
       FROM disclosures d JOIN consent_records c ON c.id = d.consent_id
      WHERE d.client_id = $1 ${before === undefined ? '' : 'AND d.id < $3::bigint'} ORDER BY d.id DESC LIMIT $2`,
    before === undefined ? [clientId, limit] : [clientId, limit, String(before)],
  );
  const actors = ctx.loaders.of(actorLoader);
  return Promise.all(
    rows.map(async (d): Promise<Keyed<DisclosureReportEntry, { id: number }>> => ({
      id: Number(d.id),
      entry: {
        disclosedAt: d.disclosed_at,
        integrationName: (await actors.load(actorKey('INTEGRATION', d.api_key_id))).name,
        dataClass: d.data_class,
        resourceType: d.resource_type,
        consentType: d.type,
        consentGrantedAt: d.granted_at,
        consentId: toGlobalId('ConsentRecord', d.consent_id),
      },
    })),
  );
}

export const clientIdFrom = (globalId: string) => {
  const id = uuidOf(globalId, 'Client');
  if (!id) throw notFound('Client');
  return id;
};
