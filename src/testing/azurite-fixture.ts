/**
 * Test fixture: a fresh container on the Azurite test server (started by
 * `scripts/azurite-test-server.sh start`) per suite, deleted afterwards. The
 * connection string comes from CICLO_TEST_AZURE_CONNECTION_STRING (the
 * script exports it), else 127.0.0.1:10000 with the script's fixed account
 * and key. When no server answers the suite is skipped with the reason
 * printed — unless CICLO_REQUIRE_ALL=1 (CI), where that is a failure.
 * @module
 */
import { randomBytes } from "node:crypto";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { connectionStringFields } from "../artifacts/azure-blob-client-factory.js";

/** The fixed test-only account and key of scripts/azurite-test-server.sh. */
export const AZURITE_ACCOUNT = "cicloteststore";
const SCRIPT_KEY = "Y2ljbG8tYXp1cml0ZS10ZXN0LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tdXNlISE=";

export function azuriteConnectionString(): string {
  return (
    process.env.CICLO_TEST_AZURE_CONNECTION_STRING ??
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${SCRIPT_KEY};BlobEndpoint=http://127.0.0.1:10000/${AZURITE_ACCOUNT};`
  );
}

/** The environment an AzureBlobArtifactRepository needs to reach Azurite (never process.env itself). */
export function azureTestEnv(): Record<string, string> {
  return { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString() };
}

export interface AzureTestContainer {
  container: string;
  account: string;
  /** `wasbs://<container>@<account>.blob.core.windows.net` (append a path). */
  wasbsRoot: string;
  env: Record<string, string>;
  /** A client for checks behind the repository's back. */
  client: ContainerClient;
  drop(): Promise<void>;
}

/** Why Azure tests cannot run, or undefined when they can. */
export async function azuriteUnavailable(): Promise<string | undefined> {
  const cs = azuriteConnectionString();
  const endpoint = connectionStringFields(cs).get("blobendpoint") ?? "(connection string)";
  try {
    const service = BlobServiceClient.fromConnectionString(cs, { retryOptions: { maxTries: 1 } });
    await service.getProperties({ abortSignal: AbortSignal.timeout(5000) });
    return undefined;
  } catch (err) {
    const e = err as Error & { code?: string };
    const reason =
      `Azurite not usable at ${endpoint}: ${e.name}${e.code ? ` ${e.code}` : ""} ${e.message.split("\n")[0]}`.trim() +
      ' (start it with: eval "$(bash scripts/azurite-test-server.sh start)")';
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${reason} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    console.log(`# SKIP azure tests: ${reason}`);
    return reason;
  }
}

export async function createTestContainer(): Promise<AzureTestContainer> {
  const cs = azuriteConnectionString();
  const account = connectionStringFields(cs).get("accountname") ?? AZURITE_ACCOUNT;
  const container = `ciclo-test-${randomBytes(6).toString("hex")}`;
  const client = BlobServiceClient.fromConnectionString(cs).getContainerClient(container);
  await client.create();
  return {
    container,
    account,
    wasbsRoot: `wasbs://${container}@${account}.blob.core.windows.net`,
    env: azureTestEnv(),
    client,
    async drop() {
      await client.deleteIfExists();
    },
  };
}
