/**
 * Delivers an alert to a webhook: Slack- or Teams-compatible JSON (or ciclo's
 * own), signed with HMAC-SHA256 when the rule has a secret, sent so that a
 * monitor cannot be turned against the server's own network (SSRF):
 * - the host is resolved once and every address checked; loopback, private,
 *   link-local, CGNAT, multicast and unspecified addresses are refused unless
 *   `host:port` is on the allow-list the server was given;
 * - the connection goes to the address that was checked (no second lookup a
 *   rebinding DNS server could answer differently);
 * - redirects are refused, not followed; a 5 s timeout; the answer is drained
 *   and not read further.
 * Signature: `x-ciclo-signature: sha256=<hex HMAC(secret, "<timestamp>.<body>")>`
 * with `x-ciclo-timestamp` (epoch seconds), the scheme Slack and Stripe use.
 * @module
 */
import { createHmac } from "node:crypto";
import { isIP } from "node:net";
import { isPrivateAddress, safeFetch } from "../../auth/index.js";
import type { WebhookFormat } from "../core/monitor-spec.js";

export interface AlertMessage {
  monitor: string;
  rule: string;
  title: string;
  text: string;
  windowStart: number;
  windowEnd: number;
  flagged: string[];
  alertId: number;
}

export interface WebhookOptions {
  /** `host:port` pairs (or bare hosts, any port) allowed even on internal addresses. */
  allow?: readonly string[];
  /** When set, the only hosts webhooks may call (`hooks.slack.com`, `*.example.com`). */
  allowHosts?: readonly string[];
  timeoutMs?: number;
  now?: () => number;
}

/** True for addresses a webhook must not reach by default (IPv4-mapped IPv6 checked as IPv4; not an address: true). */
export function isInternalAddress(address: string): boolean {
  return isIP(address.replace(/^::ffff:/i, "")) === 0 || isPrivateAddress(address);
}

export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function webhookPayload(format: WebhookFormat, m: AlertMessage): unknown {
  const window = `${new Date(m.windowStart).toISOString()} – ${new Date(m.windowEnd).toISOString()}`;
  if (format === "slack") {
    return {
      text: `${m.title}: ${m.text}`,
      blocks: [
        { type: "header", text: { type: "plain_text", text: m.title } },
        { type: "section", text: { type: "mrkdwn", text: `${m.text}\n*Window:* ${window}` } },
      ],
    };
  }
  if (format === "teams") {
    return {
      "@type": "MessageCard",
      "@context": "https://schema.org/extensions",
      summary: m.title,
      themeColor: "D83B01",
      title: m.title,
      text: m.text,
      sections: [{ facts: [{ name: "Monitor", value: m.monitor }, { name: "Rule", value: m.rule }, { name: "Window", value: window }] }],
    };
  }
  return {
    type: "ciclo.monitor.alert",
    alert_id: m.alertId,
    monitor: m.monitor,
    rule: m.rule,
    title: m.title,
    text: m.text,
    window_start: m.windowStart,
    window_end: m.windowEnd,
    flagged: m.flagged,
  };
}

/** Sends one webhook; resolves with the status, throws with a reason to record. */
export async function sendWebhook(url: string, format: WebhookFormat, message: AlertMessage, secret: string | undefined, opts: WebhookOptions = {}): Promise<number> {
  const body = JSON.stringify(webhookPayload(format, message));
  const ts = Math.floor((opts.now ?? Date.now)() / 1000);
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "ciclo-monitoring", "x-ciclo-timestamp": String(ts) };
  if (secret) headers["x-ciclo-signature"] = signBody(secret, ts, body);
  let res;
  try {
    res = await safeFetch(
      url,
      { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) },
      { privateHosts: opts.allow, allowHosts: opts.allowHosts },
    );
  } catch (err) {
    const e = err as Error;
    if (e.name === "TimeoutError") throw new Error("the webhook timed out");
    const internal = /^Host '(.+)' resolves to a private or local address \((.+)\)/.exec(e.message);
    if (internal) {
      const u = new URL(url);
      const port = u.port || (u.protocol === "https:" ? "443" : "80");
      throw new Error(`refused: ${internal[1]} resolves to an internal address (${internal[2]}); add '${u.hostname}:${port}' to the webhook allow-list (CICLO_OUTBOUND_PRIVATE_HOSTS) to permit it`);
    }
    throw new Error(`refused: ${e.message}`);
  }
  await res.body?.cancel().catch(() => {});
  const status = res.status;
  if (status >= 300 && status < 400) throw new Error(`refused: the webhook answered a redirect (${status}); redirects are not followed`);
  if (status >= 400) throw new Error(`the webhook answered ${status}`);
  return status;
}
