import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';
import { PeerContactPolicy } from '../groups/group.enums';

@ObjectType({ simpleResolvers: true, description: 'How the clinic runs its groups, where a group does not say otherwise.' })
export class ClinicSettings {
  @Field(() => PeerContactPolicy, {
    description: 'When members of a new group may exchange contact details, unless the group is created with its own policy (AFTER_COMPLETION until an admin changes it).',
  })
  defaultPeerContactPolicy: PeerContactPolicy;
}

@Entity('clinics')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A clinic: the tenant. Every record belongs to exactly one clinic.' })
export class Clinic implements Node {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  @Field({ description: 'Display name of the clinic.' })
  name: string;

  @Column('text')
  @Field({ description: 'Short unique handle, lowercase letters, digits and dashes.' })
  slug: string;

  @Column('text')
  @Field({ description: 'IANA time zone in which sessions and daily goals are reckoned, e.g. Europe/Berlin.' })
  timezone: string;

  /** Stored settings (jsonb); `settingsOf` reads them with their defaults. */
  @Column('jsonb')
  settings: Record<string, unknown>;

  @Column('timestamptz')
  @Field({ description: 'When the clinic was created.' })
  createdAt: Date;

  @Column('timestamptz')
  updatedAt: Date;
}
