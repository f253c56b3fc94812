import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { forbidden } from '../../errors/domain-error';
import { listSize, PageArgs } from '../../common/connection';
import { accessHistory, buildAccessReport, clientIdFrom, disclosureHistory } from './access-report.service';
import { AccessReport, AccessReportEntryConnection, DisclosureReportEntryConnection } from './access-report.types';

@Resolver(() => AccessReport)
export class AccessReportResolver {
  @Authorized(Rule.MEMBER)
  @Query(() => AccessReport, { description: 'Who accessed my record, what kind of data and when, and every disclosure with its consent. Members only.' })
  myAccessReport(
    @Ctx() ctx: AuthedContext,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Newest entries to include, 1–500.' }) first: number,
  ) {
    if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
    return buildAccessReport(ctx, ctx.viewer.clientId, listSize(first, 'first', 500));
  }

  @Authorized(Rule.ADMIN, Rule.SUPERVISOR)
  @Query(() => AccessReport, { description: 'The same report for a client, produced by staff. Its production is itself audited: an EXPORT about the client, and about each member it names as having acted on their records. Admins and supervisors.' })
  clientAccessReport(
    @Arg('clientId', () => ID, { description: 'The client.' }) clientId: string,
    @Ctx() ctx: AuthedContext,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Newest entries to include, 1–500.' }) first: number,
  ) {
    return buildAccessReport(ctx, clientIdFrom(clientId), listSize(first, 'first', 500));
  }

  // The report's own query decided who may see it (and audited producing it); these page through the rest of it.
  @FieldResolver(() => AccessReportEntryConnection, { description: 'Every access by others, newest first, a page at a time (`accesses` is the newest few).' })
  accessHistory(@Root() report: AccessReport, @Args() page: PageArgs, @Ctx() ctx: AuthedContext) {
    return accessHistory(ctx, report, page.first, page.after);
  }

  @FieldResolver(() => DisclosureReportEntryConnection, { description: 'Every release to a partner integration, newest first, a page at a time (`disclosures` is the newest few).' })
  disclosureHistory(@Root() report: AccessReport, @Args() page: PageArgs, @Ctx() ctx: AuthedContext) {
    return disclosureHistory(ctx, report, page.first, page.after);
  }
}

