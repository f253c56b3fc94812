import type { AuthedContext } from '../context';
import { conflict, DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { MembershipStatus } from '../modules/memberships/membership-status';

/**
 * The member a refused record is about, by resource type, read under the request's tenant (RLS):
 * another clinic's id names no one. Psychotherapy notes never name their subject (access reports
 * must not reveal that one exists), and records about two members (partnerships, connections)
 * name neither.
 */
const SUBJECT_SQL: Record<string, string> = {
  Client: `SELECT id AS client_id FROM clients WHERE id = $1`,
  Membership: `SELECT client_id FROM memberships WHERE id = $1`,
  ConsentRecord: `SELECT client_id FROM consent_records WHERE id = $1`,
  Goal: `SELECT client_id, group_id FROM goals WHERE id = $1`,
  GoalCheckIn: `SELECT c.client_id, g.group_id FROM goal_check_ins c JOIN goals g ON g.id = c.goal_id WHERE c.id = $1`,
  Attendance: `SELECT client_id FROM attendance WHERE id = $1`,
  SessionNote: `SELECT client_id FROM session_notes WHERE id = $1 AND kind <> 'PSYCHOTHERAPY'`,
};

/**
 * Records a refused read (NOT_FOUND) of `resourceType` `id` as DENIED, about the member the
 * record concerns when it is this clinic's: a refused look then shows in their access report.
 * A member on hold refused a peer's goal of that group is recorded about themself alone: peers'
 * goals are hidden from them for their hold, and a refused look in the owner's report, naming
 * someone missing from her roster, would tell her of it.
 */
export async function auditRefusedRead(ctx: AuthedContext, resourceType: string, id: string | null | undefined, code: string = ErrorCode.NOT_FOUND): Promise<void> {
  const sql = SUBJECT_SQL[resourceType];
  const [row] = id && sql ? await ctx.db.query<{ client_id: string | null; group_id?: string }>(sql, [id]) : [];
  const viewer = ctx.viewer;
  const onHoldThere = viewer.kind === 'MEMBER' && viewer.ownMemberships.some((m) => m.group_id === row?.group_id && m.status === MembershipStatus.ON_HOLD);
  const subject = onHoldThere ? viewer.clientId : (row?.client_id ?? null);
  ctx.audit.denied({ resourceType, resourceId: id ?? null, subjectClientId: subject, code });
}

/**
 * A refused write (NOT_FOUND, FORBIDDEN) of `resourceType` `id`, recorded as DENIED about the
 * member the record concerns, as a refused read is: the member's access report shows the attempt
 * on their record even though the mutation rolls back. Returns the error to throw.
 */
export async function refusedWrite(ctx: AuthedContext, resourceType: string, id: string | null | undefined, error: DomainError): Promise<DomainError> {
  await auditRefusedRead(ctx, resourceType, id, error.code);
  return error;
}

/**
 * The CONFLICT of a mutation whose answer tells the state of a member's record (a membership
 * already open or ended, a goal's status, a note that exists). The mutation rolls back, but the
 * caller has learnt that state: the refusal is recorded as DENIED about the member, as a refused
 * read is, so their access report shows it.
 */
export function stateConflict(ctx: AuthedContext, about: { resourceType: string; resourceId?: string | null; subjectClientId: string | null }, message: string, extensions: Record<string, unknown>): DomainError {
  ctx.audit.denied({ ...about, code: ErrorCode.CONFLICT });
  return conflict(message, extensions);
}
