import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';

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

  @Column('jsonb')
  settings: Record<string, unknown>;

  @Column('timestamptz')
  @Field({ description: 'When the clinic was created.' })
  createdAt: Date;

  @Column('timestamptz')
  updatedAt: Date;
}
