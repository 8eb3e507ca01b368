/**
 * Prometheus gauges of the monitors' latest values (served at
 * `GET /api/ciclo/v1/monitoring/metrics`): every point of a monitor's last
 * run, whether it was flagged, the firing alerts, and the inference sink's
 * counters. Metric names are labels, not names, so new columns need no new
 * series definitions.
 * @module
 */
import { Gauge, Registry } from "prom-client";
import type { MonitorPoint } from "../core/monitoring-store.js";

export class MonitorGauges {
  readonly registry = new Registry();
  private readonly value = new Gauge({ name: "ciclo_monitor_value", help: "Latest value of a monitor's metric (drift score, performance, operations).", labelNames: ["monitor", "metric"], registers: [this.registry] });
  private readonly flagged = new Gauge({ name: "ciclo_monitor_flagged", help: "1 when the latest value of a monitor's metric failed its check.", labelNames: ["monitor", "metric"], registers: [this.registry] });
  private readonly firing = new Gauge({ name: "ciclo_monitor_alert_firing", help: "1 while an alert rule of a monitor has an open incident.", labelNames: ["monitor", "rule"], registers: [this.registry] });
  private readonly lastRun = new Gauge({ name: "ciclo_monitor_last_window_end_seconds", help: "End of the last window a monitor evaluated, Unix seconds.", labelNames: ["monitor"], registers: [this.registry] });

  constructor(sink?: () => { recorded: number; dropped: number; skipped: number }) {
    if (sink) {
      new Gauge({
        name: "ciclo_inference_events",
        help: "Inference events the server's sink has seen, by outcome (dropped: buffer full or write failed; skipped: sampled out).",
        labelNames: ["outcome"],
        registers: [this.registry],
        collect() {
          const s = sink();
          this.set({ outcome: "dropped" }, s.dropped);
          this.set({ outcome: "skipped" }, s.skipped);
        },
      });
    }
  }

  observe(monitor: string, windowEnd: number, points: MonitorPoint[]): void {
    for (const p of points) {
      if (p.value !== null) this.value.set({ monitor, metric: p.metric }, p.value);
      this.flagged.set({ monitor, metric: p.metric }, p.flagged ? 1 : 0);
    }
    this.lastRun.set({ monitor }, windowEnd / 1000);
  }

  alert(monitor: string, rule: string, firing: boolean): void {
    this.firing.set({ monitor, rule }, firing ? 1 : 0);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
