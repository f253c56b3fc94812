import DataLoader from 'dataloader';
import type { RequestContext } from '../../context';
import { sqlList } from '../../db/sql-parts';
import { byDisplayName, displayNameOf } from '../clients/client.entity';
import { consentCheckLoader } from '../consent/consent-check';
import { ConsentType } from '../consent/consent.enums';
import { groupLoaders } from '../groups/group.loaders';
import { ENDED, MembershipStatus } from '../memberships/membership-status';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { AlumniEntry } from './after-group.types';

/**
 * Opted-in alumni of each group: clients whose membership of it, as the member's own view picks
 * it (the open one, else the latest), is COMPLETED, and who hold ALUMNI_DIRECTORY consent for the
 * group (asked of the consent service in one batch). Revoking removes at once; so does coming back
 * to the group or a later membership's discharge.
 */
export const alumniLoader = (ctx: RequestContext) =>
  new DataLoader<string, AlumniEntry[]>(async (groupIds) => {
    const rows = await ctx.db.query<{ id: string; group_id: string; client_id: string; given_name: string; family_name: string; preferred_name: string | null }>(
      `SELECT cur.id, cur.group_id, cur.client_id, c.given_name, c.family_name, c.preferred_name
         FROM (SELECT DISTINCT ON (m.group_id, m.client_id) m.id, m.group_id, m.client_id, m.status
                 FROM memberships m WHERE m.group_id = ANY($1)
                ORDER BY m.group_id, m.client_id, (m.status IN (${sqlList(ENDED)})), m.created_at DESC, m.id DESC) cur
         JOIN clients c ON c.id = cur.client_id
        WHERE cur.status = '${MembershipStatus.COMPLETED}'`,
      [[...groupIds]],
    );
    const answers = await ctx.loaders
      .of(consentCheckLoader)
      .loadMany(rows.map((r) => ({ clientId: r.client_id, type: ConsentType.ALUMNI_DIRECTORY, scope: { kind: 'GROUP' as const, groupId: r.group_id } })));
    const listed = rows.filter((_, i) => typeof answers[i] === 'string');
    return groupIds.map((g) =>
      listed
        .filter((r) => r.group_id === g)
        .map((r) =>
          Object.assign(new AlumniEntry(), {
            membershipId: r.id,
            clientId: r.client_id,
            displayName: displayNameOf({ givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name }),
          }),
        )
        .sort(byDisplayName),
    );
  });

/**
 * The directory is for the group's opted-in alumni themselves and for staff with roster access
 * (its facilitators, supervisors, admins); everyone else gets null.
 */
export async function alumniDirectory(ctx: RequestContext, groupId: string): Promise<AlumniEntry[] | null> {
  const viewer = ctx.viewer;
  const visible = await ctx.loaders.of(groupLoaders).visibleById.load(groupId);
  if (!viewer || !visible) return null;
  const alumni = await ctx.loaders.of(alumniLoader).load(groupId);
  if (viewer.kind === 'STAFF') return visible.access === 'ROSTER' ? alumni : null;
  if (viewer.kind !== 'MEMBER' || visible.access !== 'ALUMNI') return null;
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  if (facts.ownMemberships.get(groupId)?.status !== 'COMPLETED') return null;
  return alumni.some((a) => a.clientId === viewer.clientId) ? alumni : null;
}
