/**
 * `POST /experiments/search-datasets`: the datasets an experiment's runs used,
 * with the context each was used in — MLflow's UI asks for it (under
 * `/ajax-api/2.0/mlflow`) to offer dataset filters. MLflow's limits and messages.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { RunInsightsService } from "../run-insights-service.js";
import { access } from "../../server/http/route-access.js";

/** The ids are checked by the service, with MLflow's wording, so the schema takes any value. */
const SearchDatasetsBody = Type.Object({ experiment_ids: Type.Optional(Type.Unknown()) });
const SearchDatasetsResponse = Type.Object({
  dataset_summaries: Type.Array(
    Type.Object({
      experiment_id: Type.String(),
      name: Type.String(),
      digest: Type.String(),
      context: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const searchDatasetsRoutes: FastifyPluginAsyncTypebox<{ insights: RunInsightsService }> = async (app, { insights }) => {
  app.post(
    "/experiments/search-datasets",
    { schema: { body: SearchDatasetsBody, response: { 200: SearchDatasetsResponse } }, config: access("experiment", "read") },
    async (req) => {
      const summaries = await insights.searchDatasets(req.body.experiment_ids);
      return {
        dataset_summaries: summaries.map((s) => ({ experiment_id: s.experimentId, name: s.name, digest: s.digest, context: s.context })),
      };
    },
  );
};
