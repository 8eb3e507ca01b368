/**
 * `ciclo auth password`: change your own password on the server (the current
 * one is required). Both passwords come from files, from stdin when it is a
 * pipe (two lines: current, then new), or from no-echo prompts — never from
 * the command line. The server signs your web UI sessions out; API tokens,
 * including the one `ciclo auth login` kept, keep working.
 * @module
 */
import type { Command } from "commander";
import { CliContext, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError } from "../output/cli-errors.js";
import { readSecretInput } from "../output/secret-input.js";

/** The current and the new password from a pipe: two lines. */
async function twoLines(): Promise<[string, string]> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const lines = Buffer.concat(chunks).toString("utf8").split(/\r?\n/);
  if (lines.length < 2 || lines[0] === "" || lines[1] === "") throw new UsageError("Pipe two lines on stdin: the current password, then the new one.");
  return [lines[0], lines[1]];
}

export function registerAuthPasswordCommand(auth: Command): void {
  withCommonOptions(auth.command("password"), { json: false })
    .description("Change your own password (the current one is required); your web UI sessions are signed out")
    .option("--current-password-file <path>", "read the current password from this file")
    .option("--new-password-file <path>", "read the new password from this file")
    .addHelpText(
      "after",
      `
At a terminal both passwords are asked for with echo off (the new one twice).
From a pipe, give two lines: the current password, then the new one. Files
(--current-password-file, --new-password-file) win over both.

Examples:
  $ ciclo auth password
  $ printf '%s\\n%s\\n' "$OLD" "$NEW" | ciclo auth password
  $ ciclo auth password --current-password-file old.txt --new-password-file new.txt`,
    )
    .action(
      cliAction("auth password", async (flags: CommonFlags & { currentPasswordFile?: string; newPasswordFile?: string }) => {
        const cli = new CliContext(flags);
        let current: string;
        let next: string;
        if (flags.currentPasswordFile !== undefined && flags.newPasswordFile !== undefined) {
          current = await readSecretInput({ fromFile: flags.currentPasswordFile, prompt: "", what: "current password" });
          next = await readSecretInput({ fromFile: flags.newPasswordFile, prompt: "", what: "new password" });
        } else if (!process.stdin.isTTY && flags.currentPasswordFile === undefined && flags.newPasswordFile === undefined) {
          [current, next] = await twoLines();
        } else {
          current = await readSecretInput({ fromFile: flags.currentPasswordFile, prompt: "Current password: ", what: "current password" });
          next = await readSecretInput({ fromFile: flags.newPasswordFile, prompt: "New password: ", what: "new password" });
          if (flags.newPasswordFile === undefined && (await readSecretInput({ prompt: "New password again: ", what: "new password" })) !== next) {
            throw new UsageError("The two new passwords differ; nothing was changed.");
          }
        }
        await cli.auth.changePassword(current, next);
        cli.out(`Password changed at ${cli.trackingUri}. Your web UI sessions were signed out; API tokens keep working.`);
      }),
    );
}
