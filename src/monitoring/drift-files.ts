/**
 * Drift between files without a server (what `ciclo monitor drift` runs):
 * profile the reference (or load its stored profile), profile the current
 * file against it, compare the two profiles.
 * @module
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { InvalidParameterValueError } from "../shared/errors.js";
import { driftReport, type DriftOptions, type DriftReport } from "./drift/drift-report.js";
import { decodeProfile, encodeProfile, MAX_PROFILE_BYTES } from "./profiles/profile-codec.js";
import type { DatasetProfile } from "./profiles/profile-types.js";
import { profileReference, profileWindow, type ProfileOptions } from "./profiles/profiler.js";
import { openTableSource, tableFormatOf } from "./sources/open-table-source.js";
import { profileParquetReference, profileParquetWindow } from "./sources/parallel-profiler.js";

/** Profiling options for files: Parquet files are profiled by `workers` threads (default: one per core, up to 8). */
export type FileProfileOptions = ProfileOptions & { workers?: number };

export async function loadProfile(path: string): Promise<DatasetProfile> {
  const info = await stat(path).catch(() => {
    throw new InvalidParameterValueError(`No profile at '${path}'.`);
  });
  if (info.size > MAX_PROFILE_BYTES) throw new InvalidParameterValueError(`Profile '${path}' is too large (${info.size} bytes).`);
  return decodeProfile(await readFile(path, "utf8"));
}

export async function saveProfile(path: string, profile: DatasetProfile): Promise<void> {
  await writeFile(path, encodeProfile(profile));
}

/** A reference profile of a CSV or Parquet file. */
export async function profileReferenceFile(path: string, opts: FileProfileOptions = {}): Promise<DatasetProfile> {
  if (tableFormatOf(path) === "parquet" && opts.workers !== 1) return profileParquetReference(path, opts);
  return profileReference(openTableSource(path), opts);
}

/** A file's profile against a reference profile's layouts. */
export async function profileWindowFile(path: string, reference: DatasetProfile, opts: FileProfileOptions = {}): Promise<DatasetProfile> {
  if (tableFormatOf(path) === "parquet" && opts.workers !== 1) return profileParquetWindow(path, reference, opts);
  return profileWindow(openTableSource(path), reference, opts);
}

export interface DriftFilesInput {
  /** The reference data file, or … */
  reference?: string;
  /** … its stored profile. */
  referenceProfile?: string;
  current: string;
}

export async function driftFiles(input: DriftFilesInput, opts: DriftOptions & FileProfileOptions = {}): Promise<{ report: DriftReport; reference: DatasetProfile; current: DatasetProfile }> {
  if (!input.reference === !input.referenceProfile) throw new InvalidParameterValueError("Give either a reference file or a reference profile.");
  const reference = input.referenceProfile ? await loadProfile(input.referenceProfile) : await profileReferenceFile(input.reference!, opts);
  const current = await profileWindowFile(input.current, reference, opts);
  return { report: driftReport(reference, current, opts), reference, current };
}
