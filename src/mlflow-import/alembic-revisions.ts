/**
 * MLflow's SQL schema, known by its alembic revision (the `alembic_version`
 * table). The importer reads the schemas of MLflow 2.0 through 3.3: each
 * revision of that chain is listed here, oldest first, and what a revision
 * added is read only from that revision on. A revision not in the list
 * (older, or newer than this ciclo knows) is refused before anything is read.
 * @module
 */
import { MlflowError } from "../shared/errors.js";

/** The chain of MLflow's migrations from MLflow 2.0's schema to 3.3's, oldest first. */
export const KNOWN_REVISIONS = [
  "0c779009ac13", // runs.deleted_time (MLflow 1.28)
  "cc1f77228345", // params up to 500 characters (MLflow 2.0's schema)
  "97727af70f4d", // experiments: creation_time, last_update_time
  "3500859a5d39", // registered_model_aliases
  "7f2a7d5fae7d", // datasets, inputs, input_tags
  "2d6e25af4d3e", // params up to 8000 characters
  "acf3f17fdcc7", // model_versions.storage_location (MLflow 2.9–2.13)
  "867495a8f9d4", // trace tables
  "5b0e9adcef9c", // cascading trace deletes
  "4465047574b1", // larger dataset schemas
  "f5a4f2784254", // run tags up to 8000 characters
  "0584bdc529eb", // cascading dataset deletes (MLflow 2.18–2.22)
  "400f98739977", // logged models (MLflow 3.0)
  "6953534de441", // inputs.step
  "bda7b8c39065", // model version tags up to 8000 characters
  "cbc13b556ace", // trace V3 columns
  "770bee3ae1dd", // assessments
  "a1b2c3d4e5f6", // spans
  "de4033877273", // entity_associations
  "1a0cddfcaa16", // webhooks
  "534353b11cbc", // scorers (MLflow 3.3)
] as const;

export type Revision = (typeof KNOWN_REVISIONS)[number];

/** What a schema has, by the revision that added it. */
export interface SchemaFeatures {
  experimentTimes: boolean;
  aliases: boolean;
  datasets: boolean;
  storageLocation: boolean;
  loggedModels: boolean;
  inputStep: boolean;
}

export function featuresOf(revision: Revision): SchemaFeatures {
  const at = (r: Revision) => KNOWN_REVISIONS.indexOf(revision) >= KNOWN_REVISIONS.indexOf(r);
  return {
    experimentTimes: at("97727af70f4d"),
    aliases: at("3500859a5d39"),
    datasets: at("7f2a7d5fae7d"),
    storageLocation: at("acf3f17fdcc7"),
    loggedModels: at("400f98739977"),
    inputStep: at("6953534de441"),
  };
}

/** The revision, or a clear refusal naming it and the known ones. */
export function checkRevision(found: string | undefined, source: string): Revision {
  if (found === undefined) {
    throw new MlflowError(
      `${source} is not an MLflow tracking database: it has no alembic_version table (a database MLflow created has one).`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  if ((KNOWN_REVISIONS as readonly string[]).includes(found)) return found as Revision;
  throw new MlflowError(
    `${source} has MLflow schema revision '${found}', which this ciclo does not know. It reads MLflow 2.0 to 3.3 ` +
      `(revisions ${KNOWN_REVISIONS.join(", ")}). Upgrade an older database with 'mlflow db upgrade' from MLflow 2.x or 3.x first; ` +
      "a newer one needs a newer ciclo.",
    "INVALID_PARAMETER_VALUE",
  );
}
