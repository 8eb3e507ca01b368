/**
 * Real-browser test harness: Debian's Chromium driven by playwright-core,
 * against a real ciclo server (loopback port, SQLite in a temp dir) serving
 * the built UI. Every page records console errors, failed requests and
 * uncaught exceptions; {@link UiPage.assertClean} fails the test on any
 * (favicon 404s aside).
 *
 * When Chromium is missing the suite is skipped with the reason printed —
 * unless CICLO_REQUIRE_ALL=1 (CI), where that is a failure. `.ci/run`
 * installs it.
 *
 * ```ts
 * const ui = await openUiHarness();           // undefined → skip
 * const page = await ui.newPage();
 * await page.goto("/experiments");
 * await page.page.getByRole("button", { name: "New experiment" }).click();
 * page.assertClean();
 * await ui.close();
 * ```
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startLiveTrackingServer, type LiveTrackingServer, type LiveTrackingServerOptions } from "./live-tracking-server.js";

const CHROMIUM_PATH = process.env.CICLO_CHROMIUM ?? "/usr/bin/chromium";
/** The flags the project's browser tests run Chromium with (no sandbox: tests run as root in CI). */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const UI_SOURCE_DIR = join(REPO, "ui");
export const UI_DIST_DIR = join(REPO, "dist", "ui");

/** Why browser tests cannot run, or undefined when they can. Throws under CICLO_REQUIRE_ALL=1. */
export function browserUnavailable(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CICLO_CHROMIUM)`;
  if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${reason} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
  console.log(`# SKIP browser tests: ${reason}`);
  return reason;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Tests beside the UI code are not in the bundle: editing one needs no rebuild.
    if (entry.name === "node_modules" || entry.name.endsWith(".test.ts")) continue;
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function uiIsFresh(): boolean {
  const index = join(UI_DIST_DIR, "index.html");
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return built >= newestMtime(UI_SOURCE_DIR) && built >= newestMtime(join(REPO, "src", "shared"));
}

/**
 * Builds dist/ui when it is missing or older than ui/ (a fresh clone in CI
 * has no build). Test files run in parallel: a lock folder makes one build
 * while the others wait for it.
 */
/** Builds the UI into dist/ui unless it is fresh (a server started afterwards serves it). */
export async function ensureUiBuilt(): Promise<string> {
  if (uiIsFresh()) return UI_DIST_DIR;
  const lock = join(REPO, "dist", ".ui-build.lock");
  mkdirSync(join(REPO, "dist"), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`UI build lock ${lock} held for 2 minutes: remove it if no build is running`);
      await new Promise((r) => setTimeout(r, 250));
      if (uiIsFresh()) return UI_DIST_DIR;
    }
  }
  try {
    if (!uiIsFresh()) {
      execFileSync(process.execPath, [join(REPO, "node_modules", "vite", "bin", "vite.js"), "build", "--config", join(UI_SOURCE_DIR, "vite.config.ts"), "--logLevel", "error"], {
        cwd: REPO,
        stdio: ["ignore", "inherit", "inherit"],
      });
    }
  } finally {
    rmdirSync(lock);
  }
  return UI_DIST_DIR;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A page with its problems recorded. */
export interface UiPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and failed requests seen so far. */
  problems: string[];
  /** Navigates to a path of the server (`/experiments`) and waits for the app to render. */
  goto(path: string): Promise<void>;
  /**
   * Fails when any console error, page error or failed request was seen
   * (favicon 404 ignored, and the answers {@link expectHttpError} allowed);
   * then starts afresh for the next test.
   */
  assertClean(): void;
  /**
   * Allows, until the next assertClean, the console error Chromium prints for
   * an HTTP error answer the test provokes on purpose (a 400 for a bad filter).
   */
  expectHttpError(status: number, urlPart: string): void;
  close(): Promise<void>;
}

interface UiPageOptions {
  colorScheme?: "light" | "dark";
  viewport?: { width: number; height: number };
}

export interface UiHarness {
  server: LiveTrackingServer;
  browser: Browser;
  /** The server's base URL, for seeding through the API with fetch. */
  url: string;
  newPage(opts?: UiPageOptions): Promise<UiPage>;
  /** POSTs JSON to the MLflow API (`/api/2.0/mlflow<path>`) and returns the parsed answer; throws on non-2xx. */
  api<T = any>(path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

const IGNORED = [/favicon\.ico/];

async function newUiPage(browser: Browser, baseUrl: string, opts: UiPageOptions = {}): Promise<UiPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    colorScheme: opts.colorScheme ?? "light",
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const allowed: RegExp[] = [];
  const note = (text: string) => {
    if (!IGNORED.some((re) => re.test(text))) problems.push(text);
  };
  page.on("console", (msg) => {
    if (msg.type() === "error") note(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (err) => note(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => {
    // Aborted fetches are the app cancelling stale loads on purpose.
    const failure = req.failure()?.errorText ?? "";
    if (!/ERR_ABORTED/.test(failure)) note(`requestfailed: ${req.url()} ${failure}`);
  });
  return {
    page,
    context,
    problems,
    async goto(path) {
      await page.goto(path);
      await page.locator(".topbar").waitFor();
    },
    assertClean() {
      const left = problems.filter((m) => !allowed.some((re) => re.test(m)));
      problems.length = 0;
      allowed.length = 0;
      if (left.length > 0) throw new Error(`browser problems:\n${left.join("\n")}`);
    },
    expectHttpError(status, urlPart) {
      const esc = urlPart.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      allowed.push(new RegExp(`status of ${status} .*${esc}`));
    },
    close: () => context.close(),
  };
}

/** Starts a server with the built UI and a browser; undefined (suite skipped) without Chromium. */
export async function openUiHarness(opts: LiveTrackingServerOptions = {}): Promise<UiHarness | undefined> {
  if (browserUnavailable()) return undefined;
  await ensureUiBuilt();
  const server = await startLiveTrackingServer(opts);
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (err) {
    await server.close();
    throw err;
  }
  const url = server.url;
  return {
    server,
    browser,
    url,
    newPage: (opts) => newUiPage(browser, url, opts),
    async api(path, body) {
      const res = await fetch(`${url}/api/2.0/mlflow${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : {};
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * The built UI and a browser for a server the test started itself (a
 * pipelines world, say); undefined (suite skipped) without Chromium.
 */
export async function openUiBrowser(baseUrl: string): Promise<{ browser: Browser; newPage(opts?: UiPageOptions): Promise<UiPage>; close(): Promise<void> } | undefined> {
  if (browserUnavailable()) return undefined;
  await ensureUiBuilt();
  const browser = await launchBrowser();
  return { browser, newPage: (opts) => newUiPage(browser, baseUrl, opts), close: () => browser.close() };
}
