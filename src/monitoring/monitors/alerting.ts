/**
 * Alert rules over a run's flagged points. An incident opens when a rule's
 * condition first holds: one webhook, one action (a retraining pipeline run
 * with the window as its input). While it keeps holding, later runs only
 * extend the incident; when it stops holding the incident resolves. A new
 * incident of the same rule waits out the cool-down after the last one
 * opened, so a flapping signal starts one retraining, not one per window.
 * @module
 */
import type { AlertRecord, MonitoringStore, MonitorPoint, MonitorRecord } from "../core/monitoring-store.js";
import { DEFAULT_COOLDOWN_SECONDS, RETRAIN_JOB_TYPE, type AlertCondition, type AlertRule } from "../core/monitor-spec.js";
import type { MonitorRunResult } from "./monitor-runner.js";
import type { AlertMessage } from "./webhook-sender.js";

export interface AlertingDeps {
  store: MonitoringStore;
  send(rule: AlertRule, message: AlertMessage): Promise<number>;
  /** Enqueues the rule's action; undefined when no job runner is there. */
  enqueue?(input: { type: string; payload: unknown; idempotencyKey: string }): Promise<{ job: { jobId: string } }>;
  now?: () => number;
}

export interface AlertOutcome {
  rule: string;
  /** `opened` (notified), `continuing`, `resolved`, `cooling-down` (held, not notified), `quiet`. */
  outcome: "opened" | "continuing" | "resolved" | "cooling-down" | "quiet";
  alert?: AlertRecord;
}

function flaggedFor(when: AlertCondition, points: MonitorPoint[]): MonitorPoint[] {
  const f = points.filter((p) => p.flagged);
  switch (when) {
    case "dataset_drift":
      return f.some((p) => p.metric === "dataset.drift_share") ? f.filter((p) => p.metric.startsWith("drift.") || p.metric === "dataset.drift_share") : [];
    case "column_drift":
      return f.filter((p) => p.metric.startsWith("drift."));
    case "performance":
      return f.filter((p) => p.metric.startsWith("perf.") || p.metric.startsWith("cbpe."));
    case "operations":
      return f.filter((p) => p.metric.startsWith("ops."));
    case "any":
      return f;
  }
}

function describe(m: MonitorRecord, rule: AlertRule, r: MonitorRunResult, flagged: MonitorPoint[]): AlertMessage {
  const columns = flagged.filter((p) => p.metric.startsWith("drift.")).map((p) => p.metric.slice("drift.".length));
  const share = r.points.find((p) => p.metric === "dataset.drift_share")?.value;
  const parts: string[] = [];
  if (columns.length > 0) parts.push(`drift in ${columns.length} column(s): ${columns.join(", ")}${share != null ? ` (share ${share.toFixed(2)})` : ""}`);
  const others = flagged.filter((p) => !p.metric.startsWith("drift.") && p.metric !== "dataset.drift_share");
  if (others.length > 0) parts.push(others.map((p) => `${p.metric} = ${p.value === null ? "n/a" : Number(p.value.toPrecision(4))}`).join(", "));
  const t = m.spec.target;
  const target = `${t.model_name ?? "the model"}${r.modelVersion ? ` v${r.modelVersion}` : ""}${t.endpoint ? ` on ${t.endpoint}${t.deployment ? `/${t.deployment}` : ""}` : ""}${t.dataset ? ` (dataset ${t.dataset})` : ""}`;
  return {
    monitor: m.name,
    rule: rule.name,
    title: `ciclo monitor '${m.name}': ${rule.name}`,
    text: `${target}: ${parts.join("; ")}`,
    windowStart: r.windowStart,
    windowEnd: r.windowEnd,
    flagged: flagged.map((p) => p.metric),
    alertId: 0,
  };
}

export async function evaluateAlerts(deps: AlertingDeps, m: MonitorRecord, r: MonitorRunResult): Promise<AlertOutcome[]> {
  const now = (deps.now ?? Date.now)();
  const out: AlertOutcome[] = [];
  for (const rule of m.spec.alerts ?? []) {
    const flagged = flaggedFor(rule.when, r.points);
    const firing = await deps.store.firingAlert(m.monitorId, rule.name);
    if (flagged.length === 0) {
      if (firing) {
        await deps.store.updateAlert(firing.alertId, { state: "resolved", closedAt: now });
        out.push({ rule: rule.name, outcome: "resolved", alert: { ...firing, state: "resolved", closedAt: now } });
      } else out.push({ rule: rule.name, outcome: "quiet" });
      continue;
    }
    if (firing) {
      await deps.store.updateAlert(firing.alertId, { lastSeenAt: now, windowEnd: Math.max(firing.windowEnd, r.windowEnd) });
      out.push({ rule: rule.name, outcome: "continuing", alert: firing });
      continue;
    }
    const last = await deps.store.latestAlert(m.monitorId, rule.name);
    const cooldownMs = (rule.cooldown_seconds ?? DEFAULT_COOLDOWN_SECONDS) * 1000;
    if (last && now - last.openedAt < cooldownMs) {
      out.push({ rule: rule.name, outcome: "cooling-down", alert: last });
      continue;
    }
    const message = describe(m, rule, r, flagged);
    const alert = await deps.store.insertAlert({
      monitorId: m.monitorId,
      rule: rule.name,
      state: "firing",
      openedAt: now,
      lastSeenAt: now,
      closedAt: null,
      windowStart: r.windowStart,
      windowEnd: r.windowEnd,
      message: message.text,
      delivery: null,
      actionJobId: null,
    });
    message.alertId = alert.alertId;
    let delivery: string | null = null;
    if (rule.webhook) {
      try {
        await deps.send(rule, message);
        delivery = "delivered";
      } catch (err) {
        delivery = `failed: ${(err as Error).message}`;
      }
    }
    let actionJobId: string | null = null;
    if (rule.action) {
      const type = rule.action.job_type ?? RETRAIN_JOB_TYPE;
      const payload = {
        pipeline: rule.action.pipeline,
        params: rule.action.params ?? {},
        trigger: { kind: "monitor", monitor: m.name, monitor_id: m.monitorId, rule: rule.name, alert_id: alert.alertId, flagged: message.flagged },
        input: {
          window_start: r.windowStart,
          window_end: r.windowEnd,
          model_name: m.spec.target.model_name ?? null,
          model_version: r.modelVersion ?? null,
          endpoint: m.spec.target.endpoint ?? null,
          deployment: m.spec.target.deployment ?? null,
          dataset: m.spec.target.dataset ?? null,
          segments: r.segments,
          window_profile: r.profilePath ?? null,
          reference_profile: m.spec.reference_profile ?? null,
        },
      };
      try {
        if (!deps.enqueue) throw new Error("no job runner in this server");
        actionJobId = (await deps.enqueue({ type, payload, idempotencyKey: `monitoring.alert:${m.monitorId}:${alert.alertId}` })).job.jobId;
      } catch (err) {
        delivery = `${delivery ? `${delivery}; ` : ""}action failed: ${(err as Error).message}`;
      }
    }
    await deps.store.updateAlert(alert.alertId, { delivery, actionJobId });
    out.push({ rule: rule.name, outcome: "opened", alert: { ...alert, delivery, actionJobId } });
  }
  return out;
}
