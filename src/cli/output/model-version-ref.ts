/**
 * The version a command names by number or by alias (`3`, `champion`, `@champion`), and, when there is none, an
 * error that says what the model does have: its versions and aliases, or names close to a mistyped model name.
 * @module
 */
import { MlflowError } from "../../shared/errors.js";
import type { ModelVersion, RegisteredModel } from "../../shared/registry-types.js";
import type { CliContext } from "./cli-context.js";
import { NotFoundError } from "./cli-errors.js";

/** "1–40" for runs of consecutive versions, so a model with hundreds of versions fits on one line. */
export function versionRanges(versions: readonly number[]): string {
  const sorted = [...new Set(versions)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : j === i + 1 ? `${sorted[i]}, ${sorted[j]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

/** What a model holds, for the error: "Its versions are 1–3; its aliases champion→1." */
function holdings(model: RegisteredModel, versions: number[]): string {
  const what = versions.length === 0 ? "It has no versions yet" : `Its versions are ${versionRanges(versions)}`;
  const aliases = model.aliases.map((a) => `${a.alias}→${a.version}`);
  return `${what}${aliases.length ? `; its aliases ${aliases.join(", ")}` : "; it has no aliases"}.`;
}

/** The version `ref` names: digits are a version number, anything else (a leading `@` optional) an alias. */
export async function findModelVersion(cli: CliContext, name: string, ref: string): Promise<ModelVersion> {
  const alias = /^\d+$/.test(ref) ? undefined : ref.replace(/^@/, "");
  try {
    return alias === undefined ? await cli.registry.getModelVersion(name, ref) : await cli.registry.getModelVersionByAlias(name, alias);
  } catch (err) {
    // Only "no such version" and "no such alias" get the model's holdings; anything else is rethrown as it was.
    const missing = err instanceof MlflowError && (err.errorCode === "RESOURCE_DOES_NOT_EXIST" || (alias !== undefined && err.errorCode === "INVALID_PARAMETER_VALUE"));
    if (!missing) throw err;
    const model = await cli.registry.getRegisteredModel(name).catch((e: unknown) => cli.modelNotFound(e, name));
    const versions: number[] = [];
    for await (const v of cli.registry.iterateModelVersions({ filter: `name = '${name.replace(/'/g, "''")}'` })) versions.push(Number(v.version));
    const what = alias === undefined ? `no version ${ref}` : `no alias '${alias}'`;
    throw new NotFoundError(`The model '${name}' has ${what}. ${holdings(model, versions)}`);
  }
}
