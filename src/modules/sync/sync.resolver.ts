import { IsOptional } from 'class-validator';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import { ConnectionType, FilteredPageArgs } from '../../common/connection';
import { SafeText } from '../../common/safe-text';
import type { AuthedContext } from '../../context';
import { visibleGroup } from '../groups/group.loaders';
import { TherapyGroup } from '../groups/therapy-group.entity';
import { syncRunsPage } from './sync-runs.service';
import { syncRoster } from './roster-sync.service';
import { SyncRosterInput, SyncRosterPayload, SyncRun } from './sync.types';

@InputType({ description: 'Conditions on the sync runs returned.' })
class SyncRunFilter {
  @Field(() => ID, { nullable: true, description: 'Only runs for this group.' })
  @IsOptional()
  @SafeText({ max: 200 })
  groupId?: string | null;
}

@ArgsType()
class SyncRunsArgs extends FilteredPageArgs(SyncRunFilter, 'Conditions on the runs returned; without it, every group\'s.') {}

const SyncRunConnection = ConnectionType(SyncRun, 'SyncRun', 'A page of roster sync runs, newest first, then by id.');

@Resolver(() => SyncRun)
export class SyncResolver {
  @Authorized(Rule.ADMIN, Rule.scope('roster:write'))
  @Mutation(() => SyncRosterPayload, {
    description:
      'Pushes a group\'s roster from an outside system: MERGE or REPLACE, dryRun, idempotencyKey. All or nothing: every row error is reported at once and nothing is written while any exists. At most 1,000 members per call, and one call per request (a second, aliased, answers BAD_USER_INPUT and nothing is written); syncs of one clinic run one after the other, a sync waiting more than 5 s for another (or for a record it must lock) answering CONFLICT with retryable: true, nothing written. A REPLACE that would end more than 20% of the seated memberships, or of those waiting (REFERRED, SCREENING, WAITLISTED), answers CONFLICT (reason LARGE_CHANGE_REQUIRES_CONFIRMATION, nothing written) unless `confirmLargeChange` is set; a dry run reports it as `requiresConfirmation` instead. Admins and `roster:write` integrations.',
  })
  syncRoster(@Arg('input', { description: 'The roster.' }) input: SyncRosterInput, @Ctx() ctx: AuthedContext) {
    return syncRoster(ctx, input);
  }

  @Authorized(Rule.ADMIN)
  @Query(() => SyncRunConnection, { description: 'The clinic\'s roster sync runs (dry and applied), newest first (then by id), a page at a time. Admins only.' })
  syncRuns(@Args() args: SyncRunsArgs, @Ctx() ctx: AuthedContext) {
    return syncRunsPage(ctx, args.first, args.after, args.filter ?? {});
  }

  @FieldResolver(() => TherapyGroup, { nullable: true, description: 'The group whose roster was synced.' })
  group(@Root() run: SyncRun, @Ctx() ctx: AuthedContext) {
    return visibleGroup(ctx, run.groupId);
  }
}
