import { sqlList } from '../../db/sql-parts';
import { consentAnswerSql } from '../consent/consent-check';
import { SEATED } from '../memberships/membership-status';

/**
 * Whether membership `m` (an SQL alias of `memberships`) sees its group's peers, as
 * `memberSeesPeers` asks: seated, the group's current agreement version accepted, and its
 * member's GROUP_AGREEMENT consent for the group active. `seatedAlso` (SQL, uuid[]) names
 * memberships judged as still seated (those whose ending is being written). SQL, never values.
 */
export const seesPeersSql = (m: string, seatedAlso?: string) =>
  `((${m}.status IN (${sqlList(SEATED)})${seatedAlso ? ` OR ${m}.id = ANY(${seatedAlso})` : ''})
    AND coalesce(${m}.agreement_version_accepted, 0) >= (SELECT t.agreement_version FROM therapy_groups t WHERE t.id = ${m}.group_id)
    AND ${consentAnswerSql(`${m}.client_id`, `'GROUP_AGREEMENT'`, `'GROUP'`, `${m}.group_id`, 'NULL::text')} IS NOT NULL)`;
