"""The real MLflow client (2.10 or 3.3) through what users do, against the tracking server at argv[1]: experiments,
runs with params/metrics/tags, log_batch, artifacts up and down (byte equality), dataset inputs, an sklearn model
registered, aliased, staged, searched and loaded back through `models:/name@alias`, logged models (MLflow 3), and
the delete/restore lifecycle. Asserts as it goes and prints a JSON summary as its last stdout line; the TypeScript
test (mlflow-client-tour.test.ts) checks it. argv: tracking URI, a suffix that keeps names unique."""
import json
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import mlflow
import mlflow.data
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

uri, suffix = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
client = MlflowClient()
major = int(mlflow.__version__.split(".")[0])
out = {"mlflow": mlflow.__version__}

# --- experiments: create, get (by id and name), search.
exp_name = f"tour-{suffix}"
exp_id = mlflow.create_experiment(exp_name, tags={"team": "tour"})
exp = client.get_experiment(exp_id)
assert exp.name == exp_name and exp.tags.get("team") == "tour" and exp.lifecycle_stage == "active", exp
assert mlflow.get_experiment_by_name(exp_name).experiment_id == exp_id
found = client.search_experiments(filter_string=f"name = '{exp_name}'")
assert [e.experiment_id for e in found] == [exp_id], found
found = client.search_experiments(filter_string="tags.team = 'tour'")
assert exp_id in [e.experiment_id for e in found], found
out["experiment"] = {"name": exp.name, "tags": {"team": exp.tags["team"]}, "stage": exp.lifecycle_stage}

# --- runs with params, metrics (stepped), tags.
mlflow.set_experiment(experiment_id=exp_id)
sweep = []
for i, lr in enumerate([0.1, 0.01, 0.001]):
    with mlflow.start_run(run_name=f"sweep-{i}") as r:
        mlflow.log_param("lr", lr)
        mlflow.log_params({"depth": i + 1, "opt": "sgd"})
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (i + 1 + step), step=step)
        mlflow.log_metrics({"acc": 0.5 + 0.1 * i})
        mlflow.set_tag("kind", "sweep")
        mlflow.set_tags({"idx": str(i)})
    sweep.append(r.info.run_id)
r1 = client.get_run(sweep[1])
assert r1.info.status == "FINISHED" and r1.info.run_name == "sweep-1", r1.info
assert r1.data.params == {"lr": "0.01", "depth": "2", "opt": "sgd"}, r1.data.params
assert r1.data.metrics == {"loss": 1.0 / 4, "acc": 0.6}, r1.data.metrics
assert r1.data.tags["kind"] == "sweep" and r1.data.tags["idx"] == "1", r1.data.tags
history = client.get_metric_history(sweep[1], "loss")
assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [(0, 0.5), (1, 1.0 / 3), (2, 0.25)], history
out["runs"] = {"params": r1.data.params, "metrics": r1.data.metrics, "history": len(history)}

# --- log_batch on a run made by the client.
batch_run = client.create_run(exp_id, run_name="batch")
bid = batch_run.info.run_id
now = int(time.time() * 1000)
client.log_batch(
    bid,
    metrics=[Metric("m", float(s) * 2, now + s, s) for s in range(5)] + [Metric("other", 7.5, now, 0)],
    params=[Param("p1", "a"), Param("p2", "b")],
    tags=[RunTag("t1", "x"), RunTag("t2", "y")],
)
client.set_terminated(bid)
b = client.get_run(bid)
assert b.data.params == {"p1": "a", "p2": "b"} and b.data.metrics == {"m": 8.0, "other": 7.5}, b.data
assert b.data.tags["t1"] == "x" and b.data.tags["t2"] == "y" and b.info.status == "FINISHED", b
assert [m.value for m in sorted(client.get_metric_history(bid, "m"), key=lambda m: m.step)] == [0.0, 2.0, 4.0, 6.0, 8.0]
out["log_batch"] = {"params": b.data.params, "metrics": b.data.metrics, "status": b.info.status}


# --- search_runs: a filter string and order_by, both flavours.
df = mlflow.search_runs(experiment_ids=[exp_id], filter_string="params.opt = 'sgd' and metrics.acc > 0.55", order_by=["metrics.acc DESC"])
assert list(df["run_id"]) == [sweep[2], sweep[1]], df
runs = client.search_runs([exp_id], "tags.kind = 'sweep'", order_by=["params.lr ASC"])
assert [r.info.run_id for r in runs] == [sweep[2], sweep[1], sweep[0]], [r.info.run_id for r in runs]
runs = client.search_runs([exp_id], "attributes.run_name = 'batch'")
assert [r.info.run_id for r in runs] == [bid]
out["search_runs"] = {"by_acc_desc": len(df), "by_lr_asc": 3}


def tree_bytes(root):
    got = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                got[os.path.relpath(p, root)] = fh.read()
    return got


# --- artifacts up and down, byte for byte; datasets; the model.
X = np.array([[float(a), float(b)] for a in range(6) for b in range(5)])
y = (X[:, 0] + X[:, 1] > 4).astype(int)
model = LogisticRegression().fit(X, y)
model_name = f"tour-model-{suffix}"
with tempfile.TemporaryDirectory() as tmp, mlflow.start_run(run_name="main") as run:
    rid = run.info.run_id
    up = os.path.join(tmp, "up")
    os.makedirs(os.path.join(up, "sub", "deeper"))
    blob = bytes(range(256)) * 40 + os.urandom(4096)
    files = {"data.bin": blob, "sub/note.txt": "nested ünïcode\n".encode(), "sub/deeper/z.json": b'{"k": [1, 2, 3]}', "top.csv": b"a,b\n1,2\n"}
    for rel, data in files.items():
        with open(os.path.join(up, rel), "wb") as fh:
            fh.write(data)
    single = os.path.join(tmp, "single.txt")
    with open(single, "wb") as fh:
        fh.write(b"one file\x00\xff")
    mlflow.log_artifact(single)
    mlflow.log_artifact(single, artifact_path="copies/a")
    mlflow.log_artifacts(up, artifact_path="tree")
    mlflow.log_text("hello\nworld\n", "notes/readme.txt")
    mlflow.log_dict({"alpha": 1, "list": [1, 2]}, "config/params.json")
    mlflow.log_dict({"beta": "x"}, "config/params.yaml")

    # datasets (mlflow.data.from_pandas / from_numpy) as run inputs
    frame = pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "y": y})
    ds_pd = mlflow.data.from_pandas(frame, name="tour-train", targets="y")
    mlflow.log_input(ds_pd, context="training")
    ds_np = mlflow.data.from_numpy(X[:10], targets=y[:10], name="tour-eval")
    mlflow.log_input(ds_np, context="eval")

    # the model, registered in the same call
    info = mlflow.sklearn.log_model(model, "model", registered_model_name=model_name, signature=infer_signature(X, model.predict(X)))

    down = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="tree", dst_path=os.path.join(tmp, "down"))
    assert tree_bytes(down) == files, sorted(tree_bytes(down))
    one = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="copies/a/single.txt", dst_path=os.path.join(tmp, "down1"))
    with open(one, "rb") as fh:
        assert fh.read() == b"one file\x00\xff"
    os.makedirs(os.path.join(tmp, "all"))
    whole = client.download_artifacts(rid, "", os.path.join(tmp, "all"))
    all_files = tree_bytes(whole)
    assert all_files["single.txt"] == b"one file\x00\xff" and all_files["tree/data.bin"] == blob
    assert all_files["notes/readme.txt"] == b"hello\nworld\n", all_files["notes/readme.txt"]
    assert json.loads(all_files["config/params.json"]) == {"alpha": 1, "list": [1, 2]}
    assert mlflow.artifacts.load_text(f"runs:/{rid}/notes/readme.txt") == "hello\nworld\n"
    assert mlflow.artifacts.load_text(f"runs:/{rid}/config/params.yaml").strip() == "beta: x"

top = client.list_artifacts(rid)
top_paths = sorted(f.path for f in top)
for p in ["config", "copies", "notes", "single.txt", "tree"]:
    assert p in top_paths, top_paths
assert {f.path: f.is_dir for f in top}["tree"] is True
tree = {f.path: (f.is_dir, f.file_size) for f in client.list_artifacts(rid, "tree")}
assert tree == {"tree/data.bin": (False, len(blob)), "tree/sub": (True, None), "tree/top.csv": (False, 8)}, tree
deeper = [f.path for f in client.list_artifacts(rid, "tree/sub/deeper")]
assert deeper == ["tree/sub/deeper/z.json"], deeper
# MLflow 2 keeps a logged model under the run's artifacts; MLflow 3 under its logged model's own location.
out["artifacts"] = {"files": len([p for p in all_files if not p.startswith("model/")]), "model_in_run": "model/MLmodel" in all_files, "tree": sorted(tree), "deeper": deeper}

# datasets read back from the run
main_run = client.get_run(rid)
inputs = {d.dataset.name: d for d in main_run.inputs.dataset_inputs}
assert set(inputs) == {"tour-train", "tour-eval"}, inputs
assert inputs["tour-train"].dataset.digest == ds_pd.digest and inputs["tour-eval"].dataset.digest == ds_np.digest
contexts = {n: {t.key: t.value for t in d.tags}.get("mlflow.data.context") for n, d in inputs.items()}
assert contexts == {"tour-train": "training", "tour-eval": "eval"}, contexts
schema = json.loads(inputs["tour-train"].dataset.schema)
assert [c["name"] for c in schema["mlflow_colspec"]] == ["x0", "x1", "y"], schema
src = mlflow.data.get_source(inputs["tour-train"])
assert src is not None
out["datasets"] = {"names": sorted(inputs), "contexts": contexts, "source_type": inputs["tour-train"].dataset.source_type}

# --- registry: the version the log_model call made, alias, stage, searches, load by alias.
mv = client.get_model_version(model_name, "1")
assert mv.run_id == rid and mv.status == "READY", mv
client.set_registered_model_alias(model_name, "champion", "1")
by_alias = client.get_model_version_by_alias(model_name, "champion")
assert by_alias.version == "1" and "champion" in by_alias.aliases, by_alias
assert client.get_registered_model(model_name).aliases == {"champion": "1"}
staged = client.transition_model_version_stage(model_name, "1", "Staging")
assert staged.current_stage == "Staging" and client.get_model_version(model_name, "1").current_stage == "Staging"
versions = client.search_model_versions(f"name = '{model_name}'")
assert [(v.name, v.version) for v in versions] == [(model_name, "1")], versions
versions = client.search_model_versions(f"run_id = '{rid}'")
assert [v.version for v in versions] == ["1"], versions
assert client.search_model_versions(f"name = '{model_name}-nope'") == []
assert [m.name for m in client.search_registered_models(filter_string=f"name = '{model_name}'")] == [model_name]
loaded = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
pred = loaded.predict(X)
assert np.array_equal(np.asarray(pred), model.predict(X)), (pred, model.predict(X))
out["registry"] = {"alias_version": by_alias.version, "stage": staged.current_stage, "predictions_equal": True, "n_predictions": int(len(pred))}

# --- MLflow 3: logged models
if major >= 3:
    with mlflow.start_run(run_name="logged-model") as lrun:
        linfo = mlflow.sklearn.log_model(model, name=f"tour-logged-{suffix}")
    assert linfo.model_id, linfo
    lm = mlflow.get_logged_model(linfo.model_id)
    assert lm.name == f"tour-logged-{suffix}" and lm.experiment_id == exp_id and lm.source_run_id == lrun.info.run_id, lm
    found = mlflow.search_logged_models(experiment_ids=[exp_id], filter_string=f"name = 'tour-logged-{suffix}'", output_format="list")
    assert [m.model_id for m in found] == [linfo.model_id], found
    loaded3 = mlflow.pyfunc.load_model(f"models:/{linfo.model_id}")
    assert np.array_equal(np.asarray(loaded3.predict(X)), model.predict(X))
    out["logged_model"] = {"found": len(found), "status": str(lm.status)}

# --- lifecycle: delete/restore a run and an experiment.
client.delete_run(sweep[0])
assert client.get_run(sweep[0]).info.lifecycle_stage == "deleted"
active = [r.info.run_id for r in client.search_runs([exp_id], "tags.kind = 'sweep'")]
assert sweep[0] not in active and len(active) == 2, active
deleted = [r.info.run_id for r in client.search_runs([exp_id], "", run_view_type=ViewType.DELETED_ONLY)]
assert deleted == [sweep[0]], deleted
client.restore_run(sweep[0])
assert client.get_run(sweep[0]).info.lifecycle_stage == "active"
assert len(client.search_runs([exp_id], "tags.kind = 'sweep'")) == 3

gone_name = f"tour-gone-{suffix}"
gone = client.create_experiment(gone_name)
client.delete_experiment(gone)
assert client.get_experiment(gone).lifecycle_stage == "deleted"
assert client.get_experiment_by_name(gone_name).lifecycle_stage == "deleted"
assert gone not in [e.experiment_id for e in client.search_experiments()]
assert gone in [e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
client.restore_experiment(gone)
assert client.get_experiment(gone).lifecycle_stage == "active"
assert gone in [e.experiment_id for e in client.search_experiments()]
out["lifecycle"] = {"run": "deleted-restored", "experiment": "deleted-restored"}

print(json.dumps(out))
