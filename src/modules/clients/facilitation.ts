import type { RequestContext } from '../../context';

/**
 * Of `clientIds`, those in a group the viewing clinician currently facilitates.
 * Groups arrive with the groups module; until then a clinician facilitates no one.
 */
export async function facilitatedClientIds(_ctx: RequestContext, _clientIds: readonly string[]): Promise<Set<string>> {
  return new Set();
}
