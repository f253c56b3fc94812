import { actorKey, actorLoader } from '../../audit/actor';
import { decodeCursor, keysetPage, Page } from '../../common/connection';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { SqlParts } from '../../db/sql-parts';
import { SyncRun } from './sync.types';

export interface SyncRunFilter {
  groupId?: string | null;
}

/**
 * One page of the clinic's sync runs, newest first (then id), optionally of one group. A group id
 * that is not a group answers an empty page, as a group with no runs does.
 */
export async function syncRunsPage(ctx: AuthedContext, first: number, after: string | null | undefined, filter: SyncRunFilter): Promise<Page<SyncRun>> {
  const cursor = decodeCursor(after, ['timestamp', 'uuid']);
  const q = new SqlParts();
  if (filter.groupId) q.and(`group_id = ${q.param(uuidOf(filter.groupId, 'TherapyGroup') ?? '00000000-0000-0000-0000-000000000000')}`);
  q.afterNewestFirst('created_at', 'id', cursor);
  const rows = await ctx.db.query<{
    id: string; group_id: string; created_at: Date; created_key: string; actor_type: string; actor_id: string | null; mode: SyncRun['mode']; dry_run: boolean;
    applied: boolean; row_count: number; error_count: number; counts: unknown;
  }>(
    `SELECT id, group_id, created_at, created_at::text AS created_key, actor_type, actor_id, mode, dry_run, applied, row_count, error_count, counts
       FROM sync_runs ${q.where} ORDER BY created_at DESC, id LIMIT ${q.param(first + 1)}`,
    q.params,
  );
  const shown = rows.slice(0, first);
  const actors = await ctx.loaders.of(actorLoader).loadMany(shown.map((r) => actorKey(r.actor_type, r.actor_id)));
  const runs = shown.map((r, i) => {
    const actor = actors[i];
    return Object.assign(new SyncRun(), {
      id: r.id,
      groupId: r.group_id,
      createdAt: r.created_at,
      actorType: r.actor_type,
      actorId: r.actor_id,
      actorName: actor instanceof Error ? null : actor.name,
      mode: r.mode,
      dryRun: r.dry_run,
      applied: r.applied,
      rowCount: r.row_count,
      errorCount: r.error_count,
      counts: JSON.stringify(r.counts),
    });
  });
  return keysetPage(rows, first, runs, (r) => [r.created_key, r.id]);
}
