/**
 * `ciclo monitor` commands that talk to a server: creating, listing and deleting monitors, a monitor's static HTML
 * report and alert history, uploading reference profiles and labels, running a monitor now (monitor-command.ts
 * registers them beside the file-only commands).
 * @module
 */
import type { Command } from "commander";
import { CliContext, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { createColors } from "../output/colors.js";
import { cliAction, UsageError } from "../output/cli-errors.js";
import { printJson } from "../output/json-output.js";
import { renderTable } from "../output/table.js";

async function monitoringClient(flags: CommonFlags) {
  const { MonitoringClient } = await import("../../sdk/monitoring-client.js");
  // The CLI's own transport: a token kept by `ciclo auth login` and the retry note apply here as everywhere.
  return new MonitoringClient(new CliContext(flags).transport());
}

export function registerServerCommands(monitor: Command): void {
  withCommonOptions(monitor.command("create <spec.json>"))
    .description("Create a monitor on the server from a JSON file {\"name\", \"spec\"} (docs/monitoring.md#monitors); - reads stdin")
    .option("--name <name>", "the monitor's name (default: the file's \"name\")")
    .addHelpText(
      "after",
      `
The file holds what POST /api/ciclo/v1/monitoring/monitors takes: {"name": "fraud-drift", "spec": {"target": …,
"window_seconds": 3600, "every_seconds": 3600, "reference_profile": …, "drift": …, "alerts": […]}}. A bad spec
is refused whole, with what to fix; a spec without "name" needs --name.

Examples:
  $ ciclo monitor profile train.parquet -o ref.json && ciclo monitor reference ref.json --name fraud-train
  $ ciclo monitor create fraud-drift.json
  $ ciclo monitor create spec.json --name fraud-drift-eu --json`,
    )
    .action(
      cliAction("monitor create", async (file: string, flags: CommonFlags & { name?: string }) => {
        const body = await readJsonFile(file);
        const name = flags.name ?? (typeof body.name === "string" ? body.name : undefined);
        if (!name) throw new UsageError(`${file} has no "name": add one, or pass --name <name>.`);
        if (typeof body.spec !== "object" || body.spec === null) throw new UsageError(`${file} has no "spec" object: the file is {"name": …, "spec": {"target": …, …}} (docs/monitoring.md#monitors).`);
        const m = await (await monitoringClient(flags)).createMonitor(name, body.spec);
        if (flags.json) return printJson(m);
        process.stdout.write(`Created monitor '${m.name}' (id ${m.monitor_id}); it runs every ${String((m.spec as { every_seconds?: unknown }).every_seconds ?? "?")} s. Run it now: ciclo monitor run ${m.name}\n`);
      }),
    );

  withCommonOptions(monitor.command("list"))
    .description("List the server's monitors: target, window, last window evaluated, next run")
    .addHelpText("after", `\nExamples:\n  $ ciclo monitor list\n  $ ciclo monitor list --json | jq -r '.[].name'`)
    .action(
      cliAction("monitor list", async (flags: CommonFlags) => {
        const list = await (await monitoringClient(flags)).listMonitors();
        if (flags.json) return printJson(list);
        if (list.length === 0) {
          process.stdout.write("No monitors yet: ciclo monitor create <spec.json> (see ciclo monitor create --help).\n");
          return;
        }
        const { formatTime } = await import("../output/format.js");
        const colors = createColors(process.stdout);
        const width = process.stdout.isTTY ? process.stdout.columns || 80 : undefined;
        type M = (typeof list)[number];
        const target = (m: M) => {
          const t = (m.spec as { target?: Record<string, unknown> }).target ?? {};
          return Object.entries(t).map(([k, v]) => `${k}=${String(v)}`).join(" ") || "-";
        };
        process.stdout.write(
          renderTable<M>(
            [
              { header: "NAME", value: (m) => m.name },
              { header: "TARGET", value: target },
              { header: "WINDOW", value: (m) => `${String((m.spec as { window_seconds?: unknown }).window_seconds ?? "?")}s`, align: "right", shrink: false },
              { header: "LAST WINDOW END", value: (m) => (m.last_window_end ? formatTime(m.last_window_end) : "-"), shrink: false },
              { header: "NEXT RUN", value: (m) => formatTime(m.next_run_at), shrink: false },
            ],
            list,
            { width, colors },
          ),
        );
      }),
    );

  withCommonOptions(monitor.command("alerts <monitor>"))
    .description("A monitor's alerts, newest first: rule, state (firing or resolved), window, message, webhook delivery and retraining job")
    .addHelpText("after", `\nExamples:\n  $ ciclo monitor alerts fraud-drift\n  $ ciclo monitor alerts fraud-drift --json | jq '.[] | select(.state == "firing")'`)
    .action(
      cliAction("monitor alerts", async (name: string, flags: CommonFlags) => {
        const list = await (await monitoringClient(flags)).alerts(name);
        if (flags.json) return printJson(list);
        if (list.length === 0) {
          process.stdout.write(`No alerts for monitor '${name}': none of its rules has fired.\n`);
          return;
        }
        const { formatTime } = await import("../output/format.js");
        const colors = createColors(process.stdout);
        const width = process.stdout.isTTY ? process.stdout.columns || 80 : undefined;
        type A = (typeof list)[number];
        process.stdout.write(
          renderTable<A>(
            [
              { header: "ID", value: (a) => String(a.alert_id), align: "right", shrink: false },
              { header: "RULE", value: (a) => a.rule },
              { header: "STATE", value: (a) => a.state },
              { header: "OPENED", value: (a) => formatTime(a.opened_at), shrink: false },
              { header: "WINDOW END", value: (a) => formatTime(a.window_end), shrink: false },
              { header: "CLOSED", value: (a) => (a.closed_at ? formatTime(a.closed_at) : "-"), shrink: false },
              { header: "MESSAGE", value: (a) => a.message },
              { header: "WEBHOOK", value: (a) => a.delivery ?? "-" },
              { header: "ACTION JOB", value: (a) => a.action_job_id ?? "-" },
            ],
            list,
            { width, colors },
          ),
        );
      }),
    );

  withCommonOptions(monitor.command("delete <monitor>"), { json: false })
    .description("Delete a monitor with its time series and alerts")
    .addHelpText("after", `\nExample:\n  $ ciclo monitor delete fraud-drift`)
    .action(
      cliAction("monitor delete", async (name: string, flags: CommonFlags) => {
        await (await monitoringClient(flags)).deleteMonitor(name);
        process.stdout.write(`Deleted monitor '${name}'.\n`);
      }),
    );

  withCommonOptions(monitor.command("report <monitor>"), { json: false })
    .description("Write a monitor's page (drift heatmap, distributions, performance, latency and errors, alerts) as one static HTML file")
    .requiredOption("-o, --output <file.html>", "where to write the report")
    .addHelpText("after", `\nExample:\n  $ ciclo monitor report fraud-drift -o monitoring-report.html --tracking-uri http://ciclo:5000`)
    .action(
      cliAction("monitor report", async (name: string, flags: CommonFlags & { output: string }) => {
        const { writeFile } = await import("node:fs/promises");
        const html = await (await monitoringClient(flags)).report(name);
        await writeFile(flags.output, html);
        process.stderr.write(`Wrote the report of monitor '${name}' → ${flags.output}\n`);
      }),
    );

  withCommonOptions(monitor.command("reference <profile.json>"), { json: false })
    .description("Store a reference profile (from `ciclo monitor profile`) on the server for monitors to compare against")
    .requiredOption("--name <name>", "name of the reference (letters, digits, . _ -)")
    .addHelpText("after", `\nExample:\n  $ ciclo monitor profile train.parquet -o ref.json && ciclo monitor reference ref.json --name fraud-train`)
    .action(
      cliAction("monitor reference", async (file: string, flags: CommonFlags & { name: string }) => {
        const { readFile } = await import("node:fs/promises");
        const path = await (await monitoringClient(flags)).putReference(flags.name, await readFile(file, "utf8"));
        process.stdout.write(`${path}\n`);
        process.stderr.write(`Stored; use "reference_profile": "${path}" in a monitor's spec.\n`);
      }),
    );

  withCommonOptions(monitor.command("labels <file>"), { json: false })
    .description("Upload ground truth: a CSV or Parquet file with request_id, optional row, and label columns")
    .addHelpText("after", `\nExample:\n  $ ciclo monitor labels chargebacks-2026-12.csv`)
    .action(
      cliAction("monitor labels", async (file: string, flags: CommonFlags) => {
        const { readFile } = await import("node:fs/promises");
        const format = /\.parquet$/i.test(file) ? "parquet" : "csv";
        const n = await (await monitoringClient(flags)).uploadLabels(new Uint8Array(await readFile(file)), format);
        process.stderr.write(`Stored ${n} label(s) from ${file}\n`);
      }),
    );

  withCommonOptions(monitor.command("run <monitor>"))
    .description("Run a monitor now over the window ending now and print what it flagged")
    .option("--window-end <epoch-ms>", "end of the window (default now)")
    .addHelpText("after", `\nExample:\n  $ ciclo monitor run fraud-drift --json`)
    .action(
      cliAction("monitor run", async (name: string, flags: CommonFlags & { windowEnd?: string }) => {
        const end = flags.windowEnd === undefined ? undefined : Number(flags.windowEnd);
        if (end !== undefined && !Number.isFinite(end)) throw new UsageError(`--window-end is epoch milliseconds, got '${flags.windowEnd}'.`);
        const r = await (await monitoringClient(flags)).run(name, end);
        if (flags.json) return printJson(r);
        const flagged = r.points.filter((p) => p.flagged);
        process.stdout.write(`${r.rows} rows; flagged: ${flagged.map((p) => p.metric).join(", ") || "none"}\n`);
        for (const a of r.alerts) if (a.outcome !== "quiet") process.stdout.write(`alert ${a.rule}: ${a.outcome}\n`);
        if (r.alerts.some((a) => a.outcome !== "quiet")) process.stderr.write(`The alert history: ciclo monitor alerts ${name}\n`);
        for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
      }),
    );
}

async function readJsonFile(file: string): Promise<Record<string, unknown>> {
  const { readFile } = await import("node:fs/promises");
  const text = file === "-" ? await new Response(process.stdin as unknown as ReadableStream).text() : await readFile(file, "utf8");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new UsageError(`${file} must hold a JSON object {"name": …, "spec": {…}}.`);
  return body as Record<string, unknown>;
}
