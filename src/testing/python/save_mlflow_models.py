"""Saves test models with the real MLflow client (run by src/testing/mlflow-python.ts).

Usage: python save_mlflow_models.py <out folder>. Writes, under <out folder>:
  classifier/  sklearn LogisticRegression, pyfunc_predict_fn="predict_proba",
    pip_requirements=REQS, signature
  regressor/   sklearn LinearRegression, signature
  bare/        sklearn LinearRegression without a signature
  custom/      a mlflow.pyfunc.PythonModel with an artifact file, params and a code path
  broken/      a PythonModel whose code path is missing a module (loading fails)
Prints a JSON summary on stdout.
"""

import inspect
import json
import os
import shutil
import sys

import numpy as np
import pandas as pd
import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression, LogisticRegression

out = sys.argv[1]
# MLflow 2.x calls it code_path, 3.x code_paths.
CODE_PATHS = "code_paths" if "code_paths" in inspect.signature(mlflow.pyfunc.save_model).parameters else "code_path"
rng = np.random.default_rng(7)
cols = ["a", "b", "c", "d"]
# Explicit requirements: MLflow's inference of them loads each model in a subprocess (slow), and these are
# satisfiable offline from the interpreter's own packages (the virtualenv test relies on that).
REQS = ["mlflow==" + mlflow.__version__, "scikit-learn", "pandas", "numpy", "cloudpickle"]
X = pd.DataFrame(rng.normal(size=(200, 4)), columns=cols)
y_cls = (X["a"] + 0.5 * X["b"] - X["c"] > 0).astype(int) + (X["d"] > 1).astype(int)
y_reg = 3 * X["a"] - 2 * X["b"] + 0.5 * X["c"] + 1.0

clf = LogisticRegression(max_iter=500).fit(X, y_cls)
mlflow.sklearn.save_model(
    clf,
    os.path.join(out, "classifier"),
    pyfunc_predict_fn="predict_proba",
    pip_requirements=REQS,
    signature=infer_signature(X, clf.predict_proba(X)),
)

reg = LinearRegression().fit(X, y_reg)
mlflow.sklearn.save_model(reg, os.path.join(out, "regressor"), signature=infer_signature(X, reg.predict(X)), pip_requirements=REQS)
mlflow.sklearn.save_model(reg, os.path.join(out, "bare"), pip_requirements=REQS)

code_dir = os.path.join(out, "_code")
os.makedirs(code_dir, exist_ok=True)
with open(os.path.join(code_dir, "ciclo_scaler.py"), "w") as f:
    f.write("def scale(values, factor, k):\n    return [v * factor * k for v in values]\n")
weights = os.path.join(out, "_weights.json")
with open(weights, "w") as f:
    json.dump({"factor": 2.5}, f)


class Scaler(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        with open(context.artifacts["weights"]) as f:
            self.factor = json.load(f)["factor"]

    def predict(self, context, model_input, params=None):
        from ciclo_scaler import scale

        k = (params or {}).get("k", 1)
        if (params or {}).get("fail"):
            raise ValueError("asked to fail")
        if (params or {}).get("crash"):
            os._exit(7)  # a crash as a native extension would crash: the process is gone
        return pd.DataFrame({"scaled": scale(list(model_input["x"]), self.factor, k), "label": [f"row-{i}" for i in range(len(model_input))]})


sys.path.insert(0, code_dir)
custom_in = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
mlflow.pyfunc.save_model(
    os.path.join(out, "custom"),
    python_model=Scaler(),
    artifacts={"weights": weights},
    **{CODE_PATHS: [os.path.join(code_dir, "ciclo_scaler.py")]},
    pip_requirements=REQS,
    signature=infer_signature(custom_in, pd.DataFrame({"scaled": [1.0], "label": ["x"]}), params={"k": 1, "fail": False, "crash": False}),
)


# "broken": the model's class lives in a module that is gone when the model is loaded (pickled by reference).
gone_dir = os.path.join(out, "_gone")
os.makedirs(gone_dir, exist_ok=True)
with open(os.path.join(gone_dir, "ciclo_gone_module.py"), "w") as f:
    f.write("import mlflow.pyfunc\n\nclass Echo(mlflow.pyfunc.PythonModel):\n    def predict(self, context, model_input, params=None):\n        return model_input\n")
sys.path.insert(0, gone_dir)
import ciclo_gone_module  # noqa: E402

mlflow.pyfunc.save_model(os.path.join(out, "broken"), python_model=ciclo_gone_module.Echo(), pip_requirements=REQS)
shutil.rmtree(gone_dir)

print(json.dumps({"mlflow": mlflow.__version__, "models": ["classifier", "regressor", "bare", "custom", "broken"]}))
