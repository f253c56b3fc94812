import type { Logger } from 'pino';
import type { AuditLog } from './audit/audit-log';
import type { Viewer } from './auth/viewer';
import type { RequestDb } from './db/request-db';
import type { Loaders } from './loaders';
import type { NoteCipher } from './modules/notes/note-cipher';

/** Everything a request's resolvers, services and loaders share; built fresh per request. */
export interface RequestContext {
  requestId: string;
  viewer?: Viewer;
  db: RequestDb;
  loaders: Loaders;
  audit: AuditLog;
  log: Logger;
  noteCipher: NoteCipher;
}

/** Resolvers past the auth checker always have a viewer. */
export type AuthedContext = RequestContext & { viewer: Viewer };
