/**
 * The models each loaded run produced, for the runs table's Models column:
 * one `/api/ciclo/v1/runs/models` call per page of rows as pages arrive
 * (never one per row, never for runs not loaded). The rows are drawn first;
 * their models fill in when the call answers.
 */
import { useEffect, useRef, useState } from "react";
import { runModels, type RunModels } from "../../api/ciclo-api";
import type { WireRun } from "../../api/tracking-api";

const PER_CALL = 1000;

export function useRunModels(runs: WireRun[], enabled: boolean): Map<string, RunModels> {
  // Mutated in place and re-rendered by a counter: copying a map of 100,000 runs per page would cost more than the call.
  const found = useRef(new Map<string, RunModels>());
  const asked = useRef(new Set<string>());
  const [, setVersion] = useState(0);

  useEffect(() => {
    if (runs.length === 0) {
      // A new scope (filter, view, experiments): start afresh.
      found.current = new Map();
      asked.current = new Set();
      return;
    }
    if (!enabled) return;
    const ids = runs.map((r) => r.info.run_id).filter((id) => !asked.current.has(id));
    if (ids.length === 0) return;
    for (const id of ids) asked.current.add(id);
    const map = found.current;
    for (let i = 0; i < ids.length; i += PER_CALL) {
      const chunk = ids.slice(i, i + PER_CALL);
      runModels(chunk).then(
        (res) => {
          if (map !== found.current) return;
          for (const [id, m] of res) map.set(id, m);
          setVersion((v) => v + 1);
        },
        // A failed lookup leaves the cells empty; the next page (or a reload) asks again.
        () => chunk.forEach((id) => asked.current.delete(id)),
      );
    }
  }, [runs, enabled]);

  return found.current;
}
