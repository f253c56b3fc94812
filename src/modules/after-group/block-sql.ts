/**
 * Blocks between members (`member_blocks`). Each block is a period: it stands from `created_at`
 * until `ended_at` (`unblockMember`), and the same member may be blocked again later (a new row).
 * A block mutes while it stands; what the blocked member did during one (a request, a proposal,
 * an encouragement) stays held from the blocker for good. A leaf module: the goals module's SQL
 * uses it too. Arguments are SQL expressions, never values.
 */

/** Whether `blocker` has blocked `blocked` under the condition `when` on the block `mb`. */
const blockSql = (blocker: string, blocked: string, when: string) =>
  `EXISTS (SELECT 1 FROM member_blocks mb WHERE mb.blocker_client_id = ${blocker} AND mb.blocked_client_id = ${blocked} AND ${when})`;

const STANDING = 'mb.ended_at IS NULL';
const during = (at: string) => `mb.created_at <= ${at} AND (mb.ended_at IS NULL OR ${at} < mb.ended_at)`;

/** `blocker` blocks `blocked` now. */
export const blockStandsSql = (blocker: string, blocked: string) => blockSql(blocker, blocked, STANDING);

/** What `blocked` did at `at` happened while `blocker` blocked them: held from `blocker` for good. */
export const madeWhileBlockedSql = (blocker: string, blocked: string, at: string) => blockSql(blocker, blocked, `(${during(at)})`);

/**
 * Held from `blocker` now: `blocked` is blocked now, or did it (at `at`) while blocked. With
 * `pending`, a condition, only a pending thing is held by the standing block (a proposal made
 * before the block waits unseen while it stands, and shows again once it is lifted).
 */
export const heldByBlockSql = (blocker: string, blocked: string, at: string, pending = 'true') =>
  blockSql(blocker, blocked, `((${STANDING} AND ${pending}) OR (${during(at)}))`);
