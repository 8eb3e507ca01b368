/**
 * The router's Prometheus metrics, per endpoint and deployment: RED (requests
 * by status class, errors, duration), mirrored requests with their latency
 * and prediction divergence, and the deployments' health (ready and desired
 * replicas, restarts) read at scrape time.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface HealthSample {
  endpoint: string;
  deployment: string;
  ready: number;
  desired: number;
  restarts: number;
  weight: number;
  mirror: number;
}

export interface DeploymentSeries {
  answered(code: number, seconds: number): void;
  failed(): void;
  mirrored(ok: boolean, seconds: number, divergence: number | undefined): void;
}

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"endpoint" | "deployment" | "code">;
  private readonly errors: Counter<"endpoint" | "deployment">;
  private readonly duration: Histogram<"endpoint" | "deployment">;
  private readonly mirrorRequests: Counter<"endpoint" | "deployment" | "outcome">;
  private readonly mirrorDuration: Histogram<"endpoint" | "deployment">;
  private readonly divergence: Histogram<"endpoint" | "deployment">;
  private readonly series = new Map<string, DeploymentSeries>();

  constructor(health: () => HealthSample[]) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "ciclo_endpoint_requests_total", help: "Endpoint requests answered, by deployment and status class", labelNames: ["endpoint", "deployment", "code"], registers });
    this.errors = new Counter({ name: "ciclo_endpoint_errors_total", help: "Endpoint requests answered 5xx or not answered (no ready replica, connection lost)", labelNames: ["endpoint", "deployment"], registers });
    this.duration = new Histogram({
      name: "ciclo_endpoint_request_duration_seconds",
      help: "Time from a request's arrival at the router to its answer",
      labelNames: ["endpoint", "deployment"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.mirrorRequests = new Counter({ name: "ciclo_endpoint_mirror_requests_total", help: "Mirrored (shadow) requests, by outcome", labelNames: ["endpoint", "deployment", "outcome"], registers });
    this.mirrorDuration = new Histogram({
      name: "ciclo_endpoint_mirror_duration_seconds",
      help: "Latency of mirrored requests (their answers are discarded)",
      labelNames: ["endpoint", "deployment"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.divergence = new Histogram({
      name: "ciclo_endpoint_prediction_divergence",
      help: "Mean absolute difference of a mirrored answer's predictions from the primary's",
      labelNames: ["endpoint", "deployment"],
      buckets: [0, 1e-6, 1e-4, 1e-2, 0.1, 0.5, 1, 5, 10, 100],
      registers,
    });
    const gauge = (name: string, help: string, pick: (h: HealthSample) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["endpoint", "deployment"],
        registers,
        collect() {
          this.reset();
          for (const h of health()) this.labels({ endpoint: h.endpoint, deployment: h.deployment }).set(pick(h));
        },
      });
    gauge("ciclo_deployment_replicas_ready", "Replicas of a deployment ready to take traffic", (h) => h.ready);
    gauge("ciclo_deployment_replicas_desired", "Replicas a deployment asks for", (h) => h.desired);
    gauge("ciclo_deployment_restarts", "Times a deployment's replicas were restarted after exiting", (h) => h.restarts);
    gauge("ciclo_deployment_traffic_percent", "Live traffic weight of a deployment", (h) => h.weight);
    gauge("ciclo_deployment_mirror_percent", "Mirrored share of a deployment", (h) => h.mirror);
  }

  /** Label children bound once per deployment (a request costs no label hashing). */
  of(endpoint: string, deployment: string): DeploymentSeries {
    const key = `${endpoint}\u0000${deployment}`;
    let s = this.series.get(key);
    if (s) return s;
    const l = { endpoint, deployment };
    const dur = this.duration.labels(l);
    const err = this.errors.labels(l);
    const byClass = new Map<string, { inc(): void }>();
    const mOk = this.mirrorRequests.labels({ ...l, outcome: "ok" });
    const mErr = this.mirrorRequests.labels({ ...l, outcome: "error" });
    const mDur = this.mirrorDuration.labels(l);
    const div = this.divergence.labels(l);
    s = {
      answered: (code, seconds) => {
        const cls = `${Math.floor(code / 100)}xx`;
        let c = byClass.get(cls);
        if (!c) byClass.set(cls, (c = this.requests.labels({ ...l, code: cls })));
        c.inc();
        dur.observe(seconds);
        if (code >= 500) err.inc();
      },
      failed: () => err.inc(),
      mirrored: (ok, seconds, d) => {
        (ok ? mOk : mErr).inc();
        mDur.observe(seconds);
        if (d !== undefined && Number.isFinite(d)) div.observe(d);
      },
    };
    this.series.set(key, s);
    return s;
  }
}
