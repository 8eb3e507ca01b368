/**
 * MLflow 3 tracing: trace infos, tags and request metadata in the metadata
 * database; the spans (`traces.json`) go through the artifact routes to the
 * location each trace is given (`<experiment location>/traces/<id>/artifacts`).
 * Its tables are two of the store's migrations (0023; 0025, assessments and
 * trace–run links): gc purges them with their experiment.
 * @module
 */
import type { CicloModule } from "../../../server/module.js";
import { SqlTraceStore } from "../../../store/sql/traces/sql-trace-store.js";
import { AssessmentService } from "../assessment-service.js";
import { TraceService } from "../trace-service.js";
import type { TraceStore } from "../trace-store.js";
import { assessmentRoutes, traceLinkRoutes } from "./assessments.js";
import { traceV2Routes } from "./traces-v2.js";
import { traceDeleteRoutes, traceTagRoutes, traceV3Routes } from "./traces.js";

interface TracesModuleServices {
  store: TraceStore;
  service: TraceService;
  assessments: AssessmentService;
}

declare module "../../../server/module.js" {
  interface ModuleServices {
    traces: TracesModuleServices;
  }
}

export function tracesModule(): CicloModule {
  return {
    id: "traces",
    init(ctx) {
      const store = new SqlTraceStore(ctx.db);
      const service = new TraceService(store, ctx.get("tracking").store);
      const assessments = new AssessmentService(store);
      ctx.provide("traces", { store, service, assessments });
      ctx.http.register("mlflow-v3", traceV3Routes, { service });
      ctx.http.register("mlflow-v3", traceTagRoutes, { service });
      ctx.http.register("mlflow", traceTagRoutes, { service });
      ctx.http.register("mlflow", traceDeleteRoutes, { service });
      ctx.http.register("mlflow-v3", assessmentRoutes, { assessments });
      ctx.http.register("mlflow", traceLinkRoutes, { service });
      ctx.http.register("mlflow", traceV2Routes, { service });
    },
  };
}
