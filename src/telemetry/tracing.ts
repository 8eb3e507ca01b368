/**
 * Traces: OpenTelemetry spans for a request's way through ciclo — the router
 * (in `ciclo server` or `ciclo gateway`), the model server, its runtime — with
 * W3C trace context (`traceparent`, `tracestate`) carried over HTTP between
 * them, exported over OTLP/HTTP.
 *
 * This file is the seam the rest of ciclo sees: a small {@link Tracing}
 * interface and {@link loadTracing}, which returns `undefined` when no OTLP
 * endpoint is configured. The OpenTelemetry SDK is imported only then
 * (`otel-tracing.ts`, a dynamic import), so a ciclo without tracing neither
 * loads it nor pays more than one `undefined` check per request.
 * @module
 */

export type SpanAttributes = Record<string, string | number | boolean>;
export type IncomingHeaders = Record<string, string | string[] | undefined>;

export interface SpanHandle {
  /** Adds `traceparent` (and `tracestate`) naming this span to the headers of a request it makes. */
  inject(headers: Record<string, string>): void;
  /** A span below this one (a call it makes, or a step it runs). */
  child(name: string, kind: "client" | "internal", attributes?: SpanAttributes): SpanHandle;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Ends the span: an HTTP status (≥ 500 marks an error), an Error, or nothing (ok). */
  end(outcome?: number | Error): void;
}

export interface Tracing {
  /** A span for a request received, continuing the caller's trace when its headers carry one. */
  server(name: string, headers: IncomingHeaders, attributes?: SpanAttributes): SpanHandle;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingConfig {
  /** Where spans go: the OTLP/HTTP traces URL (`…/v1/traces`). */
  tracesUrl: string;
  /** `service.name` of this process's spans. */
  serviceName: string;
  /** How long spans wait to be sent in a batch, ms (default 1000; `OTEL_BSP_SCHEDULE_DELAY`). */
  scheduleDelayMs?: number;
}

/** `http://collector:4318` → `http://collector:4318/v1/traces` (the OTLP/HTTP convention for the base endpoint). */
export function tracesUrlOf(base: string): string {
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}

/**
 * Tracing settings from a flag (the OTLP base endpoint) or OpenTelemetry's
 * standard variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full traces
 * URL), else `OTEL_EXPORTER_OTLP_ENDPOINT` (the base). `OTEL_SDK_DISABLED=true`
 * or `OTEL_TRACES_EXPORTER=none` turn it off. Undefined when off.
 */
export function tracingConfig(serviceName: string, env: NodeJS.ProcessEnv, flagEndpoint?: string): TracingConfig | undefined {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === "true" || env.OTEL_TRACES_EXPORTER === "none") return undefined;
  const url = flagEndpoint ? tracesUrlOf(flagEndpoint) : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (env.OTEL_EXPORTER_OTLP_ENDPOINT ? tracesUrlOf(env.OTEL_EXPORTER_OTLP_ENDPOINT) : undefined);
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`The OTLP endpoint '${url.slice(0, 200)}' is not a URL: give http(s)://host:port (e.g. http://otel-collector:4318).`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`The OTLP endpoint must be http:// or https://, got '${parsed.protocol}'.`);
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return { tracesUrl: url, serviceName, ...(Number.isFinite(delay) && delay > 0 && { scheduleDelayMs: delay }) };
}

/** The tracer for `config`, the SDK loaded now; undefined (nothing loaded) when tracing is off. */
export async function loadTracing(config: TracingConfig | undefined): Promise<Tracing | undefined> {
  if (!config) return undefined;
  const { OtelTracing } = await import("./otel-tracing.js");
  return new OtelTracing(config);
}
