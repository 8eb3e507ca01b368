/** Turns a run's git remote and commit into a web link, for hosts whose commit URLs are known. */

/**
 * `git@github.com:org/repo.git`, `https://gitlab.com/org/repo.git`,
 * `ssh://git@host/org/repo` → `https://host/org/repo/commit/<sha>` (GitLab
 * `/-/commit/`, Bitbucket `/commits/`). Undefined when the remote is not a
 * web host or the commit is not a hex id — never a non-http link.
 */
export function commitUrl(remote: string | undefined, commit: string | undefined): string | undefined {
  if (!remote || !commit || !/^[0-9a-f]{7,64}$/i.test(commit)) return undefined;
  let url = remote.trim();
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(url);
  if (scp) url = `https://${scp[1]}/${scp[2]}`;
  url = url.replace(/^ssh:\/\/(?:[\w.-]+@)?([\w.-]+)(?::\d+)?\//, "https://$1/").replace(/^git:\/\//, "https://");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  parsed.username = "";
  parsed.password = "";
  const base = `${parsed.origin}${parsed.pathname.replace(/\.git$/, "").replace(/\/+$/, "")}`;
  if (/gitlab/i.test(parsed.hostname)) return `${base}/-/commit/${commit}`;
  if (/bitbucket/i.test(parsed.hostname)) return `${base}/commits/${commit}`;
  return `${base}/commit/${commit}`;
}
