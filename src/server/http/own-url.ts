/**
 * What a capability needs to start ciclo processes that call back into this
 * server (model servers, pipeline steps): the server's own URL once it
 * listens, and the `ciclo` entry script to run them with.
 * @module
 */
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** bin/ciclo.js of this installation. */
export const CICLO_BIN = fileURLToPath(new URL("../../../bin/ciclo.js", import.meta.url));

/** The server's own URL for its child processes, once it listens (0.0.0.0 and :: become loopback). */
export async function ownUrl(app: FastifyInstance): Promise<string> {
  if (!app.server.listening) await new Promise((r) => app.server.once("listening", r));
  const a = app.server.address() as AddressInfo;
  const host = a.address === "0.0.0.0" ? "127.0.0.1" : a.address === "::" ? "[::1]" : a.family === "IPv6" ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
