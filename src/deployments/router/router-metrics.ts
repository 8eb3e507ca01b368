/**
 * The router's Prometheus metrics, per endpoint and deployment: RED (requests
 * by status class, errors, duration), mirrored requests with their latency
 * and prediction divergence, and the deployments' health (ready and desired
 * replicas, restarts) read at scrape time.
 *
 * The request series are plain numbers per deployment, counted on the
 * request path and turned into samples only when scraped (prom-client's own
 * labelled children hash and check their labels on every increment, a
 * visible share of a routed request's CPU); they sit in the same prom-client
 * registry as the health gauges, so `/metrics` reads as before.
 * @module
 */
import { Gauge, Registry, type Metric } from "prom-client";

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

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const MIRROR_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DIVERGENCE_BUCKETS = [0, 1e-6, 1e-4, 1e-2, 0.1, 0.5, 1, 5, 10, 100];

/** A histogram's counts per bucket (not cumulative; the last slot is above every bound), sum and count. */
class Tally {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

interface Counts extends DeploymentSeries {
  labels: { endpoint: string; deployment: string };
  /** Answers by status class: index 1 is 1xx … 5 is 5xx. */
  classes: number[];
  errors: number;
  duration: Tally;
  mirrorOk: number;
  mirrorError: number;
  mirrorDuration: Tally;
  divergence: Tally;
}

type Sample = { metricName?: string; labels: Record<string, string | number>; value: number };

function histogramSamples(name: string, labels: Record<string, string>, t: Tally): Sample[] {
  if (t.count === 0) return [];
  const out: Sample[] = [];
  let cumulative = 0;
  t.bounds.forEach((le, i) => {
    cumulative += t.counts[i];
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: t.count });
  out.push({ metricName: `${name}_sum`, labels, value: t.sum });
  out.push({ metricName: `${name}_count`, labels, value: t.count });
  return out;
}

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, Counts>();

  constructor(health: () => HealthSample[]) {
    const registers = [this.registry];
    const all = () => [...this.series.values()];
    this.collector("ciclo_endpoint_requests_total", "Endpoint requests answered, by deployment and status class", "counter", () =>
      all().flatMap((s) => s.classes.flatMap((n, i) => (n > 0 ? [{ labels: { ...s.labels, code: `${i}xx` }, value: n }] : []))),
    );
    this.collector("ciclo_endpoint_errors_total", "Endpoint requests answered 5xx or not answered (no ready replica, connection lost)", "counter", () =>
      all().flatMap((s) => (s.errors > 0 ? [{ labels: s.labels, value: s.errors }] : [])),
    );
    this.collector("ciclo_endpoint_request_duration_seconds", "Time from a request's arrival at the router to its answer", "histogram", () =>
      all().flatMap((s) => histogramSamples("ciclo_endpoint_request_duration_seconds", s.labels, s.duration)),
    );
    this.collector("ciclo_endpoint_mirror_requests_total", "Mirrored (shadow) requests, by outcome", "counter", () =>
      all().flatMap((s) => [
        ...(s.mirrorOk > 0 ? [{ labels: { ...s.labels, outcome: "ok" }, value: s.mirrorOk }] : []),
        ...(s.mirrorError > 0 ? [{ labels: { ...s.labels, outcome: "error" }, value: s.mirrorError }] : []),
      ]),
    );
    this.collector("ciclo_endpoint_mirror_duration_seconds", "Latency of mirrored requests (their answers are discarded)", "histogram", () =>
      all().flatMap((s) => histogramSamples("ciclo_endpoint_mirror_duration_seconds", s.labels, s.mirrorDuration)),
    );
    this.collector("ciclo_endpoint_prediction_divergence", "Mean absolute difference of a mirrored answer's predictions from the primary's", "histogram", () =>
      all().flatMap((s) => histogramSamples("ciclo_endpoint_prediction_divergence", s.labels, s.divergence)),
    );
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

  /** A metric of the registry whose samples are made at scrape time (prom-client's collector shape). */
  private collector(name: string, help: string, type: "counter" | "histogram", values: () => Sample[]): void {
    const metric = { name, help, type, aggregator: "sum", get: async () => ({ name, help, type, aggregator: "sum", values: values() }) };
    this.registry.registerMetric(metric as unknown as Metric);
  }

  /** The series of one deployment (kept for the process's life, as prom-client's children are). */
  of(endpoint: string, deployment: string): DeploymentSeries {
    const key = `${endpoint}\u0000${deployment}`;
    let s = this.series.get(key);
    if (s) return s;
    const c: Counts = {
      labels: { endpoint, deployment },
      classes: [0, 0, 0, 0, 0, 0],
      errors: 0,
      duration: new Tally(DURATION_BUCKETS),
      mirrorOk: 0,
      mirrorError: 0,
      mirrorDuration: new Tally(MIRROR_BUCKETS),
      divergence: new Tally(DIVERGENCE_BUCKETS),
      answered(code, seconds) {
        const cls = Math.floor(code / 100);
        if (cls >= 1 && cls <= 5) c.classes[cls]++;
        c.duration.observe(seconds);
        if (code >= 500) c.errors++;
      },
      failed() {
        c.errors++;
      },
      mirrored(ok, seconds, d) {
        if (ok) c.mirrorOk++;
        else c.mirrorError++;
        c.mirrorDuration.observe(seconds);
        if (d !== undefined && Number.isFinite(d)) c.divergence.observe(d);
      },
    };
    this.series.set(key, (s = c));
    return s;
  }
}
