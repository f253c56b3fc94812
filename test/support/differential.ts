/**
 * Differential runs for compiled reads: the same operation on the app as deployed and on one with
 * compiled reads off must give the same status, data, error codes and audit rows.
 */
import { ownerQuery } from './factories';
import { gql, TestApp } from './test-app';

export interface Run {
  status: number;
  data: unknown;
  codes: string[];
  audit: string[];
  statements: number;
}

/** A request's audit rows, one comparable line each, sorted. */
export async function auditOf(requestId: string): Promise<string[]> {
  const rows = await ownerQuery<{ line: string }>(
    `SELECT concat_ws('|', clinic_id, actor_type, actor_id, action, resource_type, resource_id, subject_client_id, code) AS line
       FROM audit_events WHERE request_id = $1 ORDER BY 1`,
    [requestId],
  );
  return rows.map((r) => r.line);
}

/** `both(auth, query, variables)` against the default app and `resolversOnly()`, asserting they agree. */
export function differential(resolversOnly: () => TestApp) {
  return async function both(auth: string, query: string, variables: Record<string, unknown> = {}): Promise<{ compiled: Run; resolvers: Run }> {
    const runs: Run[] = [];
    for (const on of [undefined, resolversOnly()]) {
      const res = await gql(auth, query, variables, on);
      const requestId = res.body.extensions?.requestId;
      runs.push({ status: res.status, data: res.data ?? null, codes: res.codes, audit: requestId ? await auditOf(requestId) : [], statements: res.sqlStatements });
    }
    const [compiled, resolvers] = runs;
    expect(compiled.status).toBe(resolvers.status);
    expect(compiled.data).toEqual(resolvers.data);
    expect(compiled.codes).toEqual(resolvers.codes);
    expect(compiled.audit).toEqual(resolvers.audit);
    return { compiled, resolvers };
  };
}
