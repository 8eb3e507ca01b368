/** A call to a running server's ciclo API (`/api/ciclo/v1`) that must answer 200: its JSON. */
import assert from "node:assert/strict";
import { readAnswer } from "./http-answer.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function cicloApi(server: { url: string }, method: string, path: string, body?: unknown): Promise<any> {
  const r = await readAnswer(
    await fetch(`${server.url}/api/ciclo/v1${path}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.json)}`);
  return r.json;
}
