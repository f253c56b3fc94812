import { createHash } from 'node:crypto';
import { escapeLiteral } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { PoolSettings, poolSettingsOf } from './data-source';
import { sqlState } from './pg-errors';
import type { StatementStats } from './statement-counter';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX_RE = /^[0-9a-f]{64}$/;

/**
 * A statement each pooled connection keeps prepared (SQL `PREPARE`) and runs by `EXECUTE` inside
 * a simple-query message. The messages that open and commit a request's transaction carry
 * several statements in one round trip, which pg's parameterised queries cannot; as plain text
 * their statements were parsed and planned on every request, which cost PostgreSQL more than
 * running them. Create them at module top level: every connection prepares every one before its
 * first transaction, so a broken statement fails every request at once (a deploy error, loudly).
 * Names share PostgreSQL's namespace with pg's own prepared statements (`k` + hex): keep `kinship_`.
 */
export class SessionStatement {
  /**
   * `onDemand` statements (one per compiled-read shape, made when first asked) are prepared on a
   * connection only when a first round trip there carries them, not on every connection up front.
   * Queries returning rows are given as `rowsQuery(…)`.
   */
  constructor(
    readonly name: string,
    private readonly types: readonly string[],
    readonly sql: string,
    options: { onDemand?: boolean } = {},
  ) {
    if (options.onDemand) return;
    if (sessionStatements.some((s) => s.name === name)) throw new Error(`session statement ${name} is defined twice`);
    sessionStatements.push(this);
  }

  get prepare(): string {
    return `PREPARE ${this.name}(${this.types.join(', ')}) AS ${this.sql}`;
  }

  /** The `EXECUTE` for these values; each is quoted here as a literal (null as NULL). */
  execute(values: readonly (string | null | undefined)[]): SessionCall {
    if (values.length !== this.types.length) throw new Error(`${this.name} takes ${this.types.length} values`);
    return { statement: this, values, sql: `EXECUTE ${this.name}(${values.map(literal).join(', ')})` };
  }

  /**
   * The statement itself with these values in place of its parameters, each a literal of the
   * parameter's type: for a connection that cannot keep it prepared (a transaction-mode pooler).
   * Statement texts are this code's own and hold no `$` other than parameters.
   */
  inline(values: readonly (string | null | undefined)[]): string {
    return this.sql.replace(/\$(\d+)\b/g, (_, n: string) => `${literal(values[Number(n) - 1])}::${this.types[Number(n) - 1]}`);
  }
}

const literal = (v: string | null | undefined) => (v === null || v === undefined ? 'NULL' : escapeLiteral(v));

export interface SessionCall {
  statement: SessionStatement;
  values: readonly (string | null | undefined)[];
  sql: string;
}

/**
 * A query returning rows, as a session statement prepares it: `EXECUTE` deep-copies a statement's
 * top-level select list on every call (for the row description), and with subqueries in that
 * list it copied the whole parse tree (~7% of PostgreSQL's CPU on the member home). Selected from
 * as a subquery, the list is a few Vars.
 */
export const rowsQuery = (sql: string) => `SELECT * FROM (${sql}) AS result`;

/** An array literal's text, every element double-quoted and NULLs bare (`execute` quotes it as a whole). */
export const arrayLiteral = (values: readonly (string | null | undefined)[]) =>
  `{${values.map((v) => (v === null || v === undefined ? 'NULL' : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;

/** A request whose client went away before its transaction opened: nothing of it runs. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor() {
    super('the client went away before the request began');
  }
}

/** Every session statement, each prepared on a connection before its first transaction opens. */
const sessionStatements: SessionStatement[] = [];
/** The session statements each connection has prepared (connections are the pool's pg clients). */
const preparedOn = new WeakMap<object, Set<string>>();

/**
 * The request's only way to the database: one connection, one transaction, the tenant set
 * transaction-locally (never session-level, so a pooled connection carries nothing over).
 */
export class RequestDb {
  readonly stats: StatementStats = { statements: 0 };
  /** Set when the client disconnected before the response: the transaction was rolled back under the resolvers. */
  clientGone = false;
  private runner?: QueryRunner;
  private clinic?: string;
  private connection?: PgConnection;
  /** Loaders fire in parallel; one connection runs one statement at a time, so queue them explicitly. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Whether a transaction of this request has opened (a failed mutation opens a second, for its denials). */
  private began = false;

  /** Behind a transaction-mode pooler (`pool.transactionPooler`): no prepared statements, timeouts set per transaction. */
  private readonly pool: PoolSettings;

  constructor(private readonly dataSource: DataSource) {
    this.pool = poolSettingsOf(dataSource);
  }

  private get pooler(): boolean {
    return this.pool.transactionPooler === true;
  }

  /** A session statement's call as this connection runs it: `EXECUTE`, or the statement inline. */
  private textOf(call: SessionCall): string {
    return this.pooler ? call.statement.inline(call.values) : call.sql;
  }

  get active(): boolean {
    return this.runner !== undefined;
  }

  get clinicId(): string | undefined {
    return this.clinic;
  }

  /**
   * Opens the transaction; the tenant settings, optionally a first lookup (a session statement)
   * and a speculative read travel in the same round trip. Returns the lookup's rows. The
   * speculative read's rows are kept for `execute` of the same call, and used only if the
   * request, once its viewer is known, asks exactly that call; otherwise they are dropped unseen.
   */
  async begin(setting?: { clinicId?: string; apiKeyHash?: string; staffId?: string }, lookup?: SessionCall, speculative?: SessionCall): Promise<Record<string, unknown>[]> {
    if (this.runner) throw new Error('request transaction already open');
    const runner = this.dataSource.createQueryRunner();
    runner.data = { stats: this.stats };
    const connection = (await runner.connect()) as PgConnection;
    // The client left while this request waited for a connection: open nothing, do nothing. (Not
    // for a later transaction of the same request: a failed mutation's denials are still written.)
    if (this.clientGone && !this.began) {
      await runner.release();
      throw new ClientGoneError();
    }
    this.runner = runner;
    this.connection = connection;
    this.began = true;
    // TypeORM's own statements (entity finds, COMMIT) join the same queue as ours.
    const viaOrm = runner.query.bind(runner);
    runner.query = ((sql: string, params?: unknown[], structured?: boolean) => this.enqueue(() => viaOrm(sql, params, structured as true))) as QueryRunner['query'];
    // Values are validated to uuid / hex shape, so inlining them is safe and saves a round trip.
    // Every statement here is an OLTP lookup by ids: their generic plans are as good as custom
    // ones, and re-planning each execution (PostgreSQL's choice for array parameters) cost more
    // database CPU than running them.
    // (Behind a pooler statements are unnamed and planned on every run: a generic plan would only be worse.)
    const sets: string[] = [this.pooler ? `set_config('plan_cache_mode', 'auto', true)` : `set_config('plan_cache_mode', 'force_generic_plan', true)`];
    if (this.pooler) {
      // Numbers from the configuration. Transaction-local, like the tenant: the server connection is shared.
      sets.push(`set_config('statement_timeout', '${Math.trunc(this.pool.statementTimeoutMs)}', true)`);
      sets.push(`set_config('idle_in_transaction_session_timeout', '${Math.trunc(this.pool.idleInTransactionTimeoutMs)}', true)`);
    }
    if (setting?.clinicId) {
      if (!UUID_RE.test(setting.clinicId)) throw new Error('invalid clinic id');
      sets.push(`set_config('app.clinic_id', '${setting.clinicId}', true)`);
      this.clinic = setting.clinicId;
    }
    if (setting?.staffId) {
      // Read by the psychotherapy-note policy: the database itself shows those notes to their author only.
      if (!UUID_RE.test(setting.staffId)) throw new Error('invalid staff id');
      sets.push(`set_config('app.staff_id', '${setting.staffId}', true)`);
    }
    if (setting?.apiKeyHash) {
      if (!HEX_RE.test(setting.apiKeyHash)) throw new Error('invalid key hash');
      sets.push(`set_config('app.api_key_hash', '${setting.apiKeyHash}', true)`);
    }
    const opening = [`START TRANSACTION; SELECT ${sets.join(', ')}`, lookup && this.textOf(lookup)].filter(Boolean).join('; ');
    // A multi-statement simple query: sent straight to the pooled pg client (TypeORM keeps only one result).
    this.stats.statements += 1;
    type Result = { rows?: Record<string, unknown>[] };
    const listOf = (r: Result | Result[]) => (Array.isArray(r) ? r : [r]);
    const attempt = async (also?: SessionCall): Promise<Result[]> => {
      if (!this.pooler) await prepareOn(connection, also?.statement);
      return listOf(await queryOrRollback(connection, also ? `${opening}; ${this.textOf(also)}` : opening));
    };
    const send = async (): Promise<Result[]> => {
      try {
        return await attempt(speculative);
      } catch (error) {
        // A speculative read never fails a request by itself (a database error: open again without
        // it; if the request needs it after all, it runs, and fails, as the compiled read's own).
        if (!speculative || sqlState(error) === undefined) throw error;
        speculative = undefined;
        this.stats.statements += 2;
        return attempt();
      }
    };
    const sent = send();
    // `end` waits for the opening: a disconnect mid-flight must not hand the connection to another
    // request while this message (and its transaction) is still under way on it.
    this.opening = sent.then(
      () => void (this.opening = undefined),
      () => void (this.opening = undefined),
    );
    const results = await sent;
    // TypeORM tracks transactions it started itself; tell it this one is open.
    (runner as { isTransactionActive: boolean }).isTransactionActive = true;
    if (speculative) this.speculated = { sql: speculative.sql, rows: results.pop()?.rows ?? [] };
    return lookup ? (results[results.length - 1]?.rows ?? []) : [];
  }

  private opening?: Promise<void>;

  /** The speculative read's call and rows, until `execute` takes them. */
  private speculated?: { sql: string; rows: Record<string, unknown>[] };

  /**
   * The rows of a compiled read's call: those the first round trip already read for the same
   * call, or else the statement run now as an ordinary parameterised query (pg's named prepared
   * statements: no SQL `PREPARE` inside the transaction, whose failure would abort it).
   */
  async execute<T = Record<string, unknown>>(call: SessionCall): Promise<T[]> {
    if (!this.connection || !this.runner) throw new Error('no request transaction');
    const speculated = this.speculated;
    this.speculated = undefined;
    if (speculated?.sql === call.sql) return speculated.rows as T[];
    return this.query<T>(call.statement.sql, [...call.values]);
  }

  /** Records the tenant a statement of this transaction already set (an API key lookup does). */
  adoptClinic(clinicId: string): void {
    this.clinic = clinicId;
  }

  /** The clinic's time zone and the transaction's clock, when the first round trip read them. */
  clock?: { timeZone: string; now: Date };

  get manager(): EntityManager {
    if (!this.runner) throw new Error('no request transaction');
    return this.runner.manager;
  }

  /**
   * Runs one statement as a named prepared statement on the request's connection: PostgreSQL
   * parses and plans each distinct text once per pooled connection instead of on every request.
   */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const connection = this.connection;
    if (!connection || !this.runner) throw new Error('no request transaction');
    const result = (await this.enqueue(() => {
      this.stats.statements += 1;
      // Behind a transaction-mode pooler an unnamed statement: a named one lives in the session.
      return this.pooler ? connection.query({ text: sql, values: params }) : connection.query({ name: statementName(sql), text: sql, values: params });
    })) as { rows?: T[] };
    return result.rows ?? [];
  }

  private enqueue<R>(work: () => Promise<R>): Promise<R> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `writes` (session statements' `EXECUTE`s) and COMMIT as one simple-query
   * message, then returns the connection. A failing write aborts the message: the transaction is
   * rolled back here, nothing of the request is committed, and the error is thrown.
   */
  commit(writes: SessionCall[] = []): Promise<void> {
    return this.end([...writes.map((w) => this.textOf(w)), 'COMMIT'].join(';\n'));
  }

  /** Commits or rolls back and returns the connection to the pool. Safe to call twice. */
  finish(commit: boolean): Promise<void> {
    return this.end(commit ? 'COMMIT' : 'ROLLBACK');
  }

  private async end(sql: string): Promise<void> {
    // Only while the opening message is under way: otherwise detach at once (below).
    if (this.opening) await this.opening;
    this.speculated = undefined;
    const runner = this.runner;
    const connection = this.connection;
    if (!runner || !connection) return;
    // Detached first: a statement a resolver issues after this point fails fast, instead of
    // running after COMMIT on a connection the pool may already have given to another request.
    this.runner = undefined;
    this.connection = undefined;
    try {
      if (runner.isTransactionActive) {
        try {
          await this.enqueue(() => {
            this.stats.statements += 1;
            return queryOrRollback(connection, sql);
          });
        } finally {
          (runner as { isTransactionActive: boolean }).isTransactionActive = false;
        }
      }
    } finally {
      // Statements queued before the end have run; only then does the connection go back.
      await this.queue;
      await runner.release();
    }
  }
}

interface PgConnection {
  query(sql: string): Promise<{ rows?: Record<string, unknown>[] }[] | { rows?: Record<string, unknown>[] }>;
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows?: Record<string, unknown>[] }>;
}

/** Sends a simple-query message; one that fails leaves its transaction block open and aborted, so it is rolled back before the error goes on. */
async function queryOrRollback(connection: PgConnection, sql: string) {
  try {
    return await connection.query(sql);
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Prepares, outside any transaction, the session statements this connection has not prepared
 * yet (and `also`, an on-demand one the request is about to run): once per pooled connection, so
 * not counted as a request's statements. "Already exists" (42P05) means an earlier attempt
 * succeeded though its caller saw an error.
 */
async function prepareOn(connection: PgConnection, also?: SessionStatement): Promise<void> {
  let done = preparedOn.get(connection);
  if (!done) preparedOn.set(connection, (done = new Set()));
  for (const statement of also ? [...sessionStatements, also] : sessionStatements) {
    if (done.has(statement.name)) continue;
    try {
      await connection.query(statement.prepare);
    } catch (error) {
      if ((error as { code?: string }).code !== '42P05') throw error;
    }
    done.add(statement.name);
  }
}

const names = new Map<string, string>();

/** A stable prepared-statement name per SQL text (pg keeps them per connection). */
function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `k${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    if (names.size < 5000) names.set(sql, name);
  }
  return name;
}
