import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';
import { StaffRoleEnum } from './staff-role';

@Entity('staff_members')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A person who works at the clinic.' })
export class StaffMember implements Node {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('text')
  @Field({ description: 'Full name as shown to colleagues and members.' })
  name: string;

  @Column('text')
  @Field(() => String, { nullable: true, description: 'Work email. Staff and roster integrations (`roster:read`, `roster:write`) only; null for other viewers.' })
  email: string | null;

  @Column('text')
  @Field(() => StaffRoleEnum, { description: 'Role in the clinic.' })
  role: StaffRoleEnum;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Professional credentials, e.g. "LCSW".' })
  credentials: string | null;

  @Column('boolean')
  @Field({ description: 'Inactive staff cannot sign in; their history stays.' })
  active: boolean;

  @Column('timestamptz')
  @Field({ description: 'When the staff member was added.' })
  createdAt: Date;

  @Column('timestamptz')
  @Field({ description: 'When the record last changed.' })
  updatedAt: Date;
}
