/**
 * SSRF-safe outbound HTTP for webhooks, registries and other URLs a user
 * supplies (MLflow's webhooks reached the cloud metadata service and internal
 * hosts: CVE-2026-2393; its gateway proxy too: CVE-2025-52967). A URL is
 * allowed when its scheme is http(s), it carries no credentials, its host is on
 * the allow-list (when one is set) and every address it resolves to is
 * public — loopback, private, link-local (169.254.169.254), CGNAT, multicast
 * and their IPv6 forms are refused unless the policy allows private networks.
 * The connection goes to the address that was checked (no second DNS answer
 * can rebind it), and each redirect is checked again. An admin opens private
 * addresses to named targets only (`privateHosts`), or to all (`allowPrivate`).
 * @module
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import type { RequestInit, Response } from "undici";
import { InvalidParameterValueError } from "../shared/errors.js";

export interface OutboundPolicy {
  /** Hosts that may be called (`registry.example.com`, `*.example.com`); empty or absent: any public host. */
  allowHosts?: readonly string[];
  /** Allow private, loopback and link-local addresses (a registry on the LAN, tests). Default false. */
  allowPrivate?: boolean;
  /**
   * Targets that may resolve to private or loopback addresses though others may not: `host` (any port) or
   * `host:port` (`registry.lan`, `127.0.0.1:5000`) — a receiver or registry an admin named on purpose.
   */
  privateHosts?: readonly string[];
  /** Redirects followed, each checked again. Default 3. */
  maxRedirects?: number;
}

type Resolve = (host: string) => Promise<Array<{ address: string; family: number }>>;
const defaultResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

const blocked = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) blocked.addSubnet(net, bits, "ipv4");
// IPv6: unspecified and IPv4-compatible (::/96, loopback ::1 inside it), SIIT-translated IPv4 (::ffff:0:0/96),
// NAT64 (64:ff9b::/96), discard-only (100::/64), Teredo (2001::/32) and 6to4 (2002::/16), which embed an IPv4
// address a relay may carry to the private network, documentation (2001:db8::/32), retired site-local
// (fec0::/10), unique-local, link-local, multicast.
for (const [net, bits] of [
  ["::", 96], ["::ffff:0:0:0", 96], ["64:ff9b::", 96], ["100::", 64], ["2001::", 32], ["2001:db8::", 32], ["2002::", 16],
  ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8],
] as const) blocked.addSubnet(net, bits, "ipv6");

/** True for addresses that are not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, "ipv4");
  return blocked.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

function hostAllowed(host: string, allow: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allow.some((a) => {
    const p = a.toLowerCase();
    return p.startsWith("*.") ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
  });
}

function privateAllowed(url: URL, host: string, list: readonly string[]): boolean {
  const h = host.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return list.some((entry) => {
    const e = entry.toLowerCase();
    return e === h || e === `${h}:${port}` || e === `[${h}]:${port}`;
  });
}

/** Checks `raw` against the policy; resolves with the URL and the address to connect to. */
export async function checkOutboundUrl(raw: string, policy: OutboundPolicy = {}, resolve: Resolve = defaultResolve): Promise<{ url: URL; address: string; family: number }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidParameterValueError(`Invalid URL '${raw.slice(0, 200)}'.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidParameterValueError(`Outbound URL must be http or https, got '${url.protocol}'.`);
  if (url.username || url.password) throw new InvalidParameterValueError("Outbound URL must not carry credentials; reference a secret instead.");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (policy.allowHosts?.length && !hostAllowed(host, policy.allowHosts)) {
    throw new InvalidParameterValueError(`Host '${host}' is not on the outbound allow-list (${policy.allowHosts.join(", ")}).`);
  }
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host);
  if (addresses.length === 0) throw new InvalidParameterValueError(`Host '${host}' does not resolve.`);
  if (!policy.allowPrivate && !privateAllowed(url, host, policy.privateHosts ?? [])) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new InvalidParameterValueError(`Host '${host}' resolves to a private or local address (${bad.address}); outbound calls go to public addresses only.`);
  }
  return { url, address: addresses[0]!.address, family: addresses[0]!.family };
}

/**
 * The undici package, loaded on first use and after Node's own fetch: importing it installs its Agent as the
 * process's global dispatcher unless one is there, and Node 20's built-in fetch (an older undici) then fails
 * some requests through it (streamed uploads: "fetch failed"). Touching `globalThis.fetch` first makes Node
 * install its own; safeFetch passes its dispatcher explicitly, so it never uses the global one.
 */
let undiciLoaded: Promise<typeof import("undici")> | undefined;
function loadUndici(): Promise<typeof import("undici")> {
  return (undiciLoaded ??= (async () => {
    void globalThis.fetch;
    return import("undici");
  })());
}

/** `fetch` under the policy: the checked address is the one connected to, and every redirect is checked again. */
export async function safeFetch(raw: string, init: RequestInit = {}, policy: OutboundPolicy = {}, resolve: Resolve = defaultResolve): Promise<Response> {
  const { Agent, fetch: undiciFetch } = await loadUndici();
  let target = raw;
  for (let hop = 0; ; hop++) {
    const { url, address, family } = await checkOutboundUrl(target, policy, resolve);
    const dispatcher = new Agent({
      // Node asks for every address when it may race IPv4 and IPv6 (autoSelectFamily), else for one.
      connect: {
        lookup: ((_host: string, opts: { all?: boolean }, cb: (err: null, a: unknown, f?: number) => void) =>
          opts.all ? cb(null, [{ address, family }]) : cb(null, address, family)) as never,
      },
    });
    try {
      const res = await undiciFetch(url, { ...init, redirect: "manual", dispatcher });
      const location = res.headers.get("location");
      // `redirect: "manual"`: the caller follows (and calls safeFetch again, which checks the next URL);
      // `"error"`: a redirect is a failure, as with fetch.
      if (init.redirect === "manual") return res;
      if (res.status >= 300 && res.status < 400 && location && init.redirect === "error") {
        await res.body?.cancel();
        throw new InvalidParameterValueError(`'${raw.slice(0, 200)}' answered a redirect (${res.status}), which this call does not follow.`);
      }
      if (res.status >= 300 && res.status < 400 && location) {
        if (hop >= (policy.maxRedirects ?? 3)) throw new InvalidParameterValueError(`Too many redirects from '${raw.slice(0, 200)}'.`);
        await res.body?.cancel();
        target = new URL(location, url).href;
        continue;
      }
      return res;
    } finally {
      void dispatcher.close();
    }
  }
}
