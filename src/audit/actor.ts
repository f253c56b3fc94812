import DataLoader from 'dataloader';
import { Field, ObjectType } from 'type-graphql';
import { namesPeopleTo } from '../auth/viewer';
import type { RequestContext } from '../context';
import { displayNameOf } from '../modules/clients/client.entity';
import { AuditActorType } from './audit-action';

@ObjectType({ simpleResolvers: true, description: 'Who acted, as a person would recognise them.' })
export class Actor {
  @Field(() => AuditActorType, { description: 'Kind of actor.' })
  kind: AuditActorType;

  @Field(() => String, { nullable: true, description: 'Staff member\'s name (for integrations, only with a roster scope), integration\'s name, another member\'s display name (null for integrations, and for a member who was never seated in a group with you at the same time), or "you".' })
  name: string | null;

  @Field(() => String, { nullable: true, description: 'Staff role (ADMIN, SUPERVISOR, CLINICIAN), when a staff member (for integrations, only with a roster scope, as the name).' })
  role: string | null;
}

/** Names for (kind, id) actor references, one statement per kind per request. */
export const actorLoader = (ctx: RequestContext) =>
  new DataLoader<string, Actor>(async (keys) => {
    const ids = (kind: string) => keys.filter((k) => k.startsWith(`${kind}:`)).map((k) => k.slice(kind.length + 1));
    // Staff names are roster data: none to a key reading who recorded a consent without a roster scope.
    const namesStaff = namesPeopleTo(ctx.viewer);
    const [staff, keysRows, clients] = await Promise.all([
      ids('STAFF').length && namesStaff
        ? ctx.db.query<{ id: string; name: string; role: string }>(`SELECT id, name, role FROM staff_members WHERE id = ANY($1)`, [ids('STAFF')])
        : [],
      ids('INTEGRATION').length
        ? ctx.db.query<{ id: string; name: string }>(`SELECT id, name FROM api_keys WHERE id = ANY($1)`, [ids('INTEGRATION')])
        : [],
      // Other members appear by display name only (the name peers already see), and only to people:
      // an integration reading a consent record may not read its client, so gets no name for them,
      // and a member only for someone who was seated in a group with them at the same time (as
      // peers see each other): a name would tell anyone else that this person is a client here.
      ids('CLIENT').length && ctx.viewer?.kind !== 'INTEGRATION'
        ? ctx.db.query<{ id: string; given_name: string; family_name: string; preferred_name: string | null }>(
            `SELECT id, given_name, family_name, preferred_name FROM clients c WHERE id = ANY($1)
                AND ($2::uuid IS NULL OR c.id = $2 OR EXISTS (
                  SELECT 1 FROM memberships theirs JOIN memberships mine ON mine.group_id = theirs.group_id
                   WHERE theirs.client_id = c.id AND mine.client_id = $2 AND theirs.period_start IS NOT NULL AND mine.period_start IS NOT NULL
                     AND theirs.period_start <= coalesce(mine.period_end, 'infinity') AND mine.period_start <= coalesce(theirs.period_end, 'infinity')))`,
            [ids('CLIENT'), ctx.viewer?.kind === 'MEMBER' ? ctx.viewer.clientId : null],
          )
        : [],
    ]);
    const clientById = new Map(clients.map((c) => [c.id, displayNameOf({ givenName: c.given_name, familyName: c.family_name, preferredName: c.preferred_name })]));
    const staffById = new Map(staff.map((s) => [s.id, s]));
    const keyById = new Map(keysRows.map((k) => [k.id, k]));
    const self = ctx.viewer?.kind === 'MEMBER' ? ctx.viewer.clientId : undefined;
    return keys.map((key) => {
      const [kind, id] = key.split(':') as [AuditActorType, string];
      const actor: Actor = Object.assign(new Actor(), { kind, name: null as string | null, role: null as string | null });
      if (kind === AuditActorType.STAFF) Object.assign(actor, { name: staffById.get(id)?.name ?? null, role: staffById.get(id)?.role ?? null });
      if (kind === AuditActorType.INTEGRATION) actor.name = keyById.get(id)?.name ?? null;
      if (kind === AuditActorType.CLIENT) actor.name = id === self ? 'you' : (clientById.get(id) ?? null);
      return actor;
    });
  });

export const actorKey = (type: string, id: string | null) => `${type}:${id ?? ''}`;
