import DataLoader from 'dataloader';
import { In } from 'typeorm';
import { AuditAction } from '../../audit/audit-action';
import type { RequestContext } from '../../context';
import { Client } from './client.entity';
import { canReadClient, needsFacilitationFacts } from './client.policy';
import { facilitatedClientIds } from './facilitation';

/**
 * `visibleById` is the only way a Client object reaches a resolver: the batch loads the rows,
 * applies the read policy to all of them at once, and audits what it releases.
 */
export const clientLoaders = (ctx: RequestContext) => ({
  visibleById: new DataLoader<string, Client | null>(async (ids) => {
    const viewer = ctx.viewer;
    if (!viewer) return ids.map(() => null);
    const [rows, facilitated] = await Promise.all([
      ctx.db.manager.find(Client, { where: { id: In([...ids]) } }),
      needsFacilitationFacts(viewer) ? facilitatedClientIds(ctx, ids) : Promise.resolve(new Set<string>()),
    ]);
    const visible = new Map(rows.filter((c) => canReadClient(viewer, c.id, facilitated)).map((c) => [c.id, c]));
    ctx.audit.recordMany(
      [...visible.keys()].map((id) => ({ action: AuditAction.READ, resourceType: 'Client', resourceId: id, subjectClientId: id })),
    );
    return ids.map((id) => visible.get(id) ?? null);
  }),
});
