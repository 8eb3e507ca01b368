/** The services the tracking routes call. */
import type { ExperimentService } from "../experiment-service.js";
import type { MetricService } from "../metric-service.js";
import type { RunService } from "../run-service.js";

export interface TrackingServices {
  experiments: ExperimentService;
  runs: RunService;
  metrics: MetricService;
}
