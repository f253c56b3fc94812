import DataLoader from 'dataloader';
import { AuditAction } from '../../audit/audit-action';
import { decodeCursor, keysetPage, Page, pageOf } from '../../common/connection';
import { uuidOf } from '../../common/global-id';
import { SqlParts } from '../../db/sql-parts';
import type { AuthedContext, RequestContext } from '../../context';
import { badInput, conflict, DomainError, forbidden, notFound } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-codes';
import { isUniqueViolation } from '../../db/pg-errors';
import { displayNameOf } from '../clients/client.entity';
import { consentCheckLoader } from '../consent/consent-check';
import { ConsentType } from '../consent/consent.enums';
import { groupLoaders } from '../groups/group.loaders';
import { PeerContactPolicy } from '../groups/group.enums';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { ENDED, isEnded, MembershipStatus } from '../memberships/membership-status';
import { membershipEndedHooks } from '../memberships/membership.service';
import { peerContactPolicyChangedHooks } from '../groups/group.service';
import { endPartnershipsOnBlock } from '../goals/partnership.service';
import { contactAllowed, MAX_PENDING_REQUESTS, revealsContact, statusShown } from './after-group.policy';
import { Connection, ConnectionDirection, ConnectionStatus, ContactCard, ContactPreferences } from './after-group.types';
import { blockStandsSql } from './block-sql';

const CONNECTION = 'Connection';

type ConnectionRow = {
  id: string; group_id: string; requester_client_id: string; recipient_client_id: string; status: string; blocked_shown_as: string | null;
  held_from_recipient: boolean; message: string | null; created_at: Date; responded_at: Date | null; given_name: string; family_name: string; preferred_name: string | null;
};

function asSeenBy(viewerClientId: string, r: ConnectionRow): Connection {
  const sent = r.requester_client_id === viewerClientId;
  return Object.assign(new Connection(), {
    id: r.id,
    groupId: r.group_id,
    requesterClientId: r.requester_client_id,
    recipientClientId: r.recipient_client_id,
    otherClientId: sent ? r.recipient_client_id : r.requester_client_id,
    rawStatus: r.status,
    heldFromRecipient: r.held_from_recipient,
    status: statusShown(r.status, r.blocked_shown_as) as ConnectionStatus,
    direction: sent ? ConnectionDirection.SENT : ConnectionDirection.RECEIVED,
    otherDisplayName: displayNameOf({ givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name }),
    message: r.message,
    createdAt: r.created_at,
    respondedAt: r.responded_at,
  });
}

/**
 * A member's connections (both directions), each seen from their side. Members only see their own,
 * and not every request sent to them: one held from them (`held_from_recipient`: from a member
 * they blocked, for good; or one the group's policy did not allow on their side yet, until it
 * does) is not theirs to see in any status, while its sender sees it pending.
 */
export const connectionLoaders = (ctx: RequestContext) => {
  const me = ctx.viewer?.kind === 'MEMBER' ? ctx.viewer.clientId : null;
  // created_key: the creation time as the list's cursors hold it (microseconds, as stored).
  const columns = `x.*, x.created_at::text AS created_key, c.given_name, c.family_name, c.preferred_name`;
  const from = `FROM connections x
      JOIN clients c ON c.id = CASE WHEN x.requester_client_id = $1 THEN x.recipient_client_id ELSE x.requester_client_id END`;
  const mineOnly = `(x.requester_client_id = $1 OR (x.recipient_client_id = $1 AND NOT x.held_from_recipient))`;
  /**
   * A decline (or a block that shows as one) leaves the decliner's list after 30 days; a block
   * not while it stands, so the blocker can find it to lift it. Read past that (in the list while
   * the block stands, by `node(id:)` or an unblock at any time), it is recorded about the viewer
   * alone: a READ about the member declined or blocked, on days a decline would no longer be read,
   * would tell them in their access report that they were blocked (and, when the reads stop, or an
   * unblock reads it, that the block was lifted).
   */
  const pastDeclineWindow = `(coalesce(x.blocked_shown_as, x.status) = 'DECLINED' AND x.recipient_client_id = $1 AND x.closed_at < now() - interval '30 days')`;
  /** `kept_by_block`: a row past the decline window (`pastDeclineWindow`), read about the viewer alone. */
  const shown = (viewer: string, rows: (ConnectionRow & { kept_by_block?: boolean })[]): Connection[] => {
    const seen = rows.map((r) => asSeenBy(viewer, r));
    ctx.audit.recordMany(seen.map((c, i) => (rows[i].kept_by_block ? { ...connectionRead(c), subjectClientId: viewer } : connectionRead(c))));
    return seen;
  };
  return {
    visibleById: new DataLoader<string, Connection | null>(async (ids) => {
      if (!me) return ids.map(() => null);
      const rows = await ctx.db.query<ConnectionRow & { kept_by_block: boolean }>(
        `SELECT ${columns}, ${pastDeclineWindow} AS kept_by_block ${from} WHERE x.id = ANY($2) AND ${mineOnly}`,
        [me, [...ids]],
      );
      const byId = new Map(shown(me, rows).map((c) => [c.id, c]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    /**
     * One page of the member's list, newest first (then id), chosen in SQL among what they may
     * see, with the status filter on the status they are shown: a block is found as the decline
     * or withdrawal it looks like, never as a block.
     */
    page: async (first: number, after: string | null | undefined, filter: ConnectionFilter): Promise<Page<Connection>> => {
      const cursor = decodeCursor(after, ['timestamp', 'uuid']);
      if (!me) return pageOf([], first, () => []);
      const q = new SqlParts(me);
      // Past the decline window only while the viewer's block stands (`pastDeclineWindow`).
      q.and(`NOT (${pastDeclineWindow} AND NOT ${blockStandsSql('$1', 'x.requester_client_id')})`);
      if (filter.status?.length) q.and(`${STATUS_SHOWN_SQL} = ANY(${q.param(filter.status)}::text[])`);
      if (filter.direction) q.and(filter.direction === ConnectionDirection.SENT ? 'x.requester_client_id = $1' : 'x.recipient_client_id = $1');
      q.afterNewestFirst('x.created_at', 'x.id', cursor);
      const rows = await ctx.db.query<ConnectionRow & { created_key: string; kept_by_block: boolean }>(
        `SELECT ${columns}, ${pastDeclineWindow} AS kept_by_block ${from} WHERE ${mineOnly} ${q.andAll}
         ORDER BY x.created_at DESC, x.id LIMIT ${q.param(first + 1)}`,
        q.params,
      );
      return keysetPage(rows, first, shown(me, rows.slice(0, first)), (r) => [r.created_key, r.id]);
    },
  };
};

/** The status a connection shows both members (`statusShown`), in SQL. */
const STATUS_SHOWN_SQL = `CASE WHEN x.status = 'BLOCKED' THEN coalesce(x.blocked_shown_as, 'DECLINED') ELSE x.status END`;

export interface ConnectionFilter {
  status?: ConnectionStatus[] | null;
  direction?: ConnectionDirection | null;
}

/**
 * A change to a connection concerns both members: recorded about each, except a recipient it is
 * held from (their access report must not tell them it exists).
 */
function connectionUpdated(ctx: AuthedContext, c: Connection) {
  const me = ctx.viewer.kind === 'MEMBER' ? ctx.viewer.clientId : null;
  for (const clientId of c.heldFromRecipient ? [me] : [me, c.otherClientId]) {
    ctx.audit.record({ action: AuditAction.UPDATE, resourceType: CONNECTION, resourceId: c.id, subjectClientId: clientId });
  }
}

/**
 * A connection shown names the other member and carries their message: a READ of it about them.
 * Its sender reading a request held from its recipient reads only their own request.
 */
const connectionRead = (c: Connection) => ({
  action: AuditAction.READ,
  resourceType: CONNECTION,
  resourceId: c.id,
  subjectClientId: c.heldFromRecipient ? c.requesterClientId : c.otherClientId,
});

/**
 * The peer behind a membership id, if the viewing member shares (or shared) that group with
 * them: any membership of the viewer in the same group. Anyone else looks like no one.
 */
async function sharedGroupPeer(ctx: AuthedContext, peerMembershipGlobalId: string) {
  const id = uuidOf(peerMembershipGlobalId, 'Membership');
  if (!id || ctx.viewer.kind !== 'MEMBER') return null;
  const [row] = await ctx.db.query<{ group_id: string; client_id: string; status: string }>(
    `SELECT p.group_id, p.client_id, p.status FROM memberships p
      WHERE p.id = $1 AND EXISTS (SELECT 1 FROM memberships v WHERE v.group_id = p.group_id AND v.client_id = $2)`,
    [id, ctx.viewer.clientId],
  );
  return row ? { membershipId: id, clientId: row.client_id, groupId: row.group_id, status: row.status } : null;
}

export async function requestConnection(ctx: AuthedContext, peerMembershipId: string, message: string | null | undefined): Promise<Connection> {
  const viewer = ctx.viewer;
  if (viewer.kind !== 'MEMBER') throw forbidden('Connections are between members');
  const peer = await sharedGroupPeer(ctx, peerMembershipId);
  // Never in a shared group, blocked, or not visible: all look like a member that does not exist.
  if (!peer) throw notFound('Member');
  if (peer.clientId === viewer.clientId) throw badInput('You cannot connect with yourself', { field: 'peerMembershipId' });
  // The group row (shared) and the pair, before anything is read: a membership ending, a policy
  // change (both under the group's row lock, with their release of held requests) or a block of
  // this pair cannot come between what this request reads and what it stores.
  await ctx.db.query(`SELECT 1 FROM therapy_groups WHERE id = $1 FOR SHARE`, [peer.groupId]);
  await lockPair(ctx, viewer.clientId, peer.clientId);
  ctx.loaders.of(groupLoaders).rowById.clear(peer.groupId);
  // Someone the viewer blocked is no one to them. A request from someone the peer blocked is taken
  // like any other and held from the peer for good: answering it differently would tell its
  // sender they were blocked.
  const [blocks] = await ctx.db.query<{ mine: boolean; theirs: boolean }>(
    `SELECT ${blockStandsSql('$1::uuid', '$2::uuid')} AS mine, ${blockStandsSql('$2::uuid', '$1::uuid')} AS theirs`,
    [viewer.clientId, peer.clientId],
  );
  if (blocks?.mine) throw notFound('Member');
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  const own = facts.ownMemberships.get(peer.groupId);
  const group = (await ctx.loaders.of(groupLoaders).rowById.load(peer.groupId))!;
  // Only the asker's own side decides the answer: whether the peer's membership has ended is not
  // theirs to learn. A request the policy does not allow on the peer's side yet is held from the
  // peer until it does (`releaseHeldRequests`).
  refuseUnlessAllowed(contactAllowed(group.peerContactPolicy as PeerContactPolicy, !!own && isEnded(own.status), true));
  const [policyForBoth] = await contactPolicyNow(ctx, [{ groupId: peer.groupId, requesterClientId: viewer.clientId, recipientClientId: peer.clientId }]);
  const held = !!blocks?.theirs || policyForBoth !== 'ALLOWED';
  // Serialise a member's requests so two parallel ones cannot both pass the pending limit.
  await ctx.db.query(`SELECT pg_advisory_xact_lock(hashtext('connection-request:' || $1))`, [viewer.clientId]);
  const [{ pending }] = await ctx.db.query<{ pending: number }>(
    `SELECT count(*)::int AS pending FROM connections WHERE requester_client_id = $1 AND status = 'REQUESTED'`,
    [viewer.clientId],
  );
  if (pending >= MAX_PENDING_REQUESTS) {
    throw new DomainError(ErrorCode.RATE_LIMITED, `At most ${MAX_PENDING_REQUESTS} pending requests at once`, { limit: MAX_PENDING_REQUESTS });
  }
  // A request to the viewer from the peer, made while the viewer blocked them, is declined now (as
  // they would have declined it): left pending beside this one, it would tell its sender that it
  // never reached the viewer. It stays held from the viewer; recorded about its sender alone.
  const declined = await ctx.db.query<{ id: string }>(
    `UPDATE connections SET status = 'DECLINED', responded_at = now(), closed_at = now()
      WHERE requester_client_id = $1 AND recipient_client_id = $2 AND status = 'REQUESTED' AND held_by_block RETURNING id`,
    [peer.clientId, viewer.clientId],
  );
  for (const d of declined) ctx.audit.record({ action: AuditAction.UPDATE, resourceType: CONNECTION, resourceId: d.id, subjectClientId: peer.clientId });
  // An open connection both of them see (a held one is not the recipient's to know of) stands in
  // the way; so does the asker's own held request to the same member.
  const [open] = await ctx.db.query(
    `SELECT 1 FROM connections WHERE status IN ('REQUESTED', 'ACCEPTED')
        AND ((NOT held_from_recipient AND LEAST(requester_client_id, recipient_client_id) = LEAST($1::uuid, $2::uuid)
              AND GREATEST(requester_client_id, recipient_client_id) = GREATEST($1::uuid, $2::uuid))
             OR (held_from_recipient AND requester_client_id = $1 AND recipient_client_id = $2))`,
    [viewer.clientId, peer.clientId],
  );
  if (open) throw conflict('A request between you two is already pending or accepted', { reason: 'CONNECTION_EXISTS' });
  try {
    const [row] = await ctx.db.query<{ id: string }>(
      `INSERT INTO connections (clinic_id, group_id, requester_client_id, recipient_client_id, status, message, held_from_recipient, held_by_block)
       VALUES ($1, $2, $3, $4, 'REQUESTED', $5, $6, $7) RETURNING id`,
      [ctx.db.clinicId, peer.groupId, viewer.clientId, peer.clientId, message ?? null, held, !!blocks?.theirs],
    );
    ctx.audit.record({ action: AuditAction.CREATE, resourceType: CONNECTION, resourceId: row.id, subjectClientId: viewer.clientId });
    return (await ctx.loaders.of(connectionLoaders).visibleById.load(row.id))!;
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('A request between you two is already pending or accepted', { reason: 'CONNECTION_EXISTS' });
    throw error;
  }
}

async function mine(ctx: AuthedContext, globalId: string): Promise<Connection> {
  const id = uuidOf(globalId, CONNECTION);
  const c = id ? await ctx.loaders.of(connectionLoaders).visibleById.load(id) : null;
  if (!id || !c) throw notFound(CONNECTION);
  return c;
}

async function transition(ctx: AuthedContext, c: Connection, to: string, from: string[]) {
  const updated = await ctx.db.query<{ held_from_recipient: boolean }>(
    `UPDATE connections SET status = $2, responded_at = CASE WHEN status = 'REQUESTED' AND $2 IN ('ACCEPTED', 'DECLINED') THEN now() ELSE responded_at END,
            closed_at = CASE WHEN $2 IN ('DECLINED', 'WITHDRAWN', 'BLOCKED') THEN now() ELSE closed_at END
      WHERE id = $1 AND status = ANY($3) RETURNING held_from_recipient`,
    [c.id, to, from],
  );
  if (!updated.length) throw conflict(`This connection is ${c.status}`, { status: c.status });
  // Audited as the row stands now: a release may have shown it to its recipient since it was read.
  connectionUpdated(ctx, { ...c, heldFromRecipient: updated[0].held_from_recipient });
  const loader = ctx.loaders.of(connectionLoaders).visibleById;
  loader.clear(c.id);
  return (await loader.load(c.id))!;
}

export async function respondToConnection(ctx: AuthedContext, globalId: string, accept: boolean) {
  const c = await mine(ctx, globalId);
  if (c.direction !== ConnectionDirection.RECEIVED) throw forbidden('Only the member asked can answer');
  // Accepting is an exchange of contact details too: the group's policy now, not when asked,
  // decides, on the accepting member's own side only, as for asking: a refusal for the requester's
  // membership would tell whether they are still in the group. Their side is asked where the
  // details would show (`revealsContact`): an acceptance shows no card until the policy allows it.
  if (accept) {
    const own = (await ctx.loaders.of(viewerFactsLoader).get()).ownMemberships.get(c.groupId);
    const group = await ctx.loaders.of(groupLoaders).rowById.load(c.groupId);
    refuseUnlessAllowed(group ? contactAllowed(group.peerContactPolicy as PeerContactPolicy, true, !!own && isEnded(own.status)) : 'NEVER');
  }
  return transition(ctx, c, accept ? 'ACCEPTED' : 'DECLINED', ['REQUESTED']);
}

function refuseUnlessAllowed(allowed: ReturnType<typeof contactAllowed>) {
  if (allowed === 'NEVER') throw forbidden('This group\'s peer-contact policy does not allow exchanging contact details');
  if (allowed === 'NOT_YET') throw conflict('This group allows contact exchange only after both memberships have ended', { reason: 'AFTER_COMPLETION' });
}

/**
 * What each connection's group allows today (`contactAllowed`): its current peer-contact policy
 * and both members' memberships there (the open one, else the latest). Two statements for any
 * number of connections.
 */
type ConnectionPair = Pick<Connection, 'groupId' | 'requesterClientId' | 'recipientClientId'>;

async function contactPolicyNow(ctx: RequestContext, connections: readonly ConnectionPair[]): Promise<ReturnType<typeof contactAllowed>[]> {
  if (!connections.length) return [];
  const pairs = connections.flatMap((c) => [c.requesterClientId, c.recipientClientId].map((clientId) => ({ groupId: c.groupId, clientId })));
  const [groups, rows] = await Promise.all([
    ctx.loaders.of(groupLoaders).rowById.loadMany([...new Set(connections.map((c) => c.groupId))]),
    ctx.db.query<{ group_id: string; client_id: string; status: MembershipStatus }>(
      `SELECT DISTINCT ON (m.group_id, m.client_id) m.group_id, m.client_id, m.status
         FROM memberships m JOIN unnest($1::uuid[], $2::uuid[]) AS k(group_id, client_id) ON m.group_id = k.group_id AND m.client_id = k.client_id
        ORDER BY m.group_id, m.client_id, (m.status = ANY($3::text[])), m.created_at DESC`,
      [pairs.map((p) => p.groupId), pairs.map((p) => p.clientId), ENDED],
    ),
  ]);
  const policyOf = new Map<string, PeerContactPolicy>();
  for (const g of groups) if (g && !(g instanceof Error)) policyOf.set(g.id, g.peerContactPolicy as PeerContactPolicy);
  const statusOf = new Map(rows.map((r) => [`${r.group_id}:${r.client_id}`, r.status]));
  const ended = (groupId: string, clientId: string) => {
    const status = statusOf.get(`${groupId}:${clientId}`);
    return status !== undefined && isEnded(status);
  };
  return connections.map((c) => {
    const policy = policyOf.get(c.groupId);
    // A group this viewer cannot load allows nothing.
    if (policy === undefined) return 'NEVER';
    return contactAllowed(policy, ended(c.groupId, c.requesterClientId), ended(c.groupId, c.recipientClientId));
  });
}

export async function withdrawConnection(ctx: AuthedContext, globalId: string) {
  const c = await mine(ctx, globalId);
  return transition(ctx, c, 'WITHDRAWN', ['REQUESTED', 'ACCEPTED']);
}

/** One request, block or release at a time per pair of members (in either order). */
const lockPair = (ctx: RequestContext, a: string, b: string) =>
  ctx.db.query(`SELECT pg_advisory_xact_lock(hashtext('connection-pair:' || LEAST($1::uuid, $2::uuid) || GREATEST($1::uuid, $2::uuid)))`, [a, b]);

/**
 * Blocks the other member of a connection, silently. Every open connection of the pair closes as
 * the decline or withdrawal it looks like, in every visible field (a pending request the blocker
 * was asked is declined, responded_at set; anything else withdrawn), except a request of theirs
 * held from the blocker, which stays pending to them and is now held for good; their future
 * requests are held likewise. Closed ones stay as they closed. Partnerships between them end
 * (`endPartnershipsOnBlock`).
 */
export async function blockMember(ctx: AuthedContext, globalId: string) {
  const c = await mine(ctx, globalId);
  if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
  const me = ctx.viewer.clientId;
  // Partnerships first, then the pair's lock: the order a membership ending takes them in (its
  // hooks end partnerships, then release held requests under the pair's lock), so the two cannot
  // wait on each other.
  // A blocked member keeps no window on the blocker's goals through a partnership.
  await endPartnershipsOnBlock(ctx, me, c.otherClientId);
  await lockPair(ctx, me, c.otherClientId);
  await ctx.db.query(
    `INSERT INTO member_blocks (clinic_id, blocker_client_id, blocked_client_id) VALUES ($1, $2, $3)
     ON CONFLICT (clinic_id, blocker_client_id, blocked_client_id) WHERE ended_at IS NULL DO NOTHING`,
    [ctx.db.clinicId, me, c.otherClientId],
  );
  // A request of theirs held from the blocker (by the group's policy) is held for good now.
  await ctx.db.query(
    `UPDATE connections SET held_by_block = true WHERE requester_client_id = $2 AND recipient_client_id = $1 AND status = 'REQUESTED' AND held_from_recipient`,
    [me, c.otherClientId],
  );
  const closed = await ctx.db.query<{ id: string; held_from_recipient: boolean; recipient_client_id: string }>(
    `UPDATE connections SET status = 'BLOCKED', closed_at = now(),
            blocked_shown_as = CASE WHEN status = 'REQUESTED' AND recipient_client_id = $1 THEN 'DECLINED' ELSE 'WITHDRAWN' END,
            responded_at = CASE WHEN status = 'REQUESTED' AND recipient_client_id = $1 THEN now() ELSE responded_at END
      WHERE status IN ('REQUESTED', 'ACCEPTED')
        AND ((requester_client_id = $1 AND recipient_client_id = $2) OR (requester_client_id = $2 AND recipient_client_id = $1 AND NOT held_from_recipient))
      RETURNING id, held_from_recipient, recipient_client_id`,
    [me, c.otherClientId],
  );
  // Recorded as the decline or withdrawal each looks like; about the other member only where they
  // see the row. A block of a closed connection changes nothing they see: recorded about the blocker alone.
  for (const row of closed) {
    const seenByOther = !(row.held_from_recipient && row.recipient_client_id === c.otherClientId);
    for (const clientId of seenByOther ? [me, c.otherClientId] : [me]) {
      ctx.audit.record({ action: AuditAction.UPDATE, resourceType: CONNECTION, resourceId: row.id, subjectClientId: clientId });
    }
  }
  if (!closed.length) ctx.audit.record({ action: AuditAction.UPDATE, resourceType: CONNECTION, resourceId: c.id, subjectClientId: me });
  ctx.loaders.of(blockedByViewerLoader).clear();
  const loader = ctx.loaders.of(connectionLoaders).visibleById;
  loader.clearAll();
  return (await loader.load(c.id))!;
}

/**
 * Lifts the viewer's block of the other member of one of their connections. Nothing the block
 * closed opens again (connections, partnerships), and what the member did while it stood (a
 * request, a proposal, an encouragement) stays held for good; from now on what they do reaches
 * the viewer as anyone's does, and what they did before the block shows as it did. The other
 * member is told nothing, as they were told nothing of the block: recorded about the viewer
 * alone. CONFLICT (NOT_BLOCKED) when the viewer does not block them.
 */
export async function unblockMember(ctx: AuthedContext, globalId: string) {
  const c = await mine(ctx, globalId);
  if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
  const me = ctx.viewer.clientId;
  await lockPair(ctx, me, c.otherClientId);
  const lifted = await ctx.db.query(
    // A block that committed while this request waited for the pair began after this transaction did.
    `UPDATE member_blocks SET ended_at = greatest(now(), created_at) WHERE blocker_client_id = $1 AND blocked_client_id = $2 AND ended_at IS NULL RETURNING 1`,
    [me, c.otherClientId],
  );
  if (!lifted.length) throw conflict('You do not block this member', { reason: 'NOT_BLOCKED' });
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: CONNECTION, resourceId: c.id, subjectClientId: me });
  ctx.loaders.of(blockedByViewerLoader).clear();
  const loader = ctx.loaders.of(connectionLoaders).visibleById;
  loader.clearAll();
  return (await loader.load(c.id))!;
}

/** The members the viewing member blocks now: one statement per request, for `Connection.blockedByYou`. */
export const blockedByViewerLoader = (ctx: RequestContext) => {
  let blocked: Promise<Set<string>> | undefined;
  return {
    get(): Promise<Set<string>> {
      blocked ??= (async () => {
        if (ctx.viewer?.kind !== 'MEMBER') return new Set<string>();
        const rows = await ctx.db.query<{ blocked_client_id: string }>(
          `SELECT blocked_client_id FROM member_blocks WHERE blocker_client_id = $1 AND ended_at IS NULL`,
          [ctx.viewer.clientId],
        );
        return new Set(rows.map((r) => r.blocked_client_id));
      })();
      return blocked;
    },
    clear() {
      blocked = undefined;
    },
  };
};

/**
 * The other member's contact card, only while ACCEPTED and both hold ACTIVE CONTACT_SHARING
 * consent (one batched consent question per request). Every reveal is audited against the
 * member whose details were shown, so it appears in their access report.
 */
export const contactCardLoader = (ctx: RequestContext) =>
  new DataLoader<Connection, ContactCard | null, string>(
    async (connections) => {
      const questions = connections.flatMap((c) =>
        // Asked for the connection's group: a clinic-wide decision applies there, and so does one a member made for that group alone (a DENY overriding).
        [c.requesterClientId, c.recipientClientId].map((clientId) => ({ clientId, type: ConsentType.CONTACT_SHARING, scope: { kind: 'GROUP' as const, groupId: c.groupId } })),
      );
      const accepted = connections.filter((c) => c.rawStatus === 'ACCEPTED');
      const [answers, policies] = await Promise.all([ctx.loaders.of(consentCheckLoader).loadMany(questions), contactPolicyNow(ctx, accepted)]);
      const policyNow = new Map(accepted.map((c, i) => [c, policies[i]]));
      const revealed = connections.filter((c, i) =>
        revealsContact(c.rawStatus, typeof answers[2 * i] === 'string', typeof answers[2 * i + 1] === 'string', policyNow.get(c) ?? 'NEVER'),
      );
      const others = [...new Set(revealed.map((c) => c.otherClientId))];
      const rows = others.length
        ? await ctx.db.query<{ id: string; email: string | null; phone: string | null; share_email: boolean | null; share_phone: boolean | null; handle: string | null }>(
            `SELECT c.id, c.email, c.phone, p.share_email, p.share_phone, p.handle
               FROM clients c LEFT JOIN contact_preferences p ON p.client_id = c.id WHERE c.id = ANY($1)`,
            [others],
          )
        : [];
      const byClient = new Map(rows.map((r) => [r.id, r]));
      return connections.map((c) => {
        const r = revealed.includes(c) ? byClient.get(c.otherClientId) : undefined;
        if (!r) return null;
        const card = { email: r.share_email ? r.email : null, phone: r.share_phone ? r.phone : null, handle: r.handle };
        // A card showing nothing is no card: an empty one beside a withheld one (null) told the
        // member that the other had revoked CONTACT_SHARING rather than chosen to share nothing.
        if (card.email === null && card.phone === null && card.handle === null) return null;
        ctx.audit.record({ action: AuditAction.READ, resourceType: 'ContactDetails', resourceId: c.otherClientId, subjectClientId: c.otherClientId });
        return card;
      });
    },
    { cacheKeyFn: (c) => c.id },
  );

export async function contactPreferencesOf(ctx: AuthedContext, clientId: string): Promise<ContactPreferences> {
  const [row] = await ctx.db.query<{ share_email: boolean; share_phone: boolean; handle: string | null }>(
    `SELECT share_email, share_phone, handle FROM contact_preferences WHERE client_id = $1`,
    [clientId],
  );
  return { shareEmail: row?.share_email ?? false, sharePhone: row?.share_phone ?? false, handle: row?.handle ?? null };
}

export async function setContactPreferences(ctx: AuthedContext, prefs: ContactPreferences): Promise<ContactPreferences> {
  if (ctx.viewer.kind !== 'MEMBER') throw forbidden();
  await ctx.db.query(
    `INSERT INTO contact_preferences (clinic_id, client_id, share_email, share_phone, handle) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (clinic_id, client_id) DO UPDATE SET share_email = $3, share_phone = $4, handle = $5, updated_at = now()`,
    [ctx.db.clinicId, ctx.viewer.clientId, prefs.shareEmail, prefs.sharePhone, prefs.handle?.trim() || null],
  );
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: 'ContactPreferences', resourceId: ctx.viewer.clientId, subjectClientId: ctx.viewer.clientId });
  return contactPreferencesOf(ctx, ctx.viewer.clientId);
}

/**
 * Shows their recipients the pending requests held from them (`held_from_recipient`) that the
 * group's peer-contact policy now allows, in the groups given or those of the memberships given;
 * never one from a member the recipient blocked. Run when memberships end and when a group's
 * policy changes, the only events that change the policy's answer.
 */
export async function releaseHeldRequests(ctx: RequestContext, scope: { groupIds?: string[]; membershipIds?: string[] }) {
  const rows = await ctx.db.query<{ id: string; group_id: string; requester_client_id: string; recipient_client_id: string }>(
    `SELECT x.id, x.group_id, x.requester_client_id, x.recipient_client_id FROM connections x
      WHERE x.held_from_recipient AND x.status = 'REQUESTED'
        AND (x.group_id = ANY($1::uuid[]) OR x.group_id IN (SELECT group_id FROM memberships WHERE id = ANY($2::uuid[])))
        AND NOT x.held_by_block AND NOT ${blockStandsSql('x.recipient_client_id', 'x.requester_client_id')}`,
    [scope.groupIds ?? [], scope.membershipIds ?? []],
  );
  if (!rows.length) return;
  const policies = await contactPolicyNow(ctx, rows.map((r) => ({ groupId: r.group_id, requesterClientId: r.requester_client_id, recipientClientId: r.recipient_client_id })));
  const allowed = rows.filter((_, i) => policies[i] === 'ALLOWED');
  if (!allowed.length) return;
  // Each pair's lock, in one order for every transaction (two releases in different groups may
  // share pairs), then everything asked again in a statement of its own (a later snapshot): a
  // withdrawal or block that committed meanwhile keeps the request held. At most one request per
  // pair is shown, the oldest, and none beside an open connection of the pair (it has its exchange).
  const pairKey = (r: (typeof rows)[number]) => [r.requester_client_id, r.recipient_client_id].sort().join(':');
  const pairs = [...new Map(allowed.map((r) => [pairKey(r), r])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, r] of pairs) await lockPair(ctx, r.requester_client_id, r.recipient_client_id);
  await ctx.db.query(
    `UPDATE connections x SET held_from_recipient = false
      WHERE x.held_from_recipient AND x.status = 'REQUESTED' AND x.id IN (
        SELECT DISTINCT ON (LEAST(c.requester_client_id, c.recipient_client_id), GREATEST(c.requester_client_id, c.recipient_client_id)) c.id
          FROM connections c
         WHERE c.id = ANY($1) AND c.held_from_recipient AND c.status = 'REQUESTED'
           AND NOT c.held_by_block AND NOT ${blockStandsSql('c.recipient_client_id', 'c.requester_client_id')}
           AND NOT EXISTS (SELECT 1 FROM connections o WHERE o.id <> c.id AND o.status IN ('REQUESTED', 'ACCEPTED') AND NOT o.held_from_recipient
                             AND LEAST(o.requester_client_id, o.recipient_client_id) = LEAST(c.requester_client_id, c.recipient_client_id)
                             AND GREATEST(o.requester_client_id, o.recipient_client_id) = GREATEST(c.requester_client_id, c.recipient_client_id))
         ORDER BY LEAST(c.requester_client_id, c.recipient_client_id), GREATEST(c.requester_client_id, c.recipient_client_id), c.created_at, c.id)`,
    [allowed.map((r) => r.id)],
  );
  ctx.loaders.of(connectionLoaders).visibleById.clearAll();
}

// Registered at import: memberships and groups must not import after-group (it depends on them).
membershipEndedHooks.push((ctx, membershipIds) => releaseHeldRequests(ctx, { membershipIds }));
peerContactPolicyChangedHooks.push((ctx, groupId) => releaseHeldRequests(ctx, { groupIds: [groupId] }));
