import { ArrayMaxSize, IsOptional } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { ConsentExpiryEvent, ConsentMethod, ConsentProvision, ConsentType } from './consent.enums';

@InputType({ description: 'A consent to record. Omit both groupId and integrationId for a clinic-wide consent.' })
export class GrantConsentInput {
  @Field(() => ID, { nullable: true, description: 'The client; members omit it (or give their own). Staff record on a client\'s behalf.' })
  @IsOptional()
  @SafeText({ max: 200 })
  clientId?: string | null;

  @Field(() => ConsentType, { description: 'What is consented to.' })
  type: ConsentType;

  @Field(() => ID, { nullable: true, description: 'Scope: one group (for GROUP_AGREEMENT, GOAL_SHARING, ALUMNI_DIRECTORY…).' })
  @IsOptional()
  @SafeText({ max: 200 })
  groupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Scope: one partner integration (ApiKey id), for PARTNER_DATA_SHARING only (BAD_USER_INPUT with another type, which no integration is ever asked).' })
  @IsOptional()
  @SafeText({ max: 200 })
  integrationId?: string | null;

  @Field(() => ConsentProvision, { defaultValue: ConsentProvision.PERMIT, description: 'PERMIT (default) or DENY.' })
  provision: ConsentProvision = ConsentProvision.PERMIT;

  @Field(() => String, { nullable: true, description: 'Purpose of use, up to 500 characters.' })
  @IsOptional()
  @SafeText({ max: 500 })
  purpose?: string | null;

  @Field(() => [String], { nullable: true, description: 'For PARTNER_DATA_SHARING only: the data classes it covers, `goals` and/or `check-ins` (empty: everything the type covers). Any other class, or classes on another type, answer BAD_USER_INPUT.' })
  @IsOptional()
  @ArrayMaxSize(20)
  @SafeText({ min: 1, max: 50 }, { each: true })
  dataClasses?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'When it lapses; must be in the future.' })
  @IsOptional()
  expiresAt?: Date | null;

  @Field(() => ConsentExpiryEvent, {
    nullable: true,
    description:
      'An event it lapses on, with or instead of expiresAt (whichever comes first): MEMBERSHIP_ENDS, when the client\'s participation ends (in the consent\'s group, or at the clinic). A PERMIT only (a DENY lapsing would widen sharing unasked), never ALUMNI_DIRECTORY (which is for after the membership), and only while a membership it names is open (BAD_USER_INPUT otherwise).',
  })
  @IsOptional()
  expiresOn?: ConsentExpiryEvent | null;

  @Field(() => ConsentMethod, {
    nullable: true,
    description: 'How it was given: members ELECTRONIC (default for them); staff SIGNED_FORM or VERBAL (required for them).',
  })
  @IsOptional()
  method?: ConsentMethod | null;

  @Field(() => String, { nullable: true, description: 'Version of the form or agreement, up to 50 characters.' })
  @IsOptional()
  @SafeText({ max: 50 })
  documentVersion?: string | null;
}

@InputType({ description: 'Revokes an active consent. Effective from the next request.' })
export class RevokeConsentInput {
  @Field(() => ID, { description: 'The consent record.' })
  @SafeText({ max: 200 })
  consentId: string;

  @Field(() => String, { nullable: true, description: 'Why, up to 500 characters.' })
  @IsOptional()
  @SafeText({ max: 500 })
  reason?: string | null;
}
