/**
 * What every data command shares: the `--tracking-uri` and `--json` options,
 * SDK clients built from them (the CLI talks to a server, never to a store),
 * and human output (tables fitted to the terminal, colours only on a TTY).
 * @module
 */
import type { Command } from "commander";
import { AdminClient } from "../../sdk/admin-client.js";
import { AuthClient } from "../../sdk/auth-client.js";
import { ArtifactClient, type ArtifactClientOptions } from "../../sdk/artifact-client.js";
import { HttpClient, type RetryNotice } from "../../sdk/http-client.js";
import { PipelinesClient } from "../../sdk/pipelines-client.js";
import { JobsClient } from "../../sdk/jobs-client.js";
import { RegistryClient } from "../../sdk/registry-client.js";
import { trackingUriFromEnv } from "../../sdk/sdk-config.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { ResourceDoesNotExistError } from "../../shared/errors.js";
import type { Experiment } from "../../shared/tracking-types.js";
import { createColors, type Colors } from "./colors.js";
import { NotFoundError, UsageError } from "./cli-errors.js";
import { closestNames } from "./closest-names.js";
import { printJson } from "./json-output.js";
import { credentialSource, recordSentCredentials } from "./sent-credentials.js";
import { envHasCredentials, loadCredential, serverKey } from "./stored-credentials.js";
import { renderTable, type Column } from "./table.js";

export interface CommonFlags {
  trackingUri?: string;
  json?: boolean;
}

export const TRACKING_URI_HELP = "server to talk to (default: $CICLO_TRACKING_URI, $MLFLOW_TRACKING_URI, http://127.0.0.1:5000)";

/** Adds `--tracking-uri` and (unless `json: false`) `--json` to a leaf command. */
export function withCommonOptions(cmd: Command, opts: { json?: boolean } = {}): Command {
  cmd.option("--tracking-uri <uri>", TRACKING_URI_HELP);
  if (opts.json !== false) cmd.option("--json", "print JSON on stdout (for scripts) instead of a table");
  return cmd;
}

/** Commander collector for repeatable options: `--tag a=1 --tag b=2`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Ids given as `--run-ids a,b --run-ids c` → ["a", "b", "c"]. */
export function splitIds(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const ids = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  return ids;
}

/** `key=value` pairs (the value may contain `=`). */
export function parseKeyValues(pairs: string[] | undefined, what = "--tag"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const at = p.indexOf("=");
    if (at <= 0) throw new UsageError(`${what} expects key=value, got '${p}'.`);
    out[p.slice(0, at)] = p.slice(at + 1);
  }
  return out;
}

export function parsePositiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${what} must be a positive integer, got '${text}'.`);
  return Number(text);
}

/** " Did you mean 'a' or 'b'?", or `otherwise` when there is nothing close. */
function didYouMean(close: string[], otherwise: string): string {
  if (close.length === 0) return otherwise;
  return ` Did you mean ${close.length === 1 ? close[0] : `${close.slice(0, -1).join(", ")} or ${close[close.length - 1]}`}?`;
}

export class CliContext {
  readonly trackingUri: string;
  readonly json: boolean;
  /** Colours for stdout (tables) and stderr (notes). */
  readonly colors: Colors;
  readonly errColors: Colors;
  private http?: HttpClient;

  constructor(flags: CommonFlags) {
    this.trackingUri = flags.trackingUri ?? trackingUriFromEnv();
    this.json = flags.json === true;
    this.colors = createColors(process.stdout);
    this.errColors = createColors(process.stderr);
  }

  /** The HTTP client of this server (stored sign-in, retry note), for clients the getters below do not build. */
  transport(): HttpClient {
    // A token kept by `ciclo auth login` for this server, unless the environment names credentials.
    if (this.http) return this.http;
    const stored = envHasCredentials() ? undefined : loadCredential(this.trackingUri);
    recordSentCredentials(credentialSource(this.trackingUri, process.env, stored ? serverKey(this.trackingUri) : undefined));
    return (this.http = new HttpClient({ trackingUri: this.trackingUri, token: stored?.token, onRetry: this.retryNote() }));
  }

  /** At a terminal, one line on stderr when the server first fails to answer, so a retrying command does not look hung. */
  private retryNote(): ((r: RetryNotice) => void) | undefined {
    if (!process.stderr.isTTY) return undefined;
    let said = false;
    return (r) => {
      if (said) return;
      said = true;
      process.stderr.write(`${this.errColors.dim(`ciclo: ${this.trackingUri} did not answer (${r.reason}); retrying up to ${r.maxAttempts - r.attempt} more time${r.maxAttempts - r.attempt === 1 ? "" : "s"} — Ctrl-C to stop.`)}\n`);
    };
  }

  get auth(): AuthClient {
    return new AuthClient(this.transport());
  }

  get tracking(): TrackingClient {
    return new TrackingClient(this.transport());
  }

  get registry(): RegistryClient {
    return new RegistryClient(this.transport());
  }

  get admin(): AdminClient {
    return new AdminClient(this.transport());
  }

  get jobs(): JobsClient {
    return new JobsClient(this.transport());
  }

  get pipelines(): PipelinesClient {
    return new PipelinesClient(this.transport());
  }

  artifacts(opts: ArtifactClientOptions = {}): ArtifactClient {
    return new ArtifactClient(this.tracking, opts);
  }

  /** The terminal's width when stdout is one; undefined (no cutting) when piped. */
  get width(): number | undefined {
    return process.stdout.isTTY ? process.stdout.columns || 80 : undefined;
  }

  out(text: string): void {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** A remark for humans that is not the command's output (stderr, so stdout stays parseable). */
  note(text: string): void {
    process.stderr.write(`${this.errColors.dim(text)}\n`);
  }

  table<R>(columns: Column<R>[], rows: R[], empty = "(none)"): void {
    if (rows.length === 0) this.out(this.colors.dim(empty));
    else this.out(renderTable(columns, rows, { width: this.width, colors: this.colors }));
  }

  /** Prints `value` as JSON with --json, else runs `human`. */
  emit(value: unknown, human: () => void): void {
    if (this.json) printJson(value);
    else human();
  }

  /**
   * An experiment by id or by name: digits are tried as an id first, then as a
   * name (an experiment may be called "42").
   */
  async experiment(ref: string): Promise<Experiment> {
    const t = this.tracking;
    if (/^\d+$/.test(ref)) {
      try {
        return await t.getExperiment(ref);
      } catch (err) {
        if (!(err instanceof ResourceDoesNotExistError)) throw err;
      }
    }
    const byName = await t.findExperimentByName(ref);
    if (!byName) throw new NotFoundError(`No experiment with id or name '${ref}'.${await this.experimentSuggestions(ref)}`);
    return byName;
  }

  /** Rethrows `err`; a registered model that does not exist gets the names close to `name` added ("Did you mean …?"). */
  async modelNotFound(err: unknown, name: string): Promise<never> {
    if (!(err instanceof ResourceDoesNotExistError) || !/Registered Model/i.test(err.message)) throw err;
    const names: string[] = [];
    try {
      for await (const m of this.registry.iterateRegisteredModels()) {
        names.push(m.name);
        if (names.length >= 10_000) break;
      }
    } catch {
      throw err;
    }
    throw new NotFoundError(`${err.message.replace(/\.?$/, ".")}${didYouMean(closestNames(name, names).map((n) => `'${n}'`), " 'ciclo models list' lists them.")}`);
  }

  /** " Did you mean 'iris'?" for names close to `ref`, else where to see them all; never fails the error it adds to. */
  private async experimentSuggestions(ref: string): Promise<string> {
    const deleted = new Map<string, boolean>();
    try {
      for await (const e of this.tracking.iterateExperiments({ viewType: "ALL" })) {
        deleted.set(e.name, e.lifecycleStage === "deleted");
        if (deleted.size >= 10_000) break;
      }
    } catch {
      return "";
    }
    const close = closestNames(ref, deleted.keys()).map((n) => `'${n}'${deleted.get(n) ? " (deleted; 'ciclo experiments restore' brings it back)" : ""}`);
    return didYouMean(close, " 'ciclo experiments list' lists them.");
  }
}
