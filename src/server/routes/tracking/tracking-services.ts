/** The services the tracking routes call. */
import type { ExperimentService } from "../../../tracking/experiment-service.js";
import type { MetricService } from "../../../tracking/metric-service.js";
import type { RunService } from "../../../tracking/run-service.js";

export interface TrackingServices {
  experiments: ExperimentService;
  runs: RunService;
  metrics: MetricService;
}
