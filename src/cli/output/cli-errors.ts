/**
 * Exit codes CI can trust, and the one place CLI errors are printed.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | failure: the server refused the request, was unreachable, or a transfer failed |
 * | 2 | usage error: unknown command or option, missing or malformed argument |
 * | 3 | not found: the experiment, run, model, version, alias or artifact does not exist |
 * @module
 */
import type { Command, CommanderError } from "commander";
import { TrackingConnectionError } from "../../sdk/http-client.js";
import { MlflowError, ResourceDoesNotExistError } from "../../shared/errors.js";
import { sentCredentials, unauthenticatedHint } from "./sent-credentials.js";

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, NOT_FOUND: 3 } as const;

/** A malformed argument found by the command itself (commander finds the rest). */
export class UsageError extends Error {}

/** Something named on the command line does not exist (exit code 3), found client-side. */
export class NotFoundError extends Error {}

function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (err instanceof NotFoundError || err instanceof ResourceDoesNotExistError) return EXIT.NOT_FOUND;
  if (err instanceof MlflowError && err.errorCode === "RESOURCE_DOES_NOT_EXIST") return EXIT.NOT_FOUND;
  return EXIT.FAILURE;
}

/** Prints `ciclo <command>: <message>` on stderr and sets the exit code. */
export function reportError(err: unknown, command: string): void {
  const e = err as Error;
  const code = err instanceof MlflowError ? ` (${err.errorCode})` : "";
  const hint =
    err instanceof UsageError
      ? `\nRun 'ciclo ${command} --help' for usage.`
      : err instanceof TrackingConnectionError && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(e.message)
        ? "\nIs a ciclo server running there? Start one with 'ciclo server', or name yours with --tracking-uri or CICLO_TRACKING_URI."
        : err instanceof MlflowError && err.errorCode === "UNAUTHENTICATED" && command !== "auth login"
          ? // The server's message names MLflow's variables; a CLI user also has `ciclo auth login`, and
            // credentials that were sent and refused call for new ones, not for setting them.
            `\n${unauthenticatedHint(sentCredentials())}`
          : err instanceof MlflowError && err.errorCode === "PERMISSION_DENIED"
            ? // The server says only MLflow's "Permission denied": which credentials were used, and who can grant.
              "\nThe credentials sign in, but that account may not do this. 'ciclo auth whoami' shows which account they are; an admin, or a user with MANAGE on the experiment or registered model, can grant a permission."
            : "";
  process.stderr.write(`ciclo ${command}: ${e?.message ?? String(err)}${code}${hint}\n`);
  process.exitCode = exitCodeOf(err);
}

/** Wraps an action so its errors become a message and an exit code, not a stack trace. */
export function cliAction<A extends unknown[]>(command: string, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err, command);
    }
  };
}

/**
 * Makes commander's own errors (unknown option, missing argument, no
 * subcommand) exit with 2 instead of 1; help and version still exit 0. Set on
 * a command before its subcommands are added: they inherit it.
 */
export function usageExitCodes(cmd: Command): Command {
  return cmd.exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
  });
}
