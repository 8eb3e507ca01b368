/** What started a pipeline run, in a few words: "push by ana to main (1a2b3c4)", "cron 0 3 * * *", "registry churn v3 @champion". */
import type { WirePipelineRun } from "../../api/pipelines-api";

export function triggerText(t: WirePipelineRun["trigger"]): string {
  const d = (t.detail ?? {}) as Record<string, unknown>;
  const s = (k: string) => (typeof d[k] === "string" || typeof d[k] === "number" ? String(d[k]) : undefined);
  switch (t.kind) {
    case "git": {
      const ref = s("ref")?.replace(/^refs\/heads\//, "");
      return `push${t.actor ? ` by ${t.actor}` : ""}${ref ? ` to ${ref}` : ""}${s("commit") ? ` (${s("commit")!.slice(0, 7)})` : ""}`;
    }
    case "cron":
      return `schedule ${s("cron") ?? ""}`.trim();
    case "registry":
      return `registry: ${s("model") ?? ""} v${s("version") ?? "?"}${s("alias") ? ` @${s("alias")}` : ""}${s("to_stage") ? ` → ${s("to_stage")}` : ""}`;
    case "monitor":
      return `monitor alert${s("monitor") ? ` ${s("monitor")}` : ""}${s("rule") ? ` (${s("rule")})` : ""}`;
    default:
      return `manual${t.actor ? ` by ${t.actor}` : ""}`;
  }
}
