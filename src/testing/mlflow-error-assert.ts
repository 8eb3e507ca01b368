/**
 * The assertion every store and artifact test makes of a refused call: it
 * rejects with an {@link MlflowError} of the expected error code (and, when
 * given, a message that says what to do).
 * @module
 */
import assert from "node:assert/strict";
import { MlflowError } from "../shared/errors.js";

export async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof MlflowError, `expected an MlflowError, got ${String(err)}`);
    assert.equal(err.errorCode, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}
