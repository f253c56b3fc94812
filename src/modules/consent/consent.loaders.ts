import DataLoader from 'dataloader';
import { AuditAction } from '../../audit/audit-action';
import { CursorValue, keysetPage, Page, pageOf } from '../../common/connection';
import { SqlParts } from '../../db/sql-parts';
import type { RequestContext } from '../../context';
import { clientLoaders } from '../clients/client.loaders';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { CONSENT_COLUMNS, CONSENT_STATUS_SQL, ConsentEvent, consentFromRow, ConsentRecord, ConsentRow } from './consent-record.entity';
import { ConsentScopeKind } from './consent.enums';
import type { ConsentStatus, ConsentType } from './consent.enums';
import { canReadConsent } from './consent.policy';

/** Applies the read rule to consents of any clients at once and audits what it releases. */
async function visible(ctx: RequestContext, records: ConsentRecord[]): Promise<ConsentRecord[]> {
  const viewer = ctx.viewer;
  if (!viewer) return [];
  const staffClients =
    viewer.kind === 'STAFF'
      ? await ctx.loaders.of(clientLoaders).visibleById.loadMany([...new Set(records.map((r) => r.clientId))])
      : [];
  const readable = new Set(staffClients.filter((c) => c && !(c instanceof Error)).map((c) => (c as { id: string }).id));
  // A clinician sees clinic-wide consents and those of groups they facilitate: others would reveal
  // the client's other groups, or the partner apps they share data with (an integration's consent).
  const facilitated = viewer.kind === 'STAFF' && viewer.role === 'CLINICIAN' ? (await ctx.loaders.of(viewerFactsLoader).get()).facilitatedGroupIds : undefined;
  const out = records.filter(
    (r) =>
      canReadConsent(viewer, r, readable.has(r.clientId)) &&
      (!facilitated || r.scopeKind === ConsentScopeKind.CLINIC || (r.scopeKind === ConsentScopeKind.GROUP && !!r.scopeGroupId && facilitated.has(r.scopeGroupId))),
  );
  ctx.audit.recordMany(out.map((r) => ({ action: AuditAction.READ, resourceType: 'ConsentRecord', resourceId: r.id, subjectClientId: r.clientId })));
  return out;
}

export const consentLoaders = (ctx: RequestContext) => ({
  visibleById: new DataLoader<string, ConsentRecord | null>(async (ids) => {
    const rows = await ctx.db.query<ConsentRow>(`SELECT ${CONSENT_COLUMNS} FROM consent_records WHERE id = ANY($1)`, [[...ids]]);
    const out = new Map((await visible(ctx, rows.map(consentFromRow))).map((r) => [r.id, r]));
    return ids.map((id) => out.get(id) ?? null);
  }),

  /** Every consent of each client the viewer may read, newest first (history included). */
  byClient: new DataLoader<string, ConsentRecord[]>(async (clientIds) => {
    const rows = await ctx.db.query<ConsentRow>(
      `SELECT ${CONSENT_COLUMNS} FROM consent_records WHERE client_id = ANY($1) ORDER BY granted_at DESC, id`,
      [[...clientIds]],
    );
    const out = await visible(ctx, rows.map(consentFromRow));
    return clientIds.map((id) => out.filter((r) => r.clientId === id));
  }),

  /**
   * One page of a client's consents for staff who may read the client, newest first (then id),
   * chosen in SQL among those the viewer may see (a clinician: clinic-wide ones and those of
   * groups they facilitate), as `visible` then judges and audits them.
   */
  async pageOfClient(clientId: string, first: number, cursor: unknown[] | undefined, filter: ConsentFilter): Promise<Page<ConsentRecord>> {
    const viewer = ctx.viewer;
    if (viewer?.kind !== 'STAFF') return pageOf([], first, () => []);
    const q = new SqlParts(clientId);
    if (viewer.role === 'CLINICIAN') {
      const facilitated = (await ctx.loaders.of(viewerFactsLoader).get()).facilitatedGroupIds;
      q.and(`(scope_kind = 'CLINIC' OR (scope_kind = 'GROUP' AND scope_group_id = ANY(${q.param([...facilitated])}::uuid[])))`);
    }
    if (filter.type?.length) q.and(`type = ANY(${q.param(filter.type)}::text[])`);
    if (filter.status?.length) q.and(`${CONSENT_STATUS_SQL} = ANY(${q.param(filter.status)}::text[])`);
    q.afterNewestFirst('granted_at', 'id', cursor);
    const rows = await ctx.db.query<ConsentRow & { granted_key: string }>(
      `SELECT ${CONSENT_COLUMNS}, granted_at::text AS granted_key FROM consent_records WHERE client_id = $1 ${q.andAll}
        ORDER BY granted_at DESC, id LIMIT ${q.param(first + 1)}`,
      q.params,
    );
    return keysetPage(rows, first, await visible(ctx, rows.slice(0, first).map(consentFromRow)), (r) => [r.granted_key, r.id]);
  },

  events: new DataLoader<string, ConsentEvent[]>(async (ids) => {
    const rows = await ctx.db.query<{ consent_id: string; event: string; occurred_at: Date; reason: string | null; actor_type: string; actor_id: string | null }>(
      `SELECT consent_id, event, occurred_at, reason, actor_type, actor_id FROM consent_events WHERE consent_id = ANY($1) ORDER BY id`,
      [[...ids]],
    );
    return ids.map((id) =>
      rows
        .filter((r) => r.consent_id === id)
        .map((r) => Object.assign(new ConsentEvent(), { event: r.event, occurredAt: r.occurred_at, reason: r.reason, actorType: r.actor_type, actorId: r.actor_id })),
    );
  }),
});

/** A consents page's cursor: grant time, then id. */
export const CONSENT_CURSOR: readonly CursorValue[] = ['timestamp', 'uuid'];

export interface ConsentFilter {
  type?: ConsentType[] | null;
  status?: ConsentStatus[] | null;
}
