import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';
import { CalendarDate } from '../../common/scalars';

@Entity('clients')
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    'A client of the clinic (a group member). Readable by admins, supervisors, clinicians of a group the client belongs to, roster integrations, and the client themself.',
})
export class Client implements Node {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('text')
  @Field({ description: 'Legal given name.' })
  givenName: string;

  @Column('text')
  @Field({ description: 'Legal family name.' })
  familyName: string;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'The name the client asks to be called by.' })
  preferredName: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Pronouns, as the client states them.' })
  pronouns: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Email address.' })
  email: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Phone number, E.164.' })
  phone: string | null;

  @Column('date', { nullable: true })
  @Field(() => CalendarDate, { nullable: true, description: 'Date of birth.' })
  dateOfBirth: string | null;

  @Column('timestamptz')
  @Field({ description: 'When the record was created.' })
  createdAt: Date;

  @Column('timestamptz')
  @Field({ description: 'When the record last changed.' })
  updatedAt: Date;

  @Field({ description: 'Preferred (or given) first name and last initial, e.g. "Sam K." — the only name peers ever see.' })
  get displayName(): string {
    return displayNameOf(this);
  }
}

/** A client row's name columns (`t` its SQL alias) for a compiled read's `jsonRow`, keyed as `displayNameOf` reads them. */
export const nameColumns = (t: string): [string, string][] => [['givenName', `${t}.given_name`], ['familyName', `${t}.family_name`], ['preferredName', `${t}.preferred_name`]];

/**
 * The order of lists members see of each other: by the display name they see, then by client id.
 * Never by legal names, which the order would otherwise tell about (a preferred name that is not
 * the legal one, how hidden surnames compare).
 */
export const byDisplayName = (a: { displayName: string; clientId: string }, b: { displayName: string; clientId: string }): number =>
  a.displayName.localeCompare(b.displayName) || (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0);

export function displayNameOf(c: Pick<Client, 'preferredName' | 'givenName' | 'familyName'>): string {
  const first = (c.preferredName?.trim() || c.givenName).split(/\s+/)[0];
  const initial = [...c.familyName.trim()][0] ?? '';
  return initial ? `${first} ${initial.toUpperCase()}.` : first;
}
