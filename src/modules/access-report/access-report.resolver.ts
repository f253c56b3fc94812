import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { forbidden } from '../../errors/domain-error';
import { buildAccessReport, clientIdFrom } from './access-report.service';
import { AccessReport } from './access-report.types';

@Resolver(() => AccessReport)
export class AccessReportResolver {
  @Authorized(Rule.MEMBER)
  @Query(() => AccessReport, { description: 'Who accessed my record, what kind of data and when, and every disclosure with its consent. Members only.' })
  myAccessReport(
    @Ctx() ctx: AuthedContext,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Newest entries to include, 1–500.' }) first: number,
  ) {
    if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
    return buildAccessReport(ctx, ctx.viewer.clientId, clamp(first));
  }

  @Authorized(Rule.ADMIN, Rule.SUPERVISOR)
  @Query(() => AccessReport, { description: 'The same report for a client, produced by staff (the production is itself audited). Admins and supervisors.' })
  clientAccessReport(
    @Arg('clientId', () => ID, { description: 'The client.' }) clientId: string,
    @Ctx() ctx: AuthedContext,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Newest entries to include, 1–500.' }) first: number,
  ) {
    return buildAccessReport(ctx, clientIdFrom(clientId), clamp(first));
  }
}

const clamp = (n: number) => Math.min(500, Math.max(1, n));
