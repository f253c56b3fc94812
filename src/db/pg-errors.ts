/** SQLSTATEs the services turn into domain errors; everything else stays internal (and masked). */
const sqlState = (error: unknown): string | undefined => {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
};

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';
