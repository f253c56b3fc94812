import { IsOptional } from 'class-validator';
import { Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import { Rule } from '../auth/viewer';
import { badCursor, ConnectionType, decodeCursor, PageArgs, pageOf } from '../common/connection';
import { badInput } from '../errors/domain-error';
import { databaseIdOf, fromGlobalId } from '../common/global-id';
import { SafeText } from '../common/safe-text';
import { SqlParts } from '../db/sql-parts';
import type { AuthedContext } from '../context';
import { AuditAction } from './audit-action';
import { AuditEvent } from './audit-event.types';
import { aboutClientSql } from './audit-log';

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

  @Field(() => ID, { nullable: true, description: 'Only events about this client\'s data: the client\'s global id, or the database id events show as `subjectClientId`. Anything else answers BAD_USER_INPUT.' })
  @IsOptional()
  @SafeText({ max: 200 })
  subjectClientId?: string | null;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Authorized(Rule.ADMIN)
  @Query(() => AuditEventConnection, { description: 'The clinic\'s audit trail, newest first. Admins only.' })
  async auditEvents(@Args() args: AuditEventsArgs, @Ctx() ctx: AuthedContext) {
    const q = new SqlParts(args.first + 1);
    // Cursors name (batch, position): event numbers of events recorded before batching do not encode them.
    const cursor = decodeCursor(args.after, ['integer', 'integer']);
    if (cursor) {
      const [batch, position] = cursor.map(String);
      if (!/^\d{1,15}$/.test(batch) || !/^\d{1,5}$/.test(position)) throw badCursor();
      const b = q.param(batch);
      q.and(`a.batch_id <= ${b}::bigint AND (a.batch_id < ${b}::bigint OR a.position < ${q.param(Number(position))}::int)`);
    }
    if (args.action) q.and(`a.action = ${q.param(args.action)}`);
    if (args.resourceType) q.and(`a.resource_type = ${q.param(args.resourceType)}`);
    if (args.subjectClientId) {
      // Events show database ids; a filter copied from one must find the same client, and a
      // malformed one must not read as a client with no events.
      const parsed = fromGlobalId(args.subjectClientId);
      const id = parsed ? (parsed.type === 'Client' ? parsed.id : undefined) : databaseIdOf(args.subjectClientId);
      if (!id) throw badInput('subjectClientId is neither a client\'s global id nor a database id', { argument: 'subjectClientId' });
      q.and(aboutClientSql(`${q.param(id)}::uuid`));
    }
    const rows = await ctx.db.query<AuditEvent & { batch: string; n: number }>(
      `SELECT a.id::text AS id, a.batch_id::text AS batch, a.position::int AS n, a.occurred_at AS "occurredAt", a.actor_type AS "actorType",
              a.actor_id AS "actorId", a.action, a.resource_type AS "resourceType", a.resource_id AS "resourceId",
              a.subject_client_id AS "subjectClientId", a.request_id AS "requestId", a.code
         FROM audit_events a ${q.where}
        ORDER BY a.batch_id DESC, a.position DESC LIMIT $1`,
      q.params,
    );
    return pageOf(rows, args.first, (a) => [a.batch, a.n]);
  }
}
