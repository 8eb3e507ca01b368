/**
 * What a trace search accepts (MLflow's `SearchTraceUtils`): the attributes
 * `request_id`, `timestamp_ms`, `execution_time_ms`, `status`, `name` (the
 * `mlflow.traceName` tag) and `run_id` (the `mlflow.sourceRun` metadata),
 * under `attribute.`, `trace.` or no prefix; `tags.<key>` and
 * `request_metadata.<key>` (or `metadata.<key>`).
 * @module
 */
import type { SearchSpec } from "../../shared/filter/filter-ast.js";
import { parseOrderBy } from "../../shared/filter/filter-parser.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { TraceOrderBy } from "./types.js";

export const TRACE_SEARCH_SPEC: SearchSpec = {
  noun: "trace",
  attributes: {
    request_id: "string",
    timestamp_ms: "number",
    execution_time_ms: "number",
    status: "string",
    name: "string",
    run_id: "string",
  },
  attributeAliases: { timestamp: "timestamp_ms", execution_time: "execution_time_ms", trace_id: "request_id" },
  attributePrefixes: ["trace"],
  entities: ["tag", "metadata"],
  inListAttributes: ["request_id", "status", "name", "run_id"],
  orderableAttributes: ["experiment_id", "timestamp_ms", "execution_time_ms", "status", "request_id", "name", "run_id"],
  // MLflow 3.3's SQL store filters on spans it holds in its database (those logged over OTLP); ciclo keeps a
  // trace's spans as traces.json in the artifact store, where no search reaches.
  unsupportedPrefixes: {
    span: "this server keeps a trace's spans in the artifact store (traces.json), not in its database. Filter on the trace's name (`name = '...'`), tags or request_metadata instead.",
  },
};

/** Parses `order_by` strings (`timestamp_ms DESC`, `tags.topic`, `name ASC`). */
export function parseTraceOrderBy(clauses: string[] | undefined): TraceOrderBy[] {
  return parseOrderBy(clauses, TRACE_SEARCH_SPEC).map((o) => {
    if (o.entity !== "attribute" && o.entity !== "tag" && o.entity !== "metadata") {
      throw new InvalidParameterValueError(`Traces cannot be ordered by ${o.entity} '${o.key}'.`);
    }
    return { entity: o.entity, key: o.key, ascending: o.ascending };
  });
}
