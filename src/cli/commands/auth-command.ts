/**
 * `ciclo auth login|logout|whoami|password` (password: auth-password-command.ts), `ciclo tokens create|list|revoke`,
 * `ciclo users list|create|service-account|set-admin|set-password|delete`
 * (admins) and `ciclo secrets set|list|delete` (admins): the auth API
 * through the SDK. Passwords and secret values are read from stdin, a file or
 * a no-echo prompt — never from the command line — and never printed.
 * @module
 */
import { hostname } from "node:os";
import type { Command } from "commander";
import type { AuthToken, AuthUser, SecretInfo } from "../../sdk/auth-client.js";
import { HttpClient } from "../../sdk/http-client.js";
import { AuthClient } from "../../sdk/auth-client.js";
import { CliContext, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatTime } from "../output/format.js";
import { readSecretInput } from "../output/secret-input.js";
import { forgetCredential, saveCredential } from "../output/stored-credentials.js";
import { registerAuthPasswordCommand } from "./auth-password-command.js";
import type { Column } from "../output/table.js";

const TOKEN_COLUMNS: Column<AuthToken>[] = [
  { header: "ID", value: (t) => String(t.id), align: "right", shrink: false },
  { header: "NAME", value: (t) => t.name },
  { header: "TOKEN", value: (t) => t.hint, shrink: false },
  { header: "CREATED", value: (t) => formatTime(t.created_at), shrink: false },
  { header: "EXPIRES", value: (t) => (t.expires_at ? formatTime(t.expires_at) : "never"), shrink: false },
  { header: "LAST USED", value: (t) => (t.last_used_at ? formatTime(t.last_used_at) : "never"), shrink: false },
  { header: "STATUS", value: (t) => (t.revoked_at ? "revoked" : t.expires_at && t.expires_at <= Date.now() ? "expired" : "active"), shrink: false },
];

const USER_COLUMNS: Column<AuthUser>[] = [
  { header: "ID", value: (u) => String(u.id), align: "right", shrink: false },
  { header: "USERNAME", value: (u) => u.username },
  { header: "KIND", value: (u) => (u.is_service_account ? "service account" : "person"), shrink: false },
  { header: "ADMIN", value: (u) => (u.is_admin ? "yes" : "no"), shrink: false },
  { header: "CREATED", value: (u) => formatTime(u.created_at), shrink: false },
];

const SECRET_COLUMNS: Column<SecretInfo>[] = [
  { header: "NAME", value: (s) => s.name },
  { header: "DESCRIPTION", value: (s) => s.description ?? "" },
  { header: "UPDATED", value: (s) => formatTime(s.updated_at), shrink: false },
  { header: "BY", value: (s) => s.created_by ?? "", shrink: false },
];

function expiryDays(text: string | undefined): number | undefined {
  if (text === undefined || text === "0" || text === "never") return text === undefined ? undefined : 0;
  return parsePositiveInt(text, "--expires-in-days");
}

function parseBool(text: string, what: string): boolean {
  if (/^(true|yes|1)$/i.test(text)) return true;
  if (/^(false|no|0)$/i.test(text)) return false;
  throw new UsageError(`${what} must be true or false, got '${text}'.`);
}

export function registerAuthCommands(program: Command): void {
  const auth = usageExitCodes(program.command("auth").description("Sign in to a ciclo server from this machine, and see who you are"));

  withCommonOptions(auth.command("login"))
    .description("Sign in with your password and keep a token for this server (other ciclo commands then use it)")
    .option("-u, --username <name>", "your username (default: $MLFLOW_TRACKING_USERNAME, $USER)")
    .option("--password-file <path>", "read the password from this file instead of stdin or a prompt")
    .option("--expires-in-days <days>", "the kept token's lifetime (default 30; 0: never)", "30")
    .addHelpText(
      "after",
      `
The password is asked for with echo off, or read from stdin when it is a pipe;
it is sent once to create a token, never stored. The token is kept in
~/.config/ciclo/credentials.json (mode 0600; $CICLO_CONFIG_DIR moves it), one
per server. MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME in the
environment win over it.

Examples:
  $ ciclo auth login --tracking-uri https://ciclo.example.com -u alice
  $ pass show ciclo | ciclo auth login -u alice --expires-in-days 7`,
    )
    .action(
      cliAction("auth login", async (flags: CommonFlags & { username?: string; passwordFile?: string; expiresInDays?: string }) => {
        const cli = new CliContext(flags);
        const username = flags.username ?? process.env.MLFLOW_TRACKING_USERNAME ?? process.env.USER;
        if (!username) throw new UsageError("Say who you are: --username <name>.");
        const password = await readSecretInput({ fromFile: flags.passwordFile, prompt: `Password for ${username} at ${cli.trackingUri}: `, what: "password" });
        const client = new AuthClient(new HttpClient({ trackingUri: cli.trackingUri, username, password, token: "", env: {} }));
        const days = expiryDays(flags.expiresInDays);
        const { token, token_info } = await client.createToken(`ciclo CLI on ${hostname()}`, { expiresInDays: days });
        const file = saveCredential(cli.trackingUri, { token, username, tokenId: token_info.id, expiresAt: token_info.expires_at });
        cli.emit({ username, token_id: token_info.id, expires_at: token_info.expires_at ?? null, credentials_file: file }, () =>
          cli.out(`Signed in to ${cli.trackingUri} as ${username}. Token ${token_info.hint} kept in ${file}${token_info.expires_at ? ` until ${formatTime(token_info.expires_at)}` : ""}.`),
        );
      }),
    );

  withCommonOptions(auth.command("logout"), { json: false })
    .description("Revoke the token 'ciclo auth login' kept for this server and forget it")
    .addHelpText("after", "\nExamples:\n  $ ciclo auth logout --tracking-uri https://ciclo.example.com")
    .action(
      cliAction("auth logout", async (flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const had = forgetCredential(cli.trackingUri);
        if (!had) return cli.out(`Not signed in to ${cli.trackingUri} (no kept token).`);
        try {
          await new AuthClient(new HttpClient({ trackingUri: cli.trackingUri, token: had.token, env: {} })).revokeToken(had.tokenId);
          cli.out(`Signed out of ${cli.trackingUri}: token revoked and forgotten.`);
        } catch (err) {
          cli.out(`Forgot the token for ${cli.trackingUri}; revoking it failed (${(err as Error).message}): revoke it with 'ciclo tokens revoke ${had.tokenId}'.`);
        }
      }),
    );

  withCommonOptions(auth.command("whoami"))
    .description("Show who your credentials sign in as, and how")
    .addHelpText("after", "\nExamples:\n  $ ciclo auth whoami\n  $ MLFLOW_TRACKING_TOKEN=ciclo_… ciclo auth whoami --json")
    .action(
      cliAction("auth whoami", async (flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const me = await cli.auth.me();
        cli.emit(me, () => cli.out(`${me.user.username}${me.user.is_admin ? " (admin)" : ""}${me.user.is_service_account ? " (service account)" : ""} at ${cli.trackingUri}, signed in with a ${me.via}`));
      }),
    );

  registerAuthPasswordCommand(auth);
  registerTokensCommand(program);
  registerUsersCommand(program);
  registerSecretsCommand(program);
}

function registerTokensCommand(program: Command): void {
  const tokens = usageExitCodes(program.command("tokens").description("Create, list and revoke API tokens (for scripts and CI)"));

  withCommonOptions(tokens.command("create"))
    .description("Create a token: printed once on stdout, never shown again")
    .argument("<name>", "what the token is for, e.g. github-actions")
    .option("--expires-in-days <days>", "lifetime in days (default: never)")
    .option("--user <username>", "a token of another user or a service account (admins)")
    .addHelpText(
      "after",
      `
Only the token goes to stdout (a note goes to stderr), so it can be piped into a
secret store directly.

Examples:
  $ ciclo tokens create laptop --expires-in-days 90
  $ ciclo tokens create github-actions --user ci --expires-in-days 365 | gh secret set MLFLOW_TRACKING_TOKEN`,
    )
    .action(
      cliAction("tokens create", async (name: string, flags: CommonFlags & { expiresInDays?: string; user?: string }) => {
        const cli = new CliContext(flags);
        const res = await cli.auth.createToken(name, { expiresInDays: expiryDays(flags.expiresInDays), username: flags.user });
        cli.emit(res, () => {
          cli.out(res.token);
          cli.note(`Token ${res.token_info.id} (${res.token_info.name}) created; it is not shown again.`);
        });
      }),
    );

  withCommonOptions(tokens.command("list"))
    .description("List tokens: name, hint, created, expiry, last use, status")
    .option("--user <username>", "another user's tokens (admins)")
    .addHelpText("after", "\nExamples:\n  $ ciclo tokens list\n  $ ciclo tokens list --user ci --json")
    .action(
      cliAction("tokens list", async (flags: CommonFlags & { user?: string }) => {
        const cli = new CliContext(flags);
        const list = await cli.auth.listTokens(flags.user);
        cli.emit(list, () => cli.table(TOKEN_COLUMNS, list, "No tokens."));
      }),
    );

  withCommonOptions(tokens.command("revoke"), { json: false })
    .description("Revoke a token: whatever uses it stops signing in at once")
    .argument("<id>", "the token's id (ciclo tokens list)")
    .option("--user <username>", "another user's token (admins)")
    .addHelpText("after", "\nExamples:\n  $ ciclo tokens revoke 3\n  $ ciclo tokens revoke 7 --user ci")
    .action(
      cliAction("tokens revoke", async (id: string, flags: CommonFlags & { user?: string }) => {
        const cli = new CliContext(flags);
        const n = parsePositiveInt(id, "<id>")!;
        await cli.auth.revokeToken(n, flags.user);
        cli.out(`Revoked token ${n}.`);
      }),
    );
}

function registerUsersCommand(program: Command): void {
  const users = usageExitCodes(program.command("users").description("Manage users and service accounts (admins)"));

  withCommonOptions(users.command("list"))
    .description("List users and service accounts")
    .addHelpText("after", "\nExamples:\n  $ ciclo users list\n  $ ciclo users list --json | jq -r '.[].username'")
    .action(
      cliAction("users list", async (flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const list = await cli.auth.listUsers();
        cli.emit(list, () => cli.table(USER_COLUMNS, list, "No users."));
      }),
    );

  withCommonOptions(users.command("create"), { json: false })
    .description("Create a user who signs in with a password (read from stdin or a prompt)")
    .argument("<username>")
    .option("--password-file <path>", "read the password from this file")
    .option("--admin", "make the user an admin")
    .addHelpText("after", "\nExamples:\n  $ ciclo users create alice          # asks for the password\n  $ openssl rand -base64 18 | tee /dev/stderr | ciclo users create bob --admin")
    .action(
      cliAction("users create", async (username: string, flags: CommonFlags & { passwordFile?: string; admin?: boolean }) => {
        const cli = new CliContext(flags);
        const password = await readSecretInput({ fromFile: flags.passwordFile, prompt: `Password for ${username}: `, what: "password" });
        await cli.auth.createUser(username, password);
        if (flags.admin) await cli.auth.setAdmin(username, true);
        cli.out(`Created user ${username}${flags.admin ? " (admin)" : ""}.`);
      }),
    );

  withCommonOptions(users.command("service-account"), { json: false })
    .description("Create a service account: no password, it signs in with the tokens you create for it")
    .argument("<username>")
    .addHelpText("after", "\nExamples:\n  $ ciclo users service-account ci && ciclo tokens create github-actions --user ci")
    .action(
      cliAction("users service-account", async (username: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        await cli.auth.createServiceAccount(username);
        cli.out(`Created service account ${username}; give it a token with 'ciclo tokens create <name> --user ${username}'.`);
      }),
    );

  withCommonOptions(users.command("set-admin"), { json: false })
    .description("Make a user an admin (true) or not (false)")
    .argument("<username>")
    .argument("<true|false>")
    .addHelpText("after", "\nExamples:\n  $ ciclo users set-admin alice true")
    .action(
      cliAction("users set-admin", async (username: string, value: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const flag = parseBool(value, "<true|false>");
        await cli.auth.setAdmin(username, flag);
        cli.out(`${username} is ${flag ? "now" : "no longer"} an admin.`);
      }),
    );

  withCommonOptions(users.command("set-password"), { json: false })
    .description("Set a user's password (read from stdin or a prompt); signs them out of the web UI")
    .argument("<username>")
    .option("--password-file <path>", "read the password from this file")
    .addHelpText("after", "\nExamples:\n  $ ciclo users set-password alice")
    .action(
      cliAction("users set-password", async (username: string, flags: CommonFlags & { passwordFile?: string }) => {
        const cli = new CliContext(flags);
        const password = await readSecretInput({ fromFile: flags.passwordFile, prompt: `New password for ${username}: `, what: "password" });
        await cli.auth.setPassword(username, password);
        cli.out(`Password of ${username} changed.`);
      }),
    );

  withCommonOptions(users.command("delete"), { json: false })
    .description("Delete a user with their tokens and permissions")
    .argument("<username>")
    .addHelpText("after", "\nExamples:\n  $ ciclo users delete bob")
    .action(
      cliAction("users delete", async (username: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        await cli.auth.deleteUser(username);
        cli.out(`Deleted user ${username}.`);
      }),
    );
}

function registerSecretsCommand(program: Command): void {
  const secrets = usageExitCodes(program.command("secrets").description("Store secrets (registry credentials, webhook keys) on the server, encrypted; admins"));

  withCommonOptions(secrets.command("set"), { json: false })
    .description("Create a secret or replace its value; the value is read from stdin, a prompt or a file, never echoed")
    .argument("<name>", "how deployments and monitors refer to it, e.g. registry.password")
    .option("--from-file <path>", "read the value from this file (one trailing newline dropped)")
    .option("--description <text>", "what the secret is for")
    .addHelpText(
      "after",
      `
The server encrypts the value (CICLO_SECRETS_KEY) and never returns it.

Examples:
  $ ciclo secrets set registry.password                 # asks for the value
  $ printf %s "$TOKEN" | ciclo secrets set webhook.key --description 'alerts to Slack'
  $ ciclo secrets set gcp.key --from-file ./key.json`,
    )
    .action(
      cliAction("secrets set", async (name: string, flags: CommonFlags & { fromFile?: string; description?: string }) => {
        const cli = new CliContext(flags);
        const value = await readSecretInput({ fromFile: flags.fromFile, prompt: `Value of ${name}: `, what: "value" });
        const { created } = await cli.auth.setSecret(name, value, flags.description);
        cli.out(`${created ? "Created" : "Updated"} secret ${name}.`);
      }),
    );

  withCommonOptions(secrets.command("list"))
    .description("List secrets: names, descriptions, dates — never values")
    .addHelpText("after", "\nExamples:\n  $ ciclo secrets list\n  $ ciclo secrets list --json")
    .action(
      cliAction("secrets list", async (flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const list = await cli.auth.listSecrets();
        cli.emit(list, () => cli.table(SECRET_COLUMNS, list, "No secrets."));
      }),
    );

  withCommonOptions(secrets.command("delete"), { json: false })
    .description("Delete a secret")
    .argument("<name>")
    .addHelpText("after", "\nExamples:\n  $ ciclo secrets delete registry.password")
    .action(
      cliAction("secrets delete", async (name: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        await cli.auth.deleteSecret(name);
        cli.out(`Deleted secret ${name}.`);
      }),
    );
}
