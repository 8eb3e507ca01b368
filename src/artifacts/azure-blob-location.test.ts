/** Azure artifact URIs (MLflow's wasbs/abfss grammar), blob names, and the credentials read from the environment: no server needed. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MlflowError } from "../shared/errors.js";
import { azureSettingsFromEnv, connectionStringFields, createAzureBlobServiceClient, sharedKeyOf } from "./azure-blob-client-factory.js";
import { AzureBlobLocation } from "./azure-blob-location.js";
import { openArtifactRepository } from "./artifact-repositories.js";

const invalid = (e: unknown) => e instanceof MlflowError && e.errorCode === "INVALID_PARAMETER_VALUE";

describe("AzureBlobLocation", () => {
  test("parses MLflow's wasbs:// and abfss:// forms", () => {
    const w = AzureBlobLocation.parse("wasbs://models@acme.blob.core.windows.net/mlflow/artifacts/");
    assert.deepEqual([w.scheme, w.container, w.account, w.prefix], ["wasbs", "models", "acme", "mlflow/artifacts"]);
    assert.equal(w.rootUri, "wasbs://models@acme.blob.core.windows.net/mlflow/artifacts");
    assert.equal(w.blobEndpoint, "https://acme.blob.core.windows.net");
    const cn = AzureBlobLocation.parse("wasbs://models@acme.blob.core.chinacloudapi.cn");
    assert.equal(cn.blobEndpoint, "https://acme.blob.core.chinacloudapi.cn");
    assert.equal(cn.prefix, "");
    const a = AzureBlobLocation.parse("abfss://lake@acme.dfs.core.windows.net/exp");
    assert.deepEqual([a.scheme, a.container, a.prefix], ["abfss", "lake", "exp"]);
    // ADLS Gen2 data is served through the account's Blob endpoint.
    assert.equal(a.blobEndpoint, "https://acme.blob.core.windows.net");
    assert.equal(a.rootUri, "abfss://lake@acme.dfs.core.windows.net/exp");
  });

  test("refuses other hosts, bad account or container names, and hostile prefixes", () => {
    for (const uri of [
      "wasbs://models@acme.blob.evil.example/x",
      "wasbs://models@acme.dfs.core.windows.net/x",
      "abfss://lake@acme.blob.core.windows.net/x",
      "wasbs://acme.blob.core.windows.net/x",
      "wasbs://models@ACME.blob.core.windows.net/x",
      "wasbs://models@ac.blob.core.windows.net/x",
      "wasbs://Models@acme.blob.core.windows.net/x",
      "wasbs://a--b@acme.blob.core.windows.net/x",
      "wasbs://models@acme.blob.core.windows.net/a/../b",
      "wasbs://models@acme.blob.core.windows.net/a//b",
      "wasbs://models@acme.blob.core.windows.net/a./b",
      "wasbs://models@acme.blob.core.windows.net/a\\b",
      "wasbs://models@acme.blob.core.windows.net/x?sig=1",
      "wasbs://user:pw@models@acme.blob.core.windows.net/x",
    ]) {
      assert.throws(() => AzureBlobLocation.parse(uri), invalid, uri);
    }
  });

  test("maps artifact paths to blob names under the prefix, and listed names back", () => {
    const l = AzureBlobLocation.parse("wasbs://models@acme.blob.core.windows.net/root");
    assert.equal(l.blobName(""), undefined);
    assert.equal(l.blobName("a/b.txt"), "root/a/b.txt");
    assert.equal(l.folderPrefix(""), "root/");
    assert.equal(l.folderPrefix("a"), "root/a/");
    assert.equal(l.childPath("root/a/b.txt", "root/a/", false), "a/b.txt");
    assert.equal(l.childPath("root/a/sub/", "root/a/", true), "a/sub");
    assert.equal(l.childPath("rootling/x", "root/", false), undefined);
    assert.throws(() => l.blobName("x".repeat(1020)), invalid, "past Azure's 1,024-character names");
    const whole = AzureBlobLocation.parse("wasbs://models@acme.blob.core.windows.net");
    assert.equal(whole.folderPrefix(""), "");
    assert.equal(whole.blobName("a"), "a");
  });
});

describe("Azure credentials from the environment", () => {
  const loc = AzureBlobLocation.parse("wasbs://models@acme.blob.core.windows.net/root");
  const key = Buffer.from("k".repeat(32)).toString("base64");

  test("AZURE_STORAGE_CONNECTION_STRING comes first and its endpoint is used", () => {
    const env = {
      AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=acme;AccountKey=${key};BlobEndpoint=http://127.0.0.1:10000/acme;`,
      AZURE_STORAGE_ACCESS_KEY: "ignored",
    };
    const client = createAzureBlobServiceClient(loc, azureSettingsFromEnv(env), env);
    assert.equal(client.url, "http://127.0.0.1:10000/acme");
    assert.ok(sharedKeyOf(client), "an account-key connection string can sign part URLs");
    assert.equal(connectionStringFields(env.AZURE_STORAGE_CONNECTION_STRING).get("accountkey"), key, "values keep their '='");
  });

  test("AZURE_STORAGE_ACCESS_KEY signs for the account named in the URI", () => {
    const env = { AZURE_STORAGE_ACCESS_KEY: key };
    const client = createAzureBlobServiceClient(loc, azureSettingsFromEnv(env), env);
    assert.equal(client.url.replace(/\/$/, ""), "https://acme.blob.core.windows.net");
    assert.equal(client.accountName, "acme");
    assert.ok(sharedKeyOf(client));
  });

  test("a SAS connection string works but cannot sign part URLs", () => {
    const env = { AZURE_STORAGE_CONNECTION_STRING: "BlobEndpoint=https://acme.blob.core.windows.net;SharedAccessSignature=sv=2024-11-04&sp=rl&sig=abc" };
    const client = createAzureBlobServiceClient(loc, azureSettingsFromEnv(env), env);
    assert.equal(sharedKeyOf(client), undefined);
  });

  test("no credentials, another account, or a malformed key are clear errors", () => {
    assert.throws(() => createAzureBlobServiceClient(loc, {}, {}), (e: unknown) => invalid(e) && /AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY/.test((e as Error).message));
    assert.throws(
      () => createAzureBlobServiceClient(loc, {}, { AZURE_CLIENT_ID: "x", AZURE_TENANT_ID: "y" }),
      (e: unknown) => invalid(e) && /AZURE_CLIENT_ID, AZURE_TENANT_ID are set.*Entra ID/.test((e as Error).message),
    );
    const other = { connectionString: `AccountName=other;AccountKey=${key};EndpointSuffix=core.windows.net` };
    assert.throws(() => createAzureBlobServiceClient(loc, other), (e: unknown) => invalid(e) && /account 'other'/.test((e as Error).message));
    assert.throws(() => createAzureBlobServiceClient(loc, { accessKey: "not base64!" }), invalid);
  });

  test("openArtifactRepository loads the Azure repository on demand for wasbs: and abfss:", async () => {
    // Only the access key: a connection string exported for the Azurite tests (another account) would take precedence.
    const names = ["AZURE_STORAGE_ACCESS_KEY", "AZURE_STORAGE_CONNECTION_STRING"] as const;
    const saved = names.map((n) => process.env[n]);
    process.env.AZURE_STORAGE_ACCESS_KEY = key;
    delete process.env.AZURE_STORAGE_CONNECTION_STRING;
    try {
      const w = await openArtifactRepository("wasbs://models@acme.blob.core.windows.net/x");
      assert.equal(w.constructor.name, "AzureBlobArtifactRepository");
      const a = await openArtifactRepository("abfss://lake@acme.dfs.core.windows.net/x");
      assert.equal(a.rootUri, "abfss://lake@acme.dfs.core.windows.net/x");
      for (const uri of ["wasbs://models@acme.blob.core.windows.net/a/%2e%2e/b", "wasbs://models@acme.blob.core.windows.net/p;x", "abfss://lake@acme.dfs.core.windows.net/#/../x"]) {
        await assert.rejects(openArtifactRepository(uri), invalid, uri);
      }
    } finally {
      names.forEach((n, i) => {
        if (saved[i] === undefined) delete process.env[n];
        else process.env[n] = saved[i];
      });
    }
  });
});
