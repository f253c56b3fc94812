import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';
import { ApiKeyScopeEnum } from './api-key-scope';

@Entity('api_keys')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'An integration\'s API key. The secret itself is shown once, at creation; only its hash is stored. Read by admins (`apiKeys`, `node(id:)`) and by the integration itself (`viewer.apiKey`, `node(id:)` of its own id).' })
export class ApiKey implements Node {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('text')
  @Field({ description: 'Name of the integration or partner app using the key.' })
  name: string;

  @Column('text')
  @Field({ description: 'First characters of the key, to recognise it (e.g. "kin_Ab12Cd").' })
  keyPrefix: string;

  @Column('text')
  keyHash: string;

  @Column('text', { array: true })
  @Field(() => [ApiKeyScopeEnum], { description: 'What the key may do.' })
  scopes: ApiKeyScopeEnum[];

  @Column('uuid', { nullable: true })
  createdByStaffId: string | null;

  @Column('timestamptz')
  @Field({ description: 'When the key was created.' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  @Field(() => Date, { nullable: true, description: 'Last time the key authenticated a request (updated at most once a minute).' })
  lastUsedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the key was revoked; revoked keys are refused from the next request on.' })
  revokedAt: Date | null;

  @Column('uuid', { nullable: true })
  revokedByStaffId: string | null;
}
