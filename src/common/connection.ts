import { ArgsType, ClassType, Field, Int, ObjectType } from 'type-graphql';
import { IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { badInput } from '../errors/domain-error';
import { UUID_RE } from './global-id';
import { SafeText } from './safe-text';

@ObjectType({ simpleResolvers: true, description: 'Where a page of a list sits in the whole list (Relay cursor connections).' })
export class PageInfo {
  @Field({ description: 'True when more items follow `endCursor`.' })
  hasNextPage: boolean;

  @Field({ description: 'Always false: lists page forward only, with `first` and `after`.' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item of this page.' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item of this page; pass it as `after` for the next page.' })
  endCursor: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 20, description: 'How many items to return, 1 to 100.' })
  @Min(1)
  @Max(100)
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (an `endCursor` from a previous page).' })
  @SafeText({ max: 500 })
  after?: string | null;
}

/**
 * Page arguments with a `filter` of input type `Filter`: the shape of every filtered list. The
 * filter's own rules (text hygiene, sizes) run: type-graphql validates nested input objects only
 * when told to.
 */
export function FilteredPageArgs<F extends object>(Filter: ClassType<F>, description: string) {
  @ArgsType()
  class FilteredArgs extends PageArgs {
    @Field(() => Filter, { nullable: true, description })
    @IsOptional()
    @ValidateNested()
    filter?: F | null;
  }
  return FilteredArgs;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Page<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount?: number;
}

/** A Relay connection type for `NodeType`, named `<Name>Connection` with `<Name>Edge`. */
export function ConnectionType<T extends object>(NodeType: ClassType<T>, name: string, description: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `One ${name} in a list, with its cursor.` })
  class EdgeType {
    @Field({ description: 'Opaque cursor of this item.' })
    cursor: string;

    @Field(() => NodeType, { description: `The ${name}.` })
    node: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description })
  class ConnectionClass {
    @Field(() => [EdgeType], { description: 'The items of this page, in the list\'s stable order.' })
    edges: EdgeType[];

    @Field(() => PageInfo, { description: 'How to fetch the next page.' })
    pageInfo: PageInfo;

    @Field(() => Int, { nullable: true, description: 'How many items the whole list holds, when cheap to count.' })
    totalCount?: number;
  }
  return ConnectionClass;
}

/** Whether `n` is a list size from 1 to `max`. */
export const isListSize = (n: unknown, max = 100): n is number => Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= max;

/**
 * A list size argument checked to be 1–`max` (for lists whose arguments skip the class-validator
 * pass, and plain `Int` arguments): outside it is BAD_USER_INPUT naming the argument, as PageArgs
 * answers, never a silently different page.
 */
export function listSize(n: number, argument: string, max = 100): number {
  if (!isListSize(n, max)) throw badInput(`${argument} must be from 1 to ${max}`, { argument });
  return n;
}

export const encodeCursor = (values: unknown[]): string => Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');

/**
 * What each keyset value of a cursor must be before it reaches SQL: a forged cursor holding text
 * where a uuid or timestamp goes (or a NUL byte) would otherwise fail in PostgreSQL, as an
 * internal error that also aborts the request's transaction.
 */
export type CursorValue = 'text' | 'uuid' | 'timestamp' | 'integer';

// A timestamptz as PostgreSQL prints it in ISO style: `2026-11-26 22:55:14.928341+00`.
// Offsets up to ±15 hours, as PostgreSQL accepts them (beyond, it fails the cast: an internal error).
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-5])(:[0-5]\d){0,2}$/;

function isCursorValue(value: unknown, kind: CursorValue): boolean {
  if (kind === 'integer') return (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'string' && /^\d{1,15}$/.test(value));
  if (typeof value !== 'string' || value.length > 1000 || value.includes('\u0000')) return false;
  if (kind === 'uuid') return UUID_RE.test(value);
  if (kind === 'timestamp') {
    const m = TIMESTAMP_RE.exec(value);
    if (!m) return false;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const day = new Date(Date.UTC(y, mo - 1, d));
    return y >= 1 && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
  }
  return true;
}

/**
 * The keyset values behind a cursor, one of each kind; a cursor that was not ours is BAD_USER_INPUT.
 * `open` reads a cursor made by another encoding than `encodeCursor` (a sealed one).
 */
export function decodeCursor(
  cursor: string | null | undefined,
  kinds: readonly CursorValue[],
  open: (cursor: string) => unknown = (c) => JSON.parse(Buffer.from(c, 'base64url').toString('utf8')),
): unknown[] | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    const values: unknown = open(cursor);
    if (Array.isArray(values) && values.length === kinds.length && values.every((v, i) => isCursorValue(v, kinds[i]))) {
      return values;
    }
  } catch {
    /* fall through */
  }
  throw badCursor();
}

/** The error for an `after` no list of ours could have returned. */
export const badCursor = () => badInput('Invalid cursor: pass an endCursor returned by this list', { argument: 'after' });

/**
 * A page of rows read in keyset order with `LIMIT first + 1`: `nodes` are what the page's rows
 * (the first `first`) became once judged (a rule may drop some), each with its row's cursor
 * (`keyOf`: the keyset values, ending with the row's id, as every keyset here breaks ties by id).
 * `hasNextPage` and `endCursor` follow the rows read, so paging goes on past a dropped row.
 */
export function keysetPage<R, T extends { id: string }>(rows: readonly R[], first: number, nodes: T[], keyOf: (row: R) => unknown[]): Page<T> {
  const read = rows.slice(0, first).map(keyOf);
  const keys = new Map(read.map((k) => [k[k.length - 1], k]));
  const page = pageOf(nodes, first, (n) => keys.get(n.id) ?? []);
  page.pageInfo.hasNextPage = rows.length > first;
  if (read.length) page.pageInfo.endCursor = encodeCursor(read[read.length - 1]);
  return page;
}

/** Builds a page from rows fetched with `LIMIT first + 1` in keyset order. */
export function pageOf<T>(rows: T[], first: number, keyOf: (row: T) => unknown[], totalCount?: number, encode: (values: unknown[]) => string = encodeCursor): Page<T> {
  const items = rows.slice(0, first);
  const edges = items.map((node) => ({ node, cursor: encode(keyOf(node)) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount,
  };
}
