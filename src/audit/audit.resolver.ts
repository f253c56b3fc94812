import { IsOptional } from 'class-validator';
import { Args, ArgsType, Authorized, Ctx, Field, ID, InputType, Query, Resolver } from 'type-graphql';
import { Rule } from '../auth/viewer';
import { badCursor, ConnectionType, decodeCursor, FilteredPageArgs, pageOf } from '../common/connection';
import { badInput } from '../errors/domain-error';
import { databaseIdOf, fromGlobalId } from '../common/global-id';
import { SafeText } from '../common/safe-text';
import { SqlParts } from '../db/sql-parts';
import type { AuthedContext } from '../context';
import { AuditAction } from './audit-action';
import { AuditEvent } from './audit-event.types';
import { aboutClientSql, APART_BATCH_IDS_FROM } from './audit-log';

const AuditEventConnection = ConnectionType(AuditEvent, 'AuditEvent', 'A page of audit events, newest first.');

const ACTOR_TYPES = ['StaffMember', 'ApiKey', 'Client'];

@InputType({ description: 'Which audit events to list; all conditions must hold.' })
class AuditEventFilter {
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

  @Field(() => ID, {
    nullable: true,
    description: 'Only events by this actor (what a staff member, an integration or a member did): a staff member\'s, API key\'s or client\'s global id, or the database id events show as `actorId`. Anything else answers BAD_USER_INPUT.',
  })
  @IsOptional()
  @SafeText({ max: 200 })
  actorId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only events at or after this time.' })
  @IsOptional()
  occurredFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only events before this time.' })
  @IsOptional()
  occurredBefore?: Date | null;
}

@ArgsType()
class AuditEventsArgs extends FilteredPageArgs(AuditEventFilter, 'Conditions on the events returned.') {
  @Field(() => AuditAction, { nullable: true, description: 'Only events of this action.', deprecationReason: 'Use filter.action.' })
  @IsOptional()
  action?: AuditAction | null;

  @Field(() => String, { nullable: true, description: 'Only events about this resource type, e.g. Client.', deprecationReason: 'Use filter.resourceType.' })
  @IsOptional()
  @SafeText({ max: 100 })
  resourceType?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only events about this client\'s data, as `filter.subjectClientId`.', deprecationReason: 'Use filter.subjectClientId.' })
  @IsOptional()
  @SafeText({ max: 200 })
  subjectClientId?: string | null;
}

/**
 * A global id of one of `types`, or the database id events show: a filter copied from an event
 * must find the same row, and a malformed one must not read as a client (or actor) with no
 * events. Anything else is BAD_USER_INPUT naming where it was given.
 */
function idFilter(value: string, types: readonly string[], name: string, inFilter: boolean): string {
  const parsed = fromGlobalId(value);
  const id = parsed ? (types.includes(parsed.type) ? parsed.id : undefined) : databaseIdOf(value);
  if (!id) throw badInput(`${name} is neither a global id of ${types.join(' or ')} nor a database id`, inFilter ? { argument: 'filter', field: name } : { argument: name });
  return id;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Authorized(Rule.ADMIN)
  @Query(() => AuditEventConnection, {
    description: 'The clinic\'s audit trail, newest first. Admins only. Reading it is audited too: an EXPORT of `AuditEvents` about each member a page names (as subject, as actor, or as the member a staff-made access report was about), which that member\'s access report shows. A psychotherapy note\'s events are not listed (they are kept apart, with no request id, for review in the database), nor any event about a note the admin may not see (an id that names no note, records from before they were kept apart).',
  })
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
    // The deprecated top-level arguments still apply, as further conditions.
    const filter = args.filter ?? {};
    for (const action of [filter.action, args.action]) if (action) q.and(`a.action = ${q.param(action)}`);
    for (const type of [filter.resourceType, args.resourceType]) if (type) q.and(`a.resource_type = ${q.param(type)}`);
    for (const [subject, inFilter] of [[filter.subjectClientId, true], [args.subjectClientId, false]] as const) {
      if (subject) q.and(aboutClientSql(`${q.param(idFilter(subject, ['Client'], 'subjectClientId', inFilter))}::uuid`));
    }
    if (filter.actorId) q.and(`a.actor_id = ${q.param(idFilter(filter.actorId, ACTOR_TYPES, 'actorId', true))}::uuid`);
    if (filter.occurredFrom) q.and(`a.occurred_at >= ${q.param(filter.occurredFrom)}`);
    if (filter.occurredBefore) q.and(`a.occurred_at < ${q.param(filter.occurredBefore)}`);
    // Apart batches (psychotherapy notes' records) are never listed: kept for a review in the
    // database, they would otherwise sort above every other event, their ids being the higher range.
    q.and(`a.batch_id < ${APART_BATCH_IDS_FROM}`);
    // An event about a note shows only to who may see the note: RLS hides another author's
    // psychotherapy notes (and their addenda), and an event naming one would tell that it exists
    // (records written before they were kept apart).
    q.and(`(a.resource_type NOT IN ('SessionNote', 'NoteAddendum') OR a.resource_id IS NULL
            OR EXISTS (SELECT 1 FROM session_notes n WHERE n.id = a.resource_id) OR EXISTS (SELECT 1 FROM note_addenda d WHERE d.id = a.resource_id))`);
    const rows = await ctx.db.query<AuditEvent & { batch: string; n: number }>(
      `SELECT a.id::text AS id, a.batch_id::text AS batch, a.position::int AS n, a.occurred_at AS "occurredAt", a.actor_type AS "actorType",
              a.actor_id AS "actorId", a.action, a.resource_type AS "resourceType", a.resource_id AS "resourceId",
              a.subject_client_id AS "subjectClientId", a.request_id AS "requestId", a.code
         FROM audit_events a ${q.where}
        ORDER BY a.batch_id DESC, a.position DESC LIMIT $1`,
      q.params,
    );
    const page = pageOf(rows, args.first, (a) => [a.batch, a.n]);
    // Who read whose record is itself about those members, as their access report is: each member
    // a page names, as subject or as actor, is recorded once, and the admin's look shows in that
    // member's own report.
    // (A staff-made access report's EXPORT names two: the member it was about, as its resource, and
    // the member it named, as its subject.)
    const subjects = new Set(
      page.edges
        .flatMap((e) => [e.node.subjectClientId, e.node.actorType === 'CLIENT' ? e.node.actorId : null, e.node.resourceType === 'AccessReport' ? e.node.resourceId : null])
        .filter((id): id is string => !!id),
    );
    ctx.audit.recordMany([...subjects].map((id) => ({ action: AuditAction.EXPORT, resourceType: 'AuditEvents', resourceId: id, subjectClientId: id })));
    return page;
  }
}
