import { closeOwner } from './factories';
import { closeTestApp } from './test-app';

/** Each test file closes its app and owner pool so the run's cluster can stop cleanly. */
afterAll(async () => {
  await closeTestApp();
  await closeOwner();
});
