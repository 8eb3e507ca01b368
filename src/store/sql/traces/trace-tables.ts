/**
 * Table types of the traces (migration 0022), read through the trace
 * store's own typed view of the shared database.
 * @module
 */
export interface TraceInfoTable {
  request_id: string;
  experiment_id: number;
  timestamp_ms: number;
  execution_time_ms: number | null;
  status: string;
  client_request_id: string | null;
  request_preview: string | null;
  response_preview: string | null;
}

export interface TraceKeyValueTable {
  request_id: string;
  key: string;
  value: string;
}

export interface TraceTables {
  trace_info: TraceInfoTable;
  trace_tags: TraceKeyValueTable;
  trace_request_metadata: TraceKeyValueTable;
}
