import { ArrayMaxSize, IsOptional, ValidateNested } from 'class-validator';
import { Field, InputType, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { SafeText } from '../../common/safe-text';

@Entity('external_identifiers')
@ObjectType({ simpleResolvers: true, description: 'How an outside system (EHR, practice management) names this record: a (system, value) pair, unique per clinic.' })
export class ExternalIdentifier {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('text')
  resourceType: string;

  @Column('uuid')
  resourceId: string;

  @Column('text')
  @Field({ description: 'The identifier system, e.g. a URI naming the EHR.' })
  system: string;

  @Column('text')
  @Field({ description: 'The identifier within that system.' })
  value: string;
}

@InputType({ description: 'An external identifier: a (system, value) pair.' })
export class ExternalIdentifierInput {
  @Field({ description: 'The identifier system, 1–200 characters.' })
  @SafeText({ min: 1, max: 200 })
  system: string;

  @Field({ description: 'The identifier value, 1–200 characters.' })
  @SafeText({ min: 1, max: 200 })
  value: string;
}

/** An input's optional `externalIds`: at most 10 pairs, each validated. One decorator for every input that takes them. */
export function ExternalIdsField(description: string): PropertyDecorator {
  return (target, key) => {
    Field(() => [ExternalIdentifierInput], { nullable: true, description })(target, key);
    IsOptional()(target, key);
    ArrayMaxSize(10)(target, key);
    ValidateNested({ each: true })(target, key);
  };
}
