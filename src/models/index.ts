/**
 * The models capability's public entry: what other capabilities may use.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export { CsvParser, parseCsvInput } from "./csv-input.js";
export { ModelInputError, toTensorData } from "./input-coercion.js";
export { flattenNested, parseJsonRequest, recordsToColumns } from "./input-parser.js";
export { validateInput, validateParams } from "./input-validator.js";
export type { FlavorName, LoadedModel, ModelReloadSpec } from "./loaded-model.js";
export { MLMODEL_FILE, mlmodelSignature, readMlmodel } from "./mlmodel.js";
export type { MlModel } from "./mlmodel.js";
export { concatInputs, rowWidth } from "./model-input.js";
export type { ColumnsInput, ModelInput, ModelParams, Tensor, TensorData, TensorsInput } from "./model-input.js";
export { IN_PROCESS_FLAVORS, loadLocalModel } from "./model-loader.js";
export { outputRowCount, sliceOutput, toPredictions } from "./model-output.js";
export type { ModelOutput } from "./model-output.js";
export { schemaNames } from "./model-signature.js";
export type { ModelSignature, Schema, TensorDtype } from "./model-signature.js";
export { classifierMetrics, type ClassifierInputs, type Label } from "./metrics/classification-metrics.js";
export { regressorMetrics, type RegressorMetrics } from "./metrics/regression-metrics.js";
