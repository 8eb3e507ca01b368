/**
 * The scoring server's Prometheus metrics (MLflow's server has none: mlflow
 * PR #3622), every series labelled by model name and version so one
 * Prometheus can watch several versions side by side (RED: rate, errors,
 * duration, plus saturation: in-flight, queue depth, batch sizes).
 *
 * One registry per app (no module globals); label children are cached so a
 * request costs a few array lookups, not label hashing.
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AdmissionStats } from "./admission-control.js";
import type { MeasuredMemoryStats } from "./measured-memory.js";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class ScoringMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"model" | "version" | "protocol" | "code">;
  private readonly errors: Counter<"model" | "version" | "protocol" | "error_code">;
  private readonly duration: Histogram<"model" | "version" | "protocol">;
  private readonly inFlightGauge: Gauge<"model" | "version">;
  private readonly queueGauge: Gauge<"model" | "version">;
  private readonly batchSize: Histogram<"model" | "version">;
  private readonly batchRows: Histogram<"model" | "version">;
  private readonly batchDuration: Histogram<"model" | "version">;
  private readonly readyGauge: Gauge<"model" | "version">;
  private readonly cache = new Map<string, { inc(): void } | { observe(v: number): void } | { set(v: number): void }>();
  private readonly labels: { model: string; version: string };
  private inFlight = 0;

  constructor(model: string, version: string, opts: { defaultMetrics?: boolean } = {}) {
    this.labels = { model, version };
    const registers = [this.registry];
    this.requests = new Counter({ name: "ciclo_serving_requests_total", help: "Scoring requests answered, by protocol and HTTP status", labelNames: ["model", "version", "protocol", "code"], registers });
    this.errors = new Counter({ name: "ciclo_serving_errors_total", help: "Scoring requests that failed, by MLflow error code", labelNames: ["model", "version", "protocol", "error_code"], registers });
    this.duration = new Histogram({
      name: "ciclo_serving_request_duration_seconds",
      help: "Time from a request's arrival to its answer",
      labelNames: ["model", "version", "protocol"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.inFlightGauge = new Gauge({ name: "ciclo_serving_requests_in_flight", help: "Scoring requests received and not yet answered", labelNames: ["model", "version"], registers });
    this.queueGauge = new Gauge({ name: "ciclo_serving_queue_depth", help: "Requests waiting for an inference thread", labelNames: ["model", "version"], registers });
    this.batchSize = new Histogram({ name: "ciclo_serving_batch_size", help: "Requests per model batch", labelNames: ["model", "version"], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers });
    this.batchRows = new Histogram({ name: "ciclo_serving_batch_rows", help: "Rows scored per model batch", labelNames: ["model", "version"], buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536], registers });
    this.batchDuration = new Histogram({
      name: "ciclo_serving_batch_duration_seconds",
      help: "Time an inference thread spent on a batch (parse, predict, serialise)",
      labelNames: ["model", "version"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.readyGauge = new Gauge({ name: "ciclo_serving_model_ready", help: "1 when the model is loaded and the server takes traffic", labelNames: ["model", "version"], registers });
    this.readyGauge.labels(this.labels).set(0);
    this.inFlightGauge.labels(this.labels).set(0);
    this.queueGauge.labels(this.labels).set(0);
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  private child<T>(key: string, make: () => T): T {
    let c = this.cache.get(key) as T | undefined;
    if (!c) {
      c = make();
      this.cache.set(key, c as never);
    }
    return c;
  }

  requestStarted(): void {
    this.inFlight++;
  }

  /** A request answered: status, protocol, seconds since arrival, and the error code of a failure. */
  requestDone(protocol: string, status: number, seconds: number, errorCode?: string): void {
    this.inFlight--;
    this.child(`r|${protocol}|${status}`, () => this.requests.labels({ ...this.labels, protocol, code: String(status) })).inc();
    this.child(`d|${protocol}`, () => this.duration.labels({ ...this.labels, protocol })).observe(seconds);
    if (errorCode) this.child(`e|${protocol}|${errorCode}`, () => this.errors.labels({ ...this.labels, protocol, error_code: errorCode })).inc();
  }

  batchDispatched(requests: number): void {
    this.child("bs", () => this.batchSize.labels(this.labels)).observe(requests);
  }

  batchDone(rows: number, ms: number): void {
    this.child("br", () => this.batchRows.labels(this.labels)).observe(rows);
    this.child("bd", () => this.batchDuration.labels(this.labels)).observe(ms / 1000);
  }

  queueDepth(n: number): void {
    this.child("q", () => this.queueGauge.labels(this.labels)).set(n);
  }

  /** Exposes the admission budget (estimated bytes in flight, the limit, refusals, the measured guard), read at scrape time. */
  watchAdmission(admission: {
    stats(): AdmissionStats;
    limits: { maxInflightBytes: number };
    measured?: { stats(): MeasuredMemoryStats; ceilingBytes: number };
  }): void {
    const labels = this.labels;
    const registers = [this.registry];
    new Gauge({
      name: "ciclo_serving_inflight_bytes",
      help: "Estimated memory held for requests in flight (admission budget in use)",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(admission.stats().inflightBytes);
      },
    });
    new Gauge({
      name: "ciclo_serving_inflight_peak_bytes",
      help: "The most estimated memory ever held for requests in flight at once",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(admission.stats().peakInflightBytes);
      },
    });
    new Gauge({
      name: "ciclo_serving_runtime_held_bytes",
      help: "Of the bytes in flight, what the runtime holds outside requests' estimates (Python worker buffers: batches sent and awaiting replies, replies being read)",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(admission.stats().heldBytes);
      },
    });
    new Gauge({
      name: "ciclo_serving_runtime_held_peak_bytes",
      help: "The most the runtime ever held outside requests' estimates at once",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(admission.stats().peakHeldBytes);
      },
    });
    new Gauge({
      name: "ciclo_serving_inflight_limit_bytes",
      help: "The admission budget: past it requests get 503",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(admission.limits.maxInflightBytes);
      },
    });
    new Counter({
      name: "ciclo_serving_admission_refused_total",
      help: "Requests refused with 503 because the memory budget was full",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.reset();
        this.labels(labels).inc(admission.stats().refused);
      },
    });
    const measured = admission.measured;
    if (!measured) return;
    new Gauge({
      name: "ciclo_serving_memory_above_idle_bytes",
      help: "Resident memory (the server and its runtime's processes) above the idle server, as last measured",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(measured.stats().aboveBytes);
      },
    });
    new Gauge({
      name: "ciclo_serving_memory_above_idle_peak_bytes",
      help: "The most resident memory ever measured above the idle server",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(measured.stats().peakAboveBytes);
      },
    });
    new Gauge({
      name: "ciclo_serving_memory_ceiling_bytes",
      help: "Measured memory above idle past which new requests get 503 (a share of the admission budget)",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.labels(labels).set(measured.ceilingBytes);
      },
    });
    new Counter({
      name: "ciclo_serving_admission_refused_measured_total",
      help: "Of the requests refused with 503 for memory, those refused because the measured memory was past its ceiling",
      labelNames: ["model", "version"],
      registers,
      collect() {
        this.reset();
        this.labels(labels).inc(admission.stats().refusedMeasured);
      },
    });
  }

  /** Exposes the request log's losses (a full buffer or a refused flush), read at scrape time. */
  watchInferenceLog(log: { readonly dropped: number }): void {
    const labels = this.labels;
    new Counter({
      name: "ciclo_serving_inference_log_dropped_total",
      help: "Answered requests the request log lost: its buffer was full or a flush was refused",
      labelNames: ["model", "version"],
      registers: [this.registry],
      collect() {
        this.reset();
        this.labels(labels).inc(log.dropped);
      },
    });
  }

  setReady(ready: boolean): void {
    this.readyGauge.labels(this.labels).set(ready ? 1 : 0);
  }

  /** The exposition text (in-flight is read at scrape time rather than set per request). */
  async render(): Promise<string> {
    this.inFlightGauge.labels(this.labels).set(this.inFlight);
    return this.registry.metrics();
  }
}
