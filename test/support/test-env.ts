/** Values global-setup hands to test files through the environment (one cluster per run). */
export const testEnv = () => ({
  ownerUrl: required('KINSHIP_TEST_OWNER_URL'),
  appUrl: required('KINSHIP_TEST_APP_URL'),
  serverUrl: required('KINSHIP_TEST_SERVER_URL'),
  jwtSecret: required('KINSHIP_TEST_JWT_SECRET'),
});

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest (global-setup)`);
  return value;
}

export const TEST_ISSUER = 'kinship-test';
export const TEST_AUDIENCE = 'kinship-api';
