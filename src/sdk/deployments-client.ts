/**
 * Calls to the deployments API (`/api/ciclo/v1/endpoints…`) and to the
 * endpoints themselves: what `ciclo endpoints` and `ciclo deployments` run.
 * Wire types (snake_case) are returned as the server sends them.
 * @module
 */
import type {
  CreateDeploymentRequest,
  CreateEndpointRequest,
  DeploymentResponse,
  EndpointResponse,
  HistoryResponse,
  ListEndpointsResponse,
  ListRolloutsResponse,
  LogsResponse,
  RolloutResponse,
  UpdateDeploymentRequest,
  WireDeployment,
  WireEndpoint,
  WireHistoryEntry,
  WireRollout,
  WireRouteTable,
  WireStrategy,
} from "../shared/wire/deployments-wire.js";
import type { AbQueryString, WireAbReport } from "../shared/wire/ab-wire.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";

const BASE = "/api/ciclo/v1/endpoints";
const seg = (s: string) => encodeURIComponent(s);

export interface InvokeResult {
  status: number;
  /** The deployment that answered (`ciclo-deployment` response header). */
  deployment: string | null;
  body: unknown;
}

export class DeploymentsClient {
  readonly http: HttpClient;

  constructor(opts: HttpClientOptions | HttpClient) {
    this.http = opts instanceof HttpClient ? opts : new HttpClient(opts);
  }

  async createEndpoint(req: CreateEndpointRequest): Promise<WireEndpoint> {
    return (await this.http.post<EndpointResponse>(BASE, req, { idempotent: false })).endpoint;
  }

  async listEndpoints(): Promise<WireEndpoint[]> {
    return (await this.http.get<ListEndpointsResponse>(BASE)).endpoints;
  }

  async getEndpoint(name: string): Promise<WireEndpoint> {
    return (await this.http.get<EndpointResponse>(`${BASE}/${seg(name)}`)).endpoint;
  }

  async deleteEndpoint(name: string): Promise<void> {
    await this.http.request("DELETE", `${BASE}/${seg(name)}`);
  }

  async updateEndpoint(name: string, patch: { description?: string; strategy?: WireStrategy; sticky_header?: string }): Promise<WireEndpoint> {
    return (await this.http.request<EndpointResponse>("PATCH", `${BASE}/${seg(name)}`, { body: patch })).endpoint;
  }

  async setTraffic(name: string, traffic: Record<string, number>, mirror?: Record<string, number>, reason?: string): Promise<WireEndpoint> {
    return (await this.http.post<EndpointResponse>(`${BASE}/${seg(name)}/traffic`, { traffic, mirror_traffic: mirror, reason })).endpoint;
  }

  async history(name: string, max = 200): Promise<WireHistoryEntry[]> {
    return (await this.http.get<HistoryResponse>(`${BASE}/${seg(name)}/history`, { tail: max })).history;
  }

  async createDeployment(endpoint: string, req: CreateDeploymentRequest): Promise<WireDeployment> {
    return (await this.http.post<DeploymentResponse>(`${BASE}/${seg(endpoint)}/deployments`, req, { idempotent: false })).deployment;
  }

  async getDeployment(endpoint: string, name: string): Promise<WireDeployment> {
    return (await this.http.get<DeploymentResponse>(`${BASE}/${seg(endpoint)}/deployments/${seg(name)}`)).deployment;
  }

  async updateDeployment(endpoint: string, name: string, patch: UpdateDeploymentRequest): Promise<WireDeployment> {
    return (await this.http.request<DeploymentResponse>("PATCH", `${BASE}/${seg(endpoint)}/deployments/${seg(name)}`, { body: patch })).deployment;
  }

  async deleteDeployment(endpoint: string, name: string): Promise<void> {
    await this.http.request("DELETE", `${BASE}/${seg(endpoint)}/deployments/${seg(name)}`);
  }

  async logs(endpoint: string, name: string, tail = 200): Promise<string[]> {
    return (await this.http.get<LogsResponse>(`${BASE}/${seg(endpoint)}/deployments/${seg(name)}/logs`, { tail })).lines;
  }

  async listRollouts(endpoint: string): Promise<WireRollout[]> {
    return (await this.http.get<ListRolloutsResponse>(`${BASE}/${seg(endpoint)}/rollouts`)).rollouts;
  }

  async startRollout(endpoint: string, candidate: string, strategy?: WireStrategy): Promise<WireRollout> {
    return (await this.http.post<RolloutResponse>(`${BASE}/${seg(endpoint)}/rollouts`, { candidate, strategy }, { idempotent: false })).rollout;
  }

  async rolloutAction(endpoint: string, id: string, action: "promote" | "pause" | "resume" | "abort"): Promise<WireRollout> {
    return (await this.http.post<RolloutResponse>(`${BASE}/${seg(endpoint)}/rollouts/${seg(id)}/${action}`, {})).rollout;
  }

  /** The A/B comparison of two deployments over a window: per-variant metrics and, with labels, a significance test. */
  async ab(endpoint: string, query: AbQueryString = {}): Promise<WireAbReport> {
    return this.http.get<WireAbReport>(`${BASE}/${seg(endpoint)}/ab`, { ...query });
  }

  /** What a gateway routes by. */
  async routeTable(): Promise<WireRouteTable> {
    return this.http.get<WireRouteTable>("/api/ciclo/v1/endpoints-routes");
  }

  /** Scores through the endpoint (`/endpoints/{name}/invocations`); `deployment` invokes one directly. */
  async invoke(endpoint: string, body: unknown, opts: { deployment?: string; baseUrl?: string } = {}): Promise<InvokeResult> {
    const base = opts.baseUrl ?? this.http.url("/").replace(/\/$/, "");
    const headers: Record<string, string> = { ...this.http.authHeaders, "content-type": "application/json" };
    if (opts.deployment) headers["ciclo-deployment"] = opts.deployment;
    const res = await fetch(`${base}/endpoints/${seg(endpoint)}/invocations`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, deployment: res.headers.get("ciclo-deployment"), body: parsed };
  }
}
