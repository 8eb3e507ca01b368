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

import json
import os
import sys

import numpy as np
import pandas as pd
import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression, LogisticRegression

out = sys.argv[1]
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
        return pd.DataFrame({"scaled": scale(list(model_input["x"]), self.factor, k), "label": [f"row-{i}" for i in range(len(model_input))]})


sys.path.insert(0, code_dir)
custom_in = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
mlflow.pyfunc.save_model(
    os.path.join(out, "custom"),
    python_model=Scaler(),
    artifacts={"weights": weights},
    code_path=[os.path.join(code_dir, "ciclo_scaler.py")],
    pip_requirements=REQS,
    signature=infer_signature(custom_in, pd.DataFrame({"scaled": [1.0], "label": ["x"]}), params={"k": 1, "fail": False}),
)


class NeedsMissing(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        import ciclo_package_that_is_not_installed  # noqa: F401

    def predict(self, context, model_input, params=None):
        return model_input


mlflow.pyfunc.save_model(os.path.join(out, "broken"), python_model=NeedsMissing(), pip_requirements=REQS)

print(json.dumps({"mlflow": mlflow.__version__, "models": ["classifier", "regressor", "bare", "custom", "broken"]}))
