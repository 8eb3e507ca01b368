// Waits for an endpoint's rollout (the deploy step's canary) to finish: exit 0 when the candidate took all the
// traffic, 1 when the rollout was rolled back or aborted, 2 after --timeout seconds. Talks to the ciclo server the
// step runs against ($CICLO_TRACKING_URI, with $CICLO_TRACKING_TOKEN when sign-in is on).
// Usage: node wait-rollout.mjs <endpoint> <rollout-id> [--timeout 600]
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { timeout: { type: "string", default: "600" } } });
const [endpoint, rolloutId] = positionals;
if (!endpoint || !rolloutId) throw new Error("usage: node wait-rollout.mjs <endpoint> <rollout-id> [--timeout seconds]");
const base = process.env.CICLO_TRACKING_URI ?? process.env.MLFLOW_TRACKING_URI ?? "http://127.0.0.1:5000";
const token = process.env.CICLO_TRACKING_TOKEN ?? process.env.MLFLOW_TRACKING_TOKEN;
const deadline = Date.now() + Number(values.timeout) * 1000;
let last = "";
for (;;) {
  const res = await fetch(`${base}/api/ciclo/v1/endpoints/${encodeURIComponent(endpoint)}/rollouts`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`rollouts of ${endpoint}: HTTP ${res.status} ${await res.text()}`);
  const r = (await res.json()).rollouts.find((x) => x.rollout_id === rolloutId);
  if (!r) throw new Error(`endpoint ${endpoint} has no rollout ${rolloutId}`);
  const state = `${r.state} (step ${r.step})`;
  if (state !== last) console.log(`rollout ${rolloutId}: ${state}`);
  last = state;
  if (r.state === "succeeded") process.exit(0);
  if (["rolled_back", "aborted", "failed"].includes(r.state)) {
    console.error(`rollout ${rolloutId} ended ${r.state}: ${r.reason ?? ""}`);
    process.exit(1);
  }
  if (Date.now() > deadline) {
    // A step is judged only once the candidate answered its minimum of requests (20 unless the strategy says).
    console.error(`rollout ${rolloutId} still ${r.state} after ${values.timeout} s: are requests reaching ${base}/endpoints/${endpoint}/invocations? A canary step waits for enough of them.`);
    process.exit(2);
  }
  await new Promise((ok) => setTimeout(ok, 500));
}
