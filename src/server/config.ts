/**
 * Server configuration: MLflow's flag names, ciclo's embedded defaults.
 * @module
 */
import type { TracingConfig } from "../telemetry/tracing.js";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isLoopbackAddress } from "../shared/host-allow-list.js";
import { DEFAULT_ALLOWED_HOSTS, splitList, type NetworkPolicy } from "./http/network-policy.js";
import { COMMAS_OR_SPACES, parseList } from "../shared/text-list.js";

export interface ServerOptions {
  backendStoreUri?: string;
  defaultArtifactRoot?: string;
  artifactsDestination?: string;
  serveArtifacts?: boolean;
  /** MLflow's separate registry store: ciclo keeps the registry in the backend store, so it must name the same one. */
  registryStoreUri?: string;
  artifactsOnly?: boolean;
  staticPrefix?: string;
  /** MLflow's multiprocess-metrics folder; any value turns on `GET /metrics`. */
  exposePrometheus?: string;
  /** Comma-separated Host patterns (`--allowed-hosts`, $MLFLOW_SERVER_ALLOWED_HOSTS). */
  allowedHosts?: string;
  /** Comma-separated origins (`--cors-allowed-origins`, $MLFLOW_SERVER_CORS_ALLOWED_ORIGINS). */
  corsAllowedOrigins?: string;
  host?: string;
  port?: number | string;
  logLevel?: string;
  /** Run background jobs in this process (default true; false for an API-only replica). */
  runJobs?: boolean;
  jobConcurrency?: number | string;
  jobLeaseMs?: number | string;
  jobPollMs?: number | string;
  /** How long running jobs may take to finish on shutdown before they are given back, ms. */
  jobDrainMs?: number;
  /** Finished jobs are deleted after this long, ms. */
  jobRetentionMs?: number;
  /** Cron of the scheduled gc (`0 3 * * *`); none by default: purging for good is opted into. */
  gcSchedule?: string;
  /** What the scheduled gc purges: entities deleted at least this long ago, ms (default 30 days). */
  gcOlderThanMs?: number;
  /** `--app-name basic-auth` (MLflow's spelling) turns authentication on, like `--auth`. */
  appName?: string;
  auth?: boolean;
  /** Listen on a non-loopback address without authentication anyway. */
  insecure?: boolean;
  /** OpenID Connect single sign-on: the provider's issuer URL and ciclo's client id there. */
  oidcIssuer?: string;
  oidcClientId?: string;
  /** Monitoring's settings (`--monitor-*` flags, `CICLO_MONITOR_*`); see {@link MonitoringConfig}. */
  monitoring?: Partial<MonitoringConfig>;
}

/**
 * The monitoring module's settings (docs/monitoring.md "Server settings"): how
 * inference data is sampled, buffered and cut into segments, how long it is
 * kept, when monitors tick, and how alert webhooks are sent.
 */
export interface MonitoringConfig {
  /** Share of requests kept, in (0, 1] (`--monitor-sample-rate`, default 1). */
  sampleRate: number;
  /** Inference segments and labels are deleted after this long, ms (`--monitor-retention`, default 30 days). */
  retentionMs: number;
  /** A segment is written at least this often, ms (`--monitor-flush-interval`, default 10 s)... */
  flushIntervalMs: number;
  /** ...or once this many requests wait (`--monitor-segment-requests`, default 5,000). */
  segmentRequests: number;
  /** Requests held at most before new ones are dropped and counted (`--monitor-buffer`, default 50,000). */
  maxBuffered: number;
  /** Cron of the monitor tick, which enqueues the runs of monitors whose window has ended (default every minute). */
  tickCron: string;
  /** Cron of the retention job (default hourly, at minute 17). */
  retentionCron: string;
  /** A webhook gets this long to answer, ms (`--monitor-webhook-timeout`, default 5 s). */
  webhookTimeoutMs: number;
  /** `host:port` receivers on internal addresses that webhooks may reach (`--monitor-webhook-allow`, default none). */
  webhookAllow: string[];
}

export const MONITORING_DEFAULTS: MonitoringConfig = {
  sampleRate: 1,
  retentionMs: 30 * 86_400_000,
  flushIntervalMs: 10_000,
  segmentRequests: 5_000,
  maxBuffered: 50_000,
  tickCron: "* * * * *",
  retentionCron: "17 * * * *",
  webhookTimeoutMs: 5_000,
  webhookAllow: [],
};

/** Authentication settings (the auth module reads the file and creates the first admin). */
export interface AuthServerConfig {
  enabled: boolean;
  /** MLflow's auth configuration file (`MLFLOW_AUTH_CONFIG_PATH`): default_permission, admin_username, admin_password. */
  configPath?: string;
  /** The first admin, when not in the file (`CICLO_ADMIN_USERNAME`, `CICLO_ADMIN_PASSWORD`). */
  adminUsername?: string;
  adminPassword?: string;
  /** `CICLO_DEFAULT_PERMISSION`; the file's `default_permission` wins. */
  defaultPermission?: string;
  /** The key secrets are encrypted with: `CICLO_SECRETS_KEY` (32 bytes, base64 or hex) or a file holding it. */
  secretsKey?: string;
  secretsKeyFile?: string;
  /** The web UI's sessions: hours after sign-in (`CICLO_SESSION_HOURS`, default 12) and idle minutes (`CICLO_SESSION_IDLE_MINUTES`, default 120). */
  sessionHours?: number;
  sessionIdleMinutes?: number;
  /** Mark cookies Secure though the server speaks http (a proxy in front terminates TLS): `CICLO_SECURE_COOKIES=1`. */
  secureCookies?: boolean;
  /** OpenID Connect single sign-on; absent: password sign-in only. */
  oidc?: OidcServerConfig;
}

/** OpenID Connect settings (see docs/auth.md "Single sign-on"). */
export interface OidcServerConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  clientSecretName?: string;
  redirectUrl?: string;
  scopes: string[];
  usernameClaim?: string;
  groupsClaim: string;
  adminGroups: string[];
  allowedGroups: string[];
  /** `CICLO_OIDC_GROUP_PERMISSIONS` as written (the auth module parses it: src/auth/group-grants.ts). */
  groupPermissions?: string;
  label?: string;
}

export interface JobsConfig {
  run: boolean;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  drainMs: number;
  retentionMs: number;
  gcSchedule?: string;
  gcOlderThanMs: number;
}

export interface ServerConfig {
  backendStoreUri: string;
  /** Root of new experiments' artifact locations (`mlflow-artifacts:/` when the server proxies artifacts). */
  defaultArtifactRoot: string;
  /** Where proxied artifacts are stored. */
  artifactsDestination: string;
  serveArtifacts: boolean;
  host: string;
  port: number;
  /** Host, CORS and artifacts-only checks (network-policy.ts); none when absent (tests' own configs). */
  network?: NetworkPolicy;
  staticPrefix?: string;
  prometheus?: boolean;
  logLevel: string;
  /** Background jobs; from ciclo's defaults and the environment when absent. */
  jobs?: JobsConfig;
  auth?: AuthServerConfig;
  /** `--insecure`: listen beyond loopback without authentication. */
  insecure?: boolean;
  /** `--otlp-endpoint` or OTEL_EXPORTER_OTLP_*: spans of the endpoints' router and the model servers it starts (absent: none). */
  tracing?: TracingConfig;
  /**
   * `--k8s-namespace` / `--k8s-image`: the kubernetes deployment target (absent: only `local`), and the namespace
   * of pipeline steps with `runs-on: kubernetes`; `--k8s-tracking-uri`: the server's URL as those steps' pods reach it.
   */
  kubernetes?: { namespace: string; imageTemplate?: string; trackingUri?: string };
  /** Outbound calls to URLs users give (webhooks, notifications): see {@link resolveOutboundConfig}. */
  outbound?: OutboundServerConfig;
  /** Monitoring's settings; its defaults when absent. */
  monitoring?: MonitoringConfig;
}

/**
 * What outbound calls to user-given URLs may reach (the SSRF policy; docs/auth.md "Outbound calls"):
 * `CICLO_OUTBOUND_ALLOW_HOSTS` — when set, the only hosts called (`hooks.slack.com,*.example.com`);
 * `CICLO_OUTBOUND_PRIVATE_HOSTS` — `host` or `host:port` targets that may be on private or loopback
 * addresses (`alerts.internal:8080,127.0.0.1:9000`); every other private address is refused.
 */
export interface OutboundServerConfig {
  allowHosts: string[];
  privateHosts: string[];
}

export function resolveOutboundConfig(env: NodeJS.ProcessEnv = process.env): OutboundServerConfig {
  return { allowHosts: parseList(env.CICLO_OUTBOUND_ALLOW_HOSTS), privateHosts: parseList(env.CICLO_OUTBOUND_PRIVATE_HOSTS) };
}

export const DEFAULT_BACKEND_STORE_URI = "sqlite:///./ciclo-data/ciclo.db";
const DEFAULT_ARTIFACTS_DESTINATION = "./ciclo-data/artifacts";

/** A local path becomes an absolute file: URI; URIs with a scheme are kept. */
export function resolveArtifactUri(uri: string): string {
  if (/^[a-zA-Z][\w+.-]*:/.test(uri) && !/^[a-zA-Z]:[\\/]/.test(uri)) return uri;
  return pathToFileURL(resolve(uri)).href;
}

export function resolveServerConfig(o: ServerOptions, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const serveArtifacts = o.serveArtifacts ?? true;
  const artifactsDestination = resolveArtifactUri(
    o.artifactsDestination ?? env.CICLO_ARTIFACTS_DESTINATION ?? DEFAULT_ARTIFACTS_DESTINATION,
  );
  const explicitRoot = o.defaultArtifactRoot ?? env.CICLO_DEFAULT_ARTIFACT_ROOT;
  // MLflow compat: when serving artifacts with no explicit root, runs get mlflow-artifacts:/ URIs and clients upload through the server.
  const defaultArtifactRoot = explicitRoot
    ? resolveArtifactUri(explicitRoot)
    : serveArtifacts
      ? "mlflow-artifacts:/"
      : artifactsDestination;
  const portText = o.port ?? env.CICLO_PORT ?? 5000;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port '${portText}'`);
  const backendStoreUri = o.backendStoreUri ?? env.CICLO_BACKEND_STORE_URI ?? DEFAULT_BACKEND_STORE_URI;
  if (o.registryStoreUri !== undefined && o.registryStoreUri !== backendStoreUri) {
    throw new Error(
      `--registry-store-uri '${o.registryStoreUri}' differs from the backend store: ciclo keeps the model registry in the ` +
        "backend store's database. Drop --registry-store-uri, or set it to the --backend-store-uri value.",
    );
  }
  if (o.appName !== undefined && o.appName !== "basic-auth") {
    throw new Error(`Unknown --app-name '${o.appName}': ciclo knows 'basic-auth' (MLflow's authentication app).`);
  }
  const auth = resolveAuthConfig(o, env);
  const insecure = o.insecure ?? (env.CICLO_INSECURE === "1" || env.CICLO_INSECURE === "true");
  const host = o.host ?? env.CICLO_HOST ?? "127.0.0.1";
  const allowedHosts = splitList(o.allowedHosts ?? env.MLFLOW_SERVER_ALLOWED_HOSTS);
  // The name the server was told to listen on is always an allowed Host (MLflow's defaults cover loopback and private IPs).
  const bound = host === "0.0.0.0" || host === "::" ? [] : [host, `${host}:*`];
  const network: NetworkPolicy = {
    allowedHosts: allowedHosts ?? [...DEFAULT_ALLOWED_HOSTS, ...bound],
    corsAllowedOrigins: splitList(o.corsAllowedOrigins ?? env.MLFLOW_SERVER_CORS_ALLOWED_ORIGINS),
    artifactsOnly: o.artifactsOnly ?? false,
  };
  return {
    auth,
    insecure,
    backendStoreUri,
    defaultArtifactRoot,
    artifactsDestination,
    serveArtifacts,
    host,
    port,
    network,
    staticPrefix: o.staticPrefix || undefined,
    prometheus: o.exposePrometheus !== undefined,
    logLevel: o.logLevel ?? env.CICLO_LOG_LEVEL ?? "info",
    jobs: resolveJobsConfig(o, env),
    outbound: resolveOutboundConfig(env),
    monitoring: resolveMonitoringConfig(o.monitoring ?? {}),
  };
}

/** The given settings (flags and `CICLO_MONITOR_*`, read by `ciclo server`, in ms) over the defaults; a bad value throws naming its flag. */
export function resolveMonitoringConfig(o: Partial<MonitoringConfig>): MonitoringConfig {
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<MonitoringConfig>;
  const c: MonitoringConfig = { ...MONITORING_DEFAULTS, ...given };
  if (!(c.sampleRate > 0 && c.sampleRate <= 1)) throw new Error(`Invalid --monitor-sample-rate ${c.sampleRate}: a share of requests in (0, 1], e.g. 0.1 for one in ten.`);
  const whole = (v: number, flag: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`Invalid ${flag} ${v}: a whole number of at least ${min}.`);
  };
  whole(c.retentionMs, "--monitor-retention (ms)", 60_000);
  whole(c.flushIntervalMs, "--monitor-flush-interval (ms)", 100);
  whole(c.segmentRequests, "--monitor-segment-requests", 1);
  whole(c.maxBuffered, "--monitor-buffer", 1);
  whole(c.webhookTimeoutMs, "--monitor-webhook-timeout (ms)", 100);
  if (c.maxBuffered < c.segmentRequests) throw new Error(`--monitor-buffer (${c.maxBuffered}) must hold at least --monitor-segment-requests (${c.segmentRequests}).`);
  for (const a of c.webhookAllow) {
    if (!/^[^\s/@?#]+$/.test(a)) throw new Error(`Invalid --monitor-webhook-allow entry '${a}': host:port (or a host, any port), e.g. 127.0.0.1:9000.`);
  }
  return c;
}

export function resolveAuthConfig(o: Pick<ServerOptions, "appName" | "auth" | "oidcIssuer" | "oidcClientId">, env: NodeJS.ProcessEnv = process.env): AuthServerConfig {
  const enabled = o.auth === true || o.appName === "basic-auth" || env.CICLO_AUTH === "1" || env.CICLO_AUTH === "true";
  return {
    enabled,
    configPath: env.MLFLOW_AUTH_CONFIG_PATH || undefined,
    adminUsername: env.CICLO_ADMIN_USERNAME || undefined,
    adminPassword: env.CICLO_ADMIN_PASSWORD || undefined,
    defaultPermission: env.CICLO_DEFAULT_PERMISSION || undefined,
    secretsKey: env.CICLO_SECRETS_KEY || undefined,
    secretsKeyFile: env.CICLO_SECRETS_KEY_FILE || undefined,
    sessionHours: positiveNumber(env.CICLO_SESSION_HOURS, "CICLO_SESSION_HOURS"),
    sessionIdleMinutes: positiveNumber(env.CICLO_SESSION_IDLE_MINUTES, "CICLO_SESSION_IDLE_MINUTES"),
    secureCookies: env.CICLO_SECURE_COOKIES === "1" || env.CICLO_SECURE_COOKIES === "true",
    oidc: resolveOidcConfig(o, env),
  };
}

function positiveNumber(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${text}'.`);
  return n;
}

/** Single sign-on is on when an issuer is given (`--oidc-issuer` or `CICLO_OIDC_ISSUER`); the client id is then required. */
export function resolveOidcConfig(o: Pick<ServerOptions, "oidcIssuer" | "oidcClientId">, env: NodeJS.ProcessEnv): OidcServerConfig | undefined {
  const issuer = o.oidcIssuer ?? (env.CICLO_OIDC_ISSUER || undefined);
  if (!issuer) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`Invalid OpenID issuer '${issuer}': give its URL, e.g. https://login.example.com/realms/team.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`OpenID issuer must be an https URL, got '${issuer}'.`);
  const clientId = o.oidcClientId ?? (env.CICLO_OIDC_CLIENT_ID || undefined);
  if (!clientId) throw new Error("Single sign-on needs the client id the provider gave ciclo: --oidc-client-id or CICLO_OIDC_CLIENT_ID.");
  return {
    issuer,
    clientId,
    clientSecret: env.CICLO_OIDC_CLIENT_SECRET || undefined,
    clientSecretName: env.CICLO_OIDC_CLIENT_SECRET_NAME || undefined,
    redirectUrl: env.CICLO_OIDC_REDIRECT_URL || undefined,
    scopes: env.CICLO_OIDC_SCOPES ? parseList(env.CICLO_OIDC_SCOPES, COMMAS_OR_SPACES) : ["openid", "profile", "email"],
    usernameClaim: env.CICLO_OIDC_USERNAME_CLAIM || undefined,
    groupsClaim: env.CICLO_OIDC_GROUPS_CLAIM || "groups",
    adminGroups: parseList(env.CICLO_OIDC_ADMIN_GROUPS),
    allowedGroups: parseList(env.CICLO_OIDC_ALLOWED_GROUPS),
    groupPermissions: env.CICLO_OIDC_GROUP_PERMISSIONS || undefined,
    label: env.CICLO_OIDC_LABEL || undefined,
  };
}

/**
 * Refuses to serve a non-loopback address without authentication (MLflow's
 * open default is the root of CVE-2023-6014), unless `--insecure` says a
 * proxy in front authenticates.
 */
export function assertSafeExposure(config: Pick<ServerConfig, "host" | "auth" | "insecure">): void {
  if (config.auth?.enabled || config.insecure || isLoopback(config.host)) return;
  throw new Error(
    `Refusing to listen on ${config.host} without authentication: anyone who can reach it could read and change every experiment and model. ` +
      "Turn authentication on (--auth, or MLflow's --app-name basic-auth; see docs/auth.md), " +
      "or pass --insecure ($CICLO_INSECURE=1) if a proxy in front of ciclo authenticates requests.",
  );
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return isLoopbackAddress(host);
}

export function resolveJobsConfig(o: ServerOptions, env: NodeJS.ProcessEnv = process.env): JobsConfig {
  return {
    run: o.runJobs ?? env.CICLO_JOBS !== "0",
    concurrency: positive(o.jobConcurrency ?? env.CICLO_JOB_CONCURRENCY, 4, "job concurrency"),
    leaseMs: positive(o.jobLeaseMs ?? env.CICLO_JOB_LEASE_MS, 30_000, "job lease"),
    pollMs: positive(o.jobPollMs ?? env.CICLO_JOB_POLL_MS, 1_000, "job poll interval"),
    drainMs: o.jobDrainMs ?? 30_000,
    retentionMs: o.jobRetentionMs ?? 30 * 86_400_000,
    gcSchedule: o.gcSchedule ?? (env.CICLO_GC_SCHEDULE || undefined),
    gcOlderThanMs: o.gcOlderThanMs ?? 30 * 86_400_000,
  };
}

function positive(v: number | string | undefined, fallback: number, what: string): number {
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Invalid ${what} '${v}': a positive integer`);
  return n;
}
