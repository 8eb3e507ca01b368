/**
 * Which Host headers a server answers (DNS rebinding: a web page re-pointing
 * its own name at this machine sends that name). Patterns are MLflow's
 * `--allowed-hosts` globs; the default is MLflow 3.5+'s: loopback names and
 * private networks, any port. Pure code: `ciclo server`'s network policy,
 * `ciclo gateway` and the scoring server (`ciclo models serve`) share it.
 * @module
 */

/** MLflow 3.x's default allowed hosts: loopback names and private networks, any port. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = [
  "localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*", "[::1]", "[::1]:*",
  "10.*", "192.168.*", ...Array.from({ length: 16 }, (_, i) => `172.${16 + i}.*`),
];
/** MLflow compat: the refusal of a Host header, word for word (`ciclo gateway` answers it too). */
export const INVALID_HOST = "Invalid Host header - possible DNS rebinding attack detected";

/** Python's `fnmatch` for `*` and `?` (case-insensitive, as host names are). */
function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\[/g, "\\[").replace(/\]/g, "\\]").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

/** Whether a value matches one of `patterns` (`*` matches anything). */
export function matcher(patterns: readonly string[]): (value: string) => boolean {
  if (patterns.includes("*")) return () => true;
  const res = patterns.map(globToRegExp);
  return (value) => res.some((re) => re.test(value));
}

function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}

/** Host headers already found allowed, remembered so that a client's every request costs one lookup. */
const MAX_REMEMBERED_HOSTS = 64;

/**
 * Whether a Host header is allowed (the header as sent, or its name without the port). Allowed values are
 * remembered, at most {@link MAX_REMEMBERED_HOSTS}: clients send the same Host on every request, and a refused
 * or forgotten one is simply matched again, so the memo never changes an answer and cannot grow without bound.
 */
export function hostChecker(patterns: readonly string[] = DEFAULT_ALLOWED_HOSTS): (host: string) => boolean {
  const allowed = matcher(patterns);
  const remembered = new Set<string>();
  return (host) => {
    if (remembered.has(host)) return true;
    if (!allowed(host) && !allowed(hostname(host))) return false;
    if (remembered.size < MAX_REMEMBERED_HOSTS) remembered.add(host);
    return true;
  };
}

/** 127.0.0.0/8, ::1 and localhost: an address that only this machine reaches. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}
