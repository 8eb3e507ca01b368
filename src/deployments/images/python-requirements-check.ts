/**
 * Does an image's Python fit a model? The model's requirement lines (from
 * `python_env.yaml`/`requirements.txt`, else `conda.yaml`'s pip list, the
 * way MLflow logs them: `scikit-learn==1.2.1`) are checked against the
 * distributions the image holds (python-inventory.ts) with PEP 440's rules
 * (@renovatebot/pep440), and the model's Python version against the image's
 * interpreters by `major.minor`.
 *
 * A line that cannot be checked from metadata (a URL, a local path, an
 * option such as `--index-url`, an environment marker) is reported as
 * unchecked rather than guessed.
 * @module
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { satisfies, valid, validRange } from "@renovatebot/pep440";
import { parse } from "yaml";
import { normalizeName, type PythonInventory } from "./python-inventory.js";

export interface ModelPythonNeeds {
  /** Requirement lines. */
  lines: string[];
  /** The Python version the model was logged with, when it says. */
  python?: string;
  /** Which file they came from. */
  source: string;
}

export interface FitReport {
  /** What does not fit: each a sentence. */
  mismatches: string[];
  /** Lines that cannot be checked from the image's metadata. */
  unchecked: string[];
  /** `name==version` of each requirement found to fit. */
  fits: string[];
  /** The requirement lines among the mismatches (a package missing or at another version): what pip could install. */
  unmet: string[];
}

/**
 * The model's run-time Python needs: its requirements.txt (else python_env.yaml's `dependencies`,
 * else conda.yaml's pip list) and the Python version python_env.yaml or conda.yaml names. The
 * `build_dependencies` of python_env.yaml (pip, setuptools, wheel) build a virtualenv; a model
 * does not import them, so they are not checked.
 */
export async function modelPythonNeeds(modelPath: string): Promise<ModelPythonNeeds | undefined> {
  const yamlOf = async (file: string): Promise<Record<string, unknown> | undefined> =>
    existsSync(join(modelPath, file)) ? ((parse(await readFile(join(modelPath, file), "utf8")) ?? {}) as Record<string, unknown>) : undefined;
  const pyEnv = await yamlOf("python_env.yaml");
  const conda = await yamlOf("conda.yaml");
  const condaDeps = Array.isArray(conda?.dependencies) ? (conda.dependencies as unknown[]) : [];
  let python = pyEnv?.python === undefined ? undefined : String(pyEnv.python);
  const condaPip: string[] = [];
  for (const dep of condaDeps) {
    if (typeof dep === "string") {
      const m = /^python\s*=+\s*([\d.]+)/.exec(dep.trim());
      if (m) python ??= m[1];
    } else if (dep && typeof dep === "object" && Array.isArray((dep as { pip?: unknown }).pip)) {
      for (const p of (dep as { pip: unknown[] }).pip) condaPip.push(String(p).trim());
    }
  }
  if (existsSync(join(modelPath, "requirements.txt"))) {
    // modelRequirements reads requirements.txt (following `-r` beside it) when there is no python_env.yaml.
    const lines: string[] = [];
    for (const raw of (await readFile(join(modelPath, "requirements.txt"), "utf8")).split(/\r?\n/)) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (line && !line.startsWith("#")) lines.push(line);
    }
    return { lines, python, source: "requirements.txt" };
  }
  if (pyEnv) {
    const deps = Array.isArray(pyEnv.dependencies) ? pyEnv.dependencies.map(String) : [];
    return { lines: deps.map((d) => d.trim()).filter((d) => d !== ""), python, source: "python_env.yaml" };
  }
  if (conda) return { lines: condaPip, python, source: "conda.yaml" };
  return undefined;
}

const REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$/;

/** Checks `needs` against what the image holds. */
export function checkFit(needs: ModelPythonNeeds, inv: PythonInventory): FitReport {
  const report: FitReport = { mismatches: [], unchecked: [], fits: [], unmet: [] };
  if (needs.python) {
    const want = needs.python.split(".").slice(0, 2).join(".");
    if (inv.pythons.length === 0) report.mismatches.push(`the model was logged with Python ${needs.python}, and the image has no python3.x interpreter under /usr/bin or /usr/local/bin`);
    else if (!inv.pythons.includes(want)) report.mismatches.push(`the model was logged with Python ${needs.python}; the image has Python ${inv.pythons.join(", ")}`);
  }
  for (const raw of needs.lines) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("-") || /:\/\/|^[./]|\s@\s/.test(line) || line.includes(";")) {
      report.unchecked.push(line);
      continue;
    }
    const m = REQUIREMENT.exec(line);
    if (!m) {
      report.unchecked.push(line);
      continue;
    }
    const name = normalizeName(m[1]);
    const spec = m[3].trim();
    if (spec && !validRange(spec)) {
      report.unchecked.push(line);
      continue;
    }
    const have = inv.packages.get(name);
    if (!have) {
      report.mismatches.push(`${line}: the image has no '${m[1]}'`);
      report.unmet.push(line);
      continue;
    }
    if (spec && !(valid(have.version) && satisfies(have.version, spec))) {
      report.mismatches.push(`${line}: the image has ${have.name} ${have.version} (${have.where})`);
      report.unmet.push(line);
      continue;
    }
    report.fits.push(`${name}==${have.version}`);
  }
  return report;
}
