/**
 * What each browser suite (server/ui-e2e/) repeats, on top of backendTests:
 * the harness (a live server and Chromium) opened before its tests, the
 * suite's setup (its seed data, then its page), the page and the harness
 * closed after them; `it` skips with "Chromium unavailable" without a browser
 * and fails a test that left console errors or uncaught exceptions on the
 * page (UiPage.assertClean).
 * @module
 */
import { after } from "node:test";
import { backendTests } from "./backend-tests.js";
import { openUiHarness, type UiHarness, type UiPage } from "./browser.js";

export interface UiTestsOptions {
  /** Opens the harness (default: `openUiHarness()`); undefined when Chromium is unavailable. */
  open?: () => Promise<UiHarness | undefined>;
  /** Runs after the page and the harness are closed, whether or not they opened. */
  close?: () => Promise<void>;
}

/** A browser test given the harness; its page is checked clean after it. */
export type UiTest = (title: string, fn: (ui: UiHarness) => Promise<void>) => void;

/** Registers the suite's hooks (inside its `describe`); `setup` seeds what the suite needs and answers its page. */
export function uiTests(setup: (ui: UiHarness) => Promise<UiPage>, opts: UiTestsOptions = {}): UiTest {
  let page: UiPage | undefined;
  const test = backendTests<UiHarness>({
    open: opts.open ?? (() => openUiHarness()),
    ready: async (ui) => void (page = await setup(ui)),
    async close(ui) {
      await page?.close();
      await ui.close();
    },
    unavailable: "Chromium unavailable",
  });
  if (opts.close) after(opts.close);
  return (title, fn) =>
    test(title, async (ui) => {
      await fn(ui);
      page!.assertClean();
    });
}
