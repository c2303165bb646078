// The ApplicationFailure an activity call fails with, for tests that check its type, retryability
// and details. Fails the test when the call succeeds or throws anything else.
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
