/**
 * What a suite run on each backend (the store and artifact contracts, the
 * HTTP suites on SQLite and PostgreSQL) repeats: its fixture opened once
 * before the tests (a backend that is absent gives none), closed after them,
 * and `it`, a test given the fixture that skips without one. A contract's
 * fixture cleans up after itself: `contractTests`.
 * @module
 */
import { after, before, test, type TestContext } from "node:test";

export interface BackendFixture<F> {
  /** Opens the fixture, or answers undefined when the backend is unavailable. */
  open(): Promise<F | undefined>;
  close(fx: F): Promise<void>;
  /** Runs once the fixture is open (what the suite reads from it, data its tests share); it is closed after either way. */
  ready?(fx: F): void | Promise<void>;
  /** Why a test is skipped without the fixture (default "backend unavailable"). */
  unavailable?: string;
}

/** A test given the fixture (and its context), skipped when there is none. */
export type BackendTest<F> = (title: string, fn: (fx: F, t: TestContext) => Promise<void>) => void;

/** Registers the suite's before and after hooks (call it inside the suite's `describe`) and answers its `it`. */
export function backendTests<F>(fixture: BackendFixture<F>): BackendTest<F> {
  let fx: F | undefined;
  before(async () => {
    fx = await fixture.open();
    if (fx !== undefined) await fixture.ready?.(fx);
  });
  after(async () => {
    if (fx !== undefined) await fixture.close(fx);
  });
  return (title, fn) =>
    void test(title, async (t) => {
      if (fx === undefined) return t.skip(fixture.unavailable ?? "backend unavailable");
      await fn(fx, t);
    });
}

/**
 * A contract suite's `it` on one backend (call it inside the suite's `describe`): the fixture `make` opens (none:
 * each test skips, "<name> unavailable"), handed to `ready` before the tests, its `cleanup()` after them.
 */
export function contractTests<F extends { cleanup(): Promise<void> }>(name: string, make: () => Promise<F | undefined>, ready: (fx: F) => void): BackendTest<F> {
  return backendTests({ open: make, close: (f) => f.cleanup(), ready, unavailable: `${name} unavailable` });
}
