import { AuditAction } from '../../audit/audit-action';
import { decodeCursor, keysetPage, Page } from '../../common/connection';
import { toGlobalId, uuidOf } from '../../common/global-id';
import { SqlParts } from '../../db/sql-parts';
import { blockStandsSql } from '../after-group/block-sql';
import type { AuthedContext } from '../../context';
import { badInput, DomainError, forbidden, notFound } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-codes';
import { displayNameOf } from '../clients/client.entity';
import { SendEncouragementInput } from './goal.inputs';
import { goalLoaders } from './goal.loaders';
import { canEncourage } from './goal.policy';
import { getGoal } from './goal.service';
import { Encouragement, MutedSender } from './goal.types';

export const ENCOURAGEMENTS_PER_DAY = 20;

export async function sendEncouragement(ctx: AuthedContext, input: SendEncouragementInput): Promise<Encouragement> {
  const viewer = ctx.viewer;
  if (viewer.kind !== 'MEMBER') throw forbidden('Encouragement is between members');
  const goal = await getGoal(ctx, input.goalId);
  if (!canEncourage(goal.audience)) throw forbidden('You can encourage partners and peers, about goals they share with you');
  let checkInId: string | null = null;
  if (input.checkInId) {
    checkInId = uuidOf(input.checkInId, 'GoalCheckIn') ?? null;
    const checkIns = await ctx.loaders.of(goalLoaders).checkIns.load(goal.id);
    if (!checkInId || !checkIns.some((c) => c.id === checkInId)) throw notFound('GoalCheckIn');
  }
  // Serialise a sender's sends so two parallel requests cannot both pass the daily limit.
  await ctx.db.query(`SELECT pg_advisory_xact_lock(hashtext('encouragement:' || $1))`, [viewer.clientId]);
  const [{ sent }] = await ctx.db.query<{ sent: number }>(
    `SELECT count(*)::int AS sent FROM encouragements WHERE sender_client_id = $1 AND sent_at > now() - interval '1 day'`,
    [viewer.clientId],
  );
  if (sent >= ENCOURAGEMENTS_PER_DAY) {
    throw new DomainError(ErrorCode.RATE_LIMITED, `At most ${ENCOURAGEMENTS_PER_DAY} encouragements a day`, { limit: ENCOURAGEMENTS_PER_DAY });
  }
  const message = input.message.trim();
  if (!message) throw badInput('message is empty', { field: 'message' });
  const [row] = await ctx.db.query<{ id: string; sent_at: Date; held: boolean }>(
    `INSERT INTO encouragements (clinic_id, sender_client_id, recipient_client_id, goal_id, check_in_id, message, held_by_block)
     VALUES ($1, $2, $3, $4, $5, $6, ${blockStandsSql('$3::uuid', '$2::uuid')})
     RETURNING id, sent_at, held_by_block AS held`,
    [ctx.db.clinicId, viewer.clientId, goal.clientId, goal.id, checkInId, message],
  );
  // A block is silent: the message is taken and kept, never shown to the blocker, and recorded
  // about its sender alone, as a held partnership proposal is, so the blocker's access report
  // shows nothing of it.
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: 'Encouragement', resourceId: row.id, subjectClientId: row.held ? viewer.clientId : goal.clientId });
  const [me] = await ctx.db.query<{ given_name: string; family_name: string; preferred_name: string | null }>(
    `SELECT given_name, family_name, preferred_name FROM clients WHERE id = $1`,
    [viewer.clientId],
  );
  return Object.assign(new Encouragement(), {
    id: row.id,
    senderClientId: viewer.clientId,
    goalId: goal.id,
    senderDisplayName: displayNameOf({ givenName: me.given_name, familyName: me.family_name, preferredName: me.preferred_name }),
    message,
    goalTitle: goal.title,
    sentAt: row.sent_at,
  });
}

/**
 * The viewing member's encouragements, newest first (then id), without those from muted senders
 * or members they blocked (a block mutes too): `limit` rows after `cursor`, or the one `onlyId`.
 * Only those returned to the member are audited (`shown`), not a page's look-ahead row.
 */
async function received(ctx: AuthedContext, limit: number, options: { onlyId?: string; cursor?: unknown[] }) {
  const viewer = ctx.viewer;
  if (viewer.kind !== 'MEMBER') throw forbidden();
  const q = new SqlParts(viewer.clientId);
  if (options.onlyId) q.and(`e.id = ${q.param(options.onlyId)}`);
  q.afterNewestFirst('e.sent_at', 'e.id', options.cursor);
  const rows = await ctx.db.query<{ id: string; sender_client_id: string; goal_id: string; message: string; sent_at: Date; sent_key: string; title: string; given_name: string; family_name: string; preferred_name: string | null }>(
    `SELECT e.id, e.sender_client_id, e.goal_id, e.message, e.sent_at, e.sent_at::text AS sent_key, g.title, c.given_name, c.family_name, c.preferred_name
       FROM encouragements e JOIN goals g ON g.id = e.goal_id JOIN clients c ON c.id = e.sender_client_id
      WHERE e.recipient_client_id = $1 ${q.andAll}
        AND NOT EXISTS (SELECT 1 FROM encouragement_mutes m WHERE m.recipient_client_id = $1 AND m.sender_client_id = e.sender_client_id)
        AND NOT e.held_by_block AND NOT ${blockStandsSql('$1', 'e.sender_client_id')}
      ORDER BY e.sent_at DESC, e.id LIMIT ${q.param(limit)}`,
    q.params,
  );
  return rows.map((r) => ({
    sentKey: r.sent_key,
    encouragement: Object.assign(new Encouragement(), {
      id: r.id,
      senderClientId: r.sender_client_id,
      goalId: r.goal_id,
      senderDisplayName: displayNameOf({ givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name }),
      message: r.message,
      goalTitle: r.title,
      sentAt: r.sent_at,
    }),
  }));
}

/**
 * A READ of each, about the member it concerns: its recipient, the viewer (it is about their goal,
 * and addressed to them). Recorded about its sender, each read would tell the sender, as a read
 * receipt in their access report, whether the recipient had muted or blocked them: those stop
 * showing, and their reads with them.
 */
function shown(ctx: AuthedContext, list: Encouragement[]): Encouragement[] {
  const recipient = ctx.viewer.kind === 'MEMBER' ? ctx.viewer.clientId : null;
  ctx.audit.recordMany(list.map((e) => ({ action: AuditAction.READ, resourceType: 'Encouragement', resourceId: e.id, subjectClientId: recipient })));
  return list;
}

/** One page of the viewing member's encouragements (`received`). */
export async function myEncouragements(ctx: AuthedContext, first: number, after: string | null | undefined): Promise<Page<Encouragement>> {
  const cursor = decodeCursor(after, ['timestamp', 'uuid']);
  const rows = await received(ctx, first + 1, { cursor });
  return keysetPage(rows, first, shown(ctx, rows.slice(0, first).map((r) => r.encouragement)), (r) => [r.sentKey, r.encouragement.id]);
}

/** One of the viewing member's encouragements by id, as their list shows it (`node(id:)`). */
export async function myEncouragement(ctx: AuthedContext, id: string): Promise<Encouragement | null> {
  const [row] = await received(ctx, 1, { onlyId: id });
  return row ? shown(ctx, [row.encouragement])[0] : null;
}

/**
 * The senders the viewing member muted, each by the latest encouragement they sent them by the mute
 * (not one a block held): the handle to unmute with, since muted senders leave the inbox. Each listed one is
 * a read of that encouragement, recorded about the viewer as the inbox's are.
 */
export async function mutedSenders(ctx: AuthedContext): Promise<MutedSender[]> {
  const viewer = ctx.viewer;
  if (viewer.kind !== 'MEMBER') throw forbidden();
  const rows = await ctx.db.query<{ id: string; muted_at: Date; given_name: string; family_name: string; preferred_name: string | null }>(
    `SELECT DISTINCT ON (m.sender_client_id) e.id, m.created_at AS muted_at, c.given_name, c.family_name, c.preferred_name
       FROM encouragement_mutes m
       -- What they had sent by the mute: a later message would tell the member, through a changing
       -- handle, that a muted sender goes on writing (and it was never shown).
       JOIN encouragements e ON e.recipient_client_id = m.recipient_client_id AND e.sender_client_id = m.sender_client_id AND NOT e.held_by_block
                            AND e.sent_at <= m.created_at
       JOIN clients c ON c.id = m.sender_client_id
      WHERE m.recipient_client_id = $1
      ORDER BY m.sender_client_id, e.sent_at DESC, e.id`,
    [viewer.clientId],
  );
  ctx.audit.recordMany(rows.map((r) => ({ action: AuditAction.READ, resourceType: 'Encouragement', resourceId: r.id, subjectClientId: viewer.clientId })));
  return rows
    .map((r) => Object.assign(new MutedSender(), {
      displayName: displayNameOf({ givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name }),
      encouragementId: toGlobalId('Encouragement', r.id),
      mutedAt: r.muted_at,
    }))
    .sort((a, b) => b.mutedAt.getTime() - a.mutedAt.getTime() || a.encouragementId.localeCompare(b.encouragementId));
}

/** Mutes the sender of one of your encouragements (you never learn their id; they are not told). */
export async function muteEncouragementSender(ctx: AuthedContext, encouragementGlobalId: string, muted: boolean): Promise<boolean> {
  const viewer = ctx.viewer;
  if (viewer.kind !== 'MEMBER') throw forbidden();
  const id = uuidOf(encouragementGlobalId, 'Encouragement');
  const [row] = id
    ? await ctx.db.query<{ sender_client_id: string }>(`SELECT sender_client_id FROM encouragements WHERE id = $1 AND recipient_client_id = $2`, [id, viewer.clientId])
    : [];
  if (!row) throw notFound('Encouragement');
  if (muted) {
    await ctx.db.query(
      `INSERT INTO encouragement_mutes (clinic_id, recipient_client_id, sender_client_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [ctx.db.clinicId, viewer.clientId, row.sender_client_id],
    );
  } else {
    await ctx.db.query(`DELETE FROM encouragement_mutes WHERE recipient_client_id = $1 AND sender_client_id = $2`, [viewer.clientId, row.sender_client_id]);
  }
  return muted;
}
