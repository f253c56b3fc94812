import { AuditAction } from '../../audit/audit-action';
import { actorKey, actorLoader } from '../../audit/actor';
import { aboutClientSql } from '../../audit/audit-log';
import { toGlobalId, uuidOf } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { notFound } from '../../errors/domain-error';
import { clientLoaders } from '../clients/client.loaders';
import { ConsentType } from '../consent/consent.enums';
import { AccessReport } from './access-report.types';

/** Built from the audit trail and the disclosure ledger; producing it is itself audited. */
export async function buildAccessReport(ctx: AuthedContext, clientId: string, first: number): Promise<AccessReport> {
  const client = await ctx.loaders.of(clientLoaders).visibleById.load(clientId);
  if (!client) throw notFound('Client');
  const [accesses, disclosures, [{ now }]] = await Promise.all([
    ctx.db.query<{ occurred_at: Date; action: AuditAction; resource_type: string; actor_type: string; actor_id: string | null }>(
      `SELECT occurred_at, action, resource_type, actor_type, actor_id FROM audit_events a
        WHERE ${aboutClientSql('$1::uuid')} AND NOT (actor_type = 'CLIENT' AND actor_id = $1)
        ORDER BY batch_id DESC, position DESC LIMIT $2`,
      [clientId, first],
    ),
    ctx.db.query<{ disclosed_at: Date; api_key_id: string; data_class: string; resource_type: string; consent_id: string; type: ConsentType; granted_at: Date }>(
      `SELECT d.disclosed_at, d.api_key_id, d.data_class, d.resource_type, d.consent_id, c.type, c.granted_at
         FROM disclosures d JOIN consent_records c ON c.id = d.consent_id
        WHERE d.client_id = $1 ORDER BY d.id DESC LIMIT $2`,
      [clientId, first],
    ),
    ctx.db.query<{ now: Date }>(`SELECT now()`),
  ]);
  const actors = ctx.loaders.of(actorLoader);
  ctx.audit.record({ action: AuditAction.EXPORT, resourceType: 'AccessReport', resourceId: clientId, subjectClientId: clientId });
  return {
    subjectDisplayName: client.displayName,
    generatedAt: now,
    accesses: await Promise.all(
      accesses.map(async (a) => ({
        occurredAt: a.occurred_at,
        action: a.action,
        resourceType: a.resource_type,
        actor: await actors.load(actorKey(a.actor_type, a.actor_id)),
      })),
    ),
    disclosures: await Promise.all(
      disclosures.map(async (d) => ({
        disclosedAt: d.disclosed_at,
        integrationName: (await actors.load(actorKey('INTEGRATION', d.api_key_id))).name,
        dataClass: d.data_class,
        resourceType: d.resource_type,
        consentType: d.type,
        consentGrantedAt: d.granted_at,
        consentId: toGlobalId('ConsentRecord', d.consent_id),
      })),
    ),
  };
}

export const clientIdFrom = (globalId: string) => {
  const id = uuidOf(globalId, 'Client');
  if (!id) throw notFound('Client');
  return id;
};
