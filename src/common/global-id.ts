/**
 * Relay global ids: opaque to clients, `<Type>:<uuid>` inside. Decoding checks the type, so an
 * id of one kind passed where another is expected is simply not found.
 */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toGlobalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function fromGlobalId(globalId: string): { type: string; id: string } | undefined {
  if (typeof globalId !== 'string' || globalId.length > 200) return undefined;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep <= 0) return undefined;
  const type = decoded.slice(0, sep);
  const id = decoded.slice(sep + 1);
  return UUID_RE.test(id) ? { type, id: id.toLowerCase() } : undefined;
}

/** A database id as events and logs show it (any case), lower-cased; undefined for anything else. */
export const databaseIdOf = (value: string): string | undefined => (UUID_RE.test(value) ? value.toLowerCase() : undefined);

/** The uuid behind a global id of the expected type, or undefined (callers answer NOT_FOUND). */
export function uuidOf(globalId: string, type: string): string | undefined {
  const parsed = fromGlobalId(globalId);
  return parsed && parsed.type === type ? parsed.id : undefined;
}
