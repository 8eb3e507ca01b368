/**
 * `GET /endpoints/{name}/ab`: the A/B comparison of two of an endpoint's
 * deployments over a recent window. Operations come from the router's
 * in-memory counts (this process's, the last 8,192 requests per
 * deployment); quality from the inference log monitoring keeps, joined with
 * the labels posted by request id. Without the monitoring module (or before
 * labels arrive) the report has operations only and no test.
 * @module
 */
import type { LabelledRows, LabelledRowsQuery } from "../../monitoring/index.js";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../shared/errors.js";
import type { EndpointView } from "../endpoints/endpoint-service.js";
import type { StatsWindow } from "../router/deployment-stats.js";
import { abReport, type AbLoss, type AbReport, type AbTask, type VariantInput } from "./ab-report.js";

export const AB_DEFAULTS = { windowSeconds: 3600, alpha: 0.05, minSamples: 30 } as const;

export interface AbQuery {
  /** Variant A (the control) and B; default the two deployments with the most traffic, A the larger share. */
  a?: string;
  b?: string;
  windowSeconds?: number;
  alpha?: number;
  minSamples?: number;
  task?: AbTask;
  loss?: AbLoss;
  predictionColumn?: string;
}

export interface AbResult extends AbReport {
  endpoint: string;
  start: number;
  end: number;
  alpha: number;
  minSamples: number;
  loss: AbLoss;
}

export interface AbServiceDeps {
  endpoint(name: string): Promise<EndpointView>;
  ops(endpoint: string, deployment: string, since: number): StatsWindow;
  /** Monitoring's labelled rows (absent: the server runs no monitoring). */
  labelled?(q: LabelledRowsQuery): Promise<LabelledRows>;
  now?: () => number;
}

export class AbService {
  constructor(private readonly deps: AbServiceDeps) {}

  async report(name: string, q: AbQuery = {}): Promise<AbResult> {
    const view = await this.deps.endpoint(name);
    const alpha = q.alpha ?? AB_DEFAULTS.alpha;
    if (!(alpha > 0 && alpha < 1)) throw new InvalidParameterValueError(`alpha must be between 0 and 1 (exclusive); got ${alpha}.`);
    const minSamples = q.minSamples ?? AB_DEFAULTS.minSamples;
    const loss = q.loss ?? "absolute";
    const end = (this.deps.now ?? Date.now)();
    const start = end - (q.windowSeconds ?? AB_DEFAULTS.windowSeconds) * 1000;
    const traffic = view.endpoint.traffic;
    const byName = new Map(view.deployments.map((d) => [d.name, d]));
    for (const n of [q.a, q.b]) {
      if (n !== undefined && !byName.has(n)) throw new ResourceDoesNotExistError(`Deployment '${n.slice(0, 64)}' does not exist in endpoint '${name}'.`);
    }
    if (q.a !== undefined && q.a === q.b) throw new InvalidParameterValueError(`Variants a and b must be two different deployments; both are '${q.a}'.`);
    // A and B first (given, else by traffic, larger first, then by name), the rest after them.
    const ranked = [...view.deployments].sort((x, y) => (traffic[y.name] ?? 0) - (traffic[x.name] ?? 0) || x.name.localeCompare(y.name)).map((d) => d.name);
    const a = q.a ?? ranked.find((n) => n !== q.b);
    const b = q.b ?? ranked.find((n) => n !== a);
    const picked = [a, b].filter((n): n is string => n !== undefined);
    const order = [...picked, ...ranked.filter((n) => !picked.includes(n))];
    const notes: string[] = [];
    let sampleRate = 1;
    const variants: VariantInput[] = await Promise.all(
      order.map(async (n) => {
        const d = byName.get(n)!;
        const w = this.deps.ops(name, n, start);
        const input: VariantInput = {
          deployment: n,
          modelVersion: d.modelVersion,
          traffic: traffic[n] ?? 0,
          ops: { requests: w.requests, errors: w.errors, ...(w.p50Ms !== undefined && { p50Ms: w.p50Ms }), ...(w.p99Ms !== undefined && { p99Ms: w.p99Ms }) },
          pairs: [],
        };
        // Labelled rows only for the two compared: the others show operations.
        if (this.deps.labelled && picked.includes(n)) {
          const l = await this.deps.labelled({ endpoint: name, deployment: n, from: start, to: end + 1, predictionColumn: q.predictionColumn });
          input.loggedRows = l.rows;
          input.pairs = l.pairs;
          sampleRate = Math.min(sampleRate, l.sampleRate);
          if (l.truncated) notes.push(`${n}: the window holds more logged rows than are read; the test uses the first ${l.rows}.`);
        }
        return input;
      }),
    );
    if (!this.deps.labelled) notes.push("This server runs no monitoring (it needs a served artifact store): no inference log, so no labels and no significance test.");
    if (sampleRate < 1) notes.push(`The inference log keeps a sample (${sampleRate}) of requests: the test uses the sampled, labelled rows.`);
    const r = abReport(variants, { alpha, minSamples, task: q.task, loss });
    return { endpoint: name, start, end, alpha, minSamples, loss, ...r, notes: [...r.notes, ...notes] };
  }
}
