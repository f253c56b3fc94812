import { ApiKey } from '../modules/api-keys/api-key.entity';
import { Clinic } from '../modules/clinic/clinic.entity';
import { Client } from '../modules/clients/client.entity';
import { ExternalIdentifier } from '../modules/external-ids/external-identifier.entity';
import { GroupFacilitator } from '../modules/groups/group-facilitator.entity';
import { TherapyGroup } from '../modules/groups/therapy-group.entity';
import { Membership, MembershipEvent } from '../modules/memberships/membership.entity';
import { StaffMember } from '../modules/staff/staff-member.entity';

export const ENTITIES = [Clinic, StaffMember, Client, ExternalIdentifier, ApiKey, TherapyGroup, GroupFacilitator, Membership, MembershipEvent];
