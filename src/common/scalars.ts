import { GraphQLError, GraphQLScalarType } from 'graphql';
import { DateResolver, DateTimeResolver, EmailAddressResolver, PhoneNumberResolver } from 'graphql-scalars';

export { DateTimeResolver, EmailAddressResolver as EmailAddress, PhoneNumberResolver as PhoneNumber };

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

/** graphql-scalars parses `Date` inputs to a UTC-midnight Date; the database wants the plain day. */
export const toSqlDate = (value: Date | string | null | undefined): string | null | undefined =>
  value instanceof Date ? value.toISOString().slice(0, 10) : value;
