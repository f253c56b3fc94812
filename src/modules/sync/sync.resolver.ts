import { listSize } from '../../common/connection';
import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { actorKey, actorLoader } from '../../audit/actor';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { syncRoster } from './roster-sync.service';
import { SyncRosterInput, SyncRosterPayload, SyncRun } from './sync.types';

@Resolver(() => SyncRun)
export class SyncResolver {
  @Authorized(Rule.ADMIN, Rule.scope('roster:write'))
  @Mutation(() => SyncRosterPayload, {
    description:
      'Pushes a group\'s roster from an outside system: MERGE or REPLACE, dryRun, idempotencyKey. All or nothing: every row error is reported at once and nothing is written while any exists. At most 1,000 members per call, and one call per request (a second, aliased, answers BAD_USER_INPUT and nothing is written); concurrent syncs of one group run one after the other. A REPLACE that would end more than 20% of the seated memberships answers CONFLICT (reason LARGE_CHANGE_REQUIRES_CONFIRMATION, nothing written) unless `confirmLargeChange` is set; a dry run reports it as `requiresConfirmation` instead. Admins and `roster:write` integrations.',
  })
  syncRoster(@Arg('input', { description: 'The roster.' }) input: SyncRosterInput, @Ctx() ctx: AuthedContext) {
    return syncRoster(ctx, input);
  }

  @Authorized(Rule.ADMIN)
  @Query(() => [SyncRun], { description: 'Recent roster sync runs (dry and applied), newest first. Admins only.' })
  async syncRuns(@Ctx() ctx: AuthedContext, @Arg('first', () => Int, { defaultValue: 50, description: 'How many, 1–200.' }) first: number) {
    const rows = await ctx.db.query<{ id: string; created_at: Date; actor_type: string; actor_id: string | null; mode: SyncRun['mode']; dry_run: boolean; applied: boolean; row_count: number; error_count: number; counts: unknown }>(
      `SELECT id, created_at, actor_type, actor_id, mode, dry_run, applied, row_count, error_count, counts FROM sync_runs ORDER BY created_at DESC, id LIMIT $1`,
      [listSize(first, 'first', 200)],
    );
    const actors = ctx.loaders.of(actorLoader);
    return Promise.all(
      rows.map(async (r) => ({
        id: r.id,
        createdAt: r.created_at,
        actorType: r.actor_type,
        actorId: r.actor_id,
        actorName: (await actors.load(actorKey(r.actor_type, r.actor_id))).name,
        mode: r.mode,
        dryRun: r.dry_run,
        applied: r.applied,
        rowCount: r.row_count,
        errorCount: r.error_count,
        counts: JSON.stringify(r.counts),
      })),
    );
  }
}
