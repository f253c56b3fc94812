import { IsEmail, IsOptional } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { CalendarDate, EmailAddress, PhoneNumber } from '../../common/scalars';
import { ExternalIdentifierInput, ExternalIdsField } from '../external-ids/external-identifier.entity';

@InputType({ description: 'A new client.' })
export class CreateClientInput {
  @Field({ description: 'Legal given name, 1–100 characters.' })
  @SafeText({ min: 1, max: 100 })
  givenName: string;

  @Field({ description: 'Legal family name, 1–100 characters.' })
  @SafeText({ min: 1, max: 100 })
  familyName: string;

  @Field(() => String, { nullable: true, description: 'Preferred name, up to 100 characters.' })
  @IsOptional()
  @SafeText({ max: 100 })
  preferredName?: string | null;

  @Field(() => String, { nullable: true, description: 'Pronouns, up to 50 characters.' })
  @IsOptional()
  @SafeText({ max: 50 })
  pronouns?: string | null;

  @Field(() => EmailAddress, { nullable: true, description: 'Email address.' })
  @IsOptional()
  @IsEmail()
  @SafeText({ max: 320 })
  email?: string | null;

  @Field(() => PhoneNumber, { nullable: true, description: 'Phone number in E.164 form, e.g. +14155550123.' })
  @IsOptional()
  @SafeText({ max: 20 })
  phone?: string | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Date of birth, YYYY-MM-DD: from 1900-01-01 through today in the clinic\'s calendar, as a roster sync accepts it (BAD_USER_INPUT otherwise).' })
  @IsOptional()
  dateOfBirth?: Date | null;

  @ExternalIdsField('Identifiers in outside systems (at most 10).')
  externalIds?: ExternalIdentifierInput[] | null;

  @Field(() => String, { nullable: true, description: 'Retry key (1–200 characters), kept 24 hours per caller: the same key and input write nothing again and return the record the first request wrote, as it stands now and as you may now see it; the same key with another input answers IDEMPOTENCY_KEY_REUSED.' })
  @IsOptional()
  @SafeText({ max: 200 })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Changes to a client; omitted fields stay as they are, null clears an optional field.' })
export class UpdateClientInput {
  @Field(() => ID, { description: 'The client to change.' })
  @SafeText({ max: 200 })
  id: string;

  @Field(() => String, { nullable: true, description: 'Legal given name, 1–100 characters.' })
  @IsOptional()
  @SafeText({ min: 1, max: 100 })
  givenName?: string;

  @Field(() => String, { nullable: true, description: 'Legal family name, 1–100 characters.' })
  @IsOptional()
  @SafeText({ min: 1, max: 100 })
  familyName?: string;

  @Field(() => String, { nullable: true, description: 'Preferred name, up to 100 characters.' })
  @IsOptional()
  @SafeText({ max: 100 })
  preferredName?: string | null;

  @Field(() => String, { nullable: true, description: 'Pronouns, up to 50 characters.' })
  @IsOptional()
  @SafeText({ max: 50 })
  pronouns?: string | null;

  @Field(() => EmailAddress, { nullable: true, description: 'Email address.' })
  @IsOptional()
  @IsEmail()
  @SafeText({ max: 320 })
  email?: string | null;

  @Field(() => PhoneNumber, { nullable: true, description: 'Phone number in E.164 form.' })
  @IsOptional()
  @SafeText({ max: 20 })
  phone?: string | null;

  @Field(() => CalendarDate, { nullable: true, description: 'Date of birth, YYYY-MM-DD: from 1900-01-01 through today in the clinic\'s calendar (BAD_USER_INPUT otherwise).' })
  @IsOptional()
  dateOfBirth?: Date | null;

  @ExternalIdsField('Identifiers to add (existing ones are kept).')
  externalIds?: ExternalIdentifierInput[] | null;
}
