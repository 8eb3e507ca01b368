/**
 * Azure Blob clients built from the environment variables MLflow users set:
 * AZURE_STORAGE_CONNECTION_STRING first (any endpoint: Azure, sovereign
 * clouds, private endpoints, Azurite; account key or SAS), else
 * AZURE_STORAGE_ACCESS_KEY with the account named in the URI. MLflow's third
 * way, DefaultAzureCredential (Microsoft Entra ID: service principal, managed
 * or workload identity, Azure CLI), needs token requests to Entra ID and is
 * not offered yet: with neither variable set, opening a root says so.
 * Only `azure-blob-artifact-repository.ts` and test fixtures import this
 * module, and they are loaded on demand, so the Azure SDK loads only for
 * `wasbs:`/`abfss:` URIs.
 * @module
 */
import { BlobServiceClient, StorageSharedKeyCredential, type StoragePipelineOptions } from "@azure/storage-blob";
import { InvalidParameterValueError } from "../shared/errors.js";
import type { AzureBlobLocation } from "./azure-blob-location.js";

type Env = Record<string, string | undefined>;

export interface AzureBlobSettings {
  /** AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /** AZURE_STORAGE_ACCESS_KEY: the account's key, for the account named in the URI. */
  accessKey?: string;
}

// Identity settings of DefaultAzureCredential: named in the error so a user who set them knows why they are ignored.
const IDENTITY_VARS = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"];

export function azureSettingsFromEnv(env: Env = process.env): AzureBlobSettings {
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING?.trim() || undefined;
  const accessKey = env.AZURE_STORAGE_ACCESS_KEY?.trim() || undefined;
  return { connectionString, accessKey };
}

/** `Key=Value;` pairs of a connection string (values may contain '='). */
export function connectionStringFields(cs: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of cs.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return fields;
}

/** Retries stay short: a request waits on them, and an unreachable endpoint should say so within seconds. */
const PIPELINE: StoragePipelineOptions = {
  retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
  userAgentOptions: { userAgentPrefix: "ciclo" },
};

/**
 * The service client for `location`. Refuses a connection string that names
 * another account than the URI (MLflow ignores the URI's account then; a
 * mismatch is almost always a misconfiguration that would write elsewhere).
 */
export function createAzureBlobServiceClient(location: AzureBlobLocation, settings: AzureBlobSettings, env: Env = process.env): BlobServiceClient {
  if (settings.connectionString) {
    const fields = connectionStringFields(settings.connectionString);
    const account = fields.get("accountname");
    if (account !== undefined && account !== location.account) {
      throw new InvalidParameterValueError(
        `Artifact root '${location.rootUri}' names storage account '${location.account}', ` +
          `but AZURE_STORAGE_CONNECTION_STRING is for account '${account}'`,
      );
    }
    try {
      return BlobServiceClient.fromConnectionString(settings.connectionString, PIPELINE);
    } catch (err) {
      throw new InvalidParameterValueError(`AZURE_STORAGE_CONNECTION_STRING is not usable: ${(err as Error).message}`);
    }
  }
  if (settings.accessKey) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(settings.accessKey)) {
      throw new InvalidParameterValueError("AZURE_STORAGE_ACCESS_KEY must be a storage account key (base64)");
    }
    return new BlobServiceClient(location.blobEndpoint, new StorageSharedKeyCredential(location.account, settings.accessKey), PIPELINE);
  }
  const identity = IDENTITY_VARS.filter((v) => env[v]);
  throw new InvalidParameterValueError(
    `No credentials for Azure artifact root '${location.rootUri}': set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY` +
      (identity.length > 0
        ? ` (${identity.join(", ")} ${identity.length === 1 ? "is" : "are"} set, but ciclo does not sign in with Microsoft Entra ID yet)`
        : ""),
  );
}

/** Clients shared by repositories with the same settings and account (each holds a keep-alive socket pool). */
const sharedClients = new Map<string, BlobServiceClient>();
const MAX_SHARED_CLIENTS = 16;

export function sharedAzureBlobServiceClient(location: AzureBlobLocation, settings: AzureBlobSettings, env: Env = process.env): BlobServiceClient {
  const key = JSON.stringify([settings, location.account, location.dnsSuffix]);
  let client = sharedClients.get(key);
  if (client) return client;
  client = createAzureBlobServiceClient(location, settings, env);
  if (sharedClients.size >= MAX_SHARED_CLIENTS) sharedClients.delete(sharedClients.keys().next().value!);
  sharedClients.set(key, client);
  return client;
}

/** The shared key a client signs with, when it has one (SAS part URLs need it). */
export function sharedKeyOf(client: BlobServiceClient): StorageSharedKeyCredential | undefined {
  return client.credential instanceof StorageSharedKeyCredential ? client.credential : undefined;
}
