import type { FieldNode } from 'graphql';
import { AuditAction } from '../../audit/audit-action';
import type { AuditEntry } from '../../audit/audit-log';
import { isListSize, pageOf, PageInfo } from '../../common/connection';
import { toGlobalId, uuidOf } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { argumentOf, CompiledRead, decodeList, jsonRow, project, selects, statementPerShape, Who, whoOf } from '../../http/compiled-reads';
import { epochMsSql } from '../../db/sql-parts';
import { displayNameOf, nameColumns } from '../clients/client.entity';
import { canReadClient } from '../clients/client.policy';
import { GoalFacts, goalAudience, GoalRuleFacts, staffGoalAudience } from '../goals/goal.policy';
import { membershipView } from '../memberships/membership.policy';
import type { MembershipStatus } from '../memberships/membership-status';
import { groupAccess } from './group.policy';
import { viewerFactsLoader } from './viewer-facts';

interface RosterRow {
  group: { id: string; name: string } | null;
  total: number | null;
  members: {
    id: string; client_id: string; status: MembershipStatus; givenName: string; familyName: string; preferredName: string | null;
    goals: {
      id: string; title: string; client_id: string; group_id: string; membership_id: string; visibility: GoalFacts['visibility'];
      lifecycle_status: GoalFacts['lifecycleStatus']; check_ins: { id: string; value: number; recorded_ms: number }[] | null;
    }[] | null;
  }[];
}

/** Which parts of the roster an operation asks for: each combination is one SQL text (and one cached plan). */
interface RosterParts {
  total: boolean;
  goals: boolean;
  checkIns: boolean;
}

const CHECK_IN_ROW = jsonRow([['id', 'ci.id'], ['value', 'ci.value'], ['recorded_ms', epochMsSql('ci.recorded_at')]]);
const GROUP_ROW = jsonRow([['id', 'g.id'], ['name', 'g.name']]);

/**
 * The roster statement's text and its rows' decoder, per shape: the group, one page of
 * memberships in enrolment order (`first + 1` rows, as the loader reads), their clients' names
 * and, for the `first` rows shown and only when the viewer's goal rule admits goals of this group,
 * their goals (oldest first) and each goal's latest check-ins. $1 group, $2 `first + 1`, $3
 * check-ins per goal when asked. It may run before the viewer is confirmed (the first round
 * trip); its rows are used only once access is decided, and then pass through the same policy
 * functions the loaders use.
 */
function rosterShape(p: RosterParts) {
  const checkIns = p.checkIns
    ? `(SELECT json_agg(${CHECK_IN_ROW.sql} ORDER BY ci.recorded_at DESC, ci.id DESC)
         FROM (SELECT id, value, recorded_at FROM goal_check_ins WHERE goal_id = gl.id ORDER BY recorded_at DESC, id DESC LIMIT $3) ci)`
    : 'NULL';
  const goal = jsonRow(
    [
      ['id', 'gl.id'], ['title', 'gl.title'], ['client_id', 'gl.client_id'], ['group_id', 'gl.group_id'], ['membership_id', 'gl.membership_id'],
      ['visibility', 'gl.visibility'], ['lifecycle_status', 'gl.lifecycle_status'], ['check_ins', checkIns],
    ],
    { check_ins: decodeList(CHECK_IN_ROW) },
  );
  const member = jsonRow(
    [
      ['id', 'm.id'], ['client_id', 'm.client_id'], ['status', 'm.status'], ...nameColumns('m'),
      ['goals', p.goals ? `CASE WHEN m.rn < $2 THEN (SELECT json_agg(${goal.sql} ORDER BY gl.created_at, gl.id) FROM goals gl WHERE gl.membership_id = m.id) END` : 'NULL'],
    ],
    { goals: decodeList(goal) },
  );
  const sql = `SELECT
  (SELECT ${GROUP_ROW.sql} FROM therapy_groups g WHERE g.id = $1) AS "group",
  ${p.total ? '(SELECT count(*)::int FROM memberships t WHERE t.group_id = $1)' : 'NULL::int'} AS total,
  COALESCE((SELECT json_agg(${member.sql} ORDER BY m.rn)
    FROM (SELECT m.id, m.client_id, m.status, c.given_name, c.family_name, c.preferred_name, row_number() OVER (ORDER BY m.created_at, m.id) AS rn
            FROM memberships m JOIN clients c ON c.id = m.client_id
           WHERE m.group_id = $1 ORDER BY m.created_at, m.id LIMIT $2) m), '[]') AS members`;
  const decode = (raw: { group: unknown; total: number | null; members: unknown }): RosterRow => ({
    group: raw.group === null ? null : GROUP_ROW.decode(raw.group),
    total: raw.total,
    members: decodeList<RosterRow['members'][number]>(member)(raw.members),
  });
  return { sql, decode };
}

const rosterStatement = statementPerShape('roster', rosterShape, (p) => (p.checkIns ? ['uuid', 'int', 'int'] : ['uuid', 'int']));

const CHECK_IN = { fields: { id: {}, value: {}, recordedAt: {} } };
const GOAL = { fields: { id: {}, title: {}, checkIns: { args: ['last'], ...CHECK_IN } } };
const CLIENT = { fields: { id: {}, displayName: {} } };
const MEMBERSHIP = { fields: { id: {}, status: {}, client: CLIENT, goals: GOAL } };
const PAGE_INFO = { fields: { hasNextPage: {}, hasPreviousPage: {}, startCursor: {}, endCursor: {} } };

// A size out of range is the resolvers' to refuse.
const clamp = (n: unknown): number | undefined => (isListSize(n) ? n : undefined);

/**
 * What the roster statement reads for this operation, decided from who asks (role only, so the
 * token's claims tell it as well as the confirmed viewer), or undefined where the resolvers answer.
 */
function rosterPlan(who: Who, fields: readonly FieldNode[], variables: Record<string, unknown>) {
  const [field, ...more] = fields;
  if (who.kind !== 'STAFF' || more.length) return undefined;
  const rawId = argumentOf(field, 'id', variables, undefined);
  const groupId = typeof rawId === 'string' ? uuidOf(rawId, 'TherapyGroup') : undefined;
  if (!groupId) return undefined;
  // Which parts the operation asks for, each with its own arguments (aliases may ask twice: decline).
  const members = selects(field, 'members');
  const nodes = members.flatMap((m) => selects(m, 'edges')).flatMap((e) => selects(e, 'node'));
  const goalFields = nodes.flatMap((n) => selects(n, 'goals'));
  const checkInFields = goalFields.flatMap((g) => selects(g, 'checkIns'));
  // A group's name alone is cheap through the resolvers; aliases asking twice with different arguments are too.
  if (members.length !== 1 || checkInFields.length > 1) return undefined;
  const first = clamp(argumentOf(members[0], 'first', variables, 20));
  const last = clamp(checkInFields[0] ? argumentOf(checkInFields[0], 'last', variables, 10) : 10);
  if (first === undefined || last === undefined) return undefined;
  // Roster access to a group means a clinician facilitates it (`run` checks both before using the rows).
  const readsGoals = goalFields.length > 0 && staffGoalAudience(who.role, true) !== null;
  const parts: RosterParts = { total: selects(members[0], 'totalCount').length > 0, goals: readsGoals, checkIns: readsGoals && checkInFields.length > 0 };
  const values = parts.checkIns ? [groupId, String(first + 1), String(last)] : [groupId, String(first + 1)];
  const { statement, decode } = rosterStatement(parts);
  return { field, groupId, first, nodes, goalFields, parts, call: statement.execute(values), decode };
}

/**
 * `group(id) { name members(first) { totalCount pageInfo edges { cursor node { status client {
 * displayName } goals { title checkIns(last) { value recordedAt } } } } } }` for staff with roster
 * access — the screen partner apps render on every page load. Everyone else, and every other
 * argument, is answered by the resolvers.
 */
export const compiledRoster: CompiledRead = {
  shape: {
    group: {
      args: ['id'],
      fields: {
        id: {},
        name: {},
        members: { args: ['first'], fields: { totalCount: {}, pageInfo: PAGE_INFO, edges: { fields: { cursor: {}, node: MEMBERSHIP } } } },
      },
    },
  },

  speculate(who, fields, variables) {
    return rosterPlan(who, fields, variables)?.call;
  },

  async run(ctx: AuthedContext, fields: readonly FieldNode[], variables: Record<string, unknown>) {
    const viewer = ctx.viewer;
    const plan = rosterPlan(whoOf(viewer), fields, variables);
    if (viewer.kind !== 'STAFF' || !plan) return undefined;
    const { field, groupId, first, nodes, goalFields } = plan;
    const facts = await ctx.loaders.of(viewerFactsLoader).get();
    if (groupAccess(viewer, groupId, facts) !== 'ROSTER') return undefined;

    // The plan read goals only if the goal rule admits them to this viewer in this group.
    if (plan.parts.goals !== (goalFields.length > 0 && staffGoalAudience(viewer.role, facts.facilitatedGroupIds.has(groupId)) !== null)) return undefined;
    const ruleFacts: GoalRuleFacts = { viewer: facts, partnerMembershipIds: new Set(), seesPeersIn: () => false, ownerSharesGoals: false, partnerDataConsentId: null };
    const [raw] = await ctx.db.execute<Parameters<typeof plan.decode>[0]>(plan.call);
    const row = raw && plan.decode(raw);
    if (!row?.group) return undefined;

    // The loaders' rules and audit, row for row: the memberships shown, then, when asked, their
    // clients and goals. Recorded only once the answer is built.
    const audit: AuditEntry[] = [];
    const fetched = row.members;
    for (const m of fetched) {
      if (membershipView(viewer, { clientId: m.client_id, status: m.status }, 'ROSTER', false) !== 'FULL') return undefined;
    }
    // Only the rows shown: the look-ahead row tells hasNextPage and is not audited, as in the loader.
    const page = pageOf(fetched, first, (m) => [m.id]);
    const shown = page.edges.map((e) => e.node);
    audit.push(...shown.map((m) => ({ action: AuditAction.READ, resourceType: 'Membership', resourceId: m.id, subjectClientId: m.client_id })));
    const clientsAsked = nodes.some((n) => selects(n, 'client').length > 0);
    const facilitated = new Set(facts.facilitatedGroupIds.has(groupId) ? shown.map((m) => m.client_id) : []);
    const readable = new Set(shown.filter((m) => canReadClient(viewer, m.client_id, facilitated)).map((m) => m.client_id));
    if (clientsAsked) {
      audit.push(...[...readable].map((id) => ({ action: AuditAction.READ, resourceType: 'Client', resourceId: id, subjectClientId: id })));
    }
    const goalsOf = new Map(
      shown.map((m) => [
        m.id,
        (m.goals ?? []).filter((g) => {
          const goalFacts: GoalFacts = {
            ownerMembershipStatus: m.status, clientId: g.client_id, membershipId: g.membership_id, groupId: g.group_id,
            visibility: g.visibility, lifecycleStatus: g.lifecycle_status,
          };
          return goalAudience(viewer, goalFacts, ruleFacts) !== null;
        }),
      ]),
    );
    if (goalFields.length) {
      audit.push(...[...goalsOf.values()].flat().map((g) => ({ action: AuditAction.READ, resourceType: 'Goal', resourceId: g.id, subjectClientId: g.client_id })));
    }

    const checkIn = (sel: FieldNode, c: { id: string; value: number; recorded_ms: number }) =>
      project(sel.selectionSet!, 'GoalCheckIn', (f) => {
        if (f.name.value === 'id') return toGlobalId('GoalCheckIn', c.id);
        if (f.name.value === 'value') return Number(c.value);
        return new Date(c.recorded_ms).toISOString();
      });
    const goal = (sel: FieldNode, g: NonNullable<RosterRow['members'][number]['goals']>[number]) =>
      project(sel.selectionSet!, 'Goal', (f) => {
        if (f.name.value === 'id') return toGlobalId('Goal', g.id);
        if (f.name.value === 'title') return g.title;
        return (g.check_ins ?? []).map((c) => checkIn(f, c));
      });
    const membership = (sel: FieldNode, m: RosterRow['members'][number]) =>
      project(sel.selectionSet!, 'Membership', (f) => {
        switch (f.name.value) {
          case 'id':
            return toGlobalId('Membership', m.id);
          case 'status':
            return m.status;
          case 'client':
            return readable.has(m.client_id)
              ? project(f.selectionSet!, 'Client', (cf) =>
                  cf.name.value === 'id' ? toGlobalId('Client', m.client_id) : displayNameOf(m),
                )
              : null;
          default:
            return goalsOf.get(m.id)!.map((g) => goal(f, g));
        }
      });
    const answer = project(field.selectionSet!, 'TherapyGroup', (f) => {
      if (f.name.value === 'id') return toGlobalId('TherapyGroup', row.group!.id);
      if (f.name.value === 'name') return row.group!.name;
      return project(f.selectionSet!, 'MembershipConnection', (cf) => {
        if (cf.name.value === 'totalCount') return row.total;
        if (cf.name.value === 'pageInfo') return project(cf.selectionSet!, 'PageInfo', (pf) => page.pageInfo[pf.name.value as keyof PageInfo]);
        return page.edges.map((e) =>
          project(cf.selectionSet!, 'MembershipEdge', (ef) => (ef.name.value === 'cursor' ? e.cursor : membership(ef, e.node))),
        );
      });
    });
    ctx.audit.recordMany(audit);
    return new Map([[field, answer]]);
  },
};
