import { registerEnumType } from 'type-graphql';

export enum StaffRoleEnum {
  ADMIN = 'ADMIN',
  SUPERVISOR = 'SUPERVISOR',
  CLINICIAN = 'CLINICIAN',
}
registerEnumType(StaffRoleEnum, {
  name: 'StaffRole',
  description: 'What a staff member may do in the clinic.',
  valuesConfig: {
    ADMIN: { description: 'Runs the clinic: staff, groups, rosters, integrations. Never reads clinical note bodies.' },
    SUPERVISOR: { description: 'Clinician who may read the records of every group in the clinic.' },
    CLINICIAN: { description: 'Facilitates groups; clinical access only to the groups they facilitate.' },
  },
});
