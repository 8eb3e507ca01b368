/**
 * OTLP ingestion's write (TraceStore.saveSpanSummaries): new traces with
 * their tags, existing ones' timing, state, previews and tags, in the
 * transaction it is given.
 * @module
 */
import type { Kysely } from "kysely";
import type { TraceInfo } from "../../../tracking/traces/index.js";
import { experimentIdNumber, experimentNotFound } from "../tracking/experiment-queries.js";
import type { Database } from "../schema.js";

export async function saveSpanSummaries(trx: Kysely<Database>, summaries: { info: Omit<TraceInfo, "assessments">; isNew: boolean }[]): Promise<void> {
  for (const { info, isNew } of summaries) {
    const columns = {
      timestamp_ms: info.requestTime,
      execution_time_ms: info.executionDuration,
      status: info.state,
      request_preview: info.requestPreview,
      response_preview: info.responsePreview,
    };
    if (isNew) {
      const expId = experimentIdNumber(info.experimentId);
      if (expId === undefined) throw experimentNotFound(info.experimentId);
      await trx
        .insertInto("trace_info")
        .values({ request_id: info.traceId, experiment_id: expId, client_request_id: info.clientRequestId, ...columns })
        .execute();
    } else {
      await trx.updateTable("trace_info").set(columns).where("request_id", "=", info.traceId).execute();
    }
    for (const [key, value] of Object.entries(info.tags)) {
      await trx
        .insertInto("trace_tags")
        .values({ request_id: info.traceId, key, value })
        .onConflict((oc) => oc.columns(["request_id", "key"]).doUpdateSet({ value }))
        .execute();
    }
  }
}
