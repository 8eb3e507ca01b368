/** S3 settings come from the environment variables MLflow users already set. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MlflowError } from "../shared/errors.js";
import { createS3Client, destroySharedS3Clients, s3SettingsFromEnv, sharedS3Client } from "./s3-client-factory.js";

test("defaults: AWS (no endpoint), us-east-1, the SDK's own credential chain", () => {
  const s = s3SettingsFromEnv({});
  assert.deepEqual(s, { region: "us-east-1", endpoint: undefined, credentials: undefined, ignoreTls: false, uploadExtraArgs: {} });
});

test("AWS_DEFAULT_REGION (boto3's name) wins over AWS_REGION (the JS SDK's)", () => {
  assert.equal(s3SettingsFromEnv({ AWS_REGION: "eu-west-1" }).region, "eu-west-1");
  assert.equal(s3SettingsFromEnv({ AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "ap-south-1" }).region, "ap-south-1");
});

test("explicit keys, with the session token when set", () => {
  assert.deepEqual(s3SettingsFromEnv({ AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK" }).credentials, {
    accessKeyId: "AK",
    secretAccessKey: "SK",
  });
  assert.deepEqual(
    s3SettingsFromEnv({ AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK", AWS_SESSION_TOKEN: "T" }).credentials,
    { accessKeyId: "AK", secretAccessKey: "SK", sessionToken: "T" },
  );
  // A key id without its secret is not a credential: leave it to the SDK's chain.
  assert.equal(s3SettingsFromEnv({ AWS_ACCESS_KEY_ID: "AK" }).credentials, undefined);
});

test("MLFLOW_S3_ENDPOINT_URL selects path-style requests to that server", async () => {
  const s = s3SettingsFromEnv({ MLFLOW_S3_ENDPOINT_URL: "http://127.0.0.1:7480" });
  assert.equal(s.endpoint, "http://127.0.0.1:7480");
  const client = createS3Client(s);
  try {
    assert.equal(await client.config.forcePathStyle, true);
    const ep = await client.config.endpoint?.();
    assert.equal(`${ep?.protocol}//${ep?.hostname}:${ep?.port}`, "http://127.0.0.1:7480");
  } finally {
    client.destroy();
  }
  assert.throws(() => s3SettingsFromEnv({ MLFLOW_S3_ENDPOINT_URL: "127.0.0.1:7480" }), MlflowError);
});

test("MLFLOW_S3_IGNORE_TLS takes MLflow's boolean spellings and refuses others", () => {
  for (const v of ["true", "TRUE", "1"]) assert.equal(s3SettingsFromEnv({ MLFLOW_S3_IGNORE_TLS: v }).ignoreTls, true, v);
  for (const v of ["false", "0", ""]) assert.equal(s3SettingsFromEnv({ MLFLOW_S3_IGNORE_TLS: v }).ignoreTls, false, v);
  assert.throws(() => s3SettingsFromEnv({ MLFLOW_S3_IGNORE_TLS: "yes" }), /MLFLOW_S3_IGNORE_TLS/);
});

test("MLFLOW_S3_UPLOAD_EXTRA_ARGS is a JSON object of upload fields", () => {
  assert.deepEqual(
    s3SettingsFromEnv({ MLFLOW_S3_UPLOAD_EXTRA_ARGS: '{"ServerSideEncryption":"aws:kms","SSEKMSKeyId":"k1"}' }).uploadExtraArgs,
    { ServerSideEncryption: "aws:kms", SSEKMSKeyId: "k1" },
  );
  for (const bad of ["not json", "[1]", "null", '"s"']) {
    assert.throws(() => s3SettingsFromEnv({ MLFLOW_S3_UPLOAD_EXTRA_ARGS: bad }), /MLFLOW_S3_UPLOAD_EXTRA_ARGS/, bad);
  }
});

test("repositories with the same settings share one client (one socket pool), others get their own", () => {
  const env = { MLFLOW_S3_ENDPOINT_URL: "http://127.0.0.1:7480", AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK" };
  const a = sharedS3Client(s3SettingsFromEnv(env));
  assert.equal(sharedS3Client(s3SettingsFromEnv({ ...env })), a);
  assert.notEqual(sharedS3Client(s3SettingsFromEnv({ ...env, AWS_SECRET_ACCESS_KEY: "other" })), a);
  destroySharedS3Clients();
  assert.notEqual(sharedS3Client(s3SettingsFromEnv(env)), a, "a destroyed client is never handed out again");
  destroySharedS3Clients();
});
