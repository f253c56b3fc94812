import { GraphQLError, GraphQLScalarType } from 'graphql';
import { DateResolver, DateTimeResolver, EmailAddressResolver, PhoneNumberResolver } from 'graphql-scalars';

export { EmailAddressResolver as EmailAddress, PhoneNumberResolver as PhoneNumber };

/** PostgreSQL's `date` has no year 0 (graphql-scalars accepts `0000-01-01`): refused as input, not failed in SQL. */
function fromYearOne(value: Date): Date {
  if (value.getUTCFullYear() < 1) throw new GraphQLError('Date must be 0001-01-01 or later');
  return value;
}

/** Calendar date, `YYYY-MM-DD`; stored as SQL `date` and read back as the same string. */
export const CalendarDate = new GraphQLScalarType({
  ...DateResolver.toConfig(),
  parseValue: (value) => fromYearOne(DateResolver.parseValue(value) as Date),
  parseLiteral: (ast, variables) => fromYearOne(DateResolver.parseLiteral(ast, variables) as Date),
});

/**
 * An instant PostgreSQL's timestamptz and our cursors read back as they wrote it: years 0001 to
 * 9999 in UTC. graphql-scalars accepts year 0 and offsets that carry an instant past either end,
 * which PostgreSQL refuses (or stores as BC) instead of the input being refused.
 */
function withinYears(value: Date): Date {
  const year = value.getUTCFullYear();
  if (year < 1 || year > 9999) throw new GraphQLError('DateTime must fall between 0001-01-01 and 9999-12-31 (UTC)');
  return value;
}

/** ISO 8601 instant (`DateTime`), years 0001–9999 in UTC. */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  parseValue: (value) => withinYears(DateTimeResolver.parseValue(value) as Date),
  parseLiteral: (ast, variables) => withinYears(DateTimeResolver.parseLiteral(ast, variables) as Date),
});

/** graphql-scalars parses `Date` inputs to a UTC-midnight Date; the database wants the plain day. */
export const toSqlDate = (value: Date | string | null | undefined): string | null | undefined =>
  value instanceof Date ? value.toISOString().slice(0, 10) : value;
