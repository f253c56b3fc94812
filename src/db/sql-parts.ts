/** Enum values as an SQL list for `IN (…)`: code constants only, never user input. */
export const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * A statement assembled from optional conditions: `param(value)` adds a parameter and returns its
 * placeholder, `and(condition)` adds a condition. Each combination of parts is its own SQL text
 * (never user text), so generic plans stay as good as custom ones — no `$n IS NULL OR …`.
 */
export class SqlParts {
  readonly params: unknown[];
  private readonly conditions: string[] = [];

  constructor(...params: unknown[]) {
    this.params = params;
  }

  param(value: unknown): string {
    return `$${this.params.push(value)}`;
  }

  and(condition: string): void {
    this.conditions.push(condition);
  }

  /**
   * Rows after a keyset cursor (a time, then an id) in `ORDER BY time DESC, id`: newest first,
   * ties by id. Nothing without a cursor.
   */
  afterNewestFirst(time: string, id: string, cursor: readonly unknown[] | undefined): void {
    if (!cursor) return;
    const [at, after] = [this.param(cursor[0]), this.param(cursor[1])];
    this.and(`(${time} < ${at}::timestamptz OR (${time} = ${at}::timestamptz AND ${id} > ${after}::uuid))`);
  }

  /** `WHERE a AND b`, or nothing. */
  get where(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }

  /** `AND a AND b`, to follow a fixed condition. */
  get andAll(): string {
    return this.conditions.map((c) => `AND ${c}`).join(' ');
  }
}

/**
 * Epoch milliseconds of a timestamptz, floored (as JavaScript's Date keeps them). Numeric
 * `extract`, not float `date_part`: floating point would floor whole-millisecond instants to the
 * millisecond before, and its margin runs out past 2038.
 */
export const epochMsSql = (timestamp: string) => `floor(extract(epoch FROM ${timestamp}) * 1000)`;
