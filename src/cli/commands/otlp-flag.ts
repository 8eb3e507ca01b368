/**
 * `--otlp-endpoint <url>`, shared by `ciclo server`, `ciclo gateway` and
 * `ciclo models serve`: where OpenTelemetry spans go (OTLP/HTTP). Without the
 * flag, OpenTelemetry's own variables decide (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); with neither, nothing is traced.
 * @module
 */
import { tracingConfig, type TracingConfig } from "../../telemetry/tracing.js";
import { UsageError } from "../output/cli-errors.js";

export const OTLP_FLAG = "--otlp-endpoint <url>";
export const OTLP_FLAG_HELP = "export OpenTelemetry traces over OTLP/HTTP to this collector, e.g. http://otel-collector:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT; none = no tracing)";

/** The tracing settings for this process, or undefined (off); a malformed URL is a usage error. */
export function otlpTracing(serviceName: string, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): TracingConfig | undefined {
  try {
    return tracingConfig(serviceName, env, flag);
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (${flag !== undefined ? "--otlp-endpoint" : "OTEL_EXPORTER_OTLP_ENDPOINT"})`);
  }
}
