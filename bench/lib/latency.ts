/**
 * Sequential latency sampling with percentiles (one request at a time). The
 * warm-up lets V8 optimise the request path first, as it is in a server that
 * has been up for more than a few seconds: steady state, not first calls.
 */
export interface LatencyStats {
  p50: number;
  p95: number;
  min: number;
  max: number;
  samples: number;
}

export async function sampleLatency(fn: () => Promise<unknown>, samples = 50, warmup = 20): Promise<LatencyStats> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
  return { p50: pct(50), p95: pct(95), min: times[0], max: times[times.length - 1], samples };
}

/** POSTs JSON and fails loudly on a non-200, so a broken call is never timed as a fast one. */
export async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} → ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * POSTs JSON and waits for the whole response body without parsing it: the
 * server's answer time, not the client's JSON.parse. Returns the byte count.
 */
export async function postForBytes(url: string, body: unknown): Promise<number> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const buf = await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} → ${res.status} ${Buffer.from(buf).toString("utf8", 0, 300)}`);
  return buf.byteLength;
}

export async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} → ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
