/**
 * The EventStore contract (the event stream's outboxes and durable cursors),
 * one suite for every backend. Registry events come from real registry writes
 * through the RegistryStore, which records them in its own transactions.
 * @module
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { EventStore } from "../../jobs/job-store.js";
import type { StreamEvent } from "../../jobs/types.js";
import type { RegistryStore } from "../../registry/registry-store.js";
import { contractTests } from "../../testing/backend-tests.js";
import { waitFor } from "../../testing/wait-for.js";

export interface EventStoreFixture {
  events: EventStore;
  registry: RegistryStore;
  /** The same database through another connection. */
  replica(): Promise<{ events: EventStore; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

const T = 1_800_000_000_000;
const L = 10_000;

export function runEventStoreContract(name: string, make: () => Promise<EventStoreFixture | undefined>): void {
  describe(`EventStore contract: ${name}`, () => {
    let fx: EventStoreFixture | undefined;
    let e: EventStore;
    let n = 0;
    const sub = () => `sub-${n++}`;
    const claim = (subscriber: string, source: string, opts: { owner?: string; from?: "now" | "start"; now?: number; limit?: number; store?: EventStore } = {}) =>
      (opts.store ?? e).claim({ subscriber, source, owner: opts.owner ?? "w1", leaseMs: L, limit: opts.limit ?? 1000, from: opts.from ?? "start", now: opts.now ?? T });
    /**
     * Waits until an event of `type` can be read. On PostgreSQL a committed event is read only once no
     * older transaction is still open anywhere on the server (see migration 0008); other work on the
     * same server can hold that back for a moment, never for good.
     */
    const visible = (source: string, match: (e: StreamEvent) => boolean) =>
      waitFor(() => claim(`probe-${n++}`, source), (list) => (list ?? []).some(match), { what: "the event to become readable" });
    const version = async (model: string) =>
      fx!.registry.createModelVersion(
        { name: model, source: `mlflow-artifacts:/1/${"a".repeat(32)}/artifacts/model`, storageLocation: null, runId: null, runLink: null, description: null, modelId: null, tags: [] },
        "alice",
      );

    const it = contractTests(name, make, (f) => {
      fx = f;
      e = f.events;
    });

    it("registry changes arrive as events: version created, alias moved, stage moved", async () => {
      const model = `events-model-${n++}`;
      await fx!.registry.createRegisteredModel({ name: model, description: null, tags: [] }, "alice");
      await version(model);
      await version(model);
      await fx!.registry.setRegisteredModelAlias(model, "champion", "1", "alice");
      await fx!.registry.setRegisteredModelAlias(model, "champion", "2", "bob");
      await fx!.registry.transitionModelVersionStage(model, "2", "Production", false, "bob");
      await visible("registry", (x) => x.payload.name === model && x.type === "registry.model_version.transitioned");
      const got = (await claim(sub(), "registry"))!.filter((x) => x.payload.name === model);
      const types = got.map((x) => x.type);
      assert.deepEqual(types, [
        "registry.registered_model.created",
        "registry.model_version.created",
        "registry.model_version.created",
        "registry.registered_model_alias.set",
        "registry.registered_model_alias.set",
        "registry.model_version.transitioned",
      ]);
      const moved = got[4];
      assert.equal(moved.source, "registry");
      assert.equal(moved.subject, `${model}/2`);
      assert.deepEqual(moved.payload, { name: model, version: "2", key: "champion", from: "1", to: "2", actor: "bob" });
      assert.deepEqual(got[5].payload, { name: model, version: "2", key: "current_stage", from: "None", to: "Production", actor: "bob" });
      assert.equal(new Set(got.map((x) => x.position)).size, got.length);
    });

    it("a cursor moves only when advanced, survives a new connection, and is leased to one owner", async () => {
      const s = sub();
      await e.publish({ type: "test.one", subject: "a", payload: { i: 1 } }, T);
      await e.publish({ type: "test.two", subject: null, payload: { i: 2 } }, T + 1);
      await visible("events", (x) => x.type === "test.two");
      const first = (await claim(s, "events"))!;
      assert.ok(first.length >= 2);
      const mine = first.slice(-2);
      assert.deepEqual(mine.map((x) => [x.type, x.subject, x.payload, x.time]), [["test.one", "a", { i: 1 }, T], ["test.two", null, { i: 2 }, T + 1]]);
      assert.deepEqual((await claim(s, "events"))!.map((x) => x.position), first.map((x) => x.position), "nothing was acknowledged");
      assert.equal(await claim(s, "events", { owner: "w2", now: T + 1 }), undefined, "leased to w1");
      assert.ok(await e.advance({ subscriber: s, source: "events", owner: "w1", position: mine[0].position, leaseMs: L, now: T + 2 }));
      const replica = await fx!.replica();
      try {
        // w1's lease expires; another process takes over where the cursor was left.
        const rest = (await claim(s, "events", { owner: "w2", now: T + 2 + L + 1, store: replica.events }))!;
        assert.deepEqual(rest.map((x) => x.position), [mine[1].position]);
        assert.equal(await e.advance({ subscriber: s, source: "events", owner: "w1", position: mine[1].position, leaseMs: L, now: T + L + 4 }), false, "w1 lost it");
        assert.ok(await replica.events.advance({ subscriber: s, source: "events", owner: "w2", position: mine[1].position, leaseMs: L, now: T + L + 4 }));
        assert.deepEqual(await claim(s, "events", { owner: "w2", now: T + L + 5, store: replica.events }), []);
        await replica.events.releaseCursor(s, "events", "w2");
        assert.deepEqual(await claim(s, "events", { owner: "w1", now: T + L + 6 }), [], "a released cursor is free at once");
      } finally {
        await replica.close();
      }
    });

    it("a subscriber that starts at 'now' skips what came before it", async () => {
      await e.publish({ type: "test.before" }, T);
      await visible("events", (x) => x.type === "test.before");
      const s = sub();
      assert.deepEqual(await claim(s, "events", { from: "now" }), []);
      await e.publish({ type: "test.after" }, T + 1);
      const got = await waitFor(() => claim(s, "events", { from: "now" }), (l) => (l ?? []).length > 0, { what: "test.after" });
      assert.deepEqual(got!.map((x) => x.type), ["test.after"]);
    });

    it("reads in pages of the asked size, in order", async () => {
      const s = sub();
      for (let i = 0; i < 5; i++) await e.publish({ type: "test.page", payload: { i } }, T);
      await visible("events", (x) => x.type === "test.page" && x.payload.i === 4);
      const all = (await claim(s, "events"))!;
      const page = (await claim(s, "events", { limit: 2 }))!;
      assert.deepEqual(page.map((x) => x.position), all.slice(0, 2).map((x) => x.position));
      await e.advance({ subscriber: s, source: "events", owner: "w1", position: page[1].position, leaseMs: L, now: T });
      const next = (await claim(s, "events", { limit: 2 }))!;
      assert.deepEqual(next.map((x) => x.position), all.slice(2, 4).map((x) => x.position));
    });

    it("purges published events older than a cutoff", async () => {
      await e.publish({ type: "test.old" }, T - 10);
      await e.publish({ type: "test.new" }, T + 10);
      await visible("events", (x) => x.type === "test.new");
      assert.ok((await e.purgeEvents(T)) >= 1);
      const left = (await claim(sub(), "events"))!.map((x) => x.type);
      assert.ok(!left.includes("test.old") && left.includes("test.new"));
    });

    it("refuses an unknown source and a malformed position", async () => {
      await assert.rejects(claim(sub(), "nope"), /Unknown event source/);
      await assert.rejects(e.advance({ subscriber: "x", source: "events", owner: "w1", position: "1;drop", leaseMs: L, now: T }), /Invalid event position/);
    });
  });
}
