/**
 * Optional system metrics of a run (`startRun({ systemMetrics: true })` or
 * `CICLO_SYSTEM_METRICS=1`; MLflow's `MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING=true`
 * works too): every `intervalMs` (default 5 s) one sample of CPU, memory and
 * event-loop lag goes to the run's logger as `system/*` metrics, step = sample
 * number, as MLflow's system-metrics monitor logs them. Sampling is a few
 * synchronous reads (no I/O waits); the timer is unref'd, so it never keeps
 * the process alive, and logging is the logger's buffered, never-throwing path.
 * @module
 */
import { cpus, freemem, totalmem } from "node:os";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

export const DEFAULT_SYSTEM_METRICS_INTERVAL_MS = 5000;

/** The metric keys, MLflow's names where MLflow has the measure. */
export const SYSTEM_METRICS = {
  cpu: "system/cpu_utilization_percentage",
  processCpu: "system/process_cpu_utilization_percentage",
  memoryUsed: "system/system_memory_usage_megabytes",
  memoryPercent: "system/system_memory_usage_percentage",
  rss: "system/process_rss_megabytes",
  heapUsed: "system/process_heap_used_megabytes",
  heapTotal: "system/process_heap_total_megabytes",
  lagMean: "system/event_loop_lag_mean_milliseconds",
  lagP99: "system/event_loop_lag_p99_milliseconds",
  lagMax: "system/event_loop_lag_max_milliseconds",
} as const;

export interface SystemMetricsOptions {
  /** Between samples, ms (default CICLO_SYSTEM_METRICS_INTERVAL / MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL seconds, else 5 s). */
  intervalMs?: number;
  /** Called after each sample with what was logged (tests, dashboards). */
  onSample?: (values: Record<string, number>, step: number) => void;
}

/** Where samples go: a run's logger. */
export interface MetricsSink {
  logMetrics(values: Record<string, number>, step?: number, timestamp?: number): void;
}

const MB = 1024 * 1024;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** True when the environment turns system metrics on. */
export function systemMetricsFromEnv(env: NodeJS.ProcessEnv): boolean {
  const v = (env.CICLO_SYSTEM_METRICS ?? env.MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING)?.trim().toLowerCase();
  return v === "1" || v === "true";
}

export function systemMetricsIntervalFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.CICLO_SYSTEM_METRICS_INTERVAL ?? env.MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL;
  const s = v === undefined || v === "" ? NaN : Number(v);
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

export class SystemMetricsMonitor {
  private timer: NodeJS.Timeout | undefined;
  private histogram: IntervalHistogram | undefined;
  private step = 0;
  private lastCpu = cpuTimes();
  private lastProcessCpu = process.cpuUsage();
  private lastAt = performance.now();
  readonly intervalMs: number;

  constructor(
    private readonly sink: MetricsSink,
    private readonly opts: SystemMetricsOptions = {},
  ) {
    this.intervalMs = Math.max(10, opts.intervalMs ?? DEFAULT_SYSTEM_METRICS_INTERVAL_MS);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): this {
    if (this.timer) return this;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.lastCpu = cpuTimes();
    this.lastProcessCpu = process.cpuUsage();
    this.lastAt = performance.now();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops sampling (endRun calls it before the final flush). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
    this.histogram = undefined;
  }

  /** Takes one sample now and logs it; resolves nothing, throws nothing. */
  sample(): Record<string, number> {
    const now = performance.now();
    const elapsedMs = Math.max(1, now - this.lastAt);
    const cpu = cpuTimes();
    const dTotal = cpu.total - this.lastCpu.total;
    const dIdle = cpu.idle - this.lastCpu.idle;
    const proc = process.cpuUsage(this.lastProcessCpu);
    const mem = process.memoryUsage();
    const total = totalmem();
    const used = total - freemem();
    const values: Record<string, number> = {
      [SYSTEM_METRICS.cpu]: round(dTotal > 0 ? (100 * (dTotal - dIdle)) / dTotal : 0, 1),
      // psutil's convention: 100 = one core busy for the whole interval.
      [SYSTEM_METRICS.processCpu]: round((100 * (proc.user + proc.system)) / 1000 / elapsedMs, 1),
      [SYSTEM_METRICS.memoryUsed]: round(used / MB, 1),
      [SYSTEM_METRICS.memoryPercent]: round((100 * used) / total, 1),
      [SYSTEM_METRICS.rss]: round(mem.rss / MB, 1),
      [SYSTEM_METRICS.heapUsed]: round(mem.heapUsed / MB, 1),
      [SYSTEM_METRICS.heapTotal]: round(mem.heapTotal / MB, 1),
    };
    const h = this.histogram;
    if (h && h.count > 0) {
      values[SYSTEM_METRICS.lagMean] = round(h.mean / 1e6, 3);
      values[SYSTEM_METRICS.lagP99] = round(h.percentile(99) / 1e6, 3);
      values[SYSTEM_METRICS.lagMax] = round(h.max / 1e6, 3);
      h.reset();
    }
    this.lastCpu = cpu;
    this.lastProcessCpu = process.cpuUsage();
    this.lastAt = now;
    const step = this.step++;
    this.sink.logMetrics(values, step, Date.now());
    try {
      this.opts.onSample?.(values, step);
    } catch {
      // A throwing hook must not stop sampling.
    }
    return values;
  }
}

/** Starts sampling into `sink` when `setting` (else the environment) says so; undefined when off. */
export function startSystemMetrics(setting: boolean | SystemMetricsOptions | undefined, env: NodeJS.ProcessEnv, sink: MetricsSink): SystemMetricsMonitor | undefined {
  const on = setting ?? systemMetricsFromEnv(env);
  if (on === false) return undefined;
  return new SystemMetricsMonitor(sink, { intervalMs: systemMetricsIntervalFromEnv(env), ...(on === true ? {} : on) }).start();
}
