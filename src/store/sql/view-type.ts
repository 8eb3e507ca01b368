/** Lifecycle stages selected by MLflow's ViewType. */
import type { LifecycleStage, ViewType } from "../../shared/types.js";

export function viewTypeStages(viewType: ViewType): LifecycleStage[] {
  if (viewType === "ACTIVE_ONLY") return ["active"];
  if (viewType === "DELETED_ONLY") return ["deleted"];
  return ["active", "deleted"];
}
