import DataLoader from 'dataloader';
import { AuditAction } from '../../audit/audit-action';
import { badCursor, decodeCursor, Page, pageOf } from '../../common/connection';
import type { RequestContext } from '../../context';
import { groupLoaders } from '../groups/group.loaders';
import { memberSeesPeers } from '../groups/group.policy';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { Membership, MembershipEvent } from './membership.entity';
import { SqlParts } from '../../db/sql-parts';
import { MEMBERSHIP_COLUMNS, membershipFromRow, MembershipRow } from './membership.mapper';
import { membershipView, redactForPeer } from './membership.policy';
import { MembershipStatus } from './membership-status';

export interface MembersArgs {
  /** The membership id of the last row of the previous page. */
  first: number;
  after?: string | null;
  statuses?: MembershipStatus[] | null;
}

/** A full (not redacted) membership read as the audit trail records it: a read of the client's data. */
const auditRead = (ctx: RequestContext, m: Membership) =>
  ctx.audit.record({ action: AuditAction.READ, resourceType: 'Membership', resourceId: m.id, subjectClientId: m.clientId });

/**
 * Applies the membership view rule to rows of any groups at once: full rows are audited as
 * reads of the client's data (unless `audit` is false: a page audits only the rows it shows),
 * peer rows are redacted, hidden rows dropped.
 */
async function applyViews(ctx: RequestContext, rows: Membership[], audit = true): Promise<(Membership | null)[]> {
  const viewer = ctx.viewer;
  if (!viewer) return rows.map(() => null);
  const groupIds = [...new Set(rows.map((m) => m.groupId))];
  const [groups, facts] = await Promise.all([
    ctx.loaders.of(groupLoaders).visibleById.loadMany(groupIds),
    ctx.loaders.of(viewerFactsLoader).get(),
  ]);
  const byGroup = new Map(groupIds.map((id, i) => [id, groups[i]]));
  return rows.map((m) => {
    const visible = byGroup.get(m.groupId);
    if (!visible || visible instanceof Error) return null;
    const view = membershipView(viewer, m, visible.access, memberSeesPeers(viewer, visible.group, facts));
    if (view === 'HIDDEN') return null;
    if (view === 'PEER') return redactForPeer(m);
    if (audit) auditRead(ctx, m);
    return m;
  });
}

export const membershipLoaders = (ctx: RequestContext) => ({
  /** A membership as this viewer may see it; null = NOT_FOUND. */
  visibleById: new DataLoader<string, Membership | null>(async (ids) => {
    const rows = await ctx.db.query<MembershipRow>(
      `SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN clients c ON c.id = m.client_id WHERE m.id = ANY($1)`,
      [[...ids]],
    );
    const views = await applyViews(ctx, rows.map(membershipFromRow));
    const byId = new Map(views.filter((m): m is Membership => m !== null).map((m) => [m.id, m]));
    return ids.map((id) => byId.get(id) ?? null);
  }),

  /**
   * One page of a group's members for each requested group, in one statement per distinct page
   * shape. `scope` narrows in SQL: ALL (roster access), PEERS (the member and ACTIVE peers) or
   * SELF. Cursors carry only the membership id, so no peer's enrolment time leaks through them.
   */
  membersOfGroup: new DataLoader<{ groupId: string; args: MembersArgs; scope: 'ALL' | 'PEERS' | 'SELF' }, Page<Membership>, string>(
    async (keys) => {
      const shapes = new Map<string, (typeof keys)[number][]>();
      for (const k of keys) {
        const shape = JSON.stringify([k.args, k.scope]);
        shapes.set(shape, [...(shapes.get(shape) ?? []), k]);
      }
      const viewerClient = ctx.viewer?.kind === 'MEMBER' ? ctx.viewer.clientId : null;
      const pages = new Map<string, Page<Membership> | Error>();
      for (const group of shapes.values()) {
        const { args, scope } = group[0];
        const cursor = decodeCursor(args.after, ['uuid']);
        const statuses = scope === 'ALL' && args.statuses?.length ? args.statuses : null;
        const q = new SqlParts(group.map((k) => k.groupId), args.first + 1);
        // One SQL text per scope and filter shape, each a plain index walk of `first + 1` rows
        // per group: a roster of 500 must not be read whole.
        const statusParam = statuses ? q.param(statuses) : undefined;
        if (statusParam) q.and(`m.status = ANY(${statusParam})`);
        if (scope === 'PEERS') q.and(`(m.client_id = ${q.param(viewerClient)}::uuid OR m.status = 'ACTIVE')`);
        if (scope === 'SELF') q.and(`m.client_id = ${q.param(viewerClient)}::uuid`);
        // A cursor names a membership of this group (one the viewer may not see listed now still
        // places the page, as a peer's who went on hold since); any other answers BAD_USER_INPUT.
        const cursorParam = cursor ? q.param(cursor[0]) : undefined;
        if (cursorParam) q.and(`(m.created_at, m.id) > (SELECT created_at, id FROM memberships WHERE id = ${cursorParam}::uuid AND group_id = g.id)`);
        const cursorFound = cursorParam ? `EXISTS (SELECT 1 FROM memberships WHERE id = ${cursorParam}::uuid AND group_id = g.id)` : 'true';
        // Only roster viewers get totalCount: a member learns nothing from counts of rows they cannot see.
        const total = scope === 'ALL' ? `(SELECT count(*)::int FROM memberships t WHERE t.group_id = g.id ${statusParam ? `AND t.status = ANY(${statusParam})` : ''})` : 'NULL::int';
        const rows = await ctx.db.query<MembershipRow & { page_group_id: string; total: number | null; cursor_found: boolean }>(
          `SELECT g.id AS page_group_id, n.total, n.cursor_found, x.* FROM unnest($1::uuid[]) WITH ORDINALITY AS g(id, ord)
             CROSS JOIN LATERAL (SELECT ${total} AS total, ${cursorFound} AS cursor_found) n
             LEFT JOIN LATERAL (
               SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN clients c ON c.id = m.client_id
                WHERE m.group_id = g.id ${q.andAll}
                ORDER BY m.created_at, m.id LIMIT $2
             ) x ON true
            ORDER BY g.ord, x.created_at, x.id`,
          q.params,
        );
        // An empty page still has one row per group, carrying its total.
        const totals = new Map(rows.map((r) => [r.page_group_id, r.total ?? undefined]));
        const misplaced = new Set(rows.filter((r) => !r.cursor_found).map((r) => r.page_group_id));
        const members = rows.filter((r) => r.id !== null);
        const fetched = members.map(membershipFromRow);
        const views = await applyViews(ctx, fetched, false);
        // Full rows are the fetched objects themselves (peer views are redacted copies).
        const full = new Set(fetched);
        for (const k of group) {
          if (misplaced.has(k.groupId)) {
            pages.set(JSON.stringify([k.groupId, k.args, k.scope]), badCursor());
            continue;
          }
          const mine = views.filter((v, i) => v !== null && members[i].group_id === k.groupId) as Membership[];
          const page = pageOf(mine, args.first, (m) => [m.id], totals.get(k.groupId));
          // The look-ahead row only tells hasNextPage: it is not shown, so not audited.
          for (const { node } of page.edges) if (full.has(node)) auditRead(ctx, node);
          pages.set(JSON.stringify([k.groupId, k.args, k.scope]), page);
        }
      }
      return keys.map((k) => pages.get(JSON.stringify([k.groupId, k.args, k.scope]))!);
    },
    { cacheKeyFn: (k) => JSON.stringify([k.groupId, k.args, k.scope]) },
  ),

  /** A client's memberships in every group (then filtered by the group rules). */
  byClient: new DataLoader<string, Membership[]>(async (clientIds) => {
    const rows = await ctx.db.query<MembershipRow>(
      `SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN clients c ON c.id = m.client_id
        WHERE m.client_id = ANY($1) ORDER BY m.created_at, m.id`,
      [[...clientIds]],
    );
    const views = await applyViews(ctx, rows.map(membershipFromRow));
    return clientIds.map((id) => views.filter((m): m is Membership => m !== null && m.clientId === id));
  }),

  events: new DataLoader<string, MembershipEvent[]>(async (ids) => {
    const rows = await ctx.db.manager
      .createQueryBuilder(MembershipEvent, 'e')
      .where('e.membership_id = ANY(:ids)', { ids: [...ids] })
      .orderBy('e.id', 'ASC')
      .getMany();
    return ids.map((id) => rows.filter((e) => e.membershipId === id));
  }),

  /** 1-based place in the group's waitlist, for WAITLISTED memberships. */
  waitlistPosition: new DataLoader<string, number | null>(async (ids) => {
    const rows = await ctx.db.query<{ id: string; position: number }>(
      `SELECT id, position FROM (
         SELECT id, row_number() OVER (PARTITION BY group_id ORDER BY waitlisted_at, id)::int AS position
           FROM memberships
          WHERE status = 'WAITLISTED' AND group_id IN (SELECT group_id FROM memberships WHERE id = ANY($1))
       ) w WHERE id = ANY($1)`,
      [[...ids]],
    );
    const byId = new Map(rows.map((r) => [r.id, r.position]));
    return ids.map((id) => byId.get(id) ?? null);
  }),
});
