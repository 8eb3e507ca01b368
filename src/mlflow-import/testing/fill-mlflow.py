"""Fills an MLflow tracking store through the real MLflow client (2.x or 3.x), for the
import tests: experiments, runs, params, tags, metric histories (NaN, infinities, repeated
steps), datasets, nested and binary artifacts, sklearn models in the registry, aliases,
stages, tags, descriptions, deleted entities and, with 3.x, logged models.

Usage: python fill-mlflow.py [--small]   (MLFLOW_TRACKING_URI says where)
Prints one JSON line: what it made (ids the test can look for).
"""
import json
import math
import os
import sys

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

IS3 = int(mlflow.__version__.split(".")[0]) >= 3
client = MlflowClient()
made = {"mlflow": mlflow.__version__, "experiments": [], "runs": [], "models": [], "logged_models": []}


def log_model(model, name, registered=None):
    kw = {"name": name} if IS3 else {"artifact_path": name}
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    return mlflow.sklearn.log_model(model, registered_model_name=registered, input_example=X, **kw)


def fit():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.8, 0.1]])
    return LogisticRegression().fit(X, [0, 1, 0, 1])


# --- experiments -------------------------------------------------------------------------
alpha = client.create_experiment("imp-alpha", tags={"team": "cv", "nested/key": "slash"})
beta = client.create_experiment("imp-beta")
client.set_experiment_tag(beta, "note", "multi\nline: with colon")
client.set_experiment_tag(beta, "mlflow.note.content", "beta's description")
made["experiments"] += [alpha, beta]

# --- a run with everything ----------------------------------------------------------------
mlflow.set_experiment(experiment_id=alpha)
with mlflow.start_run(run_name="train") as run:
    rid = run.info.run_id
    mlflow.log_params({"lr": "0.1", "depth": 5, "unicode": "h\u00e9llo \u2713", "empty": ""})
    mlflow.set_tags({"stage": "dev", "mlflow.note.content": "a *markdown* note", "quote": "it's \"q\""})
    for step in range(50):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    client.log_metric(rid, "loss", 0.25, timestamp=1_700_000_000_000, step=3)  # same step again
    # Not at step 0: MLflow 3.x's log_model re-logs a run's step-0 points with the model's id,
    # and its SQL store then fails on a NaN point (NaN != NaN defeats its duplicate check).
    client.log_metric(rid, "odd", float("nan"), timestamp=1_700_000_000_001, step=1)
    client.log_metric(rid, "odd", float("inf"), timestamp=1_700_000_000_002, step=2)
    client.log_metric(rid, "odd", float("-inf"), timestamp=1_700_000_000_003, step=3)
    client.log_metric(rid, "odd", -0.0, timestamp=1_700_000_000_004, step=4)
    client.log_metric(rid, "odd", 5e-324, timestamp=1_700_000_000_005, step=5)
    client.log_metric(rid, "big_step", 1.5, timestamp=1_700_000_000_006, step=2**40)
    client.log_metric(rid, "neg_step", 2.5, timestamp=1_700_000_000_007, step=-3)
    client.log_metric(rid, "a/b c", 3.0, timestamp=1_700_000_000_008, step=0)
    df = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.25, 0.125]})
    ds = mlflow.data.from_pandas(df, source="s3://bucket/train.csv", name="train-data")
    mlflow.log_input(ds, context="training", tags={"split": "train"})
    ds2 = mlflow.data.from_pandas(df.head(2), source="s3://bucket/eval.csv", name="eval-data")
    mlflow.log_input(ds2, context="eval")
    mlflow.log_text("hello\n", "notes/readme.txt")
    mlflow.log_dict({"k": [1, 2, 3]}, "deep/a/b/c/config.json")
    mlflow.log_text("", "empty.txt")
    path = os.path.join(os.environ.get("FILL_TMP", "/tmp"), "blob.bin")
    with open(path, "wb") as f:
        f.write(bytes(range(256)) * 4096 + b"\x00\xff")
    mlflow.log_artifact(path, "bin")
    mlflow.log_text("spaces and \u00fcnicode", "odd names/\u00fc file.txt")
    info = log_model(fit(), "model", registered="imp-clf")
    if IS3:
        made["logged_models"].append(info.model_id)
        mlflow.log_metric("acc", 0.9, step=0, model_id=info.model_id)
        client.set_logged_model_tags(info.model_id, {"reviewed": "yes"})
        mlflow.log_model_params({"solver": "lbfgs"}, model_id=info.model_id)
made["runs"].append(rid)

# --- nested, failed, deleted runs ----------------------------------------------------------
with mlflow.start_run(run_name="parent") as parent:
    with mlflow.start_run(run_name="child", nested=True) as child:
        mlflow.log_param("fold", 1)
        mlflow.log_metric("score", 0.7)
        info2 = log_model(fit(), "model2", registered="imp-clf")
        if IS3:
            made["logged_models"].append(info2.model_id)
    made["runs"] += [parent.info.run_id, child.info.run_id]
failed = client.create_run(alpha, run_name="failed", start_time=1_600_000_000_000)
client.log_batch(failed.info.run_id, metrics=[mlflow.entities.Metric("m", float(i), 1_600_000_000_000 + i, i) for i in range(1000)])
client.set_terminated(failed.info.run_id, status="FAILED", end_time=1_600_000_100_000)
gone = client.create_run(beta, run_name="gone")
client.log_param(gone.info.run_id, "p", "v")
client.set_terminated(gone.info.run_id)
client.delete_run(gone.info.run_id)
running = client.create_run(beta, run_name="still running")
made["runs"] += [failed.info.run_id, gone.info.run_id, running.info.run_id]

# --- a deleted experiment with a run ------------------------------------------------------
doomed = client.create_experiment("imp-doomed")
d_run = client.create_run(doomed, run_name="in doomed")
client.log_metric(d_run.info.run_id, "x", 1.0)
client.set_terminated(d_run.info.run_id)
client.delete_experiment(doomed)
made["experiments"].append(doomed)
made["runs"].append(d_run.info.run_id)

# --- the registry ------------------------------------------------------------------------
client.set_registered_model_alias("imp-clf", "champion", "1")
client.set_registered_model_alias("imp-clf", "challenger", "2")
FILE_STORE = mlflow.get_tracking_uri().startswith("file:")


def version_write(name, what, fn, *args, **kw):
    # MLflow 3.3's file store cannot save a version of a logged model that has metrics
    # (yaml cannot represent its Metric objects): such writes are left out there.
    if IS3 and FILE_STORE and name == "imp-clf":
        made.setdefault("skipped", []).append(what)
        return
    fn(name, *args, **kw)


def transition(name, version, stage):
    version_write(name, f"transition {name}/{version}", client.transition_model_version_stage, version, stage)


transition("imp-clf", "1", "Production")
transition("imp-clf", "2", "Staging")
client.set_registered_model_tag("imp-clf", "owner", "ml-team")
version_write("imp-clf", "version tag", client.set_model_version_tag, "1", "validated", "true")
client.update_registered_model("imp-clf", description="the classifier")
version_write("imp-clf", "version description", client.update_model_version, "2", description="second try")
client.create_registered_model("imp-empty", tags={"t": "1"}, description="no versions")
client.create_registered_model("imp-gaps")
src = f"runs:/{rid}/model"
for _ in range(3):
    client.create_model_version("imp-gaps", src, run_id=rid)
client.delete_model_version("imp-gaps", "2")
transition("imp-gaps", "3", "Archived")
made["models"] += ["imp-clf", "imp-empty", "imp-gaps"]

if IS3:
    lm = mlflow.initialize_logged_model(name="external", experiment_id=beta, tags={"kind": "external"})
    mlflow.log_model_params({"alpha": "0.5"}, model_id=lm.model_id)
    client.finalize_logged_model(lm.model_id, "READY")
    dead = mlflow.initialize_logged_model(name="dead", experiment_id=beta)
    client.delete_logged_model(dead.model_id)
    made["logged_models"] += [lm.model_id, dead.model_id]

print(json.dumps(made))
