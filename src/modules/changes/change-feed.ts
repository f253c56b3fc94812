import { IsOptional, Max, Min } from 'class-validator';
import { Args, ArgsType, Authorized, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { Rule } from '../../auth/viewer';
import { toGlobalId } from '../../common/global-id';
import { SafeText } from '../../common/safe-text';
import type { AuthedContext } from '../../context';
import { badInput } from '../../errors/domain-error';

@ObjectType({ simpleResolvers: true, description: 'One change to a client, group, membership, session or attendance record (never note bodies or consent details).' })
export class ChangeLogEntry {
  @Field({ description: 'Opaque position in the feed; pass the last one as `after`.' })
  cursor: string;

  @Field({ description: 'Client, TherapyGroup, Membership, GroupSession or Attendance.' })
  entityType: string;

  @Field({ description: 'Global id of the record (fetch it with node(id:) or the type\'s query).' })
  entityId: string;

  @Field({ description: 'CREATE or UPDATE (records are never deleted).' })
  operation: string;

  @Field(() => [String], { description: 'Names of the columns that changed (all, for CREATE; `externalIds` when an external identifier was added to an existing record). Never their values.' })
  changedFields: string[];

  @Field({ description: 'When the change was made.' })
  occurredAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A page of the change feed.' })
export class ChangeFeedPage {
  @Field(() => [ChangeLogEntry], { description: 'Entries in feed order.' })
  entries: ChangeLogEntry[];

  @Field(() => String, { nullable: true, description: 'Cursor to continue from (the last entry\'s, or `after` when the page is empty).' })
  endCursor: string | null;

  @Field({ description: 'True when more committed entries are waiting now.' })
  hasMore: boolean;
}

@ArgsType()
class ChangesArgs {
  @Field(() => String, { nullable: true, description: 'Continue after this cursor; omit to start from the beginning.' })
  @IsOptional()
  @SafeText({ max: 100 })
  after?: string | null;

  @Field(() => Int, { defaultValue: 100, description: 'How many, 1–1000.' })
  @Min(1)
  @Max(1000)
  first: number = 100;
}

const ENTITY_TYPES: Record<string, string> = { Client: 'Client', TherapyGroup: 'TherapyGroup', Membership: 'Membership', GroupSession: 'GroupSession', Attendance: 'Attendance' };

function parseCursor(cursor: string | null | undefined): [string, string] {
  if (!cursor) return ['0', '0'];
  const m = /^(\d{1,19})\.(\d{1,19})$/.exec(cursor);
  const max = BigInt('9223372036854775807');
  if (!m || BigInt(m[1]) > max || BigInt(m[2]) > max) throw badInput('Invalid cursor: pass an endCursor returned by changes', { argument: 'after' });
  return [m[1], m[2]];
}

@Resolver(() => ChangeLogEntry)
export class ChangeFeedResolver {
  @Authorized(Rule.ADMIN, Rule.scope('changes:read'))
  @Query(() => ChangeFeedPage, {
    description:
      'The clinic\'s change feed in commit-safe order: entries appear only once every transaction that could precede them has finished, so a consumer polling with `after` never skips one and sees each exactly once. Admins and `changes:read` integrations.',
  })
  async changes(@Args() args: ChangesArgs, @Ctx() ctx: AuthedContext): Promise<ChangeFeedPage> {
    const [xid, id] = parseCursor(args.after);
    // ORDER BY names the table's columns: the bare names would sort by the text output columns,
    // where "10" comes before "9" and a page boundary could skip or repeat entries.
    const rows = await ctx.db.query<{ id: string; xid: string; entity_type: string; entity_id: string; operation: string; changed_fields: string[]; occurred_at: Date }>(
      `SELECT id::text, xid::text, entity_type, entity_id, operation, changed_fields, occurred_at
         FROM change_log
        WHERE (xid, id) > ($1::text::xid8, $2::bigint)
          AND xid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY change_log.xid, change_log.id LIMIT $3`,
      [xid, id, args.first + 1],
    );
    const page = rows.slice(0, args.first);
    const entries = page.map((r) => ({
      cursor: `${r.xid}.${r.id}`,
      entityType: r.entity_type,
      entityId: toGlobalId(ENTITY_TYPES[r.entity_type] ?? r.entity_type, r.entity_id),
      operation: r.operation,
      changedFields: r.changed_fields,
      occurredAt: r.occurred_at,
    }));
    return { entries, endCursor: entries.length ? entries[entries.length - 1].cursor : (args.after ?? null), hasMore: rows.length > args.first };
  }
}
