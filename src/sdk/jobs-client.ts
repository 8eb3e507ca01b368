/**
 * Calls to the job runner's API (`/api/ciclo/v1/jobs…`): list, get, log
 * lines (with follow), cancel, retry, schedules. What `ciclo jobs` runs.
 * @module
 */
import { jobFromWire, logLineFromWire } from "../jobs/job-codec.js";
import type { Job, JobLogLine, JobState } from "../jobs/types.js";
import type { JobLogsResponse, JobResponse, ListJobsResponse, ListSchedulesResponse, WireJobSchedule } from "../shared/wire/jobs-wire.js";
import type { Page } from "../shared/types.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";

const JOBS = "/api/ciclo/v1/jobs";

export interface ListJobsOptions {
  states?: JobState[];
  types?: string[];
  /** Types to leave out. */
  excludeTypes?: string[];
  maxResults?: number;
  pageToken?: string;
}

export interface JobLogsPage {
  lines: JobLogLine[];
  /** Pass as `afterSeq` for the next call. */
  nextSeq: number;
  jobState: JobState;
}

export class JobsClient {
  readonly http: HttpClient;

  constructor(opts: HttpClientOptions | HttpClient) {
    this.http = opts instanceof HttpClient ? opts : new HttpClient(opts);
  }

  async list(opts: ListJobsOptions = {}): Promise<Page<Job>> {
    const res = await this.http.get<ListJobsResponse>(JOBS, {
      state: opts.states?.join(","),
      type: opts.types?.join(","),
      exclude_type: opts.excludeTypes?.join(","),
      max_results: opts.maxResults,
      page_token: opts.pageToken,
    });
    return { items: res.jobs.map(jobFromWire), nextPageToken: res.next_page_token };
  }

  async get(jobId: string): Promise<Job> {
    return jobFromWire((await this.http.get<JobResponse>(`${JOBS}/${encodeURIComponent(jobId)}`)).job);
  }

  /** Lines after `afterSeq`; with `waitMs`, the server holds the call until a line comes or the job finishes. */
  async logs(jobId: string, opts: { afterSeq?: number; maxResults?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<JobLogsPage> {
    const res = await this.http.get<JobLogsResponse>(
      `${JOBS}/${encodeURIComponent(jobId)}/logs`,
      { after_seq: opts.afterSeq, max_results: opts.maxResults, wait_ms: opts.waitMs },
      { signal: opts.signal },
    );
    return { lines: res.lines.map(logLineFromWire), nextSeq: res.next_seq, jobState: res.job_state as JobState };
  }

  /**
   * Every line from `afterSeq` until the job has finished and no line is
   * left, as they are written (long polls of up to `waitMs`).
   */
  async *follow(jobId: string, opts: { afterSeq?: number; waitMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<JobLogLine> {
    let after = opts.afterSeq ?? 0;
    for (;;) {
      const page = await this.logs(jobId, { afterSeq: after, waitMs: opts.waitMs ?? 10_000, signal: opts.signal });
      yield* page.lines;
      after = page.nextSeq;
      const finished = page.jobState !== "queued" && page.jobState !== "running";
      if (finished && page.lines.length === 0) return;
    }
  }

  /** A queued job is cancelled at once; a running one is asked to stop (its state changes when it has). */
  async cancel(jobId: string): Promise<Job> {
    return jobFromWire((await this.http.post<JobResponse>(`${JOBS}/${encodeURIComponent(jobId)}/cancel`, {})).job);
  }

  /** Queues a failed or cancelled job again. */
  async retry(jobId: string): Promise<Job> {
    return jobFromWire((await this.http.post<JobResponse>(`${JOBS}/${encodeURIComponent(jobId)}/retry`, {}, { idempotent: false })).job);
  }

  async schedules(): Promise<WireJobSchedule[]> {
    return (await this.http.get<ListSchedulesResponse>(`${JOBS}/schedules`)).schedules;
  }
}
