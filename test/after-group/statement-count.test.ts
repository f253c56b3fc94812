/**
 * Attendee lists are built in batches: the SQL statement count of `groupEvents { attendees
 * counts }` depends on the query's shape, never on how many people RSVPed.
 */
import { ownerQuery, tokenFor } from '../support/factories';
import { gql } from '../support/test-app';
import { activeGroup, bulkMembers } from '../goals/goal-fixtures';
import { createEvent, ok, uuidOf } from './after-group-fixtures';

const ATTENDEES = `{ groupEvents { edges { node { attendees counts { going } } } } }`;

/**
 * An alumni event of a group whose `n` members all completed, hold ALUMNI_DIRECTORY for the
 * group, and RSVPed GOING (arranged in bulk). Returns a going alumna's and the lead's credentials.
 */
async function alumniEventWith(n: number) {
  const { clinic, group, lead } = await activeGroup({ members: 0 });
  const rows = await bulkMembers(clinic, group, n, { share: false });
  const clientIds = rows.map((r) => r.client_id);
  await ownerQuery(`UPDATE memberships SET status = 'COMPLETED', period_end = current_date, updated_at = now() WHERE group_id = $1`, [group.id]);
  await ownerQuery(
    `INSERT INTO consent_records (clinic_id, client_id, type, scope_kind, scope_group_id, provision, method, recorded_by_type, recorded_by_id)
     SELECT $1, c, 'ALUMNI_DIRECTORY', 'GROUP', $2, 'PERMIT', 'ELECTRONIC', 'CLIENT', c FROM unnest($3::uuid[]) c`,
    [clinic.id, group.id, clientIds],
  );
  const event = await createEvent(lead.auth, group, { kind: 'REUNION', audience: 'ALUMNI', title: 'One year on' });
  await ownerQuery(
    `INSERT INTO event_rsvps (clinic_id, event_id, client_id, response)
     SELECT $1, $2, c, 'GOING' FROM unnest($3::uuid[]) c`,
    [clinic.id, uuidOf(event.id), clientIds],
  );
  return { alumna: await tokenFor(clinic.id, clientIds[0], 'MEMBER'), lead: lead.auth };
}

describe('attendee lists', () => {
  it('run the same number of SQL statements for an event with 30 RSVPs as with 3', async () => {
    const counts: Record<'alumna' | 'lead', Record<number, number>> = { alumna: {}, lead: {} };
    for (const n of [3, 30]) {
      const { alumna, lead } = await alumniEventWith(n);
      for (const [who, auth, named] of [['alumna', alumna, n - 1], ['lead', lead, n]] as const) {
        ok(await gql(auth, `{ viewer { kind } }`));
        const res = await gql(auth, ATTENDEES);
        const [{ node: event }] = ok(res).groupEvents.edges;
        expect(event.counts.going).toBe(n);
        expect(event.attendees).toHaveLength(named);
        counts[who][n] = res.sqlStatements;
      }
    }
    console.log(
      `groupEvents { attendees counts } SQL statements — going alumna: ${counts.alumna[3]} for 3 RSVPs, ${counts.alumna[30]} for 30; ` +
        `facilitator: ${counts.lead[3]} for 3 RSVPs, ${counts.lead[30]} for 30`,
    );
    expect(counts.alumna[30]).toBe(counts.alumna[3]);
    expect(counts.lead[30]).toBe(counts.lead[3]);
  });
});
