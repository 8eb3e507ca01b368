/**
 * The blobs under one Azure artifact root: parsing MLflow's two URI forms and
 * mapping artifact paths to blob names and back.
 *
 *   wasbs://<container>@<account>.blob.core.windows.net/<path>    (Blob Storage)
 *   abfss://<filesystem>@<account>.dfs.core.windows.net/<path>    (ADLS Gen2)
 *
 * An ADLS Gen2 filesystem is a blob container of the same account, and the
 * Blob endpoint serves the same data (multi-protocol access), so both forms
 * are served through `@azure/storage-blob`.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import { listedChildPath } from "./object-store-names.js";

/** Azure's limit on a blob name's length (characters, after the root prefix). */
const MAX_BLOB_NAME = 1024;

// MLflow compat: the hosts MLflow's parse_wasbs_uri / _parse_abfss_uri accept
// (public Azure and Azure China for wasbs; public Azure for abfss).
const WASBS = /^wasbs:\/\/([^@/?#]+)@([^./?#]+)\.blob\.(core\.windows\.net|core\.chinacloudapi\.cn)(?:\/([^?#]*))?$/i;
const ABFSS = /^abfss:\/\/([^@/?#]+)@([^./?#]+)\.dfs\.(core\.windows\.net)(?:\/([^?#]*))?$/i;

export type AzureScheme = "wasbs" | "abfss";

export class AzureBlobLocation {
  private constructor(
    readonly scheme: AzureScheme,
    readonly container: string,
    readonly account: string,
    /** `core.windows.net` or `core.chinacloudapi.cn`. */
    readonly dnsSuffix: string,
    /** The root's blob-name prefix without leading or trailing "/" ("" = container root). */
    readonly prefix: string,
  ) {}

  static parse(uri: string): AzureBlobLocation {
    const m = WASBS.exec(uri) ?? ABFSS.exec(uri);
    const scheme = uri.slice(0, 5).toLowerCase() as AzureScheme;
    const form =
      scheme === "abfss"
        ? "abfss://<filesystem>@<account>.dfs.core.windows.net/<path>"
        : "wasbs://<container>@<account>.blob.core.windows.net/<path> (or .blob.core.chinacloudapi.cn)";
    if (!m) throw new InvalidParameterValueError(`Invalid Azure artifact URI '${uri}': expected ${form}`);
    const [, container, account, suffix, rawPath] = m;
    // Azure's naming rules: accounts are 3–24 lowercase letters and digits; containers
    // 3–63 of lowercase letters, digits and single hyphens, starting and ending alphanumeric.
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      throw new InvalidParameterValueError(`Invalid Azure artifact URI '${uri}': '${account}' is not a storage account name`);
    }
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container)) {
      throw new InvalidParameterValueError(`Invalid Azure artifact URI '${uri}': '${container}' is not a container name`);
    }
    const prefix = (rawPath ?? "").replace(/^\/+|\/+$/g, "");
    if (prefix !== "") checkSegments(prefix, `Invalid Azure artifact URI '${uri}'`);
    return new AzureBlobLocation(scheme, container, account, suffix.toLowerCase(), prefix);
  }

  get rootUri(): string {
    const host = this.scheme === "abfss" ? `dfs.${this.dnsSuffix}` : `blob.${this.dnsSuffix}`;
    return `${this.scheme}://${this.container}@${this.account}.${host}${this.prefix ? `/${this.prefix}` : ""}`;
  }

  /** The account's Blob endpoint (abfss roots too: the Blob API serves ADLS Gen2 data). */
  get blobEndpoint(): string {
    return `https://${this.account}.blob.${this.dnsSuffix}`;
  }

  /**
   * The blob name of an artifact path; undefined for the root (""). Paths were
   * checked by safe-path.ts already; this refuses again what Azure would
   * rewrite into another name: Azure turns `\` into `/` and drops trailing
   * dots of path segments, so `a.\..` or `x./y` could name a blob elsewhere.
   */
  blobName(path: string): string | undefined {
    if (path === "") return undefined;
    checkSegments(path, `Invalid artifact path '${path}'`);
    const name = this.prefix ? `${this.prefix}/${path}` : path;
    if (name.length > MAX_BLOB_NAME) {
      throw new InvalidParameterValueError(`Artifact path '${path}' is too long for Azure Blob Storage (${MAX_BLOB_NAME} characters with the root)`);
    }
    return name;
  }

  /** The prefix every blob strictly under `path` starts with ("" for the root of a container-wide repository). */
  folderPrefix(path: string): string {
    const name = this.blobName(path) ?? this.prefix;
    return name ? `${name}/` : "";
  }

  /**
   * A listed blob name or prefix as MLflow's FileInfo path (relative to the
   * repository root); undefined for names outside `listPrefix` and empty names.
   */
  childPath(listed: string | undefined, listPrefix: string, isDir: boolean): string | undefined {
    return listedChildPath(this.prefix, listed, listPrefix, isDir);
  }
}

function checkSegments(path: string, message: string): void {
  if (path.startsWith("/") || /[\u0000-\u001f\u007f\\]/.test(path)) throw new InvalidParameterValueError(message);
  for (const s of path.split("/")) {
    if (s === "" || s === "." || s === ".." || s.endsWith(".")) {
      throw new InvalidParameterValueError(`${message}: empty, '.' or '..' segment, or a segment ending in '.' (Azure drops trailing dots)`);
    }
  }
}
