/**
 * The OpenTelemetry SDK behind {@link Tracing}: a tracer provider of its own
 * (no global registration: contexts are passed explicitly from span to span,
 * so no async-hooks context manager runs), the W3C trace-context propagator,
 * and a batching OTLP/HTTP exporter (JSON). Loaded only when tracing is on.
 * @module
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { CICLO_VERSION } from "../shared/node/version.js";
import type { IncomingHeaders, SpanAttributes, SpanHandle, Tracing, TracingConfig } from "./tracing.js";

const propagator = new W3CTraceContextPropagator();

const headerGetter: TextMapGetter<IncomingHeaders> = {
  keys: (h) => Object.keys(h),
  get: (h, key) => h[key.toLowerCase()],
};

class OtelSpan implements SpanHandle {
  private readonly ctx: Context;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    parent: Context,
  ) {
    this.ctx = trace.setSpan(parent, span);
  }

  inject(headers: Record<string, string>): void {
    propagator.inject(this.ctx, headers, { set: (h, k, v) => void (h[k] = v) });
  }

  child(name: string, kind: "client" | "internal", attributes?: SpanAttributes): SpanHandle {
    const span = this.tracer.startSpan(name, { kind: kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes }, this.ctx);
    return new OtelSpan(this.tracer, span, this.ctx);
  }

  setAttribute(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
  }

  end(outcome?: number | Error): void {
    if (typeof outcome === "number") {
      this.span.setAttribute("http.response.status_code", outcome);
      if (outcome >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${outcome}` });
    } else if (outcome instanceof Error) {
      this.span.recordException(outcome);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
    }
    this.span.end();
  }
}

export class OtelTracing implements Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(config: TracingConfig) {
    const exporter = new OTLPTraceExporter({ url: config.tracesUrl });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": config.serviceName, "service.version": CICLO_VERSION }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.scheduleDelayMs ?? 1000 })],
    });
    this.tracer = this.provider.getTracer("ciclo", CICLO_VERSION);
  }

  server(name: string, headers: IncomingHeaders, attributes?: SpanAttributes): SpanHandle {
    const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    return new OtelSpan(this.tracer, span, parent);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
