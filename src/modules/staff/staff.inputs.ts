import { IsEmail, IsOptional } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { SafeText } from '../../common/safe-text';
import { EmailAddress } from '../../common/scalars';
import { StaffRoleEnum } from './staff-role';

@InputType({ description: 'A new staff member.' })
export class CreateStaffMemberInput {
  @Field({ description: 'Full name, 1–200 characters.' })
  @SafeText({ min: 1, max: 200 })
  name: string;

  @Field(() => EmailAddress, { description: 'Work email, unique within the clinic.' })
  @IsEmail()
  @SafeText({ max: 320 })
  email: string;

  @Field(() => StaffRoleEnum, { description: 'Role in the clinic.' })
  role: StaffRoleEnum;

  @Field(() => String, { nullable: true, description: 'Professional credentials, up to 100 characters.' })
  @IsOptional()
  @SafeText({ max: 100 })
  credentials?: string | null;
}

@InputType({ description: 'Changes to a staff member; omitted fields stay as they are.' })
export class UpdateStaffMemberInput {
  @Field(() => ID, { description: 'The staff member to change.' })
  @SafeText({ max: 200 })
  id: string;

  @Field(() => String, { nullable: true, description: 'Full name, 1–200 characters.' })
  @IsOptional()
  @SafeText({ min: 1, max: 200 })
  name?: string;

  @Field(() => EmailAddress, { nullable: true, description: 'Work email, unique within the clinic.' })
  @IsOptional()
  @IsEmail()
  @SafeText({ max: 320 })
  email?: string;

  @Field(() => StaffRoleEnum, { nullable: true, description: 'Role in the clinic.' })
  @IsOptional()
  role?: StaffRoleEnum;

  @Field(() => String, { nullable: true, description: 'Professional credentials, up to 100 characters.' })
  @IsOptional()
  @SafeText({ max: 100 })
  credentials?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'False deactivates: the person can no longer sign in, and their facilitator assignments to groups that still meet end (reactivated, they are assigned again to open one; those of concluded groups stay, for their notes). Refused (CONFLICT) for the only lead of an ACTIVE group, or the last admin.' })
  @IsOptional()
  active?: boolean;
}
