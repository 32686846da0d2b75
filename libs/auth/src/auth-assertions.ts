// Test assertions shared by the auth specs; plain node:assert so the app build (no jest types) compiles it.
import assert from 'node:assert/strict';
import { AuthError } from './auth.types.js';

/** The AuthError a promise rejects with; fails when it resolves or rejects with anything else. */
export async function authError(p: Promise<unknown>): Promise<AuthError> {
  const outcome = await p.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) assert.fail(`expected an AuthError, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof AuthError)) throw outcome.error;
  return outcome.error;
}

/** Asserts a refusal with `status` and a message matching `reason` that leaks none of `secrets`. */
export async function expectRefused(
  p: Promise<unknown>,
  status: 401 | 403,
  reason: RegExp,
  ...secrets: string[]
): Promise<AuthError> {
  const err = await authError(p);
  assert.equal(err.status, status, `status of "${err.message}"`);
  assert.match(err.message, reason);
  for (const s of secrets) {
    assert.ok(!err.message.includes(s), `message "${err.message}" leaks a credential`);
    assert.ok(!String(err.stack).includes(s), 'stack leaks a credential');
  }
  return err;
}
