/**
 * The segment index asked for a time range: entries stand for their rows
 * inside [from, to) only (a straddling segment is cut, one with no row inside
 * is left out), and pages of `max_results` walk every entry once.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { backendTests } from "../../testing/backend-tests.js";
import { testAppOn, type TestApp } from "../../testing/test-app.js";

const CICLO = "/api/ciclo/v1";

interface Seg {
  start_time: number;
  end_time: number;
  rows: number;
  requests: number;
  errors: number;
  trimmed?: boolean;
}

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`segments by time range on ${backend}`, () => {
    let fx: TestApp;
    const it = backendTests({ ...testAppOn(backend), ready: (f) => void (fx = f) });

    const call = async (method: "GET" | "POST", path: string, body?: unknown) => {
      const r = await fx.call(method, path, body, { prefix: CICLO });
      assert.equal(r.status, 200, r.text);
      return r.json;
    };

    it("entries cut to the range, empty ones left out, pages complete", async () => {
      const T = Date.UTC(2026, 1, 1);
      // Each request holds two rows; a failed one is one row.
      const record = (id: string, dt: number, status = 200) => ({
        request_id: id,
        time: T + dt,
        model_name: "trim",
        model_version: "1",
        status,
        latency_ms: 1,
        request: status < 400 ? { dataframe_records: [{ x: dt }, { x: -dt }] } : "{",
        response: status < 400 ? { predictions: [1, 2] } : { error_code: "BAD_REQUEST" },
      });
      // One flush, one segment: S1 at 0–9 ms (request 5 fails), S2 at 2 and 40 ms, S3 at 10–19, S4 at 20–29.
      const flushes = [
        Array.from({ length: 10 }, (_, i) => record(`a${i}`, i, i === 5 ? 500 : 200)),
        [record("b0", 2), record("b1", 40)],
        Array.from({ length: 10 }, (_, i) => record(`c${i}`, 10 + i)),
        Array.from({ length: 10 }, (_, i) => record(`d${i}`, 20 + i)),
      ];
      for (const records of flushes) {
        await call("POST", "/monitoring/inference", { records });
        const { segments } = await call("POST", "/monitoring/inference/flush");
        assert.equal(segments.length, 1);
      }
      const list = (q: Record<string, string | number>) => call("GET", "/monitoring/segments", { model_name: "trim", ...q }) as Promise<{ segments: Seg[]; next_page_token?: string }>;
      const facts = (s: Seg) => [s.start_time - T, s.end_time - T, s.rows, s.requests, s.errors, s.trimmed ?? false];

      // No range: the whole index, nothing cut.
      const all = (await list({})).segments;
      assert.deepEqual(all.map(facts), [
        [0, 9, 19, 10, 1, false],
        [2, 40, 4, 2, 0, false],
        [10, 19, 20, 10, 0, false],
        [20, 29, 20, 10, 0, false],
      ]);

      // [0, 10): S1 lies inside whole; S2 keeps its request at 2 ms.
      assert.deepEqual((await list({ from: T, to: T + 10 })).segments.map(facts), [
        [0, 9, 19, 10, 1, false],
        [2, 2, 2, 1, 0, true],
      ]);
      // [3, 6): S1 cut to requests 3, 4 and the failed 5; S2 has nothing there.
      assert.deepEqual((await list({ from: T + 3, to: T + 6 })).segments.map(facts), [[3, 5, 5, 3, 1, true]]);

      // [12, 25) one entry a page: S2 overlaps by its times but holds no row inside, so it is no page of its own.
      const pages: Seg[][] = [];
      let token: string | undefined;
      do {
        const page = await list({ from: T + 12, to: T + 25, max_results: 1, ...(token && { page_token: token }) });
        pages.push(page.segments);
        token = page.next_page_token;
      } while (token && pages.length < 10);
      assert.deepEqual(pages.map((p) => p.map(facts)), [[[12, 19, 16, 8, 0, true]], [[20, 24, 10, 5, 0, true]]]);
      // Two a page: both on one page, and no token to a page that would be empty.
      const two = await list({ from: T + 12, to: T + 25, max_results: 2 });
      assert.equal(two.segments.length, 2);
      assert.equal(two.next_page_token, undefined);

      // The rows counted per range add up to the rows inside it.
      const rowsIn = async (from: number, to: number) => (await list({ from: T + from, to: T + to })).segments.reduce((a, s) => a + s.rows, 0);
      assert.equal(await rowsIn(0, 41), 19 + 4 + 20 + 20);
      assert.equal(await rowsIn(5, 25), 1 + 4 * 2 + 20 + 5 * 2);

      const bad = await fx.call("GET", "/monitoring/segments", { page_token: "not-a-token" }, { prefix: CICLO });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error_code, "INVALID_PARAMETER_VALUE");
    });
  });
}
