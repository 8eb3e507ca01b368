/** How long a finished pipeline run took: the time it spent running; a resumed run says so, and in full also the time since its first start. */
import type { WirePipelineRun } from "../../api/pipelines-api";
import { formatDuration } from "../../format";
import { pipelineRunTook } from "../../../../src/shared/wire/pipeline-progress";

export function tookText(r: WirePipelineRun, full: boolean): string {
  const took = pipelineRunTook(r);
  if (!took) return "";
  if (!took.resumed) return formatDuration(took.runningMs);
  return full
    ? `${formatDuration(took.runningMs)} running (resumed; ${formatDuration(took.sinceFirstStartMs)} since its first start)`
    : `${formatDuration(took.runningMs)} (resumed)`;
}
