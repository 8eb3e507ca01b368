/**
 * SSRF-safe outbound HTTP for webhooks, registries and other URLs a user
 * supplies (MLflow's webhooks reached the cloud metadata service and internal
 * hosts: CVE-2026-2393; its gateway proxy too: CVE-2025-52967). A URL is
 * allowed when its scheme is http(s), it carries no credentials, its host is on
 * the allow-list (when one is set) and every address it resolves to is
 * public — loopback, private, link-local (169.254.169.254), CGNAT, multicast
 * and their IPv6 forms are refused unless the policy allows private networks.
 * The connection goes to the address that was checked (no second DNS answer
 * can rebind it), and each redirect is checked again.
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
for (const [net, bits] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96]] as const) blocked.addSubnet(net, bits, "ipv6");

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
  if (!policy.allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new InvalidParameterValueError(`Host '${host}' resolves to a private or local address (${bad.address}); outbound calls go to public addresses only.`);
  }
  return { url, address: addresses[0]!.address, family: addresses[0]!.family };
}

// undici loads on the first outbound call (webhooks, OIDC discovery, …), not with the server.
let undici: Promise<typeof import("undici")> | undefined;

/** `fetch` under the policy: the checked address is the one connected to, and every redirect is checked again. */
export async function safeFetch(raw: string, init: RequestInit = {}, policy: OutboundPolicy = {}, resolve: Resolve = defaultResolve): Promise<Response> {
  let target = raw;
  for (let hop = 0; ; hop++) {
    const { url, address, family } = await checkOutboundUrl(target, policy, resolve);
    const { Agent, fetch: undiciFetch } = await (undici ??= import("undici"));
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
