/**
 * Test fixture: a fresh bucket on the real S3 test server (Ceph radosgw,
 * started by `scripts/s3-test-server.sh start`) per suite, emptied and
 * deleted afterwards. The server is taken from CICLO_TEST_S3_ENDPOINT and the
 * AWS_* keys the script exports, else 127.0.0.1:7480 with the script's fixed
 * keys. When no server answers the suite is skipped with the reason printed —
 * unless CICLO_REQUIRE_ALL=1 (CI), where that is a failure.
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListBucketsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createS3Client, s3SettingsFromEnv } from "../artifacts/s3-client-factory.js";
import { S3KeySpace } from "../artifacts/s3-key-space.js";

/** The fixed test-only keys of scripts/s3-test-server.sh. */
const SCRIPT_ACCESS_KEY = "ciclo-test-access-key";
const SCRIPT_SECRET_KEY = "ciclo-test-secret-key-not-for-production";

/** The environment an S3ArtifactRepository needs to reach the test server (never process.env itself). */
function s3TestEnv(): Record<string, string> {
  const fromScript = process.env.CICLO_TEST_S3_ENDPOINT;
  return {
    MLFLOW_S3_ENDPOINT_URL: fromScript ?? "http://127.0.0.1:7480",
    // Without the script's env, a developer's own AWS keys must not be sent to the test server.
    AWS_ACCESS_KEY_ID: (fromScript && process.env.AWS_ACCESS_KEY_ID) || SCRIPT_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: (fromScript && process.env.AWS_SECRET_ACCESS_KEY) || SCRIPT_SECRET_KEY,
    AWS_DEFAULT_REGION: "us-east-1",
  };
}

export interface S3TestBucket {
  bucket: string;
  env: Record<string, string>;
  /** A client for checks behind the repository's back. */
  client: S3Client;
  /** Empties and deletes the bucket (pending multipart uploads included). */
  drop(): Promise<void>;
}

/** Why S3 tests cannot run, or undefined when they can. */
export async function s3Unavailable(): Promise<string | undefined> {
  const env = s3TestEnv();
  const client = createS3Client(s3SettingsFromEnv(env));
  try {
    await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(5000) });
    return undefined;
  } catch (err) {
    const e = err as Error & { code?: string };
    const reason =
      `S3 test server not usable at ${env.MLFLOW_S3_ENDPOINT_URL}: ${e.name}${e.code ? ` ${e.code}` : ""} ${e.message}`.trim() +
      " (start it with: eval \"$(bash scripts/s3-test-server.sh start)\")";
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${reason} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    console.log(`# SKIP s3 tests: ${reason}`);
    return reason;
  } finally {
    client.destroy();
  }
}

export async function createTestBucket(): Promise<S3TestBucket> {
  const env = s3TestEnv();
  const client = createS3Client(s3SettingsFromEnv(env));
  const bucket = `ciclo-test-${randomBytes(6).toString("hex")}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    env,
    client,
    async drop() {
      const keys = S3KeySpace.parse(`s3://${bucket}`);
      await keys.abortUploadsUnder(client, undefined);
      await keys.deleteUnder(client, "");
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
}
