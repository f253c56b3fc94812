import { registerDecorator, ValidationOptions } from 'class-validator';

// A lone high surrogate not followed by a low one, or a lone low surrogate.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isSafeText(value: string): boolean {
  return !value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value);
}

/**
 * Every free-text input carries this: NUL bytes and unpaired surrogates cannot be stored
 * faithfully by PostgreSQL or round-tripped as JSON, and a maximum length bounds storage.
 */
export function SafeText(options: { max: number; min?: number }, validationOptions?: ValidationOptions) {
  const min = options.min ?? 0;
  return function (object: object, propertyName: string) {
    registerDecorator({
      name: 'safeText',
      target: object.constructor,
      propertyName,
      options: validationOptions,
      constraints: [options.max, min],
      validator: {
        validate(value: unknown) {
          if (value === null || value === undefined) return true;
          if (typeof value !== 'string') return false;
          const length = [...value].length;
          return isSafeText(value) && length <= options.max && value.trim().length >= min;
        },
        defaultMessage() {
          const bounds = min > 0 ? `between ${min} and ${options.max} characters` : `at most ${options.max} characters`;
          return `must be text of ${bounds}, without NUL bytes or unpaired surrogates`;
        },
      },
    });
  };
}
