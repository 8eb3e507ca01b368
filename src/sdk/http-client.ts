/**
 * The SDK's transport: JSON over fetch to a tracking server's REST API.
 *
 * - The tracking URI may carry a base path (`https://host/mlflow`) and user
 *   info (`http://user:pass@host`), which becomes basic auth (fetch refuses
 *   URLs with credentials).
 * - Auth from the environment as MLflow users set it: `CICLO_TRACKING_TOKEN`
 *   or `MLFLOW_TRACKING_TOKEN` (Bearer), else `MLFLOW_TRACKING_USERNAME` /
 *   `MLFLOW_TRACKING_PASSWORD` (basic).
 * - Connections are kept alive by Node's fetch (undici pools sockets per origin).
 * - Network errors, timeouts, 429 and 5xx are retried with exponential backoff
 *   and full jitter (`Retry-After` honoured); 4xx never are.
 * - Error bodies `{"error_code","message"}` become the matching MlflowError
 *   subclass, so callers catch the same classes the server threw.
 * @module
 */
import {
  EndpointNotFoundError,
  InvalidParameterValueError,
  InvalidStateError,
  MlflowError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  type ErrorCode,
} from "../shared/errors.js";

export interface RetryOptions {
  /** Attempts in all, the first included (default 5; 1 = no retry). */
  maxAttempts?: number;
  /** Delay before the first retry, ms (default 250); doubles each attempt. */
  initialDelayMs?: number;
  /** Upper bound of one delay, ms (default 8,000). */
  maxDelayMs?: number;
}

export interface HttpClientOptions {
  /** `http(s)://host[:port][/base/path]`. */
  trackingUri: string;
  /** Bearer token; default from CICLO_TRACKING_TOKEN / MLFLOW_TRACKING_TOKEN. */
  token?: string;
  /** Basic auth; default from the URI's user info or MLFLOW_TRACKING_USERNAME / _PASSWORD. */
  username?: string;
  password?: string;
  /** Per-attempt timeout, ms (default 30,000, or CICLO_/MLFLOW_HTTP_REQUEST_TIMEOUT seconds). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Called before each retry's wait (a CLI at a terminal says it is retrying instead of going quiet). */
  onRetry?: (retry: RetryNotice) => void;
  /** Environment to read defaults from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** What {@link HttpClientOptions.onRetry} is told before a retry's wait. */
export interface RetryNotice {
  method: string;
  path: string;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  /** Why: a network error's code (`ECONNREFUSED`), `timed out`, or `HTTP 503`. */
  reason: string;
}

export type QueryValue = string | number | boolean | undefined | Array<string | number>;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** false: one attempt only (e.g. a probe). */
  retry?: boolean;
  /**
   * false for calls that must not run twice (runs/create): a network error is
   * then retried only when the request surely never reached the server
   * (connection refused, unknown host), not after a timeout or a reset.
   */
  idempotent?: boolean;
  signal?: AbortSignal;
}

/** Network errors that happen before a request is sent. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** The server could not be reached (or kept answering 429/5xx) after every retry. */
export class TrackingConnectionError extends MlflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "TEMPORARILY_UNAVAILABLE");
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

const statusOf = new WeakMap<Error, number>();

/** The HTTP status an error came with (undefined for network errors). */
export function httpStatusOf(err: unknown): number | undefined {
  return err instanceof Error ? statusOf.get(err) : undefined;
}

/** True when retrying later could succeed: unreachable server, 429 or 5xx. */
export function isTransientError(err: unknown): boolean {
  if (err instanceof TrackingConnectionError) return true;
  const status = httpStatusOf(err);
  return status !== undefined && (status === 429 || status >= 500);
}

const CLASS_BY_CODE: Partial<Record<ErrorCode, new (message: string) => MlflowError>> = {
  INVALID_PARAMETER_VALUE: InvalidParameterValueError,
  RESOURCE_DOES_NOT_EXIST: ResourceDoesNotExistError,
  RESOURCE_ALREADY_EXISTS: ResourceAlreadyExistsError,
  INVALID_STATE: InvalidStateError,
  ENDPOINT_NOT_FOUND: EndpointNotFoundError,
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "ENDPOINT_NOT_FOUND",
  409: "RESOURCE_CONFLICT",
  429: "REQUEST_LIMIT_EXCEEDED",
  503: "TEMPORARILY_UNAVAILABLE",
};

/** Turns an error answer into the MlflowError subclass its `error_code` names. */
export function errorFromResponse(status: number, text: string): MlflowError {
  let code: ErrorCode | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof body?.error_code === "string") code = body.error_code as ErrorCode;
    if (typeof body?.message === "string") message = body.message;
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the status and a piece of the text.
  }
  code ??= CODE_BY_STATUS[status] ?? (status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST");
  message ??= `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`;
  const Cls = CLASS_BY_CODE[code];
  const err = Cls ? new Cls(message) : new MlflowError(message, code);
  statusOf.set(err, status);
  return err;
}

function envNumber(env: NodeJS.ProcessEnv, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== "" && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

export class HttpClient {
  /** The tracking URI without credentials and trailing slash. */
  readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly onRetry?: (retry: RetryNotice) => void;

  constructor(opts: HttpClientOptions) {
    const env = opts.env ?? process.env;
    let url: URL;
    // host:port without a scheme (a common slip): say what was probably meant.
    const bare = /^[A-Za-z0-9.-]+:\d+(\/.*)?$/.test(opts.trackingUri) ? ` Did you mean 'http://${opts.trackingUri}'?` : "";
    try {
      url = new URL(opts.trackingUri);
    } catch {
      throw new InvalidParameterValueError(`Invalid tracking URI '${opts.trackingUri}': expected http(s)://host[:port][/path].${bare}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new InvalidParameterValueError(
        `Unsupported tracking URI '${opts.trackingUri}': the SDK talks to a server over http:// or https://.${bare}`,
      );
    }
    // The API's own path appended (copied from a curl line): every request would go to /api/2.0/mlflow/api/2.0/mlflow/….
    const api = /\/api\/(2\.0\/mlflow|3\.0\/mlflow|ciclo\/v1)\/?$/.exec(url.pathname);
    if (api) {
      const root = new URL(url.href);
      root.pathname = url.pathname.slice(0, api.index) || "/";
      root.username = "";
      root.password = "";
      throw new InvalidParameterValueError(
        `Invalid tracking URI '${opts.trackingUri}': it names the server's address, without the API path. Did you mean '${root.href.replace(/\/+$/, "")}'?`,
      );
    }
    const username = opts.username ?? (url.username ? decodeURIComponent(url.username) : env.MLFLOW_TRACKING_USERNAME);
    const password = opts.password ?? (url.password ? decodeURIComponent(url.password) : env.MLFLOW_TRACKING_PASSWORD);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    this.baseUrl = url.href.replace(/\/+$/, "");
    const token = opts.token ?? (env.CICLO_TRACKING_TOKEN || env.MLFLOW_TRACKING_TOKEN);
    this.headers = { accept: "application/json" };
    if (token) this.headers.authorization = `Bearer ${token}`;
    else if (username) this.headers.authorization = `Basic ${Buffer.from(`${username}:${password ?? ""}`).toString("base64")}`;
    const timeoutS = envNumber(env, "CICLO_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_TIMEOUT");
    this.timeoutMs = opts.timeoutMs ?? (timeoutS !== undefined ? timeoutS * 1000 : 30_000);
    const retries = envNumber(env, "CICLO_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_MAX_RETRIES");
    this.maxAttempts = Math.max(1, opts.retry?.maxAttempts ?? (retries !== undefined ? retries + 1 : 5));
    this.initialDelayMs = opts.retry?.initialDelayMs ?? 250;
    this.maxDelayMs = opts.retry?.maxDelayMs ?? 8_000;
    this.onRetry = opts.onRetry;
  }

  /** The headers every request carries (accept, authorization), for byte transfers that build their own requests (artifacts). */
  get authHeaders(): Record<string, string> {
    return { ...this.headers };
  }

  /** Timeout and retry settings, for transfers that run their own attempts (a streamed body must be reopened per attempt). */
  get transferSettings(): { timeoutMs: number; maxAttempts: number; initialDelayMs: number; maxDelayMs: number } {
    return { timeoutMs: this.timeoutMs, maxAttempts: this.maxAttempts, initialDelayMs: this.initialDelayMs, maxDelayMs: this.maxDelayMs };
  }

  /** The full URL of an API path (`runs/get` → `<base>/api/2.0/mlflow/runs/get`). */
  url(path: string, query?: Record<string, QueryValue>): string {
    const p = path.startsWith("/") ? path : `/api/2.0/mlflow/${path}`;
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    }
    const q = qs.toString();
    return `${this.baseUrl}${p}${q ? `?${q}` : ""}`;
  }

  get<T>(path: string, query?: Record<string, QueryValue>, opts: Omit<RequestOptions, "query" | "body"> = {}): Promise<T> {
    return this.request<T>("GET", path, { ...opts, query });
  }

  post<T>(path: string, body: unknown, opts: Omit<RequestOptions, "query" | "body"> = {}): Promise<T> {
    return this.request<T>("POST", path, { ...opts, body });
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.url(path, opts.query);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers = body === undefined ? this.headers : { ...this.headers, "content-type": "application/json" };
    const attempts = opts.retry === false ? 1 : this.maxAttempts;
    let lastError: unknown;
    let attempt = 1;
    for (; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const signal = opts.signal
          ? AbortSignal.any([opts.signal, AbortSignal.timeout(this.timeoutMs)])
          : AbortSignal.timeout(this.timeoutMs);
        const res = await fetch(url, { method, headers, body, signal });
        const text = await res.text();
        if (res.ok) return parseJson<T>(text, res.status, url);
        const err = errorFromResponse(res.status, text);
        if (res.status !== 429 && res.status < 500) throw err;
        lastError = err;
        retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      } catch (err) {
        if (err instanceof MlflowError) throw err;
        if (opts.signal?.aborted) throw err;
        lastError = err;
        const code = (err as { cause?: { code?: string } }).cause?.code;
        if (opts.idempotent === false && !(code && NEVER_SENT.has(code))) break;
      }
      if (attempt >= attempts) break;
      const wait = Math.min(this.maxDelayMs, retryAfterMs ?? this.backoff(attempt));
      this.onRetry?.({ method, path, attempt, maxAttempts: attempts, delayMs: wait, reason: failureReason(lastError) });
      await delay(wait);
    }
    if (lastError instanceof MlflowError) throw lastError;
    const cause = lastError as Error & { cause?: { code?: string; message?: string } };
    const detail = cause?.name === "TimeoutError" ? `timed out after ${this.timeoutMs} ms` : (cause?.cause?.code ?? cause?.cause?.message ?? cause?.message);
    throw new TrackingConnectionError(
      `Could not reach the tracking server at ${this.baseUrl} (${method} ${path}, ${attempt} attempt${attempt > 1 ? "s" : ""}): ${detail}`,
      { cause: lastError },
    );
  }

  /** Equal jitter: between half and all of the exponential bound, so clients that failed together do not retry together. */
  private backoff(attempt: number): number {
    const bound = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (attempt - 1));
    return Math.round(bound / 2 + Math.random() * (bound / 2));
  }
}

function failureReason(err: unknown): string {
  if (err instanceof MlflowError) return `HTTP ${statusOf.get(err) ?? "error"}`;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e?.name === "TimeoutError" ? "timed out" : (e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err));
}

function parseJson<T>(text: string, status: number, url: string): T {
  if (!text) return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    const err = new MlflowError(`The server at ${url} answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`, "BAD_REQUEST");
    statusOf.set(err, status);
    throw err;
  }
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
