/**
 * Tags a pipeline run and its step runs carry, so MLflow's search, compare
 * and lineage views find them: `tags.\`ciclo.pipeline.name\` = 'churn'`.
 * @module
 */
export const PIPELINE_TAGS = {
  /** On the pipeline run: the pipeline's name. */
  name: "ciclo.pipeline.name",
  project: "ciclo.pipeline.project",
  /** manual | cron | registry | git | monitor */
  trigger: "ciclo.pipeline.trigger",
  /** The trigger's detail, JSON. */
  triggerDetail: "ciclo.pipeline.trigger.detail",
  actor: "ciclo.pipeline.actor",
  /** Final state of the pipeline run (succeeded, failed, cancelled). */
  status: "ciclo.pipeline.status",
  /** On a step run: its step id, kind, and the pipeline run it belongs to. */
  step: "ciclo.pipeline.step",
  stepKind: "ciclo.pipeline.step.uses",
  pipelineRun: "ciclo.pipeline.run_id",
  /** On a cached step run: the step run whose result it reused. */
  cachedFrom: "ciclo.pipeline.step.cached_from",
  cacheKey: "ciclo.pipeline.step.cache_key",
} as const;
