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
import { lookup } from "node:dns/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
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
  timeoutMs?: number;
  now?: () => number;
}

const INTERNAL = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) INTERNAL.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96]] as const) INTERNAL.addSubnet(net, bits, "ipv6");

/** True for addresses a webhook must not reach by default (IPv4-mapped IPv6 checked as IPv4). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1], "ipv4");
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? "ipv4" : "ipv6");
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

function allowed(allow: readonly string[], host: string, port: number): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return allow.some((a) => {
    const x = a.toLowerCase();
    return x === h || x === `${h}:${port}` || x === `[${h}]:${port}`;
  });
}

/** Sends one webhook; resolves with the status, throws with a reason to record. */
export async function sendWebhook(url: string, format: WebhookFormat, message: AlertMessage, secret: string | undefined, opts: WebhookOptions = {}): Promise<number> {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`refused: scheme ${u.protocol}`);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error(`cannot resolve ${host}`);
  const pass = allowed(opts.allow ?? [], host, port);
  const bad = addresses.find((a) => isInternalAddress(a.address));
  if (bad && !pass) throw new Error(`refused: ${host} resolves to an internal address (${bad.address}); add '${host}:${port}' to the webhook allow-list to permit it`);
  const pinned = addresses[0];
  const pin: LookupFunction = (_h, o, cb) => {
    if ((o as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned]);
    else cb(null, pinned.address, pinned.family);
  };
  const body = JSON.stringify(webhookPayload(format, message));
  const ts = Math.floor((opts.now ?? Date.now)() / 1000);
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "ciclo-monitoring", "x-ciclo-timestamp": ts };
  if (secret) headers["x-ciclo-signature"] = signBody(secret, ts, body);
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return await new Promise<number>((resolve, reject) => {
    const req = send(u, { method: "POST", headers, lookup: pin, timeout: opts.timeoutMs ?? 5000 }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) reject(new Error(`refused: the webhook answered a redirect (${status}); redirects are not followed`));
      else if (status >= 400) reject(new Error(`the webhook answered ${status}`));
      else resolve(status);
    });
    req.on("timeout", () => req.destroy(new Error("the webhook timed out")));
    req.on("error", reject);
    req.end(body);
  });
}
