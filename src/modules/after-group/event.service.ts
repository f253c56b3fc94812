import { SqlParts } from '../../db/sql-parts';
import DataLoader from 'dataloader';
import { AuditAction } from '../../audit/audit-action';
import { decodeCursor, keysetPage, Page, pageOf } from '../../common/connection';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext, RequestContext } from '../../context';
import { badInput, conflict, forbidden, notFound } from '../../errors/domain-error';
import { byDisplayName, displayNameOf } from '../clients/client.entity';
import { consentCheckLoader } from '../consent/consent-check';
import { ConsentType } from '../consent/consent.enums';
import { groupLoaders } from '../groups/group.loaders';
import { memberSeesPeers } from '../groups/group.policy';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { isInvited, seesFellowAttendees } from './after-group.policy';
import { EventAudience, GroupEvent, GroupEventKind, RsvpResponse } from './after-group.types';

type EventRow = {
  id: string; group_id: string; kind: GroupEventKind; audience: EventAudience; title: string; description: string | null;
  starts_at: Date; ends_at: Date | null; location: string | null; video_link: string | null; created_by_staff_id: string;
};

const eventFromRow = (r: EventRow) =>
  Object.assign(new GroupEvent(), {
    id: r.id, groupId: r.group_id, kind: r.kind, audience: r.audience, title: r.title, description: r.description,
    startsAt: r.starts_at, endsAt: r.ends_at, location: r.location, videoLink: r.video_link, createdByStaffId: r.created_by_staff_id,
  });

/** Staff with roster access see a group's events; members only those they are invited to. */
async function visibleEvents(ctx: RequestContext, events: GroupEvent[]): Promise<GroupEvent[]> {
  const viewer = ctx.viewer;
  if (!viewer) return [];
  if (viewer.kind === 'MEMBER') {
    const facts = await ctx.loaders.of(viewerFactsLoader).get();
    return events.filter((e) => isInvited(e.audience, facts.ownMemberships.get(e.groupId)?.status));
  }
  if (viewer.kind !== 'STAFF') return [];
  const groups = await ctx.loaders.of(groupLoaders).visibleById.loadMany([...new Set(events.map((e) => e.groupId))]);
  const roster = new Set(groups.filter((g) => g && !(g instanceof Error) && g.access === 'ROSTER').map((g) => (g as { group: { id: string } }).group.id));
  return events.filter((e) => roster.has(e.groupId));
}

interface Rsvp {
  eventId: string;
  clientId: string;
  response: RsvpResponse;
  displayName: string;
  membershipStatus: string | null;
}

export const eventLoaders = (ctx: RequestContext) => ({
  visibleById: new DataLoader<string, GroupEvent | null>(async (ids) => {
    const rows = await ctx.db.query<EventRow>(`SELECT * FROM group_events WHERE id = ANY($1)`, [[...ids]]);
    const visible = new Map((await visibleEvents(ctx, rows.map(eventFromRow))).map((e) => [e.id, e]));
    return ids.map((id) => visible.get(id) ?? null);
  }),
  /** Every RSVP of each event, with the responder's name and membership status in the event's group. */
  rsvps: new DataLoader<string, Rsvp[]>(async (eventIds) => {
    const rows = await ctx.db.query<{ event_id: string; client_id: string; response: RsvpResponse; given_name: string; family_name: string; preferred_name: string | null; status: string | null }>(
      `SELECT r.event_id, r.client_id, r.response, c.given_name, c.family_name, c.preferred_name,
              (SELECT m.status FROM memberships m WHERE m.group_id = e.group_id AND m.client_id = r.client_id
                ORDER BY (m.status IN ('COMPLETED', 'WITHDRAWN', 'DISCHARGED')), m.created_at DESC LIMIT 1) AS status
         FROM event_rsvps r JOIN group_events e ON e.id = r.event_id JOIN clients c ON c.id = r.client_id
        WHERE r.event_id = ANY($1)`,
      [[...eventIds]],
    );
    const all = rows
      .map((r) => ({
        eventId: r.event_id,
        clientId: r.client_id,
        response: r.response,
        membershipStatus: r.status,
        displayName: displayNameOf({ givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name }),
      }))
      .sort(byDisplayName);
    return eventIds.map((id) => all.filter((r) => r.eventId === id));
  }),
});

export interface EventFilter {
  groupId?: string | null;
  upcoming?: boolean | null;
}

/**
 * Events the viewer may see, by start time then id (a keyset page). The SQL applies the whole
 * rule before the limit (a clinician's groups; a member's invitations, group by group), so pages
 * are full and `hasNextPage` is exact; `visibleEvents` checks the page again.
 */
export async function listEvents(ctx: AuthedContext, filter: EventFilter, first: number, after?: string | null): Promise<Page<GroupEvent>> {
  const cursor = decodeCursor(after, ['timestamp', 'uuid']);
  const groupId = filter.groupId ? uuidOf(filter.groupId, 'TherapyGroup') ?? '00000000-0000-0000-0000-000000000000' : null;
  const facts = await ctx.loaders.of(viewerFactsLoader).get();
  const viewer = ctx.viewer;
  const q = new SqlParts();
  if (viewer.kind === 'MEMBER') {
    // Each own membership with the audiences that invite it (`isInvited`), as (group, audience) pairs.
    const pairs = [...facts.ownMemberships].flatMap(([group, m]) =>
      Object.values(EventAudience).filter((a) => isInvited(a, m.status)).map((a) => [group, a] as const),
    );
    q.and(`(group_id, audience) IN (SELECT * FROM unnest(${q.param(pairs.map((p) => p[0]))}::uuid[], ${q.param(pairs.map((p) => p[1]))}::text[]))`);
  } else if (viewer.kind === 'STAFF' && viewer.role === 'CLINICIAN') {
    q.and(`group_id = ANY(${q.param([...facts.facilitatedGroupIds])}::uuid[])`);
  } else if (viewer.kind !== 'STAFF') {
    return pageOf([], first, () => []);
  }
  if (groupId) q.and(`group_id = ${q.param(groupId)}`);
  if (filter.upcoming ?? true) q.and('starts_at > now()');
  if (cursor) q.and(`(starts_at, id) > (${q.param(cursor[0])}::timestamptz, ${q.param(cursor[1])}::uuid)`);
  const limit = q.param(first + 1);
  const rows = await ctx.db.query<EventRow & { starts_key: string }>(
    `SELECT *, starts_at::text AS starts_key FROM group_events ${q.where} ORDER BY starts_at, id LIMIT ${limit}`,
    q.params,
  );
  return keysetPage(rows, first, await visibleEvents(ctx, rows.slice(0, first).map(eventFromRow)), (r) => [r.starts_key, r.id]);
}

export interface NewEvent {
  groupId: string;
  kind: GroupEventKind;
  audience: EventAudience;
  title: string;
  description?: string | null;
  startsAt: Date;
  endsAt?: Date | null;
  location?: string | null;
  videoLink?: string | null;
}

export async function createGroupEvent(ctx: AuthedContext, input: NewEvent): Promise<GroupEvent> {
  const groupId = uuidOf(input.groupId, 'TherapyGroup');
  const visible = groupId ? await ctx.loaders.of(groupLoaders).visibleById.load(groupId) : null;
  if (!groupId || !visible) throw notFound('Group');
  if (ctx.viewer.kind !== 'STAFF' || visible.access !== 'ROSTER') throw forbidden('Facilitators and admins create group events');
  if (input.endsAt && input.endsAt <= input.startsAt) throw badInput('endsAt must be after startsAt', { field: 'endsAt' });
  const [row] = await ctx.db.query<EventRow>(
    `INSERT INTO group_events (clinic_id, group_id, kind, audience, title, description, starts_at, ends_at, location, video_link, created_by_staff_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
    [ctx.db.clinicId, groupId, input.kind, input.audience, input.title.trim(), input.description ?? null, input.startsAt, input.endsAt ?? null,
      input.location ?? null, input.videoLink ?? null, ctx.viewer.staffId],
  );
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: 'GroupEvent', resourceId: row.id });
  return eventFromRow(row);
}

export async function rsvp(ctx: AuthedContext, eventGlobalId: string, response: RsvpResponse): Promise<GroupEvent> {
  if (ctx.viewer.kind !== 'MEMBER') throw forbidden('Invitees answer for themselves');
  const id = uuidOf(eventGlobalId, 'GroupEvent');
  const event = id ? await ctx.loaders.of(eventLoaders).visibleById.load(id) : null;
  // Not invited looks exactly like no such event.
  if (!id || !event) throw notFound('GroupEvent');
  // Answers change who is named as going: not once the event is over.
  if ((event.endsAt ?? event.startsAt).getTime() < Date.now()) throw conflict('This event is over: RSVPs are closed', { reason: 'EVENT_OVER' });
  await ctx.db.query(
    `INSERT INTO event_rsvps (clinic_id, event_id, client_id, response) VALUES ($1, $2, $3, $4)
     ON CONFLICT (clinic_id, event_id, client_id) DO UPDATE SET response = EXCLUDED.response, updated_at = now()`,
    [ctx.db.clinicId, id, ctx.viewer.clientId, response],
  );
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: 'GroupEvent', resourceId: id, subjectClientId: ctx.viewer.clientId });
  ctx.loaders.of(eventLoaders).rsvps.clear(id);
  return event;
}

/**
 * Names of those going: staff with roster access see all; an invitee sees names only while
 * going themself and consenting to be seen there too (`seesFellowAttendees`), and only of
 * attendees who consent to being seen there — ALUMNI_DIRECTORY for alumni, the group agreement
 * for current members (asked of the consent service in one batch with the viewer's own).
 */
export async function attendeesOf(ctx: AuthedContext, event: GroupEvent): Promise<string[] | null> {
  // Only those still invited count: someone who RSVPed and then left the group is no longer listed.
  const going = (await ctx.loaders.of(eventLoaders).rsvps.load(event.id)).filter(
    (r) => r.response === RsvpResponse.GOING && isInvited(event.audience, r.membershipStatus ?? undefined),
  );
  const viewer = ctx.viewer;
  if (viewer.kind === 'STAFF') return going.map((r) => r.displayName);
  const mine = viewer.kind === 'MEMBER' ? going.find((r) => r.clientId === viewer.clientId) : undefined;
  if (viewer.kind !== 'MEMBER' || !mine) return null;
  // A member on hold is not shown to peers (DESIGN: while both are ACTIVE): not here either.
  const others = going.filter((r) => r.clientId !== viewer.clientId && r.membershipStatus !== 'ON_HOLD');
  const [[own, ...answers], facts, group] = await Promise.all([
    ctx.loaders.of(consentCheckLoader).loadMany(
      [mine, ...others].map((r) => ({
        clientId: r.clientId,
        type: r.membershipStatus === 'COMPLETED' ? ConsentType.ALUMNI_DIRECTORY : ConsentType.GROUP_AGREEMENT,
        scope: { kind: 'GROUP' as const, groupId: event.groupId },
      })),
    ),
    ctx.loaders.of(viewerFactsLoader).get(),
    ctx.loaders.of(groupLoaders).rowById.load(event.groupId),
  ]);
  const seesPeers = group !== null && memberSeesPeers(viewer, group, facts);
  if (!seesFellowAttendees(mine.membershipStatus ?? undefined, typeof own === 'string', seesPeers)) return null;
  return others.filter((_, i) => typeof answers[i] === 'string').map((r) => r.displayName);
}

export async function myRsvp(ctx: AuthedContext, event: GroupEvent): Promise<RsvpResponse | null> {
  if (ctx.viewer.kind !== 'MEMBER') return null;
  const clientId = ctx.viewer.clientId;
  return (await ctx.loaders.of(eventLoaders).rsvps.load(event.id)).find((r) => r.clientId === clientId)?.response ?? null;
}

/**
 * Answers of those still invited (one who RSVPed and then left is not going). Staff count them
 * all. A member counts themself, ACTIVE members holding the group agreement (those `attendees`
 * names), and alumni in the group's alumni directory when the viewer is someone such alumni are
 * named to (a current member who sees peers, an alumnus in the directory). So a peer's hold,
 * completion, discharge or revoked agreement moves the counts exactly as an answer withdrawn
 * does, and names and counts never differ by someone counted but not named.
 */
export async function rsvpCounts(ctx: AuthedContext, event: GroupEvent) {
  const invited = (await ctx.loaders.of(eventLoaders).rsvps.load(event.id)).filter((r) => isInvited(event.audience, r.membershipStatus ?? undefined));
  const counted = ctx.viewer.kind === 'STAFF' ? invited : await countedForMember(ctx, event, invited);
  return { going: counted.filter((r) => r.response === RsvpResponse.GOING).length, maybe: counted.filter((r) => r.response === RsvpResponse.MAYBE).length };
}

async function countedForMember(ctx: AuthedContext, event: GroupEvent, invited: Rsvp[]): Promise<Rsvp[]> {
  const viewer = ctx.viewer;
  const self = viewer.kind === 'MEMBER' ? viewer.clientId : null;
  const mine = invited.filter((r) => r.clientId === self);
  const peers = invited.filter((r) => r.clientId !== self && r.membershipStatus === 'ACTIVE');
  const alumni = invited.filter((r) => r.clientId !== self && r.membershipStatus === 'COMPLETED');
  if (viewer.kind !== 'MEMBER' || (!peers.length && !alumni.length)) return mine;
  const scope = { kind: 'GROUP' as const, groupId: event.groupId };
  const [own, ...answers] = await ctx.loaders.of(consentCheckLoader).loadMany([
    { clientId: viewer.clientId, type: ConsentType.ALUMNI_DIRECTORY, scope },
    ...peers.map((r) => ({ clientId: r.clientId, type: ConsentType.GROUP_AGREEMENT, scope })),
    ...alumni.map((r) => ({ clientId: r.clientId, type: ConsentType.ALUMNI_DIRECTORY, scope })),
  ]);
  // Peers are counted as `attendees` names them: holding the group agreement.
  const counted = [...mine, ...peers.filter((_, i) => typeof answers[i] === 'string')];
  if (!alumni.length) return counted;
  const [facts, group] = await Promise.all([ctx.loaders.of(viewerFactsLoader).get(), ctx.loaders.of(groupLoaders).rowById.load(event.groupId)]);
  const ownStatus = facts.ownMemberships.get(event.groupId)?.status;
  // Alumni are counted to whom they would be named (were the viewer going).
  if (!seesFellowAttendees(ownStatus, typeof own === 'string', group !== null && memberSeesPeers(viewer, group, facts))) return counted;
  return [...counted, ...alumni.filter((_, i) => typeof answers[peers.length + i] === 'string')];
}
