import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import { DomainError } from './domain-error';
import { ErrorCode } from './error-codes';

const PASSTHROUGH_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export interface FormatErrorOptions {
  production: boolean;
}

/** Marks masked errors so the request plugin can attach the request id and log the original. */
export const INTERNAL_MESSAGE = 'Internal server error';

type ValidationNode = { property: string; constraints?: Record<string, string>; children?: ValidationNode[] };

function flattenValidation(e: ValidationNode): { field: string; constraints: string[] }[] {
  const own = e.constraints ? [{ field: e.property, constraints: Object.values(e.constraints) }] : [];
  const nested = (e.children ?? []).flatMap((c) => flattenValidation(c).map((f) => ({ ...f, field: `${e.property}.${f.field}` })));
  return [...own, ...nested];
}

const stripSuggestions = (message: string) => message.replace(/\s*Did you mean .*\?$/, '');

/**
 * An argument graphql-js refused while executing: validation lets a nullable variable into a
 * non-null argument that has a default (`first: $n` with `$n: Int`), and a null sent for it is
 * refused only when the field runs, as an error with no code (which Apollo calls internal).
 * Generated clients send null for optional variables: it is the caller's input, so BAD_USER_INPUT.
 */
const ARGUMENT_REFUSED = /^Argument "([^"]+)" (has invalid value|of non-null type "[^"]+" must not be null|of required type "[^"]+" was not provided)/;

export const isArgumentCoercionError = (original: unknown): original is GraphQLError =>
  original instanceof GraphQLError && original.originalError === undefined && original.extensions?.code === undefined && ARGUMENT_REFUSED.test(original.message);

/**
 * The one place errors become responses: domain errors keep their code, input validation
 * becomes BAD_USER_INPUT with the failing fields, anything else is masked.
 */
export function buildFormatError(options: FormatErrorOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { locations: formatted.locations, path: formatted.path };
    if (original instanceof DomainError) {
      return { ...base, message: original.message, extensions: { code: original.code, ...original.extensions } };
    }
    if (original instanceof ArgumentValidationError) {
      const fields = original.extensions.validationErrors.flatMap(flattenValidation);
      return {
        ...base,
        message: `Invalid input: ${fields.map((f) => `${f.field} ${f.constraints.join(', ')}`).join('; ')}`,
        extensions: { code: ErrorCode.BAD_USER_INPUT, fields },
      };
    }
    if (isArgumentCoercionError(original)) {
      return { ...base, message: stripSuggestions(original.message), extensions: { code: ErrorCode.BAD_USER_INPUT, argument: ARGUMENT_REFUSED.exec(original.message)![1] } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASSTHROUGH_CODES.has(code)) {
      const message = options.production ? stripSuggestions(formatted.message) : formatted.message;
      const mapped = code === 'GRAPHQL_PARSE_FAILED' || code === 'GRAPHQL_VALIDATION_FAILED' ? code : ErrorCode.BAD_USER_INPUT;
      return { ...base, message, extensions: { code: mapped } };
    }
    // graphql-armor and scalar parse errors arrive without a resolver and carry no secrets.
    if (!formatted.path && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      return { ...base, message: stripSuggestions(formatted.message), extensions: { code } };
    }
    if (!formatted.path && !code) {
      return { ...base, message: stripSuggestions(formatted.message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    }
    return { ...base, message: INTERNAL_MESSAGE, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
