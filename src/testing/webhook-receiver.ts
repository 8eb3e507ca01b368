/**
 * A real HTTP receiver on a loopback port that records every request it gets
 * (headers and body) and answers 200, for tests of outbound webhooks; and the
 * check of ciclo's webhook signature (`x-ciclo-signature: sha256=<hex>` over
 * `<x-ciclo-timestamp>.<body>`, HMAC-SHA256 with the rule's secret).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  headers: IncomingMessage["headers"];
  body: string;
}

export interface WebhookReceiver {
  /** `127.0.0.1:<port>`, for allow-lists. */
  host: string;
  /** `http://127.0.0.1:<port>` + path. */
  url(path?: string): string;
  /** What arrived so far, in order. */
  received: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: (path = "/") => `http://${host}${path}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Whether a received webhook carries a valid ciclo signature for `secret`. */
export function hasValidSignature(r: ReceivedRequest, secret: string): boolean {
  const ts = String(r.headers["x-ciclo-timestamp"]);
  const want = `sha256=${createHmac("sha256", secret).update(`${ts}.${r.body}`).digest("hex")}`;
  const got = String(r.headers["x-ciclo-signature"] ?? "");
  return got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
}
