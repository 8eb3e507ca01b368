/**
 * The endpoint page's screenshot for docs/deployments.md: a live server with
 * an endpoint of two deployments (blue 90 %, green 10 %) and a mirrored
 * shadow, some traffic through it, one replica killed and restarted, then
 * Chromium on `/deployments/fraud`.
 *
 * `node --import tsx bench/deployments-screenshot.ts` (after `npm run build:ui`).
 * @module
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchBrowser } from "../src/testing/browser.js";
import { factorModel, startDeployWorld } from "../src/testing/deployments-fixture.js";

const OUT = fileURLToPath(new URL("../docs/ui/", import.meta.url));

const w = await startDeployWorld();
try {
  const v1 = await w.register("fraud", await factorModel(w.dir, "v1", 2));
  const v2 = await w.register("fraud", await factorModel(w.dir, "v2", 3));
  const v3 = await w.register("fraud", await factorModel(w.dir, "v3", 3.1));
  await w.api("POST", "/endpoints", { name: "fraud", description: "Card fraud scores", strategy: { kind: "canary", steps: [10, 50, 100], step_seconds: 300 } });
  await w.api("POST", "/endpoints/fraud/deployments", { name: "blue", model_uri: `models:/fraud/${v1}`, replicas: 2 });
  await w.api("POST", "/endpoints/fraud/deployments", { name: "green", model_uri: `models:/fraud/${v2}` });
  await w.api("POST", "/endpoints/fraud/deployments", { name: "shadow", model_uri: `models:/fraud/${v3}` });
  await w.api("POST", "/endpoints/fraud/traffic", { traffic: { blue: 90, green: 10 }, mirror_traffic: { shadow: 20 }, reason: "canary by hand" });
  for (;;) {
    const e = (await w.api("GET", "/endpoints/fraud")).json.endpoint;
    if (e.deployments.every((d: any) => d.health.ready_replicas === d.replicas)) break;
    await new Promise((r) => setTimeout(r, 200)); // waiting for the model servers to load
  }
  for (let i = 0; i < 400; i++) await w.invoke("fraud", i);
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${w.url}/deployments/fraud`);
  await page.getByText("Deployments").first().waitFor();
  await page.getByText("2/2 ready").waitFor();
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: `${OUT}endpoint-page.png`, fullPage: true });
  await browser.close();
  console.log(`wrote ${OUT}endpoint-page.png`);
} finally {
  await w.close();
}
