/**
 * Multipart uploads on Azure Blob Storage, shaped like S3's for the proxied
 * artifacts API: a part is a staged block (Put Block), completion commits the
 * block list (Put Block List), abort discards the staged blocks.
 *
 * Azure has no upload session, so ciclo makes one up: an upload id of 16 hex
 * digits, and each part's block id derived from it and the part number (Azure
 * wants every block id of a blob to have the same length). Completion rebuilds
 * the block ids from the id and part numbers, never from client-sent URLs.
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  type BlockBlobClient,
  type StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { InvalidParameterValueError } from "../shared/errors.js";
import type { MultipartCredential } from "./artifact-repository.js";
import { azureErrorCode, azureStatus } from "./azure-error-mapper.js";

/** Parts per upload: S3's limit, which the server's part route also enforces (Azure allows 50,000 blocks). */
export const MAX_PARTS = 10_000;
// MLflow compat: part URLs (SAS) are valid for one hour, as MLflow's Azure repository makes them.
const SAS_SECONDS = 3600;

export function newUploadId(): string {
  return randomBytes(8).toString("hex");
}

/** The base64 block id of one part of one upload; refuses ids this module did not make. */
export function blockId(uploadId: string, partNumber: number): string {
  if (!/^[0-9a-f]{16}$/.test(uploadId)) throw new InvalidParameterValueError(`Invalid upload_id '${uploadId}'`);
  checkPartNumber(partNumber);
  return Buffer.from(`ciclo-${uploadId}-${String(partNumber).padStart(5, "0")}`).toString("base64");
}

export function checkPartNumber(partNumber: number): void {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
    throw new InvalidParameterValueError(`part_number must be between 1 and ${MAX_PARTS}, got ${partNumber}`);
  }
}

/**
 * Part URLs a client PUTs its bytes to directly (Put Block with a SAS that
 * allows writing this one blob for an hour). Only the write permission is
 * granted: MLflow's URLs also allow reading the blob, which a part upload never needs.
 */
export function presignedPartCredentials(
  blob: BlockBlobClient,
  key: StorageSharedKeyCredential,
  uploadId: string,
  numParts: number,
): MultipartCredential[] {
  const https = blob.url.startsWith("https:");
  const sas = generateBlobSASQueryParameters(
    {
      containerName: blob.containerName,
      blobName: blob.name,
      permissions: BlobSASPermissions.parse("w"),
      startsOn: new Date(Date.now() - 5 * 60_000), // clock skew between the server and Azure
      expiresOn: new Date(Date.now() + SAS_SECONDS * 1000),
      protocol: https ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    },
    key,
  ).toString();
  const credentials: MultipartCredential[] = [];
  for (let partNumber = 1; partNumber <= numParts; partNumber++) {
    const id = encodeURIComponent(blockId(uploadId, partNumber));
    // MLflow compat: Azure part credentials carry no extra headers.
    credentials.push({ url: `${blob.url}?comp=block&blockid=${id}&${sas}`, partNumber, headers: {} });
  }
  return credentials;
}

/**
 * Discards the staged (uncommitted) blocks of a blob that does not exist:
 * commits an empty block list only if the blob is still absent, then deletes
 * exactly that empty blob. A blob that exists keeps its content; Azure drops
 * its stray blocks at its next commit or after a week.
 */
export async function discardStagedBlocks(blob: BlockBlobClient): Promise<void> {
  try {
    const empty = await blob.commitBlockList([], { conditions: { ifNoneMatch: "*" } });
    await blob.delete({ conditions: { ifMatch: empty.etag } });
  } catch (err) {
    const code = azureErrorCode(err);
    // The blob exists (or appeared meanwhile, or was deleted between the two calls): nothing of ours to remove.
    if (code === "BlobAlreadyExists" || code === "ConditionNotMet" || azureStatus(err) === 409 || azureStatus(err) === 412) return;
    if (code === "BlobNotFound") return;
    throw err;
  }
}
