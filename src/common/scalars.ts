import { DateResolver, DateTimeResolver, EmailAddressResolver, PhoneNumberResolver } from 'graphql-scalars';

export { DateTimeResolver, EmailAddressResolver as EmailAddress, PhoneNumberResolver as PhoneNumber };
/** Calendar date, `YYYY-MM-DD`; stored as SQL `date` and read back as the same string. */
export const CalendarDate = DateResolver;

/** graphql-scalars parses `Date` inputs to a UTC-midnight Date; the database wants the plain day. */
export const toSqlDate = (value: Date | string | null | undefined): string | null | undefined =>
  value instanceof Date ? value.toISOString().slice(0, 10) : value;
