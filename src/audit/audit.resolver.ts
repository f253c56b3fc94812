import { IsOptional } from 'class-validator';
import { Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import { Rule } from '../auth/viewer';
import { ConnectionType, decodeCursor, PageArgs, pageOf } from '../common/connection';
import { fromGlobalId } from '../common/global-id';
import { SafeText } from '../common/safe-text';
import type { AuthedContext } from '../context';
import { AuditAction } from './audit-action';
import { AuditEvent } from './audit-event.entity';

const AuditEventConnection = ConnectionType(AuditEvent, 'AuditEvent', 'A page of audit events, newest first.');

@ArgsType()
class AuditEventsArgs extends PageArgs {
  @Field(() => AuditAction, { nullable: true, description: 'Only events of this action.' })
  @IsOptional()
  action?: AuditAction | null;

  @Field(() => String, { nullable: true, description: 'Only events about this resource type, e.g. Client.' })
  @IsOptional()
  @SafeText({ max: 100 })
  resourceType?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only events about this client\'s data (global id).' })
  @IsOptional()
  @SafeText({ max: 200 })
  subjectClientId?: string | null;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Authorized(Rule.ADMIN)
  @Query(() => AuditEventConnection, { description: 'The clinic\'s audit trail, newest first. Admins only.' })
  async auditEvents(@Args() args: AuditEventsArgs, @Ctx() ctx: AuthedContext) {
    const cursor = decodeCursor(args.after, 1);
    const qb = ctx.db.manager.createQueryBuilder(AuditEvent, 'a').orderBy('a.id', 'DESC').limit(args.first + 1);
    if (cursor) qb.andWhere('a.id < :id', { id: cursor[0] });
    if (args.action) qb.andWhere('a.action = :action', { action: args.action });
    if (args.resourceType) qb.andWhere('a.resource_type = :rt', { rt: args.resourceType });
    if (args.subjectClientId) {
      const parsed = fromGlobalId(args.subjectClientId);
      qb.andWhere('a.subject_client_id = :sid', { sid: parsed?.type === 'Client' ? parsed.id : '00000000-0000-0000-0000-000000000000' });
    }
    const rows = await qb.getMany();
    return pageOf(rows, args.first, (a) => [a.id]);
  }
}
