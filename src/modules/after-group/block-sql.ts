/**
 * Blocks between members (`member_blocks`). Each block is a period: it stands from `created_at`
 * until `ended_at` (`unblockMember`), and the same member may be blocked again later (a new row).
 * A block mutes while it stands. What the blocked member did while one stood (a contact request,
 * a partnership proposal, an encouragement) is marked `held_by_block` when it is written, under
 * the snapshot that saw the block, and stays held from the blocker for good (a partnership
 * proposal's flag also marks one that ended while it awaited its partner's group agreement:
 * `HELD_FOR_GOOD_SQL`). A leaf module: the
 * goals module's SQL uses it too. Arguments are SQL expressions, never values.
 */

/** `blocker` blocks `blocked` now. */
export const blockStandsSql = (blocker: string, blocked: string) =>
  `EXISTS (SELECT 1 FROM member_blocks mb WHERE mb.blocker_client_id = ${blocker} AND mb.blocked_client_id = ${blocked} AND mb.ended_at IS NULL)`;
