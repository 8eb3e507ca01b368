/**
 * Test helper: an HTTP proxy on a loopback port in front of a real server,
 * which can be told to fail the next requests to a path the way networks and
 * load balancers fail — answer 503/429 without forwarding, never answer,
 * drop the connection before forwarding, or forward and then drop the
 * connection before the answer reaches the client (the "lost response" that makes a
 * client retry a request the server already applied).
 * @module
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

type Fault = "503" | "429" | "drop-before" | "drop-after" | "hang";

export interface FaultProxy {
  url: string;
  /** Requests seen per path (`/api/2.0/mlflow/runs/log-batch`), faults included. */
  hits: Map<string, number>;
  /** Every request seen: method, URL and headers. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage["headers"] }>;
  /** Fails the next `times` requests whose path ends with `pathSuffix`. */
  failNext(pathSuffix: string, fault: Fault, times?: number): void;
  /** Forgets the faults not yet used. */
  clearFaults(): void;
  /** Resolves when a request to a path ending with `pathSuffix` has been answered or dropped `count` times in all. */
  waitForHits(pathSuffix: string, count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const rules: Array<{ suffix: string; fault: Fault; left: number }> = [];
  const hits = new Map<string, number>();
  const requests: FaultProxy["requests"] = [];
  const waiters: Array<{ suffix: string; count: number; resolve(): void }> = [];

  const countHit = (path: string) => {
    hits.set(path, (hits.get(path) ?? 0) + 1);
    settle();
  };
  const settle = () => {
    for (const w of [...waiters]) {
      const n = [...hits].filter(([p]) => p.endsWith(w.suffix)).reduce((a, [, c]) => a + c, 0);
      if (n >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const forward = (req: IncomingMessage, body: Buffer, onResponse: (res: IncomingMessage, data: Buffer) => void, onError: () => void) => {
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => onResponse(res, Buffer.concat(chunks)));
      },
    );
    up.on("error", onError);
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      const path = (req.url ?? "").split("?")[0];
      const rule = rules.find((r) => r.left > 0 && path.endsWith(r.suffix));
      if (rule) rule.left--;
      const fault = rule?.fault;
      if (fault === "503" || fault === "429") {
        res.writeHead(Number(fault), { "content-type": "application/json" });
        res.end(JSON.stringify({ error_code: fault === "503" ? "TEMPORARILY_UNAVAILABLE" : "REQUEST_LIMIT_EXCEEDED", message: "injected" }));
        return countHit(path);
      }
      if (fault === "hang") return countHit(path); // never answered: the client's timeout must fire
      if (fault === "drop-before") {
        req.socket.destroy();
        return countHit(path);
      }
      forward(
        req,
        Buffer.concat(chunks),
        (upRes, data) => {
          if (fault === "drop-after") req.socket.destroy();
          else {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(data);
          }
          countHit(path);
        },
        () => {
          req.socket.destroy();
          countHit(path);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    requests,
    failNext(pathSuffix, fault, times = 1) {
      rules.push({ suffix: pathSuffix, fault, left: times });
    },
    clearFaults() {
      rules.length = 0;
    },
    waitForHits(pathSuffix, count) {
      return new Promise<void>((resolve) => {
        waiters.push({ suffix: pathSuffix, count, resolve });
        settle(); // the hits may already be there
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
