/**
 * Table types of the pipeline triggers (migration 0014), read through the
 * trigger store's own typed view of the shared database.
 * @module
 */
export interface PipelineTriggersTable {
  trigger_id: string;
  name: string;
  kind: string;
  project: string;
  pipeline: string;
  /** JSON: the kind's settings (branches, cron, registry event...). */
  config: string;
  /** JSON: fixed values for the pipeline's inputs. */
  inputs: string;
  secret_name: string | null;
  next_fire_at: number | null;
  created_at: number;
  updated_at: number;
  created_by: string | null;
}

export interface PipelineTriggerFiringsTable {
  trigger_id: string;
  firing_key: string;
  fired_at: number;
  outcome: string;
  reason: string | null;
  /** JSON: what was recorded on the run as the trigger's detail. */
  detail: string;
  run_id: string | null;
}

export interface PipelineTriggerTables {
  pipeline_triggers: PipelineTriggersTable;
  pipeline_trigger_firings: PipelineTriggerFiringsTable;
}
