/**
 * The flags `ciclo models serve` and `ciclo models predict` share to choose
 * what runs a model: `--runtime`, and for the Python runtime
 * `--env-manager` (as `mlflow models serve` has it), `--python`,
 * `--system-site-packages` and `--pip-index-url`. `--python` and `--env-manager` default to
 * `CICLO_PYTHON` and `CICLO_ENV_MANAGER`, as in the model image.
 * @module
 */
import { Option, type Command } from "commander";
import { ENV_MANAGERS, type EnvManager } from "../../serving/python/python-environment.js";
import { RUNTIME_NAMES, type RuntimeName } from "../../serving/online/model-runtime.js";

export interface RuntimeFlags {
  runtime?: RuntimeName;
  envManager?: EnvManager;
  python?: string;
  systemSitePackages?: boolean;
  pipIndexUrl?: string;
}

export function addRuntimeFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option("--runtime <runtime>", "what runs the model (default: in-process for onnx/js_function models, python for any other python_function model)").choices([...RUNTIME_NAMES]))
    .addOption(new Option("--env-manager <manager>", "Python runtime: the model's environment — local (an interpreter as is), virtualenv (built from the model's python_env.yaml/requirements.txt, cached), conda").choices([...ENV_MANAGERS]).default("local").env("CICLO_ENV_MANAGER"))
    // The variables let a managed deployment choose (`ciclo deployments create … --env CICLO_PYTHON=…`): its replicas
    // are `ciclo models serve` processes whose flags the user does not write. The model image reads the same names.
    .addOption(new Option("--python <interpreter>", "Python runtime: the interpreter (local) or the base of the virtualenv (default: python3 on the PATH)").env("CICLO_PYTHON"))
    .option("--system-site-packages", "Python runtime, virtualenv: let the environment see the base interpreter's packages (offline machines)")
    .option("--pip-index-url <url>", "Python runtime, virtualenv: the package index the model's requirements are installed from (default: PIP_INDEX_URL, else pip's)");
}

export function runtimeChoice(flags: RuntimeFlags): { runtime?: RuntimeName; python: { envManager?: EnvManager; python?: string; systemSitePackages?: boolean; pipIndexUrl?: string } } {
  const pipIndexUrl = flags.pipIndexUrl ?? (process.env.PIP_INDEX_URL || undefined);
  return { runtime: flags.runtime, python: { envManager: flags.envManager, python: flags.python, systemSitePackages: flags.systemSitePackages, pipIndexUrl } };
}
