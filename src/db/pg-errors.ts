/** A database error's SQLSTATE (pg's error, or TypeORM's wrapping it); undefined for anything else. */
export const sqlState = (error: unknown): string | undefined => {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
};

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';
