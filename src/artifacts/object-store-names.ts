/**
 * What the object stores (S3, Azure Blob) share about names: a flat namespace
 * where "folders" are key prefixes, and the network failures their clients
 * report by code.
 * @module
 */

/**
 * A listed key (or common prefix) as MLflow's FileInfo path, relative to the
 * repository root `rootPrefix` (a key prefix without its trailing slash, "" for
 * a bucket- or container-wide repository); undefined for names outside
 * `listPrefix`, empty names (folder markers) and names further down.
 */
export function listedChildPath(rootPrefix: string, listed: string | undefined, listPrefix: string, isDir: boolean): string | undefined {
  if (listed === undefined || !listed.startsWith(listPrefix)) return undefined;
  let name = listed.slice(listPrefix.length);
  if (isDir) name = name.replace(/\/$/, "");
  if (name === "" || name.includes("/")) return undefined;
  const root = rootPrefix ? `${rootPrefix}/` : "";
  return listPrefix.slice(root.length) + name;
}

/** Socket and DNS failures (Node's codes) that mean the store could not be reached, not that it refused. */
export const NETWORK_ERROR_CODES: readonly string[] = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
];
