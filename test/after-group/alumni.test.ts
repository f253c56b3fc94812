/**
 * The alumni directory: members who COMPLETED a group and hold ALUMNI_DIRECTORY consent for it,
 * shown by display name to each other and to the group's facilitators, to no one else, and
 * without a member the moment they revoke.
 */
import { ownerQuery } from '../support/factories';
import { expectError, gql } from '../support/test-app';
import { activeGroup } from '../goals/goal-fixtures';
import {
  ALUMNI,
  ALUMNI_NODE,
  displayName,
  endMembership,
  graduate,
  GroupWorld,
  joinDirectory,
  Member,
  ok,
  revokeConsent,
} from './after-group-fixtures';

const entry = (m: Member) => ({ displayName: displayName(m), membershipId: m.membershipGid });
const byName = (a: { displayName: string }, b: { displayName: string }) => a.displayName.localeCompare(b.displayName);

/** The alumni list `auth` gets for the world's group (null when not theirs to see). */
async function alumniSeenBy(auth: string, world: GroupWorld) {
  return ok(await gql(auth, ALUMNI, { id: world.group.gid })).group.alumni;
}

/**
 * A group of five: Ann and Ben completed and opted in, Cat completed without opting in, Dan is
 * still a member, and Eve withdrew early yet holds the consent (she never completed).
 */
async function directoryWorld() {
  const world = await activeGroup({ members: 5 });
  const [ann, ben, cat, dan, eve] = world.members;
  const consents = { ann: await graduate(world, ann), ben: await graduate(world, ben) };
  await endMembership(world.clinic, cat);
  await endMembership(world.clinic, eve, 'WITHDRAWN');
  await joinDirectory(eve, world.group);
  return { world, ann, ben, cat, dan, eve, consents };
}

describe('the alumni directory', () => {
  it('lists completed members who opted in, by display name, to each other and to the group\'s facilitator', async () => {
    const { world, ann, ben, cat, dan, eve } = await directoryWorld();
    const expected = [entry(ann), entry(ben)].sort(byName);

    for (const auth of [ann.auth, ben.auth, world.lead.auth, world.clinic.admin.auth]) {
      expect(await alumniSeenBy(auth, world)).toEqual(expected);
    }

    // What it is made of: two COMPLETED memberships with active ALUMNI_DIRECTORY consent for this group.
    const stored = await ownerQuery(
      `SELECT m.client_id, m.status, EXISTS (SELECT 1 FROM consent_records c WHERE c.client_id = m.client_id AND c.type = 'ALUMNI_DIRECTORY'
                AND c.scope_group_id = m.group_id AND c.revoked_at IS NULL) AS opted_in
         FROM memberships m WHERE m.group_id = $1 ORDER BY m.created_at`,
      [world.group.id],
    );
    expect(stored).toEqual([
      { client_id: ann.client.id, status: 'COMPLETED', opted_in: true },
      { client_id: ben.client.id, status: 'COMPLETED', opted_in: true },
      { client_id: cat.client.id, status: 'COMPLETED', opted_in: false },
      { client_id: dan.client.id, status: 'ACTIVE', opted_in: false },
      { client_id: eve.client.id, status: 'WITHDRAWN', opted_in: true },
    ]);
  });

  it('answers the same through node(id:)', async () => {
    const { world, ann, ben, cat, dan } = await directoryWorld();
    const viaNode = async (auth: string) => ok(await gql(auth, ALUMNI_NODE, { id: world.group.gid })).node.alumni;
    expect(await viaNode(ann.auth)).toEqual([entry(ann), entry(ben)].sort(byName));
    expect(await viaNode(world.lead.auth)).toEqual([entry(ann), entry(ben)].sort(byName));
    expect(await viaNode(cat.auth)).toBeNull();
    expect(await viaNode(dan.auth)).toBeNull();
  });

  it('is null for a current member of the group', async () => {
    const { world, dan } = await directoryWorld();
    const group = ok(await gql(dan.auth, ALUMNI, { id: world.group.gid })).group;
    expect(group).toEqual({ id: world.group.gid, alumni: null });
  });

  it('is null for an alumnus who has not opted in, and for a member who withdrew holding the consent', async () => {
    const { world, cat, eve } = await directoryWorld();
    expect(await alumniSeenBy(cat.auth, world)).toBeNull();
    expect(await alumniSeenBy(eve.auth, world)).toBeNull();
  });

  it('is null for a clinician who does not facilitate the group', async () => {
    const { world } = await directoryWorld();
    const other = await world.clinic.addStaff('CLINICIAN');
    expect(await alumniSeenBy(other.auth, world)).toBeNull();
  });

  it('does not exist for a member of another group, or another clinic: NOT_FOUND for the group', async () => {
    const { world } = await directoryWorld();
    const neighbour = await activeGroup({ clinic: world.clinic, members: 1 });
    const outsider = neighbour.members[0];
    // Even an opted-in alumnus of the neighbouring group.
    await graduate(neighbour, outsider);
    const res = await gql(outsider.auth, ALUMNI, { id: world.group.gid });
    expectError(res, 'NOT_FOUND');
    expect(res.data).toBeNull();

    const elsewhere = await activeGroup({ members: 1 });
    expectError(await gql(elsewhere.members[0].auth, ALUMNI, { id: world.group.gid }), 'NOT_FOUND');
    expectError(await gql(elsewhere.clinic.admin.auth, ALUMNI, { id: world.group.gid }), 'NOT_FOUND');
  });

  it('keeps each group\'s directory to itself: opting into one group lists you only there', async () => {
    const { world, ann } = await directoryWorld();
    const sibling = await activeGroup({ clinic: world.clinic, members: 1 });
    const [zoe] = sibling.members;
    await graduate(sibling, zoe);
    expect(await alumniSeenBy(world.lead.auth, world)).not.toContainEqual(entry(zoe));
    expect(await alumniSeenBy(sibling.lead.auth, sibling)).toEqual([entry(zoe)]);
    expect(await alumniSeenBy(ann.auth, world)).not.toContainEqual(entry(zoe));
  });

  it('lists a member as their current membership stands: back in the group, or discharged from a later membership, they leave it for everyone', async () => {
    const { world, ann, ben } = await directoryWorld();
    const [again] = await ownerQuery<{ id: string }>(
      `INSERT INTO memberships (clinic_id, group_id, client_id, status, period_start, status_reason)
       VALUES ($1, $2, $3, 'ACTIVE', current_date, 'Re-enrolled') RETURNING id`,
      [world.clinic.id, world.group.id, ann.client.id],
    );
    expect(await alumniSeenBy(ben.auth, world)).toEqual([entry(ben)]);
    expect(await alumniSeenBy(world.lead.auth, world)).toEqual([entry(ben)]);
    await ownerQuery(`UPDATE memberships SET status = 'DISCHARGED', period_end = current_date WHERE id = $1`, [again.id]);
    expect(await alumniSeenBy(ben.auth, world)).toEqual([entry(ben)]);
    expect(await alumniSeenBy(ann.auth, world)).toBeNull();
    // Ann's first membership and her consent are unchanged: the directory follows the latest.
    expect(await ownerQuery(`SELECT status FROM memberships WHERE id = $1`, [ann.membershipId])).toEqual([{ status: 'COMPLETED' }]);
  });

  it('drops a member who revokes ALUMNI_DIRECTORY on the very next request, for everyone, themself included', async () => {
    const { world, ann, ben, consents } = await directoryWorld();
    expect(await alumniSeenBy(ann.auth, world)).toEqual([entry(ann), entry(ben)].sort(byName));

    await revokeConsent(ben.auth, consents.ben, 'I would rather not be listed');
    const [revoked] = await ownerQuery(`SELECT revoked_at, revoked_by_type, revoked_by_id FROM consent_records WHERE id = $1`, [consents.ben.id]);
    expect(revoked).toMatchObject({ revoked_by_type: 'CLIENT', revoked_by_id: ben.client.id });
    expect(revoked.revoked_at).toBeInstanceOf(Date);
    // Ann's own consent is untouched.
    expect(await ownerQuery(`SELECT revoked_at FROM consent_records WHERE id = $1`, [consents.ann.id])).toEqual([{ revoked_at: null }]);

    expect(await alumniSeenBy(ann.auth, world)).toEqual([entry(ann)]);
    expect(await alumniSeenBy(world.lead.auth, world)).toEqual([entry(ann)]);
    // Having left the directory, Ben no longer sees it either.
    expect(await alumniSeenBy(ben.auth, world)).toBeNull();
  });
});
