import { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { createHash } from 'node:crypto';
import {
  DocumentNode, FieldNode, FormattedExecutionResult, getOperationAST, getVariableValues, GraphQLSchema, Kind, OperationDefinitionNode, parse, SelectionSetNode,
  specifiedRules, validate, ValidationRule, valueFromASTUntyped,
} from 'graphql';
import type { TokenClaims } from '../auth/tokens';
import type { StaffRole, Viewer } from '../auth/viewer';
import type { AuthedContext, RequestContext } from '../context';
import { RequestDb, rowsQuery, SessionCall, SessionStatement } from '../db/request-db';
import { ErrorCode } from '../errors/error-codes';
import { INTERNAL_MESSAGE } from '../errors/format-error';

/**
 * The fields a compiled read can answer, per level: `args` lists the arguments it understands,
 * `fields` the selection below. Anything else in an operation (another field or argument, a
 * fragment, a directive) sends the whole operation to the resolvers.
 */
export interface ShapeField {
  args?: readonly string[];
  fields?: Shape;
}
export type Shape = Readonly<Record<string, ShapeField>>;

/**
 * A hot screen answered from one statement instead of field-by-field resolution. `run` returns
 * `undefined` to decline (the resolvers then answer: errors, partial access, anything unusual),
 * so a compiled read only ever covers cases it reproduces exactly; differential tests hold it to
 * the resolvers' data and audit rows.
 */
export interface CompiledRead {
  /** The root fields it answers (`group`, …) and what it covers below each. */
  shape: Shape;
  /** The value of each root field the operation asks (`__typename` aside), or undefined to decline. */
  run(ctx: AuthedContext, fields: readonly FieldNode[], variables: Record<string, unknown>): Promise<Map<FieldNode, unknown> | undefined>;
  /**
   * The statement `run` would execute for this viewer, told from the token's claims alone, so the
   * first round trip can carry it (`RequestDb.begin`). `run` uses those rows only when, with the
   * viewer confirmed, it asks exactly the same call; nothing is released or audited otherwise.
   */
  speculate?(who: Who, fields: readonly FieldNode[], variables: Record<string, unknown>): SessionCall | undefined;
}

/** Who a compiled read plans for: what a verified token claims, or the same of the confirmed viewer. */
export type Who = { kind: 'STAFF'; role: StaffRole } | { kind: 'MEMBER'; clientId: string } | { kind: 'INTEGRATION' };

export const whoOf = (viewer: Viewer): Who =>
  viewer.kind === 'STAFF' ? { kind: 'STAFF', role: viewer.role } : viewer.kind === 'MEMBER' ? { kind: 'MEMBER', clientId: viewer.clientId } : { kind: 'INTEGRATION' };

const whoClaimed = (claims: TokenClaims): Who => (claims.role === 'MEMBER' ? { kind: 'MEMBER', clientId: claims.sub } : { kind: 'STAFF', role: claims.role });

/**
 * Whether `selection` asks only for what `shape` covers (fields, arguments; no fragments or
 * directives) and names each response key once: GraphQL merges repeated keys, `project` does not.
 */
export function withinShape(selection: SelectionSetNode | undefined, shape: Shape | undefined): boolean {
  if (!selection) return shape === undefined;
  if (!shape) return false;
  const keys = new Set<string>();
  return selection.selections.every((s) => {
    if (s.kind !== Kind.FIELD || s.directives?.length) return false;
    const key = s.alias?.value ?? s.name.value;
    if (keys.has(key)) return false;
    keys.add(key);
    if (s.name.value === '__typename') return !s.selectionSet && !s.arguments?.length;
    const spec = Object.hasOwn(shape, s.name.value) ? shape[s.name.value] : undefined;
    if (!spec) return false;
    if (!(s.arguments ?? []).every((a) => spec.args?.includes(a.name.value))) return false;
    return withinShape(s.selectionSet, spec.fields);
  });
}

/** An argument's value (a literal or a coerced variable), or `fallback` when not given. */
export function argumentOf(field: FieldNode, name: string, variables: Record<string, unknown>, fallback: unknown): unknown {
  const arg = field.arguments?.find((a) => a.name.value === name);
  if (!arg) return fallback;
  const value = valueFromASTUntyped(arg.value, variables);
  return value === undefined ? fallback : value;
}

/** The fields of `field`'s selection named `name` (several when aliases ask twice). */
export const selects = (field: FieldNode | undefined, name: string): FieldNode[] =>
  (field?.selectionSet?.selections ?? []).filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === name);

/**
 * One SQL text per combination of parts an operation asks for (an unused branch in a shared text
 * would still cost PostgreSQL executor start-up on every call), built once with its decoder, as a
 * session statement: prepared on a connection when it rides in a first round trip (`speculate`),
 * otherwise run through pg's own prepared statements (`RequestDb.execute`).
 */
export function statementPerShape<P extends object, D>(
  prefix: string,
  build: (parts: P) => { sql: string; decode: D },
  types: (parts: P) => string[],
): (parts: P) => { statement: SessionStatement; decode: D } {
  const built = new Map<string, { statement: SessionStatement; decode: D }>();
  return (parts) => {
    const key = JSON.stringify(parts);
    let shape = built.get(key);
    if (!shape) {
      const { sql, decode } = build(parts);
      const text = rowsQuery(sql);
      const name = `kinship_${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
      built.set(key, (shape = { statement: new SessionStatement(name, types(parts), text, { onDemand: true }), decode }));
    }
    return shape;
  };
}

/**
 * A row as `json_build_array` of named expressions, and its decoder back to named fields: the
 * keys stay in Node (as `json_build_object` keys they were ~25% of a compiled statement's CPU).
 * `nested` decodes fields that are themselves rows or lists of rows.
 */
export function jsonRow(columns: readonly (readonly [string, string])[], nested: Record<string, (value: unknown) => unknown> = {}) {
  const keys = columns.map(([key]) => key);
  const decoders = keys.map((key): ((value: unknown) => unknown) | undefined => nested[key]);
  return {
    sql: `json_build_array(${columns.map(([, expression]) => expression).join(', ')})`,
    decode<T>(value: unknown): T {
      const values = value as unknown[];
      const out: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const decode = decoders[i];
        out[keys[i]] = decode && values[i] != null ? decode(values[i]) : values[i];
      }
      return out as T;
    },
  };
}

export type JsonRow = ReturnType<typeof jsonRow>;

/** A `json_agg` of rows, decoded. */
export const decodeList =
  <T>(row: JsonRow) =>
  (value: unknown): T[] =>
    (value as unknown[]).map((v) => row.decode<T>(v));

/** Output for one object: each selected field (under its alias) from `resolve`. */
export function project(selection: SelectionSetNode, typename: string, resolve: (field: FieldNode) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of selection.selections as FieldNode[]) {
    out[s.alias?.value ?? s.name.value] = s.name.value === '__typename' ? typename : resolve(s);
  }
  return out;
}

type Verdict = { read: CompiledRead; fields: FieldNode[] } | null;

function compilable(operation: OperationDefinitionNode, reads: readonly CompiledRead[]): Verdict {
  if (operation.operation !== 'query' || operation.directives?.length) return null;
  const fields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value !== '__typename');
  if (!fields.length) return null;
  const read = reads.find((r) => withinShape(operation.selectionSet, r.shape));
  return read ? { read, fields } : null;
}

/**
 * Which compiled read (if any) answers an operation, decided once per parsed operation: documents
 * are cached (by Apollo, and by `compiledRequests` for request bodies), so a shape is walked once.
 */
export function compiledReadVerdicts(reads: readonly CompiledRead[]): (operation: OperationDefinitionNode) => Verdict {
  const verdicts = new WeakMap<OperationDefinitionNode, Verdict>();
  return (operation) => {
    let verdict = verdicts.get(operation);
    if (verdict === undefined) verdicts.set(operation, (verdict = compilable(operation, reads)));
    return verdict;
  };
}

const MAX_COMPILED_QUERY = 4096;

/** A request body asking a compiled read's operation: its document valid, its variables coerced. */
export interface CompiledRequest {
  operation: OperationDefinitionNode;
  /** The operation's own name, as Apollo reports and logs it. */
  operationName?: string;
  read: CompiledRead;
  fields: FieldNode[];
  variables: Record<string, unknown>;
}

/**
 * The compiled read a request body asks for, if any, read from the body before Apollo sees it:
 * for the front door (`front-door.ts`) and the first round trip's speculation. Each document text
 * is parsed and validated (graphql-js rules and the armor limits Apollo applies) once. Any doubt
 * (no such operation, a parse, validation or variable error) answers undefined: Apollo then
 * handles the request and reports the errors.
 */
export function compiledRequests(verdictOf: (operation: OperationDefinitionNode) => Verdict, schema: GraphQLSchema, options: { maxTokens: number; validationRules: readonly ValidationRule[] }) {
  // Partner apps send a handful of distinct documents: remember the compiled ones (most recently
  // used first out of reach of eviction), and, apart, a bounded set of texts that are not, so a
  // client sending endless distinct texts evicts nothing a screen needs.
  const compiled = new Map<string, DocumentNode>();
  const other = new Set<string>();
  const rules = [...specifiedRules, ...options.validationRules];
  const documentOf = (query: string): DocumentNode | undefined => {
    const known = compiled.get(query);
    if (known) {
      compiled.delete(query);
      compiled.set(query, known);
      return known;
    }
    if (other.has(query)) return undefined;
    let document: DocumentNode | undefined;
    try {
      document = parse(query, { maxTokens: options.maxTokens, noLocation: true });
      // Validated (and remembered) only when every operation in it is a compiled read's shape:
      // a document is then bounded by the shapes, whatever else a client sends.
      const shaped = document.definitions.every((d) => d.kind === Kind.OPERATION_DEFINITION && verdictOf(d));
      if (!shaped || validate(schema, document, rules).length) document = undefined;
    } catch {
      document = undefined;
    }
    if (document) {
      if (compiled.size >= 200) compiled.delete(compiled.keys().next().value!);
      compiled.set(query, document);
    } else {
      if (other.size >= 1000) other.clear();
      other.add(query);
    }
    return document;
  };
  return (body: unknown): CompiledRequest | undefined => {
    const { query, operationName, variables } = (body ?? {}) as { query?: unknown; operationName?: unknown; variables?: unknown };
    // Compiled shapes are short documents; anything long is left to Apollo alone.
    if (typeof query !== 'string' || query.length > MAX_COMPILED_QUERY || (operationName != null && typeof operationName !== 'string')) return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    const document = documentOf(query);
    const operation = document && getOperationAST(document, operationName ?? undefined);
    const verdict = operation && verdictOf(operation);
    if (!operation || !verdict) return undefined;
    try {
      const values = getVariableValues(schema, operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>);
      if (values.errors) return undefined;
      return { operation, operationName: operation.name?.value, read: verdict.read, fields: verdict.fields, variables: values.coerced };
    } catch {
      return undefined; // whatever it was, the request proper will say
    }
  };
}

/** The speculative statement for a compiled request, planned from a verified token's claims. */
export const speculationFor = (request: CompiledRequest | undefined, claims: TokenClaims): SessionCall | undefined =>
  request?.read.speculate?.(whoClaimed(claims), request.fields, request.variables);

/**
 * Requests (by their transaction: Apollo hands resolvers a shallow copy of the context) the front
 * door already tried a compiled read for: the plugin does not run it a second time.
 */
export const triedCompiled = new WeakSet<RequestDb>();

/**
 * A compiled read's result for an operation, or undefined where it declines (the resolvers then
 * answer). A read that throws may have aborted its transaction, so the resolvers cannot take
 * over: it is answered as any internal error is (the lifecycle rolls back, logs and adds the
 * request id).
 */
export async function answerCompiled(
  ctx: AuthedContext, operation: OperationDefinitionNode, read: CompiledRead, fields: readonly FieldNode[], variables: Record<string, unknown>,
): Promise<FormattedExecutionResult | undefined> {
  let values: Map<FieldNode, unknown> | undefined;
  try {
    values = await read.run(ctx, fields, variables);
  } catch (error) {
    const e = error as { name?: string; code?: string };
    const operationName = operation.name?.value;
    // A client gone mid-read rolled the transaction back under it: not an internal error.
    if (ctx.db.clientGone) ctx.log.info({ requestId: ctx.requestId, operationName }, 'client went away; rolled back');
    else ctx.log.error({ requestId: ctx.requestId, operationName, err: { type: e?.name, sqlState: e?.code } }, 'compiled read failed');
    return { data: null, errors: [{ message: INTERNAL_MESSAGE, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] };
  }
  return values && { data: project(operation.selectionSet, 'Query', (f) => values.get(f)) };
}

/** Answers covered operations before execution; the request lifecycle (audit, commit, log) is unchanged. */
export function compiledReadsPlugin(verdictOf: (operation: OperationDefinitionNode) => Verdict): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation(rc) {
          const ctx = rc.contextValue;
          const operation = rc.operation;
          if (!ctx.viewer || !ctx.db.active || !operation || triedCompiled.has(ctx.db)) return null;
          const verdict = verdictOf(operation);
          if (!verdict) return null;
          const { read, fields } = verdict;
          // Variables as execution would see them (types checked, defaults applied); any error is
          // the resolvers' to report.
          const variables = getVariableValues(rc.schema, operation.variableDefinitions ?? [], rc.request.variables ?? {});
          if (variables.errors) return null;
          const result = await answerCompiled(ctx as AuthedContext, operation, read, fields, variables.coerced);
          return result ? { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: result } } : null;
        },
      };
    },
  };
}
