/**
 * A sweep's trials in the web UI, in a real browser against a real server:
 * the Compare link `ciclo sweep` prints opens parallel coordinates with one
 * line per trial, an axis per swept parameter and the objective as the
 * colour axis; the runs-table link lists exactly the sweep's trials. Trials
 * are child runs, so this is the existing Compare page, unchanged.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { sweepLinks } from "../../cli/commands/sweep-output.js";
import { FunctionTrialExecutor } from "../../pipelines/sweeps/function-trial-executor.js";
import { rankTrials } from "../../pipelines/sweeps/sampler.js";
import { parseSearchSpace } from "../../pipelines/sweeps/search-space-parser.js";
import { SweepRunner } from "../../pipelines/sweeps/sweep-runner.js";
import { TrackingSweepTracker } from "../../sdk/tracking-sweep-tracker.js";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import type { UiPage } from "../../testing/browser.js";
import { createExperiment } from "../../testing/ui-seed.js";
import { uiTests } from "../../testing/ui-tests.js";

declare const document: any;

describe("a sweep's trials in Compare (browser)", () => {
  let p: UiPage;
  let links: ReturnType<typeof sweepLinks>;
  const it = uiTests(async (ui) => {
    const client = new TrackingClient({ trackingUri: ui.url, env: {} });
    const experimentId = await createExperiment(ui.api, "sweep-ui");
    const space = parseSearchSpace("lr: { loguniform: [1.0e-4, 0.1] }\ndepth: { randint: [2, 8] }\nopt: { choice: [adam, sgd] }\n", "space.yaml");
    const config = { space, metric: "val_loss", direction: "min" as const, sampler: "tpe" as const, seed: 2, maxTrials: 8, maxParallel: 2 };
    const tracker = await TrackingSweepTracker.create(client, new ArtifactClient(client), { experimentId, runName: "sweep-ui", config });
    const executor = new FunctionTrialExecutor((q) => Math.abs(Math.log10(q.lr as number) + 2) + (q.depth as number) / 10 + (q.opt === "sgd" ? 0.3 : 0), { sink: tracker, metric: "val_loss" });
    const result = await new SweepRunner({ config, tracker, executor }).run();
    const ids = rankTrials(result.trials, "min").map((t) => result.runIds.get(t.number)!);
    links = sweepLinks(ui.url, experimentId, tracker.sweepRunId, "val_loss", ids);
    return (p = await ui.newPage({ viewport: { width: 1440, height: 900 } }));
  });

  it("the printed Compare link: parallel coordinates over the swept params, coloured by the objective, one line per trial", async (ui) => {
    await p.goto(links.compare!.slice(ui.url.length));
    const svg = p.page.getByRole("img", { name: /^Parallel coordinates of 8 runs/ });
    await svg.waitFor();
    assert.equal(await svg.getAttribute("data-lines"), "8");
    const axes = await p.page.locator(".pc-axis").evaluateAll((els: any[]) => els.map((e) => e.getAttribute("data-key")));
    assert.deepEqual([...axes].sort(), ["metrics.val_loss", "params.depth", "params.lr", "params.opt"]);
    assert.equal(axes.at(-1), "metrics.val_loss");
  });

  it("the printed runs link: the runs table filtered to the sweep's 8 trials", async (ui) => {
    await p.goto(links.runs.slice(ui.url.length));
    await p.page.waitForFunction(() => document.querySelectorAll(".grid-pin .grid-row .cell-name a").length === 8);
    const names = await p.page.locator(".grid-pin .grid-row .cell-name a").allTextContents();
    assert.deepEqual([...names].sort(), Array.from({ length: 8 }, (_, i) => `trial-${i}`).sort());
  });
});
