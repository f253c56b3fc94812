import { registerEnumType } from 'type-graphql';

/** What happened to a resource. Never its content: audit rows hold references only. */
export enum AuditAction {
  READ = 'READ',
  CREATE = 'CREATE',
  UPDATE = 'UPDATE',
  DELETE = 'DELETE',
  SIGN = 'SIGN',
  EXPORT = 'EXPORT',
  DISCLOSE = 'DISCLOSE',
  DENIED = 'DENIED',
}
registerEnumType(AuditAction, {
  name: 'AuditAction',
  description: 'Kind of access an audit event records.',
  valuesConfig: {
    READ: { description: 'A record was read.' },
    CREATE: { description: 'A record was created.' },
    UPDATE: { description: 'A record was changed.' },
    DELETE: { description: 'A record was removed or revoked.' },
    SIGN: { description: 'A clinical record was signed.' },
    EXPORT: { description: 'A record left the system in an export.' },
    DISCLOSE: { description: 'A record was released to a partner integration under consent.' },
    DENIED: { description: 'An attempt was refused.' },
  },
});

export enum AuditActorType {
  STAFF = 'STAFF',
  CLIENT = 'CLIENT',
  INTEGRATION = 'INTEGRATION',
  SYSTEM = 'SYSTEM',
}
registerEnumType(AuditActorType, {
  name: 'AuditActorType',
  description: 'Who performed an audited action.',
  valuesConfig: {
    STAFF: { description: 'A staff member (admin, supervisor or clinician).' },
    CLIENT: { description: 'A member acting for themselves.' },
    INTEGRATION: { description: 'A partner integration through its API key.' },
    SYSTEM: { description: 'The system itself (seed, scheduled work).' },
  },
});
