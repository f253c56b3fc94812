import type { FieldNode } from 'graphql';
import { AuditAction } from '../../audit/audit-action';
import type { AuditEntry } from '../../audit/audit-log';
import { toGlobalId } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { isListSize } from '../../common/connection';
import { argumentOf, CompiledRead, decodeList, jsonRow, JsonRow, project, selects, statementPerShape, Who, whoOf } from '../../http/compiled-reads';
import { arrayLiteral } from '../../db/request-db';
import { epochMsSql } from '../../db/sql-parts';
import { displayNameOf, nameColumns } from '../clients/client.entity';
import { canReadClient } from '../clients/client.policy';
import { consentAnswerSql } from '../consent/consent-check';
import { GoalLifecycleStatus } from '../goals/goal.enums';
import { heldFromPartnerSql, hiddenProposalSql, PARTNERSHIP_SIDES, partnershipsOfClients } from '../goals/partnership-sql';
import { partnershipReads } from '../goals/partnership.service';
import { clinicClockLoader, mayShowMemberSql } from '../goals/goal.loaders';
import { GoalFacts, goalAudience, GoalRuleFacts, partnerGoalsMembership } from '../goals/goal.policy';
import { Measure, measureOf, Progress } from '../goals/goal-progress';
import { decodeStreakFacts, progressFromFacts, streakFactsSql } from '../goals/streak-summary';
import { groupAccess, memberSeesPeers } from '../groups/group.policy';
import { ownMembershipFacts, ViewerFacts } from '../groups/viewer-facts';
import { membershipView } from '../memberships/membership.policy';
import type { MembershipStatus } from '../memberships/membership-status';
import { canSeeSessions } from '../sessions/session.policy';

/** A client's names, keyed as `displayNameOf` reads them. */
interface Names {
  givenName: string;
  familyName: string;
  preferredName: string | null;
}

interface GoalJson extends Names {
  id: string; client_id: string; membership_id: string; group_id: string; title: string; visibility: GoalFacts['visibility'];
  lifecycle_status: GoalFacts['lifecycleStatus']; membership_status: string; measure_kind: Measure['kind']; measure_period: Measure['period'];
  target: number | null; share_consent: string | null; streaks: unknown;
}

interface HomeRow {
  client: Names | null;
  groups: { id: string; name: string; agreement_version: number; agreement_consent?: string | null; next?: { id: string; start_ms: number; topic: string | null } | null }[] | null;
  memberships: { id: string; group_id: string; client_id: string; status: MembershipStatus }[] | null;
  own_goals: GoalJson[] | null;
  partner_ids?: string[];
  partnerships: ({ id: string; status: string; proposer_membership_id: string; partner_membership_id: string; held: boolean } & Record<'p' | 'a', Names & { client_id: string }>)[] | null;
  partner_goals: GoalJson[] | null;
  goal_page: GoalJson[] | null;
}

/** A goal as the goal loaders read it (`SELECT_GOALS`), with its owner's sharing consent and, when asked, its check-in history. */
const goalRow = (streaks: boolean) =>
  jsonRow(
    [
      ['id', 'g.id'], ['client_id', 'g.client_id'], ['membership_id', 'g.membership_id'], ['group_id', 'g.group_id'], ['title', 'g.title'],
      ['visibility', 'g.visibility'], ['lifecycle_status', 'g.lifecycle_status'], ['membership_status', 'om.status'],
      ...nameColumns('c'),
      ['measure_kind', 'g.measure_kind'], ['measure_period', 'g.measure_period'], ['target', 'g.target'],
      ['share_consent', `CASE WHEN g.client_id <> $1 AND g.visibility = 'GROUP'
                        THEN ${consentAnswerSql('g.client_id', `'GOAL_SHARING'`, `'GROUP'`, 'g.group_id', 'NULL::text')} END`],
      ['streaks', streaks ? streakFactsSql('g') : 'NULL'],
    ],
  );

const CLIENT_ROW = jsonRow(nameColumns('c'));
const NEXT_ROW = jsonRow([['id', 's.id'], ['start_ms', epochMsSql('s.scheduled_start')], ['topic', 's.topic']]);
const MEMBERSHIP_ROW = jsonRow([['id', 'm.id'], ['group_id', 'm.group_id'], ['client_id', 'm.client_id'], ['status', 'm.status']]);
const PERSON = (m: string, c: string) => jsonRow([['client_id', `${m}.client_id`], ...nameColumns(c)]);
const PROPOSER_ROW = PERSON('pm', 'pc');
const PARTNER_ROW = PERSON('am', 'ac');
const PARTNERSHIP_ROW = jsonRow(
  [
    ['id', 'p.id'], ['status', 'p.status'], ['proposer_membership_id', 'p.proposer_membership_id'], ['partner_membership_id', 'p.partner_membership_id'],
    ['p', PROPOSER_ROW.sql], ['a', PARTNER_ROW.sql], ['held', heldFromPartnerSql],
  ],
  { p: PROPOSER_ROW.decode, a: PARTNER_ROW.decode },
);

const GOALS_FROM = `FROM goals g JOIN clients c ON c.id = g.client_id JOIN memberships om ON om.id = g.membership_id`;
/** The member's groups: every group they have a membership in, as authentication reads them. */
const OWN_GROUPS = `SELECT group_id FROM memberships WHERE client_id = $1`;

/** Which parts of the home screen an operation asks for: each combination is one SQL text (and one cached plan). */
interface HomeParts {
  memberships: boolean;
  nextSessions: boolean;
  ownGoals: boolean;
  ownStreaks: boolean;
  partnerships: boolean;
  partnerGoals: boolean;
  partnerStreaks: boolean;
  list: boolean;
  listStreaks: boolean;
  filtered: boolean;
}

/**
 * One statement for a member's home screen: their name; their groups (with the agreement
 * consent when others' goals are judged, and the next session when asked); their memberships
 * and own goals; their partnerships (found once, through their own memberships) and the
 * partners' goals; and one page of the goals list (candidates in their groups, as `listGoals`
 * chooses them) with each owner's GOAL_SHARING consent. Parts not asked are not in the text: an
 * unused branch still costs executor start-up on every call. $1 client, then the page size and
 * lifecycle statuses when listed (`first` rows: the compiled shape has no pageInfo, so the
 * resolvers' look-ahead row is not read). The member's groups are found here (`OWN_GROUPS`) so
 * that the token's claims suffice to plan it.
 */
function homeShape(p: HomeParts) {
  // The goal rule asks about peers (agreement consent, partners) for any goal not the viewer's
  // own; own goals are judged by the same rule on their rows, not assumed to be the viewer's.
  const judgesGoals = p.ownGoals || p.partnerGoals || p.list;
  const group = jsonRow(
    [
      ['id', 'g.id'], ['name', 'g.name'], ['agreement_version', 'g.agreement_version'],
      ['agreement_consent', judgesGoals ? consentAnswerSql('$1', `'GROUP_AGREEMENT'`, `'GROUP'`, 'g.id', 'NULL::text') : 'NULL'],
      ['next', p.nextSessions ? `(SELECT ${NEXT_ROW.sql} FROM group_sessions s WHERE s.group_id = g.id AND s.status <> 'CANCELLED' AND s.scheduled_end > now()
                ORDER BY s.scheduled_start, s.id LIMIT 1)` : 'NULL'],
    ],
    { next: NEXT_ROW.decode },
  );
  const [own, partner, page] = [goalRow(p.ownStreaks), goalRow(p.partnerStreaks), goalRow(p.listStreaks)];
  const sql = `WITH mine AS MATERIALIZED (${partnershipsOfClients('m.client_id = $1')})
  SELECT
  (SELECT ${CLIENT_ROW.sql} FROM clients c WHERE c.id = $1) AS client,
  (SELECT json_agg(${group.sql}) FROM therapy_groups g WHERE g.id IN (${OWN_GROUPS})) AS groups
  ${p.memberships ? `, (SELECT json_agg(${MEMBERSHIP_ROW.sql} ORDER BY m.created_at, m.id) FROM memberships m WHERE m.client_id = $1) AS memberships` : ''}
  ${p.ownGoals ? `, (SELECT json_agg(${own.sql} ORDER BY g.created_at, g.id) ${GOALS_FROM}
      WHERE g.membership_id IN (SELECT id FROM memberships WHERE client_id = $1)) AS own_goals` : ''}
  ${judgesGoals ? `, ARRAY(SELECT other FROM mine WHERE status = 'ACTIVE') AS partner_ids` : ''}
  ${p.partnerships ? `, (SELECT json_agg(${PARTNERSHIP_ROW.sql} ORDER BY p.created_at DESC, p.id)
      FROM ${PARTNERSHIP_SIDES} WHERE p.id IN (SELECT id FROM mine) AND NOT ${hiddenProposalSql('$1')}) AS partnerships` : ''}
  ${p.partnerGoals ? `, (SELECT json_agg(${partner.sql} ORDER BY g.created_at, g.id) ${GOALS_FROM}
      WHERE g.membership_id IN (SELECT other FROM mine WHERE status = 'ACTIVE')) AS partner_goals` : ''}
  ${p.list ? `, (SELECT json_agg(${page.sql} ORDER BY g.created_at, g.id) ${GOALS_FROM}
      WHERE g.id IN (SELECT g.id FROM goals g WHERE g.group_id IN (${OWN_GROUPS}) AND ${mayShowMemberSql('$1')}
                      ${p.filtered ? 'AND g.lifecycle_status = ANY($3)' : ''} ORDER BY g.created_at, g.id LIMIT $2)) AS goal_page` : ''}`;
  const list = <T>(row: JsonRow, value: unknown) => (value == null ? null : decodeList<T>(row)(value));
  const decode = (raw: Record<string, unknown>): HomeRow => ({
    client: raw.client === null ? null : CLIENT_ROW.decode(raw.client),
    groups: list(group, raw.groups),
    memberships: list(MEMBERSHIP_ROW, raw.memberships),
    own_goals: list(own, raw.own_goals),
    partner_ids: raw.partner_ids as string[] | undefined,
    partnerships: list(PARTNERSHIP_ROW, raw.partnerships),
    partner_goals: list(partner, raw.partner_goals),
    goal_page: list(page, raw.goal_page),
  });
  return { sql, decode };
}

const homeStatement = statementPerShape('home', homeShape, (p) => ['uuid', ...(p.list ? ['int'] : []), ...(p.filtered ? ['text[]'] : [])]);

const GOAL = { fields: { id: {}, title: {}, visibility: {}, lifecycleStatus: {}, ownerDisplayName: {}, currentStreak: {}, longestStreak: {}, lastCheckInAt: {} } };
const STREAK_FIELDS = new Set(['currentStreak', 'longestStreak', 'lastCheckInAt']);
const LIFECYCLE = new Set<string>(Object.values(GoalLifecycleStatus));

const asksStreaks = (goalFields: FieldNode[]) => goalFields.some((g) => (g.selectionSet?.selections ?? []).some((s) => s.kind === 'Field' && STREAK_FIELDS.has(s.name.value)));

/** `first` and `filter` of the goals list as `GoalsArgs` would validate them, or undefined where the resolvers must answer. */
function listArgs(field: FieldNode, variables: Record<string, unknown>): { first: number; statuses: string[] | null } | undefined {
  const first = argumentOf(field, 'first', variables, 20);
  if (!isListSize(first)) return undefined;
  const filter = argumentOf(field, 'filter', variables, null);
  if (filter === null) return { first, statuses: null };
  if (typeof filter !== 'object' || Object.keys(filter).some((k) => k !== 'lifecycleStatus')) return undefined;
  const statuses = (filter as { lifecycleStatus?: unknown }).lifecycleStatus ?? null;
  if (statuses === null) return { first, statuses: null };
  if (!Array.isArray(statuses) || !statuses.every((s) => typeof s === 'string' && LIFECYCLE.has(s))) return undefined;
  return { first, statuses: statuses.length ? statuses : null };
}

/** What the home statement reads for this operation and member, or undefined where the resolvers answer. */
function homePlan(who: Who, fields: readonly FieldNode[], variables: Record<string, unknown>) {
  if (who.kind !== 'MEMBER') return undefined;
  const root = (name: string) => fields.filter((f) => f.name.value === name);
  const [viewerFields, partnershipFields, listFields] = [root('viewer'), root('myPartnerships'), root('goals')];
  if (viewerFields.length > 1 || partnershipFields.length > 1 || listFields.length > 1) return undefined;
  const clientFields = selects(viewerFields[0], 'client');
  const membershipFields = clientFields.flatMap((c) => selects(c, 'memberships'));
  const ownGoalFields = membershipFields.flatMap((m) => selects(m, 'goals'));
  const pageFields = listFields.flatMap((l) => selects(l, 'edges')).flatMap((e) => selects(e, 'node'));
  const partnerGoalFields = partnershipFields.flatMap((p) => selects(p, 'partnerGoals'));
  // `viewer { kind }` alone reads nothing worth compiling.
  if (!clientFields.length && !partnershipFields.length && !listFields.length) return undefined;
  const list = listFields[0] ? listArgs(listFields[0], variables) : { first: 0, statuses: null };
  if (!list) return undefined;
  const parts: HomeParts = {
    memberships: membershipFields.length > 0,
    nextSessions: membershipFields.some((m) => selects(m, 'group').some((g) => selects(g, 'nextSession').length > 0)),
    ownGoals: ownGoalFields.length > 0,
    ownStreaks: asksStreaks(ownGoalFields),
    partnerships: partnershipFields.length > 0,
    partnerGoals: partnerGoalFields.length > 0,
    partnerStreaks: asksStreaks(partnerGoalFields),
    list: listFields.length > 0,
    listStreaks: asksStreaks(pageFields),
    filtered: list.statuses !== null,
  };
  const values = [who.clientId];
  if (parts.list) values.push(String(list.first));
  // Lifecycle names, checked against the enum by `listArgs`.
  if (parts.filtered) values.push(arrayLiteral(list.statuses!));
  const { statement, decode } = homeStatement(parts);
  const call = statement.execute(values);
  return { viewerFields, partnershipFields, listFields, clientFields, ownGoalFields, partnerGoalFields, call, decode };
}

/**
 * A member's home screen — `viewer { client { displayName memberships { status group { name
 * nextSession { scheduledStart topic } } goals { title currentStreak … } } } }`, `myPartnerships`
 * and `goals(first, filter: { lifecycleStatus })` — answered from one statement. The rows pass
 * through the same policy functions (group access, membership view, the goal rule with its
 * consent answers, client read) and are audited as the loaders audit them. Other viewers,
 * cursors and other arguments go to the resolvers.
 */
export const compiledMemberHome: CompiledRead = {
  shape: {
    viewer: {
      fields: {
        kind: {},
        client: {
          fields: {
            id: {},
            displayName: {},
            memberships: {
              fields: { id: {}, status: {}, group: { fields: { id: {}, name: {}, nextSession: { fields: { id: {}, scheduledStart: {}, topic: {} } } } }, goals: GOAL },
            },
          },
        },
      },
    },
    myPartnerships: { fields: { id: {}, status: {}, partnerDisplayName: {}, proposerDisplayName: {}, partnerGoals: GOAL } },
    goals: { args: ['first', 'filter'], fields: { edges: { fields: { node: GOAL } } } },
  },

  speculate(who, fields, variables) {
    return homePlan(who, fields, variables)?.call;
  },

  async run(ctx: AuthedContext, fields: readonly FieldNode[], variables: Record<string, unknown>) {
    const viewer = ctx.viewer;
    const plan = homePlan(whoOf(viewer), fields, variables);
    if (viewer.kind !== 'MEMBER' || !plan) return undefined;
    const { viewerFields, partnershipFields, listFields, clientFields, ownGoalFields, partnerGoalFields } = plan;
    // The group rules' facts as the viewer-facts loader gathers them; its agreement-consent
    // question is asked inside the statement instead of a round trip of its own.
    const ownMemberships = ownMembershipFacts(viewer);
    const [raw] = await ctx.db.execute<Record<string, unknown>>(plan.call);
    if (!raw) return undefined;
    const row = plan.decode(raw);
    const clock = await ctx.loaders.of(clinicClockLoader).get();

    // The facts the loaders gather: own memberships (authentication), agreement consents, groups, partners.
    const groups = new Map((row.groups ?? []).map((g) => [g.id, g]));
    const ruleViewer: ViewerFacts = {
      facilitatedGroupIds: new Set(),
      ownMemberships,
      agreementConsentGroupIds: new Set((row.groups ?? []).filter((g) => typeof g.agreement_consent === 'string').map((g) => g.id)),
    };
    const accessTo = (groupId: string) => (groups.has(groupId) ? groupAccess(viewer, groupId, ruleViewer) : 'NONE');
    const seesPeersIn = (groupId: string) => {
      const g = groups.get(groupId);
      return !!g && accessTo(groupId) !== 'NONE' && memberSeesPeers(viewer, { id: g.id, agreementVersion: g.agreement_version }, ruleViewer);
    };
    const partners = new Set(row.partner_ids ?? []);
    const audit: AuditEntry[] = [];
    const visibleGoals = (rows: GoalJson[]) =>
      rows.filter((g) => {
        const ruleFacts: GoalRuleFacts = { viewer: ruleViewer, partnerMembershipIds: partners, seesPeersIn, ownerSharesGoals: g.share_consent !== null, partnerDataConsentId: g.share_consent };
        const goalFacts: GoalFacts = {
          ownerMembershipStatus: g.membership_status, clientId: g.client_id, membershipId: g.membership_id, groupId: g.group_id,
          visibility: g.visibility, lifecycleStatus: g.lifecycle_status,
        };
        if (!goalAudience(viewer, goalFacts, ruleFacts)) return false;
        audit.push({ action: AuditAction.READ, resourceType: 'Goal', resourceId: g.id, subjectClientId: g.client_id });
        return true;
      });
    const goal = (sel: FieldNode, g: GoalJson) => {
      let progress: Progress | undefined;
      const streaks = () => {
        if (!progress) {
          progress = progressFromFacts(decodeStreakFacts(g.streaks), measureOf(g), clock.timeZone, clock.now);
        }
        return progress;
      };
      return project(sel.selectionSet!, 'Goal', (f) => {
        switch (f.name.value) {
          case 'id':
            return toGlobalId('Goal', g.id);
          case 'title':
            return g.title;
          case 'visibility':
            return g.visibility;
          case 'lifecycleStatus':
            return g.lifecycle_status;
          case 'ownerDisplayName':
            return displayNameOf(g);
          case 'currentStreak':
            return streaks().currentStreak;
          case 'longestStreak':
            return streaks().longestStreak;
          default:
            return streaks().lastCheckInAt?.toISOString() ?? null;
        }
      });
    };

    const values = new Map<FieldNode, unknown>();
    if (viewerFields[0]) {
      // The member's own client record is theirs to read; a missing row answers null, as the loader does.
      const client = row.client && canReadClient(viewer, viewer.clientId, new Set()) ? row.client : null;
      if (client && clientFields.length) audit.push({ action: AuditAction.READ, resourceType: 'Client', resourceId: viewer.clientId, subjectClientId: viewer.clientId });
      // Without the client record nothing below it resolves, so nothing below it is read or audited.
      const rows = client ? (row.memberships ?? []) : [];
      const memberships = rows.filter((m) => {
        const access = accessTo(m.group_id);
        if (access === 'NONE') return false;
        const view = membershipView(viewer, { clientId: m.client_id, status: m.status }, access, seesPeersIn(m.group_id));
        return view === 'FULL';
      });
      if (memberships.length !== rows.length) return undefined; // a peer's or hidden row: the resolvers' business
      audit.push(...memberships.map((m) => ({ action: AuditAction.READ, resourceType: 'Membership', resourceId: m.id, subjectClientId: m.client_id })));
      const ownGoals = client && ownGoalFields.length ? visibleGoals(row.own_goals ?? []) : [];
      const membership = (sel: FieldNode, m: (typeof memberships)[number]) =>
        project(sel.selectionSet!, 'Membership', (f) => {
          if (f.name.value === 'id') return toGlobalId('Membership', m.id);
          if (f.name.value === 'status') return m.status;
          if (f.name.value === 'goals') return ownGoals.filter((g) => g.membership_id === m.id).map((g) => goal(f, g));
          const g = groups.get(m.group_id)!;
          return project(f.selectionSet!, 'TherapyGroup', (gf) => {
            if (gf.name.value === 'id') return toGlobalId('TherapyGroup', g.id);
            if (gf.name.value === 'name') return g.name;
            const next = canSeeSessions(accessTo(g.id)) ? (g.next ?? null) : null;
            return next
              ? project(gf.selectionSet!, 'GroupSession', (sf) => {
                  if (sf.name.value === 'id') return toGlobalId('GroupSession', next.id);
                  if (sf.name.value === 'scheduledStart') return new Date(next.start_ms).toISOString();
                  return next.topic;
                })
              : null;
          });
        });
      values.set(
        viewerFields[0],
        project(viewerFields[0].selectionSet!, 'ViewerInfo', (f) => {
          if (f.name.value === 'kind') return 'MEMBER';
          if (!client) return null;
          return project(f.selectionSet!, 'Client', (cf) => {
            if (cf.name.value === 'id') return toGlobalId('Client', viewer.clientId);
            if (cf.name.value === 'displayName') return displayNameOf(client);
            return memberships.map((m) => membership(cf, m));
          });
        }),
      );
    }
    if (partnershipFields[0]) {
      const sel = partnershipFields[0];
      audit.push(...partnershipReads(viewer, (row.partnerships ?? []).map((p) => ({ id: p.id, proposerClientId: p.p.client_id, partnerClientId: p.a.client_id, heldFromPartner: p.held }))));
      const partnerGoals = partnerGoalFields.length ? visibleGoals(row.partner_goals ?? []) : [];
      values.set(
        sel,
        (row.partnerships ?? []).map((p) =>
          project(sel.selectionSet!, 'AccountabilityPartnership', (f) => {
            if (f.name.value === 'id') return toGlobalId('AccountabilityPartnership', p.id);
            if (f.name.value === 'status') return p.status;
            if (f.name.value === 'partnerGoals') {
              const other = partnerGoalsMembership(viewer, {
                status: p.status, proposerClientId: p.p.client_id, partnerClientId: p.a.client_id,
                proposerMembershipId: p.proposer_membership_id, partnerMembershipId: p.partner_membership_id,
              });
              return other ? partnerGoals.filter((g) => g.membership_id === other).map((g) => goal(f, g)) : [];
            }
            return displayNameOf(f.name.value === 'partnerDisplayName' ? p.a : p.p);
          }),
        ),
      );
    }
    if (listFields[0]) {
      // The page the resolvers would judge: their look-ahead row only feeds pageInfo, which is not compiled.
      const page = visibleGoals(row.goal_page ?? []);
      values.set(
        listFields[0],
        project(listFields[0].selectionSet!, 'GoalConnection', (f) =>
          page.map((g) => project(f.selectionSet!, 'GoalEdge', (ef) => goal(ef, g))),
        ),
      );
    }
    ctx.audit.recordMany(audit);
    return values;
  },
};
