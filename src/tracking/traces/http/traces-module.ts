/**
 * MLflow 3 tracing: trace infos, tags and request metadata in the metadata
 * database; the spans (`traces.json`) go through the artifact routes to the
 * location each trace is given (`<experiment location>/traces/<id>/artifacts`).
 * Its tables are two of the store's migrations (0023; 0025, assessments and
 * trace–run links): gc purges them with their experiment.
 * @module
 */
import { Readable } from "node:stream";
import type { ArtifactLocator } from "../../../artifacts/index.js";
import { joinArtifactPath } from "../../../artifacts/index.js";
import type { CicloModule } from "../../../server/module.js";
import { SqlTraceStore } from "../../../store/sql/traces/sql-trace-store.js";
import { AssessmentService } from "../assessment-service.js";
import { OtlpTraceService, type TraceDataFiles } from "../otlp-trace-service.js";
import { TraceService } from "../trace-service.js";
import type { TraceStore } from "../trace-store.js";
import { assessmentRoutes, traceLinkRoutes } from "./assessments.js";
import { otlpRoutes } from "./otlp.js";
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
      // OTLP ingestion writes each trace's traces.json itself: served where the server has an artifact store.
      const artifacts = ctx.find("artifacts");
      if (artifacts) {
        const otlp = new OtlpTraceService(store, ctx.get("tracking").store, traceDataFiles(artifacts.locate));
        ctx.http.register("root", otlpRoutes, { service: otlp });
      }
    },
  };
}

/** A trace's `traces.json`, under its artifact location, wherever that points. */
function traceDataFiles(locate: ArtifactLocator): TraceDataFiles {
  const at = async (location: string) => {
    const { repo, base } = await locate(location);
    return { repo, path: joinArtifactPath(base, "traces.json") };
  };
  return {
    async read(location, maxBytes) {
      const { repo, path } = await at(location);
      const stat = await repo.stat(path);
      if (!stat) return undefined;
      if (stat.size > maxBytes) return { tooLarge: stat.size };
      const chunks: Buffer[] = [];
      for await (const c of (await repo.get(path)).body) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    async write(location, text) {
      const { repo, path } = await at(location);
      await repo.put(path, Readable.from([Buffer.from(text, "utf8")]));
    },
    async remove(location) {
      const { repo, path } = await at(location);
      await repo.delete(path);
    },
  };
}
