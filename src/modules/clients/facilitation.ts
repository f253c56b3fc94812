import type { RequestContext } from '../../context';
import { viewerFactsLoader } from '../groups/viewer-facts';

/**
 * Of `clientIds`, those with a membership (any status, so former members' records stay
 * reachable for their notes) in a group the viewing clinician currently facilitates.
 */
export async function facilitatedClientIds(ctx: RequestContext, clientIds: readonly string[]): Promise<Set<string>> {
  const { facilitatedGroupIds } = await ctx.loaders.of(viewerFactsLoader).get();
  if (facilitatedGroupIds.size === 0) return new Set();
  const rows = await ctx.db.query<{ client_id: string }>(
    `SELECT DISTINCT client_id FROM memberships WHERE group_id = ANY($1) AND client_id = ANY($2)`,
    [[...facilitatedGroupIds], [...clientIds]],
  );
  return new Set(rows.map((r) => r.client_id));
}
