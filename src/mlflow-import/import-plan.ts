/**
 * Before anything is written: which target id each source experiment gets,
 * and whether the import would collide with what the target already holds.
 *
 * Experiment ids are kept. The one exception is a file store's: MLflow's file
 * store draws 18-digit random ids, which neither ciclo's nor MLflow's own SQL
 * schema (a 32-bit INTEGER column) can hold; such an experiment gets the next
 * free id, recorded in the import's progress table and its summary.
 *
 * A collision is an id or name the target already has that this import did
 * not write: an experiment id or name, a run id, a registered model name, a
 * logged model id. The untouched Default experiment (id 0) of a new ciclo
 * store is no collision: MLflow's experiment 0 replaces it.
 * @module
 */
import type { ImportState, ImportTarget } from "./import-target.js";
import type { SourceExperiment } from "./mlflow-source.js";

const MAX_ID = 2 ** 31 - 1;

export class ImportConflictError extends Error {
  constructor(readonly conflicts: string[]) {
    super(
      `The target store already holds ${conflicts.length} of the source's ids or names (${conflicts.slice(0, 5).join("; ")}${conflicts.length > 5 ? "; …" : ""}). ` +
        "Import into a new ciclo store, or remove them first: ids must keep their values for runs:/ and models:/ URIs to keep working.",
    );
  }
}

/** Source experiment id → target id. */
export function assignExperimentIds(experiments: SourceExperiment[], state: ImportState, targetMaxId: number): Map<string, number> {
  const ids = new Map<string, number>();
  const taken = new Set<number>();
  for (const e of experiments) {
    const done = state.experiment.get(e.experimentId);
    const n = done !== undefined ? Number(done) : Number(e.experimentId);
    if (done !== undefined || (/^\d+$/.test(e.experimentId) && n <= MAX_ID)) {
      ids.set(e.experimentId, n);
      taken.add(n);
    }
  }
  let next = Math.max(targetMaxId, ...taken, 0) + 1;
  for (const e of experiments) {
    if (ids.has(e.experimentId)) continue;
    while (taken.has(next)) next++;
    ids.set(e.experimentId, next);
    taken.add(next++);
  }
  return ids;
}

export interface PlannedImport {
  experiments: Array<{ source: SourceExperiment; targetId: number }>;
  runIds: string[];
  modelNames: string[];
  loggedModelIds: string[];
}

/** Lists what the not-yet-imported entities would collide with; empty when the import may go ahead. */
export async function findConflicts(target: ImportTarget, plan: PlannedImport): Promise<string[]> {
  const contents = await target.contents({
    experimentIds: plan.experiments.map((e) => e.targetId),
    experimentNames: plan.experiments.map((e) => e.source.name),
    runIds: plan.runIds,
    modelNames: plan.modelNames,
    loggedModelIds: plan.loggedModelIds,
  });
  const out: string[] = [];
  for (const { source, targetId } of plan.experiments) {
    const there = contents.experiments.get(targetId);
    if (there && !(targetId === 0 && there.pristineDefault)) out.push(`experiment id ${targetId} ('${there.name}')`);
    const named = contents.experimentNames.get(source.name);
    if (named !== undefined && named !== targetId) out.push(`experiment name '${source.name}' (id ${named})`);
    else if (named === targetId && !there) out.push(`experiment name '${source.name}'`);
  }
  for (const id of contents.runIds) out.push(`run ${id}`);
  for (const name of contents.registeredModels) out.push(`registered model '${name}'`);
  for (const id of contents.loggedModels) out.push(`logged model ${id}`);
  return out;
}
